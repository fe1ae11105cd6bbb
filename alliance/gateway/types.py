"""GraphQL types of the gateway: thin views of the service layer's records."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from alliance.core.attestation import AttestationVerdict as CoreAttestationVerdict
from alliance.core.scoring import ScoreResult
from alliance.core.verdict import Verdict as CoreVerdict
from alliance.services.audit import AuditEntry as AuditRecord
from alliance.services.enterprises import EnterpriseReport, RatingView
from alliance.services.registry import ParkRecord
from alliance.services.standards import StandardRecord, verify_standard_signature


@strawberry.type(description="The outcome of a check: ok, or not with the reason.")
class Verdict:
    ok: bool
    reason: str

    @classmethod
    def of(cls, verdict: CoreVerdict) -> Verdict:
        return cls(ok=bool(verdict), reason=verdict.reason)


@strawberry.enum
class StandardStatus(Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    RETIRED = "retired"


@strawberry.type(description="A version of an evaluation standard (评价标准).")
class Standard:
    id: str
    version: str
    title: str
    status: StandardStatus
    document: JSON
    signature: str | None = strawberry.field(
        description="The alliance's detached JWS (RFC 7515 Appendix F) over the canonical JSON of `document`."
    )
    created_at: datetime
    published_at: datetime | None
    superseded_at: datetime | None
    retired_at: datetime | None
    published_by: str | None

    @strawberry.field(description="The signature checked with the alliance's public key.")
    def signature_verdict(self, info: strawberry.Info) -> Verdict:
        keys = info.context.services.tokens.public_keys
        return Verdict.of(verify_standard_signature(self.document, self.signature, keys))

    @classmethod
    def of(cls, r: StandardRecord) -> Standard:
        return cls(
            id=r.id, version=r.version, title=r.title, status=StandardStatus(r.status), document=r.document,
            signature=r.signature, created_at=r.created_at, published_at=r.published_at,
            superseded_at=r.superseded_at, retired_at=r.retired_at, published_by=r.published_by,
        )


@strawberry.type
class IndicatorScore:
    code: str
    name: str
    value: JSON | None
    points: float | None = strawberry.field(description="0..100; null when the indicator was excluded.")
    weight: float
    contribution: float
    note: str


@strawberry.type(description="A veto item (一票否决) that forced the grade.")
class Veto:
    code: str
    name: str
    grade: str
    reason: str


@strawberry.type(description="Score, grade and the explanation of each indicator's contribution.")
class Score:
    score: float
    grade: str
    breakdown: list[IndicatorScore]
    veto: Veto | None
    missing: list[str]

    @classmethod
    def of(cls, r: ScoreResult) -> Score:
        return cls(
            score=r.score,
            grade=r.grade,
            breakdown=[
                IndicatorScore(
                    code=b.code,
                    name=b.name,
                    value=b.value,
                    points=None if b.points is None else float(b.points),
                    weight=float(b.weight),
                    contribution=float(b.contribution),
                    note=b.note or "",
                )
                for b in r.breakdown
            ],
            veto=Veto(code=r.veto.code, name=r.veto.name, grade=r.veto.grade, reason=r.veto.reason)
            if r.veto
            else None,
            missing=list(r.missing),
        )


@strawberry.type(description="One admin action in the audit trail.")
class AuditEntry:
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    outcome: str
    detail: str

    @classmethod
    def of(cls, e: AuditRecord) -> AuditEntry:
        return cls(at=e.at, actor=e.actor, role=e.role, action=e.action, target=e.target, outcome=e.outcome,
                   detail=e.detail)


@strawberry.type(description="A member park (成员园区).")
class Park:
    id: str
    name: str
    city: str
    endpoint: str
    status: str
    status_reason: str
    accredited: list[StandardRef]
    adopted: list[StandardRef]
    status_list_uri: str
    admitted_at: datetime

    @strawberry.field(description="Circuit breaker state of the gateway's calls to this park.")
    def health(self, info: strawberry.Info) -> str:
        return info.context.services.federation.breaker(self.id).state.upper()

    @classmethod
    def of(cls, p: ParkRecord) -> Park:
        return cls(
            id=p.id, name=p.name, city=p.city, endpoint=p.endpoint, status=p.status.upper(),
            status_reason=p.status_reason,
            accredited=[StandardRef(id=a["id"], version=a["version"]) for a in p.accredited],
            adopted=[StandardRef(id=a["id"], version=a["version"]) for a in p.adopted],
            status_list_uri=p.status_list_uri, admitted_at=p.admitted_at,
        )


@strawberry.type
class StandardRef:
    id: str
    version: str


@strawberry.type(description="The verifier's verdict on an attestation.")
class AttestationVerdict:
    ok: bool
    status: str = strawberry.field(description="VALID, REVOKED, SUSPENDED, EXPIRED, FORGED, UNKNOWN_KEY, …")
    reason: str
    issuer: str | None
    subject: str | None
    grade: str | None
    standard_id: str | None
    standard_version: str | None
    expires_at: datetime | None

    @classmethod
    def of(cls, v: CoreAttestationVerdict) -> AttestationVerdict:
        claims = v.claims or {}
        std = claims.get("std") or {}
        exp = claims.get("exp")
        return cls(
            ok=bool(v), status=v.status, reason=v.reason, issuer=claims.get("iss") or v.park_id,
            subject=claims.get("sub"), grade=claims.get("grade"), standard_id=std.get("id"),
            standard_version=std.get("version"),
            expires_at=datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None,
        )


@strawberry.type(description="One park's rating of the enterprise, verified.")
class Rating:
    park: Park
    grade: str | None
    score: float | None = strawberry.field(description="Null for anonymous callers (public view).")
    standard_id: str | None
    standard_version: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    attestation: str | None = strawberry.field(description="The signed attestation; null in the public view.")
    breakdown: JSON | None = strawberry.field(description="The scoring breakdown; null in the public view.")
    verdict: AttestationVerdict
    from_cache: bool

    @classmethod
    def of(cls, r: RatingView, park: Park) -> Rating:
        return cls(
            park=park, grade=r.grade, score=r.score, standard_id=r.standard_id,
            standard_version=r.standard_version, issued_at=r.issued_at, expires_at=r.expires_at,
            attestation=r.attestation, breakdown=r.breakdown, verdict=AttestationVerdict.of(r.verdict),
            from_cache=r.from_cache,
        )


@strawberry.type(description="Whether a member park recognises the enterprise's rating (评级互认), and why not.")
class Recognition:
    park: Park
    recognised: bool
    reason: str
    basis: Park | None = strawberry.field(description="The park whose rating is recognised.")


@strawberry.enum
class ListingKind(Enum):
    RED = "red"
    BLACK = "black"


@strawberry.type(description="A red or black list entry (红名单 / 黑名单).")
class Listing:
    id: str
    park: Park
    kind: ListingKind
    reason: str
    legal_basis: str
    since: str
    until: str | None
    active: bool


@strawberry.type(description="A joint incentive (守信联合激励) or punishment (失信联合惩戒) and where it applies.")
class Measure:
    code: str
    kind: str
    name: str
    description: str
    basis: str
    parks: list[Park]


@strawberry.enum
class SourceStatus(Enum):
    OK = "OK"
    CACHED = "CACHED"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    SKIPPED = "SKIPPED"


@strawberry.type(description="One park asked (or not) for this answer: what the answer is made of.")
class Source:
    park: Park
    status: SourceStatus
    latency_ms: float | None
    detail: str


@strawberry.type(description="Everything the alliance knows about an enterprise.")
class Enterprise:
    uscc: str
    name: str | None
    home_park: Park | None
    ratings: list[Rating]
    recognition: list[Recognition]
    listings: list[Listing]
    measures: list[Measure]
    sources: list[Source]
    recognised_by: int = strawberry.field(description="How many member parks recognise the rating.")

    @classmethod
    def of(cls, r: EnterpriseReport, parks: dict[str, Park] | None = None) -> Enterprise:
        """`parks` memoises the Park views, shared by every report of one batch (they are the same 23 parks)."""
        parks = {} if parks is None else parks

        def park(p: ParkRecord) -> Park:
            view = parks.get(p.id)
            if view is None:
                view = parks[p.id] = Park.of(p)
            return view

        return cls(
            uscc=r.uscc, name=r.name, home_park=park(r.home_park) if r.home_park else None,
            ratings=[Rating.of(x, park(x.park)) for x in r.ratings],
            recognition=[Recognition(park=park(x.park), recognised=x.recognised, reason=x.reason,
                                     basis=park(x.basis) if x.basis else None) for x in r.recognition],
            listings=[Listing(id=x.id, park=park(x.park), kind=ListingKind(x.kind) if x.kind in ("red", "black")
                              else ListingKind.BLACK, reason=x.reason, legal_basis=x.legal_basis, since=x.since,
                              until=x.until, active=x.active) for x in r.listings],
            measures=[Measure(code=m.measure.code, kind=m.measure.kind, name=m.measure.name,
                              description=m.measure.description, basis=m.basis, parks=[park(p) for p in m.parks])
                      for m in r.measures],
            sources=[Source(park=park(s.park), status=SourceStatus(s.status), latency_ms=s.latency_ms,
                            detail=s.detail) for s in r.sources],
            recognised_by=r.recognised_count,
        )


@strawberry.type
class EnterpriseHit:
    uscc: str
    name: str
    grade: str | None
    parks: list[Park]


@strawberry.input
class AdmitParkInput:
    id: str
    name: str
    city: str
    endpoint: str
    jwks: JSON = strawberry.field(description="The park's public keys as a JWK Set.")
    accredited: list[str] = strawberry.field(description="Standards the park may issue under: 'ACS 2025.1'.")
    adopted: list[str] | None = strawberry.field(
        default=None, description="Standards whose ratings the park recognises (default: as accredited)."
    )
    status_list_uri: str | None = None


@strawberry.type(description="A one-time WeChat binding code (绑定码).")
class BindingCode:
    code: str
    uscc: str
    park_id: str | None
    expires_at: datetime
