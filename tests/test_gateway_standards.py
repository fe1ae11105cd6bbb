"""Standards through the gateway's GraphQL API, over real HTTP."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import httpx
import pytest

from alliance.config import load_settings
from alliance.core.keys import PublicKey
from alliance.core.standard import demo_standard_path
from alliance.gateway.app import create_app
from alliance.services.standards import verify_standard_signature
from alliance.web.server import BackgroundServer, serving

GQL = "application/graphql-response+json"


@pytest.fixture
def gateway(tmp_path) -> Iterator[BackgroundServer]:
    app = create_app(load_settings(data_dir=tmp_path / "data"))
    with serving(app) as server:
        server.app = app
        yield server


def demo_doc(version: str = "2025.1") -> dict:
    return json.loads(demo_standard_path(version).read_text(encoding="utf-8"))


def gql(server, query: str, variables: dict | None = None, token: str | None = None, accept: str = GQL):
    headers = {"accept": accept}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(f"{server.url}/graphql", json={"query": query, "variables": variables or {}},
                      headers=headers, timeout=10)


def admin(server) -> str:
    return server.app.state.services.tokens.issue("alliance-admin", "admin@test")


PUBLISH = "mutation($d: JSON!) { publishStandard(document: $d) { id version status signature } }"


def test_publish_list_current_and_signature(gateway):
    r = gql(gateway, PUBLISH, {"d": demo_doc()}, admin(gateway))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(GQL)
    body = r.json()
    assert "errors" not in body, body
    published = body["data"]["publishStandard"]
    assert published["status"] == "PUBLISHED"

    # The signature verifies with the alliance's public key alone, fetched from the JWKS endpoint.
    keys = httpx.get(f"{gateway.url}/.well-known/jwks.json").json()["keys"]
    alliance_keys = {k["kid"]: PublicKey.from_jwk(k) for k in keys}
    assert verify_standard_signature(demo_doc(), published["signature"], alliance_keys)
    tampered = demo_doc()
    tampered["validity_days"] = 9999
    verdict = verify_standard_signature(tampered, published["signature"], alliance_keys)
    assert not verdict and "does not verify" in verdict.reason

    r = gql(gateway, '{ currentStandard(id: "ACS") { version status signatureVerdict { ok reason } } }')
    current = r.json()["data"]["currentStandard"]
    assert current["version"] == "2025.1" and current["signatureVerdict"]["ok"] is True


def test_lifecycle_supersede_and_retire(gateway):
    token = admin(gateway)
    assert "errors" not in gql(gateway, PUBLISH, {"d": demo_doc("2025.1")}, token).json()
    assert "errors" not in gql(gateway, PUBLISH, {"d": demo_doc("2026.1")}, token).json()
    rows = gql(gateway, "{ standards { version status } }").json()["data"]["standards"]
    assert rows == [{"version": "2025.1", "status": "SUPERSEDED"}, {"version": "2026.1", "status": "PUBLISHED"}]

    r = gql(gateway, 'mutation { retireStandard(id: "ACS", version: "2026.1") { status retiredAt } }', token=token)
    assert r.json()["data"]["retireStandard"]["status"] == "RETIRED"
    assert gql(gateway, '{ currentStandard(id: "ACS") { version } }').json()["data"]["currentStandard"] is None

    # An older version cannot be published over a newer one, and a version is published once only.
    again = gql(gateway, PUBLISH, {"d": demo_doc("2025.1")}, token).json()
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "already superseded" in again["errors"][0]["message"]


def test_same_version_twice_is_refused(gateway):
    token = admin(gateway)
    gql(gateway, PUBLISH, {"d": demo_doc()}, token)
    r = gql(gateway, PUBLISH, {"d": demo_doc()}, token).json()
    assert r["data"] is None
    assert "already published" in r["errors"][0]["message"]


def test_malformed_standard_lists_every_problem_and_stores_nothing(gateway):
    doc = demo_doc()
    doc["indicators"][0]["rule"]["kind"] = "fancy"
    doc["indicators"][1]["weight"] = doc["indicators"][1]["weight"] + 0.5
    doc["grades"][1]["min_score"] = doc["grades"][0]["min_score"] + 1  # bands overlap
    r = gql(gateway, PUBLISH, {"d": doc}, admin(gateway)).json()
    error = r["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    problems = error["extensions"]["problems"]
    assert len(problems) >= 2, problems
    assert any("fancy" in p for p in problems)
    assert gql(gateway, "{ standards { id } }").json()["data"]["standards"] == []


def test_forbidden_without_admin_role_and_nothing_changes(gateway):
    r = gql(gateway, PUBLISH, {"d": demo_doc()}).json()
    assert r["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "forbidden" in r["errors"][0]["message"]
    park = gateway.app.state.services.tokens.issue("park", "p", park_id="whdh")
    r = gql(gateway, PUBLISH, {"d": demo_doc()}, park).json()
    assert r["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert gql(gateway, "{ standards { id } }").json()["data"]["standards"] == []


def test_forged_token_gets_401(gateway):
    token = admin(gateway)
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-4]}AAAA"
    r = gql(gateway, "{ standards { id } }", token=forged)
    assert r.status_code == 401
    assert "bearer token refused" in r.json()["errors"][0]["message"]


def test_audit_trail_records_actions_and_refusals(gateway):
    token = admin(gateway)
    gql(gateway, PUBLISH, {"d": demo_doc()}, token)
    gql(gateway, PUBLISH, {"d": demo_doc()}, token)  # refused: duplicate
    gql(gateway, PUBLISH, {"d": demo_doc()})  # refused: anonymous
    r = gql(gateway, "{ auditTrail { actor role action target outcome detail } }", token=token).json()
    trail = r["data"]["auditTrail"]
    assert [e["outcome"] for e in trail] == ["refused", "refused", "ok"]
    assert trail[2] == {"actor": "admin@test", "role": "alliance-admin", "action": "publishStandard",
                        "target": "ACS 2025.1", "outcome": "ok", "detail": ""}
    assert gql(gateway, "{ auditTrail { actor } }").json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_score_enterprise_stores_nothing(gateway):
    gql(gateway, PUBLISH, {"d": demo_doc()}, admin(gateway))
    doc = demo_doc()
    indicators = {"TAX_CREDIT": "A", "ADMIN_PENALTY": 0, "DISHONEST_DEBTOR": True}
    q = """query($i: JSON!) { scoreEnterprise(standardId: "ACS", version: "2025.1", indicators: $i) {
        score grade missing breakdown { code points contribution } veto { code grade } } }"""
    r = gql(gateway, q, {"i": indicators}).json()
    assert "errors" not in r, r
    result = r["data"]["scoreEnterprise"]
    assert result["grade"] in [g["grade"] for g in doc["grades"]]
    assert len(result["breakdown"]) == len(doc["indicators"])
    assert result["veto"]["grade"] == "D" and result["grade"] == "D"  # 失信被执行人: a veto always wins
    bad = gql(gateway, q, {"i": {"NO_SUCH_INDICATOR": 1}}).json()
    assert "NO_SUCH_INDICATOR" in bad["errors"][0]["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json", "accept": GQL}}, 400),
        ({"json": {"query": "{ nope }"}, "headers": {"accept": GQL}}, 400),
        ({"json": {"query": "{ standards { id } }"}, "headers": {"accept": GQL}}, 200),
        ({"json": {"query": "{ nope }"}, "headers": {"accept": "application/json"}}, 200),
        ({"content": b"query", "headers": {"content-type": "text/plain", "accept": GQL}}, 415),
        ({"json": {"query": "{ standards { id } }"}, "headers": {"accept": "text/csv"}}, 406),
    ],
)
def test_graphql_over_http_status_codes(gateway, request_kwargs, status):
    r = httpx.post(f"{gateway.url}/graphql", **request_kwargs)
    assert r.status_code == status, r.text


def test_get_queries_and_no_get_mutations(gateway):
    r = httpx.get(f"{gateway.url}/graphql", params={"query": "{ standards { id } }"}, headers={"accept": GQL})
    assert r.status_code == 200 and r.json() == {"data": {"standards": []}}
    r = httpx.get(f"{gateway.url}/graphql", params={"query": 'mutation { retireStandard(id:"A", version:"1") { id } }'},
                  headers={"accept": GQL})
    assert r.status_code == 405
    assert httpx.request("PUT", f"{gateway.url}/graphql").status_code == 405
    page = httpx.get(f"{gateway.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_limits_depth_aliases_tokens(gateway):
    many = " ".join(f"a{i}: standards {{ id }}" for i in range(40))
    r = gql(gateway, "{ " + many + " }")
    assert r.status_code == 400 and "aliases" in r.json()["errors"][0]["message"]
    huge = "{ " + " ".join("standards { id }" for _ in range(800)) + " }"
    r = gql(gateway, huge)
    assert r.status_code == 400 and "tokens" in r.json()["errors"][0]["message"]


def test_health_and_readiness(gateway):
    assert httpx.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{gateway.url}/readyz").json() == {"status": "ready"}


def test_publish_does_not_mutate_input(gateway):
    doc = demo_doc()
    before = copy.deepcopy(doc)
    gql(gateway, PUBLISH, {"d": doc}, admin(gateway))
    assert doc == before
