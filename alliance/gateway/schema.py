"""The gateway's GraphQL schema. Resolvers only translate: every rule lives in the service layer."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from alliance.errors import AllianceError
from alliance.gateway.types import (
    AdmitParkInput,
    AttestationVerdict,
    AuditEntry,
    BindingCode,
    Enterprise,
    EnterpriseHit,
    Park,
    Score,
    Standard,
    StandardStatus,
)
from alliance.services.auth import ADMIN


def _ctx(info: strawberry.Info):
    return info.context


@strawberry.type
class Query:
    @strawberry.field(description="Every stored version of every standard, optionally of one status.")
    async def standards(self, info: strawberry.Info, status: StandardStatus | None = None) -> list[Standard]:
        records = await _ctx(info).services.standards.list(status.value if status else None)
        return [Standard.of(r) for r in records]

    @strawberry.field(description="One version of a standard.")
    async def standard(self, info: strawberry.Info, id: str, version: str) -> Standard:
        return Standard.of(await _ctx(info).services.standards.get(id, version))

    @strawberry.field(description="The published version in force of a standard, if any.")
    async def current_standard(self, info: strawberry.Info, id: str) -> Standard | None:
        record = await _ctx(info).services.standards.current(id)
        return Standard.of(record) if record else None

    @strawberry.field(description="Score indicator values under a standard; nothing is stored.")
    async def score_enterprise(
        self, info: strawberry.Info, standard_id: str, version: str, indicators: JSON
    ) -> Score:
        return Score.of(await _ctx(info).services.standards.score(standard_id, version, indicators))

    @strawberry.field(description="The audit trail of admin actions, newest first (alliance-admin only).")
    async def audit_trail(
        self, info: strawberry.Info, limit: int = 100, action: str | None = None
    ) -> list[AuditEntry]:
        ctx = _ctx(info)
        ctx.principal.require(ADMIN, action="reading the audit trail")
        return [AuditEntry.of(e) for e in await ctx.services.audit.entries(limit=limit, action=action)]


    @strawberry.field(description="Every member park's rating of an enterprise, verified, with mutual recognition, "
                      "listings, measures and the sources the answer is made of.")
    async def enterprise(self, info: strawberry.Info, uscc: str, fresh: bool = False) -> Enterprise:
        ctx = _ctx(info)
        return Enterprise.of(await ctx.services.enterprises.report(ctx.principal, uscc, fresh=fresh))

    @strawberry.field(description="The same for a batch (at most 500), asked of each park in one request. An invalid "
                      "USCC is an error for its own item (null, with an error at its index), not for the batch.")
    async def enterprises(self, info: strawberry.Info, usccs: list[str], fresh: bool = False
                          ) -> list[Enterprise | None]:
        ctx = _ctx(info)
        results = await ctx.services.enterprises.reports(ctx.principal, usccs, fresh=fresh)
        # graphql-core turns an Exception in a list into an error located at that item, the item itself null.
        parks: dict[str, Park] = {}
        return [r if isinstance(r, AllianceError) else Enterprise.of(r, parks) for r in results]  # type: ignore[misc]

    @strawberry.field(description="Enterprises by name fragment or USCC prefix, across the parks.")
    async def search_enterprises(self, info: strawberry.Info, query: str, first: int = 20) -> list[EnterpriseHit]:
        hits = await _ctx(info).services.enterprises.search(query, first)
        return [EnterpriseHit(uscc=h.uscc, name=h.name, grade=h.grade, parks=[Park.of(p) for p in h.parks])
                for h in hits]

    @strawberry.field(description="The shared verifier's verdict on a rating attestation.")
    async def verify_attestation(self, info: strawberry.Info, token: str) -> AttestationVerdict:
        return AttestationVerdict.of(await _ctx(info).services.enterprises.verify(token))

    @strawberry.field(description="The member parks: registry, status and health.")
    async def parks(self, info: strawberry.Info) -> list[Park]:
        return [Park.of(p) for p in await _ctx(info).services.registry.parks()]

    @strawberry.field(description="One member park.")
    async def park(self, info: strawberry.Info, id: str) -> Park:
        return Park.of(await _ctx(info).services.registry.get(id))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admit a park to the alliance and issue its park statement (alliance-admin).")
    async def admit_park(self, info: strawberry.Info, input: AdmitParkInput) -> Park:
        ctx = _ctx(info)
        record = await ctx.services.registry.admit(
            ctx.principal, id=input.id, name=input.name, city=input.city, endpoint=input.endpoint, jwks=input.jwks,
            accredited=input.accredited, adopted=input.adopted, status_list_uri=input.status_list_uri,
        )
        return Park.of(record)

    @strawberry.mutation(description="Suspend a park: its ratings are no longer recognised (alliance-admin).")
    async def suspend_park(self, info: strawberry.Info, id: str, reason: str) -> Park:
        ctx = _ctx(info)
        return Park.of(await ctx.services.registry.set_status(ctx.principal, id, "suspended", reason))

    @strawberry.mutation(description="Reinstate a suspended park (alliance-admin).")
    async def reinstate_park(self, info: strawberry.Info, id: str) -> Park:
        ctx = _ctx(info)
        return Park.of(await ctx.services.registry.set_status(ctx.principal, id, "active"))

    @strawberry.mutation(description="A one-time code that binds an enterprise to a WeChat user (绑定码), valid 24 h: "
                         "a park for its own enterprises, or an alliance admin. Shown once; only its hash is kept.")
    async def issue_binding_code(self, info: strawberry.Info, uscc: str) -> BindingCode:
        ctx = _ctx(info)
        code = await ctx.services.wechat_accounts.issue_binding_code(ctx.principal, uscc)
        return BindingCode(code=code.code, uscc=code.uscc, park_id=code.park_id, expires_at=code.expires_at)

    @strawberry.mutation(description="Accredit a park to issue ratings under a standard version, or withdraw the "
                         "accreditation (alliance-admin). It shows in the park's next statement.")
    async def accredit_park(self, info: strawberry.Info, park_id: str, standard_id: str, version: str,
                            accredit: bool = True) -> Park:
        ctx = _ctx(info)
        return Park.of(await ctx.services.registry.accredit(ctx.principal, park_id, standard_id, version,
                                                            accredit=accredit))

    @strawberry.mutation(description="Record a park's key rotation: its current keys (JWKS) and its retired keys, "
                         "each {jwk, reason: superseded|compromised, revoked_at} (alliance-admin).")
    async def update_park_keys(self, info: strawberry.Info, id: str, jwks: JSON,
                               historical_keys: JSON | None = None) -> Park:
        ctx = _ctx(info)
        history = historical_keys if historical_keys is not None else []
        return Park.of(await ctx.services.registry.update_keys(ctx.principal, id, jwks, history))

    @strawberry.mutation(description="Record that a park recognises ratings under a standard version "
                         "(alliance-admin, or that park's operator).")
    async def adopt_standard(self, info: strawberry.Info, park_id: str, standard_id: str, version: str,
                             adopt: bool = True) -> Park:
        ctx = _ctx(info)
        return Park.of(await ctx.services.registry.adopt(ctx.principal, park_id, standard_id, version, adopt=adopt))

    @strawberry.mutation(description="Store or replace a draft standard (alliance-admin).")
    async def draft_standard(self, info: strawberry.Info, document: JSON) -> Standard:
        ctx = _ctx(info)
        return Standard.of(await ctx.services.standards.save_draft(ctx.principal, document))

    @strawberry.mutation(
        description="Validate, sign with the alliance key and publish a standard; the previous published "
        "version becomes superseded (alliance-admin)."
    )
    async def publish_standard(self, info: strawberry.Info, document: JSON) -> Standard:
        ctx = _ctx(info)
        return Standard.of(await ctx.services.standards.publish(ctx.principal, document))

    @strawberry.mutation(description="Retire a published or superseded standard (alliance-admin).")
    async def retire_standard(self, info: strawberry.Info, id: str, version: str) -> Standard:
        ctx = _ctx(info)
        return Standard.of(await ctx.services.standards.retire(ctx.principal, id, version))


schema = strawberry.Schema(query=Query, mutation=Mutation)
