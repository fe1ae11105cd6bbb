"""Rating attestations: a park's signed statement "enterprise X holds grade G under standard S version V".

Chain of trust (DESIGN, principle 4): alliance key → park statement (the park's keys, status, accredited
standards) → park key → attestation → the park's status list. `verify_attestation` walks it and answers with
an `AttestationVerdict`: truthy only for a valid rating, otherwise falsy with a short machine `status` and a
reason a person can read. It never raises.

A bundle (`make_bundle`) packs an attestation with its park statement and status list into one compact string
(small enough for a QR code), so a verifier that holds only the alliance's public key can check it offline.
"""

from __future__ import annotations

import json
import logging
import secrets
import struct
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from alliance.core import jws
from alliance.core.keys import PublicKey, SigningKey, b64url_decode, b64url_encode
from alliance.core.park_statement import HistoricalKey, ParkStatement, statement_hash, verify_park_statement
from alliance.core.statuslist import INVALID, SUSPENDED, VALID, VerifiedStatusList, verify_status_list_token
from alliance.core.verdict import Verdict
from alliance.errors import InvalidInput

__all__ = [
    "BUNDLE_PREFIX",
    "SCHEMA_PATH",
    "TYP",
    "AttestationVerdict",
    "Code",
    "issue_attestation",
    "make_bundle",
    "open_bundle",
    "validate_claims",
    "verify_attestation",
    "verify_bundle",
]

log = logging.getLogger(__name__)

TYP = "rating-attestation+jwt"
MAX_TOKEN_SIZE = 16384
BUNDLE_PREFIX = "acb1."
MAX_BUNDLE_SIZE = 256 << 10
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "attestation.schema.json"


class Code:
    """The machine codes of `AttestationVerdict.status`."""

    VALID = "VALID"
    REVOKED = "REVOKED"  # the park marked it INVALID in its status list
    SUSPENDED = "SUSPENDED"  # the park marked it SUSPENDED in its status list
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    FORGED = "FORGED"  # bad signature, alg none/HMAC, wrong typ, unknown crit
    UNKNOWN_KEY = "UNKNOWN_KEY"  # kid is not a key of the park
    KEY_COMPROMISED = "KEY_COMPROMISED"  # signed by a key compromised before iat
    MALFORMED = "MALFORMED"  # not a compact JWS, too large, claims of the wrong shape
    PARK_MISMATCH = "PARK_MISMATCH"  # issued by another park than the statement's
    PARK_SUSPENDED = "PARK_SUSPENDED"
    PARK_STATEMENT_INVALID = "PARK_STATEMENT_INVALID"  # expired, not signed by the alliance, malformed
    NOT_ACCREDITED = "NOT_ACCREDITED"
    STANDARD_REFUSED = "STANDARD_REFUSED"  # the standard_status callback said no (e.g. retired)
    STATUS_UNKNOWN = "STATUS_UNKNOWN"  # no usable status list
    ERROR = "ERROR"  # a bug on our side; logged


_KIND_TO_CODE = {
    "too_large": Code.MALFORMED,
    "malformed": Code.MALFORMED,
    "kid": Code.MALFORMED,
    "claims": Code.MALFORMED,
    "missing_claim": Code.MALFORMED,
    "alg": Code.FORGED,
    "typ": Code.FORGED,
    "crit": Code.FORGED,
    "signature": Code.FORGED,
    "unknown_kid": Code.UNKNOWN_KEY,
    "expired": Code.EXPIRED,
    "not_yet_valid": Code.NOT_YET_VALID,
}


@dataclass(frozen=True)
class AttestationVerdict(Verdict):
    """Truthy only for a valid rating. `claims` are set only once the signature verified."""

    status: str = Code.ERROR
    claims: dict[str, Any] | None = None
    park_id: str | None = None

    @property
    def code(self) -> str:
        return self.status


def _refuse(code: str, reason: str, **kw: Any) -> AttestationVerdict:
    details = kw.pop("details", {})
    return AttestationVerdict(ok=False, reason=reason, details=details, status=code, **kw)


# ---------------------------------------------------------------------------------------------- schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_claims(claims: Mapping[str, Any]) -> None:
    """Check claims against schema/attestation.schema.json; InvalidInput lists every problem."""
    errors = sorted(_validator().iter_errors(dict(claims)), key=lambda e: list(e.absolute_path))
    if errors:
        problems = [f"{'/'.join(map(str, e.absolute_path)) or '(claims)'}: {e.message}" for e in errors]
        raise InvalidInput("attestation claims do not match the schema", problems)


# ---------------------------------------------------------------------------------------------- issuing


def issue_attestation(
    *,
    park_id: str,
    key: SigningKey,
    uscc: str,
    name: str,
    standard_id: str,
    standard_version: str,
    grade: str,
    score: float,
    status_idx: int,
    status_uri: str,
    validity_seconds: int,
    now: float | None = None,
    jti: str | None = None,
    park_statement: str | ParkStatement | None = None,
) -> str:
    """Sign a rating attestation (typ rating-attestation+jwt). Claims are validated against the schema.

    Pass the park's current `park_statement` to add the accreditation reference `acc`; a verified
    ParkStatement also refuses early what a verifier would refuse later (foreign key, no accreditation).
    """
    if isinstance(validity_seconds, bool) or not isinstance(validity_seconds, int) or validity_seconds <= 0:
        raise InvalidInput(f"validity_seconds must be a positive integer, got {validity_seconds!r}")
    iat = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": park_id,
        "sub": uscc,
        "iat": iat,
        "exp": iat + validity_seconds,
        "jti": jti or b64url_encode(secrets.token_bytes(16)),
        "std": {"id": standard_id, "version": str(standard_version)},
        "grade": grade,
        "score": score,
        "name": name,
        "status": {"status_list": {"idx": status_idx, "uri": status_uri}},
    }
    if isinstance(park_statement, ParkStatement):
        problems = []
        if park_statement.park_id != park_id:
            problems.append(f"the park statement is for {park_statement.park_id}, not {park_id}")
        if key.kid not in park_statement.keys:
            problems.append(f"key {key.kid} is not a current key of park {park_id}")
        if not park_statement.is_accredited(standard_id, str(standard_version)):
            problems.append(f"park {park_id} is not accredited for {standard_id} {standard_version}")
        if problems:
            raise InvalidInput("cannot issue this attestation", problems)
        if park_statement.token_hash:
            claims["acc"] = park_statement.token_hash
    elif isinstance(park_statement, str):
        claims["acc"] = statement_hash(park_statement)
    validate_claims(claims)
    return jws.sign(claims, key, TYP)


# ---------------------------------------------------------------------------------------------- verifying


def _statement(
    park_statement: str | ParkStatement, alliance_keys: jws.KeySource, leeway: int, now: float
) -> ParkStatement | AttestationVerdict:
    if isinstance(park_statement, ParkStatement):
        # A cached, already verified statement: only time can have made it stale.
        if park_statement.expired(now, leeway):
            ago = jws.human_duration(now - park_statement.exp)
            return _refuse(
                Code.PARK_STATEMENT_INVALID,
                f"park statement for {park_statement.park_id} expired {ago} ago",
                park_id=park_statement.park_id,
            )
        return park_statement
    try:
        return verify_park_statement(park_statement, alliance_keys, leeway=leeway, now=now)
    except jws.TokenError as exc:
        reason = exc.reason
        if exc.kind == "unknown_kid":
            reason += " (not an alliance key)"
        return _refuse(Code.PARK_STATEMENT_INVALID, f"park statement: {reason}")


def _claims_shape(claims: Mapping[str, Any]) -> str | None:
    """The structural checks a verifier needs (the full schema ran at issuing; re-running it costs a lot)."""
    std = claims.get("std")
    if (
        not isinstance(std, dict)
        or not isinstance(std.get("id"), str)
        or not isinstance(std.get("version"), str)
    ):
        return "claim std must be {id, version}"
    ref = claims.get("status")
    sl = ref.get("status_list") if isinstance(ref, dict) else None
    if not isinstance(sl, dict):
        return "claim status.status_list is missing"
    idx = sl.get("idx")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0 or not isinstance(sl.get("uri"), str):
        return "claim status.status_list must be {idx: integer ≥ 0, uri: string}"
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("grade"), str):
        return "claims sub and grade must be strings"
    return None


def _check_status(
    status_list: VerifiedStatusList | str | None,
    stmt: ParkStatement,
    claims: Mapping[str, Any],
    *,
    require_status: bool,
    leeway: int,
    now: float,
    park_name: str,
) -> tuple[str, str] | None:
    """None when the status is VALID (or not required); else (code, reason)."""
    ref = claims["status"]["status_list"]
    uri, idx = ref["uri"], ref["idx"]
    if status_list is None:
        if require_status:
            return Code.STATUS_UNKNOWN, f"status unknown: no status list was supplied for {uri}"
        return None
    if isinstance(status_list, str):
        try:
            status_list = verify_status_list_token(
                status_list, stmt.keys, uri=uri, iss=stmt.park_id, leeway=leeway, now=now
            )
        except jws.TokenError as exc:
            return Code.STATUS_UNKNOWN, f"status unknown: status list refused: {exc.reason}"
    else:
        if status_list.uri and status_list.uri != uri:
            return (
                Code.STATUS_UNKNOWN,
                f"status unknown: the status list supplied is {status_list.uri}, not {uri}",
            )
        if status_list.iss is not None and status_list.iss != stmt.park_id:
            return Code.STATUS_UNKNOWN, f"status unknown: the status list was issued by {status_list.iss}"
        if now > status_list.exp + leeway:
            ago = jws.human_duration(now - status_list.exp)
            return Code.STATUS_UNKNOWN, f"status unknown: the status list expired {ago} ago"
    lst = status_list.status_list
    if idx >= lst.size:
        return (
            Code.STATUS_UNKNOWN,
            f"status unknown: index {idx} is outside the status list (size {lst.size})",
        )
    value = lst.get(idx)
    if value == VALID:
        return None
    if value == INVALID:
        return Code.REVOKED, f"revoked by {park_name}"
    if value == SUSPENDED:
        return Code.SUSPENDED, f"suspended by {park_name}"
    return Code.STATUS_UNKNOWN, f"status unknown: status value {value} is not one this verifier knows"


def verify_attestation(
    token: str,
    *,
    alliance_keys: jws.KeySource,
    park_statement: str | ParkStatement,
    status_list: VerifiedStatusList | str | None,
    leeway: int = 60,
    now: float | None = None,
    park_name: str | None = None,
    standard_status: Callable[[str, str], Verdict] | None = None,
    require_status: bool = True,
) -> AttestationVerdict:
    """Verify an attestation along the chain alliance → park statement → park key → status list. Never raises.

    `park_statement` and `status_list` may be tokens or the objects their verifiers return (cache those: a
    statement is valid for hours and a status list for its ttl).
    """
    try:
        return _verify(
            token,
            alliance_keys=alliance_keys,
            park_statement=park_statement,
            status_list=status_list,
            leeway=leeway,
            now=time.time() if now is None else now,
            park_name=park_name,
            standard_status=standard_status,
            require_status=require_status,
        )
    except Exception:  # the contract is a verdict, whatever happens; a bug is logged, not leaked
        log.exception("attestation verification failed unexpectedly")
        return _refuse(Code.ERROR, "the attestation could not be checked (internal error)")


def _verify(
    token: str,
    *,
    alliance_keys: jws.KeySource,
    park_statement: str | ParkStatement,
    status_list: VerifiedStatusList | str | None,
    leeway: int,
    now: float,
    park_name: str | None,
    standard_status: Callable[[str, str], Verdict] | None,
    require_status: bool,
) -> AttestationVerdict:
    stmt = _statement(park_statement, alliance_keys, leeway, now)
    if isinstance(stmt, AttestationVerdict):
        return stmt
    park = stmt.park_id
    who = park_name or stmt.name or park
    if not stmt.active:
        return _refuse(Code.PARK_SUSPENDED, f"park {who} ({park}) is suspended in the alliance", park_id=park)

    # Keys come from the statement only: current keys first, then retired ones (checked against iat below).
    used: list[HistoricalKey] = []
    kids: list[str] = []

    def key_for(kid: str) -> PublicKey | None:
        kids.append(kid)
        historical = stmt.history.get(kid)
        if historical is not None:
            used.append(historical)
            return historical.key
        return stmt.keys.get(kid)

    try:
        claims = jws.verify(token, key_for, TYP, leeway=leeway, now=now, max_size=MAX_TOKEN_SIZE)
    except jws.TokenError as exc:
        return _token_refusal(exc, token, stmt, who)

    if claims.get("iss") != park:
        return _refuse(
            Code.PARK_MISMATCH,
            f"attestation names issuer {jws.shorten(claims.get('iss'), 40)}, "
            f"but the park statement is for {park}",
            claims=claims,
            park_id=park,
        )
    details: dict[str, Any] = {"kid": kids[0] if kids else None}
    if used:
        retired = used[0]
        details["key"] = retired.reason
        if retired.reason == "compromised" and claims["iat"] >= retired.revoked_at:
            return _refuse(
                Code.KEY_COMPROMISED,
                f"signed by a key compromised before iat (key {retired.key.kid[:12]}… compromised "
                f"{jws.human_duration(claims['iat'] - retired.revoked_at)} before it was used)",
                claims=claims,
                park_id=park,
                details=details,
            )
    else:
        details["key"] = "current"

    shape = _claims_shape(claims)
    if shape:
        return _refuse(Code.MALFORMED, shape, claims=claims, park_id=park)
    std_id, std_version = claims["std"]["id"], claims["std"]["version"]
    if not stmt.is_accredited(std_id, std_version):
        return _refuse(
            Code.NOT_ACCREDITED,
            f"park {who} ({park}) is not accredited for standard {std_id} version {std_version}",
            claims=claims,
            park_id=park,
        )
    if standard_status is not None:
        standing = standard_status(std_id, std_version)
        if not standing:
            return _refuse(
                Code.STANDARD_REFUSED,
                f"standard {std_id} version {std_version}: {standing.reason or 'not accepted'}",
                claims=claims,
                park_id=park,
            )

    refusal = _check_status(
        status_list, stmt, claims, require_status=require_status, leeway=leeway, now=now, park_name=who
    )
    if refusal:
        return _refuse(refusal[0], refusal[1], claims=claims, park_id=park)
    details["status_checked"] = status_list is not None
    acc = claims.get("acc")
    details["acc_matches"] = None if acc is None or stmt.token_hash is None else acc == stmt.token_hash
    note = "" if status_list is not None else " (status not checked)"
    return AttestationVerdict(
        ok=True,
        reason=f"valid: grade {claims['grade']} from {who} under {std_id} {std_version}{note}",
        details=details,
        status=Code.VALID,
        claims=claims,
        park_id=park,
    )


def _token_refusal(exc: jws.TokenError, token: str, stmt: ParkStatement, who: str) -> AttestationVerdict:
    park = stmt.park_id
    code = _KIND_TO_CODE.get(exc.kind, Code.MALFORMED)
    reason = exc.reason
    if exc.kind == "unknown_kid":
        # A better reason when the token simply belongs to another park.
        try:
            iss = jws.unverified_claims(token).get("iss")
        except jws.TokenError:
            iss = park
        if iss != park:
            return _refuse(
                Code.PARK_MISMATCH,
                f"attestation names issuer {jws.shorten(iss, 40)}, but the park statement is for {park}",
                park_id=park,
            )
        reason = f"{reason} (not a key of park {who} ({park}))"
    # Past the signature (expired, not yet valid): the claims are authentic and worth returning.
    claims = exc.claims if code in (Code.EXPIRED, Code.NOT_YET_VALID) else None
    return _refuse(code, reason, claims=claims, park_id=park)


# ---------------------------------------------------------------------------------------------- bundles
#
# acb1.<base64url(zlib(frame))>, frame = count byte, then per token three segments (header, payload,
# signature) as raw bytes, each prefixed by its length (2 bytes, big endian). Raw bytes compress far better
# than base64 text, and since base64url here is canonical, re-encoding gives back the exact tokens.


def _frame(tokens: list[str]) -> bytes:
    out = bytearray([len(tokens)])
    for token in tokens:
        parts = token.strip().split(".")
        if len(parts) != 3:
            raise InvalidInput("a bundle holds compact JWS tokens only")
        for part in parts:
            try:
                raw = b64url_decode(part)
            except ValueError:
                raise InvalidInput("a bundle holds compact JWS tokens only") from None
            out += struct.pack(">H", len(raw)) + raw
    return bytes(out)


def make_bundle(attestation: str, park_statement_token: str, status_list_token: str | None) -> str:
    """One compact string carrying everything an offline verifier needs beside the alliance's public key."""
    tokens = [attestation, park_statement_token] + ([status_list_token] if status_list_token else [])
    return BUNDLE_PREFIX + b64url_encode(zlib.compress(_frame(tokens), 9))


def open_bundle(bundle: str) -> tuple[str, str, str | None]:
    """(attestation, park statement, status list or None); InvalidInput when it is not a bundle."""
    if not isinstance(bundle, str) or not bundle.startswith(BUNDLE_PREFIX):
        raise InvalidInput(f"not an attestation bundle (expected the prefix {BUNDLE_PREFIX})")
    if len(bundle) > MAX_BUNDLE_SIZE:
        raise InvalidInput(f"bundle too large ({len(bundle)} bytes; limit {MAX_BUNDLE_SIZE})")
    try:
        compressed = b64url_decode(bundle[len(BUNDLE_PREFIX) :].strip())
        inflater = zlib.decompressobj()
        frame = inflater.decompress(compressed, 4 * MAX_BUNDLE_SIZE)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("truncated or oversized")
    except (ValueError, zlib.error):
        raise InvalidInput("bundle is damaged (not base64url ZLIB data)") from None
    count, pos, tokens = frame[0] if frame else 0, 1, []
    if count not in (2, 3):
        raise InvalidInput("bundle is damaged (it must hold 2 or 3 tokens)")
    for _ in range(count):
        parts = []
        for _ in range(3):
            if pos + 2 > len(frame):
                raise InvalidInput("bundle is damaged (truncated)")
            (n,) = struct.unpack_from(">H", frame, pos)
            parts.append(b64url_encode(frame[pos + 2 : pos + 2 + n]))
            pos += 2 + n
            if pos > len(frame):
                raise InvalidInput("bundle is damaged (truncated)")
        tokens.append(".".join(parts))
    if pos != len(frame):
        raise InvalidInput("bundle is damaged (trailing data)")
    return tokens[0], tokens[1], tokens[2] if count == 3 else None


def verify_bundle(
    bundle: str,
    alliance_keys: jws.KeySource,
    *,
    leeway: int = 60,
    now: float | None = None,
    park_name: str | None = None,
    standard_status: Callable[[str, str], Verdict] | None = None,
    require_status: bool = True,
) -> AttestationVerdict:
    """Verify a bundle offline with the alliance keys alone. Never raises."""
    try:
        attestation, statement, status = open_bundle(bundle)
    except InvalidInput as exc:
        return _refuse(Code.MALFORMED, exc.message)
    return verify_attestation(
        attestation,
        alliance_keys=alliance_keys,
        park_statement=statement,
        status_list=status,
        leeway=leeway,
        now=now,
        park_name=park_name,
        standard_status=standard_status,
        require_status=require_status,
    )
