"""IETF Token Status List: the draft's encoding examples, packing, limits and the signed list token."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core import jws
from alliance.core.keys import SigningKey, b64url_encode
from alliance.core.statuslist import (
    INVALID,
    SUSPENDED,
    VALID,
    StatusList,
    VerifiedStatusList,
    sign_status_list_token,
    verify_status_list_token,
)
from alliance.errors import InvalidInput

URI = "https://park.example/statuslists/1"
NOW = 1_800_000_000


@pytest.mark.vectors
@pytest.mark.parametrize("name", ["bits1", "bits2"])
def test_draft_examples_decode_and_round_trip(protocol_vectors: dict[str, Any], name: str) -> None:
    example = protocol_vectors["token_status_list_examples"][name]
    decoded = StatusList.decode(example["status_list"])
    assert decoded.bits == example["status_list"]["bits"]
    assert decoded.to_bytes().hex() == example["byte_array_hex"]
    assert StatusList.decode(decoded.encode()) == decoded
    # zlib level 9 reproduces the draft's bytes exactly.
    assert decoded.encode() == example["status_list"]


@pytest.mark.vectors
def test_draft_example_values(protocol_vectors: dict[str, Any]) -> None:
    ex = protocol_vectors["token_status_list_examples"]
    assert ex["status_values"] == {"VALID": VALID, "INVALID": INVALID, "SUSPENDED": SUSPENDED}
    one = StatusList.decode(ex["bits1"]["status_list"])
    # 0xb9 = 1011 1001: least significant bit first.
    assert [one.get(i) for i in range(8)] == [1, 0, 0, 1, 1, 1, 0, 1]
    two = StatusList.decode(ex["bits2"]["status_list"])
    # 0xc9 = 11 00 10 01 read from the low end: 1, 2, 0, 3.
    assert [two.get(i) for i in range(12)] == [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


def test_set_get_packing() -> None:
    lst = StatusList(16, bits=2)
    lst.set(0, INVALID)
    lst.set(1, SUSPENDED)
    lst.set(3, 3)
    assert lst.to_bytes()[0] == 0b11_00_10_01
    lst.set(1, VALID)
    assert [lst.get(i) for i in range(4)] == [INVALID, VALID, VALID, 3]
    assert lst.to_bytes()[0] == 0b11_00_00_01


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_every_bit_width(bits: int) -> None:
    lst = StatusList(37, bits=bits)
    top = (1 << bits) - 1
    for i in range(37):
        lst.set(i, i % (top + 1))
    back = StatusList.decode(lst.encode())
    assert [back.get(i) for i in range(37)] == [i % (top + 1) for i in range(37)]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.integers(0, 999), st.sampled_from([VALID, INVALID, SUSPENDED]), max_size=50))
def test_random_round_trip(entries: dict[int, int]) -> None:
    lst = StatusList(1000)
    for i, v in entries.items():
        lst.set(i, v)
    back = StatusList.decode(lst.encode())
    for i in range(1000):
        assert back.get(i) == entries.get(i, VALID)


def test_limits() -> None:
    lst = StatusList(8, bits=1)
    with pytest.raises(InvalidInput, match="outside the list"):
        lst.get(8)
    with pytest.raises(InvalidInput, match="outside the list"):
        lst.set(-1, 1)
    with pytest.raises(InvalidInput, match="does not fit in 1 bit"):
        lst.set(0, 2)
    with pytest.raises(InvalidInput, match="bits must be one of"):
        StatusList(8, bits=3)
    with pytest.raises(InvalidInput, match="positive integer"):
        StatusList(0)
    with pytest.raises(InvalidInput, match="too large"):
        StatusList(1 << 30, bits=8)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"bits": 3, "lst": "eNrbuRgAAhcBXQ"}, "bits must be one of"),
        ({"bits": True, "lst": "eNrbuRgAAhcBXQ"}, "bits must be one of"),
        ({"bits": 1}, "lst is missing"),
        ({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="}, "not base64url"),
        ({"bits": 1, "lst": "not+base64"}, "not base64url"),
        ({"bits": 1, "lst": b64url_encode(b"plain bytes, no zlib")}, "not ZLIB data"),
        ({"bits": 1, "lst": b64url_encode(zlib.compress(b"\x01\x02")[:-3])}, "truncated"),
        ({"bits": 1, "lst": b64url_encode(zlib.compress(b"\x01") + b"junk")}, "trailing data"),
        ({"bits": 1, "lst": b64url_encode(zlib.compress(b""))}, "empty"),
        ("eNrbuRgAAhcBXQ", "must be an object"),
    ],
)
def test_decode_refusals(obj: Any, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        StatusList.decode(obj)


def test_zlib_bomb_is_refused() -> None:
    bomb = b64url_encode(zlib.compress(b"\x00" * (9 << 20), 9))
    assert len(bomb) < 20_000
    with pytest.raises(InvalidInput, match="inflates beyond"):
        StatusList.decode({"bits": 2, "lst": bomb})


@pytest.fixture(scope="module")
def park_key() -> SigningKey:
    return SigningKey.generate()


def test_signed_token_round_trip(park_key: SigningKey) -> None:
    lst = StatusList(100_000)
    lst.set(42, INVALID)
    lst.set(43, SUSPENDED)
    token = sign_status_list_token(lst, park_key, iss="whdh", sub=URI, ttl=300, lifetime=3600, now=NOW)
    assert jws.unverified_header(token)["typ"] == "statuslist+jwt"
    assert set(jws.unverified_claims(token)) == {"iss", "sub", "iat", "exp", "ttl", "status_list"}
    assert len(token) < 1000  # 100k entries, two of them set
    got = verify_status_list_token(token, {park_key.kid: park_key.public}, uri=URI, leeway=60, now=NOW + 5)
    assert isinstance(got, VerifiedStatusList)
    assert (got.iss, got.uri, got.ttl, got.iat, got.exp) == ("whdh", URI, 300, NOW, NOW + 3600)
    assert got.status_list.get(42) == INVALID and got.status_list.get(43) == SUSPENDED
    assert got.status_list.get(41) == VALID
    assert got.fresh_until() == NOW + 300


def test_signed_token_refusals(park_key: SigningKey) -> None:
    keys = {park_key.kid: park_key.public}
    token = sign_status_list_token(
        StatusList(8), park_key, iss="whdh", sub=URI, ttl=300, lifetime=3600, now=NOW
    )
    with pytest.raises(jws.TokenError, match=re.escape(f"status list is for {URI}, not {URI}0")):
        verify_status_list_token(token, keys, uri=URI + "0", now=NOW)
    with pytest.raises(jws.TokenError, match="issued by whdh, not zj"):
        verify_status_list_token(token, keys, uri=URI, iss="zj", now=NOW)
    with pytest.raises(jws.TokenError, match="expired 60 minutes ago"):
        verify_status_list_token(token, keys, uri=URI, now=NOW + 7200)
    with pytest.raises(jws.TokenError, match="unknown kid"):
        verify_status_list_token(token, {}, uri=URI, now=NOW)
    other = jws.sign({"sub": URI, "iat": NOW, "exp": NOW + 60, "status_list": {}}, park_key, "JWT")
    with pytest.raises(jws.TokenError, match="typ should be statuslist"):
        verify_status_list_token(other, keys, uri=URI, now=NOW)
    bad = jws.sign(
        {"sub": URI, "iat": NOW, "exp": NOW + 60, "status_list": {"bits": 5, "lst": "AA"}},
        park_key,
        "statuslist+jwt",
    )
    with pytest.raises(jws.TokenError, match="bits must be one of"):
        verify_status_list_token(bad, keys, uri=URI, now=NOW)
    with pytest.raises(InvalidInput):
        sign_status_list_token(StatusList(8), park_key, iss="whdh", sub="", ttl=300, lifetime=3600)
