"""Issue 4: partner parks query ratings and mutual recognition across the alliance, through real servers.

One module-scoped alliance: the gateway, five real park nodes, and four faulty parks (down, hanging, garbage,
wrong key). Tests that change the alliance (listing, suspension, a park going down, retiring the standard)
come last, in that order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from alliance.core import jws
from alliance.park.keyring import Keyring
from alliance.services.auth import ACCESS_TOKEN_TYP
from tests.federation_fixtures import ENTERPRISE_QUERY, GOOD_PARKS, Alliance, small_alliance

GOOD = [p[0] for p in GOOD_PARKS]


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> Iterator[Alliance]:
    with small_alliance(tmp_path_factory.mktemp("alliance")) as alliance:
        yield alliance


def shared(net: Alliance, i: int) -> str:
    return net.records["wuhan-east-lake"][4 + i].uscc  # make_records(4 own) then the shared ones


def park_token(net: Alliance) -> str:
    return net.token("park", park_id="wuhan-east-lake", subject="ops@whdh")


def report(net: Alliance, uscc: str, token: str | None = None) -> dict:
    body = net.gql(ENTERPRISE_QUERY, {"u": uscc}, token=token)
    assert "errors" not in body, body
    return body["data"]["enterprise"]


def by_park(rows: list[dict]) -> dict[str, dict]:
    return {row["park"]["id"]: row for row in rows}


def test_full_answer_across_parks_with_every_fault_named(net):
    answer = report(net, shared(net, 0), park_token(net))
    assert answer["name"].startswith("测试企业")
    ratings = by_park(answer["ratings"])
    for pid in GOOD:
        r = ratings[pid]
        assert r["verdict"]["ok"], r
        assert r["verdict"]["status"] == "VALID"
        assert r["grade"] == "AAA" and r["score"] == 96.2
        assert (r["standardId"], r["standardVersion"]) == ("ACS", "2025.1")
        assert r["attestation"].count(".") == 2
    wrong = ratings["wrong-key-park"]
    assert not wrong["verdict"]["ok"]
    assert wrong["verdict"]["status"] in ("UNKNOWN_KEY", "FORGED"), wrong["verdict"]
    assert "kid" in wrong["verdict"]["reason"] or "key" in wrong["verdict"]["reason"]

    sources = by_park(answer["sources"])
    assert {pid: sources[pid]["status"] for pid in GOOD} == dict.fromkeys(GOOD, "OK")
    assert sources["down-park"]["status"] == "ERROR" and "cannot reach" in sources["down-park"]["detail"]
    assert sources["hanging-park"]["status"] == "TIMEOUT"
    assert sources["garbage-park"]["status"] == "ERROR" and "garbage" in sources["garbage-park"]["detail"]
    assert sources["wrong-key-park"]["status"] == "OK"

    recognition = by_park(answer["recognition"])
    assert len(recognition) == 9
    for pid in GOOD:
        assert recognition[pid]["recognised"], recognition[pid]
    assert answer["recognisedBy"] >= 5
    assert answer["homePark"]["id"] == "wuhan-east-lake"
    codes = {m["code"] for m in answer["measures"]}
    assert "GREEN_CHANNEL" in codes  # 守信联合激励 for AAA


def test_anonymous_callers_see_public_credit_information_only(net):
    answer = report(net, shared(net, 0))
    rating = by_park(answer["ratings"])["wuhan-east-lake"]
    assert rating["grade"] == "AAA"
    assert rating["score"] is None and rating["attestation"] is None
    assert by_park(answer["recognition"])["chengdu-hi-tech"]["recognised"]


def test_an_enterprise_sees_everything_about_itself_only(net):
    me, other = shared(net, 0), shared(net, 1)
    token = net.token("enterprise", uscc=me, subject="wx:openid")
    assert by_park(report(net, me, token)["ratings"])["wuhan-east-lake"]["score"] is not None
    assert by_park(report(net, other, token)["ratings"])["wuhan-east-lake"]["score"] is None


def test_a_park_may_sign_its_own_token_and_a_forged_one_is_refused(net):
    key = Keyring.open(net.configs["wuhan-east-lake"].keys_dir).current
    now = int(time.time())
    own = jws.sign({"iss": "wuhan-east-lake", "sub": "ops@whdh", "iat": now, "exp": now + 300}, key,
                   ACCESS_TOKEN_TYP)
    assert by_park(report(net, shared(net, 0), own)["ratings"])["chengdu-hi-tech"]["score"] is not None

    stranger = Keyring.open(net.configs["chengdu-hi-tech"].keys_dir).current  # another park's key
    forged = jws.sign({"iss": "wuhan-east-lake", "sub": "x", "iat": now, "exp": now + 300}, stranger,
                      ACCESS_TOKEN_TYP)
    r = httpx.post(f"{net.gateway.url}/graphql", json={"query": "{ parks { id } }"},
                   headers={"authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert "武汉东湖" in r.json()["errors"][0]["message"]


def _park_calls(net: Alliance, park_id: str) -> float:
    text = httpx.get(f"{net.gateway.url}/metrics").text
    pattern = rf'alliance_park_calls_total\{{outcome="OK",park="{park_id}"\}} ([0-9.e+]+)'
    match = re.search(pattern, text)
    return float(match.group(1)) if match else 0.0


def test_a_batch_is_one_request_per_park_and_a_bad_code_sinks_only_itself(net):
    before = _park_calls(net, "wuhan-east-lake")
    codes = [shared(net, 0), "91420100000000019X", shared(net, 1), "short"]
    body = net.gql("query($u: [String!]!) { enterprises(usccs: $u) { uscc ratings { park { id } grade } } }",
                   {"u": codes}, token=park_token(net))
    items = body["data"]["enterprises"]
    assert [i["uscc"] if i else None for i in items] == [codes[0], None, codes[2], None]
    errors = {tuple(e["path"]): e for e in body["errors"]}
    assert "check character should be" in errors[("enterprises", 1)]["message"]
    assert "18 characters" in errors[("enterprises", 3)]["message"]
    assert errors[("enterprises", 1)]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _park_calls(net, "wuhan-east-lake") == before + 1


def test_a_large_batch_asks_parks_which_they_hold_first(net):
    from tests.park_fixtures import make_uscc

    strangers = [make_uscc(90000 + i, region="110000") for i in range(60)]
    codes = [shared(net, 0), *strangers, shared(net, 2)]
    park = net.parks["wuhan-east-lake"]
    held = httpx.post(f"{park.url}/graphql", json={"query": "query($u: [String!]!) { holds(usccs: $u) }",
                                                    "variables": {"u": [*codes, "not-a-code"]}}).json()
    assert held["data"]["holds"] == [shared(net, 0), shared(net, 2)]
    body = net.gql("query($u: [String!]!, $f: Boolean) { enterprises(usccs: $u, fresh: $f) "
                   "{ uscc ratings { park { id } grade verdict { ok } } sources { park { id } status } } }",
                   {"u": codes, "f": True}, token=park_token(net))
    items = body["data"]["enterprises"]
    assert [i["uscc"] for i in items] == codes
    assert all(not i["ratings"] for i in items[1:-1])
    first = by_park(items[0]["ratings"])
    assert all(first[pid]["verdict"]["ok"] for pid in GOOD)
    assert {pid for pid in by_park(items[-1]["ratings"])} == {"wuhan-east-lake", "shanghai-zhangjiang",
                                                              "chengdu-hi-tech"}


def test_an_oversized_batch_is_refused(net):
    body = net.gql("query($u: [String!]!) { enterprises(usccs: $u) { uscc } }", {"u": [shared(net, 0)] * 501})
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "at most 500" in body["errors"][0]["message"]


def test_an_invalid_uscc_is_named(net):
    body = net.gql('{ enterprise(uscc: "91420100000000019X") { uscc } }')
    assert body["data"] is None
    assert "check character should be Q, got X" in body["errors"][0]["message"]


def test_search_across_parks(net):
    body = net.gql('{ searchEnterprises(query: "测试企业000", first: 50) { uscc name parks { id } } }')
    hits = {h["uscc"]: h for h in body["data"]["searchEnterprises"]}
    assert shared(net, 0) in hits
    assert {"wuhan-east-lake", "chengdu-hi-tech"} <= {p["id"] for p in hits[shared(net, 0)]["parks"]}
    prefix = net.gql('{ searchEnterprises(query: "914201000000000") { uscc } }')["data"]["searchEnterprises"]
    assert shared(net, 0) in {h["uscc"] for h in prefix}


def test_verify_attestation_through_the_gateway(net):
    token = by_park(report(net, shared(net, 0), park_token(net))["ratings"])["chengdu-hi-tech"]["attestation"]
    q = "query($t: String!) { verifyAttestation(token: $t) { ok status reason issuer grade } }"
    verdict = net.gql(q, {"t": token})["data"]["verifyAttestation"]
    assert verdict["ok"] and verdict["status"] == "VALID" and verdict["issuer"] == "chengdu-hi-tech"
    head, payload, sig = token.split(".")
    tampered = f"{head}.{payload[:-2]}xx.{sig}"
    verdict = net.gql(q, {"t": tampered})["data"]["verifyAttestation"]
    assert not verdict["ok"]
    assert verdict["status"] in ("FORGED", "MALFORMED")


def test_breaker_opens_for_a_park_that_keeps_failing(net):
    for _ in range(3):
        report(net, shared(net, 5))
    sources = by_park(report(net, shared(net, 5))["sources"])
    assert sources["down-park"]["status"] == "CIRCUIT_OPEN"
    parks = {p["id"]: p for p in net.gql("{ parks { id health } }")["data"]["parks"]}
    assert parks["down-park"]["health"] == "OPEN"
    assert parks["wuhan-east-lake"]["health"] == "CLOSED"


def test_registry_refuses_duplicates_unknown_parks_and_non_admins(net):
    body = net.gql('{ park(id: "atlantis") { id } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "unknown park 'atlantis'" in body["errors"][0]["message"]
    dup = net.gql("mutation($i: AdmitParkInput!) { admitPark(input: $i) { id } }",
                  {"i": {"id": "wuhan-east-lake", "name": "x", "city": "x", "endpoint": "http://127.0.0.1:1/graphql",
                         "jwks": {"keys": []}, "accredited": []}},
                  token=net.token("alliance-admin"))
    assert dup["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "CONFLICT")
    dup2 = net.gql('mutation { suspendPark(id: "wuhan-east-lake", reason: "x") { id } }', token=park_token(net))
    assert dup2["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_health_readiness_and_metrics(net):
    assert httpx.get(f"{net.gateway.url}/healthz").status_code == 200
    assert httpx.get(f"{net.gateway.url}/readyz").json()["status"] == "ready"
    metrics = httpx.get(f"{net.gateway.url}/metrics").text
    for name in ("alliance_graphql_requests_total", "alliance_park_call_seconds_bucket",
                 "alliance_park_breaker_state", "alliance_attestation_cache_total"):
        assert name in metrics


# ---- tests that change the alliance ---------------------------------------------------------------------


def test_a_black_listing_is_shown_with_its_joint_punishments(net):
    target = shared(net, 3)
    park = net.parks["chengdu-hi-tech"]
    operator = net.token("park-operator", park_id="chengdu-hi-tech", subject="ops@cd")
    mutation = """mutation($i: ListingInput!) { listEnterprise(input: $i) { id active } }"""
    r = httpx.post(f"{park.url}/graphql", headers={"authorization": f"Bearer {operator}"}, json={
        "query": mutation, "variables": {"i": {"uscc": target, "kind": "BLACK", "reason": "拒不履行法院判决",
                                               "legalBasis": "《失信被执行人名单规定》", "since": "2026-01-01"}}})
    assert (r.json().get("data") or {}).get("listEnterprise", {}).get("active"), r.text
    answer = report(net, target, park_token(net))
    listing = answer["listings"][0]
    assert listing["kind"] == "BLACK" and listing["park"]["id"] == "chengdu-hi-tech" and listing["active"]
    recognition = by_park(answer["recognition"])
    assert not recognition["wuhan-east-lake"]["recognised"]
    assert "black-listed by 成都高新技术产业开发区" in recognition["wuhan-east-lake"]["reason"]
    punishments = [m for m in answer["measures"] if m["kind"] == "punishment"]
    assert punishments and "black list of 成都" in punishments[0]["basis"]


def test_recognition_changes_when_a_park_is_suspended(net):
    target = shared(net, 2)  # rated by wuhan, shanghai, chengdu
    net.admin('mutation { suspendPark(id: "shanghai-zhangjiang", reason: "年度复核未通过") { status } }')
    try:
        answer = report(net, target, park_token(net))
        rating = by_park(answer["ratings"])["shanghai-zhangjiang"]
        assert not rating["verdict"]["ok"] and rating["verdict"]["status"] == "PARK_SUSPENDED"
        recognition = by_park(answer["recognition"])["shanghai-zhangjiang"]
        assert not recognition["recognised"]
        assert recognition["reason"] == "not recognised by 上海张江高科技园区: the park is suspended from the alliance"
        assert by_park(answer["recognition"])["wuhan-east-lake"]["recognised"]
    finally:
        net.admin('mutation { reinstatePark(id: "shanghai-zhangjiang") { status } }')
    answer = report(net, target, park_token(net))
    assert by_park(answer["ratings"])["shanghai-zhangjiang"]["verdict"]["ok"]
    assert by_park(answer["recognition"])["shanghai-zhangjiang"]["recognised"]


def test_the_cache_answers_while_a_park_is_down(net):
    target = shared(net, 4)
    first = by_park(report(net, target, park_token(net))["ratings"])["chengdu-hi-tech"]
    assert first["verdict"]["ok"] and not first["fromCache"]
    net.parks["chengdu-hi-tech"].stop()
    answer = report(net, target, park_token(net))
    source = by_park(answer["sources"])["chengdu-hi-tech"]
    assert source["status"] == "CACHED" and "answered from the cache" in source["detail"]
    cached = by_park(answer["ratings"])["chengdu-hi-tech"]
    assert cached["fromCache"] and cached["verdict"]["ok"] and cached["grade"] == first["grade"]
    assert by_park(answer["recognition"])["chengdu-hi-tech"]["recognised"]


def test_recognition_ends_when_the_standard_is_retired(net):
    net.admin('mutation { retireStandard(id: "ACS", version: "2025.1") { status } }')
    answer = report(net, shared(net, 1), park_token(net))
    rating = by_park(answer["ratings"])["wuhan-east-lake"]
    assert not rating["verdict"]["ok"] and "retired" in rating["verdict"]["reason"]
    recognition = by_park(answer["recognition"])["jining-hi-tech"]
    assert not recognition["recognised"]
    assert "the standard ACS 2025.1 is retired" in recognition["reason"]
    assert recognition["reason"].startswith("not recognised by 济宁高新技术产业开发区")


def test_accreditation_and_key_updates_are_admin_actions(net):
    q = ('mutation { accreditPark(parkId: "jining-hi-tech", standardId: "ACS", version: "2026.1") '
         "{ accredited { version } } }")
    refused = net.gql(q, token=net.token("park-operator", park_id="jining-hi-tech"))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    accredited = net.admin(q)["accreditPark"]["accredited"]
    assert {"version": "2026.1"} in accredited
    statement = httpx.get(f"{net.gateway.url}/parks/jining-hi-tech/statement").text
    assert {"id": "ACS", "version": "2026.1"} in jws.unverified_claims(statement)["accredited"]
    bad = net.gql('mutation { updateParkKeys(id: "jining-hi-tech", jwks: {keys: []}) { id } }',
                  token=net.token("alliance-admin"))
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
