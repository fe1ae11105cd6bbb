"""Running an import: stream a source through a mapping, collect problems, and decide what may be committed.

Rows that cannot be mapped are reported (origin and reason) and the rest is imported. When the source itself
fails, the run is aborted: all-or-nothing (the default), nothing of it is returned for committing. Records can
be kept in the report (small imports, tests) or handed in batches to a `sink` as they come, which keeps memory
flat however large the input. With a sink, all-or-nothing is the sink's transaction: write batches inside one
transaction (or into a staging table) and commit only when `report.committable`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from adapters.base import ImportProblem, ImportReport, RatingSource, SourceError
from adapters.config import ImportPlan
from adapters.mapping import FieldMapping, MappingError
from adapters.progress import EVERY, ProgressBar
from alliance.core.records import EnterpriseRecord

Sink = Callable[[list[EnterpriseRecord]], Awaitable[None] | None]


class _TooManyBadRows(Exception):
    pass


async def iter_mapped(
    source: RatingSource, mapping: FieldMapping
) -> AsyncIterator[EnterpriseRecord | ImportProblem]:
    """One item per raw row: the record, or the problem that kept the row out. SourceError propagates."""
    map_record = mapping.map_record
    # aclosing: a consumer that stops early closes the source at once (its file or HTTP client).
    async with aclosing(source.records()) as raws:
        async for raw in raws:
            if raw.problem is not None:
                yield ImportProblem(raw.origin, raw.problem)
                continue
            try:
                yield map_record(raw)
            except MappingError as e:
                yield ImportProblem(raw.origin, e.reason)


async def run_import(
    source: RatingSource,
    mapping: FieldMapping,
    *,
    all_or_nothing: bool = True,
    progress: Any = False,
    limit_problems: int = 1000,
    max_bad_rows: int | None = None,
    duplicates: str = "reject",
    sink: Sink | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Import everything `source` has; see the module's docstring for what is committed when.

    progress: False, True (a rich bar on large inputs), or a rich `Progress` to add the task to.
    sink: called with each batch of up to `batch_size` records (sync or async); then `report.records` stays
    empty and `report.delivered` counts. A sink that raises stops the run and the exception propagates.
    """
    if duplicates not in ("reject", "keep_last"):
        raise ValueError(f"duplicates must be 'reject' or 'keep_last', not {duplicates!r}")
    report = ImportReport(source=source.describe(), all_or_nothing=all_or_nothing)
    problems = report.problems
    # USCC -> origin of its first row. It grows with the number of enterprises (about 150 bytes each);
    # duplicates = "keep_last" leaves duplicates to the storage's upsert and keeps memory flat.
    seen: dict[str, str] | None = {} if duplicates == "reject" else None
    keep = report.records
    batch: list[EnterpriseRecord] = []
    bar = await ProgressBar.maybe(progress, source)
    started = time.perf_counter()
    read = 0
    try:
        async with aclosing(iter_mapped(source, mapping)) as items:
            async for item in items:
                read += 1
                if seen is not None and type(item) is EnterpriseRecord:
                    item = _unless_seen(seen, item)
                if type(item) is EnterpriseRecord:
                    report.mapped += 1
                    if sink is None:
                        keep.append(item)
                    else:
                        batch.append(item)
                        if len(batch) >= batch_size:
                            await _deliver(sink, batch)
                            report.delivered += len(batch)
                            batch = []
                else:
                    report.problem_count += 1
                    if len(problems) < limit_problems:
                        problems.append(item)
                    if max_bad_rows is not None and report.problem_count > max_bad_rows:
                        raise _TooManyBadRows
                if bar is not None and read % EVERY == 0:
                    await bar.update(read, source)
    except SourceError as e:
        report.aborted = e.message
    except _TooManyBadRows:
        report.aborted = (
            f"无法导入的行超过 max_bad_rows = {max_bad_rows}，已中止 "
            f"(more than {max_bad_rows} rows could not be mapped: is the mapping right?)"
        )
    except OSError as e:  # a file vanishing or a disk failing mid-read is the source failing too
        report.aborted = f"读取失败 (read failed: {e})"
    finally:
        report.read = read
        report.source = source.describe()  # again: now it can say what it found (e.g. the encoding)
        report.seconds = time.perf_counter() - started
        if bar is not None:
            bar.close(read)
    if report.aborted is None or not all_or_nothing:
        if batch:
            await _deliver(sink, batch)  # type: ignore[arg-type]
            report.delivered += len(batch)
    else:
        keep.clear()
    return report


def _unless_seen(seen: dict[str, str], record: EnterpriseRecord) -> EnterpriseRecord | ImportProblem:
    first = seen.get(record.uscc)
    if first is None:
        seen[record.uscc] = record.origin
        return record
    return ImportProblem(
        record.origin, f"统一社会信用代码 {record.uscc} 与 {first} 重复 (duplicate USCC, first at {first})"
    )


async def _deliver(sink: Sink, batch: list[EnterpriseRecord]) -> None:
    result = sink(batch)
    if inspect.isawaitable(result):
        await result


async def run_plan(plan: ImportPlan, *, progress: Any = False, sink: Sink | None = None) -> ImportReport:
    """`run_import` with the options of a loaded configuration (`load_import`)."""
    options = plan.options
    return await run_import(
        plan.source,
        plan.mapping,
        all_or_nothing=options.all_or_nothing,
        progress=progress,
        limit_problems=options.limit_problems,
        max_bad_rows=options.max_bad_rows,
        duplicates=options.duplicates,
        sink=sink,
    )
