"""Helpers for park-node tests: a minimal alliance on loopback, park configurations, enterprise records.

`FakeAlliance` serves the two routes the real gateway serves for parks (GET /parks/{id}/statement as
application/park-statement+jwt, GET /.well-known/jwks.json) plus `currentStandard` over GraphQL. Its
statements are signed on every request from its registry, reading each park's key ring from disk, so
suspending a park or rotating a key shows at once. Everything is real: Ed25519 keys, signatures, HTTP on
127.0.0.1.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from alliance.core import jws, uscc
from alliance.core.keys import SigningKey, jwks
from alliance.core.park_statement import issue_park_statement
from alliance.core.records import EnterpriseRecord
from alliance.core.standard import demo_standard_path
from alliance.park.config import ParkConfig, load_park_config
from alliance.park.keyring import Keyring
from alliance.services.auth import PARK_OPERATOR, TokenService
from alliance.services.standards import STANDARD_TYP
from alliance.web.server import BackgroundServer, free_port

ACS_2025 = {"id": "ACS", "version": "2025.1"}


@dataclass
class ParkEntry:
    park_id: str
    name: str
    keys_dir: Path | None = None  # read the key ring from here on every statement…
    jwks: dict[str, Any] | None = None  # …or use these fixed keys
    historical_keys: list[dict[str, Any]] = field(default_factory=list)
    accredited: list[dict[str, str]] = field(default_factory=lambda: [dict(ACS_2025)])
    status_list_uri: str | None = None
    status: str = "active"


class FakeAlliance:
    def __init__(self, *, statement_lifetime: int = 3600) -> None:
        self.key = SigningKey.generate()
        self.tokens = TokenService(self.key, lifetime=3600, leeway=60)
        self.parks: dict[str, ParkEntry] = {}
        self.statement_lifetime = statement_lifetime
        self.standard: dict[str, Any] | None = None  # {"version", "document", "signature"}
        self.server: BackgroundServer | None = None

    # ------------------------------------------------------------------ registry
    def register(self, entry: ParkEntry) -> ParkEntry:
        self.parks[entry.park_id] = entry
        return entry

    def register_config(self, cfg: ParkConfig, **kw: Any) -> ParkEntry:
        return self.register(
            ParkEntry(cfg.id, cfg.name, keys_dir=cfg.keys_dir, status_list_uri=cfg.status_list_uri, **kw)
        )

    def statement(self, park_id: str) -> str:
        entry = self.parks[park_id]
        keys, history = entry.jwks, entry.historical_keys
        if entry.keys_dir is not None:
            ring = Keyring.open(entry.keys_dir)
            keys, history = ring.jwks(), ring.historical_keys()
        return issue_park_statement(
            park_id=entry.park_id,
            name=entry.name,
            jwks=keys or {"keys": []},
            alliance_key=self.key,
            lifetime=self.statement_lifetime,
            status=entry.status,
            historical_keys=history,
            accredited=entry.accredited,
            status_list_uri=entry.status_list_uri,
        )

    def jwks(self) -> dict[str, Any]:
        return jwks([self.key.public])

    def operator_token(self, park_id: str, subject: str = "operator@park") -> str:
        return self.tokens.issue(PARK_OPERATOR, subject, park_id=park_id)

    def publish_standard(
        self, version: str = "2025.1", document: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        document = document or json.loads(demo_standard_path(version).read_text(encoding="utf-8"))
        signature = jws.sign_detached_document(document, self.key, STANDARD_TYP, detached=True)
        self.standard = {
            "id": document["id"],
            "version": document["version"],
            "document": document,
            "signature": signature,
        }
        return self.standard

    # ------------------------------------------------------------------ web
    def app(self) -> Starlette:
        async def statement(request: Request) -> Response:
            park_id = request.path_params["park_id"]
            if park_id not in self.parks:
                return JSONResponse({"error": f"no park {park_id}"}, status_code=404)
            return PlainTextResponse(self.statement(park_id), media_type="application/park-statement+jwt")

        async def alliance_jwks(_: Request) -> Response:
            return JSONResponse(self.jwks())

        async def graphql(request: Request) -> Response:
            body = await request.json()
            if "currentStandard" not in body.get("query", ""):
                return JSONResponse({"errors": [{"message": "this fake answers currentStandard only"}]})
            return JSONResponse({"data": {"currentStandard": self.standard}})

        return Starlette(
            routes=[
                Route("/parks/{park_id}/statement", statement),
                Route("/.well-known/jwks.json", alliance_jwks),
                Route("/graphql", graphql, methods=["POST"]),
            ]
        )

    @property
    def url(self) -> str:
        assert self.server is not None, "start the alliance first"
        return self.server.url

    @contextmanager
    def running(self) -> Iterator[FakeAlliance]:
        self.server = BackgroundServer(self.app()).start()
        try:
            yield self
        finally:
            self.server.stop()
            self.server = None


# ---------------------------------------------------------------------- parks


def write_park_config(
    directory: Path,
    park_id: str,
    name: str,
    *,
    alliance_url: str,
    city: str = "",
    port: int | None = None,
    ttl: int = 300,
    standard_file: Path | None = None,
    extra: str = "",
) -> ParkConfig:
    """Write a park.toml into `directory` (data in directory/data) and load it back."""
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    std = standard_file if standard_file is not None else demo_standard_path("2025.1")
    text = f"""
id = "{park_id}"
name = "{name}"
city = "{city}"
host = "127.0.0.1"
port = {port}
data_dir = "data"

[alliance]
url = "{alliance_url}"
timeout = 3.0

[standard]
id = "ACS"
file = "{std}"

[status_list]
ttl = {ttl}
lifetime = 3600
size = 4096
{extra}
"""
    path = directory / "park.toml"
    path.write_text(text, encoding="utf-8")
    return load_park_config(path)


def make_uscc(n: int, region: str = "510100") -> str:
    """A valid USCC, different for each n."""
    return uscc.build("9", "1", region, f"{n:08d}")


GOOD = {
    "TAX_CREDIT": "A",
    "ADMIN_PENALTY": 0,
    "SOCIAL_INSURANCE_ARREARS": 0,
    "DISHONEST_DEBTOR": False,
    "RD_INTENSITY": 8.5,
    "INVENTION_PATENTS": 7,
    "ABNORMAL_OPERATION": False,
    "COMMITMENT_FULFILMENT": 98,
    "ENV_CREDIT": "绿牌",
    "QUALITY_SAMPLING": 99,
}


def make_records(
    count: int, *, start: int = 1, region: str = "510100", seed: int = 7
) -> list[EnterpriseRecord]:
    """Enterprises with plausible, varied indicator values under ACS 2025.1."""
    rng = random.Random(seed + start)
    out = []
    for i in range(start, start + count):
        indicators = dict(GOOD)
        indicators["TAX_CREDIT"] = rng.choice("AABM")
        indicators["ADMIN_PENALTY"] = rng.choice([0, 0, 1, 2])
        indicators["RD_INTENSITY"] = round(rng.uniform(0, 12), 2)
        out.append(
            EnterpriseRecord(make_uscc(i, region), f"测试企业{i:04d}有限公司", indicators, origin=f"row {i}")
        )
    return out


@contextmanager
def running_park(cfg: ParkConfig, **kw: Any) -> Iterator[BackgroundServer]:
    """Serve a park node on its configured loopback port; the app opens and closes its own node."""
    from alliance.park.app import create_park_app

    server = BackgroundServer(create_park_app(cfg, **kw), port=cfg.port).start()
    try:
        yield server
    finally:
        server.stop()
