"""Park statements: the alliance's signed word about one park (an OpenID Federation subordinate statement).

The alliance key signs, for each park: its current keys (`jwks`), its retired keys with reason and time
(`historical_keys`), its status in the alliance, the standard versions it is accredited for, its status list.
Statements are short-lived (hours): a park that leaves is simply no longer re-issued one. A verifier that
holds the alliance's public key reads a statement and from it learns which park keys to trust.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from alliance.core import jws
from alliance.core.keys import PublicKey, SigningKey, b64url_encode, keys_from_jwks
from alliance.core.keys import jwks as make_jwks
from alliance.errors import InvalidInput

__all__ = [
    "ALLIANCE_ISSUER",
    "TYP",
    "HistoricalKey",
    "ParkStatement",
    "issue_park_statement",
    "statement_hash",
    "verify_park_statement",
]

TYP = "park-statement+jwt"
ALLIANCE_ISSUER = "alliance"
PARK_STATUSES = ("active", "suspended")
KEY_REASONS = ("superseded", "compromised")
MAX_TOKEN_SIZE = 64 << 10


def statement_hash(token: str) -> str:
    """How an attestation names the statement it was issued under (`acc`): SHA-256 of the token, base64url."""
    return b64url_encode(hashlib.sha256(token.strip().encode("ascii")).digest())


@dataclass(frozen=True)
class HistoricalKey:
    key: PublicKey
    reason: str  # "superseded": old signatures stay good; "compromised": void from revoked_at on
    revoked_at: int


def _standard(entry: Any) -> dict[str, str]:
    """Accept {"id", "version"} or "ID VERSION"; always store the dict form."""
    if isinstance(entry, str):
        parts = entry.split()
        if len(parts) != 2:
            raise InvalidInput(f"accredited entry {entry!r} is not 'STANDARD_ID VERSION'")
        return {"id": parts[0], "version": parts[1]}
    if (
        isinstance(entry, Mapping)
        and isinstance(entry.get("id"), str)
        and isinstance(entry.get("version"), str)
    ):
        if entry["id"] and entry["version"]:
            return {"id": entry["id"], "version": entry["version"]}
    raise InvalidInput(f"accredited entry {entry!r} must be {{'id': str, 'version': str}}")


def _historical(entry: Any) -> HistoricalKey:
    if not isinstance(entry, Mapping):
        raise InvalidInput("a historical key must be an object with jwk, reason and revoked_at")
    key = PublicKey.from_jwk(entry.get("jwk") or {})
    reason = entry.get("reason")
    if reason not in KEY_REASONS:
        raise InvalidInput(
            f"historical key {key.kid}: reason must be superseded or compromised, got {reason!r}"
        )
    revoked_at = entry.get("revoked_at")
    if isinstance(revoked_at, bool) or not isinstance(revoked_at, int):
        raise InvalidInput(f"historical key {key.kid}: revoked_at must be an integer time")
    return HistoricalKey(key, reason, revoked_at)


@dataclass(frozen=True)
class ParkStatement:
    park_id: str
    name: str
    status: str
    jwks: dict[str, Any]
    historical_keys: list[dict[str, Any]] = field(default_factory=list)
    accredited: list[dict[str, str]] = field(default_factory=list)
    status_list_uri: str | None = None
    iat: int = 0
    exp: int = 0
    # Set by verify_park_statement: the hash an attestation's `acc` claim refers to.
    token_hash: str | None = None

    # Parsed once and cached: a gateway verifies many attestations against one statement.
    @cached_property
    def keys(self) -> dict[str, PublicKey]:
        return keys_from_jwks(self.jwks)

    @cached_property
    def history(self) -> dict[str, HistoricalKey]:
        return {h.key.kid: h for h in map(_historical, self.historical_keys)}

    @cached_property
    def _accredited_set(self) -> frozenset[tuple[str, str]]:
        return frozenset((a["id"], a["version"]) for a in self.accredited)

    def is_accredited(self, standard_id: str, version: str) -> bool:
        return (standard_id, version) in self._accredited_set

    @property
    def active(self) -> bool:
        return self.status == "active"

    def expired(self, now: float | None = None, leeway: int = 0) -> bool:
        return (time.time() if now is None else now) > self.exp + leeway

    def claims(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "iss": ALLIANCE_ISSUER,
            "sub": self.park_id,
            "iat": self.iat,
            "exp": self.exp,
            "name": self.name,
            "status": self.status,
            "jwks": self.jwks,
            "historical_keys": self.historical_keys,
            "accredited": self.accredited,
        }
        if self.status_list_uri:
            out["status_list_uri"] = self.status_list_uri
        return out


def _build(
    *,
    park_id: Any,
    name: Any,
    status: Any,
    jwks: Any,
    historical_keys: Any,
    accredited: Any,
    status_list_uri: Any,
    iat: int,
    exp: int,
    token_hash: str | None = None,
) -> ParkStatement:
    """Validate every field, collecting all problems, and build a statement with its keys already parsed."""
    problems: list[str] = []
    if not isinstance(park_id, str) or not park_id.strip():
        problems.append("park_id must be a non-empty string")
    if not isinstance(name, str) or not name.strip():
        problems.append("name must be a non-empty string")
    if status not in PARK_STATUSES:
        problems.append(f"status must be active or suspended, got {status!r}")
    if status_list_uri is not None and not isinstance(status_list_uri, str):
        problems.append("status_list_uri must be a string")
    if not isinstance(historical_keys, list):
        problems.append("historical_keys must be a list")
        historical_keys = []
    if not isinstance(accredited, list):
        problems.append("accredited must be a list")
        accredited = []
    stmt_accredited: list[dict[str, str]] = []
    for entry in accredited:
        try:
            stmt_accredited.append(_standard(entry))
        except InvalidInput as exc:
            problems.append(exc.message)
    stmt = ParkStatement(
        park_id=park_id,
        name=name,
        status=status,
        jwks=jwks,
        historical_keys=historical_keys,
        accredited=stmt_accredited,
        status_list_uri=status_list_uri,
        iat=iat,
        exp=exp,
        token_hash=token_hash,
    )
    try:
        current = stmt.keys  # parses and caches
        if not current and stmt.status == "active":
            problems.append("an active park needs at least one current key")
    except InvalidInput as exc:
        problems.append(exc.message)
    try:
        _ = stmt.history
    except InvalidInput as exc:
        problems.append(exc.message)
    if problems:
        raise InvalidInput("invalid park statement", problems)
    return stmt


def issue_park_statement(
    *,
    park_id: str,
    name: str,
    jwks: Mapping[str, Any] | Iterable[PublicKey],
    alliance_key: SigningKey,
    lifetime: int,
    status: str = "active",
    historical_keys: Iterable[Mapping[str, Any]] = (),
    accredited: Iterable[Mapping[str, str] | str] = (),
    status_list_uri: str | None = None,
    now: float | None = None,
) -> str:
    """Sign a park statement (typ park-statement+jwt, iss "alliance", sub park_id) valid for `lifetime` s."""
    if lifetime <= 0:
        raise InvalidInput("lifetime must be positive")
    jwks_doc = dict(jwks) if isinstance(jwks, Mapping) else make_jwks(jwks)
    iat = int(time.time() if now is None else now)
    stmt = _build(
        park_id=park_id,
        name=name,
        status=status,
        jwks=jwks_doc,
        historical_keys=[dict(h) for h in historical_keys],
        accredited=list(accredited),
        status_list_uri=status_list_uri,
        iat=iat,
        exp=iat + int(lifetime),
    )
    return jws.sign(stmt.claims(), alliance_key, TYP)


def verify_park_statement(
    token: str,
    alliance_keys: jws.KeySource,
    *,
    leeway: int = 60,
    now: float | None = None,
    park_id: str | None = None,
) -> ParkStatement:
    """Verify a park statement against the alliance keys; raise TokenError with the reason."""
    claims = jws.verify(
        token,
        alliance_keys,
        TYP,
        leeway=leeway,
        now=now,
        require=("iss", "sub", "iat", "exp", "jwks", "status"),
        max_size=MAX_TOKEN_SIZE,
    )
    if claims["iss"] != ALLIANCE_ISSUER:
        raise jws.TokenError(
            f"park statement issued by {jws.shorten(claims['iss'], 40)}, not the alliance",
            "claims",
            claims=claims,
        )
    if park_id is not None and claims["sub"] != park_id:
        raise jws.TokenError(
            f"park statement is for park {jws.shorten(claims['sub'], 40)}, not {park_id}",
            "claims",
            claims=claims,
        )
    try:
        return _build(
            park_id=claims["sub"],
            name=claims.get("name"),
            status=claims["status"],
            jwks=claims["jwks"],
            historical_keys=claims.get("historical_keys", []),
            accredited=claims.get("accredited", []),
            status_list_uri=claims.get("status_list_uri"),
            iat=int(claims["iat"]),
            exp=int(claims["exp"]),
            token_hash=statement_hash(token),
        )
    except InvalidInput as exc:
        raise jws.TokenError(exc.message, "claims", claims=claims) from None
