"""GraphQL types of the gateway: thin views of the service layer's records."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from alliance.core.scoring import ScoreResult
from alliance.core.verdict import Verdict as CoreVerdict
from alliance.services.audit import AuditEntry as AuditRecord
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
