"""The rating-source interface the park node consumes, and what an import run reports.

A source streams raw rows (`RawRecord`: where it came from and its fields under the park's own names);
the mapping layer turns each into an `EnterpriseRecord` under the alliance standard's indicator codes.
Two kinds of failure are kept apart on purpose:

- a row that cannot be mapped is a *problem*: reported with its origin and reason, and the rest is imported;
- a source that cannot be read (HTTP 500, a timeout, an undecodable file, a missing column) raises
  `SourceError`: the run is *aborted* and, all-or-nothing, nothing of it is committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from alliance.core.records import EnterpriseRecord
from alliance.errors import AllianceError


@dataclass(slots=True)
class RawRecord:
    # "row 17" (spreadsheets: the row number the user sees), "record id 42" or "page 3 item 7" (services).
    origin: str
    fields: dict[str, Any]
    # Set by the source when the row itself is malformed (wrong number of CSV fields, an item that is not an
    # object): the importer reports it as a problem instead of mapping it.
    problem: str | None = None


@runtime_checkable
class RatingSource(Protocol):
    """Anything that streams raw rows. Implementations write `async def records(self)` with `yield`.

    Spelled without `async` here because an async generator function is a plain callable returning an
    AsyncIterator. Sources may also offer `async def total_hint(self) -> int | None` (rows expected, for the
    progress bar); the importer asks for it only when it exists.
    """

    def records(self) -> AsyncIterator[RawRecord]: ...

    def describe(self) -> str: ...


class SourceError(AllianceError):
    """The source itself failed: the whole run is aborted (never a per-row problem)."""

    code = "SOURCE_FAILED"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    all_or_nothing: bool = True
    read: int = 0  # raw rows read from the source
    mapped: int = 0  # rows that became records (delivered or kept)
    problems: list[ImportProblem] = field(default_factory=list)  # the first `limit_problems` of them
    problem_count: int = 0  # all of them, also those beyond the limit
    # The records to commit when no sink was given; empty when an all-or-nothing run was aborted.
    records: list[EnterpriseRecord] = field(default_factory=list)
    delivered: int = 0  # records handed to the sink (a sink's consumer rolls back when not `ok`)
    aborted: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The source was read to the end (rows may still have been rejected: see `problems`)."""
        return self.aborted is None

    @property
    def committable(self) -> bool:
        """Whether the caller may commit what this run produced."""
        return self.aborted is None or not self.all_or_nothing

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0
