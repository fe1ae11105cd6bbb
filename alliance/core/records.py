"""What a rating source yields: one enterprise and its indicator values under the alliance standard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IndicatorValue = float | int | bool | str | None


@dataclass(frozen=True)
class EnterpriseRecord:
    uscc: str
    name: str
    indicators: dict[str, IndicatorValue] = field(default_factory=dict)
    # Where the record came from (row number or record id), for import reports.
    origin: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
