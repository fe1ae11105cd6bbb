"""The park endpoint's GraphQL schema in graphene, held to `schema/park.graphql` by tests/test_park_schema.py.

Resolvers only translate between GraphQL and the node (`info.context.node`); every rule lives in ParkNode.
Descriptions are copied from the SDL so that GraphiQL documents what the contract says.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLResolveInfo
from graphql.utilities import value_from_ast_untyped

from alliance.park import node as svc

# Graphene takes a class docstring as the type's description; the SDL describes only the fields, so the
# classes below carry comments instead.


def _node(info: GraphQLResolveInfo) -> svc.ParkNode:
    return info.context.node


def _principal(info: GraphQLResolveInfo) -> Any:
    return info.context.principal


def _value(enum_or_value: Any) -> Any:
    # graphene 3 hands enum arguments over as the Python enum member
    return getattr(enum_or_value, "value", enum_or_value)


class JSON(graphene.Scalar):
    """Arbitrary JSON."""

    @staticmethod
    def serialize(value: Any) -> Any:
        return value

    @staticmethod
    def parse_value(value: Any) -> Any:
        return value

    @staticmethod
    def parse_literal(node: Any, _variables: Any = None) -> Any:
        return value_from_ast_untyped(node, _variables)


class ListingKind(graphene.Enum):
    RED = "red"
    BLACK = "black"


class StandardRef(graphene.ObjectType):
    id = graphene.String(required=True)
    version = graphene.String(required=True)


class GradeCount(graphene.ObjectType):
    grade = graphene.String(required=True)
    standard_id = graphene.String(required=True)
    standard_version = graphene.String(required=True)
    count = graphene.Int(required=True)


class ListingCount(graphene.ObjectType):
    month = graphene.String(required=True, description="YYYY-MM")
    kind = graphene.Field(ListingKind, required=True)
    count = graphene.Int(required=True)


class ParkStats(graphene.ObjectType):
    enterprises = graphene.Int(required=True, description="Enterprises the park holds.")
    rated = graphene.Int(
        required=True, description="Enterprises with a current, VALID, unexpired attestation."
    )
    grades = graphene.NonNull(
        graphene.List(graphene.NonNull(GradeCount)),
        description="Current, VALID, unexpired attestations counted by standard version and grade.",
    )
    listings = graphene.NonNull(
        graphene.List(graphene.NonNull(ListingCount)),
        description="Every red or black listing, withdrawn or not, counted by the month of its `since` "
        "and its kind.",
    )


class ParkInfo(graphene.ObjectType):
    id = graphene.String(required=True)
    name = graphene.String(required=True)
    city = graphene.String(required=True)
    standard = graphene.Field(StandardRef)
    statement = graphene.String(
        description="The alliance-signed park statement (typ park-statement+jwt), "
        "when the node holds a current one."
    )
    status_list_uri = graphene.String(required=True)
    enterprises = graphene.Int(required=True)
    max_batch = graphene.Int(required=True)
    stats = graphene.Field(
        ParkStats,
        required=True,
        description="Aggregate figures of this park (no enterprise named), for the alliance's dashboard.",
    )

    @staticmethod
    async def resolve_stats(_parent: svc.ParkInfo, info: GraphQLResolveInfo) -> svc.ParkStats:
        # Counted only when asked for: a plain `park { id }` costs no aggregate queries.
        return await _node(info).stats()


class EnterpriseSummary(graphene.ObjectType):
    uscc = graphene.String(required=True)
    name = graphene.String(required=True)
    grade = graphene.String()


class Listing(graphene.ObjectType):
    id = graphene.ID(required=True)
    uscc = graphene.String(required=True)
    kind = graphene.Field(ListingKind, required=True)
    reason = graphene.String(required=True)
    legal_basis = graphene.String(required=True)
    since = graphene.String(required=True)
    until = graphene.String()
    active = graphene.Boolean(required=True)


class RatingResult(graphene.ObjectType):
    uscc = graphene.String(required=True)
    found = graphene.Boolean(
        required=True, description="False when this park holds no rating for the enterprise."
    )
    error = graphene.String(
        description="Set when the request for this item was refused (e.g. an invalid USCC)."
    )
    name = graphene.String()
    attestation = graphene.String()
    grade = graphene.String()
    score = graphene.Float()
    breakdown = graphene.Field(
        JSON,
        description="The scoring breakdown under the standard "
        "(indicator points and contributions, any veto).",
    )
    bundle = graphene.String(
        description="An offline bundle (attestation + park statement + status list), for a QR code."
    )
    listings = graphene.NonNull(graphene.List(graphene.NonNull(Listing)))

    @staticmethod
    async def resolve_bundle(parent: svc.RatingView, info: GraphQLResolveInfo) -> str | None:
        # Built only when asked for: it needs the park statement and the signed status list.
        return await _node(info).bundle(parent.attestation)


class AttestationStatus(graphene.ObjectType):
    jti = graphene.String(required=True)
    uscc = graphene.String(required=True)
    status = graphene.String(required=True)


class ListingInput(graphene.InputObjectType):
    uscc = graphene.String(required=True)
    kind = graphene.Field(ListingKind, required=True)
    reason = graphene.String(required=True)
    legal_basis = graphene.String(required=True)
    since = graphene.String(required=True)
    until = graphene.String()


class Query(graphene.ObjectType):
    park = graphene.Field(
        ParkInfo,
        required=True,
        description="This park: who it is, the standard it scores by, its keys and its status list.",
    )
    rating = graphene.Field(
        RatingResult,
        required=True,
        uscc=graphene.String(required=True),
        description="The current rating of one enterprise. "
        "An invalid USCC gives an error naming the problem.",
    )
    ratings = graphene.Field(
        graphene.NonNull(graphene.List(graphene.NonNull(RatingResult))),
        usccs=graphene.NonNull(graphene.List(graphene.NonNull(graphene.String))),
        description="Ratings of many enterprises in one request, in the order asked. "
        "At most `ParkInfo.maxBatch` "
        "(500) codes;\nan invalid code gives that item an `error` and does not sink the others.",
    )
    holds = graphene.Field(
        graphene.NonNull(graphene.List(graphene.NonNull(graphene.String))),
        usccs=graphene.NonNull(graphene.List(graphene.NonNull(graphene.String))),
        description="Which of these codes this park knows (rated or listed), in the order asked; codes it does not "
        "know, invalid\nones included, are left out. Cheap, for a caller that must find the holders among many "
        "parks before asking\nfor `ratings`. At most 5000 codes.",
    )
    search = graphene.Field(
        graphene.NonNull(graphene.List(graphene.NonNull(EnterpriseSummary))),
        query=graphene.String(required=True),
        first=graphene.Int(default_value=20),
        description="Enterprises of this park by name fragment or USCC prefix.",
    )
    status_list = graphene.String(
        required=True, description="The park's signed Token Status List (typ statuslist+jwt)."
    )
    jwks = graphene.Field(
        JSON,
        required=True,
        description="The park's public keys (RFC 7517 JWKS, RFC 8037 OKP keys, RFC 7638 thumbprints as kid).",
    )

    @staticmethod
    async def resolve_park(_root: Any, info: GraphQLResolveInfo) -> svc.ParkInfo:
        return await _node(info).info()

    @staticmethod
    async def resolve_rating(_root: Any, info: GraphQLResolveInfo, uscc: str) -> svc.RatingView:
        return await _node(info).rating(uscc)

    @staticmethod
    async def resolve_ratings(_root: Any, info: GraphQLResolveInfo, usccs: list[str]) -> list[svc.RatingView]:
        return await _node(info).ratings(usccs)

    @staticmethod
    async def resolve_holds(_root: Any, info: GraphQLResolveInfo, usccs: list[str]) -> list[str]:
        return await _node(info).holds(usccs)

    @staticmethod
    async def resolve_search(
        _root: Any, info: GraphQLResolveInfo, query: str, first: int = 20
    ) -> list[svc.EnterpriseSummary]:
        return await _node(info).search(query, first)

    @staticmethod
    async def resolve_status_list(_root: Any, info: GraphQLResolveInfo) -> str:
        return await _node(info).status_list_token()

    @staticmethod
    def resolve_jwks(_root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
        return _node(info).jwks()


class Mutation(graphene.ObjectType):
    revoke_attestation = graphene.Field(
        AttestationStatus,
        required=True,
        jti=graphene.String(required=True),
        reason=graphene.String(required=True),
        description="Revoke an attestation of this park for good (role park-operator of this park).",
    )
    suspend_attestation = graphene.Field(
        AttestationStatus,
        required=True,
        jti=graphene.String(required=True),
        reason=graphene.String(required=True),
        description="Suspend an attestation; reversible (role park-operator of this park).",
    )
    reinstate_attestation = graphene.Field(
        AttestationStatus,
        required=True,
        jti=graphene.String(required=True),
        description="Lift a suspension (role park-operator of this park).",
    )
    list_enterprise = graphene.Field(
        Listing,
        required=True,
        input=ListingInput(required=True),
        description="Put an enterprise on this park's red or black list (role park-operator of this park).",
    )
    delist_enterprise = graphene.Field(
        Listing,
        required=True,
        id=graphene.ID(required=True),
        reason=graphene.String(required=True),
        description="Take a listing off (role park-operator of this park).",
    )

    @staticmethod
    async def resolve_revoke_attestation(
        _root: Any, info: GraphQLResolveInfo, jti: str, reason: str
    ) -> svc.AttestationStatusView:
        return await _node(info).revoke(_principal(info), jti, reason)

    @staticmethod
    async def resolve_suspend_attestation(
        _root: Any, info: GraphQLResolveInfo, jti: str, reason: str
    ) -> svc.AttestationStatusView:
        return await _node(info).suspend(_principal(info), jti, reason)

    @staticmethod
    async def resolve_reinstate_attestation(
        _root: Any, info: GraphQLResolveInfo, jti: str
    ) -> svc.AttestationStatusView:
        return await _node(info).reinstate(_principal(info), jti)

    @staticmethod
    async def resolve_list_enterprise(_root: Any, info: GraphQLResolveInfo, input: Any) -> svc.ListingView:
        return await _node(info).list_enterprise(
            _principal(info),
            uscc=input.uscc,
            kind=_value(input.kind),
            reason=input.reason,
            legal_basis=input.legal_basis,
            since=input.since,
            until=input.get("until"),
        )

    @staticmethod
    async def resolve_delist_enterprise(
        _root: Any, info: GraphQLResolveInfo, id: str, reason: str
    ) -> svc.ListingView:
        return await _node(info).delist(_principal(info), id, reason)


DESCRIPTION = (
    "The endpoint every member park runs (园区节点). The alliance gateway federates these; "
    "any member park may\ncall them too. Every rating comes as a signed attestation "
    "(compact JWS, typ rating-attestation+jwt) that the\ncaller verifies with the alliance's public key and "
    "the park statement: the plain fields beside it are a\nconvenience, never a substitute."
)

schema = graphene.Schema(query=Query, mutation=Mutation)
# graphene has no parameter for the schema's own description; graphql-core's schema takes it as an attribute.
schema.graphql_schema.description = DESCRIPTION
