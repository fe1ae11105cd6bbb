"""A fake WeChat API server on loopback: access token, customer-service and subscribe messages, code2Session.

It answers the way api.weixin.qq.com does (JSON with errcode/errmsg) and records every call, so tests can see
what the bot sent. Login codes are registered by the test (`codes[code] = openid`) and work once.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Call:
    path: str
    params: dict[str, str]
    body: Any


@dataclass
class FakeWeChat:
    appid: str
    secret: str
    calls: list[Call] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    token_fetches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # What the tests read ------------------------------------------------------------------------------------
    def sent(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(path)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.sent(path)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    # The server ---------------------------------------------------------------------------------------------
    def _record(self, request: Request, body: Any) -> None:
        with self._lock:
            self.calls.append(Call(request.url.path, dict(request.query_params), body))

    def app(self) -> Starlette:
        async def token(request: Request) -> JSONResponse:
            q = request.query_params
            self._record(request, None)
            if q.get("grant_type") != "client_credential":
                return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
            if q.get("appid") != self.appid or q.get("secret") != self.secret:
                return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
            value = "TOKEN_" + secrets.token_hex(8)
            with self._lock:
                self.tokens.add(value)
                self.token_fetches += 1
            return JSONResponse({"access_token": value, "expires_in": 7200})

        def authorised(request: Request) -> bool:
            with self._lock:
                return request.query_params.get("access_token") in self.tokens

        async def send(request: Request) -> JSONResponse:
            body = await request.json()
            self._record(request, body)
            if not authorised(request):
                return JSONResponse({"errcode": 40014, "errmsg": "invalid access_token"})
            if not isinstance(body, dict) or not body.get("touser"):
                return JSONResponse({"errcode": 40003, "errmsg": "invalid openid"})
            return JSONResponse({"errcode": 0, "errmsg": "ok"})

        async def jscode2session(request: Request) -> JSONResponse:
            q = request.query_params
            self._record(request, None)
            if q.get("appid") != self.appid or q.get("secret") != self.secret:
                return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
            with self._lock:
                openid = self.codes.pop(q.get("js_code", ""), None)
            if openid is None or q.get("grant_type") != "authorization_code":
                return JSONResponse({"errcode": 40029, "errmsg": "invalid code"})
            return JSONResponse({"openid": openid, "session_key": "SESSIONKEY" + secrets.token_hex(8),
                                 "unionid": "union-" + openid})

        return Starlette(routes=[
            Route("/cgi-bin/token", token, methods=["GET"]),
            Route("/cgi-bin/message/custom/send", send, methods=["POST"]),
            Route("/cgi-bin/message/subscribe/send", send, methods=["POST"]),
            Route("/cgi-bin/message/subscribe/bizsend", send, methods=["POST"]),
            Route("/sns/jscode2session", jscode2session, methods=["GET"]),
        ])
