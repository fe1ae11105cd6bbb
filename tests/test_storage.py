"""The same storage behaviour on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator

import pytest

from alliance.config import load_settings
from alliance.core.standard import demo_standard_path
from alliance.errors import Conflict, Forbidden, InvalidInput
from alliance.services.app import AllianceServices
from alliance.services.auth import ADMIN, PARK, Principal
from tests.conftest import need
from tests.storage_fixtures import postgres_schema

ADMIN_P = Principal("admin@test", ADMIN)


@pytest.fixture(params=["sqlite", "postgresql"])
async def services(request, tmp_path) -> AsyncIterator[AllianceServices]:
    if request.param == "sqlite":
        svc = await AllianceServices.open(load_settings(data_dir=tmp_path))
        yield svc
        await svc.close()
        return
    url = os.environ.get("ALLIANCE_TEST_DATABASE_URL", "")
    need(bool(url), "PostgreSQL is not configured: install it and set ALLIANCE_TEST_DATABASE_URL")
    async with postgres_schema(url) as schema:
        svc = await AllianceServices.open(load_settings(data_dir=tmp_path, database_url=url), schema=schema)
        assert svc.db.engine.dialect.name == "postgresql"
        yield svc
        await svc.close()


def doc(version: str = "2025.1") -> dict:
    return json.loads(demo_standard_path(version).read_text(encoding="utf-8"))


async def test_migrations_are_idempotent(services):
    await services.db.migrate()
    await services.db.migrate()
    assert await services.standards.list() == []


async def test_publish_supersede_retire_roundtrip(services):
    first = await services.standards.publish(ADMIN_P, doc("2025.1"))
    assert first.status == "published" and first.signature
    second = await services.standards.publish(ADMIN_P, doc("2026.1"))
    assert second.status == "published"
    stored = {r.version: r.status for r in await services.standards.list()}
    assert stored == {"2025.1": "superseded", "2026.1": "published"}
    assert (await services.standards.get("ACS", "2025.1")).document == doc("2025.1")
    retired = await services.standards.retire(ADMIN_P, "ACS", "2025.1")
    assert retired.status == "retired" and retired.retired_at is not None
    assert (await services.standards.current("ACS")).version == "2026.1"


async def test_refusals_change_nothing(services):
    await services.standards.publish(ADMIN_P, doc())
    with pytest.raises(Conflict):
        await services.standards.publish(ADMIN_P, doc())
    with pytest.raises(Forbidden):
        await services.standards.publish(Principal("p", PARK, park_id="x"), doc("2026.1"))
    bad = doc("2026.1")
    bad["grades"] = []
    with pytest.raises(InvalidInput):
        await services.standards.publish(ADMIN_P, bad)
    assert [(r.version, r.status) for r in await services.standards.list()] == [("2025.1", "published")]
    outcomes = [e.outcome for e in await services.audit.entries()]
    assert outcomes == ["refused", "refused", "refused", "ok"]


async def test_draft_then_publish(services):
    draft = await services.standards.save_draft(ADMIN_P, doc())
    assert draft.status == "draft" and draft.signature is None
    published = await services.standards.publish(ADMIN_P, doc())
    assert published.status == "published"
    with pytest.raises(Conflict):
        await services.standards.save_draft(ADMIN_P, doc())
