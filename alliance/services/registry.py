"""The park registry: admission, suspension, keys, adopted standards, and the park statements the alliance signs.

A park statement is short-lived and re-signed on demand; verifiers get it from `/parks/{id}/statement`.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select

from alliance.core.keys import PublicKey, SigningKey, keys_from_jwks
from alliance.core.park_statement import ParkStatement, issue_park_statement, verify_park_statement
from alliance.core.recognition import MemberPark
from alliance.errors import AllianceError, Conflict, InvalidInput, NotFound
from alliance.services.audit import AuditTrail, _utc
from alliance.services.auth import ADMIN, PARK_OPERATOR, Principal
from alliance.storage.db import Database
from alliance.storage.models import ParkRow

PARK_ID = re.compile(r"^[a-z][a-z0-9-]{1,63}$")
ACTIVE, SUSPENDED = "active", "suspended"


@dataclass(frozen=True)
class ParkRecord:
    id: str
    name: str
    city: str
    endpoint: str
    jwks: dict[str, Any]
    historical_keys: list[dict[str, Any]]
    status: str
    status_reason: str
    accredited: list[dict[str, str]]
    adopted: list[dict[str, str]]
    status_list_uri: str
    admitted_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def adopts(self, standard_id: str, version: str) -> bool:
        return {"id": standard_id, "version": version} in self.adopted

    @classmethod
    def of(cls, r: ParkRow) -> ParkRecord:
        return cls(
            r.id, r.name, r.city, r.endpoint, r.jwks, list(r.historical_keys or []), r.status, r.status_reason,
            list(r.accredited or []), list(r.adopted or []), r.status_list_uri, _utc(r.admitted_at),
            _utc(r.updated_at),
        )


def _standards(entries: Any, what: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for entry in entries or []:
        if isinstance(entry, str) and len(entry.split()) == 2:
            sid, version = entry.split()
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str) and isinstance(entry.get("version"), str):
            sid, version = entry["id"], entry["version"]
        else:
            raise InvalidInput(f"{what}: {entry!r} is not 'STANDARD_ID VERSION' nor {{id, version}}")
        if {"id": sid, "version": version} not in out:
            out.append({"id": sid, "version": version})
    return out


def _check_jwks(jwks: Any) -> dict[str, PublicKey]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise InvalidInput("jwks must be a JWK Set with at least one key: {\"keys\": [...]}")
    return keys_from_jwks(jwks)


class RegistryService:
    def __init__(self, db: Database, alliance_key: SigningKey, audit: AuditTrail, *, statement_lifetime: int,
                 leeway: int, cache_seconds: float = 2.0) -> None:
        self.db = db
        self.key = alliance_key
        self.audit = audit
        self.statement_lifetime = statement_lifetime
        self.leeway = leeway
        # Several gateway replicas share the database: a short memo keeps the hot path off it.
        self.cache_seconds = cache_seconds
        self._memo: tuple[float, list[ParkRecord]] | None = None
        self._refresh = asyncio.Lock()
        self._members: tuple[list[ParkRecord], list[MemberPark]] | None = None
        self._statements: dict[str, tuple[datetime, str, ParkStatement]] = {}

    def invalidate(self) -> None:
        self._memo = None

    async def parks(self) -> list[ParkRecord]:
        memo = self._memo
        if memo and time.monotonic() - memo[0] < self.cache_seconds:
            return memo[1]
        async with self._refresh:  # one reader refreshes; the requests that arrive meanwhile take its result
            memo = self._memo
            if memo and time.monotonic() - memo[0] < self.cache_seconds:
                return memo[1]
            async with self.db.session() as s:
                rows = (await s.scalars(select(ParkRow).order_by(ParkRow.admitted_at, ParkRow.id))).all()
            parks = [ParkRecord.of(r) for r in rows]
            self._memo = (time.monotonic(), parks)
            return parks

    def members(self, parks: list[ParkRecord]) -> list[MemberPark]:
        """The recognition rules' view of `parks`, built once per registry state (a batch asks 500 times)."""
        held = self._members
        if held is None or held[0] is not parks:
            held = self._members = (parks, [
                MemberPark(p.id, p.name, p.active, frozenset((a["id"], a["version"]) for a in p.adopted))
                for p in parks
            ])
        return held[1]

    async def get(self, park_id: str) -> ParkRecord:
        for park in await self.parks():
            if park.id == park_id:
                return park
        raise NotFound(f"unknown park {park_id!r}")

    async def find(self, park_id: str) -> ParkRecord | None:
        return next((p for p in await self.parks() if p.id == park_id), None)

    # Statements -------------------------------------------------------------------------------------------
    async def statement(self, park_id: str) -> tuple[str, ParkStatement]:
        """The park's current statement, signed by the alliance; re-signed when it nears expiry or changes."""
        park = await self.get(park_id)
        cached = self._statements.get(park_id)
        now = time.time()
        if cached and cached[0] == park.updated_at and cached[2].exp - now > self.statement_lifetime / 4:
            return cached[1], cached[2]
        token = issue_park_statement(
            park_id=park.id,
            name=park.name,
            jwks=park.jwks,
            alliance_key=self.key,
            lifetime=self.statement_lifetime,
            status=park.status,
            historical_keys=park.historical_keys,
            accredited=park.accredited,
            status_list_uri=park.status_list_uri,
        )
        parsed = verify_park_statement(token, {self.key.kid: self.key.public}, leeway=self.leeway, park_id=park.id)
        self._statements[park_id] = (park.updated_at, token, parsed)
        return token, parsed

    # Admin actions ---------------------------------------------------------------------------------------
    async def admit(
        self,
        principal: Principal,
        *,
        id: str,
        name: str,
        city: str,
        endpoint: str,
        jwks: Any,
        accredited: Any,
        adopted: Any = None,
        status_list_uri: str | None = None,
    ) -> ParkRecord:
        async with self.audit.action(principal, "admitPark", id):
            principal.require(ADMIN, action="admitting a park")
            problems = []
            if not isinstance(id, str) or not PARK_ID.match(id):
                problems.append(
                    f"park id {id!r} must be 2-64 lower-case letters, digits or '-', starting with a letter"
                )
            if not name or not name.strip():
                problems.append("name is empty")
            if not city or not city.strip():
                problems.append("city is empty")
            url = urlparse(endpoint or "")
            if url.scheme not in ("http", "https") or not url.netloc:
                problems.append(f"endpoint {endpoint!r} is not an http(s) URL")
            try:
                _check_jwks(jwks)
            except AllianceError as exc:
                problems.append(exc.message)
            try:
                accredited_list = _standards(accredited, "accredited")
                adopted_list = _standards(adopted if adopted is not None else accredited, "adopted")
            except AllianceError as exc:
                problems.append(exc.message)
            if problems:
                raise InvalidInput(f"cannot admit park {id!r}", problems)
            now = datetime.now(UTC)
            async with self.db.session() as s:
                if await s.get(ParkRow, id) is not None:
                    raise Conflict(f"park {id!r} is already admitted")
                row = ParkRow(
                    id=id, name=name.strip(), city=city.strip(), endpoint=endpoint, jwks=jwks, historical_keys=[],
                    status=ACTIVE, status_reason="", accredited=accredited_list, adopted=adopted_list,
                    status_list_uri=status_list_uri or _default_status_list_uri(endpoint),
                    admitted_at=now, updated_at=now,
                )
                s.add(row)
            self.invalidate()
            return ParkRecord.of(row)

    async def set_status(self, principal: Principal, park_id: str, status: str, reason: str = "") -> ParkRecord:
        action = "suspendPark" if status == SUSPENDED else "reinstatePark"
        async with self.audit.action(principal, action, park_id) as audit:
            principal.require(ADMIN, action=f"{'suspending' if status == SUSPENDED else 'reinstating'} a park")
            if status == SUSPENDED and not reason.strip():
                raise InvalidInput("a suspension needs a reason")
            async with self.db.session() as s:
                row = await s.get(ParkRow, park_id)
                if row is None:
                    raise NotFound(f"unknown park {park_id!r}")
                if row.status == status:
                    raise Conflict(f"park {park_id!r} is already {status}")
                row.status, row.status_reason, row.updated_at = status, reason.strip(), datetime.now(UTC)
            audit.detail = reason
            self.invalidate()
            return ParkRecord.of(row)

    async def move(self, principal: Principal, park_id: str, endpoint: str, status_list_uri: str) -> ParkRecord:
        """Record a park's new address (it moved host or port)."""
        async with self.audit.action(principal, "moveParkEndpoint", park_id) as audit:
            principal.require(ADMIN, action="changing a park's endpoint")
            for url in (endpoint, status_list_uri):
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.netloc:
                    raise InvalidInput(f"{url!r} is not an http(s) URL")
            async with self.db.session() as s:
                row = await s.get(ParkRow, park_id)
                if row is None:
                    raise NotFound(f"unknown park {park_id!r}")
                audit.detail = f"{row.endpoint} -> {endpoint}"
                row.endpoint, row.status_list_uri, row.updated_at = endpoint, status_list_uri, datetime.now(UTC)
            self.invalidate()
            return ParkRecord.of(row)

    async def update_keys(
        self, principal: Principal, park_id: str, jwks: Any, historical_keys: Any
    ) -> ParkRecord:
        """Record a park's key rotation: new current keys, old ones kept with their reason."""
        async with self.audit.action(principal, "updateParkKeys", park_id):
            principal.require(ADMIN, action="updating a park's keys")
            _check_jwks(jwks)
            if not isinstance(historical_keys, list) or not all(isinstance(h, dict) for h in historical_keys):
                raise InvalidInput("historical keys must be a list of {jwk, reason, revoked_at}")
            for h in historical_keys:
                if h.get("reason") not in ("superseded", "compromised"):
                    raise InvalidInput(f"historical key reason {h.get('reason')!r}: superseded or compromised")
                PublicKey.from_jwk(h.get("jwk", {}))
            async with self.db.session() as s:
                row = await s.get(ParkRow, park_id)
                if row is None:
                    raise NotFound(f"unknown park {park_id!r}")
                row.jwks, row.historical_keys, row.updated_at = jwks, historical_keys, datetime.now(UTC)
            self.invalidate()
            return ParkRecord.of(row)

    async def adopt(self, principal: Principal, park_id: str, standard_id: str, version: str, *, adopt: bool = True
                    ) -> ParkRecord:
        """Record that a park recognises ratings under a standard version (or no longer does).

        A park decides what it recognises: its own operator may change this, as may an alliance admin."""
        return await self._set_standard(principal, park_id, "adopted", standard_id, version, adopt, operator_may=True)

    async def accredit(self, principal: Principal, park_id: str, standard_id: str, version: str, *,
                       accredit: bool = True) -> ParkRecord:
        """Record that the alliance accredits a park to issue ratings under a standard version (or no longer)."""
        return await self._set_standard(principal, park_id, "accredited", standard_id, version, accredit,
                                        operator_may=False)

    async def _set_standard(self, principal: Principal, park_id: str, field: str, standard_id: str, version: str,
                            present: bool, *, operator_may: bool) -> ParkRecord:
        verb = ("adoptStandard", "dropStandard") if field == "adopted" else ("accreditPark", "withdrawAccreditation")
        action = verb[0] if present else verb[1]
        async with self.audit.action(principal, action, f"{park_id} {standard_id} {version}"):
            if not (operator_may and principal.role == PARK_OPERATOR and principal.park_id == park_id):
                principal.require(ADMIN, action=f"{action} for park {park_id}")
            if not standard_id.strip() or not version.strip():
                raise InvalidInput("a standard is named by its id and version, e.g. ACS 2025.1")
            async with self.db.session() as s:
                row = await s.get(ParkRow, park_id)
                if row is None:
                    raise NotFound(f"unknown park {park_id!r}")
                entry = {"id": standard_id, "version": version}
                entries = [a for a in getattr(row, field) if a != entry] + ([entry] if present else [])
                setattr(row, field, entries)
                row.updated_at = datetime.now(UTC)
            self.invalidate()
            return ParkRecord.of(row)


def _default_status_list_uri(endpoint: str) -> str:
    url = urlparse(endpoint)
    return f"{url.scheme}://{url.netloc}/statuslists/1"
