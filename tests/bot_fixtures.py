"""Fixtures for the bot's tests: small fake parks, a running gateway with the bot's routes, and a sender that
signs and encrypts pushes the way WeChat does (with wechatpy's own WeChatCrypto).

The fake park answers schema/park.graphql's `ratings` and `search` queries with real signed attestations and
serves its signed status list, so the gateway verifies everything as it would with a real park node. It can be
told to hang (answer nothing until released), to change a grade (the old attestation is revoked) or to list an
enterprise. (When tests/park_fixtures.py with the real park node lands, these tests can use it instead.)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from alliance.config import Settings, load_settings
from alliance.core.attestation import issue_attestation
from alliance.core.keys import SigningKey, jwks
from alliance.core.standard import demo_standard_path
from alliance.core.statuslist import INVALID, StatusList, sign_status_list_token
from alliance.core.uscc import build
from alliance.gateway.app import create_app
from alliance.services.app import AllianceServices
from alliance.services.auth import ADMIN, Principal
from alliance.web.server import BackgroundServer
from bot.web import routes, start_background
from tests.fake_wechat import FakeWeChat

ADMIN_PRINCIPAL = Principal("admin@test", ADMIN)
STANDARD = ("ACS", "2025.1")

# Real, valid codes (see the research notes); names as registered.
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
BAIDU = "91110000802100433B"
BYD = "91440300192317458F"
AVIC = "91520000214434146R"


def make_code(n: int) -> str:
    """A valid USCC that no other test uses (department 9, enterprise, region 420100)."""
    return build("9", "1", "420100", f"{n:08d}")


# Fake park ----------------------------------------------------------------------------------------------
@dataclass
class Holding:
    name: str
    grade: str
    score: float


@dataclass
class FakePark:
    id: str
    name: str
    city: str
    holdings: dict[str, Holding] = field(default_factory=dict)
    listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    key: SigningKey = field(default_factory=SigningKey.generate)
    url: str = ""
    hanging: bool = False
    requests: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._status = StatusList(4096)
        self._next_idx = 0
        self._issued: dict[str, tuple[str, int, str]] = {}  # uscc → (grade, idx, token)

    @property
    def endpoint(self) -> str:
        return f"{self.url}/graphql"

    @property
    def status_uri(self) -> str:
        return f"{self.url}/statuslists/1"

    def set_grade(self, uscc: str, grade: str, score: float) -> None:
        """A new rating: the old attestation is revoked in the status list, a new one issued on request."""
        with self._lock:
            held = self.holdings[uscc]
            self.holdings[uscc] = Holding(held.name, grade, score)
            old = self._issued.pop(uscc, None)
            if old is not None:
                self._status.set(old[1], INVALID)

    def list_enterprise(self, uscc: str, kind: str, reason: str) -> None:
        with self._lock:
            self.listings.setdefault(uscc, []).append({
                "id": f"{self.id}-{len(self.listings) + 1}", "uscc": uscc, "kind": kind.upper(), "reason": reason,
                "legalBasis": "发改财金规〔2017〕1798号", "since": "2025-01-01", "until": None, "active": True,
            })

    def _token(self, uscc: str) -> str:
        with self._lock:
            held = self.holdings[uscc]
            issued = self._issued.get(uscc)
            if issued is not None and issued[0] == held.grade:
                return issued[2]
            idx = self._next_idx
            self._next_idx += 1
        token = issue_attestation(
            park_id=self.id, key=self.key, uscc=uscc, name=held.name, standard_id=STANDARD[0],
            standard_version=STANDARD[1], grade=held.grade, score=held.score, status_idx=idx,
            status_uri=self.status_uri, validity_seconds=365 * 86400,
        )
        with self._lock:
            self._issued[uscc] = (held.grade, idx, token)
        return token

    def _rating(self, uscc: str) -> dict[str, Any]:
        listings = list(self.listings.get(uscc, []))
        held = self.holdings.get(uscc)
        if held is None:
            return {"uscc": uscc, "found": False, "error": None, "name": None, "attestation": None, "grade": None,
                    "score": None, "breakdown": None, "listings": listings}
        return {"uscc": uscc, "found": True, "error": None, "name": held.name, "attestation": self._token(uscc),
                "grade": held.grade, "score": held.score, "breakdown": None, "listings": listings}

    def app(self) -> Starlette:
        async def graphql(request: Request) -> Response:
            self.requests += 1
            body = await request.json()
            started = time.monotonic()
            while self.hanging and time.monotonic() - started < 60:  # a park that never answers (until released)
                if await request.is_disconnected():
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
            query, variables = body.get("query", ""), body.get("variables") or {}
            if "ratings(" in query:
                return JSONResponse({"data": {"ratings": [self._rating(u) for u in variables.get("usccs", [])]}})
            if "search(" in query:
                q = str(variables.get("q", ""))
                hits = [{"uscc": u, "name": h.name, "grade": h.grade} for u, h in sorted(self.holdings.items())
                        if q in h.name or u.startswith(q.upper())]
                return JSONResponse({"data": {"search": hits[: int(variables.get("first") or 20)]}})
            return JSONResponse({"errors": [{"message": "unsupported query"}]}, status_code=400)

        async def status_list(request: Request) -> Response:
            while self.hanging:
                if await request.is_disconnected():
                    return Response(status_code=499)
                await asyncio.sleep(0.02)
            with self._lock:
                token = sign_status_list_token(self._status, self.key, iss=self.id, sub=self.status_uri, ttl=1,
                                               lifetime=3600)
            return PlainTextResponse(token, media_type="application/statuslist+jwt")

        return Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                                 Route("/statuslists/1", status_list, methods=["GET"])])


def default_parks() -> list[FakePark]:
    return [
        FakePark("whdh", "武汉东湖高新区", "武汉", {
            HUAWEI: Holding("华为技术有限公司", "AA", 85.5),
            BYD: Holding("比亚迪股份有限公司", "A", 74.0),
        }),
        FakePark("sh-zj", "上海张江高新区", "上海", {
            TENCENT: Holding("深圳市腾讯计算机系统有限公司", "AAA", 93.0),
            BAIDU: Holding("北京百度网讯科技有限公司", "B", 65.0),
            AVIC: Holding("中航重机股份有限公司", "C", 50.0),
        }),
        FakePark("cd-gx", "成都高新区", "成都"),  # adopts no standard: recognises nobody else's rating
        FakePark("cs-gx", "长沙高新区", "长沙"),
    ]


def _adopted(park: FakePark) -> list[str]:
    return [] if park.id == "cd-gx" else [" ".join(STANDARD)]


async def setup_alliance(services: AllianceServices, parks: list[FakePark]) -> None:
    """Publish the demo standard and admit the parks (as an alliance admin would)."""
    document = json.loads(demo_standard_path(STANDARD[1]).read_text(encoding="utf-8"))
    await services.standards.publish(ADMIN_PRINCIPAL, document)
    for park in parks:
        await services.registry.admit(
            ADMIN_PRINCIPAL, id=park.id, name=park.name, city=park.city, endpoint=park.endpoint,
            jwks=jwks([park.key.public]), accredited=[" ".join(STANDARD)], adopted=_adopted(park),
            status_list_uri=park.status_uri,
        )


@contextlib.contextmanager
def running_parks(parks: list[FakePark]) -> Iterator[list[FakePark]]:
    servers = []
    try:
        for park in parks:
            server = BackgroundServer(park.app())
            # Longer than the gateway's pooled connections live (httpx keeps them 5 s, uvicorn's default too):
            # otherwise a reused connection the park just closed fails now and then.
            server.server.config.timeout_keep_alive = 30
            server.start()
            park.url = server.url
            servers.append(server)
        yield parks
    finally:
        for park in parks:
            park.hanging = False
        for server in servers:
            server.stop()


# WeChat settings and the sender ---------------------------------------------------------------------------
def wechat_settings(data_dir: Path, api_base: str, **overrides: Any) -> Settings:
    aes_key = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    extra = overrides.pop("extra", {})
    settings = load_settings(
        data_dir=data_dir,
        wechat_token="alliance" + secrets.token_hex(4),
        wechat_appid="wx" + secrets.token_hex(8),
        wechat_secret=secrets.token_hex(16),
        wechat_aes_key=aes_key,
        wechat_api_base=api_base,
        redis_url=overrides.pop("redis_url", ""),
        # Tests make parks hang on purpose; the circuit breaker would hide it.
        breaker_failures=overrides.pop("breaker_failures", 1000),
        **overrides,
    )
    return replace(settings, extra={**settings.extra, **extra})


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


@dataclass
class WeChatSender:
    """Pushes messages to /wechat as WeChat's server does: signed, and encrypted in safe mode."""

    url: str
    settings: Settings
    account: str = "gh_alliance"

    @property
    def crypto(self) -> WeChatCrypto:
        s = self.settings
        return WeChatCrypto(s.wechat_token, s.wechat_aes_key, s.wechat_appid)

    def text_xml(self, openid: str, content: str, msg_id: int) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
                f"<MsgId>{msg_id}</MsgId></xml>")

    def event_xml(self, openid: str, event: str, create_time: int | None = None) -> str:
        return (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
                f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event></xml>")

    def request(self, xml: str, *, safe: bool = True, forge: str = "") -> tuple[dict[str, str], bytes]:
        """Query parameters and body of a push. `forge`: "signature" or "msg_signature" to spoil that one."""
        s = self.settings
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        params = {"signature": sign(s.wechat_token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                  "openid": "ignored"}
        body = xml.encode()
        if safe:
            envelope = self.crypto.encrypt_message(xml, nonce, timestamp)
            encrypted = envelope.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
            params["encrypt_type"] = "aes"
            params["msg_signature"] = sign(s.wechat_token, timestamp, nonce, encrypted)
            body = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
        if forge:
            params[forge] = "0" * 40
        return params, body

    def post(self, xml: str, *, safe: bool = True, forge: str = "", timeout: float = 10.0,
             client: httpx.Client | None = None) -> httpx.Response:
        params, body = self.request(xml, safe=safe, forge=forge)
        sender = client or httpx
        return sender.post(f"{self.url}/wechat", params=params, content=body, timeout=timeout,
                           headers={"content-type": "text/xml"})

    def reply_text(self, response: httpx.Response, *, safe: bool = True) -> str:
        """The text of a passive reply (decrypted and checked in safe mode); "success" stays as it is."""
        import xmltodict

        body = response.text
        if body == "success" or not body:
            return body
        if safe:
            doc = xmltodict.parse(body)["xml"]
            body = self.crypto.decrypt_message(body, doc["MsgSignature"], doc["TimeStamp"], doc["Nonce"])
        return xmltodict.parse(body)["xml"]["Content"]


# A running gateway with the bot ----------------------------------------------------------------------------
class Gateway:
    """The gateway app (create_app) plus the bot's routes and background work, served on loopback."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.app.router.routes.extend(routes(lambda: self.app.state.services))
        self.loop: asyncio.AbstractEventLoop | None = None
        original = self.app.router.lifespan_context

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[Any]:
            async with original(app) as state:
                self.loop = asyncio.get_running_loop()
                stop = await start_background(app.state.services)
                try:
                    yield state
                finally:
                    await stop()

        self.app.router.lifespan_context = lifespan
        self.server = BackgroundServer(self.app)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def services(self) -> AllianceServices:
        return self.app.state.services

    def call(self, fn: Callable[[AllianceServices], Awaitable[Any]], timeout: float = 30.0) -> Any:
        """Run a coroutine on the gateway's own event loop (its database and HTTP client live there)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(fn(self.services), self.loop).result(timeout)

    def start(self) -> Gateway:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()


@contextlib.contextmanager
def bot_world(tmp: Path, **overrides: Any) -> Iterator[tuple[Gateway, list[FakePark], FakeWeChat]]:
    """Parks, a fake WeChat API, and a gateway that knows them: everything a bot test talks to."""
    fake = FakeWeChat(appid="", secret="")
    wechat_server = BackgroundServer(fake.app()).start()
    parks = overrides.pop("parks", None) or default_parks()
    try:
        with running_parks(parks):
            settings = wechat_settings(tmp / "gateway", wechat_server.url, **overrides)
            fake.appid, fake.secret = settings.wechat_appid, settings.wechat_secret
            gateway = Gateway(settings).start()
            try:
                gateway.call(lambda s: setup_alliance(s, parks))
                yield gateway, parks, fake
            finally:
                for park in parks:
                    park.hanging = False
                gateway.stop()
    finally:
        wechat_server.stop()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")
