"""The park node's service layer: every use case of a park, whichever front-end (GraphQL, CLI) asks.

What it does:
- imports enterprise records (from the adapters; the node never parses files), scores them under the
  alliance standard and signs attestations; re-issues when the data, the standard or the key changes, and
  renews before expiry. Everything it issued is kept; the superseded one is marked INVALID in the status list.
- answers ratings (one, or a batch in one database query), searches, its info and JWKS;
- lets the park's operators revoke, suspend and reinstate attestations, and put enterprises on the red or
  black list. A black listing SUSPENDS the enterprise's attestations while it is active (reversible: lifting
  it restores them), so a rating is never silently destroyed by a listing that is later withdrawn;
- signs its Token Status List, cached and re-signed when a status changes or half its lifetime has passed;
- verifies other parks' attestations along the alliance's chain of trust (`verify_foreign`).

Outbound calls (the alliance's keys, statements and standard, other parks' status lists) go through
`AllianceLink`, with a deadline each and a cache bounded by what was signed (statement `exp`, list `ttl`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import and_, extract, false, func, or_, select

from alliance.core import jws
from alliance.core.attestation import (
    MAX_TOKEN_SIZE as MAX_ATTESTATION_SIZE,
)
from alliance.core.attestation import (
    AttestationVerdict,
    Code,
    issue_attestation,
    make_bundle,
    verify_attestation,
)
from alliance.core.keys import PublicKey, keys_from_jwks
from alliance.core.park_statement import ParkStatement, verify_park_statement
from alliance.core.park_stats import GradeCount, ListingCount
from alliance.core.records import EnterpriseRecord
from alliance.core.scoring import ScoreResult, score
from alliance.core.standard import Standard, load_standard_file, validate_standard
from alliance.core.statuslist import (
    INVALID,
    STATUS_NAMES,
    SUSPENDED,
    VALID,
    StatusList,
    VerifiedStatusList,
    sign_status_list_token,
    verify_status_list_token,
)
from alliance.core.uscc import InvalidUSCC, looks_like_uscc, normalise
from alliance.core.uscc import validate as validate_uscc
from alliance.errors import (
    AllianceError,
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Unauthenticated,
)
from alliance.park.config import PARK_ID_RE, ParkConfig, is_url
from alliance.park.keyring import Keyring
from alliance.services.audit import AuditTrail
from alliance.services.auth import ACCESS_TOKEN_TYP, ALLIANCE_ISSUER, PARK_OPERATOR, ROLES, Principal
from alliance.services.standards import verify_standard_signature
from alliance.storage.db import Database
from alliance.storage.park_models import AttestationRow, EnterpriseRow, ListingRow

log = logging.getLogger("alliance.park")

CHINA = timezone(timedelta(hours=8))  # listing dates are legal dates in China (no DST)
MAX_HOLDS = 5000  # schema/park.graphql: holds(usccs) takes at most 5000 codes
CHUNK = 500  # codes per IN (…) clause
KIND_RED, KIND_BLACK = "red", "black"
MAX_REASON = 2000


class Unavailable(AllianceError):
    """Something the node depends on (the alliance, another park) cannot be reached or answered garbage."""

    code = "UNAVAILABLE"


# ---------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ImportSummary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    issued: int = 0
    problems: tuple[str, ...] = ()
    dry_run: bool = False

    def changes(self) -> dict[str, int]:
        return {"new": self.new, "changed": self.changed, "unchanged": self.unchanged}


@dataclass(frozen=True)
class ListingView:
    id: str
    uscc: str
    kind: str  # red | black
    reason: str
    legal_basis: str
    since: str
    until: str | None
    active: bool


@dataclass(frozen=True)
class RatingView:
    uscc: str
    found: bool = False
    error: str | None = None
    name: str | None = None
    attestation: str | None = None
    jti: str | None = None
    status: str | None = None
    grade: str | None = None
    score: float | None = None
    breakdown: dict[str, Any] | None = None
    listings: list[ListingView] = field(default_factory=list)


@dataclass(frozen=True)
class EnterpriseSummary:
    uscc: str
    name: str
    grade: str | None


@dataclass(frozen=True)
class AttestationStatusView:
    jti: str
    uscc: str
    status: str


@dataclass(frozen=True)
class StandardRef:
    id: str
    version: str


@dataclass(frozen=True)
class ParkInfo:
    id: str
    name: str
    city: str
    standard: StandardRef | None
    statement: str | None
    status_list_uri: str
    enterprises: int
    max_batch: int


@dataclass(frozen=True)
class ParkStats:
    enterprises: int
    rated: int
    grades: list[GradeCount]
    listings: list[ListingCount]


# ---------------------------------------------------------------------------------------------- fetching


async def read_location(
    location: str, client: httpx.AsyncClient, *, what: str, max_bytes: int = 1 << 20
) -> str:
    """The text at a file path or an http(s) URL; Unavailable (with what and where) when it cannot be had."""
    if not location:
        raise Unavailable(f"{what}: no location configured")
    if not is_url(location):
        return _read_file(location, what=what, max_bytes=max_bytes)
    try:
        async with client.stream("GET", location) as resp:
            if resp.status_code != 200:
                raise Unavailable(f"{what}: {location} answered HTTP {resp.status_code}")
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise Unavailable(f"{what}: {location} sent more than {max_bytes} bytes")
    except httpx.HTTPError as exc:
        raise Unavailable(f"{what}: cannot reach {location} ({type(exc).__name__}: {exc})") from None
    try:
        return body.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Unavailable(f"{what}: {location} did not answer UTF-8 text") from None


def _read_file(location: str, *, what: str, max_bytes: int) -> str:
    # Small local files (keys, statements, lists): read in place rather than through a thread.
    path = Path(location)
    try:
        if path.stat().st_size > max_bytes:
            raise Unavailable(f"{what}: {location} is larger than {max_bytes} bytes")
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise Unavailable(f"{what}: cannot read {location} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise Unavailable(f"{what}: {location} is not UTF-8 text") from None


def parse_jwks(text: str, what: str) -> dict[str, PublicKey]:
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidInput(f"{what} is not JSON") from None
    keys = keys_from_jwks(doc)
    if not keys:
        raise InvalidInput(f"{what} holds no key")
    return keys


@dataclass
class _Cached:
    value: Any
    until: float
    fetched: float


class AllianceLink:
    """The node's view of the alliance: its keys, park statements, standards and other parks' status lists."""

    KEYS_TTL = (
        300.0  # the alliance JWKS is re-read this often; an unknown kid refetches sooner (rate-limited)
    )
    STATEMENT_TTL = 60.0  # a statement is re-read this often even if it lives longer (suspensions show soon)
    FAILURE_TTL = 5.0  # after a failed fetch, the same answer for this long

    def __init__(
        self,
        config: ParkConfig,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self._owned = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(config.alliance_timeout), follow_redirects=False
        )
        self._keys: _Cached | None = None
        self._statements: dict[str, _Cached] = {}
        self._failed: dict[str, tuple[float, Exception]] = {}
        self._lists: dict[str, _Cached] = {}

    async def close(self) -> None:
        if self._owned:
            await self.client.aclose()

    async def alliance_keys(self, *, force: bool = False) -> dict[str, PublicKey]:
        now = self.clock()
        cached = self._keys
        if cached and not force and now < cached.until:
            return cached.value
        if cached and force and now - cached.fetched < 10:
            return cached.value  # an unknown kid must not make us hammer the alliance
        location = self.config.resolve(self.config.jwks_location)
        try:
            text = await read_location(location, self.client, what="alliance JWKS")
            keys = parse_jwks(text, f"alliance JWKS at {location}")
        except AllianceError:
            if cached:  # keep serving with the keys we had: they were good a few minutes ago
                log.warning("alliance JWKS unavailable; keeping the cached keys", exc_info=True)
                return cached.value
            raise
        self._keys = _Cached(keys, now + self.KEYS_TTL, now)
        return keys

    async def statement(self, park_id: str) -> tuple[str, ParkStatement]:
        """The verified statement of a park and its token; TokenError or Unavailable when there is none."""
        now = self.clock()
        cached = self._statements.get(park_id)
        if cached and now < cached.until:
            return cached.value
        failed = self._failed.get(park_id)
        if failed and now < failed[0]:
            raise failed[1]  # an outage is not retried on every request
        try:
            value = await self._fetch_statement(park_id, now)
        except (AllianceError, jws.TokenError) as exc:
            if len(self._failed) > 1000:  # park ids may come from unverified tokens: keep this bounded
                self._failed.clear()
            self._failed[park_id] = (now + self.FAILURE_TTL, exc)
            raise
        self._failed.pop(park_id, None)
        return value

    async def _fetch_statement(self, park_id: str, now: float) -> tuple[str, ParkStatement]:
        location = self.config.resolve(self.config.statement_location(park_id))
        if not location:
            raise Unavailable(f"no alliance url configured to fetch the park statement of {park_id}")
        token = await read_location(
            location, self.client, what=f"park statement of {park_id}", max_bytes=64 << 10
        )
        skew = self.config.clock_skew
        keys = await self.alliance_keys()
        try:
            stmt = verify_park_statement(token, keys, leeway=skew, now=now, park_id=park_id)
        except jws.TokenError as exc:
            if exc.kind != "unknown_kid":
                raise
            keys = await self.alliance_keys(force=True)  # the alliance may have rotated its key
            stmt = verify_park_statement(token, keys, leeway=skew, now=now, park_id=park_id)
        value = (token, stmt)
        self._statements[park_id] = _Cached(value, min(float(stmt.exp), now + self.STATEMENT_TTL), now)
        return value

    def forget_statement(self, park_id: str) -> None:
        self._statements.pop(park_id, None)
        self._failed.pop(park_id, None)

    async def status_list(self, uri: str, stmt: ParkStatement) -> VerifiedStatusList:
        """Another park's status list, verified with its statement's keys and cached for its ttl."""
        now = self.clock()
        cached = self._lists.get(uri)
        if cached and now < cached.until:
            return cached.value
        token = await read_location(
            uri, self.client, what=f"status list of {stmt.park_id}", max_bytes=4 << 20
        )
        verified = verify_status_list_token(
            token, stmt.keys, uri=uri, iss=stmt.park_id, leeway=self.config.clock_skew, now=now
        )
        self._lists[uri] = _Cached(verified, verified.fresh_until(now), now)
        return verified

    async def standard(self) -> tuple[Standard, dict[str, Any], str]:
        """The alliance's standard (current, or the pinned version), its signature checked."""
        cfg = self.config
        if not cfg.alliance_url:
            raise Unavailable("no alliance url configured to fetch the standard from")
        if cfg.standard_version:
            query = (
                "query($id: String!, $version: String!) "
                "{ standard(id: $id, version: $version) { version document signature } }"
            )
            variables = {"id": cfg.standard_id, "version": cfg.standard_version}
            field_name = "standard"
        else:
            query = "query($id: String!) { currentStandard(id: $id) { version document signature } }"
            variables = {"id": cfg.standard_id}
            field_name = "currentStandard"
        url = f"{cfg.alliance_url}/graphql"
        try:
            resp = await self.client.post(
                url, json={"query": query, "variables": variables}, headers={"Accept": "application/json"}
            )
            body = resp.json()
        except httpx.HTTPError as exc:
            raise Unavailable(f"standard: cannot reach {url} ({type(exc).__name__}: {exc})") from None
        except ValueError:
            raise Unavailable(f"standard: {url} did not answer JSON (HTTP {resp.status_code})") from None
        data = body.get("data") if isinstance(body, dict) else None
        found = data.get(field_name) if isinstance(data, dict) else None
        if not isinstance(found, dict):
            errors = body.get("errors") if isinstance(body, dict) else None
            detail = errors[0].get("message") if isinstance(errors, list) and errors else "no such standard"
            raise Unavailable(f"standard {cfg.standard_id}: the alliance answered: {detail}")
        document, signature = found.get("document"), found.get("signature")
        if not isinstance(document, dict):
            raise Unavailable(f"standard {cfg.standard_id}: the alliance sent no document")
        verdict = verify_standard_signature(document, signature, await self.alliance_keys())
        if not verdict:
            raise InvalidInput(f"standard {cfg.standard_id} from the alliance refused: {verdict.reason}")
        standard = validate_standard(document)
        if standard.id != cfg.standard_id:
            raise InvalidInput(f"the alliance sent standard {standard.id}, not {cfg.standard_id}")
        return standard, document, str(signature)


# ---------------------------------------------------------------------------------------------- helpers


def data_hash(name: str, indicators: dict[str, Any]) -> str:
    return hashlib.sha256(jws.canonical_json({"name": name, "indicators": indicators})).hexdigest()


def _listing_active(row: ListingRow, today: date) -> bool:
    return row.delisted_at is None and row.since <= today and (row.until is None or today <= row.until)


def _listing_view(row: ListingRow, today: date) -> ListingView:
    return ListingView(
        id=str(row.id),
        uscc=row.uscc,
        kind=row.kind,
        reason=row.reason,
        legal_basis=row.legal_basis,
        since=row.since.isoformat(),
        until=row.until.isoformat() if row.until else None,
        active=_listing_active(row, today),
    )


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _text(value: Any, name: str, problems: list[str], *, limit: int = MAX_REASON) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{name} is required")
        return ""
    if len(value) > limit:
        problems.append(f"{name} is longer than {limit} characters")
    return value.strip()


def _date(value: Any, name: str, problems: list[str]) -> date | None:
    if not isinstance(value, str):
        problems.append(f"{name} must be a date YYYY-MM-DD")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(f"{name} {value!r} is not a date YYYY-MM-DD")
        return None


class _DryRun(Exception):
    """Raised inside a unit of work to roll it back after computing everything as for real."""


@dataclass
class _StatusCache:
    token: str
    fingerprint: tuple[Any, ...]
    kid: str
    exp: float
    checked: float  # time.monotonic() of the last fingerprint check


# ---------------------------------------------------------------------------------------------- the node


class ParkNode:
    def __init__(
        self,
        config: ParkConfig,
        db: Database,
        keyring: Keyring,
        link: AllianceLink,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.db = db
        self.keyring = keyring
        self.link = link
        self.clock = clock
        self.audit = AuditTrail(db)
        self._standard: Standard | None = None
        self._standard_error: str | None = None
        self._standard_checked = 0.0
        self._status: _StatusCache | None = None
        self._status_lock = asyncio.Lock()
        self._last_full_reconcile = 0.0

    @classmethod
    async def open(
        cls,
        config: ParkConfig,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        schema: str | None = None,
    ) -> ParkNode:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(config.sqlalchemy_url, schema=schema)
        try:
            await db.migrate()
            keyring = Keyring.open(config.keys_dir)
        except BaseException:
            await db.close()
            raise
        node = cls(config, db, keyring, AllianceLink(config, client=client, clock=clock), clock=clock)
        try:
            await node._check_status_size()
        except BaseException:
            await node.close()
            raise
        try:
            await node.load_standard()
        except AllianceError as exc:  # serve what was issued; importing will say why it cannot score
            log.error("park %s starts without a standard: %s", config.id, exc.message)
        return node

    async def close(self) -> None:
        await self.link.close()
        await self.db.close()

    async def _check_status_size(self) -> None:
        # Issued indices point into the list for good: the list may grow, never shrink below them.
        async with self.db.session() as s:
            highest = await s.scalar(select(func.max(AttestationRow.idx)))
        if highest is not None and highest >= self.config.status_size:
            raise InvalidInput(
                f"status_list.size {self.config.status_size} is too small: attestations already use index "
                f"{highest}; the list can grow but never shrink"
            )

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def name(self) -> str:
        return self.config.name

    def now(self) -> float:
        return self.clock()

    def today(self) -> date:
        return datetime.fromtimestamp(self.now(), CHINA).date()

    def _utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)

    # ------------------------------------------------------------------------------------------ standard

    @property
    def standard(self) -> Standard:
        if self._standard is None:
            raise Unavailable(
                f"park {self.id} has no evaluation standard: {self._standard_error or 'not loaded'}"
            )
        return self._standard

    @property
    def standard_cache_path(self) -> Path:
        return self.config.data_dir / "standard-cache.json"

    async def load_standard(self) -> bool:
        """(Re)load the standard from the configured file or the alliance; True when it changed."""
        self._standard_checked = self.now()
        cfg = self.config
        try:
            if cfg.standard_file is not None:
                standard = load_standard_file(cfg.standard_file)
            else:
                standard = await self._alliance_standard()
        except AllianceError as exc:
            self._standard_error = exc.message
            raise
        if cfg.standard_version and standard.version != cfg.standard_version:
            raise InvalidInput(
                f"standard {standard.key} is not the pinned version {cfg.standard_version} (see [standard])"
            )
        changed = self._standard is None or self._standard.key != standard.key
        if changed:
            log.info("park %s scores by standard %s", self.id, standard.key)
        self._standard, self._standard_error = standard, None
        return changed

    async def _alliance_standard(self) -> Standard:
        try:
            standard, document, signature = await self.link.standard()
        except Unavailable as exc:
            cached = self._cached_standard()
            if cached is None:
                raise
            log.warning("%s; scoring by the cached standard %s", exc.message, cached.key)
            return cached
        tmp = self.standard_cache_path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"document": document, "signature": signature}, ensure_ascii=False), "utf-8"
        )
        tmp.replace(self.standard_cache_path)
        return standard

    def _cached_standard(self) -> Standard | None:
        # Written only after the alliance's signature verified, in the node's own data directory.
        try:
            doc = json.loads(self.standard_cache_path.read_text(encoding="utf-8"))
            return validate_standard(doc["document"])
        except (OSError, ValueError, KeyError, TypeError, InvalidInput):
            return None

    def validity_seconds(self, standard: Standard) -> int:
        return self.config.attestation_validity or standard.validity_days * 86400

    # ------------------------------------------------------------------------------------------ auth

    async def authenticate(self, token: str) -> Principal:
        """An alliance-signed access token (typ at+jwt) → its principal; Unauthenticated with the reason."""
        try:
            keys = await self.link.alliance_keys()
        except AllianceError as exc:
            raise Unauthenticated(f"cannot check the bearer token: {exc.message}") from None
        try:
            claims = jws.verify(token, keys, ACCESS_TOKEN_TYP, leeway=self.config.clock_skew)
        except jws.TokenError as exc:
            raise Unauthenticated(f"bearer token refused: {exc.reason}") from None
        if claims.get("iss") != ALLIANCE_ISSUER or claims.get("role") not in ROLES:
            raise Unauthenticated("bearer token refused: not an alliance access token")
        return Principal(str(claims.get("sub", "")), claims["role"], claims.get("park"), claims.get("uscc"))

    def _require_operator(self, principal: Principal, action: str) -> None:
        principal.require(PARK_OPERATOR, action=action)
        if principal.park_id != self.id:
            raise Forbidden(
                f"forbidden: {action} is for operators of {self.name} ({self.id}); "
                f"your token is for park {principal.park_id}"
            )

    # ------------------------------------------------------------------------------------------ statement

    async def own_statement(self) -> tuple[str, ParkStatement] | None:
        """This park's current statement from the alliance, or None when it cannot be had right now."""
        try:
            return await self.link.statement(self.id)
        except (AllianceError, jws.TokenError) as exc:
            log.warning("park %s: no current park statement: %s", self.id, getattr(exc, "message", exc))
            return None

    def _statement_for_issuing(self, held: tuple[str, ParkStatement] | None, standard: Standard) -> Any:
        """The statement to reference in `acc`, when it names our key and standard; else None."""
        if held is None:
            return None
        stmt = held[1]
        if self.keyring.current.kid in stmt.keys and stmt.is_accredited(standard.id, standard.version):
            return stmt
        log.warning(
            "park %s: the park statement does not list key %s or standard %s; issuing without acc",
            self.id,
            self.keyring.current.kid,
            standard.key,
        )
        return None

    # ------------------------------------------------------------------------------------------ import

    async def import_records(
        self, records: Iterable[EnterpriseRecord], *, dry_run: bool = False
    ) -> ImportSummary:
        """Store the records and (re)issue what changed, in one unit of work. Bad records are reported as
        problems and skipped; a dry run computes the same summary and writes nothing."""
        standard = self.standard
        self.keyring.reload_if_changed()
        problems: list[str] = []
        batch: dict[str, tuple[EnterpriseRecord, str, dict[str, Any]]] = {}
        for record in records:
            where = getattr(record, "origin", "") or str(getattr(record, "uscc", "?"))
            checked = self._check_record(record, standard, where, problems)
            if checked is None:
                continue
            uscc, indicators = checked
            if uscc in batch:
                problems.append(
                    f"{where}: USCC {uscc} appears again (first at {batch[uscc][0].origin or '?'})"
                )
                continue
            batch[uscc] = (record, uscc, indicators)
        held = await self.own_statement() if batch else None
        new = changed = unchanged = issued = 0
        try:
            async with self.db.session() as s:
                now, stamp = self.now(), self._utcnow()
                codes = list(batch)
                existing: dict[str, EnterpriseRow] = {}
                for part in _chunks(codes):
                    rows = await s.scalars(select(EnterpriseRow).where(EnterpriseRow.uscc.in_(part)))
                    existing.update({r.uscc: r for r in rows})
                touched: list[EnterpriseRow] = []
                for uscc in codes:
                    record, _, indicators = batch[uscc]
                    digest = data_hash(record.name.strip(), indicators)
                    row = existing.get(uscc)
                    if row is None:
                        row = EnterpriseRow(
                            uscc=uscc,
                            name=record.name.strip(),
                            indicators=indicators,
                            data_hash=digest,
                            origin=(record.origin or "")[:256],
                            created_at=stamp,
                            updated_at=stamp,
                        )
                        s.add(row)
                        new += 1
                    elif row.data_hash != digest:
                        row.name, row.indicators, row.data_hash = record.name.strip(), indicators, digest
                        row.origin, row.updated_at = (record.origin or "")[:256], stamp
                        changed += 1
                    else:
                        unchanged += 1
                    touched.append(row)
                await s.flush()
                issued, more = await self._reconcile(s, touched, standard, now, held)
                problems.extend(more)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        if issued and not dry_run:
            self._status = None
        return ImportSummary(new, changed, unchanged, issued, tuple(problems), dry_run)

    def _check_record(
        self, record: Any, standard: Standard, where: str, problems: list[str]
    ) -> tuple[str, dict[str, Any]] | None:
        if not isinstance(record, EnterpriseRecord):
            problems.append(f"{where}: not an enterprise record ({type(record).__name__})")
            return None
        try:
            uscc = validate_uscc(record.uscc)
        except InvalidUSCC as exc:
            problems.append(f"{where}: {exc.message}")
            return None
        name = record.name.strip() if isinstance(record.name, str) else ""
        if not name or len(name) > 256:
            problems.append(f"{where}: the enterprise name must have 1 to 256 characters")
            return None
        indicators = dict(record.indicators or {})
        try:
            score(standard, indicators)
            jws.canonical_json(indicators)
        except InvalidInput as exc:
            problems.append(f"{where}: {exc.message}")
            return None
        except (TypeError, ValueError) as exc:
            problems.append(f"{where}: indicator values are not plain JSON values ({exc})")
            return None
        return uscc, indicators

    # ------------------------------------------------------------------------------------------ issuing

    def _why_issue(
        self, row: EnterpriseRow, cur: AttestationRow | None, standard: Standard, now: float
    ) -> str:
        if cur is None:
            return "new"
        if cur.data_hash != row.data_hash:
            return "data"
        if cur.status != VALID and cur.status_cause == "operator":
            return ""  # an operator's revocation or suspension stands until the data change
        if (cur.standard_id, cur.standard_version) != (standard.id, standard.version):
            return "standard"
        retired = self.keyring.retired(cur.kid)
        if retired is not None and retired.reason == "compromised":
            return "key"
        if cur.exp - now < max(self.validity_seconds(standard) // 10, 60):
            return "renewal"
        return ""

    async def _reconcile(
        self,
        s: Any,
        rows: list[EnterpriseRow],
        standard: Standard,
        now: float,
        held: tuple[str, ParkStatement] | None,
    ) -> tuple[int, list[str]]:
        """Issue what `rows` need (new data, new standard, renewal, compromised key); (issued, problems)."""
        problems: list[str] = []
        if not rows:
            return 0, problems
        codes = [r.uscc for r in rows]
        current: dict[str, AttestationRow] = {}
        for part in _chunks(codes):
            found = await s.scalars(
                select(AttestationRow).where(AttestationRow.uscc.in_(part), AttestationRow.current.is_(True))
            )
            current.update({a.uscc: a for a in found})
        black = await self._blacklisted(s, codes)
        statement = self._statement_for_issuing(held, standard)
        key = self.keyring.current
        validity = self.validity_seconds(standard)
        used: set[int] | None = None
        issued = 0
        stamp = datetime.fromtimestamp(now, UTC)
        for row in rows:
            cur = current.get(row.uscc)
            why = self._why_issue(row, cur, standard, now)
            if not why:
                continue
            try:
                result = score(standard, row.indicators)
            except InvalidInput as exc:
                problems.append(f"{row.uscc}: cannot score under {standard.key}: {exc.message}")
                continue
            if why == "data" and cur is not None and self._same_claims(cur, row, result, standard):
                # The rating reads the same: keep the attestation, remember the data it now stands for.
                cur.data_hash, cur.breakdown = row.data_hash, result.to_dict()
                continue
            if used is None:
                used = set(await s.scalars(select(AttestationRow.idx)))
            idx = self._allocate(used)
            jti = jws.b64url_encode(secrets.token_bytes(16))
            token = issue_attestation(
                park_id=self.id,
                key=key,
                uscc=row.uscc,
                name=row.name,
                standard_id=standard.id,
                standard_version=standard.version,
                grade=result.grade,
                score=result.score,
                status_idx=idx,
                status_uri=self.config.status_list_uri,
                validity_seconds=validity,
                now=now,
                jti=jti,
                park_statement=statement,
            )
            if cur is not None:
                cur.current = False
                if cur.status != INVALID:
                    cur.status, cur.status_cause = INVALID, "superseded"
                    cur.status_reason, cur.status_by, cur.status_at = (
                        f"superseded by {jti} ({why})",
                        "node",
                        stamp,
                    )
            suspended = row.uscc in black
            s.add(
                AttestationRow(
                    jti=jti,
                    uscc=row.uscc,
                    idx=idx,
                    token=token,
                    kid=key.kid,
                    standard_id=standard.id,
                    standard_version=standard.version,
                    grade=result.grade,
                    score=result.score,
                    breakdown=result.to_dict(),
                    data_hash=row.data_hash,
                    iat=int(now),
                    exp=int(now) + validity,
                    current=True,
                    status=SUSPENDED if suspended else VALID,
                    status_cause="blacklist" if suspended else None,
                    status_reason="the enterprise is on the black list" if suspended else None,
                    status_by="node" if suspended else None,
                    status_at=stamp,
                )
            )
            issued += 1
        return issued, problems

    @staticmethod
    def _same_claims(
        cur: AttestationRow, row: EnterpriseRow, result: ScoreResult, standard: Standard
    ) -> bool:
        claims = jws.unverified_claims(cur.token)
        return (
            cur.status == VALID
            and claims.get("name") == row.name
            and cur.grade == result.grade
            and cur.score == result.score
            and (cur.standard_id, cur.standard_version) == (standard.id, standard.version)
        )

    def _allocate(self, used: set[int]) -> int:
        size = self.config.status_size
        if len(used) >= size * 0.9:
            raise LimitExceeded(f"the status list of park {self.id} is 90 % used; raise status_list.size")
        while True:
            idx = secrets.randbelow(size)
            if idx not in used:
                used.add(idx)
                return idx

    async def refresh(self, *, full: bool | None = None) -> int:
        """Periodic upkeep: a new standard or key, renewals, listings that began or ended. Returns issued."""
        key_changed = self.keyring.reload_if_changed()
        standard_changed = False
        if (
            self.config.standard_file is not None
            or self.now() - self._standard_checked >= self.config.standard_refresh
        ):
            try:
                standard_changed = await self.load_standard()
            except AllianceError as exc:
                log.warning("park %s: standard not refreshed: %s", self.id, exc.message)
        async with self.db.session() as s:
            flipped = await self._apply_blacklist(s, None)
        if flipped:
            self._status = None
        if self._standard is None:
            return 0
        due = (
            full
            if full is not None
            else (standard_changed or key_changed or self.now() - self._last_full_reconcile > 3600)
        )
        if not due:
            return 0
        self._last_full_reconcile = self.now()
        return await self._reissue_due(self.standard)

    async def _reissue_due(self, standard: Standard) -> int:
        now = self.now()
        window = max(self.validity_seconds(standard) // 10, 60)
        compromised = [h.key.kid for h in self.keyring.history if h.reason == "compromised"]
        needs = or_(
            AttestationRow.jti.is_(None),
            AttestationRow.data_hash != EnterpriseRow.data_hash,
            AttestationRow.standard_id != standard.id,
            AttestationRow.standard_version != standard.version,
            AttestationRow.exp < int(now) + window,
            AttestationRow.kid.in_(compromised) if compromised else false(),
        )
        query = (
            select(EnterpriseRow.uscc)
            .outerjoin(
                AttestationRow,
                and_(AttestationRow.uscc == EnterpriseRow.uscc, AttestationRow.current.is_(True)),
            )
            .where(needs)
            .order_by(EnterpriseRow.uscc)
        )
        async with self.db.session() as s:
            codes = list(await s.scalars(query))
        held = await self.own_statement() if codes else None
        issued = 0
        for part in _chunks(codes, 1000):
            async with (
                self.db.session() as s
            ):  # one unit of work per chunk: a large park is not one transaction
                rows = list(await s.scalars(select(EnterpriseRow).where(EnterpriseRow.uscc.in_(part))))
                n, problems = await self._reconcile(s, rows, standard, self.now(), held)
                issued += n
            for problem in problems[:20]:
                log.warning("park %s: %s", self.id, problem)
        if issued:
            self._status = None
            log.info("park %s re-issued %d attestation(s) under %s", self.id, issued, standard.key)
        return issued

    # ------------------------------------------------------------------------------------------ reading

    async def rating(self, uscc: str) -> RatingView:
        """The current rating of one enterprise; InvalidUSCC naming the problem for a bad code."""
        code = validate_uscc(uscc)
        return (await self._ratings([code]))[code]

    async def holds(self, usccs: Sequence[str]) -> list[str]:
        """The codes among `usccs` that this park knows, in the order asked (no validation: unknown is unknown)."""
        if len(usccs) > MAX_HOLDS:
            raise LimitExceeded(f"at most {MAX_HOLDS} codes per request, got {len(usccs)}")
        asked = list(dict.fromkeys(u for u in usccs if isinstance(u, str) and len(u) == 18))
        known: set[str] = set()
        async with self.db.session() as s:
            for chunk in _chunks(asked):
                known.update((await s.scalars(select(EnterpriseRow.uscc).where(EnterpriseRow.uscc.in_(chunk)))).all())
        return [u for u in asked if u in known]

    async def ratings(self, usccs: Sequence[str]) -> list[RatingView]:
        """Many ratings in the order asked; a bad code gets an `error` and does not sink the others."""
        if len(usccs) > self.config.max_batch:
            raise LimitExceeded(f"at most {self.config.max_batch} codes per request, got {len(usccs)}")
        valid: list[str] = []
        normal: list[str | InvalidUSCC] = []
        for raw in usccs:
            try:
                code = validate_uscc(raw)
            except InvalidUSCC as exc:
                normal.append(exc)
                continue
            normal.append(code)
            valid.append(code)
        found = await self._ratings(list(dict.fromkeys(valid)))
        out = []
        for raw, item in zip(usccs, normal, strict=True):
            if isinstance(item, InvalidUSCC):
                out.append(RatingView(uscc=str(raw), error=item.message))
            else:
                out.append(found[item])
        return out

    async def _ratings(self, codes: list[str]) -> dict[str, RatingView]:
        """One query: enterprises, their current attestation and their listings."""
        query = (
            select(EnterpriseRow.uscc, EnterpriseRow.name, AttestationRow, ListingRow)
            .outerjoin(
                AttestationRow,
                and_(AttestationRow.uscc == EnterpriseRow.uscc, AttestationRow.current.is_(True)),
            )
            .outerjoin(ListingRow, ListingRow.uscc == EnterpriseRow.uscc)
            .where(EnterpriseRow.uscc.in_(codes))
            .order_by(EnterpriseRow.uscc, ListingRow.id)
        )
        async with self.db.session() as s:
            rows = (await s.execute(query)).all() if codes else []
        today = self.today()
        names: dict[str, str] = {}
        atts: dict[str, AttestationRow | None] = {}
        listings: dict[str, list[ListingView]] = {}
        for uscc, name, att, listing in rows:
            names[uscc] = name
            atts[uscc] = att
            if listing is not None:
                views = listings.setdefault(uscc, [])
                if all(v.id != str(listing.id) for v in views):
                    views.append(_listing_view(listing, today))
        out: dict[str, RatingView] = {}
        for code in codes:
            att = atts.get(code)
            if code not in names:
                out[code] = RatingView(uscc=code)
                continue
            out[code] = RatingView(
                uscc=code,
                found=att is not None,
                name=names[code],
                attestation=att.token if att else None,
                jti=att.jti if att else None,
                status=STATUS_NAMES.get(att.status) if att else None,
                grade=att.grade if att else None,
                score=att.score if att else None,
                breakdown=att.breakdown if att else None,
                listings=listings.get(code, []),
            )
        return out

    async def search(self, query: str, first: int = 20) -> list[EnterpriseSummary]:
        text = (query or "").strip()
        if not text:
            raise InvalidInput("search needs a name fragment or a USCC prefix")
        if len(text) > 64:
            raise InvalidInput("a search is at most 64 characters")
        first = max(1, min(int(first), 100))
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = EnterpriseRow.name.like(f"%{escaped}%", escape="\\")
        if looks_like_uscc(text):
            prefix = normalise(text).replace("_", "\\_").replace("%", "\\%")
            condition = or_(condition, EnterpriseRow.uscc.like(f"{prefix}%", escape="\\"))
        stmt = (
            select(EnterpriseRow.uscc, EnterpriseRow.name, AttestationRow.grade)
            .outerjoin(
                AttestationRow,
                and_(AttestationRow.uscc == EnterpriseRow.uscc, AttestationRow.current.is_(True)),
            )
            .where(condition)
            .order_by(EnterpriseRow.name, EnterpriseRow.uscc)
            .limit(first)
        )
        async with self.db.session() as s:
            rows = (await s.execute(stmt)).all()
        return [EnterpriseSummary(uscc, name, grade) for uscc, name, grade in rows]

    async def info(self) -> ParkInfo:
        async with self.db.session() as s:
            count = await s.scalar(select(func.count()).select_from(EnterpriseRow))
        held = await self.own_statement()
        std = self._standard
        return ParkInfo(
            id=self.id,
            name=self.name,
            city=self.config.city,
            standard=StandardRef(std.id, std.version) if std else None,
            statement=held[0] if held else None,
            status_list_uri=self.config.status_list_uri,
            enterprises=int(count or 0),
            max_batch=self.config.max_batch,
        )

    async def stats(self) -> ParkStats:
        """Aggregate figures for the alliance's dashboard: counted by the database (GROUP BY), never row by row."""
        grade_query = (
            select(
                AttestationRow.standard_id,
                AttestationRow.standard_version,
                AttestationRow.grade,
                func.count(),
            )
            .where(
                AttestationRow.current.is_(True),
                AttestationRow.status == VALID,
                AttestationRow.exp > int(self.now()),
            )
            .group_by(AttestationRow.standard_id, AttestationRow.standard_version, AttestationRow.grade)
            .order_by(AttestationRow.standard_id, AttestationRow.standard_version, AttestationRow.grade)
        )
        # extract() compiles to strftime on SQLite and EXTRACT on PostgreSQL: one query for both.
        year, month = extract("year", ListingRow.since), extract("month", ListingRow.since)
        listing_query = (
            select(year, month, ListingRow.kind, func.count())
            .group_by(year, month, ListingRow.kind)
            .order_by(year, month, ListingRow.kind)
        )
        async with self.db.session() as s:
            enterprises = await s.scalar(select(func.count()).select_from(EnterpriseRow))
            grade_rows = (await s.execute(grade_query)).all()
            listing_rows = (await s.execute(listing_query)).all()
        grades = [GradeCount(g, sid, ver, int(n)) for sid, ver, g, n in grade_rows]
        return ParkStats(
            enterprises=int(enterprises or 0),
            rated=sum(g.count for g in grades),  # an enterprise has at most one current attestation
            grades=grades,
            listings=[ListingCount(f"{int(y):04d}-{int(m):02d}", k, int(n)) for y, m, k, n in listing_rows],
        )

    async def stored_records(self) -> AsyncIterator[EnterpriseRecord]:
        """The enterprises as stored, for the adapters' `kind = "database"` source (re-import, re-map)."""
        last = ""
        while True:
            async with self.db.session() as s:
                rows = list(
                    await s.scalars(
                        select(EnterpriseRow)
                        .where(EnterpriseRow.uscc > last)
                        .order_by(EnterpriseRow.uscc)
                        .limit(1000)
                    )
                )
            if not rows:
                return
            for row in rows:
                yield EnterpriseRecord(row.uscc, row.name, dict(row.indicators), origin=f"stored {row.uscc}")
            last = rows[-1].uscc

    def jwks(self) -> dict[str, Any]:
        self.keyring.reload_if_changed()
        return self.keyring.jwks()

    def park_keys(self) -> dict[str, Any]:
        """What the alliance needs to write this park's statement: current keys and retired ones."""
        self.keyring.reload_if_changed()
        return {"jwks": self.keyring.jwks(), "historical_keys": self.keyring.historical_keys()}

    async def bundle(self, attestation: str | None) -> str | None:
        """An offline bundle for an attestation of this park; None without a current park statement."""
        if not attestation:
            return None
        held = await self.own_statement()
        if held is None:
            return None
        return make_bundle(attestation, held[0], await self.status_list_token())

    # ------------------------------------------------------------------------------------------ status list

    async def status_list_token(self) -> str:
        """The signed status list; re-signed when a status or the key changed, or half its lifetime passed."""
        self.keyring.reload_if_changed()
        cached = self._status
        kid = self.keyring.current.kid
        fresh = (
            cached is not None
            and cached.kid == kid
            and cached.exp - self.now() > self.config.status_lifetime / 2
        )
        # Changes made here drop the cache at once; the database is asked at most once a second for changes
        # made by another process, so a batch of 500 bundles costs one check, not 500.
        if cached and fresh and time.monotonic() - cached.checked < 1.0:
            return cached.token
        fingerprint = await self._status_fingerprint()
        if cached and fresh and cached.fingerprint == fingerprint:
            cached.checked = time.monotonic()
            return cached.token
        async with self._status_lock:
            async with self.db.session() as s:
                query = select(AttestationRow.idx, AttestationRow.status).where(
                    AttestationRow.status != VALID
                )
                entries = (await s.execute(query)).all()
            lst = StatusList(self.config.status_size, bits=2)
            for idx, status in entries:
                if idx < lst.size:
                    lst.set(idx, status)
            now = self.now()
            token = sign_status_list_token(
                lst,
                self.keyring.current,
                iss=self.id,
                sub=self.config.status_list_uri,
                ttl=self.config.status_ttl,
                lifetime=self.config.status_lifetime,
                now=now,
            )
            self._status = _StatusCache(
                token, fingerprint, kid, int(now) + self.config.status_lifetime, time.monotonic()
            )
            return token

    async def _status_fingerprint(self) -> tuple[Any, ...]:
        # Cheap, and it also sees changes made by another process on the same database (a CLI import).
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(
                        func.count(AttestationRow.jti).filter(AttestationRow.status != VALID),
                        func.coalesce(func.sum(AttestationRow.status), 0),
                        func.max(AttestationRow.status_at),
                    )
                )
            ).one()
        return tuple(row)

    # ------------------------------------------------------------------------------------------ operators

    async def revoke(self, principal: Principal, jti: str, reason: str) -> AttestationStatusView:
        return await self._set_status(principal, "revokeAttestation", jti, INVALID, reason)

    async def suspend(self, principal: Principal, jti: str, reason: str) -> AttestationStatusView:
        return await self._set_status(principal, "suspendAttestation", jti, SUSPENDED, reason)

    async def reinstate(self, principal: Principal, jti: str) -> AttestationStatusView:
        return await self._set_status(principal, "reinstateAttestation", jti, VALID, None)

    async def _set_status(
        self, principal: Principal, action: str, jti: str, status: int, reason: str | None
    ) -> AttestationStatusView:
        async with self.audit.action(principal, action, f"{self.id}/{jti}") as audited:
            self._require_operator(principal, action)
            problems: list[str] = []
            if status != VALID:
                reason = _text(reason, "reason", problems)
            if not isinstance(jti, str) or not jti.strip():
                problems.append("jti is required")
            if problems:
                raise InvalidInput(f"{action} refused", problems)
            async with self.db.session() as s:
                row = await s.get(AttestationRow, jti.strip())
                if row is None:
                    raise NotFound(f"{self.name} ({self.id}) issued no attestation {jws.shorten(jti, 40)}")
                self._check_transition(row, status)
                if status == VALID:
                    await self._refuse_if_blacklisted(s, row)
                row.status = status
                row.status_cause = None if status == VALID else "operator"
                row.status_reason = reason or None
                row.status_by = principal.subject
                row.status_at = self._utcnow()
                view = AttestationStatusView(row.jti, row.uscc, STATUS_NAMES[status])
            audited.detail = f"{STATUS_NAMES[status]}: {reason or ''}".strip()
        self._status = None
        return view

    def _check_transition(self, row: AttestationRow, status: int) -> None:
        name = f"attestation {row.jti}"
        if row.status == INVALID:
            why = "superseded by a newer attestation" if row.status_cause == "superseded" else "revoked"
            raise Conflict(f"{name} is already {why}; a revocation is final")
        if status == SUSPENDED and row.status == SUSPENDED:
            raise Conflict(f"{name} is already suspended")
        if status == VALID and row.status != SUSPENDED:
            raise Conflict(f"{name} is not suspended; there is nothing to reinstate")

    async def _refuse_if_blacklisted(self, s: Any, row: AttestationRow) -> None:
        if row.uscc in await self._blacklisted(s, [row.uscc]):
            raise Conflict(
                f"attestation {row.jti} stays suspended while {row.uscc} is on the black list of "
                f"{self.name}; "
                "delist the enterprise first"
            )

    async def list_enterprise(
        self,
        principal: Principal,
        *,
        uscc: str,
        kind: str,
        reason: str,
        legal_basis: str,
        since: str,
        until: str | None = None,
    ) -> ListingView:
        action = "listEnterprise"
        async with self.audit.action(principal, action, f"{self.id}/{uscc}") as audited:
            self._require_operator(principal, action)
            problems: list[str] = []
            try:
                code = validate_uscc(uscc)
            except InvalidUSCC as exc:
                problems.append(exc.message)
                code = ""
            kind = (kind or "").lower()
            if kind not in (KIND_RED, KIND_BLACK):
                problems.append(f"kind must be RED or BLACK, got {kind!r}")
            reason = _text(reason, "reason", problems)
            legal_basis = _text(legal_basis, "legalBasis", problems)
            start = _date(since, "since", problems)
            end = _date(until, "until", problems) if until not in (None, "") else None
            if start and end and end < start:
                problems.append(f"until {end} is before since {start}")
            if problems:
                raise InvalidInput(f"{action} refused", problems)
            assert start is not None
            async with self.db.session() as s:
                if await s.get(EnterpriseRow, code) is None:
                    raise NotFound(f"{code} is not an enterprise of {self.name} ({self.id})")
                today = self.today()
                others = await s.scalars(
                    select(ListingRow).where(ListingRow.uscc == code, ListingRow.kind == kind)
                )
                for other in others:
                    if other.delisted_at is None and (other.until is None or other.until >= today):
                        raise Conflict(
                            f"{code} is already on the {kind} list of {self.name} (listing {other.id})"
                        )
                row = ListingRow(
                    uscc=code,
                    kind=kind,
                    reason=reason,
                    legal_basis=legal_basis,
                    since=start,
                    until=end,
                    created_by=principal.subject,
                    created_at=self._utcnow(),
                )
                s.add(row)
                await s.flush()
                flipped = await self._apply_blacklist(s, [code]) if kind == KIND_BLACK else 0
                view = _listing_view(row, today)
            audited.detail = f"listing {view.id}: {kind}, {reason}; {flipped} attestation(s) suspended"
        if flipped:
            self._status = None
        return view

    async def delist(self, principal: Principal, listing_id: str, reason: str) -> ListingView:
        action = "delistEnterprise"
        async with self.audit.action(principal, action, f"{self.id}/listing {listing_id}") as audited:
            self._require_operator(principal, action)
            problems: list[str] = []
            reason = _text(reason, "reason", problems)
            try:
                number = int(str(listing_id).strip())
            except ValueError:
                problems.append(f"listing id {jws.shorten(listing_id, 20)} is not a number")
                number = 0
            if problems:
                raise InvalidInput(f"{action} refused", problems)
            async with self.db.session() as s:
                row = await s.get(ListingRow, number)
                if row is None:
                    raise NotFound(f"{self.name} ({self.id}) has no listing {number}")
                if row.delisted_at is not None:
                    raise Conflict(f"listing {number} was already taken off")
                row.delisted_at, row.delisted_by, row.delist_reason = (
                    self._utcnow(),
                    principal.subject,
                    reason,
                )
                await s.flush()
                flipped = await self._apply_blacklist(s, [row.uscc]) if row.kind == KIND_BLACK else 0
                view = _listing_view(row, self.today())
            audited.detail = f"{reason}; {flipped} attestation(s) reinstated"
        if flipped:
            self._status = None
        return view

    async def _blacklisted(self, s: Any, codes: Sequence[str] | None) -> set[str]:
        """The enterprises (of `codes`, or all) with an active black listing today."""
        today = self.today()
        query = select(ListingRow).where(ListingRow.kind == KIND_BLACK, ListingRow.delisted_at.is_(None))
        out: set[str] = set()
        parts = _chunks(list(codes)) if codes is not None else [None]
        for part in parts:
            q = query if part is None else query.where(ListingRow.uscc.in_(part))
            out.update(r.uscc for r in await s.scalars(q) if _listing_active(r, today))
        return out

    async def _apply_blacklist(self, s: Any, codes: Sequence[str] | None) -> int:
        """Suspend the VALID attestations of black-listed enterprises; restore those whose listing ended."""
        listed = await self._blacklisted(s, codes)
        stamp = self._utcnow()
        flipped = 0
        for part in _chunks(sorted(listed)):
            for row in await s.scalars(
                select(AttestationRow).where(AttestationRow.uscc.in_(part), AttestationRow.status == VALID)
            ):
                row.status, row.status_cause, row.status_by, row.status_at = (
                    SUSPENDED,
                    "blacklist",
                    "node",
                    stamp,
                )
                row.status_reason = "the enterprise is on the black list"
                flipped += 1
        held = select(AttestationRow).where(
            AttestationRow.status == SUSPENDED, AttestationRow.status_cause == "blacklist"
        )
        if codes is not None:
            held = held.where(AttestationRow.uscc.in_(list(codes)))
        for row in await s.scalars(held):
            if row.uscc not in listed:
                row.status, row.status_cause, row.status_reason = VALID, None, None
                row.status_by, row.status_at = "node", stamp
                flipped += 1
        return flipped

    # ------------------------------------------------------------------------------------------ verifying

    async def verify_foreign(self, token: str) -> AttestationVerdict:
        """Verify any park's attestation (this one's too) with the alliance's statement of its issuer and the
        issuer's status list. Never raises: the verdict says why it refuses."""
        if not isinstance(token, str):
            return _refusal(Code.MALFORMED, "an attestation is a compact JWS string")
        token = token.strip()
        if len(token) > MAX_ATTESTATION_SIZE:
            return _refusal(
                Code.MALFORMED, f"token too large ({len(token)} bytes; limit {MAX_ATTESTATION_SIZE})"
            )
        try:
            iss = jws.unverified_claims(token).get("iss")
        except jws.TokenError as exc:
            return _refusal(Code.MALFORMED, exc.reason)
        if not isinstance(iss, str) or not PARK_ID_RE.fullmatch(iss):
            return _refusal(
                Code.MALFORMED, f"the attestation names no valid issuing park (iss {jws.shorten(iss, 40)})"
            )
        try:
            keys = await self.link.alliance_keys()
            _, stmt = await self.link.statement(iss)
        except jws.TokenError as exc:
            return _refusal(
                Code.PARK_STATEMENT_INVALID, f"park statement of {jws.shorten(iss, 40)}: {exc.reason}"
            )
        except AllianceError as exc:
            return _refusal(Code.PARK_STATEMENT_INVALID, exc.message)
        skew = self.config.clock_skew
        now = self.now()
        first = verify_attestation(
            token,
            alliance_keys=keys,
            park_statement=stmt,
            status_list=None,
            leeway=skew,
            now=now,
            require_status=False,
        )
        if not first:
            return first
        assert first.claims is not None
        uri = first.claims["status"]["status_list"]["uri"]
        if stmt.status_list_uri and uri != stmt.status_list_uri:
            return _refusal(
                Code.STATUS_UNKNOWN,
                f"status unknown: the attestation points at {jws.shorten(uri, 60)}, "
                "but the park statement names "
                f"{stmt.status_list_uri}",
            )
        try:
            if iss == self.id:
                status: VerifiedStatusList | str = await self.status_list_token()
            else:
                status = await self.link.status_list(uri, stmt)
        except jws.TokenError as exc:
            return _refusal(Code.STATUS_UNKNOWN, f"status unknown: status list refused: {exc.reason}")
        except AllianceError as exc:
            return _refusal(Code.STATUS_UNKNOWN, f"status unknown: {exc.message}")
        return verify_attestation(
            token, alliance_keys=keys, park_statement=stmt, status_list=status, leeway=skew, now=now
        )


def _refusal(code: str, reason: str) -> AttestationVerdict:
    return AttestationVerdict(ok=False, reason=reason, status=code)
