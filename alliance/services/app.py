"""The service layer in one object: every front-end (GraphQL, CLI, bot, pages) holds one of these."""

from __future__ import annotations

from dataclasses import dataclass

from alliance.config import Settings
from alliance.core.keys import SigningKey
from alliance.services.audit import AuditTrail
from alliance.services.auth import TokenService
from alliance.services.standards import StandardsService
from alliance.storage.db import Database


@dataclass
class AllianceServices:
    settings: Settings
    db: Database
    alliance_key: SigningKey
    tokens: TokenService
    audit: AuditTrail
    standards: StandardsService

    @classmethod
    async def open(cls, settings: Settings, *, schema: str | None = None) -> AllianceServices:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.sqlalchemy_url, schema=schema)
        await db.migrate()
        key = SigningKey.load_or_create(settings.alliance_key_path)
        audit = AuditTrail(db)
        return cls(
            settings=settings,
            db=db,
            alliance_key=key,
            tokens=TokenService(key, lifetime=settings.token_lifetime, leeway=settings.clock_skew),
            audit=audit,
            standards=StandardsService(db, key, audit),
        )

    async def close(self) -> None:
        await self.db.close()
