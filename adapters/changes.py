"""What an import would change, for a dry run: new, changed and unchanged enterprises.

The adapters do not know the node's storage; the node passes what it currently holds for a USCC (or None) and
gets a tally that `format_report(..., changes=tally.counts)` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alliance.core.records import EnterpriseRecord


def classify(new: EnterpriseRecord, current: EnterpriseRecord | Mapping[str, Any] | None) -> str:
    """ "new", "changed" or "unchanged"; `current` is a record or {"name": ..., "indicators": {...}}."""
    if current is None:
        return "new"
    if isinstance(current, EnterpriseRecord):
        name, indicators = current.name, current.indicators
    else:
        name, indicators = current.get("name"), current.get("indicators") or {}
    return "unchanged" if (name, dict(indicators)) == (new.name, new.indicators) else "changed"


@dataclass
class ChangeTally:
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0})

    def add(self, new: EnterpriseRecord, current: EnterpriseRecord | Mapping[str, Any] | None) -> str:
        kind = classify(new, current)
        self.counts[kind] += 1
        return kind
