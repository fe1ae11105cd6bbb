"""The mini-program's API under /wechat/miniprogram/.

Login: the mini-program sends wx.login()'s code; the server calls code2Session (against the configured WeChat
API base URL) and keeps the openid behind an opaque session id in the shared cache. The session_key WeChat
returns is never stored nor sent on. The answer carries, for each enterprise the openid is bound to, an access
token of the `enterprise` role (the gateway's own JWT), with which the report shows everything about the
enterprise itself (score, attestation) and the QR code can be made.

    POST /wechat/miniprogram/login        {code}               → {session, token, enterprises[]}
    POST /wechat/miniprogram/bind         {code}  X-Session     → {uscc, token}
    POST /wechat/miniprogram/subscribe    {on}    X-Session     → {usccs}
    POST /wechat/miniprogram/ask          {text}  X-Session?    → {reply}   (the bot's conversation)
    GET  /wechat/miniprogram/search?q=                          → {hits[]}
    GET  /wechat/miniprogram/report?uscc=          Bearer?      → the report
    GET  /wechat/miniprogram/recognition?uscc=                  → {recognition[]}
    GET  /wechat/miniprogram/qrcode?uscc=[&park=]  Bearer       → {bundle, ...}
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from alliance.core import uscc as uscc_codes
from alliance.core.attestation import make_bundle
from alliance.errors import AllianceError, InvalidInput, NotFound, Unauthenticated
from alliance.services.app import AllianceServices
from alliance.services.auth import ANONYMOUS, ENTERPRISE, Principal, bearer
from alliance.services.park_client import ParkCallFailed
from alliance.services.wechat_accounts import BindingCodeRefused, NotBound
from bot import texts, views
from bot.conversation import ChatUser
from bot.runtime import BotRuntime, runtime
from bot.wechat import Refused, read_body
from bot.wxclient import WeChatUnavailable

log = logging.getLogger("bot.miniprogram")

SESSION_TTL = 7200.0
MAX_JSON = 8 * 1024
PREFIX = "/wechat/miniprogram"

# What the mini-program shows for each refusal (the English detail goes alongside).
STATUS = {"BAD_USER_INPUT": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409,
          "LIMIT_EXCEEDED": 429, "WECHAT_UNAVAILABLE": 502}


def _error(status: int, message: str, detail: str = "", code: str = "") -> JSONResponse:
    return JSONResponse({"error": {"code": code or str(status), "message": message, "detail": detail}},
                        status_code=status)


def _refusal(exc: AllianceError) -> JSONResponse:
    if isinstance(exc, uscc_codes.InvalidUSCC):
        message = f"统一社会信用代码有误：{texts.zh_uscc_problem(exc.reason)}"
    elif isinstance(exc, BindingCodeRefused):
        message = "绑定码无效、已使用或已过期"
    elif isinstance(exc, NotBound):
        message = "尚未绑定企业"
    elif exc.code == "UNAUTHENTICATED":
        message = "登录已失效，请重新登录"
    elif exc.code == "LIMIT_EXCEEDED":
        message = "操作过于频繁，请稍后再试"
    elif exc.code == "WECHAT_UNAVAILABLE":
        message = "微信服务暂时不可用，请稍后再试"
    else:
        message = "请求未能完成"
    return _error(STATUS.get(exc.code, 400), message, exc.message, exc.code)


async def _json(request: Request) -> dict[str, Any]:
    body = await read_body(request, MAX_JSON)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise InvalidInput("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def _session_key(session: str) -> str:
    return "wxa:session:" + hashlib.sha256(session.encode()).hexdigest()


class MiniProgramApi:
    def __init__(self, services_getter: Callable[[], AllianceServices]) -> None:
        self.services_getter = services_getter

    def routes(self) -> list[BaseRoute]:
        def wrap(handler: Callable[[BotRuntime, Request], Any]) -> Callable[[Request], Any]:
            async def endpoint(request: Request) -> Response:
                try:
                    return await handler(runtime(self.services_getter()), request)
                except Refused as exc:
                    return _error(exc.status, "请求无效", exc.message)
                except AllianceError as exc:
                    return _refusal(exc)
            return endpoint

        return [
            Route(f"{PREFIX}/login", wrap(self.login), methods=["POST"]),
            Route(f"{PREFIX}/bind", wrap(self.bind), methods=["POST"]),
            Route(f"{PREFIX}/subscribe", wrap(self.subscribe), methods=["POST"]),
            Route(f"{PREFIX}/ask", wrap(self.ask), methods=["POST"]),
            Route(f"{PREFIX}/search", wrap(self.search), methods=["GET"]),
            Route(f"{PREFIX}/report", wrap(self.report), methods=["GET"]),
            Route(f"{PREFIX}/recognition", wrap(self.recognition), methods=["GET"]),
            Route(f"{PREFIX}/qrcode", wrap(self.qrcode), methods=["GET"]),
        ]

    # Sessions -----------------------------------------------------------------------------------------------
    async def _openid(self, bot: BotRuntime, request: Request, required: bool = True) -> str | None:
        session = request.headers.get("x-session", "")
        raw = await bot.services.cache.get(_session_key(session)) if session else None
        if raw is None and required:
            raise Unauthenticated("no mini-program session (or it expired): log in again")
        return raw.decode() if raw is not None else None

    async def _enterprises(self, bot: BotRuntime, openid: str) -> list[dict[str, Any]]:
        out = []
        for binding in await bot.accounts.bindings(openid):
            token = bot.services.tokens.issue(ENTERPRISE, f"wechat:{openid}", uscc=binding.uscc)
            out.append({"uscc": binding.uscc, "token": token, "subscribed": binding.subscribed})
        return out

    async def login(self, bot: BotRuntime, request: Request) -> Response:
        data = await _json(request)
        code = data.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > 256:
            raise InvalidInput("login needs the code from wx.login()")
        try:
            answer = await bot.api.code_to_session(code.strip())
        except WeChatUnavailable as exc:
            if exc.errcode in (40029, 40163):  # invalid code, code already used
                return _error(400, "登录凭证无效或已使用，请重新登录", exc.message, "INVALID_CODE")
            if exc.errcode == 45011:  # WeChat's rate limit of code2Session
                return _error(429, "登录过于频繁，请稍后再试", exc.message, "LIMIT_EXCEEDED")
            raise
        openid = answer.get("openid") if isinstance(answer, dict) else None
        if not isinstance(openid, str) or not openid:
            raise WeChatUnavailable("code2Session answered without an openid")
        # session_key is deliberately dropped here: nothing this server does needs it.
        session = secrets.token_urlsafe(32)
        await bot.services.cache.set(_session_key(session), openid.encode(), SESSION_TTL)
        enterprises = await self._enterprises(bot, openid)
        return JSONResponse({
            "session": session,
            "expiresIn": int(SESSION_TTL),
            "enterprises": enterprises,
            "token": enterprises[0]["token"] if enterprises else None,
            "uscc": enterprises[0]["uscc"] if enterprises else None,
        })

    async def bind(self, bot: BotRuntime, request: Request) -> Response:
        openid = await self._openid(bot, request)
        assert openid is not None
        data = await _json(request)
        uscc = await bot.accounts.bind(openid, str(data.get("code") or ""), channel="wxa")
        token = bot.services.tokens.issue(ENTERPRISE, f"wechat:{openid}", uscc=uscc)
        return JSONResponse({"uscc": uscc, "token": token})

    async def subscribe(self, bot: BotRuntime, request: Request) -> Response:
        openid = await self._openid(bot, request)
        assert openid is not None
        data = await _json(request)
        uscc = data.get("uscc") if isinstance(data.get("uscc"), str) else None
        if data.get("on", True):
            usccs = await bot.accounts.subscribe(openid, uscc)
        else:
            usccs = await bot.accounts.unsubscribe(openid, uscc)
        return JSONResponse({"usccs": usccs, "on": bool(data.get("on", True))})

    async def ask(self, bot: BotRuntime, request: Request) -> Response:
        openid = await self._openid(bot, request, required=False)
        data = await _json(request)
        # Without a session the conversation keeps no state (a fresh id each time): one visitor's list of
        # choices must never answer another's "1".
        user = ChatUser(openid, "wxa") if openid else ChatUser("anon:" + secrets.token_hex(8), "web")
        return JSONResponse({"reply": await bot.conversation.reply(user, str(data.get("text") or ""))})

    # Reading ----------------------------------------------------------------------------------------------
    async def _principal(self, bot: BotRuntime, request: Request) -> Principal:
        token = bearer(request.headers.get("authorization"))
        return await bot.services.authenticate(token) if token else ANONYMOUS

    async def search(self, bot: BotRuntime, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()
        code = uscc_codes.normalise(query)
        if len(code) == 18 and code.isascii() and code.isalnum():
            uscc_codes.validate(code)  # a mistyped code gets its reason rather than "no results"
        hits = await bot.services.enterprises.search(query, first=20)
        return JSONResponse({"query": query, "hits": [views.hit_view(h) for h in hits]})

    async def report(self, bot: BotRuntime, request: Request) -> Response:
        principal = await self._principal(bot, request)
        report = await bot.services.enterprises.report(principal, request.query_params.get("uscc", ""))
        view = views.report_view(report, await bot.services.standards.snapshot())
        view["summary"] = texts.report_text(report, await bot.services.standards.snapshot())
        return JSONResponse(view)

    async def recognition(self, bot: BotRuntime, request: Request) -> Response:
        report = await bot.services.enterprises.report(ANONYMOUS, request.query_params.get("uscc", ""))
        return JSONResponse({"uscc": report.uscc, "name": report.name, "recognisedCount": report.recognised_count,
                             "parkCount": len(report.recognition), "recognition": views.recognition_view(report)})

    async def qrcode(self, bot: BotRuntime, request: Request) -> Response:
        """The verifiable bundle (attestation + park statement + status list) of the enterprise's valid rating.

        Only the enterprise itself (or a park) sees its attestation, so only it can show this QR code."""
        principal = await self._principal(bot, request)
        if principal.is_anonymous:
            raise Unauthenticated("the QR code needs the enterprise's own token: log in and bind the enterprise")
        services = bot.services
        report = await services.enterprises.report(principal, request.query_params.get("uscc", ""))
        wanted = request.query_params.get("park")
        ratings = [r for r in report.ratings if r.attestation and r.verdict and (not wanted or r.park.id == wanted)]
        if not ratings:
            raise NotFound(f"no valid rating of {report.uscc} that this caller may show"
                           + (f" from park {wanted}" if wanted else ""))
        rating = ratings[0]
        statement, _ = await services.registry.statement(rating.park.id)
        status_list: str | None = None
        try:  # the park's signed status list makes the bundle checkable offline; without it, online only
            status_list = await services.federation.client.status_list(rating.park.status_list_uri,
                                                                       services.settings.park_deadline)
        except ParkCallFailed as exc:
            log.info("QR bundle without status list for %s: %s", rating.park.id, exc.detail)
        assert rating.attestation is not None
        bundle = make_bundle(rating.attestation, statement, status_list)
        return JSONResponse({
            "uscc": report.uscc, "name": report.name, "park": {"id": rating.park.id, "name": rating.park.name},
            "grade": rating.grade, "validTo": texts.day(rating.expires_at), "bundle": bundle,
            "statusListIncluded": status_list is not None,
        })


def routes(services_getter: Callable[[], AllianceServices]) -> list[BaseRoute]:
    return MiniProgramApi(services_getter).routes()
