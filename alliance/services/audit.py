"""The audit trail: every admin action, with who, what, when and the outcome, readable back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alliance.errors import AllianceError
from alliance.services.auth import Principal
from alliance.services.history import LOGGED_ACTIONS, HistoryLog
from alliance.storage.db import Database
from alliance.storage.models import AuditRow


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    outcome: str
    detail: str


class AuditTrail:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self, principal: Principal, action: str, target: str, outcome: str, detail: str = ""
    ) -> None:
        # Its own transaction: a refused action is recorded even though the action itself changed nothing.
        # What changes trust also goes into the history log, in the same transaction; two replicas appending
        # at once collide on the sequence number, and the later one tries again.
        at = datetime.now(UTC)
        for attempt in range(5):
            try:
                async with self.db.session() as s:
                    s.add(AuditRow(at=at, actor=principal.subject, role=principal.role, action=action, target=target,
                                   outcome=outcome, detail=detail[:4000]))
                    if outcome == "ok" and action in LOGGED_ACTIONS:
                        await HistoryLog.append(s, {"at": at.isoformat(timespec="seconds"), "actor": principal.subject,
                                                    "action": action, "target": target, "detail": detail[:4000]})
                return
            except IntegrityError:
                if attempt == 4:
                    raise

    def action(self, principal: Principal, action: str, target: str) -> Audited:
        return Audited(self, principal, action, target)

    async def entries(self, *, limit: int = 100, action: str | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.pk.desc()).limit(max(1, min(limit, 1000)))
        if action:
            query = query.where(AuditRow.action == action)
        async with self.db.session() as s:
            rows = (await s.scalars(query)).all()
        return [
            AuditEntry(_utc(r.at), r.actor, r.role, r.action, r.target, r.outcome, r.detail) for r in rows
        ]


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Audited:
    """`async with trail.action(principal, "publishStandard", "ACS 2025.1"):` records how the block ended."""

    def __init__(self, trail: AuditTrail, principal: Principal, action: str, target: str) -> None:
        self.trail, self.principal, self.action, self.target = trail, principal, action, target
        self.detail = ""

    async def __aenter__(self) -> Audited:
        return self

    async def __aexit__(self, exc_type: type | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None:
            outcome, detail = "ok", self.detail
        elif isinstance(exc, AllianceError):
            outcome, detail = "refused", exc.message
        else:
            outcome, detail = "error", f"{type(exc).__name__}: {exc}"
        await self.trail.record(self.principal, self.action, self.target, outcome, detail)
