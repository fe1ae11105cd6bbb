"""The heart of the product: everything the alliance knows about an enterprise, asked of every park at once.

One report per enterprise: every park's rating (verified), whether each member park recognises it, the
red/black-list entries, the joint measures that follow, and where each part came from (`sources`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select

from alliance.core import jws
from alliance.core import uscc as uscc_codes
from alliance.core.attestation import AttestationVerdict, Code
from alliance.core.recognition import ListingFact, RatingFact, measures, recognition
from alliance.core.standard import Measure
from alliance.core.verdict import Verdict
from alliance.errors import AllianceError, InvalidInput, LimitExceeded
from alliance.services.auth import ADMIN, ENTERPRISE, PARK, PARK_OPERATOR, Principal
from alliance.services.cache import SharedCache
from alliance.services.federation import OK, Federation, ParkRating, Source, StandardStatusLookup
from alliance.services.registry import ParkRecord, RegistryService
from alliance.services.standards import StandardsService, StandardsSnapshot
from alliance.storage.db import Database
from alliance.storage.models import HoldingRow

log = logging.getLogger("alliance.enterprises")


@dataclass(frozen=True)
class RatingView:
    park: ParkRecord
    grade: str | None
    score: float | None  # None when the caller may not see it
    standard_id: str | None
    standard_version: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    attestation: str | None  # None when the caller may not see it (the token carries the score)
    verdict: AttestationVerdict
    breakdown: Any
    from_cache: bool


@dataclass(frozen=True)
class RecognitionView:
    park: ParkRecord
    recognised: bool
    reason: str
    basis: ParkRecord | None


@dataclass(frozen=True)
class ListingView:
    park: ParkRecord
    id: str
    kind: str
    reason: str
    legal_basis: str
    since: str
    until: str | None
    active: bool


@dataclass(frozen=True)
class MeasureView:
    measure: Measure
    basis: str
    parks: list[ParkRecord]


@dataclass
class EnterpriseReport:
    uscc: str
    name: str | None
    home_park: ParkRecord | None
    ratings: list[RatingView] = field(default_factory=list)
    recognition: list[RecognitionView] = field(default_factory=list)
    listings: list[ListingView] = field(default_factory=list)
    measures: list[MeasureView] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    full_view: bool = False

    @property
    def recognised_count(self) -> int:
        return sum(1 for r in self.recognition if r.recognised)


@dataclass(frozen=True)
class SearchHit:
    uscc: str
    name: str
    parks: list[ParkRecord]
    grade: str | None


def sees_everything(principal: Principal, uscc: str) -> bool:
    """Anonymous callers see public credit information only; parks see all; an enterprise sees all of itself."""
    if principal.role in (PARK, PARK_OPERATOR, ADMIN):
        return True
    return principal.role == ENTERPRISE and principal.uscc == uscc


class EnterpriseService:
    def __init__(self, db: Database, registry: RegistryService, standards: StandardsService, federation: Federation,
                 cache: SharedCache, *, max_batch: int, index_ttl: float = 600.0) -> None:
        self.db = db
        self.registry = registry
        self.standards = standards
        self.federation = federation
        self.cache = cache
        self.max_batch = max_batch
        self.index_ttl = index_ttl
        self._background: set[asyncio.Future] = set()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("learning park holdings failed: %s", task.exception())

    async def settle(self) -> None:
        """Wait for the bookkeeping still running (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # Queries ---------------------------------------------------------------------------------------------
    async def report(self, principal: Principal, uscc: str, *, fresh: bool = False) -> EnterpriseReport:
        code = uscc_codes.validate(uscc)
        result = (await self._reports(principal, [code], fresh=fresh))[0]
        assert isinstance(result, EnterpriseReport)
        return result

    async def reports(self, principal: Principal, usccs: list[str], *, fresh: bool = False
                      ) -> list[EnterpriseReport | AllianceError]:
        """One report per code in the order asked; an invalid code is that item's error, not the batch's."""
        if len(usccs) > self.max_batch:
            raise LimitExceeded(f"a batch takes at most {self.max_batch} enterprises, got {len(usccs)}")
        return await self._reports(principal, usccs, fresh=fresh)

    async def _reports(self, principal: Principal, usccs: list[str], *, fresh: bool
                       ) -> list[EnterpriseReport | AllianceError]:
        checked: list[str | AllianceError] = []
        for raw in usccs:
            try:
                checked.append(uscc_codes.validate(raw))
            except AllianceError as exc:
                checked.append(exc)
        valid = list(dict.fromkeys(c for c in checked if isinstance(c, str)))
        parks = await self.registry.parks()
        snapshot = await self.standards.snapshot()
        answer_ratings: dict[str, list[ParkRating]] = {}
        sources: list[Source] = []
        if valid and parks:
            plan = await self._plan(valid, parks, fresh)
            answer = await self.federation.gather(plan, parks, StandardStatusLookup(snapshot.statuses), force=fresh)
            answer_ratings, sources = answer.ratings, answer.sources
            # Learning which park holds what is bookkeeping: it runs after the answer, not before it.
            self._spawn(self._learn(valid, plan, answer_ratings, sources))
        reports = {
            code: self._assemble(principal, code, answer_ratings.get(code, []), sources, parks, snapshot)
            for code in valid
        }
        return [reports[c] if isinstance(c, str) else c for c in checked]

    async def search(self, query: str, first: int = 20) -> list[SearchHit]:
        query = query.strip()
        if len(query) < 2:
            raise InvalidInput("search needs at least 2 characters of a name or a USCC prefix")
        first = max(1, min(first, 100))
        parks = [p for p in await self.registry.parks() if p.active]
        by_id = {p.id: p for p in parks}
        hits: dict[str, dict[str, Any]] = {}

        async def ask(park: ParkRecord) -> None:
            breaker = self.federation.breaker(park.id)
            if not breaker.allow():
                return
            try:
                items = await asyncio.wait_for(
                    self.federation.client.search(park.endpoint, query, first, self.federation.park_deadline),
                    self.federation.park_deadline + 0.05,
                )
            except Exception:  # a park that fails a search only costs its own hits
                breaker.record_failure()
                return
            breaker.record_success()
            for item in items:
                hit = hits.setdefault(item["uscc"], {"name": item.get("name") or "", "parks": [], "grade": None})
                hit["parks"].append(park.id)
                hit["grade"] = hit["grade"] or item.get("grade")

        await asyncio.gather(*(ask(p) for p in parks))
        # The index of holdings answers too, for parks that are down right now.
        pattern = f"%{query}%"
        async with self.db.session() as s:
            rows = (await s.scalars(select(HoldingRow).where(
                or_(HoldingRow.name.like(pattern), HoldingRow.uscc.like(f"{query.upper()}%"))).limit(first))).all()
        for row in rows:
            hit = hits.setdefault(row.uscc, {"name": row.name, "parks": [], "grade": None})
            if row.park_id not in hit["parks"]:
                hit["parks"].append(row.park_id)
        ordered = sorted(hits.items(), key=lambda kv: (not kv[0].startswith(query.upper()), kv[1]["name"], kv[0]))
        return [SearchHit(u, h["name"], [by_id[p] for p in h["parks"] if p in by_id], h["grade"])
                for u, h in ordered[:first]]

    async def verify(self, token: str) -> AttestationVerdict:
        """The shared verifier, fed from the registry (park statement) and the park (status list)."""
        try:
            claims = jws.unverified_claims(token)
        except jws.TokenError as exc:
            return AttestationVerdict(ok=False, reason=exc.message, status=Code.MALFORMED)
        park = await self.registry.find(str(claims.get("iss", "")))
        if park is None:
            return AttestationVerdict(ok=False, reason=f"issued by {claims.get('iss')!r}, not a member park",
                                      status=Code.PARK_STATEMENT_INVALID)
        snapshot = await self.standards.snapshot()
        return await self.federation.verify(park, token, StandardStatusLookup(snapshot.statuses))

    # Which parks to ask ------------------------------------------------------------------------------------
    async def _plan(self, usccs: list[str], parks: list[ParkRecord], fresh: bool) -> dict[str, list[str]]:
        """Every park for an enterprise not swept lately; only the parks known to hold it otherwise.

        The index lives in the shared cache (`holders:<uscc>`, for `index_ttl`), so the hot path never waits for
        the database; the database keeps the durable copy that search and the dashboard read.
        """
        marks = [None] * len(usccs) if fresh else await asyncio.gather(
            *(self.cache.get(f"holders:{u}") for u in usccs))
        plan: dict[str, list[str]] = {p.id: [] for p in parks}
        for u, mark in zip(usccs, marks, strict=True):
            holders = None if mark is None else set(json.loads(mark))
            for p in parks:
                if holders is None or p.id in holders:
                    plan[p.id].append(u)
        return plan

    async def _learn(self, usccs: list[str], plan: dict[str, list[str]], ratings: dict[str, list[ParkRating]],
                     sources: list[Source]) -> None:
        """Keep the index of holdings, from fresh answers only.

        An enterprise that every park asked about answered for gets its holders recorded in the cache; the
        database rows change only where a park's answer differs from what was known.
        """
        ok_parks = {s.park.id for s in sources if s.status == OK}
        if not ok_parks:
            return
        failed = {s.park.id for s in sources if s.status not in (OK, "SKIPPED")}
        asked_ok: dict[str, list[str]] = {}
        for pid, codes in plan.items():
            if pid in ok_parks:
                for u in codes:
                    asked_ok.setdefault(u, []).append(pid)
        found: dict[str, dict[str, str]] = {}
        for u, items in ratings.items():
            for r in items:
                if r.found and not r.from_cache and r.park.id in ok_parks:
                    found.setdefault(u, {})[r.park.id] = r.name or ""
        previous = await asyncio.gather(*(self.cache.get(f"holders:{u}") for u in usccs))
        writes, changed = [], []
        for u, before in zip(usccs, previous, strict=True):
            held = found.get(u, {})
            complete = not any(u in plan.get(pid, []) for pid in failed)
            known = set(json.loads(before)) if before else None
            if complete:
                writes.append(self.cache.set(f"holders:{u}", json.dumps(sorted(held)).encode(), self.index_ttl))
            if known is None or any((pid in held) != (pid in known) for pid in asked_ok.get(u, [])):
                changed.append(u)
        await asyncio.gather(*writes)
        if not changed:
            return
        now = datetime.now(UTC)
        async with self.db.session() as s:
            for i in range(0, len(changed), 500):
                part = changed[i:i + 500]
                for pid in ok_parks:
                    codes = [u for u in part if pid in asked_ok.get(u, [])]
                    if codes:
                        await s.execute(delete(HoldingRow).where(HoldingRow.park_id == pid, HoldingRow.uscc.in_(codes)))
            s.add_all(HoldingRow(park_id=pid, uscc=u, name=name, seen_at=now)
                      for u in changed for pid, name in found.get(u, {}).items())

    # Assembly --------------------------------------------------------------------------------------------
    def _assemble(self, principal: Principal, uscc: str, items: list[ParkRating], sources: list[Source],
                  parks: list[ParkRecord], snapshot: StandardsSnapshot) -> EnterpriseReport:
        full = sees_everything(principal, uscc)
        found = [r for r in items if r.found]
        ratings: list[RatingView] = []
        facts: list[RatingFact] = []
        listings: list[ListingView] = []
        for r in found:
            verdict = r.verdict
            if verdict is None:  # (a verdict is falsy when it refuses: test for None, not truth)
                verdict = AttestationVerdict(ok=False, reason=f"{r.park.name} sent no attestation",
                                             status=Code.MALFORMED)
            claims = verdict.claims or {}
            std = claims.get("std") or {}
            ratings.append(RatingView(
                park=r.park,
                grade=claims.get("grade"),
                score=claims.get("score") if full else None,
                standard_id=std.get("id"),
                standard_version=std.get("version"),
                issued_at=_ts(claims.get("iat")),
                expires_at=_ts(claims.get("exp")),
                attestation=r.token if full else None,
                verdict=verdict,
                breakdown=r.breakdown if full else None,
                from_cache=r.from_cache,
            ))
            facts.append(RatingFact(r.park.id, r.park.name, claims.get("grade"), std.get("id"), std.get("version"),
                                    verdict))
        for r in items:
            for entry in r.listings:
                listings.append(ListingView(
                    park=r.park, id=str(entry.get("id", "")), kind=str(entry.get("kind", "")).lower(),
                    reason=str(entry.get("reason", "")), legal_basis=str(entry.get("legalBasis", "")),
                    since=str(entry.get("since", "")), until=entry.get("until"), active=bool(entry.get("active")),
                ))
        listing_facts = [ListingFact(lv.park.id, lv.park.name, lv.kind, lv.reason, lv.active) for lv in listings]
        members = self.registry.members(parks)
        status = StandardStatusLookup(snapshot.statuses)
        verdicts: dict[str, Verdict] = {
            m.park_id: recognition(m, facts, listing_facts, standard_for=snapshot.standard_for, standard_status=status)
            for m in members
        }
        by_id = {p.id: p for p in parks}
        recog = [
            RecognitionView(by_id[pid], bool(v), v.reason, by_id.get(v.details.get("park_id", "")) if v else None)
            for pid, v in verdicts.items()
        ]
        current = next(iter(snapshot.current.values()), None)
        measure_views = [
            MeasureView(m.measure, m.basis, [by_id[p] for p in m.park_ids if p in by_id])
            for m in measures(verdicts, facts, listing_facts, members, standard_for=snapshot.standard_for,
                              current=current)
        ]
        valid_first = [r for r in ratings if r.verdict] or ratings
        home = valid_first[0].park if valid_first else None
        name = next((r.name for r in found if r.name), None)
        return EnterpriseReport(uscc, name, home, ratings, recog, listings, measure_views, sources, full)


def _ts(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None

