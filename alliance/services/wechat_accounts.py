"""WeChat accounts: which WeChat user acts for which enterprise, who wants notifications, and what changed.

The use cases behind the bot and the mini-program (they only translate messages):
- a park (or an alliance admin) issues a one-time binding code for one of its enterprises; the enterprise's
  staff send it from WeChat and their openid is bound to the enterprise. Codes are stored hashed, work once and
  expire after 24 hours; repeated wrong codes from one openid are refused for a while.
- a bound user subscribes to (or unsubscribes from) notifications;
- `changes()` compares each watched enterprise's grade, recognition and listings with what its subscribers were
  last told, and returns what changed (each change claimed by exactly one caller, so several replicas running
  the same check never notify twice).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from alliance.core import uscc as uscc_codes
from alliance.errors import Forbidden, InvalidInput, LimitExceeded
from alliance.services.audit import AuditTrail, _utc
from alliance.services.auth import ADMIN, ANONYMOUS, PARK, PARK_OPERATOR, Principal
from alliance.services.cache import SharedCache
from alliance.services.enterprises import EnterpriseReport, EnterpriseService
from alliance.storage.db import Database
from alliance.storage.models import HoldingRow
from alliance.storage.wechat_models import WeChatBindingCodeRow, WeChatBindingRow, WeChatDigestRow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people copy these codes by hand
CODE_LENGTH = 8  # 32^8 ≈ 10^12: guessing is hopeless within a day and the failure limit below
CODE_LIFETIME = timedelta(hours=24)
MAX_BIND_FAILURES = 10  # per openid and hour
FAILURE_WINDOW = 3600.0
CHANNELS = ("mp", "wxa")  # official account, mini-program: their openids differ, and so does the push API
BINDINGS_TTL = 60.0  # every message asks who the sender acts for: kept in the shared cache, dropped on change
COMPLETE = ("OK", "CACHED", "SKIPPED")  # a report with any other source is partial: never compared


class BindingCodeRefused(InvalidInput):
    """The code is unknown, used or expired (one message for all three: it tells a guesser nothing)."""


class NotBound(InvalidInput):
    """The WeChat user has bound no enterprise (or not the one named)."""


@dataclass(frozen=True)
class BindingCode:
    code: str  # shown once, to the park that issued it; only its hash is kept
    uscc: str
    park_id: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Binding:
    openid: str
    uscc: str
    channel: str
    park_id: str | None
    bound_at: datetime
    subscribed: bool

    @classmethod
    def of(cls, row: WeChatBindingRow) -> Binding:
        return cls(row.openid, row.uscc, row.channel, row.park_id, _utc(row.bound_at), bool(row.subscribed))

    def to_json(self) -> dict[str, Any]:
        return {"openid": self.openid, "uscc": self.uscc, "channel": self.channel, "park_id": self.park_id,
                "bound_at": self.bound_at.isoformat(), "subscribed": self.subscribed}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Binding:
        return cls(d["openid"], d["uscc"], d["channel"], d["park_id"], datetime.fromisoformat(d["bound_at"]),
                   bool(d["subscribed"]))


@dataclass(frozen=True)
class CreditChange:
    """What changed about one enterprise since its subscribers were last told."""

    uscc: str
    name: str | None
    what: tuple[str, ...]  # of "grade", "recognition", "listing"
    before: dict[str, Any]
    after: dict[str, Any]
    subscribers: tuple[Binding, ...]


def normalise_code(code: str) -> str:
    return "".join(c for c in str(code).upper() if c.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _bindings_key(openid: str) -> str:
    return "wx:bindings:" + hashlib.sha256(openid.encode()).hexdigest()


def _openid(openid: str) -> str:
    if not isinstance(openid, str) or not openid.strip() or len(openid) > 128:
        raise InvalidInput("a WeChat openid is a non-empty string of at most 128 characters")
    return openid.strip()


def credit_summary(report: EnterpriseReport) -> dict[str, Any]:
    """The part of a report whose change subscribers hear about: valid grades, recognising parks, listings."""
    grades = {r.park.id: {"park": r.park.name, "grade": r.grade} for r in report.ratings if r.verdict and r.grade}
    recognised = {v.park.id: v.park.name for v in report.recognition if v.recognised}
    listings = sorted(
        ({"park": lv.park.name, "park_id": lv.park.id, "kind": lv.kind, "reason": lv.reason, "id": lv.id}
         for lv in report.listings if lv.active),
        key=lambda e: (e["park_id"], e["kind"], e["id"]),
    )
    return {
        "name": report.name,
        "grades": dict(sorted(grades.items())),
        "recognised": dict(sorted(recognised.items())),
        "parks": len(report.recognition),
        "listings": listings,
    }


def _digest(summary: dict[str, Any]) -> str:
    material = {k: summary[k] for k in ("grades", "recognised", "listings")}
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _what_changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    what = []
    if before.get("grades") != after.get("grades"):
        what.append("grade")
    if before.get("recognised") != after.get("recognised"):
        what.append("recognition")
    if before.get("listings") != after.get("listings"):
        what.append("listing")
    return tuple(what)


class WeChatAccounts:
    def __init__(self, db: Database, cache: SharedCache, *, audit: AuditTrail | None = None,
                 enterprises: EnterpriseService | None = None, code_lifetime: timedelta = CODE_LIFETIME) -> None:
        self.db = db
        self.cache = cache
        self.audit = audit
        self.enterprises = enterprises
        self.code_lifetime = code_lifetime

    # Binding codes ---------------------------------------------------------------------------------------
    async def issue_binding_code(self, principal: Principal, uscc: str) -> BindingCode:
        """A one-time code for an enterprise: parks for their own enterprises, alliance admins for any."""
        if self.audit is None:
            return await self._issue(principal, uscc)
        async with self.audit.action(principal, "issueBindingCode", str(uscc)):
            return await self._issue(principal, uscc)

    async def _issue(self, principal: Principal, uscc: str) -> BindingCode:
        principal.require(PARK, PARK_OPERATOR, ADMIN, action="issuing a WeChat binding code")
        code_uscc = uscc_codes.validate(uscc)
        park_id = principal.park_id if principal.role in (PARK, PARK_OPERATOR) else None
        if park_id is not None and not await self._holds(principal, park_id, code_uscc):
            raise Forbidden(f"park {park_id} holds no rating for {code_uscc}: a park issues binding codes for its "
                            "own enterprises only")
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = datetime.now(UTC)
        expires = now + self.code_lifetime
        async with self.db.session() as s:
            s.add(WeChatBindingCodeRow(code_hash=hash_code(code), uscc=code_uscc, park_id=park_id,
                                       issued_by=principal.subject, issued_at=now, expires_at=expires))
        return BindingCode(f"{code[:4]}-{code[4:]}", code_uscc, park_id, expires)

    async def _holds(self, principal: Principal, park_id: str, uscc: str) -> bool:
        async with self.db.session() as s:
            if await s.get(HoldingRow, (park_id, uscc)) is not None:
                return True
        if self.enterprises is None:
            return False
        # The index of holdings is learnt from answers and may lag: ask the parks.
        report = await self.enterprises.report(principal, uscc, fresh=True)
        return any(r.park.id == park_id for r in report.ratings)

    async def bind(self, openid: str, code: str, *, channel: str = "mp") -> str:
        """Spend a binding code: the openid now acts for the code's enterprise. Returns the USCC."""
        openid = _openid(openid)
        if channel not in CHANNELS:
            raise InvalidInput(f"unknown WeChat channel {channel!r}; channels are {', '.join(CHANNELS)}")
        if await self.cache.get(f"wx:bindfail:{openid}:{MAX_BIND_FAILURES - 1}") is not None:
            raise LimitExceeded("too many wrong binding codes from this WeChat user; try again in an hour")
        normal = normalise_code(code)
        now = datetime.now(UTC)
        uscc: str | None = None
        async with self.db.session() as s:
            row = None
            if len(normal) == CODE_LENGTH:
                row = await s.get(WeChatBindingCodeRow, hash_code(normal))
            if row is not None and row.used_at is None and _utc(row.expires_at) > now:
                # Claim the code with a conditional update: of two concurrent binds only one matches.
                claimed = await s.execute(
                    update(WeChatBindingCodeRow)
                    .where(WeChatBindingCodeRow.code_hash == row.code_hash, WeChatBindingCodeRow.used_at.is_(None))
                    .values(used_at=now, used_by=openid)
                )
                if claimed.rowcount == 1:
                    binding = await s.get(WeChatBindingRow, (openid, row.uscc))
                    if binding is None:
                        s.add(WeChatBindingRow(openid=openid, uscc=row.uscc, channel=channel, park_id=row.park_id,
                                               bound_at=now, subscribed=False))
                    else:
                        binding.channel, binding.park_id, binding.bound_at = channel, row.park_id, now
                    uscc = row.uscc
        if uscc is not None:
            await self._changed(openid)
            return uscc
        await self._count_failure(openid)
        raise BindingCodeRefused("binding code refused: it is unknown, already used or expired")

    async def _count_failure(self, openid: str) -> None:
        for i in range(MAX_BIND_FAILURES):
            if await self.cache.add(f"wx:bindfail:{openid}:{i}", b"1", FAILURE_WINDOW):
                return

    # Bindings and subscriptions ----------------------------------------------------------------------------
    async def bindings(self, openid: str) -> list[Binding]:
        openid = _openid(openid)
        kept = await self.cache.get(_bindings_key(openid))
        if kept is not None:
            return [Binding.from_json(d) for d in json.loads(kept)]
        async with self.db.session() as s:
            rows = (await s.scalars(select(WeChatBindingRow).where(WeChatBindingRow.openid == openid)
                                    .order_by(WeChatBindingRow.bound_at, WeChatBindingRow.uscc))).all()
        found = [Binding.of(r) for r in rows]
        await self.cache.set(_bindings_key(openid), json.dumps([b.to_json() for b in found]).encode(), BINDINGS_TTL)
        return found

    async def _changed(self, openid: str) -> None:
        await self.cache.delete(_bindings_key(openid))

    async def unbind(self, openid: str, uscc: str | None = None) -> list[str]:
        """Drop the openid's binding to `uscc` (or all of them); returns the USCCs unbound."""
        bound = await self._bound(openid, uscc)
        async with self.db.session() as s:
            await s.execute(delete(WeChatBindingRow).where(WeChatBindingRow.openid == _openid(openid),
                                                           WeChatBindingRow.uscc.in_(bound)))
        await self._changed(openid)
        return bound

    async def subscribe(self, openid: str, uscc: str | None = None) -> list[str]:
        """Notifications on for the openid's enterprise `uscc` (or all it is bound to); returns the USCCs."""
        return await self._set_subscribed(openid, uscc, True)

    async def unsubscribe(self, openid: str, uscc: str | None = None) -> list[str]:
        return await self._set_subscribed(openid, uscc, False)

    async def _set_subscribed(self, openid: str, uscc: str | None, on: bool) -> list[str]:
        bound = await self._bound(openid, uscc)
        async with self.db.session() as s:
            await s.execute(update(WeChatBindingRow)
                            .where(WeChatBindingRow.openid == _openid(openid), WeChatBindingRow.uscc.in_(bound))
                            .values(subscribed=on))
        await self._changed(openid)
        return bound

    async def _bound(self, openid: str, uscc: str | None) -> list[str]:
        usccs = [b.uscc for b in await self.bindings(openid)]
        if not usccs:
            raise NotBound("this WeChat user has bound no enterprise; send the binding code your park issued")
        if uscc is None:
            return usccs
        code = uscc_codes.validate(uscc)
        if code not in usccs:
            raise NotBound(f"this WeChat user is not bound to {code}")
        return [code]

    async def subscribers(self, uscc: str) -> list[Binding]:
        code = uscc_codes.validate(uscc)
        async with self.db.session() as s:
            rows = (await s.scalars(select(WeChatBindingRow).where(WeChatBindingRow.uscc == code,
                                                                   WeChatBindingRow.subscribed.is_(True))
                                    .order_by(WeChatBindingRow.openid))).all()
        return [Binding.of(r) for r in rows]

    async def watched(self) -> list[str]:
        """The enterprises with at least one subscriber."""
        async with self.db.session() as s:
            rows = (await s.scalars(select(WeChatBindingRow.uscc).where(WeChatBindingRow.subscribed.is_(True))
                                    .distinct().order_by(WeChatBindingRow.uscc))).all()
        return list(rows)

    # Change detection ------------------------------------------------------------------------------------
    async def last_summary(self, uscc: str) -> dict[str, Any] | None:
        async with self.db.session() as s:
            row = await s.get(WeChatDigestRow, uscc_codes.validate(uscc))
        return dict(row.summary) if row is not None else None

    async def _claim(self, uscc: str, expected: str | None, digest: str, summary: dict[str, Any]) -> bool:
        """Compare-and-set of the last-known digest: True for the one caller that moved it from `expected`."""
        now = datetime.now(UTC)
        if expected is None:
            try:
                async with self.db.session() as s:
                    s.add(WeChatDigestRow(uscc=uscc, digest=digest, summary=summary, updated_at=now))
            except IntegrityError:  # another replica stored the first digest at the same moment
                return False
            return True
        async with self.db.session() as s:
            moved = await s.execute(update(WeChatDigestRow)
                                    .where(WeChatDigestRow.uscc == uscc, WeChatDigestRow.digest == expected)
                                    .values(digest=digest, summary=summary, updated_at=now))
            return moved.rowcount == 1

    async def changes(self, usccs: Iterable[str] | None = None) -> list[CreditChange]:
        """Ask the parks afresh about watched enterprises; return each change once (the first sighting of an
        enterprise only sets its baseline). Partial answers (a park down) are skipped until complete."""
        if self.enterprises is None:
            raise InvalidInput("change detection needs the enterprise service")
        codes = list(dict.fromkeys(usccs)) if usccs is not None else await self.watched()
        out: list[CreditChange] = []
        step = self.enterprises.max_batch
        for i in range(0, len(codes), step):
            reports = await self.enterprises.reports(ANONYMOUS, codes[i:i + step], fresh=True)
            for report in reports:
                if not isinstance(report, EnterpriseReport):
                    continue
                if any(src.status not in COMPLETE for src in report.sources):
                    continue
                change = await self._compare(report)
                if change is not None:
                    out.append(change)
        return out

    async def _compare(self, report: EnterpriseReport) -> CreditChange | None:
        summary = credit_summary(report)
        digest = _digest(summary)
        async with self.db.session() as s:
            row = await s.get(WeChatDigestRow, report.uscc)
            before = (row.digest, dict(row.summary)) if row is not None else None
        if before is None:
            await self._claim(report.uscc, None, digest, summary)
            return None
        if before[0] == digest:
            return None
        if not await self._claim(report.uscc, before[0], digest, summary):
            return None  # another replica saw it first and notifies
        return CreditChange(report.uscc, report.name, _what_changed(before[1], summary), before[1], summary,
                            tuple(await self.subscribers(report.uscc)))
