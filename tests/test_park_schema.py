"""The park endpoint: the graphene schema held to schema/park.graphql; GraphQL over HTTP on a live node."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    lexicographic_sort_schema,
    print_schema,
)

from alliance.core import jws
from alliance.core.attestation import verify_bundle
from alliance.core.park_statement import verify_park_statement
from alliance.core.records import EnterpriseRecord
from alliance.park.node import ParkNode
from alliance.park.schema import schema as park_schema
from alliance.web.server import BackgroundServer
from tests.park_fixtures import FakeAlliance, make_records, make_uscc, running_park, write_park_config

SDL_PATH = Path(__file__).resolve().parents[1] / "schema" / "park.graphql"
GQL = "application/graphql-response+json"
RATING = "query($u: String!) { rating(uscc: $u) { attestation } }"


# ---------------------------------------------------------------------------------------------- contract


def _strip_descriptions(schema: GraphQLSchema) -> GraphQLSchema:
    schema.description = None
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        named.description = None
        if isinstance(named, GraphQLObjectType | GraphQLInputObjectType):
            for field in named.fields.values():
                field.description = None
                for arg in getattr(field, "args", {}).values():
                    arg.description = None
        if isinstance(named, GraphQLEnumType):
            for value in named.values.values():
                value.description = None
    return schema


def canonical(sdl: str, *, descriptions: bool = True) -> str:
    """SDL → schema → sorted → SDL: two schemas that mean the same print the same."""
    schema = build_schema(sdl)
    if not descriptions:
        schema = _strip_descriptions(schema)
    return print_schema(lexicographic_sort_schema(schema))


def graphene_sdl() -> str:
    return print_schema(park_schema.graphql_schema)


def test_graphene_schema_has_the_contracts_types_fields_and_arguments() -> None:
    contract = canonical(SDL_PATH.read_text(encoding="utf-8"), descriptions=False)
    assert canonical(graphene_sdl(), descriptions=False) == contract


def test_graphene_schema_carries_the_contracts_descriptions() -> None:
    assert canonical(graphene_sdl()) == canonical(SDL_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("  maxBatch: Int!\n", ""),  # a field gone
        ("search(query: String!, first: Int = 20)", "search(query: String!, first: Int = 10)"),  # a default
        ("  BLACK\n", "  BLACK\n  GREY\n"),  # an enum value more
        ("  until: String\n}\n\ntype Listing", "  until: String!\n}\n\ntype Listing"),  # nullability
    ],
)
def test_the_comparison_sees_drift(old: str, new: str) -> None:
    sdl = SDL_PATH.read_text(encoding="utf-8")
    assert old in sdl
    assert canonical(sdl.replace(old, new, 1), descriptions=False) != canonical(
        graphene_sdl(), descriptions=False
    )


# ---------------------------------------------------------------------------------------------- live node


@dataclass
class Live:
    alliance: FakeAlliance
    park: BackgroundServer
    park_id: str
    records: list[EnterpriseRecord]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("park-schema")
    with FakeAlliance().running() as alliance:
        cfg = write_park_config(tmp, "zhangjiang", "上海张江高新区", alliance_url=alliance.url, city="上海")
        alliance.register_config(cfg)
        records = make_records(25, region="310100")

        async def seed() -> None:
            node = await ParkNode.open(cfg)
            try:
                await node.import_records(records)
            finally:
                await node.close()

        asyncio.run(seed())
        with running_park(cfg) as server:
            yield Live(alliance, server, cfg.id, records)


def gql(
    live: Live, query: str, variables: dict | None = None, *, token: str | None = None, accept: str = GQL
) -> httpx.Response:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        f"{live.park.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
        timeout=10,
    )


def test_park_info(live: Live) -> None:
    body = gql(
        live, "{ park { id name city standard { id version } statement statusListUri enterprises maxBatch } }"
    )
    park = body.json()["data"]["park"]
    assert (park["id"], park["name"], park["city"]) == ("zhangjiang", "上海张江高新区", "上海")
    assert park["standard"] == {"id": "ACS", "version": "2025.1"}
    assert park["enterprises"] == 25 and park["maxBatch"] == 500
    assert park["statusListUri"] == f"{live.park.url}/statuslists/1"
    stmt = verify_park_statement(park["statement"], {live.alliance.key.kid: live.alliance.key.public})
    assert stmt.park_id == "zhangjiang"
    assert body.headers["content-type"].startswith(GQL)


def test_rating_with_bundle_that_verifies_offline(live: Live) -> None:
    target = live.records[0]
    query = """query($u: String!) { rating(uscc: $u) {
        uscc found error name attestation grade score breakdown bundle listings { id } } }"""
    rating = gql(live, query, {"u": target.uscc.lower()}).json()["data"]["rating"]
    assert rating["found"] and rating["uscc"] == target.uscc and rating["name"] == target.name
    assert rating["breakdown"]["grade"] == rating["grade"] and len(rating["breakdown"]["breakdown"]) == 10
    assert jws.unverified_claims(rating["attestation"])["sub"] == target.uscc
    verdict = verify_bundle(rating["bundle"], {live.alliance.key.kid: live.alliance.key.public})
    assert verdict, verdict.reason


def test_an_invalid_uscc_is_an_error_naming_the_problem(live: Live) -> None:
    resp = gql(live, '{ rating(uscc: "91510100MA6CXXXXX1") { found } }')
    assert resp.status_code == 200  # execution started: the error is in the body
    error = resp.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "invalid USCC" in error["message"] and "Traceback" not in resp.text


def test_ratings_batch_keeps_order_and_isolates_bad_codes(live: Live) -> None:
    asked = [live.records[1].uscc, "bogus", make_uscc(99999, "310100"), live.records[2].uscc]
    items = gql(
        live, "query($c: [String!]!) { ratings(usccs: $c) { uscc found error grade } }", {"c": asked}
    ).json()["data"]["ratings"]
    assert [i["uscc"] for i in items] == asked
    assert [i["found"] for i in items] == [True, False, False, True]
    assert "invalid USCC" in items[1]["error"] and items[2]["error"] is None


def test_ratings_over_the_batch_limit_are_refused(live: Live) -> None:
    body = gql(
        live, "query($c: [String!]!) { ratings(usccs: $c) { found } }", {"c": [live.records[0].uscc] * 501}
    ).json()
    assert (
        body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED" and "500" in body["errors"][0]["message"]
    )


def test_search(live: Live) -> None:
    found = gql(live, '{ search(query: "测试企业000", first: 3) { uscc name grade } }').json()["data"][
        "search"
    ]
    assert len(found) == 3 and all(f["grade"] for f in found)


def test_status_list_and_keys_over_graphql_and_http(live: Live) -> None:
    data = gql(live, "{ statusList jwks }").json()["data"]
    http_jwks = httpx.get(f"{live.park.url}/.well-known/jwks.json").json()
    assert data["jwks"] == http_jwks and http_jwks["keys"][0]["crv"] == "Ed25519"
    resp = httpx.get(f"{live.park.url}/statuslists/1")
    assert resp.headers["content-type"].startswith("application/statuslist+jwt")
    assert "max-age=300" in resp.headers["cache-control"]
    header = jws.unverified_header(resp.text)
    assert header["typ"] == "statuslist+jwt" and header["kid"] == http_jwks["keys"][0]["kid"]
    assert jws.unverified_claims(data["statusList"])["sub"] == f"{live.park.url}/statuslists/1"
    keys = httpx.get(f"{live.park.url}/.well-known/park-keys.json").json()
    assert keys == {"jwks": http_jwks, "historical_keys": []}
    assert httpx.get(f"{live.park.url}/healthz").json()["status"] == "ok"


def test_mutations_need_this_parks_operator(live: Live) -> None:
    rating = gql(live, RATING, {"u": live.records[5].uscc}).json()["data"]["rating"]
    jti = jws.unverified_claims(rating["attestation"])["jti"]
    mutation = 'mutation($j: String!) { suspendAttestation(jti: $j, reason: "核查") { jti uscc status } }'
    anonymous = gql(live, mutation, {"j": jti}).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    other = gql(live, mutation, {"j": jti}, token=live.alliance.operator_token("chengdu-hi-tech")).json()
    error = other["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN" and "chengdu-hi-tech" in error["message"]
    garbage = gql(live, mutation, {"j": jti}, token="abc.def")
    assert (
        garbage.status_code == 401 and garbage.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    )

    token = live.alliance.operator_token(live.park_id)
    done = gql(live, mutation, {"j": jti}, token=token).json()["data"]["suspendAttestation"]
    assert done == {"jti": jti, "uscc": live.records[5].uscc, "status": "SUSPENDED"}
    reinstate = "mutation($j: String!) { reinstateAttestation(jti: $j) { status } }"
    back = gql(live, reinstate, {"j": jti}, token=token).json()
    assert back["data"]["reinstateAttestation"]["status"] == "VALID"
    again = gql(live, reinstate, {"j": jti}, token=token).json()
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"


def test_list_and_delist_over_graphql(live: Live) -> None:
    token = live.alliance.operator_token(live.park_id)
    target = live.records[7].uscc
    listing = gql(
        live,
        """mutation($i: ListingInput!) { listEnterprise(input: $i) {
        id uscc kind reason legalBasis since until active } }""",
        {
            "i": {
                "uscc": target,
                "kind": "BLACK",
                "reason": "严重失信",
                "legalBasis": "园区信用管理办法第12条",
                "since": "2025-02-01",
                "until": None,
            }
        },
        token=token,
    ).json()["data"]["listEnterprise"]
    assert (
        listing["kind"] == "BLACK" and listing["active"] and listing["legalBasis"] == "园区信用管理办法第12条"
    )
    query = "query($u: String!) { rating(uscc: $u) { listings { id kind active } } }"
    rating = gql(live, query, {"u": target}).json()["data"]["rating"]
    assert rating["listings"] == [{"id": listing["id"], "kind": "BLACK", "active": True}]
    delist = 'mutation($i: ID!) { delistEnterprise(id: $i, reason: "已修复") { active } }'
    off = gql(live, delist, {"i": listing["id"]}, token=token).json()["data"]["delistEnterprise"]
    assert off == {"active": False}
    bad = gql(
        live,
        """mutation { listEnterprise(input: {uscc: "x", kind: RED, reason: "", legalBasis: "",
        since: "soon"}) { id } }""",
        token=token,
    ).json()["errors"][0]
    assert bad["extensions"]["code"] == "BAD_USER_INPUT" and len(bad["extensions"]["problems"]) == 4


def test_query_limits_are_wired(live: Live) -> None:
    aliases = " ".join(f"a{i}: jwks" for i in range(40))
    body = gql(live, "{ " + aliases + " }")
    assert body.status_code == 400 and "aliases" in body.json()["errors"][0]["message"]
