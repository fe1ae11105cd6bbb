"""A park's statistics, as `ParkInfo.stats` of schema/park.graphql carries them: the park computes them, the
gateway's overview reads them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradeCount:
    grade: str
    standard_id: str
    standard_version: str
    count: int


@dataclass(frozen=True)
class ListingCount:
    month: str  # YYYY-MM of the listing's `since`
    kind: str  # red | black
    count: int
