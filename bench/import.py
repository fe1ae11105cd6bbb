"""Import benchmark: a park's quarterly CSV export of 10,000 and 100,000 rows through `run_import`.

    .venv/bin/python bench/import.py [--rows 10000 100000] [--encoding utf-8|gb18030]

Records go to a counting sink in batches (as the park node writes them to its database), not into a list,
so memory should not grow with the file. For each size it prints rows per second (a plain run) and the peak
of Python allocations (a second run under tracemalloc, which slows Python down, so it is not timed), both
with the default duplicate check (which remembers each USCC seen) and with duplicates = "keep_last" (which
leaves duplicates to the storage's upsert and remembers nothing). Goal: >= 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
import tomllib
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable without installing the project

from adapters import load_import, run_import
from alliance.core.uscc import build

GOAL = 20_000
COLUMNS = ("统一社会信用代码", "企业名称", "纳税信用等级", "行政处罚次数", "注册资本（万元）")
HEADER = ",".join((*COLUMNS, "研发投入占比(‰)", "高新技术企业", "所属行业")) + "\r\n"
GRADES = ("五星", "四星", "三星", "二星", "一星")
INDUSTRIES = ("软件和信息技术服务业", "生物医药", "光电子信息", "高端装备制造", "新能源")
CONFIG = """
[source]
kind = "csv"
path = "park.csv"
encoding = "auto"

[mapping]
uscc = "统一社会信用代码"
name = "企业名称"
[mapping.extra]
industry = "所属行业"
[mapping.indicators.TAX_CREDIT]
field = "纳税信用等级"
scale = "stars"
[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"
default = 0
[mapping.indicators.REG_CAPITAL]
field = "注册资本(万元)"
unit = "万元->元"
[mapping.indicators.RD_RATIO]
field = "研发投入占比(‰)"
unit = "‰->%"
[mapping.indicators.HIGH_TECH]
field = "高新技术企业"
type = "bool"

[scales.stars]
"五星" = "A"
"四星" = "B"
"三星" = "C"
"二星" = "D"
"一星" = "E"
"""


def write_csv(path: Path, rows: int, encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        f.write(HEADER)
        for i in range(rows):
            code = build("9", "1", "420100", f"{i:08d}")
            f.write(
                f"{code},武汉东湖测试企业{i}号有限公司,{GRADES[i % 5]},{i % 4},{1000 + i % 997}.5,"
                f"{i % 250}.25,{'是' if i % 3 else '否'},{INDUSTRIES[i % 5]}\r\n"
            )


async def run(folder: Path, duplicates: str) -> tuple[int, int, float]:
    plan = load_import(tomllib.loads(CONFIG), folder)
    delivered = 0

    def sink(batch: list) -> None:
        nonlocal delivered
        delivered += len(batch)

    report = await run_import(plan.source, plan.mapping, sink=sink, duplicates=duplicates)
    if report.aborted or report.problem_count or delivered != report.read:
        raise SystemExit(f"unexpected report: {report}")
    return report.read, delivered, report.seconds


def measure(folder: Path, duplicates: str) -> tuple[float, float]:
    gc.collect()
    started = time.perf_counter()
    read, _, _ = asyncio.run(run(folder, duplicates))
    rate = read / (time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    asyncio.run(run(folder, duplicates))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return rate, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "utf-8-sig", "gb18030"])
    args = parser.parse_args()
    print(f"CSV import ({args.encoding} file, encoding = auto, 5 indicators + 1 extra column, counting sink)")
    print(f"{'rows':>9}  {'duplicates':<10} {'rows/s':>9}  {'peak MiB':>8}  {'file MiB':>8}")
    slowest = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rows in args.rows:
            write_csv(folder / "park.csv", rows, args.encoding)
            size = (folder / "park.csv").stat().st_size / 2**20
            for duplicates in ("reject", "keep_last"):
                rate, peak = measure(folder, duplicates)
                slowest = min(slowest, rate)
                print(f"{rows:>9,}  {duplicates:<10} {rate:>9,.0f}  {peak:>8.1f}  {size:>8.1f}")
    verdict = "meets" if slowest >= GOAL else "MISSES"
    print(f"slowest: {slowest:,.0f} rows/s, {verdict} the goal of {GOAL:,} rows/s")
    return 0 if slowest >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
