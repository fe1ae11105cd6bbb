"""Standards: the use cases of alliance admins (publish, retire) and of everyone (read, score).

Lifecycle: draft → published (signed by the alliance) → superseded (by the next published version) → retired.
A published document never changes: its signature covers it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from alliance.core import jws
from alliance.core.keys import PublicKey, SigningKey
from alliance.core.scoring import ScoreResult, score
from alliance.core.standard import Standard, compare_versions, validate_standard
from alliance.core.verdict import Verdict, failure, success
from alliance.errors import Conflict, InvalidInput, NotFound
from alliance.services.audit import AuditTrail, _utc
from alliance.services.auth import ADMIN, Principal
from alliance.storage.db import Database
from alliance.storage.models import StandardRow

STANDARD_TYP = "rating-standard+jws"
DRAFT, PUBLISHED, SUPERSEDED, RETIRED = "draft", "published", "superseded", "retired"
STATUSES = (DRAFT, PUBLISHED, SUPERSEDED, RETIRED)


@dataclass(frozen=True)
class StandardRecord:
    id: str
    version: str
    title: str
    status: str
    document: dict[str, Any]
    signature: str | None
    created_at: datetime
    published_at: datetime | None
    superseded_at: datetime | None
    retired_at: datetime | None
    published_by: str | None

    @property
    def key(self) -> str:
        return f"{self.id} {self.version}"

    @property
    def standard(self) -> Standard:
        return validate_standard(self.document)

    @classmethod
    def of(cls, row: StandardRow) -> StandardRecord:
        def opt(v: datetime | None) -> datetime | None:
            return _utc(v) if v else None

        return cls(
            row.standard_id, row.version, row.title, row.status, row.document, row.signature,
            _utc(row.created_at), opt(row.published_at), opt(row.superseded_at), opt(row.retired_at),
            row.published_by,
        )


def verify_standard_signature(
    document: dict[str, Any], signature: str | None, alliance_keys: dict[str, PublicKey]
) -> Verdict:
    """Check a published standard with the alliance's public key alone (the signature is a detached JWS)."""
    if not signature:
        return failure("not signed: only a published standard carries the alliance's signature")
    try:
        jws.verify_document(signature, alliance_keys, STANDARD_TYP, document=document)
    except jws.TokenError as exc:
        return failure(f"the signature does not verify: {exc.message}")
    return success("signed by the alliance")


class StandardsService:
    def __init__(self, db: Database, alliance_key: SigningKey, audit: AuditTrail) -> None:
        self.db = db
        self.key = alliance_key
        self.audit = audit
        self._parsed: dict[tuple[str, str], Standard] = {}
        self._snapshot: tuple[float, StandardsSnapshot] | None = None
        self._refresh = asyncio.Lock()

    # Reading --------------------------------------------------------------------------------------------
    async def list(self, status: str | None = None) -> list[StandardRecord]:
        query = select(StandardRow).order_by(StandardRow.standard_id, StandardRow.pk)
        if status:
            if status not in STATUSES:
                raise InvalidInput(f"unknown status {status!r}; statuses are {', '.join(STATUSES)}")
            query = query.where(StandardRow.status == status)
        async with self.db.session() as s:
            rows = (await s.scalars(query)).all()
        return sorted((StandardRecord.of(r) for r in rows), key=_order)

    async def get(self, standard_id: str, version: str) -> StandardRecord:
        async with self.db.session() as s:
            row = await s.scalar(
                select(StandardRow).where(StandardRow.standard_id == standard_id, StandardRow.version == version)
            )
        if row is None:
            raise NotFound(f"no standard {standard_id} {version}")
        return StandardRecord.of(row)

    async def current(self, standard_id: str) -> StandardRecord | None:
        """The published version in force, if any."""
        published = [r for r in await self.list(PUBLISHED) if r.id == standard_id]
        return published[-1] if published else None

    async def parsed(self, standard_id: str, version: str) -> Standard:
        """The validated standard, cached: a stored document never changes."""
        cached = self._parsed.get((standard_id, version))
        if cached is None:
            cached = (await self.get(standard_id, version)).standard
            self._parsed[(standard_id, version)] = cached
        return cached

    async def snapshot(self, max_age: float = 2.0) -> StandardsSnapshot:
        """A short-lived memo: several replicas share the database, so it is re-read every few seconds."""
        held = self._snapshot
        if held and time.monotonic() - held[0] < max_age:
            return held[1]
        async with self._refresh:  # one reader refreshes; the others take its result
            held = self._snapshot
            if held and time.monotonic() - held[0] < max_age:
                return held[1]
            return await self._take_snapshot()

    async def _take_snapshot(self) -> StandardsSnapshot:
        now = time.monotonic()
        records = await self.list()
        parsed = {}
        for r in records:
            key = (r.id, r.version)
            if key not in self._parsed:
                self._parsed[key] = r.standard
            parsed[key] = self._parsed[key]
        current = {r.id: parsed[(r.id, r.version)] for r in records if r.status == PUBLISHED}
        snap = StandardsSnapshot({(r.id, r.version): r.status for r in records}, parsed, current)
        self._snapshot = (now, snap)
        return snap

    async def score(self, standard_id: str, version: str, indicators: dict[str, Any]) -> ScoreResult:
        if not isinstance(indicators, dict):
            raise InvalidInput("indicators must be a JSON object of indicator code → value")
        return score(await self.parsed(standard_id, version), indicators)

    # Admin actions ---------------------------------------------------------------------------------------
    async def save_draft(self, principal: Principal, document: Any) -> StandardRecord:
        async with self.audit.action(principal, "draftStandard", _target(document)):
            principal.require(ADMIN, action="saving a draft standard")
            standard = validate_standard(document)
            now = datetime.now(UTC)
            async with self.db.session() as s:
                row = await self._row(s, standard.id, standard.version)
                if row is not None and row.status != DRAFT:
                    raise Conflict(f"{standard.key} is already {row.status}; a new version needs a new number")
                if row is None:
                    row = StandardRow(standard_id=standard.id, version=standard.version, created_at=now)
                    s.add(row)
                row.title, row.status, row.document = standard.title, DRAFT, standard.document
            return StandardRecord.of(row)

    async def publish(self, principal: Principal, document: Any) -> StandardRecord:
        async with self.audit.action(principal, "publishStandard", _target(document)) as audit:
            principal.require(ADMIN, action="publishing a standard")
            standard = validate_standard(document)
            now = datetime.now(UTC)
            signature = jws.sign_detached_document(standard.document, self.key, STANDARD_TYP, detached=True)
            try:
                async with self.db.session() as s:
                    row = await self._row(s, standard.id, standard.version)
                    if row is not None and row.status != DRAFT:
                        raise Conflict(f"{standard.key} is already {row.status}; a published standard never changes")
                    current = await s.scalar(
                        select(StandardRow).where(
                            StandardRow.standard_id == standard.id, StandardRow.status == PUBLISHED
                        )
                    )
                    if current is not None:
                        if compare_versions(standard.version, current.version) <= 0:
                            raise Conflict(
                                f"{standard.key} is not newer than the published {current.standard_id} "
                                f"{current.version}"
                            )
                        current.status, current.superseded_at = SUPERSEDED, now
                        audit.detail = f"supersedes {current.standard_id} {current.version}"
                    if row is None:
                        row = StandardRow(standard_id=standard.id, version=standard.version, created_at=now)
                        s.add(row)
                    row.title, row.status, row.document = standard.title, PUBLISHED, standard.document
                    row.signature, row.published_at, row.published_by = signature, now, principal.subject
            except IntegrityError as exc:  # a concurrent publish of the same version
                raise Conflict(f"{standard.key} was published concurrently") from exc
            self._snapshot = None
            return StandardRecord.of(row)

    async def retire(self, principal: Principal, standard_id: str, version: str) -> StandardRecord:
        async with self.audit.action(principal, "retireStandard", f"{standard_id} {version}"):
            principal.require(ADMIN, action="retiring a standard")
            async with self.db.session() as s:
                row = await self._row(s, standard_id, version)
                if row is None:
                    raise NotFound(f"no standard {standard_id} {version}")
                if row.status == RETIRED:
                    raise Conflict(f"{standard_id} {version} is already retired")
                if row.status == DRAFT:
                    raise Conflict(f"{standard_id} {version} is a draft; only a published standard retires")
                row.status, row.retired_at = RETIRED, datetime.now(UTC)
            self._snapshot = None
            return StandardRecord.of(row)

    @staticmethod
    async def _row(session: Any, standard_id: str, version: str) -> StandardRow | None:
        return await session.scalar(
            select(StandardRow).where(StandardRow.standard_id == standard_id, StandardRow.version == version)
        )


def _target(document: Any) -> str:
    if isinstance(document, dict):
        return f"{document.get('id', '?')} {document.get('version', '?')}"
    return "?"


def _order(record: StandardRecord) -> tuple:
    from functools import cmp_to_key

    return (record.id, cmp_to_key(compare_versions)(record.version))


@dataclass(frozen=True)
class StandardsSnapshot:
    """Every stored standard's status and parsed form, for the hot path of federated queries."""

    statuses: dict[tuple[str, str], str]
    parsed: dict[tuple[str, str], Standard]
    current: dict[str, Standard]

    def standard_for(self, standard_id: str, version: str) -> Standard | None:
        return self.parsed.get((standard_id, version))
