"""Verdicts: the result of a check, falsy with a human-readable reason.

Checks compose: `all_of` passes when every check passes and reports the first refusal; `any_of` passes when
one check passes and otherwise lists every reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.reason or ("ok" if self.ok else "refused")


def success(reason: str = "ok", **details: Any) -> Verdict:
    return Verdict(True, reason, details)


def failure(reason: str, **details: Any) -> Verdict:
    return Verdict(False, reason, details)


Check = Callable[[], Verdict]


def all_of(checks: Iterable[Check]) -> Verdict:
    """Run checks in order; the first refusal is the answer."""
    last = success()
    for check in checks:
        last = check()
        if not last:
            return last
    return last


def any_of(checks: Iterable[Check]) -> Verdict:
    """Pass when one check passes; otherwise refuse with every reason."""
    reasons: list[str] = []
    for check in checks:
        verdict = check()
        if verdict:
            return verdict
        reasons.append(verdict.reason)
    return failure("; ".join(reasons) or "no check passed")
