"""Rating attestations and park statements: the whole chain alliance → park → attestation → status list.

Every refusal has its own machine status and a reason a person can read; tests assert both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from alliance.core import jws
from alliance.core.attestation import (
    BUNDLE_PREFIX,
    SCHEMA_PATH,
    TYP,
    AttestationVerdict,
    Code,
    issue_attestation,
    make_bundle,
    open_bundle,
    validate_claims,
    verify_attestation,
    verify_bundle,
)
from alliance.core.keys import SigningKey, b64url_encode, jwks
from alliance.core.park_statement import (
    ParkStatement,
    issue_park_statement,
    statement_hash,
    verify_park_statement,
)
from alliance.core.statuslist import (
    INVALID,
    SUSPENDED,
    StatusList,
    sign_status_list_token,
    verify_status_list_token,
)
from alliance.core.verdict import Verdict, failure, success
from alliance.errors import InvalidInput

NOW = 1_800_000_000
DAY = 86400
PARK = "whdh"
PARK_NAME = "武汉东湖高新区"
URI = "https://whdh.park.example/statuslists/1"
STD = ("ALLIANCE-CREDIT", "2026.1")
USCC = "914403001922038216"
REVOKED_IDX, SUSPENDED_IDX = 7, 8
COMPROMISED_AT = NOW - 10 * DAY
SUPERSEDED_AT = NOW - 30 * DAY


class World:
    """An alliance, a park with key history, a second park, statements and a status list."""

    def __init__(self) -> None:
        self.alliance = SigningKey.generate()
        self.alliance_keys = {self.alliance.kid: self.alliance.public}
        self.current = SigningKey.generate()
        self.second = SigningKey.generate()  # a second current key of the same park
        self.superseded = SigningKey.generate()
        self.compromised = SigningKey.generate()
        self.other_park = SigningKey.generate()
        self.history = [
            {"jwk": self.superseded.public.jwk(), "reason": "superseded", "revoked_at": SUPERSEDED_AT},
            {"jwk": self.compromised.public.jwk(), "reason": "compromised", "revoked_at": COMPROMISED_AT},
        ]
        self.statement = self.park_statement()
        lst = StatusList(1024)
        lst.set(REVOKED_IDX, INVALID)
        lst.set(SUSPENDED_IDX, SUSPENDED)
        self.status_list = lst
        self.status_token = sign_status_list_token(
            lst, self.current, iss=PARK, sub=URI, ttl=600, lifetime=DAY, now=NOW - 60
        )

    def park_statement(self, **overrides: Any) -> str:
        fields: dict[str, Any] = {
            "park_id": PARK,
            "name": PARK_NAME,
            "jwks": jwks([self.current.public, self.second.public]),
            "alliance_key": self.alliance,
            "lifetime": 6 * 3600,
            "historical_keys": self.history,
            "accredited": [{"id": STD[0], "version": STD[1]}],
            "status_list_uri": URI,
            "now": NOW - 3600,
        }
        fields.update(overrides)
        return issue_park_statement(**fields)

    def issue(self, **overrides: Any) -> str:
        fields: dict[str, Any] = {
            "park_id": PARK,
            "key": self.current,
            "uscc": USCC,
            "name": "武汉光谷科技有限公司",
            "standard_id": STD[0],
            "standard_version": STD[1],
            "grade": "AA",
            "score": 87.5,
            "status_idx": 3,
            "status_uri": URI,
            "validity_seconds": 365 * DAY,
            "now": NOW - DAY,
            "park_statement": self.statement,
        }
        fields.update(overrides)
        return issue_attestation(**fields)

    def check(self, token: Any, **overrides: Any) -> AttestationVerdict:
        fields: dict[str, Any] = {
            "alliance_keys": self.alliance_keys,
            "park_statement": self.statement,
            "status_list": self.status_token,
            "now": NOW,
        }
        fields.update(overrides)
        return verify_attestation(token, **fields)


@pytest.fixture(scope="module")
def w() -> World:
    return World()


def refused(verdict: AttestationVerdict, status: str, reason: str | re.Pattern[str]) -> AttestationVerdict:
    assert isinstance(verdict, AttestationVerdict) and isinstance(verdict, Verdict)
    assert not verdict, verdict.reason
    assert verdict.status == status == verdict.code, (verdict.status, verdict.reason)
    if isinstance(reason, re.Pattern):
        assert reason.search(verdict.reason), verdict.reason
    else:
        assert reason in verdict.reason, verdict.reason
    return verdict


def b64(obj: Any) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def resign(token: str, key: SigningKey, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    """The same attestation with changed claims/header, properly signed by `key`."""
    h = {**jws.unverified_header(token), **(header or {})}
    c = {**jws.unverified_claims(token), **claims}
    signing_input = f"{b64(h)}.{b64(c)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


# ---------------------------------------------------------------------------------------------- valid


def test_valid_attestation(w: World) -> None:
    token = w.issue()
    header = jws.unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": TYP, "kid": w.current.kid}
    verdict = w.check(token)
    assert verdict, verdict.reason
    assert verdict.status == Code.VALID and verdict.park_id == PARK
    assert verdict.claims is not None and verdict.claims["sub"] == USCC
    assert verdict.claims["std"] == {"id": STD[0], "version": STD[1]}
    assert verdict.claims["status"] == {"status_list": {"idx": 3, "uri": URI}}
    assert PARK_NAME in verdict.reason and "AA" in verdict.reason
    assert verdict.details["key"] == "current"
    assert verdict.details["acc_matches"] is True
    assert verdict.details["status_checked"] is True


def test_valid_with_cached_objects(w: World) -> None:
    statement = verify_park_statement(w.statement, w.alliance_keys, now=NOW)
    status = verify_status_list_token(w.status_token, statement.keys, uri=URI, now=NOW)
    verdict = w.check(w.issue(), park_statement=statement, status_list=status, alliance_keys={})
    assert verdict, verdict.reason
    assert verdict.details["acc_matches"] is True


def test_claims_match_the_schema(w: World) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    claims = jws.unverified_claims(w.issue())
    jsonschema.validate(claims, schema, cls=jsonschema.Draft202012Validator)
    assert set(claims) == {
        "iss",
        "sub",
        "iat",
        "exp",
        "jti",
        "std",
        "grade",
        "score",
        "name",
        "status",
        "acc",
    }
    assert claims["acc"] == statement_hash(w.statement)
    with pytest.raises(InvalidInput, match="Additional properties"):
        validate_claims({**claims, "admin": True})


def test_jti_is_unique_and_exp_follows_validity(w: World) -> None:
    a, b = jws.unverified_claims(w.issue()), jws.unverified_claims(w.issue())
    assert a["jti"] != b["jti"] and len(a["jti"]) >= 16
    assert a["exp"] - a["iat"] == 365 * DAY
    assert jws.unverified_claims(w.issue(jti="fixed-jti-0001"))["jti"] == "fixed-jti-0001"


# ---------------------------------------------------------------------------------------------- issuing


def test_issue_refuses_bad_claims_listing_every_problem(w: World) -> None:
    with pytest.raises(InvalidInput) as info:
        w.issue(uscc="91110000600037341", score=-1, grade="")
    paths = " ".join(info.value.problems)
    assert "sub:" in paths and "score:" in paths and "grade:" in paths
    with pytest.raises(InvalidInput, match="validity_seconds"):
        w.issue(validity_seconds=0)
    with pytest.raises(InvalidInput, match="status_list/idx"):
        w.issue(status_idx=-3)


def test_issue_with_a_statement_refuses_what_verifiers_would(w: World) -> None:
    statement = verify_park_statement(w.statement, w.alliance_keys, now=NOW)
    with pytest.raises(InvalidInput, match=r"not accredited for ALLIANCE-CREDIT 2025\.1"):
        w.issue(park_statement=statement, standard_version="2025.1")
    with pytest.raises(InvalidInput, match="is not a current key of park whdh"):
        w.issue(park_statement=statement, key=w.other_park)
    with pytest.raises(InvalidInput, match="the park statement is for whdh, not zj"):
        w.issue(park_statement=statement, park_id="zj")
    assert jws.unverified_claims(w.issue(park_statement=statement))["acc"] == statement.token_hash


# ---------------------------------------------------------------------------------------------- forgeries


def test_tampered_payload(w: World) -> None:
    h, _, s = w.issue(grade="C").split(".")
    claims = {**jws.unverified_claims(w.issue(grade="C")), "grade": "AAA"}
    refused(w.check(f"{h}.{b64(claims)}.{s}"), Code.FORGED, "signature does not verify")


def test_swapped_kid(w: World) -> None:
    token = w.issue()
    _, p, s = token.split(".")
    swapped = f"{b64({**jws.unverified_header(token), 'kid': w.second.kid})}.{p}.{s}"
    verdict = refused(w.check(swapped), Code.FORGED, "signature does not verify")
    assert verdict.claims is None  # nothing unverified leaks out as if it were true


def test_signed_with_another_parks_key(w: World) -> None:
    token = w.issue(key=w.other_park, park_statement=None)
    refused(
        w.check(token),
        Code.UNKNOWN_KEY,
        f"unknown kid {w.other_park.kid[:12]}… (not a key of park {PARK_NAME}",
    )
    # Claiming our park's kid does not help either.
    refused(
        w.check(resign(token, w.other_park, header={"kid": w.current.kid})), Code.FORGED, "does not verify"
    )


def test_attestation_of_another_park(w: World) -> None:
    token = w.issue(park_id="zj", key=w.other_park, park_statement=None)
    refused(
        w.check(token), Code.PARK_MISMATCH, "attestation names issuer zj, but the park statement is for whdh"
    )
    # Even when signed with one of our park's keys, the issuer must be the statement's park.
    token = w.issue(park_id="zj", park_statement=None)
    refused(w.check(token), Code.PARK_MISMATCH, "names issuer zj")


def test_alg_none(w: World) -> None:
    token = w.issue()
    h = b64({"alg": "none", "typ": TYP, "kid": w.current.kid})
    refused(w.check(f"{h}.{token.split('.')[1]}."), Code.FORGED, "alg none is not accepted")


def test_hs256_with_the_public_key_as_secret(w: World) -> None:
    token = w.issue()
    h = b64({"alg": "HS256", "typ": TYP, "kid": w.current.kid})
    signing_input = f"{h}.{token.split('.')[1]}"
    for secret in (w.current.public.raw, json.dumps(w.current.public.jwk()).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        refused(
            w.check(f"{signing_input}.{b64url_encode(mac)}"), Code.FORGED, "alg HS256 (HMAC) is not accepted"
        )


def test_wrong_typ(w: World) -> None:
    refused(w.check(w.statement), Code.FORGED, f"typ should be {TYP}, got park-statement+jwt")


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda t: t[: len(t) // 2], "not"),
        (lambda t: t.rsplit(".", 1)[0], "expected 3 base64url parts, got 2"),
        (lambda t: t.replace(".", "!", 1), "expected 3 base64url parts"),
        (lambda t: "%%%." + t.split(".", 1)[1], "header is not base64url"),
        (lambda t: t + "#", "signature is not base64url"),
        (lambda t: "", "expected 3 base64url parts, got 1"),
        (lambda t: "A" * (1 << 20), "token too large (1048576 bytes; limit 16384)"),
    ],
)
def test_malformed_tokens(w: World, mangle: Any, reason: str) -> None:
    verdict = w.check(mangle(w.issue()))
    assert verdict.status in (Code.MALFORMED, Code.FORGED)
    assert not verdict and reason in verdict.reason


def test_never_raises(w: World) -> None:
    for junk in (None, 42, b"\xff\xfe", ["a", "b"]):
        verdict = w.check(junk)
        assert not verdict and verdict.status in (Code.MALFORMED, Code.ERROR) and verdict.reason

    def broken(_id: str, _version: str) -> Verdict:
        raise RuntimeError("boom")

    refused(w.check(w.issue(), standard_status=broken), Code.ERROR, "internal error")


# ---------------------------------------------------------------------------------------------- time


def test_expired(w: World) -> None:
    token = w.issue(validity_seconds=DAY, now=NOW - 4 * DAY)
    verdict = refused(w.check(token), Code.EXPIRED, "expired 3 days ago")
    assert verdict.claims is not None and verdict.claims["sub"] == USCC  # authentic, just old
    assert w.check(w.issue(validity_seconds=DAY - 30, now=NOW - DAY))  # 30 s late: within the leeway


def test_not_yet_valid(w: World) -> None:
    token = w.issue(now=NOW + 3600)
    refused(w.check(token), Code.NOT_YET_VALID, "not valid before")
    refused(w.check(token), Code.NOT_YET_VALID, "iat is 60 minutes ahead")
    assert w.check(w.issue(now=NOW + 30))  # clock skew within the leeway
    with_nbf = resign(w.issue(), w.current, nbf=NOW + 2 * DAY)
    refused(w.check(with_nbf), Code.NOT_YET_VALID, "(in 2 days)")


# ---------------------------------------------------------------------------------------------- accreditation


def test_standard_not_accredited(w: World) -> None:
    token = w.issue(standard_version="2025.1", park_statement=None)
    refused(
        w.check(token),
        Code.NOT_ACCREDITED,
        f"park {PARK_NAME} (whdh) is not accredited for standard ALLIANCE-CREDIT version 2025.1",
    )


def test_standard_status_callback(w: World) -> None:
    def standing(std_id: str, version: str) -> Verdict:
        return failure("retired on 2027-01-01") if version == STD[1] else success()

    refused(
        w.check(w.issue(), standard_status=standing),
        Code.STANDARD_REFUSED,
        "standard ALLIANCE-CREDIT version 2026.1: retired on 2027-01-01",
    )
    assert w.check(w.issue(), standard_status=lambda i, v: success())


# ------------------------------------------------------------------------------------------ park statements


def test_park_suspended(w: World) -> None:
    statement = w.park_statement(status="suspended")
    refused(
        w.check(w.issue(), park_statement=statement),
        Code.PARK_SUSPENDED,
        f"park {PARK_NAME} (whdh) is suspended",
    )


def test_park_statement_expired(w: World) -> None:
    statement = w.park_statement(now=NOW - 8 * 3600)
    refused(
        w.check(w.issue(), park_statement=statement),
        Code.PARK_STATEMENT_INVALID,
        "park statement: expired 2 hours ago",
    )
    cached = verify_park_statement(w.statement, w.alliance_keys, now=NOW)
    refused(
        w.check(w.issue(), park_statement=cached, now=NOW + DAY),
        Code.PARK_STATEMENT_INVALID,
        "park statement for whdh expired 19 hours ago",
    )


def test_park_statement_not_signed_by_the_alliance(w: World) -> None:
    # The park signs its own statement, claiming whatever it likes.
    claims = jws.unverified_claims(w.statement)
    self_signed = jws.sign(
        {**claims, "accredited": [{"id": "X", "version": "1"}]}, w.current, "park-statement+jwt"
    )
    refused(
        w.check(w.issue(), park_statement=self_signed),
        Code.PARK_STATEMENT_INVALID,
        f"park statement: unknown kid {w.current.kid[:12]}… (not an alliance key)",
    )
    # Claiming the alliance's kid: the signature fails.
    forged = resign(self_signed, w.current, header={"kid": w.alliance.kid})
    refused(
        w.check(w.issue(), park_statement=forged),
        Code.PARK_STATEMENT_INVALID,
        "park statement: signature does not verify",
    )


def test_park_statement_for_another_park(w: World) -> None:
    statement = w.park_statement(park_id="zj", name="上海张江")
    verdict = refused(
        w.check(w.issue(), park_statement=statement),
        Code.PARK_MISMATCH,
        "attestation names issuer whdh, but the park statement is for zj",
    )
    assert verdict.park_id == "zj"


def test_park_statement_round_trip(w: World) -> None:
    s = verify_park_statement(w.statement, w.alliance_keys, now=NOW, park_id=PARK)
    assert isinstance(s, ParkStatement)
    assert (s.park_id, s.name, s.status, s.status_list_uri) == (PARK, PARK_NAME, "active", URI)
    assert s.accredited == [{"id": STD[0], "version": STD[1]}]
    assert set(s.keys) == {w.current.kid, w.second.kid}
    assert s.history[w.compromised.kid].reason == "compromised"
    assert s.exp - s.iat == 6 * 3600 and s.token_hash == statement_hash(w.statement)
    assert s.is_accredited(*STD) and not s.is_accredited(STD[0], "2025.1")
    header = jws.unverified_header(w.statement)
    assert header["typ"] == "park-statement+jwt" and header["kid"] == w.alliance.kid
    assert jws.unverified_claims(w.statement)["iss"] == "alliance"
    # "ID VERSION" strings are accepted on issuing and stored as dicts.
    t = w.park_statement(accredited=["ALLIANCE-CREDIT 2026.1"])
    assert verify_park_statement(t, w.alliance_keys, now=NOW).accredited == [
        {"id": STD[0], "version": STD[1]}
    ]


def test_park_statement_refusals(w: World) -> None:
    keys = w.alliance_keys
    with pytest.raises(jws.TokenError, match="park statement is for park whdh, not zj"):
        verify_park_statement(w.statement, keys, now=NOW, park_id="zj")
    with pytest.raises(jws.TokenError, match="typ should be park-statement"):
        verify_park_statement(w.issue(), {w.current.kid: w.current.public}, now=NOW)
    claims = jws.unverified_claims(w.statement)
    for changes, reason in (
        ({"iss": "someone"}, "park statement issued by someone, not the alliance"),
        ({"status": "paused"}, "status must be active or suspended"),
        ({"jwks": {"keys": [{"kty": "RSA"}]}}, "only kty OKP"),
        (
            {"historical_keys": [{"jwk": w.superseded.public.jwk(), "reason": "lost"}]},
            "superseded or compromised",
        ),
        ({"accredited": ["nonsense"]}, "not 'STANDARD_ID VERSION'"),
    ):
        token = jws.sign({**claims, **changes}, w.alliance, "park-statement+jwt")
        with pytest.raises(jws.TokenError, match=reason):
            verify_park_statement(token, keys, now=NOW)
    with pytest.raises(InvalidInput) as info:
        issue_park_statement(park_id="", name="", jwks={"keys": []}, alliance_key=w.alliance, lifetime=60)
    assert len(info.value.problems) == 3  # park_id, name, no key: all at once


# ---------------------------------------------------------------------------------------------- status list


def test_revoked_and_suspended(w: World) -> None:
    refused(w.check(w.issue(status_idx=REVOKED_IDX)), Code.REVOKED, f"revoked by {PARK_NAME}")
    refused(
        w.check(w.issue(status_idx=REVOKED_IDX), park_name="东湖高新"), Code.REVOKED, "revoked by 东湖高新"
    )
    refused(w.check(w.issue(status_idx=SUSPENDED_IDX)), Code.SUSPENDED, f"suspended by {PARK_NAME}")
    # With a cached, verified list too.
    cached = verify_status_list_token(w.status_token, {w.current.kid: w.current.public}, uri=URI, now=NOW)
    refused(w.check(w.issue(status_idx=REVOKED_IDX), status_list=cached), Code.REVOKED, "revoked by")


def test_status_unknown(w: World) -> None:
    token = w.issue()
    refused(
        w.check(token, status_list=None),
        Code.STATUS_UNKNOWN,
        f"status unknown: no status list was supplied for {URI}",
    )
    verdict = w.check(token, status_list=None, require_status=False)
    assert verdict and "status not checked" in verdict.reason and verdict.details["status_checked"] is False
    refused(
        w.check(w.issue(status_idx=5000)),
        Code.STATUS_UNKNOWN,
        "index 5000 is outside the status list (size 1024)",
    )
    other_uri = sign_status_list_token(
        w.status_list, w.current, iss=PARK, sub=URI + "/2", ttl=60, lifetime=DAY, now=NOW
    )
    refused(
        w.check(token, status_list=other_uri), Code.STATUS_UNKNOWN, "status list refused: status list is for"
    )
    stale = sign_status_list_token(
        w.status_list, w.current, iss=PARK, sub=URI, ttl=60, lifetime=60, now=NOW - DAY
    )
    refused(w.check(token, status_list=stale), Code.STATUS_UNKNOWN, "status list refused: expired")
    foreign = sign_status_list_token(
        StatusList(8), w.other_park, iss=PARK, sub=URI, ttl=60, lifetime=DAY, now=NOW
    )
    refused(w.check(token, status_list=foreign), Code.STATUS_UNKNOWN, "status list refused: unknown kid")
    cached = verify_status_list_token(w.status_token, {w.current.kid: w.current.public}, uri=URI, now=NOW)
    refused(
        w.check(
            token, status_list=cached, now=NOW + 2 * DAY, park_statement=w.park_statement(now=NOW + 2 * DAY)
        ),
        Code.STATUS_UNKNOWN,
        "the status list expired",
    )
    refused(w.check(token, status_list=replace(cached, uri=URI + "/9")), Code.STATUS_UNKNOWN, "not " + URI)


# ---------------------------------------------------------------------------------------------- key rotation


def test_superseded_key_still_valid(w: World) -> None:
    token = w.issue(key=w.superseded, park_statement=None, now=SUPERSEDED_AT - DAY)
    verdict = w.check(token)
    assert verdict, verdict.reason
    assert verdict.details["key"] == "superseded"


def test_compromised_key(w: World) -> None:
    after = w.issue(key=w.compromised, park_statement=None, now=COMPROMISED_AT + 3600)
    verdict = refused(w.check(after), Code.KEY_COMPROMISED, "signed by a key compromised before iat")
    assert "60 minutes before it was used" in verdict.reason
    refused(
        w.check(w.issue(key=w.compromised, park_statement=None, now=COMPROMISED_AT)), Code.KEY_COMPROMISED, ""
    )
    before = w.issue(key=w.compromised, park_statement=None, now=COMPROMISED_AT - DAY)
    verdict = w.check(before)
    assert verdict, verdict.reason
    assert verdict.details["key"] == "compromised"


def test_rotation_end_to_end(w: World) -> None:
    """A park rotates: the old key moves to history; attestations follow their key's fate."""
    old, new = SigningKey.generate(), SigningKey.generate()
    w = _NoStatus(w)
    before = w.park_statement(jwks=jwks([old.public]), historical_keys=[])
    t_old = w.issue(key=old, park_statement=before, now=NOW - 5 * DAY)
    assert w.check(t_old, park_statement=before)
    rotated = w.park_statement(
        jwks=jwks([new.public]),
        historical_keys=[{"jwk": old.public.jwk(), "reason": "superseded", "revoked_at": NOW - 2 * DAY}],
    )
    assert w.check(t_old, park_statement=rotated)
    assert w.check(w.issue(key=new, park_statement=rotated), park_statement=rotated)
    leaked = w.park_statement(
        jwks=jwks([new.public]),
        historical_keys=[{"jwk": old.public.jwk(), "reason": "compromised", "revoked_at": NOW - 6 * DAY}],
    )
    refused(w.check(t_old, park_statement=leaked), Code.KEY_COMPROMISED, "compromised before iat")
    dropped = w.park_statement(jwks=jwks([new.public]), historical_keys=[])
    refused(w.check(t_old, park_statement=dropped), Code.UNKNOWN_KEY, "unknown kid")


class _NoStatus:
    """The world, checking without a status list (signed by the current key, which rotation changes)."""

    def __init__(self, w: World) -> None:
        self._w = w

    def __getattr__(self, name: str) -> Any:
        return getattr(self._w, name)

    def check(self, token: Any, **overrides: Any) -> AttestationVerdict:
        return self._w.check(token, status_list=None, require_status=False, **overrides)


# ---------------------------------------------------------------------------------------------- bundles


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("verification tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_bundle_verifies_offline(w: World, no_network: None) -> None:
    token = w.issue()
    bundle = make_bundle(token, w.statement, w.status_token)
    assert bundle.startswith(BUNDLE_PREFIX)
    assert len(bundle) < 2953  # fits a version 40 QR code in byte mode
    assert len(bundle) < len(token) + len(w.statement) + len(w.status_token)
    assert open_bundle(bundle) == (token, w.statement, w.status_token)
    verdict = verify_bundle(bundle, w.alliance_keys, now=NOW)
    assert verdict, verdict.reason
    assert verdict.claims is not None and verdict.claims["sub"] == USCC
    assert verdict.details["acc_matches"] is True


def test_bundle_refusals(w: World, no_network: None) -> None:
    token = w.issue(status_idx=REVOKED_IDX)
    bundle = make_bundle(token, w.statement, w.status_token)
    refused(verify_bundle(bundle, w.alliance_keys, now=NOW), Code.REVOKED, f"revoked by {PARK_NAME}")
    refused(verify_bundle(bundle, {}, now=NOW), Code.PARK_STATEMENT_INVALID, "not an alliance key")
    no_status = make_bundle(w.issue(), w.statement, None)
    refused(verify_bundle(no_status, w.alliance_keys, now=NOW), Code.STATUS_UNKNOWN, "status unknown")
    assert verify_bundle(no_status, w.alliance_keys, now=NOW, require_status=False)
    refused(verify_bundle("hello", w.alliance_keys), Code.MALFORMED, "not an attestation bundle")
    refused(verify_bundle(BUNDLE_PREFIX + "!!", w.alliance_keys), Code.MALFORMED, "bundle is damaged")
    refused(verify_bundle(bundle[:-10], w.alliance_keys), Code.MALFORMED, "bundle is damaged")
    refused(verify_bundle(BUNDLE_PREFIX + "A" * 400_000, w.alliance_keys), Code.MALFORMED, "bundle too large")
    # A bundle re-packed around a tampered attestation.
    h, _, s = w.issue().split(".")
    tampered = f"{h}.{b64({**jws.unverified_claims(w.issue()), 'grade': 'AAA'})}.{s}"
    refused(
        verify_bundle(make_bundle(tampered, w.statement, w.status_token), w.alliance_keys, now=NOW),
        Code.FORGED,
        "signature does not verify",
    )
    with pytest.raises(InvalidInput):
        make_bundle("not a token", w.statement, None)
