"""Fan-out to the parks: deadlines, one retry, circuit breakers, the cache of verified attestations.

For each park asked, the answer is one `Source` row (OK, CACHED, TIMEOUT, ERROR, CIRCUIT_OPEN, SKIPPED) and the
park's ratings, each verified along alliance key → park statement → park key → status list. A park that is
slow, down or answers garbage costs its own part only.

Caching (principle 5): a verified rating is kept until the attestation expires or its status list's `ttl`
passes, whichever is first. Within `cache_fresh` seconds of fetching it the gateway answers from the cache
without asking the park; after that it asks, and falls back on the cache when the park fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from alliance.core import statuslist as sl
from alliance.core.attestation import AttestationVerdict, verify_attestation
from alliance.core.verdict import Verdict
from alliance.errors import AllianceError
from alliance.services.breaker import CircuitBreaker
from alliance.services.cache import SharedCache
from alliance.services.metrics import BREAKER_VALUES, Metrics
from alliance.services.park_client import ParkCallFailed, ParkClient
from alliance.services.registry import ParkRecord, RegistryService

log = logging.getLogger("alliance.federation")

OK, CACHED, TIMEOUT, ERROR, CIRCUIT_OPEN, SKIPPED = "OK", "CACHED", "TIMEOUT", "ERROR", "CIRCUIT_OPEN", "SKIPPED"
PARK_MAX_BATCH = 500  # schema/park.graphql: ratings(usccs) takes at most 500 codes
PARK_MAX_HOLDS = 5000  # … and holds(usccs) at most 5000
# Asking a park for many ratings it mostly does not hold costs it more than a cheap `holds` round trip first.
HOLDS_FIRST_FROM = 50


@dataclass(frozen=True)
class Source:
    park: ParkRecord
    status: str
    latency_ms: float | None = None
    detail: str = ""


@dataclass
class ParkRating:
    """One park's answer about one enterprise, with the verifier's verdict."""

    park: ParkRecord
    uscc: str
    found: bool
    name: str | None = None
    token: str | None = None
    verdict: AttestationVerdict | None = None
    breakdown: Any = None
    listings: list[dict[str, Any]] = field(default_factory=list)
    from_cache: bool = False
    valid_until: float = 0.0
    fetched_at: float = 0.0

    def to_cache(self) -> bytes:
        v = self.verdict
        return json.dumps({
            "found": self.found, "name": self.name, "token": self.token, "breakdown": self.breakdown,
            "listings": self.listings, "valid_until": self.valid_until, "fetched_at": self.fetched_at,
            "verdict": None if v is None else {"ok": v.ok, "reason": v.reason, "status": v.status,
                                               "claims": v.claims, "park_id": v.park_id},
        }, ensure_ascii=False).encode()

    @classmethod
    def load(cls, park: ParkRecord, uscc: str, raw: bytes) -> ParkRating:
        d = json.loads(raw)
        v = d["verdict"]
        verdict = None if v is None else AttestationVerdict(
            ok=v["ok"], reason=v["reason"], status=v["status"], claims=v["claims"], park_id=v["park_id"]
        )
        return cls(park, uscc, d["found"], d["name"], d["token"], verdict, d["breakdown"], d["listings"],
                   from_cache=True, valid_until=d["valid_until"], fetched_at=d["fetched_at"])


@dataclass
class FederatedAnswer:
    ratings: dict[str, list[ParkRating]]
    sources: list[Source]


class StandardStatusLookup:
    """What the verifier asks about a standard: is it one the alliance still stands by?"""

    def __init__(self, statuses: dict[tuple[str, str], str]) -> None:
        self.statuses = statuses

    def __call__(self, standard_id: str, version: str) -> Verdict:
        status = self.statuses.get((standard_id, version))
        if status is None:
            return Verdict(False, f"the standard {standard_id} {version} is not one the alliance published")
        if status == "retired":
            return Verdict(False, f"the standard {standard_id} {version} is retired")
        if status == "draft":
            return Verdict(False, f"the standard {standard_id} {version} is a draft, never published")
        return Verdict(True, f"the standard {standard_id} {version} is {status}")


class Federation:
    def __init__(self, registry: RegistryService, client: ParkClient, cache: SharedCache, metrics: Metrics, *,
                 park_deadline: float, budget: float, breaker_failures: int, breaker_reset: float,
                 leeway: int, cache_fresh: float = 30.0) -> None:
        self.registry = registry
        self.client = client
        self.cache = cache
        self.metrics = metrics
        self.park_deadline = park_deadline
        self.budget = budget
        self.leeway = leeway
        self.cache_fresh = cache_fresh
        self._breaker_failures, self._breaker_reset = breaker_failures, breaker_reset
        self.breakers: dict[str, CircuitBreaker] = {}
        # park id → (verified list, token digest, when it was fetched)
        self._status_lists: dict[str, tuple[sl.VerifiedStatusList, str, float]] = {}
        self._status_fetch: dict[str, asyncio.Task] = {}
        # Verdicts by token hash, valid for one (statement, status list, standards) state.
        self._verdicts: dict[str, tuple[tuple, AttestationVerdict]] = {}

    def breaker(self, park_id: str) -> CircuitBreaker:
        b = self.breakers.get(park_id)
        if b is None:
            b = self.breakers[park_id] = CircuitBreaker(self._breaker_failures, self._breaker_reset)
        return b

    # The fan-out ------------------------------------------------------------------------------------------
    async def gather(self, plan: dict[str, list[str]], parks: list[ParkRecord], standards: StandardStatusLookup,
                     *, force: bool = False) -> FederatedAnswer:
        """Ask each park in `plan` (park id → USCCs) concurrently; parks not in the plan are SKIPPED."""
        deadline = time.monotonic() + self.budget
        answer = FederatedAnswer(ratings={}, sources=[])
        by_id = {p.id: p for p in parks}
        tasks = [self._ask(by_id[pid], usccs, deadline, standards, force) for pid, usccs in plan.items() if usccs]
        results = await asyncio.gather(*tasks)
        for source, ratings in results:
            answer.sources.append(source)
            for r in ratings:
                answer.ratings.setdefault(r.uscc, []).append(r)
        for park in parks:
            if not plan.get(park.id):
                answer.sources.append(Source(park, SKIPPED, None, "holds no rating for these enterprises"))
        order = {p.id: i for i, p in enumerate(parks)}
        answer.sources.sort(key=lambda s: order.get(s.park.id, 0))
        for items in answer.ratings.values():
            items.sort(key=lambda r: order.get(r.park.id, 0))
        return answer

    async def _ask(self, park: ParkRecord, usccs: list[str], deadline: float, standards: StandardStatusLookup,
                   force: bool) -> tuple[Source, list[ParkRating]]:
        started = time.monotonic()
        cached = await self._cached(park, usccs)
        now = time.time()
        if not force and len(cached) == len(usccs) and all(now - c.fetched_at < self.cache_fresh for c in cached):
            self.metrics.cache.labels("fresh").inc()
            return Source(park, CACHED, 0.0, "answered from the cache of verified attestations"), cached

        breaker = self.breaker(park.id)
        if not breaker.allow():
            self.metrics.park_outcomes.labels(park.id, CIRCUIT_OPEN).inc()
            return self._fallback(park, usccs, cached, CIRCUIT_OPEN, "circuit open after repeated failures", None)

        failure: ParkCallFailed | None = None
        answer: tuple[list[dict[str, Any]], sl.VerifiedStatusList | str] | None = None
        for attempt in (1, 2):
            timeout = min(self.park_deadline, deadline - time.monotonic())
            if timeout <= 0.01:
                failure = failure or ParkCallFailed(TIMEOUT, "the query's time budget ran out", retryable=False)
                break
            try:
                answer = await asyncio.wait_for(self._call(park, usccs, timeout), timeout=timeout + 0.05)
                break
            except TimeoutError:
                failure = ParkCallFailed(TIMEOUT, f"no answer within {timeout * 1000:.0f} ms", retryable=True)
            except ParkCallFailed as exc:
                failure = exc
            # One retry of this idempotent read: only for a transient failure, and only if a full deadline remains.
            if not failure.retryable or attempt == 2 or deadline - time.monotonic() < self.park_deadline:
                break
        latency = (time.monotonic() - started) * 1000
        self.metrics.park_seconds.labels(park.id).observe(latency / 1000)
        if answer is None:
            failure = failure or ParkCallFailed(ERROR, "no answer", retryable=False)
            breaker.record_failure()
            self.metrics.breaker_state.labels(park.id).set(BREAKER_VALUES[breaker.state])
            self.metrics.park_outcomes.labels(park.id, failure.kind).inc()
            return self._fallback(park, usccs, cached, failure.kind, failure.detail, latency)
        breaker.record_success()
        self.metrics.breaker_state.labels(park.id).set(0)
        self.metrics.park_outcomes.labels(park.id, OK).inc()
        items, status_list = answer
        ratings = await self._verify_all(park, items, status_list, standards)
        return Source(park, OK, latency, ""), ratings

    def _fallback(self, park: ParkRecord, usccs: list[str], cached: list[ParkRating], status: str, detail: str,
                  latency: float | None) -> tuple[Source, list[ParkRating]]:
        if cached:
            self.metrics.cache.labels("fallback").inc()
            return Source(park, CACHED, latency, f"{detail}; answered from the cache"), cached
        return Source(park, status, latency, detail), []

    async def _call(self, park: ParkRecord, usccs: list[str], timeout: float
                    ) -> tuple[list[dict[str, Any]], sl.VerifiedStatusList | str]:
        started = time.monotonic()
        listing = asyncio.ensure_future(self.status_list(park, timeout))
        try:
            asked = usccs
            if len(usccs) >= HOLDS_FIRST_FROM:
                held: set[str] = set()
                for i in range(0, len(usccs), PARK_MAX_HOLDS):
                    held |= await self.client.holds(park.endpoint, usccs[i:i + PARK_MAX_HOLDS], timeout)
                asked = [u for u in usccs if u in held]
            remaining = max(0.01, timeout - (time.monotonic() - started))
            chunks = [asked[i:i + PARK_MAX_BATCH] for i in range(0, len(asked), PARK_MAX_BATCH)]
            parts = await asyncio.gather(*(self.client.ratings(park.endpoint, chunk, remaining) for chunk in chunks))
        except BaseException:
            listing.cancel()
            raise
        answered = {item["uscc"]: item for part in parts for item in part}
        items = [answered.get(u) or {"uscc": u, "found": False, "listings": []} for u in usccs]
        return items, await listing

    # Status lists ----------------------------------------------------------------------------------------
    async def status_list(self, park: ParkRecord, timeout: float) -> sl.VerifiedStatusList | str:
        """The park's verified status list, fetched again once its ttl has passed (one fetch at a time)."""
        held = self._status_lists.get(park.id)
        if held and held[0].fresh_until(held[2]) > time.time():
            return held[0]
        task = self._status_fetch.get(park.id)
        if task is None or task.done():
            task = self._status_fetch[park.id] = asyncio.ensure_future(self._fetch_status_list(park, timeout))
        try:
            return await asyncio.shield(task)
        except AllianceError as exc:
            return f"status list refused: {exc.message}"
        except ParkCallFailed as exc:
            return exc.detail

    async def _fetch_status_list(self, park: ParkRecord, timeout: float) -> sl.VerifiedStatusList:
        token = await self.client.status_list(park.status_list_uri, timeout)
        _, statement = await self.registry.statement(park.id)
        verified = sl.verify_status_list_token(token, statement.keys, uri=park.status_list_uri, leeway=self.leeway)
        self._status_lists[park.id] = (verified, hashlib.sha256(token.encode()).hexdigest(), time.time())
        return verified

    # Verification ----------------------------------------------------------------------------------------
    async def _verify_all(self, park: ParkRecord, items: list[dict[str, Any]],
                          status_list: sl.VerifiedStatusList | str, standards: StandardStatusLookup
                          ) -> list[ParkRating]:
        _, statement = await self.registry.statement(park.id)
        now = time.time()
        sl_obj = status_list if isinstance(status_list, sl.VerifiedStatusList) else None
        held = self._status_lists.get(park.id)
        sl_key = held[1] if sl_obj and held else "none"
        sl_fresh = held[0].fresh_until(held[2]) if sl_obj and held else now
        state = (statement.token_hash, sl_key, tuple(sorted(standards.statuses.items())))
        out: list[ParkRating] = []
        writes = []
        for item in items:
            rating = ParkRating(park, item["uscc"], item["found"], item.get("name"), item.get("attestation"),
                                None, item.get("breakdown"), list(item.get("listings") or []), fetched_at=now)
            if rating.token:
                rating.verdict = self._verdict(rating.token, statement, status_list, state, standards, park)
                exp = (rating.verdict.claims or {}).get("exp", now)
                rating.valid_until = min(float(exp), sl_fresh)
            else:
                rating.valid_until = now + self.cache_fresh
            out.append(rating)
            if rating.valid_until > now:
                writes.append(self.cache.set(_key(park.id, rating.uscc), rating.to_cache(), rating.valid_until - now))
        if writes:
            await asyncio.gather(*writes)
        return out

    def registry_keys(self) -> dict:
        return {self.registry.key.kid: self.registry.key.public}

    async def verify(self, park: ParkRecord, token: str, standards: StandardStatusLookup) -> AttestationVerdict:
        """One attestation of `park`, checked against its current statement and status list."""
        _, statement = await self.registry.statement(park.id)
        status_list = await self.status_list(park, self.park_deadline)
        return self._check(token, statement, status_list, standards, park)

    def _check(self, token: str, statement: Any, status_list: sl.VerifiedStatusList | str,
               standards: StandardStatusLookup, park: ParkRecord) -> AttestationVerdict:
        verified_list = status_list if isinstance(status_list, sl.VerifiedStatusList) else None
        verdict = verify_attestation(
            token,
            alliance_keys=self.registry_keys(),
            park_statement=statement,
            status_list=verified_list,
            leeway=self.leeway,
            park_name=park.name,
            standard_status=standards,
        )
        if verified_list is None and not verdict:  # say why the status list was missing
            verdict = AttestationVerdict(ok=False, reason=f"{verdict.reason} ({status_list})", status=verdict.status,
                                         claims=verdict.claims, park_id=verdict.park_id)
        return verdict

    def _verdict(self, token: str, statement: Any, status_list: sl.VerifiedStatusList | str, state: tuple,
                 standards: StandardStatusLookup, park: ParkRecord) -> AttestationVerdict:
        """`_check`, remembered per token for one (statement, status list, standards) state."""
        key = hashlib.sha256(token.encode()).hexdigest()
        held = self._verdicts.get(key)
        if held and held[0] == state:
            claims = held[1].claims or {}
            if not held[1] or float(claims.get("exp", 0)) + self.leeway > time.time():
                self.metrics.cache.labels("verdict").inc()
                return held[1]
        verdict = self._check(token, statement, status_list, standards, park)
        if len(self._verdicts) > 200_000:
            self._verdicts.clear()
        self._verdicts[key] = (state, verdict)
        return verdict

    async def _cached(self, park: ParkRecord, usccs: Iterable[str]) -> list[ParkRating]:
        usccs = list(usccs)
        raws = await asyncio.gather(*(self.cache.get(_key(park.id, u)) for u in usccs))
        now = time.time()
        out = []
        for uscc, raw in zip(usccs, raws, strict=True):
            if raw is None:
                continue
            rating = ParkRating.load(park, uscc, raw)
            if rating.valid_until > now:
                out.append(rating)
        return out


def _key(park_id: str, uscc: str) -> str:
    return f"rating:{park_id}:{uscc}"
