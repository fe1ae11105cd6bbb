"""/chat: the bot's conversation as a web page, over the same service layer.

The page and its script and style are served from this package (no resource from the internet). A visitor is a
"web" chat user, known by an opaque cookie; binding and notifications need WeChat, and the conversation says so.
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from alliance.services.app import AllianceServices
from bot import texts
from bot.conversation import ChatUser
from bot.runtime import runtime
from bot.wechat import Refused, read_body

HERE = Path(__file__).resolve().parent
STATIC = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}
COOKIE = "alliance_chat"
MAX_BODY = 4096
HEADERS = {
    # Everything comes from this server; the page runs only its own script.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def _page() -> str:
    template = (HERE / "templates" / "chat.html").read_text(encoding="utf-8")
    return template.replace("{{WELCOME}}", html.escape(texts.WELCOME))


def _visitor(request: Request) -> tuple[str, bool]:
    sid = request.cookies.get(COOKIE, "")
    if 16 <= len(sid) <= 64 and sid.replace("-", "").replace("_", "").isalnum():
        return sid, False
    return secrets.token_urlsafe(24), True


def _with_cookie(response: Response, sid: str, new: bool) -> Response:
    if new:
        response.set_cookie(COOKIE, sid, max_age=30 * 86400, httponly=True, samesite="strict", path="/chat")
    return response


def routes(services_getter: Callable[[], AllianceServices]) -> list[BaseRoute]:
    async def page(request: Request) -> Response:
        sid, new = _visitor(request)
        return _with_cookie(HTMLResponse(_page(), headers=HEADERS), sid, new)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return FileResponse(HERE / "static" / name, media_type=STATIC[name], headers=HEADERS)

    async def message(request: Request) -> Response:
        sid, new = _visitor(request)
        try:
            data = json.loads(await read_body(request, MAX_BODY) or b"{}")
        except Refused as exc:
            return JSONResponse({"error": {"message": "消息过长", "detail": exc.message}}, status_code=400)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return JSONResponse({"error": {"message": "请求格式有误", "detail": "expected {\"text\": \"...\"}"}},
                                status_code=400)
        bot = runtime(services_getter())
        reply = await bot.conversation.reply(ChatUser(sid, "web"), data["text"])
        return _with_cookie(JSONResponse({"reply": reply}), sid, new)

    return [
        Route("/chat", page, methods=["GET"]),
        Route("/chat/static/{name}", static, methods=["GET"]),
        Route("/chat/messages", message, methods=["POST"]),
    ]
