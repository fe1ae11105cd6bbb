"""IETF Token Status List (draft-ietf-oauth-status-list): revocation and suspension of attestations.

Each park keeps one list. An attestation points at its entry with `status.status_list{idx, uri}`; the park
publishes it as a signed `statuslist+jwt` whose `status_list` claim is {"bits": n, "lst": base64url(ZLIB)}.
Entries are packed least significant bits first: entry i lives in byte i*bits//8 at bit offset (i*bits) % 8.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alliance.core import jws
from alliance.core.keys import SigningKey, b64url_decode, b64url_encode
from alliance.errors import InvalidInput

__all__ = [
    "INVALID",
    "STATUS_NAMES",
    "SUSPENDED",
    "VALID",
    "StatusList",
    "VerifiedStatusList",
    "sign_status_list_token",
    "verify_status_list_token",
]

VALID = 0
INVALID = 1
SUSPENDED = 2
STATUS_NAMES = {VALID: "VALID", INVALID: "INVALID", SUSPENDED: "SUSPENDED"}

TYP = "statuslist+jwt"
ALLOWED_BITS = (1, 2, 4, 8)
# A list of 32M two-bit entries is 8 MiB: far beyond any park, and a cap against zlib bombs.
MAX_LIST_BYTES = 8 << 20
# The signed token may be larger than an attestation: 1M entries at 1 % revoked is ~14 KB.
MAX_TOKEN_SIZE = 4 << 20


class StatusList:
    """A packed array of `size` statuses of `bits` bits each."""

    __slots__ = ("_data", "bits", "size")

    def __init__(self, size: int, bits: int = 2) -> None:
        if bits not in ALLOWED_BITS:
            raise InvalidInput(f"status list bits must be one of 1, 2, 4, 8, got {bits!r}")
        if not isinstance(size, int) or size < 1:
            raise InvalidInput(f"status list size must be a positive integer, got {size!r}")
        nbytes = (size * bits + 7) // 8
        if nbytes > MAX_LIST_BYTES:
            raise InvalidInput(f"status list too large ({nbytes} bytes; limit {MAX_LIST_BYTES})")
        self.bits = bits
        self.size = size
        self._data = bytearray(nbytes)

    def _locate(self, idx: int) -> tuple[int, int]:
        if isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < self.size:
            raise InvalidInput(f"status index {idx!r} is outside the list (size {self.size})")
        pos = idx * self.bits
        return pos // 8, pos % 8

    def get(self, idx: int) -> int:
        byte, shift = self._locate(idx)
        return (self._data[byte] >> shift) & ((1 << self.bits) - 1)

    def set(self, idx: int, status: int) -> None:
        byte, shift = self._locate(idx)
        mask = (1 << self.bits) - 1
        if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status <= mask:
            raise InvalidInput(f"status {status!r} does not fit in {self.bits} bit(s)")
        self._data[byte] = (self._data[byte] & ~(mask << shift) & 0xFF) | (status << shift)

    def to_bytes(self) -> bytes:
        return bytes(self._data)

    @classmethod
    def from_bytes(cls, data: bytes, bits: int = 2) -> StatusList:
        if not data:
            raise InvalidInput("status list is empty")
        out = cls(len(data) * 8 // bits, bits)
        out._data[:] = data
        return out

    def encode(self) -> dict[str, Any]:
        # zlib.compress emits the ZLIB wrapper (RFC 1950) around DEFLATE, which is what the draft asks for.
        return {"bits": self.bits, "lst": b64url_encode(zlib.compress(bytes(self._data), 9))}

    @classmethod
    def decode(cls, obj: Mapping[str, Any]) -> StatusList:
        if not isinstance(obj, Mapping):
            raise InvalidInput("status_list must be an object with bits and lst")
        bits = obj.get("bits")
        if isinstance(bits, bool) or bits not in ALLOWED_BITS:
            raise InvalidInput(f"status_list bits must be one of 1, 2, 4, 8, got {bits!r}")
        lst = obj.get("lst")
        if not isinstance(lst, str) or not lst:
            raise InvalidInput("status_list lst is missing")
        try:
            compressed = b64url_decode(lst)
        except ValueError:
            raise InvalidInput("status_list lst is not base64url") from None
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(compressed, MAX_LIST_BYTES)
        except zlib.error as exc:
            raise InvalidInput(f"status_list lst is not ZLIB data ({exc})") from None
        if inflater.unconsumed_tail:
            raise InvalidInput(f"status_list lst inflates beyond {MAX_LIST_BYTES} bytes")
        if not inflater.eof:
            raise InvalidInput("status_list lst is truncated ZLIB data")
        if inflater.unused_data:
            raise InvalidInput("status_list lst has trailing data after the ZLIB stream")
        return cls.from_bytes(data, bits)

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusList) and (self.bits, self._data) == (other.bits, other._data)

    def __repr__(self) -> str:
        return f"StatusList(size={self.size}, bits={self.bits})"


@dataclass(frozen=True)
class VerifiedStatusList:
    """A status list whose token was verified; cache it until `exp` (or `iat + ttl`, whichever is first)."""

    status_list: StatusList
    ttl: int | None
    iat: int
    exp: int
    iss: str | None
    uri: str = ""

    def fresh_until(self, fetched_at: float | None = None) -> float:
        """When a cached copy should be refetched, never after exp.

        The draft's `ttl` counts from retrieval: pass `fetched_at`. Without it, `iat` stands in (a list read
        from a bundle, say), which is never later than the retrieval.
        """
        start = self.iat if fetched_at is None else max(float(self.iat), fetched_at)
        return float(min(self.exp, start + self.ttl) if self.ttl else self.exp)


def sign_status_list_token(
    status_list: StatusList,
    key: SigningKey,
    *,
    iss: str,
    sub: str,
    ttl: int,
    lifetime: int,
    now: float | None = None,
) -> str:
    """Sign the list as a `statuslist+jwt` for `sub` (the list's uri), valid for `lifetime` seconds."""
    if not isinstance(sub, str) or not sub:
        raise InvalidInput("a status list token needs its uri as sub")
    if lifetime <= 0 or ttl <= 0:
        raise InvalidInput("status list lifetime and ttl must be positive")
    iat = int(time.time() if now is None else now)
    claims = {
        "iss": iss,
        "sub": sub,
        "iat": iat,
        "exp": iat + int(lifetime),
        "ttl": int(ttl),
        "status_list": status_list.encode(),
    }
    return jws.sign(claims, key, TYP)


def verify_status_list_token(
    token: str,
    keys: jws.KeySource,
    *,
    uri: str | None = None,
    leeway: int = 60,
    now: float | None = None,
    iss: str | None = None,
) -> VerifiedStatusList:
    """Verify a status list token (typ, signature, times, sub == uri) or raise TokenError."""
    claims = jws.verify(
        token,
        keys,
        TYP,
        leeway=leeway,
        now=now,
        require=("sub", "iat", "exp", "status_list"),
        max_size=MAX_TOKEN_SIZE,
    )
    sub = claims["sub"]
    if uri is not None and sub != uri:
        raise jws.TokenError(f"status list is for {jws.shorten(sub, 60)}, not {uri}", "claims", claims=claims)
    if iss is not None and claims.get("iss") != iss:
        raise jws.TokenError(
            f"status list was issued by {jws.shorten(claims.get('iss'), 40)}, not {iss}",
            "claims",
            claims=claims,
        )
    ttl = claims.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
        raise jws.TokenError("status list ttl must be a positive integer", "claims", claims=claims)
    try:
        status_list = StatusList.decode(claims["status_list"])
    except InvalidInput as exc:
        raise jws.TokenError(exc.message, "claims", claims=claims) from None
    issuer = claims.get("iss")
    return VerifiedStatusList(
        status_list=status_list,
        ttl=ttl,
        iat=int(claims["iat"]),
        exp=int(claims["exp"]),
        iss=issuer if isinstance(issuer, str) else None,
        uri=sub if isinstance(sub, str) else "",
    )
