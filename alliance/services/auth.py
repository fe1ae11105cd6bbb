"""Who is asking: bearer tokens and roles.

Tokens are JWTs (`typ` `at+jwt`, RFC 9068) signed by the alliance key; a park may also sign its own token
with its park key (checked by the gateway against the registry, see the federation service).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Final

from alliance.core import jws
from alliance.core.keys import PublicKey, SigningKey
from alliance.errors import Forbidden, InvalidInput, Unauthenticated

ACCESS_TOKEN_TYP: Final = "at+jwt"
ALLIANCE_ISSUER: Final = "alliance"

ANONYMOUS_ROLE: Final = "anonymous"
ADMIN: Final = "alliance-admin"
PARK: Final = "park"
PARK_OPERATOR: Final = "park-operator"
ENTERPRISE: Final = "enterprise"
ROLES: Final = (ADMIN, PARK, PARK_OPERATOR, ENTERPRISE)


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    park_id: str | None = None
    uscc: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.role == ANONYMOUS_ROLE

    def require(self, *roles: str, action: str) -> None:
        """Refuse unless the caller holds one of `roles`."""
        if self.role in roles:
            return
        if self.is_anonymous:
            raise Unauthenticated(f"forbidden: {action} needs the role {' or '.join(roles)}; send a bearer token")
        raise Forbidden(f"forbidden: {action} needs the role {' or '.join(roles)}, not {self.role}")


ANONYMOUS: Final = Principal("anonymous", ANONYMOUS_ROLE)


class TokenService:
    def __init__(self, alliance_key: SigningKey, *, lifetime: int, leeway: int) -> None:
        self._key = alliance_key
        self._public = {alliance_key.kid: alliance_key.public}
        self.lifetime = lifetime
        self.leeway = leeway

    @property
    def public_keys(self) -> dict[str, PublicKey]:
        return self._public

    def issue(
        self,
        role: str,
        subject: str,
        *,
        park_id: str | None = None,
        uscc: str | None = None,
        lifetime: int | None = None,
    ) -> str:
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        if role in (PARK, PARK_OPERATOR) and not park_id:
            raise InvalidInput(f"a {role} token names its park (park_id)")
        if role == ENTERPRISE and not uscc:
            raise InvalidInput("an enterprise token names its USCC")
        now = int(time.time())
        claims = {
            "iss": ALLIANCE_ISSUER,
            "sub": subject,
            "role": role,
            "iat": now,
            "exp": now + (lifetime or self.lifetime),
            "jti": uuid.uuid4().hex,
        }
        if park_id:
            claims["park"] = park_id
        if uscc:
            claims["uscc"] = uscc
        return jws.sign(claims, self._key, ACCESS_TOKEN_TYP)

    def authenticate(self, token: str) -> Principal:
        """The principal of an alliance-signed token, or Unauthenticated with the reason."""
        try:
            claims = jws.verify(token, self._public, ACCESS_TOKEN_TYP, leeway=self.leeway)
        except jws.TokenError as exc:
            raise Unauthenticated(f"bearer token refused: {exc.message}") from exc
        if claims.get("iss") != ALLIANCE_ISSUER or claims.get("role") not in ROLES:
            raise Unauthenticated("bearer token refused: not an alliance access token")
        return Principal(str(claims.get("sub", "")), claims["role"], claims.get("park"), claims.get("uscc"))


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no such header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()
