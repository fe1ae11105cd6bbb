"""Ed25519 keys (RFC 8037/7638), compact JWS/JWT verification and signed documents.

Third-party material: RFC 8037 A.4 and all Wycheproof Ed25519 cases. The refusals are the RFC 8725 attacks:
alg none, HMAC keyed with the public key, embedded keys, unknown kid, wrong typ, unknown crit, tampering.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core import jws
from alliance.core.jws import TokenError
from alliance.core.keys import (
    PublicKey,
    SigningKey,
    b64url_decode,
    b64url_encode,
    jwks,
    keys_from_jwks,
    thumbprint,
)
from alliance.errors import AllianceError, InvalidInput
from tests.conftest import VECTORS

TYP = "test+jwt"
NOW = 1_800_000_000


def b64(obj: Any) -> str:
    return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A token with any header; `sign(signing_input) -> bytes` or an empty signature."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    sig = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{b64url_encode(sig)}"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def keyset(key: SigningKey) -> dict[str, PublicKey]:
    return {key.kid: key.public}


def claims(**extra: Any) -> dict[str, Any]:
    return {"iss": "t", "iat": NOW, "exp": NOW + 3600, **extra}


def refused(token: str, keyset: Any, typ: str = TYP, **kw: Any) -> str:
    with pytest.raises(TokenError) as info:
        jws.verify(token, keyset, typ, now=kw.pop("now", NOW + 10), **kw)
    assert info.value.code == "INVALID_TOKEN"
    return info.value.reason


# ---------------------------------------------------------------------------------------------- RFC 8037


@pytest.mark.vectors
def test_rfc8037_thumbprint_signature_and_verification(protocol_vectors: dict[str, Any]) -> None:
    v = protocol_vectors["rfc8037_a4_ed25519_jws"]
    key = SigningKey.from_private_jwk(v["private_jwk"])
    assert thumbprint(v["private_jwk"]) == v["jwk_thumbprint_sha256"]
    assert key.kid == v["jwk_thumbprint_sha256"]
    assert key.public.kid == v["jwk_thumbprint_sha256"]
    # Ed25519 is deterministic: the same key and input give exactly the RFC's JWS.
    assert jws.sign_raw_jws(v["payload_text"].encode(), key) == v["jws_compact"]
    assert jws.verify_raw_jws(v["jws_compact"], key.public) == v["payload_text"].encode()
    assert jws.unverified_header(v["jws_compact"]) == v["protected_header"]
    h, p, s = v["jws_compact"].split(".")
    assert key.sign(f"{h}.{p}".encode()) == b64url_decode(s)
    # One flipped payload character and it no longer verifies.
    bad = f"{h}.{p[:-1]}{'h' if p[-1] != 'h' else 'i'}.{s}"
    with pytest.raises(TokenError):
        jws.verify_raw_jws(bad, key.public)
    with pytest.raises(TokenError, match="signature does not verify"):
        jws.verify_raw_jws(v["jws_compact"], SigningKey.generate().public)


# ---------------------------------------------------------------------------------------------- Wycheproof


def _wycheproof_cases() -> list[Any]:
    path = VECTORS / "wycheproof-ed25519_test.json"
    if not path.is_file():
        return [pytest.param(None, None, id="vectors-absent")]
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [
        pytest.param(group["publicKey"]["pk"], case, id=f"tc{case['tcId']}-{case['result']}")
        for group in doc["testGroups"]
        for case in group["tests"]
    ]


@pytest.mark.vectors
def test_wycheproof_file_has_151_cases(vectors_dir: Path) -> None:
    doc = json.loads((vectors_dir / "wycheproof-ed25519_test.json").read_text(encoding="utf-8"))
    results = [c["result"] for g in doc["testGroups"] for c in g["tests"]]
    assert len(results) == 151
    assert results.count("valid") == 88 and results.count("invalid") == 63


@pytest.mark.vectors
@pytest.mark.parametrize(("pk_hex", "case"), _wycheproof_cases())
def test_wycheproof_ed25519(vectors_dir: Path, pk_hex: str, case: dict[str, Any]) -> None:
    assert case is not None, f"vectors appeared in {vectors_dir} after collection"
    public = PublicKey.from_raw(bytes.fromhex(pk_hex))
    verified = public.verify(bytes.fromhex(case["sig"]), bytes.fromhex(case["msg"]))
    assert case["result"] in ("valid", "invalid")
    assert verified is (case["result"] == "valid"), f"tcId {case['tcId']}: {case['comment']} {case['flags']}"


# ---------------------------------------------------------------------------------------------- keys


def test_public_jwk_round_trip_and_kid(key: SigningKey) -> None:
    jwk = key.public.jwk()
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(key.public.raw),
        "kid": key.kid,
        "use": "sig",
        "alg": "EdDSA",
    }
    assert len(key.public.raw) == 32
    again = PublicKey.from_jwk(jwk)
    assert again == key.public and again.kid == key.kid == thumbprint(jwk)
    assert key.public.verify(key.sign(b"x"), b"x")
    assert not key.public.verify(key.sign(b"x"), b"y")
    assert not key.public.verify(b"short", b"x")


@pytest.mark.parametrize(
    ("jwk", "reason"),
    [
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "only kty OKP"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "only kty OKP"),
        ({"kty": "OKP", "crv": "X25519", "x": "A" * 43}, "only crv Ed25519"),
        ({"kty": "OKP", "crv": "Ed25519"}, "'x' is missing"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "must be 32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "!!not-base64!!"}, "not base64url"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 43, "use": "enc"}, "use 'enc'"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 43, "alg": "HS256"}, "alg 'HS256'"),
        ("not a dict", "must be a JSON object"),
    ],
)
def test_public_jwk_refusals(jwk: Any, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        PublicKey.from_jwk(jwk)


def test_public_jwk_refuses_private_member_and_foreign_kid(key: SigningKey) -> None:
    with pytest.raises(InvalidInput, match="private member 'd'"):
        PublicKey.from_jwk(key.private_jwk())
    with pytest.raises(InvalidInput, match="not the key's RFC 7638 thumbprint"):
        PublicKey.from_jwk({**key.public.jwk(), "kid": "someone-else"})


def test_private_jwk_round_trip_and_mismatch(key: SigningKey) -> None:
    jwk = key.private_jwk()
    assert set(jwk) == {"kty", "crv", "x", "d", "kid"}
    assert SigningKey.from_private_jwk(jwk).kid == key.kid
    other = SigningKey.generate()
    with pytest.raises(InvalidInput, match="does not match"):
        SigningKey.from_private_jwk({**jwk, "x": other.private_jwk()["x"]})
    assert jwk["d"] not in repr(key)


def test_save_load_mode_0600(tmp_path: Path, key: SigningKey) -> None:
    path = tmp_path / "keys" / "park.jwk"
    key.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert SigningKey.load(path).kid == key.kid
    assert json.loads(path.read_text())["d"] == key.private_jwk()["d"]
    path.chmod(0o644)
    key.save(path)  # rewriting tightens the mode again
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(InvalidInput, match="no key file"):
        SigningKey.load(tmp_path / "missing.jwk")
    (tmp_path / "bad.jwk").write_text("{not json")
    with pytest.raises(InvalidInput, match="not a JSON JWK"):
        SigningKey.load(tmp_path / "bad.jwk")


def test_load_or_create_is_stable(tmp_path: Path) -> None:
    path = tmp_path / "alliance.jwk"
    first = SigningKey.load_or_create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert SigningKey.load_or_create(path).kid == first.kid
    assert [p.name for p in tmp_path.iterdir()] == ["alliance.jwk"]  # no temporary files left behind


def test_jwks_round_trip_and_refusals(key: SigningKey) -> None:
    other = SigningKey.generate()
    doc = jwks([key.public, other.public])
    assert keys_from_jwks(doc) == {key.kid: key.public, other.kid: other.public}
    with pytest.raises(InvalidInput, match="duplicate kid"):
        keys_from_jwks({"keys": [key.public.jwk(), key.public.jwk()]})
    with pytest.raises(InvalidInput, match=r"keys\[1\]: .*only kty OKP"):
        keys_from_jwks({"keys": [key.public.jwk(), {"kty": "RSA"}]})
    with pytest.raises(InvalidInput, match="'keys' array"):
        keys_from_jwks({"kty": "OKP"})


def test_b64url_is_strict() -> None:
    assert b64url_decode("AQID") == b"\x01\x02\x03"
    for bad in ("AQ==", "AQ+/", "A", "AR"):  # padding, wrong alphabet, impossible length, non-canonical
        with pytest.raises(ValueError):
            b64url_decode(bad)


# ---------------------------------------------------------------------------------------------- JWS


def test_sign_verify_round_trip_and_header(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign(claims(x="中文"), key, TYP)
    assert jws.unverified_header(token) == {"alg": "EdDSA", "typ": TYP, "kid": key.kid}
    assert jws.unverified_claims(token)["x"] == "中文"
    assert jws.verify(token, keyset, TYP, now=NOW + 10)["x"] == "中文"
    # A key source may be a callable as well as a mapping.
    assert jws.verify(token, keyset.get, TYP, now=NOW + 10)["iss"] == "t"
    # pyjwt reads our tokens too (interoperability).
    assert jwt.decode(
        token,
        key.public.cryptography_key,
        algorithms=["EdDSA"],
        options={"verify_exp": False, "verify_iat": False},
    )


def test_sign_refuses_reserved_headers(key: SigningKey) -> None:
    for name in ("alg", "kid", "jwk", "jku", "crit", "typ"):
        with pytest.raises(InvalidInput, match=name):
            jws.sign(claims(), key, TYP, headers={name: "x"})
    token = jws.sign(claims(), key, TYP, headers={"cty": "rating"})
    assert jws.unverified_header(token)["cty"] == "rating"


def test_alg_none_is_refused(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    for alg in ("none", "None", "NONE"):
        token = forge({"alg": alg, "typ": TYP, "kid": key.kid}, claims())
        assert token.endswith(".")  # the classic form: empty signature
        assert refused(token, keyset) == "alg none is not accepted"
    # Even with a valid signature appended, the header's alg decides nothing.
    token = forge({"alg": "none", "typ": TYP, "kid": key.kid}, claims(), key.sign)
    assert refused(token, keyset) == "alg none is not accepted"


def test_hmac_keyed_with_the_public_key_is_refused(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    secrets = [key.public.raw, json.dumps(key.public.jwk()).encode(), b64url_encode(key.public.raw).encode()]
    for secret in secrets:
        for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
            token = forge(
                {"alg": alg, "typ": TYP, "kid": key.kid},
                claims(),
                lambda m, s=secret, d=digest: hmac.new(s, m, d).digest(),
            )
            assert refused(token, keyset) == f"alg {alg} (HMAC) is not accepted; only Ed25519 signatures are"


def test_other_algs_and_missing_alg(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    assert "alg RS256 is not accepted" in refused(
        forge({"alg": "RS256", "typ": TYP, "kid": key.kid}, {}), keyset
    )
    assert refused(forge({"typ": TYP, "kid": key.kid}, {}), keyset) == "token header has no alg"


def test_algorithm_name_ed25519_is_accepted(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = forge({"alg": "Ed25519", "typ": TYP, "kid": key.kid}, claims(), key.sign)
    assert jws.verify(token, keyset, TYP, now=NOW)["iss"] == "t"


def test_typ_is_checked(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    assert refused(jws.sign(claims(), key, "JWT"), keyset) == f"typ should be {TYP}, got JWT"
    no_typ = forge({"alg": "EdDSA", "kid": key.kid}, claims(), key.sign)
    assert refused(no_typ, keyset) == f"typ should be {TYP}, but the header has no typ"
    # RFC 7515 §4.1.9: "application/" prefix and case do not matter.
    token = forge({"alg": "EdDSA", "typ": "application/TEST+JWT", "kid": key.kid}, claims(), key.sign)
    assert jws.verify(token, keyset, TYP, now=NOW)


def test_unknown_crit_is_refused(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = forge({"alg": "EdDSA", "typ": TYP, "kid": key.kid, "crit": ["exp"], "exp": 1}, claims(), key.sign)
    assert refused(token, keyset) == "crit member exp is not understood"
    token = forge({"alg": "EdDSA", "typ": TYP, "kid": key.kid, "crit": []}, claims(), key.sign)
    assert refused(token, keyset) == "crit must be a non-empty list of header names"


def test_keys_embedded_in_the_header_are_ignored(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    attacker = SigningKey.generate()
    for extra in (
        {"jwk": attacker.public.jwk()},
        {"jku": "https://evil.example/jwks.json"},
        {"x5u": "https://evil.example/cert.pem"},
        {"x5c": ["MIIB"]},
    ):
        # The attacker claims the park's kid and hands over their own key: the signature must not verify.
        token = forge({"alg": "EdDSA", "typ": TYP, "kid": key.kid, **extra}, claims(), attacker.sign)
        assert refused(token, keyset) == "signature does not verify"
        # With their own kid, the key is simply unknown.
        token = forge({"alg": "EdDSA", "typ": TYP, "kid": attacker.kid, **extra}, claims(), attacker.sign)
        assert refused(token, keyset) == f"unknown kid {attacker.kid[:12]}…"


def test_kid_rules(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    assert (
        refused(forge({"alg": "EdDSA", "typ": TYP}, claims(), key.sign), keyset) == "token header has no kid"
    )
    assert (
        refused(forge({"alg": "EdDSA", "typ": TYP, "kid": "abc"}, claims(), key.sign), keyset)
        == "unknown kid abc"
    )
    # Swapping the kid to another trusted key makes the signature fail.
    other = SigningKey.generate()
    token = forge({"alg": "EdDSA", "typ": TYP, "kid": other.kid}, claims(), key.sign)
    assert refused(token, {**keyset, other.kid: other.public}) == "signature does not verify"


def test_tampered_payload(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    h, _, s = jws.sign(claims(grade="B"), key, TYP).split(".")
    tampered = f"{h}.{b64(claims(grade='AAA'))}.{s}"
    assert refused(tampered, keyset) == "signature does not verify"


def test_expiry_in_human_words(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign(claims(), key, TYP)
    exp = NOW + 3600
    assert refused(token, keyset, now=exp + 3 * 86400).startswith("expired 3 days ago")
    assert refused(token, keyset, now=exp + 42, leeway=0).startswith("expired 42 seconds ago")
    assert refused(token, keyset, now=exp + 7200).startswith("expired 2 hours ago")
    # Within the leeway it still passes.
    assert jws.verify(token, keyset, TYP, now=exp + 42, leeway=60)


def test_not_yet_valid(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign(claims(nbf=NOW + 600), key, TYP)
    assert refused(token, keyset, now=NOW).startswith("not valid before 2027-01-15T08:10:00Z (in 10 minutes)")
    future = jws.sign({"iat": NOW + 7200, "exp": NOW + 9000}, key, TYP)
    reason = refused(future, keyset, now=NOW)
    assert reason.startswith("not valid before") and "iat is 2 hours ahead" in reason
    assert jws.verify(jws.sign({"iat": NOW + 30, "exp": NOW + 90}, key, TYP), keyset, TYP, now=NOW)  # skew


def test_required_and_malformed_claims(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    assert refused(jws.sign({"iat": NOW}, key, TYP), keyset) == "required claim exp is missing"
    assert jws.verify(jws.sign({"iat": NOW}, key, TYP), keyset, TYP, now=NOW, require=("iat",))
    reason = refused(jws.sign({"iat": NOW, "exp": "tomorrow"}, key, TYP), keyset)
    assert reason.startswith("claim exp must be a NumericDate")
    reason = refused(jws.sign({"iat": NOW, "exp": True}, key, TYP), keyset)
    assert reason.startswith("claim exp must be a NumericDate")


def test_payload_must_be_a_json_object_without_duplicates(
    key: SigningKey, keyset: dict[str, PublicKey]
) -> None:
    header = b64({"alg": "EdDSA", "typ": TYP, "kid": key.kid})
    for payload, reason in (
        (b'{"iat":1800000000,"exp":1800003600,"grade":"C","grade":"AAA"}', "duplicate member 'grade'"),
        (b"[1,2]", "not a JSON object"),
        (b'{"iat":NaN}', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
    ):
        signing_input = f"{header}.{b64url_encode(payload)}"
        token = f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"
        assert reason in refused(token, keyset)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "expected 3 base64url parts, got 1"),
        ("abc.def", "expected 3 base64url parts, got 2"),
        ("a.b.c.d", "expected 3 base64url parts, got 4"),
        ("eyJhbGciOiJFZERTQSJ9.e30.!!!", "signature is not base64url"),
        ("eyJhbGciOiJFZERTQSJ9.e30=.AAAA", "payload is not base64url"),
        (b64url_encode(b'{"alg":') + ".e30.AAAA", "header is not valid JSON"),
        ("W10.e30.AAAA", "header is not a JSON object"),
        (".e30.AAAA", "empty header"),
        ("ey\u00e9.e30.AAAA", "header is not base64url"),
    ],
)
def test_malformed_tokens(token: str, reason: str, keyset: dict[str, PublicKey]) -> None:
    assert reason in refused(token, keyset)


def test_truncated_token(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign(claims(), key, TYP)
    for cut in (len(token) - 1, len(token) - 10, token.rindex(".") + 1, token.rindex("."), 20):
        with pytest.raises(TokenError):
            jws.verify(token[:cut], keyset, TYP, now=NOW)


def test_one_megabyte_token_is_refused_before_parsing(keyset: dict[str, PublicKey]) -> None:
    big = "A" * (1 << 20)
    assert refused(big, keyset) == "token too large (1048576 bytes; limit 16384)"
    assert refused(big, keyset, max_size=1000) == "token too large (1048576 bytes; limit 1000)"


def test_unverified_helpers_raise_token_error() -> None:
    for bad in ("garbage", "a.b", "e30.!!.AA"):
        with pytest.raises(TokenError):
            jws.unverified_claims(bad)
    with pytest.raises(TokenError):
        jws.unverified_header("x")
    assert issubclass(TokenError, AllianceError)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0), char=st.sampled_from("AQgw_-9z."))
def test_any_single_character_change_is_refused(position: int, char: str) -> None:
    key = _STATIC_KEY
    token = _STATIC_TOKEN
    i = position % len(token)
    changed = token[:i] + char + token[i + 1 :]
    if changed == token:
        return
    with pytest.raises(TokenError):
        jws.verify(changed, {key.kid: key.public}, TYP, now=NOW)


_STATIC_KEY = SigningKey.generate()
_STATIC_TOKEN = jws.sign(claims(grade="A"), _STATIC_KEY, TYP)


def test_human_duration() -> None:
    assert jws.human_duration(1) == "1 second"
    assert jws.human_duration(42) == "42 seconds"
    assert jws.human_duration(300) == "5 minutes"
    assert jws.human_duration(3 * 3600) == "3 hours"
    assert jws.human_duration(3 * 86400 + 5) == "3 days"


# ---------------------------------------------------------------------------------------------- documents

STD_TYP = "rating-standard+jws"
DOC = {
    "id": "ALLIANCE-CREDIT",
    "version": "2026.1",
    "title": "园区企业信用评价标准",
    "weights": {"b": 2, "a": 1},
}


def test_document_round_trip_is_canonical(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign_detached_document(DOC, key, STD_TYP, now=NOW)
    header = jws.unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": STD_TYP, "kid": key.kid, "iat": NOW}
    assert b64url_decode(token.split(".")[1]) == jws.canonical_json(DOC)
    assert jws.verify_document(token, keyset, STD_TYP, now=NOW) == DOC
    assert jws.document_digest(DOC) == b64url_encode(hashlib.sha256(jws.canonical_json(DOC)).digest())


def test_detached_document(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign_detached_document(DOC, key, STD_TYP, detached=True, now=NOW)
    assert token.split(".")[1] == ""
    assert jws.verify_document(token, keyset, STD_TYP, document=dict(reversed(DOC.items())), now=NOW) == DOC
    with pytest.raises(TokenError, match="signature does not verify"):
        jws.verify_document(token, keyset, STD_TYP, document={**DOC, "version": "2026.2"}, now=NOW)
    with pytest.raises(TokenError, match="the document must be supplied"):
        jws.verify_document(token, keyset, STD_TYP, now=NOW)
    assert jws.detach(jws.sign_detached_document(DOC, key, STD_TYP, now=NOW)) == token


def test_document_refusals(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    token = jws.sign_detached_document(DOC, key, STD_TYP, now=NOW)
    with pytest.raises(TokenError, match="differs from the signed one"):
        jws.verify_document(token, keyset, STD_TYP, document={**DOC, "title": "x"}, now=NOW)
    with pytest.raises(TokenError, match="typ should be"):
        jws.verify_document(token, keyset, "other+jws", now=NOW)
    with pytest.raises(TokenError, match="not valid before"):
        jws.verify_document(token, keyset, STD_TYP, now=NOW - 3600)
    # A validly signed payload that is not in canonical form: refused, one document has one signed form.
    header = b64({"alg": "EdDSA", "typ": STD_TYP, "kid": key.kid, "iat": NOW})
    signing_input = f"{header}.{b64url_encode(json.dumps(DOC).encode())}"
    loose = f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"
    with pytest.raises(TokenError, match="not in canonical JSON form"):
        jws.verify_document(loose, keyset, STD_TYP, now=NOW)
    h, _, s = token.split(".")
    with pytest.raises(TokenError, match="signature does not verify"):
        jws.verify_document(
            f"{h}.{b64url_encode(jws.canonical_json({**DOC, 'version': '9'}))}.{s}", keyset, STD_TYP
        )


def test_current_time_is_the_default(key: SigningKey, keyset: dict[str, PublicKey]) -> None:
    now = int(time.time())
    assert jws.verify(jws.sign({"iat": now, "exp": now + 60}, key, TYP), keyset, TYP)
    with pytest.raises(TokenError, match="expired"):
        jws.verify(jws.sign({"iat": now - 900, "exp": now - 600}, key, TYP), keyset, TYP)
