"""Shared test fixtures.

Things a user's laptop may lack (the shared test vectors, PostgreSQL, Redis, Chromium, Node.js) make a test skip
with a message that says what to install; under ALLIANCE_TEST_STRICT=1 (CI) such a skip fails instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT.parent / "shared" / "vectors"
STRICT = os.environ.get("ALLIANCE_TEST_STRICT") == "1"


def need(condition: bool, message: str) -> None:
    """Skip with `message` when `condition` is false; fail instead under ALLIANCE_TEST_STRICT=1."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"ALLIANCE_TEST_STRICT=1 and {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    need(VECTORS.is_dir(), f"the shared test vectors are absent (expected at {VECTORS.name}/ beside the repo)")
    return VECTORS


@pytest.fixture(scope="session")
def protocol_vectors(vectors_dir: Path) -> dict[str, Any]:
    return json.loads((vectors_dir / "protocol-vectors.json").read_text(encoding="utf-8"))


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get("ALLIANCE_TEST_DATABASE_URL", "")
    need(bool(url), "PostgreSQL is not configured: install it and set ALLIANCE_TEST_DATABASE_URL")
    return url


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("ALLIANCE_TEST_REDIS_URL", "")
    need(bool(url), "Redis is not configured: install it and set ALLIANCE_TEST_REDIS_URL")
    return url
