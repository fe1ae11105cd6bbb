"""Running a blocking row reader in a worker thread, in batches, behind an async iterator.

File parsing (csv, openpyxl) is blocking; done on the event loop it would stall the park node's endpoint
for the length of an import. A worker thread reads a batch at a time, so the loop runs between batches,
and the cost of the thread hop is paid once per batch rather than once per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

BATCH = 2000


async def in_batches(rows: Iterator[T], batch: int = BATCH) -> AsyncIterator[T]:
    """Yield the items of the blocking iterator `rows`, read `batch` at a time in a worker thread."""
    try:
        while True:
            chunk = await asyncio.to_thread(_take, rows, batch)
            for item in chunk:
                yield item
            if len(chunk) < batch:
                return
    finally:
        # Closes files the generator holds when the consumer stops early.
        # A generator's close() only runs its finally blocks (closing a file): cheap enough for the loop.
        close = getattr(rows, "close", None)
        if close is not None:
            try:
                close()
            except ValueError:
                pass  # still executing in the worker thread (the consumer was cancelled): it ends on its own


def _take(rows: Iterator[T], n: int) -> list[T]:
    return list(islice(rows, n))
