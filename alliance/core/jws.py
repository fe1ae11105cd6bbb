"""Compact JWS / JWT with Ed25519 only (RFC 7515, RFC 7519, RFC 8037, RFC 8725).

Signing goes through pyjwt. Verification is done here, step by step, because every step must say what is wrong
and several checks must happen *before* a key is chosen, which pyjwt does not do (it never checks `typ`):

1. size, then shape (three canonical base64url parts), then the header as strict JSON;
2. `alg` from a fixed allow-list (EdDSA, Ed25519): never `none`, never HMAC, whatever the header says;
3. `typ` must be exactly the expected media type; unknown `crit` members are refused;
4. the key comes from the caller's key set by `kid` only: `jku`, `jwk`, `x5u`, `x5c` are ignored;
5. the Ed25519 signature over the exact received `header.payload` bytes;
6. the claims: a JSON object, required claims present, `exp`/`nbf`/`iat` within a small leeway.

Documents (e.g. a rating standard) are signed with `sign_detached_document`: the JWS payload is the canonical
JSON of the document itself (sorted keys, compact separators, UTF-8), and the signing time travels in the
protected header as `iat` (RFC 7519 §5.3 allows claims in the header). The payload then *is* the document: its
SHA-256 is the document's digest, and the same JWS can be stored detached (RFC 7515 Appendix F, empty payload
segment) next to the document and re-attached at verification.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import jwt

from alliance.core.keys import PublicKey, SigningKey, b64url_decode, b64url_encode
from alliance.errors import AllianceError, InvalidInput

__all__ = [
    "ALLOWED_ALGS",
    "KeySource",
    "TokenError",
    "canonical_json",
    "detach",
    "document_digest",
    "human_duration",
    "shorten",
    "sign",
    "sign_detached_document",
    "sign_raw_jws",
    "unverified_claims",
    "unverified_header",
    "verify",
    "verify_document",
    "verify_raw_jws",
]

# Fixed by the verifier (RFC 8725 §3.1). "Ed25519" is the RFC 9864 name, "EdDSA" the one pyjwt emits.
ALLOWED_ALGS: frozenset[str] = frozenset({"EdDSA", "Ed25519"})
# No extension is understood, so any `crit` member is refused (RFC 7515 §4.1.11).
UNDERSTOOD_CRIT: frozenset[str] = frozenset()
# Header members a caller may not set through `headers=`: they are ours, or they would invite key injection.
_RESERVED_HEADERS = frozenset({"alg", "typ", "kid", "crit", "b64", "jku", "jwk", "x5u", "x5c"})

KeySource = Mapping[str, PublicKey] | Callable[[str], PublicKey | None]


class TokenError(AllianceError):
    """A token was refused. `reason` is for people; `kind` is a short machine tag for callers that map it.

    kinds: too_large, malformed, alg, typ, crit, kid, unknown_kid, signature, claims, missing_claim,
    expired, not_yet_valid.
    """

    code = "INVALID_TOKEN"

    def __init__(
        self,
        reason: str,
        kind: str = "invalid",
        *,
        header: dict[str, Any] | None = None,
        claims: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.header = header
        self.claims = claims


# ---------------------------------------------------------------------------------------------- helpers


def human_duration(seconds: float) -> str:
    """'42 seconds', '5 minutes', '3 hours', '3 days': coarse, as a person would say it."""
    s = abs(int(seconds))
    for unit, size, upto in (("second", 1, 90), ("minute", 60, 90 * 60), ("hour", 3600, 48 * 3600)):
        if s < upto:
            n = s // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    n = s // 86400
    return f"{n} day{'' if n == 1 else 's'}"


def _iso(ts: float) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def shorten(value: Any, limit: int = 16) -> str:
    """An attacker-supplied value, shortened and printable, for use inside a reason."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate member {k!r}")
        out[k] = v
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _strict_json(data: bytes, what: str) -> Any:
    # Duplicate members are refused (RFC 7515 §5.2 allows it): two parsers must never read different claims.
    try:
        return json.loads(
            data.decode("utf-8"), object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except UnicodeDecodeError:
        raise TokenError(f"{what} is not UTF-8", "malformed") from None
    except ValueError as exc:
        raise TokenError(f"{what} is not valid JSON ({exc})", "malformed") from None


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no NaN: one document, one byte string.

    Same as RFC 8785 (JCS) for documents of strings, integers, booleans and nulls; floats use Python's repr.
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def document_digest(document: Any) -> str:
    """SHA-256 of the canonical JSON, base64url: the name of a signed document."""
    return b64url_encode(hashlib.sha256(canonical_json(document)).digest())


# ---------------------------------------------------------------------------------------------- parsing


class _Parsed:
    __slots__ = ("header", "payload", "payload_b64", "signature", "signing_input")

    def __init__(
        self, header: dict[str, Any], payload_b64: str, signing_input: bytes, signature: bytes
    ) -> None:
        self.header = header
        self.payload_b64 = payload_b64
        self.signing_input = signing_input
        self.signature = signature
        self.payload = b""


def _parse(token: Any, max_size: int) -> _Parsed:
    if isinstance(token, bytes | bytearray):
        try:
            token = bytes(token).decode("ascii")
        except UnicodeDecodeError:
            raise TokenError("token is not ASCII", "malformed") from None
    if not isinstance(token, str):
        raise TokenError(f"token must be a string, got {type(token).__name__}", "malformed")
    if len(token) > max_size:
        raise TokenError(f"token too large ({len(token)} bytes; limit {max_size})", "too_large")
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError(
            f"token is not a compact JWS (expected 3 base64url parts, got {len(parts)})", "malformed"
        )
    h64, p64, s64 = parts
    if not h64:
        raise TokenError("token is not a compact JWS (empty header)", "malformed")
    try:
        header_bytes = b64url_decode(h64)
    except ValueError:
        raise TokenError("token header is not base64url (truncated or altered?)", "malformed") from None
    try:
        signature = b64url_decode(s64)
    except ValueError:
        raise TokenError("token signature is not base64url (truncated or altered?)", "malformed") from None
    try:
        payload = b64url_decode(p64)
    except ValueError:
        raise TokenError("token payload is not base64url (truncated or altered?)", "malformed") from None
    header = _strict_json(header_bytes, "token header")
    if not isinstance(header, dict):
        raise TokenError("token header is not a JSON object", "malformed")
    parsed = _Parsed(header, p64, f"{h64}.{p64}".encode("ascii"), signature)
    parsed.payload = payload
    return parsed


def _decode_payload(parsed: _Parsed) -> bytes:
    return parsed.payload


def _check_alg(header: Mapping[str, Any]) -> None:
    alg = header.get("alg")
    if alg in ALLOWED_ALGS:
        return
    if not isinstance(alg, str):
        raise TokenError("token header has no alg", "alg")
    if alg.lower() == "none":
        raise TokenError("alg none is not accepted", "alg")
    if alg.upper().startswith("HS"):
        raise TokenError(f"alg {shorten(alg)} (HMAC) is not accepted; only Ed25519 signatures are", "alg")
    raise TokenError(f"alg {shorten(alg)} is not accepted; only EdDSA/Ed25519", "alg")


def _check_crit(header: Mapping[str, Any]) -> None:
    if "crit" not in header:
        return
    crit = header["crit"]
    if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
        raise TokenError("crit must be a non-empty list of header names", "crit")
    unknown = [c for c in crit if c not in UNDERSTOOD_CRIT]
    if unknown:
        raise TokenError(f"crit member {shorten(unknown[0])} is not understood", "crit")


def _check_typ(header: Mapping[str, Any], typ: str) -> None:
    got = header.get("typ")
    # RFC 7515 §4.1.9: media types compare case-insensitively; "application/" may be omitted.
    if isinstance(got, str):
        norm = got.lower().removeprefix("application/")
        if norm == typ.lower().removeprefix("application/"):
            return
        raise TokenError(f"typ should be {typ}, got {shorten(got, 40)}", "typ")
    raise TokenError(f"typ should be {typ}, but the header has no typ", "typ")


def _checked_key(header: Mapping[str, Any], keys: KeySource, typ: str) -> PublicKey:
    """The header's checks (alg allow-list, typ, crit), then the key it names, from the verifier's keys only."""
    _check_alg(header)
    _check_typ(header, typ)
    _check_crit(header)
    return _find_key(header, keys)


def _find_key(header: Mapping[str, Any], keys: KeySource) -> PublicKey:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("token header has no kid", "kid")
    key = keys.get(kid) if isinstance(keys, Mapping) else keys(kid)
    if key is None:
        raise TokenError(f"unknown kid {shorten(kid, 12)}", "unknown_kid", header=dict(header))
    return key


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenError(f"claim {name} must be a NumericDate (seconds), got {shorten(value)}", "claims")
    return float(value)


def check_times(claims: Mapping[str, Any], *, leeway: float, now: float) -> None:
    """exp, nbf and iat against the clock, with a small leeway; reasons in words a person reads."""
    exp = _number(claims, "exp")
    nbf = _number(claims, "nbf")
    iat = _number(claims, "iat")
    if exp is not None and now > exp + leeway:
        raise TokenError(
            f"expired {human_duration(now - exp)} ago ({_iso(exp)})", "expired", claims=dict(claims)
        )
    if nbf is not None and now + leeway < nbf:
        raise TokenError(
            f"not valid before {_iso(nbf)} (in {human_duration(nbf - now)})",
            "not_yet_valid",
            claims=dict(claims),
        )
    if iat is not None and now + leeway < iat:
        raise TokenError(
            f"not valid before {_iso(iat)}: issued in the future (iat is {human_duration(iat - now)} ahead)",
            "not_yet_valid",
            claims=dict(claims),
        )
    if exp is not None and iat is not None and exp < iat:
        raise TokenError("exp is before iat", "claims", claims=dict(claims))


# ---------------------------------------------------------------------------------------------- public API


def unverified_header(token: str) -> dict[str, Any]:
    """The header, NOT verified: for routing and messages only."""
    return _parse(token, 1 << 20).header


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims, NOT verified: for routing and messages only."""
    parsed = _parse(token, 1 << 20)
    claims = _strict_json(_decode_payload(parsed), "token payload")
    if not isinstance(claims, dict):
        raise TokenError("token payload is not a JSON object", "malformed")
    return claims


def sign(
    claims: Mapping[str, Any], key: SigningKey, typ: str, headers: Mapping[str, Any] | None = None
) -> str:
    """Sign claims as a compact JWS with header {alg: EdDSA, typ, kid}."""
    extra = dict(headers or {})
    reserved = sorted(_RESERVED_HEADERS & extra.keys())
    if reserved:
        raise InvalidInput(f"header members {', '.join(reserved)} are set by sign() and may not be passed")
    extra.update({"alg": "EdDSA", "typ": typ, "kid": key.kid})
    try:
        return jwt.encode(dict(claims), key.cryptography_key, algorithm="EdDSA", headers=extra)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"claims cannot be encoded as JSON: {exc}") from None


def verify(
    token: str,
    keys: KeySource,
    typ: str,
    *,
    leeway: int = 60,
    now: float | None = None,
    require: Sequence[str] = ("iat", "exp"),
    max_size: int = 16384,
) -> dict[str, Any]:
    """Verify a compact JWT and return its claims, or raise TokenError saying why not."""
    parsed = _parse(token, max_size)
    header = parsed.header
    key = _checked_key(header, keys, typ)
    if not key.verify(parsed.signature, parsed.signing_input):
        raise TokenError("signature does not verify", "signature", header=header)
    claims = _strict_json(_decode_payload(parsed), "token payload")
    if not isinstance(claims, dict):
        raise TokenError("token payload is not a JSON object", "malformed", header=header)
    missing = [name for name in require if name not in claims]
    if missing:
        raise TokenError(
            f"required claim {missing[0]} is missing", "missing_claim", header=header, claims=claims
        )
    check_times(claims, leeway=leeway, now=time.time() if now is None else now)
    return claims


def sign_raw_jws(payload: bytes, key: SigningKey, *, kid: bool = False) -> str:
    """Sign raw bytes with header {"alg": "EdDSA"} (plus kid if asked): the RFC 8037 A.4 construction."""
    header: dict[str, str] = {"alg": "EdDSA"}
    if kid:
        header["kid"] = key.kid
    signing_input = (
        f"{b64url_encode(json.dumps(header, separators=(',', ':')).encode())}.{b64url_encode(payload)}"
    )
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode('ascii')))}"


def verify_raw_jws(compact: str, key: PublicKey, *, max_size: int = 1 << 20) -> bytes:
    """Verify a compact JWS whose payload need not be JSON (e.g. RFC 8037 A.4) and return the payload bytes.

    The key is the caller's; no `typ` is required.
    """
    parsed = _parse(compact, max_size)
    _check_alg(parsed.header)
    _check_crit(parsed.header)
    if not key.verify(parsed.signature, parsed.signing_input):
        raise TokenError("signature does not verify", "signature", header=parsed.header)
    return _decode_payload(parsed)


def sign_detached_document(
    document: Mapping[str, Any],
    key: SigningKey,
    typ: str,
    *,
    detached: bool = False,
    now: float | None = None,
) -> str:
    """Sign a JSON document: payload = canonical JSON of the document; header {alg, typ, kid, iat}.

    With detached=True the payload segment is left empty (`header..signature`): store the document itself and
    pass it back to `verify_document(..., document=...)`.
    """
    try:
        payload = canonical_json(dict(document))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"document cannot be encoded as canonical JSON: {exc}") from None
    iat = int(time.time() if now is None else now)
    header = {"alg": "EdDSA", "typ": typ, "kid": key.kid, "iat": iat}
    token = jwt.api_jws.encode(payload, key.cryptography_key, algorithm="EdDSA", headers=header)
    return detach(token) if detached else token


def detach(token: str) -> str:
    """The same JWS with its payload segment emptied (RFC 7515 Appendix F)."""
    h, _, s = token.split(".")
    return f"{h}..{s}"


def verify_document(
    token: str,
    keys: KeySource,
    typ: str,
    *,
    document: Mapping[str, Any] | None = None,
    leeway: int = 60,
    now: float | None = None,
    max_size: int = 1 << 20,
) -> dict[str, Any]:
    """Verify a signed document and return it.

    The payload must be the canonical JSON of a JSON object (one document has exactly one signed form). For a
    detached token, pass the document; for an attached one, a passed document must equal the signed one.
    """
    parsed = _parse(token, max_size)
    header = parsed.header
    key = _checked_key(header, keys, typ)
    if parsed.payload_b64 == "":
        if document is None:
            raise TokenError("detached signature: the document must be supplied", "malformed")
        try:
            payload = canonical_json(dict(document))
        except (TypeError, ValueError) as exc:
            raise TokenError(f"document cannot be encoded as canonical JSON: {exc}", "malformed") from None
        signing_input = parsed.signing_input + b64url_encode(payload).encode("ascii")
    else:
        payload = _decode_payload(parsed)
        signing_input = parsed.signing_input
    if not key.verify(parsed.signature, signing_input):
        raise TokenError("signature does not verify", "signature", header=header)
    doc = _strict_json(payload, "signed document")
    if not isinstance(doc, dict):
        raise TokenError("signed document is not a JSON object", "malformed", header=header)
    if canonical_json(doc) != payload:
        raise TokenError("signed document is not in canonical JSON form", "malformed", header=header)
    if document is not None and parsed.payload_b64 != "" and canonical_json(dict(document)) != payload:
        raise TokenError("the supplied document differs from the signed one", "signature", header=header)
    if "iat" not in header:
        raise TokenError("required header member iat is missing", "missing_claim", header=header)
    check_times({"iat": header["iat"]}, leeway=leeway, now=time.time() if now is None else now)
    return doc
