"""The import report as people read it: counts, the first problems with their origins, what a dry run would
change. Everything from the data (labels, names, reasons) is printed as plain text, never as rich markup, so a
cell containing "[red]" prints as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import ImportReport

CHANGE_LABELS = {
    "new": "新增 (new)",
    "changed": "变更 (changed)",
    "unchanged": "不变 (unchanged)",
    "removed": "不再出现 (no longer in the source)",
}


def format_report(
    report: ImportReport,
    dry_run: bool,
    console: Any,
    *,
    changes: Mapping[str, int] | None = None,
    max_problems: int = 20,
) -> None:
    """Print `report` on a rich Console.

    `changes`: what a dry run would change (or a run changed), e.g. {"new": 3, "changed": 5, "unchanged": 17}.
    """
    from rich.table import Table
    from rich.text import Text

    console.print(Text.assemble(("导入报告 (import report): ", "bold"), report.source))
    counts = Table(show_header=False, box=None, padding=(0, 2))
    counts.add_column(justify="left")
    counts.add_column(justify="right")
    counts.add_row("读取 (rows read)", f"{report.read:,}")
    counts.add_row("可导入 (mapped)", f"{report.mapped:,}")
    counts.add_row("有问题 (rejected rows)", f"{report.problem_count:,}")
    if report.delivered:
        counts.add_row("已交付 (delivered)", f"{report.delivered:,}")
    if report.seconds > 0:
        counts.add_row("用时 (time)", f"{report.seconds:.2f} s, {report.rows_per_second:,.0f} rows/s")
    console.print(counts)

    if report.problems:
        shown = report.problems[:max_problems]
        table = Table(
            title=f"问题行 (problems): 前 {len(shown)} / 共 {report.problem_count}", title_justify="left"
        )
        table.add_column("位置 (origin)", no_wrap=True)
        table.add_column("原因 (reason)")
        for problem in shown:
            table.add_row(Text(problem.origin), Text(problem.reason))
        console.print(table)

    if report.aborted is not None:
        console.print(Text.assemble(("已中止 (aborted): ", "bold red"), report.aborted))
        if report.all_or_nothing:
            console.print(
                Text("全部或全不：本次没有导入任何数据 (all-or-nothing: nothing was imported)", "red")
            )
        else:
            console.print(
                Text(
                    f"按配置保留了中止前读取的 {report.mapped:,} 条 "
                    "(kept the records read before the failure)"
                )
            )

    if changes:
        parts = [f"{CHANGE_LABELS.get(k, k)} {v:,}" for k, v in changes.items()]
        verb = "将会" if dry_run else "已经"
        console.print(Text(f"{verb}: " + "，".join(parts)))
    if dry_run:
        console.print(Text("试运行：未写入任何数据 (dry run: nothing was written)", "yellow"))
    elif report.committable and report.aborted is None:
        console.print(Text(f"完成 (done): 导入 {report.mapped:,} 条", "green"))


def exit_code(report: ImportReport) -> int:
    """For a CLI: 0 when the run completed (rejected rows are in the report), 1 when it was aborted."""
    return 0 if report.aborted is None else 1
