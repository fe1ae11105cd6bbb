"""The append-only history: signed tree heads, inclusion and consistency proofs checked with the core alone."""

from __future__ import annotations

import base64
import json

import httpx

from alliance.core import jws, merkle
from alliance.core.keys import SigningKey, jwks, keys_from_jwks
from alliance.core.standard import demo_standard_path
from tests.test_gateway_standards import admin, gateway, gql  # noqa: F401 - the fixture

PUBLISH = "mutation($d: JSON!) { publishStandard(document: $d) { version } }"


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def tree_head(server) -> dict:
    keys = keys_from_jwks(httpx.get(f"{server.url}/.well-known/jwks.json").json())
    token = httpx.get(f"{server.url}/log/tree-head").text
    return jws.verify(token, keys, "tree-head+jwt")


def test_trust_changes_are_logged_and_provable(gateway):  # noqa: F811
    token = admin(gateway)
    assert tree_head(gateway)["tree_size"] == 0
    gql(gateway, PUBLISH, {"d": json.loads(demo_standard_path().read_text(encoding="utf-8"))}, token)
    gql(gateway, PUBLISH, {"d": {"id": "broken"}}, token)  # refused: not history
    admit = """mutation($i: AdmitParkInput!) { admitPark(input: $i) { id } }"""
    gql(gateway, admit, {"i": {"id": "chengdu-gaoxin", "name": "成都高新区", "city": "成都",
                               "endpoint": "http://127.0.0.1:1/graphql", "jwks": jwks([SigningKey.generate().public]),
                               "accredited": ["ACS 2025.1"]}}, token)
    first = tree_head(gateway)
    assert first["tree_size"] == 2
    suspend = 'mutation { suspendPark(id: "chengdu-gaoxin", reason: "复核未通过") { id } }'
    suspended = gql(gateway, suspend, token=token).json()
    assert "errors" not in suspended, suspended
    head = tree_head(gateway)
    assert head["tree_size"] == 3

    actions = []
    for seq in range(3):
        proof = httpx.get(f"{gateway.url}/log/entries/{seq}").json()
        assert proof["root"] == head["root"]
        leaf = merkle.leaf_hash(jws.canonical_json(proof["entry"]))
        assert merkle.verify_inclusion(leaf, seq, 3, [b64(h) for h in proof["inclusion_proof"]], b64(head["root"]))
        actions.append((proof["entry"]["action"], proof["entry"]["target"]))
        forged = merkle.leaf_hash(jws.canonical_json({**proof["entry"], "actor": "someone else"}))
        assert not merkle.verify_inclusion(forged, seq, 3, [b64(h) for h in proof["inclusion_proof"]],
                                           b64(head["root"]))
    assert actions == [("publishStandard", "ACS 2025.1"), ("admitPark", "chengdu-gaoxin"),
                       ("suspendPark", "chengdu-gaoxin")]

    consistency = httpx.get(f"{gateway.url}/log/consistency", params={"first": 2, "second": 3}).json()
    proof = [b64(h) for h in consistency["consistency_proof"]]
    assert merkle.verify_consistency(2, 3, proof, b64(first["root"]), b64(head["root"]))
    assert httpx.get(f"{gateway.url}/log/entries/7").status_code == 404
    assert httpx.get(f"{gateway.url}/log/consistency", params={"first": 3, "second": 2}).status_code == 400
