"""The park node's own database as a rating source: a thin adapter over a fetch function the node supplies.

The adapters never import the node's storage; the node hands over `fetch`, a callable returning an async (or
plain) iterable of `EnterpriseRecord`s or dicts. Records become rows that `FieldMapping.passthrough()` maps
back (re-checking the USCC and, given the standard's codes, the indicator codes); dicts are mapped like any
other source's rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from adapters.base import RawRecord
from alliance.core.records import EnterpriseRecord

Fetch = Callable[
    [], AsyncIterable[EnterpriseRecord | dict[str, Any]] | Iterable[EnterpriseRecord | dict[str, Any]]
]


class DatabaseSource:
    def __init__(self, fetch: Fetch, *, id_field: str = "id", label: str = "本园区数据库") -> None:
        self.fetch = fetch
        self.id_field = id_field  # the key of a dict row that identifies it in reports
        self.label = label

    def describe(self) -> str:
        return f"{self.label} (the park node's database)"

    async def records(self) -> AsyncIterator[RawRecord]:
        rows = self.fetch()
        number = 0
        if isinstance(rows, AsyncIterable):
            async for row in rows:
                number += 1
                yield self._raw(row, number)
        else:
            for row in rows:
                number += 1
                yield self._raw(row, number)

    def _raw(self, row: Any, number: int) -> RawRecord:
        if isinstance(row, EnterpriseRecord):
            fields = {"uscc": row.uscc, "name": row.name, "indicators": row.indicators, "extra": row.extra}
            return RawRecord(row.origin or f"record {number}", fields)
        if isinstance(row, dict):
            ident = row.get(self.id_field)
            return RawRecord(f"record id {ident}" if ident is not None else f"record {number}", row)
        return RawRecord(f"record {number}", {}, f"不是记录 (not a record: {type(row).__name__})")
