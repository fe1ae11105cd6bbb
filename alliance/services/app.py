"""The service layer in one object: every front-end (GraphQL, CLI, bot, pages) holds one of these."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from alliance.config import Settings
from alliance.core import jws
from alliance.core.keys import SigningKey
from alliance.errors import Unauthenticated
from alliance.services.audit import AuditTrail
from alliance.services.auth import ACCESS_TOKEN_TYP, ALLIANCE_ISSUER, PARK, Principal, TokenService
from alliance.services.cache import SharedCache, open_cache
from alliance.services.enterprises import EnterpriseService
from alliance.services.federation import Federation
from alliance.services.history import HistoryLog
from alliance.services.metrics import Metrics
from alliance.services.overview import OverviewService
from alliance.services.park_client import ParkClient
from alliance.services.registry import RegistryService
from alliance.services.standards import StandardsService
from alliance.services.wechat_accounts import WeChatAccounts
from alliance.storage.db import Database


@dataclass
class AllianceServices:
    settings: Settings
    db: Database
    alliance_key: SigningKey
    tokens: TokenService
    audit: AuditTrail
    standards: StandardsService
    registry: RegistryService
    federation: Federation
    enterprises: EnterpriseService
    cache: SharedCache
    metrics: Metrics
    http: httpx.AsyncClient
    overview: OverviewService
    wechat_accounts: WeChatAccounts
    history: HistoryLog

    @classmethod
    async def open(cls, settings: Settings, *, schema: str | None = None) -> AllianceServices:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.sqlalchemy_url, schema=schema)
        await db.migrate()
        key = SigningKey.load_or_create(settings.alliance_key_path)
        audit = AuditTrail(db)
        cache = open_cache(settings.redis_url)
        metrics = Metrics()
        http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            timeout=httpx.Timeout(settings.park_deadline),
        )
        standards = StandardsService(db, key, audit)
        registry = RegistryService(db, key, audit, statement_lifetime=settings.park_statement_lifetime,
                                   leeway=settings.clock_skew)
        federation = Federation(
            registry, ParkClient(), cache, metrics,
            park_deadline=settings.park_deadline, budget=settings.query_budget,
            breaker_failures=settings.breaker_failures, breaker_reset=settings.breaker_reset,
            leeway=settings.clock_skew, cache_fresh=settings.cache_fresh,
        )
        enterprises = EnterpriseService(db, registry, standards, federation, cache, max_batch=settings.max_batch,
                                        index_ttl=settings.index_ttl)
        overview = OverviewService(registry, standards, federation, cache)
        wechat_accounts = WeChatAccounts(db, cache, audit=audit, enterprises=enterprises)
        return cls(
            settings=settings, db=db, alliance_key=key, overview=overview, wechat_accounts=wechat_accounts,
            history=HistoryLog(db, key),
            tokens=TokenService(key, lifetime=settings.token_lifetime, leeway=settings.clock_skew),
            audit=audit, standards=standards, registry=registry, federation=federation, enterprises=enterprises,
            cache=cache, metrics=metrics, http=http,
        )

    async def close(self) -> None:
        await self.enterprises.settle()
        await self.federation.client.aclose()
        await self.http.aclose()
        await self.cache.close()
        await self.db.close()

    async def authenticate(self, token: str) -> Principal:
        """An alliance-issued token, or a park's own token signed with a key from its park statement."""
        try:
            issuer = jws.unverified_claims(token).get("iss")
        except jws.TokenError as exc:
            raise Unauthenticated(f"bearer token refused: {exc.message}") from exc
        if issuer == ALLIANCE_ISSUER:
            return self.tokens.authenticate(token)
        park = await self.registry.find(str(issuer))
        if park is None:
            raise Unauthenticated(f"bearer token refused: issuer {issuer!r} is neither the alliance nor a member park")
        if not park.active:
            raise Unauthenticated(f"bearer token refused: {park.name} is suspended from the alliance")
        _, statement = await self.registry.statement(park.id)
        try:
            claims = jws.verify(token, statement.keys, ACCESS_TOKEN_TYP, leeway=self.settings.clock_skew)
        except jws.TokenError as exc:
            raise Unauthenticated(f"bearer token refused: {exc.message} (checked against {park.name}'s keys)") from exc
        return Principal(str(claims.get("sub") or park.id), PARK, park_id=park.id)
