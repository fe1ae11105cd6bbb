"""The alliance at a glance (联盟概览), for the dashboard and for machines.

Asks every member park for its aggregate figures (`park { stats }` of schema/park.graphql) concurrently, each
within the federation's per-park deadline; a park that is down, slow or answers garbage is shown as unavailable
with the reason and costs nothing else. From those figures and the registry it derives the mutual-recognition
matrix (by the rules of alliance.core.recognition), the red/black-list trend per month and the adoption of each
standard. The result is cached in the shared cache for `ttl` seconds, so a wall of dashboards costs the parks
one round of calls per `ttl`, whatever the number of viewers or replicas.

The parks' figures are their own account: counts are not signed the way attestations are. The matrix says
what the alliance's rules would make of those counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from alliance.core.park_stats import GradeCount, ListingCount
from alliance.core.recognition import MemberPark
from alliance.core.recognition_matrix import GradeTally, MatrixCell, recognition_matrix
from alliance.services.breaker import OPEN
from alliance.services.cache import SharedCache
from alliance.services.federation import CIRCUIT_OPEN, ERROR, OK, TIMEOUT, Federation, StandardStatusLookup
from alliance.services.park_client import ParkCallFailed
from alliance.services.registry import ParkRecord, RegistryService
from alliance.services.standards import StandardsService

log = logging.getLogger("alliance.overview")

STATS_QUERY = """query ParkStats { park { stats {
  enterprises rated
  grades { grade standardId standardVersion count }
  listings { month kind count }
} } }"""

CACHE_KEY = "overview:v1"
CHINA = timezone(timedelta(hours=8))  # listing months are months in China
TREND_MONTHS = 12  # the trend shows at least the last year…
MAX_TREND_MONTHS = 36  # …and at most three
MAX_ENTRIES = 5000  # a park's grade or listing counts beyond this are garbage, not statistics
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
KINDS = {"RED": "red", "BLACK": "black"}


# ---------------------------------------------------------------------------------------------- the overview


@dataclass(frozen=True)
class ParkOverview:
    id: str
    name: str
    city: str
    status: str  # the registry's: active | suspended
    breaker: str  # closed | half_open | open
    outcome: str  # OK, TIMEOUT, ERROR or CIRCUIT_OPEN (federation's words)
    detail: str = ""  # why it is unavailable
    latency_ms: float | None = None
    enterprises: int | None = None
    rated: int | None = None
    grades: tuple[GradeCount, ...] = ()
    listings: tuple[ListingCount, ...] = ()

    @property
    def available(self) -> bool:
        return self.outcome == OK

    def grade_counts(self) -> dict[str, int]:
        """Grade → count over every standard version the park rates by."""
        out: dict[str, int] = {}
        for g in self.grades:
            out[g.grade] = out.get(g.grade, 0) + g.count
        return out


@dataclass(frozen=True)
class TrendPoint:
    month: str
    red: int
    black: int


@dataclass(frozen=True)
class StandardAdoption:
    id: str
    version: str
    title: str
    status: str  # draft | published | superseded | retired
    min_grade: str
    adopted_by: tuple[str, ...]  # park ids


@dataclass(frozen=True)
class AllianceOverview:
    generated_at: str  # ISO 8601, UTC
    parks: tuple[ParkOverview, ...]
    grade_order: tuple[str, ...]  # best → worst, as the standards rank them
    matrix: tuple[tuple[MatrixCell, ...], ...]  # rows: issuers, columns: recognisers, both in `parks` order
    trends: tuple[TrendPoint, ...]
    standards: tuple[StandardAdoption, ...]
    totals: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "totals": self.totals,
            "grade_order": list(self.grade_order),
            "parks": [
                {
                    "id": p.id, "name": p.name, "city": p.city, "status": p.status, "breaker": p.breaker,
                    "outcome": p.outcome, "available": p.available, "detail": p.detail,
                    "latency_ms": p.latency_ms, "enterprises": p.enterprises, "rated": p.rated,
                    "grades": [{"grade": g.grade, "standard_id": g.standard_id,
                                "standard_version": g.standard_version, "count": g.count} for g in p.grades],
                    "listings": [{"month": x.month, "kind": x.kind, "count": x.count} for x in p.listings],
                }
                for p in self.parks
            ],
            "matrix": [
                [
                    {"issuer": c.issuer, "recogniser": c.recogniser, "total": c.total, "recognised": c.recognised,
                     "share": c.share, "refusals": [{"reason": r, "count": n} for r, n in c.refusals]}
                    for c in row
                ]
                for row in self.matrix
            ],
            "trends": [{"month": t.month, "red": t.red, "black": t.black} for t in self.trends],
            "standards": [
                {"id": s.id, "version": s.version, "title": s.title, "status": s.status, "min_grade": s.min_grade,
                 "adopted_by": list(s.adopted_by)}
                for s in self.standards
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AllianceOverview:
        parks = tuple(
            ParkOverview(
                p["id"], p["name"], p["city"], p["status"], p["breaker"], p["outcome"], p["detail"],
                p["latency_ms"], p["enterprises"], p["rated"],
                tuple(GradeCount(g["grade"], g["standard_id"], g["standard_version"], g["count"])
                      for g in p["grades"]),
                tuple(ListingCount(x["month"], x["kind"], x["count"]) for x in p["listings"]),
            )
            for p in d["parks"]
        )
        matrix = tuple(
            tuple(MatrixCell(c["issuer"], c["recogniser"], c["total"], c["recognised"],
                             tuple((r["reason"], r["count"]) for r in c["refusals"])) for c in row)
            for row in d["matrix"]
        )
        return cls(
            generated_at=d["generated_at"],
            parks=parks,
            grade_order=tuple(d["grade_order"]),
            matrix=matrix,
            trends=tuple(TrendPoint(t["month"], t["red"], t["black"]) for t in d["trends"]),
            standards=tuple(StandardAdoption(s["id"], s["version"], s["title"], s["status"], s["min_grade"],
                                             tuple(s["adopted_by"])) for s in d["standards"]),
            totals=dict(d["totals"]),
        )


# ---------------------------------------------------------------------------------------------- the service


class OverviewService:
    def __init__(self, registry: RegistryService, standards: StandardsService, federation: Federation,
                 cache: SharedCache, *, ttl: float = 15.0) -> None:
        self.registry = registry
        self.standards = standards
        self.federation = federation
        self.cache = cache
        self.ttl = ttl
        self._lock = asyncio.Lock()  # one fan-out at a time per process, however many viewers arrive at once

    async def overview(self) -> AllianceOverview:
        """The overview, from the shared cache while it is younger than `ttl`."""
        if (held := await self._cached()) is not None:
            return held
        async with self._lock:
            if (held := await self._cached()) is not None:
                return held  # another viewer's fan-out finished while this one waited
            result = await self._build()
            await self.cache.set(CACHE_KEY, json.dumps(result.to_dict(), ensure_ascii=False).encode(), self.ttl)
            return result

    async def _cached(self) -> AllianceOverview | None:
        raw = await self.cache.get(CACHE_KEY)
        if raw is None:
            return None
        try:
            return AllianceOverview.from_dict(json.loads(raw))
        except (ValueError, KeyError, TypeError):  # written by an older replica: rebuild rather than fail
            return None

    async def _build(self) -> AllianceOverview:
        parks = await self.registry.parks()
        snapshot = await self.standards.snapshot()
        records = await self.standards.list()
        views = list(await asyncio.gather(*(self._ask(p) for p in parks)))

        members = [MemberPark(p.id, p.name, p.active, frozenset((a["id"], a["version"]) for a in p.adopted))
                   for p in parks]
        tallies = {v.id: [GradeTally(g.standard_id, g.standard_version, g.grade, g.count) for g in v.grades]
                   if v.available else None for v in views}
        matrix = recognition_matrix(members, tallies, standard_for=snapshot.standard_for,
                                    standard_status=StandardStatusLookup(snapshot.statuses))

        # The snapshot is a short memo; a standard published since then is parsed from its record.
        parsed = {(r.id, r.version): snapshot.standard_for(r.id, r.version) or r.standard for r in records}
        order: list[str] = []
        for r in records:  # the grades of the standards, best first, then any a park reports beyond them
            for g in parsed[(r.id, r.version)].grades:
                if g not in order:
                    order.append(g)
        for v in views:
            order.extend(g.grade for g in v.grades if g.grade not in order)

        standards = tuple(
            StandardAdoption(r.id, r.version, r.title, r.status,
                             parsed[(r.id, r.version)].min_recognition_grade,
                             tuple(p.id for p in parks if p.adopts(r.id, r.version)))
            for r in records
        )
        now = datetime.now(UTC)
        trends = listing_trend([x for v in views for x in v.listings], now.astimezone(CHINA).strftime("%Y-%m"))
        return AllianceOverview(
            generated_at=now.isoformat(timespec="seconds"),
            parks=tuple(views),
            grade_order=tuple(order),
            matrix=tuple(tuple(row) for row in matrix),
            trends=tuple(trends),
            standards=standards,
            totals=_totals(views, matrix),
        )

    async def _ask(self, park: ParkRecord) -> ParkOverview:
        """One park's figures within the deadline; never raises."""
        breaker = self.federation.breaker(park.id)
        base = {"id": park.id, "name": park.name, "city": park.city, "status": park.status}
        # The breaker belongs to the rating queries: the dashboard reads it (and spares a park it has found
        # down) but does not feed it, so a park that lacks `stats` never loses its rating traffic over it.
        if breaker.state == OPEN:
            return ParkOverview(**base, breaker=breaker.state, outcome=CIRCUIT_OPEN,
                                detail="circuit open after repeated failures")
        timeout = self.federation.park_deadline
        started = time.monotonic()
        try:
            data = await asyncio.wait_for(
                self.federation.client.query(park.endpoint, STATS_QUERY, {}, timeout), timeout=timeout + 0.05
            )
            enterprises, rated, grades, listings = parse_stats(data)
        except TimeoutError:
            failure = ParkCallFailed(TIMEOUT, f"no answer within {timeout * 1000:.0f} ms", retryable=True)
        except ParkCallFailed as exc:
            failure = exc
        except Exception as exc:  # a bug here must cost this park's row, not the page
            log.exception("overview of park %s failed", park.id)
            failure = ParkCallFailed(ERROR, f"{type(exc).__name__}: {exc}", retryable=False)
        else:
            latency = (time.monotonic() - started) * 1000
            self.federation.metrics.park_seconds.labels(park.id).observe(latency / 1000)
            return ParkOverview(**base, breaker=breaker.state, outcome=OK, latency_ms=round(latency, 1),
                                enterprises=enterprises, rated=rated, grades=grades, listings=listings)
        latency = (time.monotonic() - started) * 1000
        return ParkOverview(**base, breaker=breaker.state, outcome=failure.kind, detail=failure.detail,
                            latency_ms=round(latency, 1))


def parse_stats(data: dict[str, Any]) -> tuple[int, int, tuple[GradeCount, ...], tuple[ListingCount, ...]]:
    """A park's `park { stats }` answer, checked strictly; ParkCallFailed (ERROR) saying what is wrong."""

    def garbage(what: str) -> ParkCallFailed:
        return ParkCallFailed(ERROR, f"the park answered garbage ({what})", retryable=False)

    def count(value: Any, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise garbage(f"{what} is not a count")
        return value

    def text(value: Any, what: str) -> str:
        if not isinstance(value, str) or not value or len(value) > 64:
            raise garbage(f"{what} is not a short string")
        return value

    park = data.get("park")
    stats = park.get("stats") if isinstance(park, dict) else None
    if not isinstance(stats, dict):
        raise garbage("no statistics")
    grades_in, listings_in = stats.get("grades"), stats.get("listings")
    if not isinstance(grades_in, list) or not isinstance(listings_in, list):
        raise garbage("grades or listings not a list")
    if len(grades_in) > MAX_ENTRIES or len(listings_in) > MAX_ENTRIES:
        raise garbage("too many entries")
    grades: list[GradeCount] = []
    for g in grades_in:
        if not isinstance(g, dict):
            raise garbage("a grade count of the wrong shape")
        grades.append(GradeCount(text(g.get("grade"), "grade"), text(g.get("standardId"), "standardId"),
                                 text(g.get("standardVersion"), "standardVersion"), count(g.get("count"), "count")))
    listings: list[ListingCount] = []
    for x in listings_in:
        if not isinstance(x, dict) or not isinstance(x.get("month"), str) or not MONTH.match(x["month"]):
            raise garbage("a listing month is not YYYY-MM")
        if x.get("kind") not in KINDS:
            raise garbage("a listing kind is neither RED nor BLACK")
        listings.append(ListingCount(x["month"], KINDS[x["kind"]], count(x.get("count"), "count")))
    enterprises, rated = count(stats.get("enterprises"), "enterprises"), count(stats.get("rated"), "rated")
    if rated > enterprises or sum(g.count for g in grades) != rated:
        raise garbage("rated does not add up")
    return enterprises, rated, tuple(grades), tuple(listings)


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _month_name(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def listing_trend(listings: list[ListingCount], this_month: str) -> list[TrendPoint]:
    """Red and black listings per month across the alliance, every month present (zeros included): at least the
    `TREND_MONTHS` up to this month, reaching back to the first listing, at most `MAX_TREND_MONTHS` in all."""
    red: dict[int, int] = {}
    black: dict[int, int] = {}
    for x in listings:
        into = red if x.kind == "red" else black
        into[_month_index(x.month)] = into.get(_month_index(x.month), 0) + x.count
    seen = set(red) | set(black)
    last = max([_month_index(this_month), *seen])
    first = min([_month_index(this_month) - TREND_MONTHS + 1, *seen])
    first = max(first, last - MAX_TREND_MONTHS + 1)
    return [TrendPoint(_month_name(i), red.get(i, 0), black.get(i, 0)) for i in range(first, last + 1)]


def _totals(views: list[ParkOverview], matrix: list[list[MatrixCell]]) -> dict[str, Any]:
    # Recognition across parks: of every (rating, other park) pair with known figures, the share recognised.
    pairs = [c for row in matrix for c in row if c.issuer != c.recogniser and c.total]
    total = sum(c.total or 0 for c in pairs)
    return {
        "parks": len(views),
        "active": sum(1 for v in views if v.status == "active"),
        "available": sum(1 for v in views if v.available),
        "enterprises": sum(v.enterprises or 0 for v in views),
        "rated": sum(v.rated or 0 for v in views),
        "red": sum(x.count for v in views for x in v.listings if x.kind == "red"),
        "black": sum(x.count for v in views for x in v.listings if x.kind == "black"),
        "recognition_share": (sum(c.recognised for c in pairs) / total) if total else None,
    }
