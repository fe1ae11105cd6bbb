"""The gateway's GraphQL schema. Resolvers only translate: every rule lives in the service layer."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from alliance.gateway.types import AuditEntry, Score, Standard, StandardStatus
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


@strawberry.type
class Mutation:
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
