"""A small alliance on loopback for federation tests: the real gateway, real park nodes, and faulty parks.

Faulty parks: one whose port is closed (down), one that hangs past every deadline, one that answers garbage,
and a real park node admitted under a key that is not the one it signs with.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from alliance.config import load_settings
from alliance.core.keys import SigningKey, jwks
from alliance.core.records import EnterpriseRecord
from alliance.core.standard import demo_standard_path
from alliance.gateway.app import create_app
from alliance.park.config import ParkConfig
from alliance.park.keyring import Keyring
from alliance.park.node import ParkNode
from alliance.web.server import BackgroundServer, free_port, serving
from tests.park_fixtures import make_records, running_park, write_park_config

GQL = "application/graphql-response+json"


def hanging_app(seconds: float = 30.0) -> Starlette:
    async def slow(_: Request) -> Response:
        await asyncio.sleep(seconds)
        return JSONResponse({"data": None})

    return Starlette(routes=[Route("/graphql", slow, methods=["POST"]), Route("/statuslists/1", slow)])


def garbage_app() -> Starlette:
    async def nonsense(_: Request) -> Response:
        return PlainTextResponse("<html><body>502 Bad Gateway (nginx)</body></html>", status_code=200)

    return Starlette(routes=[Route("/graphql", nonsense, methods=["POST"]), Route("/statuslists/1", nonsense)])


@dataclass
class Alliance:
    gateway: BackgroundServer
    parks: dict[str, BackgroundServer] = field(default_factory=dict)
    configs: dict[str, ParkConfig] = field(default_factory=dict)
    records: dict[str, list[EnterpriseRecord]] = field(default_factory=dict)
    stack: ExitStack = field(default_factory=ExitStack)

    @property
    def services(self) -> Any:
        return self.gateway.app.state.services

    def token(self, role: str, **kw: Any) -> str:
        return self.services.tokens.issue(role, kw.pop("subject", role), **kw)

    def gql(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict[str, Any]:
        headers = {"accept": GQL}
        if token:
            headers["authorization"] = f"Bearer {token}"
        r = httpx.post(f"{self.gateway.url}/graphql", json={"query": query, "variables": variables or {}},
                       headers=headers, timeout=30)
        assert r.status_code in (200, 400), r.text
        return r.json()

    def admin(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        body = self.gql(query, variables, token=self.token("alliance-admin", subject="admin@test"))
        assert "errors" not in body, body
        return body["data"]

    def admit(self, park_id: str, name: str, city: str, endpoint: str, keys: dict, status_list_uri: str) -> None:
        self.admin(
            "mutation($i: AdmitParkInput!) { admitPark(input: $i) { id } }",
            {"i": {"id": park_id, "name": name, "city": city, "endpoint": endpoint, "jwks": keys,
                   "accredited": ["ACS 2025.1"], "statusListUri": status_list_uri}},
        )


async def _import(cfg: ParkConfig, records: list[EnterpriseRecord]) -> None:
    node = await ParkNode.open(cfg)
    try:
        await node.import_records(records)
    finally:
        await node.close()


def _gateway_settings(data_dir: Path, **overrides: Any) -> Any:
    defaults = {"park_deadline": 0.6, "query_budget": 2.0, "breaker_failures": 3, "breaker_reset": 60.0,
                "cache_fresh": 0.0, "data_dir": data_dir}
    defaults.update(overrides)
    return load_settings(**defaults)


GOOD_PARKS = [
    ("wuhan-east-lake", "武汉东湖新技术开发区", "武汉", "420100"),
    ("shanghai-zhangjiang", "上海张江高科技园区", "上海", "310000"),
    ("chengdu-hi-tech", "成都高新技术产业开发区", "成都", "510100"),
    ("changsha-hi-tech", "长沙高新技术产业开发区", "长沙", "430100"),
    ("jining-hi-tech", "济宁高新技术产业开发区", "济宁", "370800"),
]


@contextmanager
def small_alliance(tmp: Path, *, faulty: bool = True, **settings: Any) -> Iterator[Alliance]:
    """Five real parks, and (with `faulty`) four parks that fail in four different ways."""
    stack = ExitStack()
    app = create_app(_gateway_settings(tmp / "gateway", **settings))
    gateway = stack.enter_context(serving(app))
    gateway.app = app
    net = Alliance(gateway=gateway, stack=stack)
    try:
        net.admin("mutation($d: JSON!) { publishStandard(document: $d) { version } }",
                  {"d": json.loads(demo_standard_path("2025.1").read_text(encoding="utf-8"))})
        shared = make_records(6, start=1, region="420100")  # rated by several parks
        for n, (pid, name, city, region) in enumerate(GOOD_PARKS):
            cfg = write_park_config(tmp / pid, pid, name, alliance_url=gateway.url, city=city, ttl=300)
            own = make_records(4, start=100 + 10 * n, region=region)
            records = own + (shared if n < 3 else shared[:2])
            asyncio.run(_import(cfg, records))
            net.configs[pid], net.records[pid] = cfg, records
            net.parks[pid] = stack.enter_context(running_park(cfg))
            keys = Keyring.open(cfg.keys_dir).jwks()
            url = net.parks[pid].url
            net.admit(pid, name, city, f"{url}/graphql", keys, f"{url}/statuslists/1")
        if faulty:
            stranger = jwks([SigningKey.generate().public])
            closed = free_port()
            net.admit("down-park", "停机园区", "某市", f"http://127.0.0.1:{closed}/graphql", stranger,
                      f"http://127.0.0.1:{closed}/statuslists/1")
            hang = stack.enter_context(serving(hanging_app()))
            net.admit("hanging-park", "超时园区", "某市", f"{hang.url}/graphql", stranger, f"{hang.url}/statuslists/1")
            junk = stack.enter_context(serving(garbage_app()))
            net.admit("garbage-park", "乱码园区", "某市", f"{junk.url}/graphql", stranger, f"{junk.url}/statuslists/1")
            # A real node, admitted under a key it does not sign with.
            cfg = write_park_config(tmp / "wrong-key", "wrong-key-park", "错钥园区", alliance_url=gateway.url,
                                    city="某市")
            asyncio.run(_import(cfg, shared[:1]))
            net.configs["wrong-key-park"] = cfg
            wrong = stack.enter_context(running_park(cfg))
            net.parks["wrong-key-park"] = wrong
            net.admit("wrong-key-park", "错钥园区", "某市", f"{wrong.url}/graphql", stranger,
                      f"{wrong.url}/statuslists/1")
        yield net
    finally:
        stack.close()


ENTERPRISE_QUERY = """query($u: String!) { enterprise(uscc: $u) {
  uscc name homePark { id }
  ratings { park { id name } grade score standardId standardVersion issuedAt expiresAt attestation fromCache
            verdict { ok status reason } }
  recognition { park { id } recognised reason basis { id } }
  listings { park { id } kind reason legalBasis since until active }
  measures { code kind name basis parks { id } }
  sources { park { id } status latencyMs detail }
  recognisedBy
} }"""
