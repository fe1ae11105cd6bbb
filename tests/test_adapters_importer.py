"""The importer: problems and aborts, sinks and batches, limits, duplicates, progress, the printed report."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress

from adapters import ImportProblem, format_report, iter_mapped, run_import
from adapters.base import RawRecord, SourceError
from adapters.changes import ChangeTally, classify
from adapters.mapping import FieldMapping, IndicatorRule
from adapters.progress import ProgressBar
from alliance.core.records import EnterpriseRecord
from alliance.core.uscc import build


def code(i: int) -> str:
    return build("9", "1", "370800", f"{i:08d}")


class ListSource:
    """Rows from a list; fails with SourceError after `fail_after` rows when given."""

    def __init__(self, rows: list[dict], fail_after: int | None = None, total: int | None = None) -> None:
        self.rows = rows
        self.fail_after = fail_after
        self.total = total

    def describe(self) -> str:
        return "测试数据 (a list)"

    async def total_hint(self) -> int | None:
        return self.total

    async def records(self):
        for n, fields in enumerate(self.rows, 2):
            if self.fail_after is not None and n - 2 == self.fail_after:
                raise SourceError(f"第 {n} 行之后连接断开 (connection lost after row {n - 1})")
            yield RawRecord(f"row {n}", fields)


MAPPING = FieldMapping("uscc", "name", [IndicatorRule("SCORE", "score")])


def rows(n: int, bad: set[int] = frozenset()) -> list[dict]:
    return [{"uscc": code(i), "name": f"济宁{i}", "score": "x" if i in bad else str(i)} for i in range(n)]


async def test_iter_mapped_yields_records_and_problems_in_order():
    items = [item async for item in iter_mapped(ListSource(rows(4, bad={1})), MAPPING)]
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["EnterpriseRecord", "ImportProblem", "EnterpriseRecord", "EnterpriseRecord"]
    assert items[1] == ImportProblem("row 3", "SCORE: 'x' 不是数字 (not a number in score)")


async def test_an_abort_keeps_nothing_unless_configured_otherwise():
    report = await run_import(ListSource(rows(10), fail_after=6), MAPPING)
    assert (report.read, report.mapped, report.records) == (6, 6, [])
    assert "connection lost after row 7" in report.aborted and not report.committable
    partial = await run_import(ListSource(rows(10), fail_after=6), MAPPING, all_or_nothing=False)
    assert len(partial.records) == 6 and partial.committable and not partial.ok


@pytest.mark.parametrize("asynchronous", [True, False])
async def test_a_sink_receives_batches_and_the_report_keeps_none(asynchronous):
    batches: list[list[EnterpriseRecord]] = []

    async def async_sink(batch):
        batches.append(batch)

    sink = async_sink if asynchronous else batches.append
    report = await run_import(ListSource(rows(25, bad={3})), MAPPING, sink=sink, batch_size=10)
    assert [len(b) for b in batches] == [10, 10, 4]
    assert report.records == [] and report.delivered == report.mapped == 24
    assert [r.uscc for b in batches for r in b] == [code(i) for i in range(25) if i != 3]


async def test_with_a_sink_an_abort_withholds_the_last_batch_and_says_roll_back():
    batches: list[list[EnterpriseRecord]] = []
    report = await run_import(
        ListSource(rows(25), fail_after=15), MAPPING, sink=batches.append, batch_size=10
    )
    assert [len(b) for b in batches] == [10]  # the 5 read after it are not delivered
    assert report.delivered == 10 and not report.committable  # the sink's owner rolls the 10 back


async def test_problems_are_counted_beyond_the_limit_kept():
    report = await run_import(ListSource(rows(30, bad=set(range(0, 30, 2)))), MAPPING, limit_problems=4)
    assert report.problem_count == 15 and len(report.problems) == 4 and report.ok


async def test_too_many_bad_rows_abort_the_run():
    report = await run_import(ListSource(rows(30, bad=set(range(10)))), MAPPING, max_bad_rows=5)
    assert report.aborted is not None and "max_bad_rows = 5" in report.aborted and report.records == []
    assert report.read == 6


async def test_duplicates_are_rejected_or_left_to_storage():
    data = [*rows(3), {"uscc": code(1).lower(), "name": "again", "score": "9"}]
    report = await run_import(ListSource(data), MAPPING)
    assert report.mapped == 3
    assert report.problems == [
        ImportProblem("row 5", f"统一社会信用代码 {code(1)} 与 row 3 重复 (duplicate USCC, first at row 3)")
    ]
    kept = await run_import(ListSource(data), MAPPING, duplicates="keep_last")
    assert kept.mapped == 4 and kept.problems == []


async def test_progress_into_a_given_rich_progress():
    progress = Progress(console=Console(file=io.StringIO()), auto_refresh=False)
    seen: list[int] = []
    update = progress.update

    def recording_update(task, **kw):
        if "completed" in kw:
            seen.append(kw["completed"])
        update(task, **kw)

    progress.update = recording_update  # type: ignore[method-assign]
    with progress:
        report = await run_import(ListSource(rows(1200), total=1200), MAPPING, progress=progress)
    assert seen == [500, 1000, 1200]  # every 500 rows while reading, then the end
    task = progress.tasks[0]
    assert task.completed == task.total == report.read == 1200


async def test_a_bar_only_for_large_inputs():
    assert await ProgressBar.maybe(True, ListSource([], total=50)) is None
    assert await ProgressBar.maybe(False, ListSource([], total=10**6)) is None
    bar = await ProgressBar.maybe(True, ListSource([], total=10**6))
    assert bar is not None
    bar.close(0)


def printed(report, dry_run, **kw) -> str:
    console = Console(file=io.StringIO(), width=200, record=True)
    format_report(report, dry_run, console, **kw)
    return console.export_text()


async def test_the_report_as_printed():
    data = rows(5, bad={2})
    data[3]["score"] = "[bold red]oops[/]"  # data is printed as written, never as markup
    report = await run_import(ListSource(data), MAPPING)
    text = printed(report, True, changes={"new": 2, "changed": 1, "unchanged": 0})
    assert "读取 (rows read)" in text and "5" in text
    assert "row 4" in text and "'x' 不是数字" in text
    assert "[bold red]oops[/]" in text
    assert "将会: 新增 (new) 2，变更 (changed) 1，不变 (unchanged) 0" in text
    assert "dry run: nothing was written" in text


async def test_an_aborted_run_as_printed():
    report = await run_import(ListSource(rows(10), fail_after=3), MAPPING)
    text = printed(report, False)
    assert "已中止 (aborted)" in text and "connection lost" in text and "nothing was imported" in text
    assert "完成" not in text


def test_changes_for_a_dry_run():
    new = EnterpriseRecord(code(1), "甲", {"SCORE": 1.0})
    tally = ChangeTally()
    tally.add(new, None)
    tally.add(new, EnterpriseRecord(code(1), "甲", {"SCORE": 1.0}))
    tally.add(new, {"name": "甲", "indicators": {"SCORE": 2.0}})
    assert tally.counts == {"new": 1, "changed": 1, "unchanged": 1}
    assert classify(new, {"name": "乙", "indicators": {"SCORE": 1.0}}) == "changed"
