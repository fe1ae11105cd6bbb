"""The official account's endpoint, /wechat: WeChat's server verification (GET) and pushes (POST).

Order of checks on a push, so that nothing is processed before it is known to come from WeChat:
1. size: at most MAX_BODY bytes (400), read with a cap whatever Content-Length claims;
2. signature: `signature` over (token, timestamp, nonce) whenever it is sent (plaintext and safe mode both carry
   it), and in safe mode `msg_signature` over (token, timestamp, nonce, Encrypt) always (403, nothing done);
3. XML: no DOCTYPE/ENTITY declarations (400), well-formed (400), in the envelope and in the decrypted message;
4. de-duplication of WeChat's retries (`bot.dedup`), then the answer within the reply deadline (`bot.deferred`),
   as a text reply, encrypted in safe mode, or `success` and a customer-service message later.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import string
import time
from collections.abc import Callable
from typing import Any

import xmltodict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

from alliance.services.app import AllianceServices
from alliance.services.wechat_accounts import NotBound
from bot.conversation import ChatUser
from bot.dedup import message_key
from bot.runtime import BotRuntime, runtime

log = logging.getLogger("bot.wechat")

MAX_BODY = 64 * 1024  # a push is a few hundred bytes (a text message at most ~2 KB, x1.4 encrypted)
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
SUCCESS = b"success"


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def new_credentials() -> dict[str, str]:
    """A Token and an EncodingAESKey as WeChat's console makes them (for the demo, or to paste into the console):
    set them as ALLIANCE_WECHAT_TOKEN and ALLIANCE_WECHAT_AES_KEY."""
    alphabet = string.ascii_letters + string.digits
    return {
        "wechat_token": "".join(secrets.choice(alphabet) for _ in range(32)),
        "wechat_aes_key": "".join(secrets.choice(alphabet) for _ in range(43)),
    }


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts (wechatpy's signer)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """The <xml> root of a push as a dict; Refused(400) for entity tricks and malformed XML."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _DECLARATION.search(raw):
        raise Refused(400, "XML with DOCTYPE or entity declarations is refused")
    try:
        doc = xmltodict.parse(raw, disable_entities=True)
    except Exception as exc:  # expat's errors, and xmltodict's own for entities
        raise Refused(400, f"malformed XML: {exc}") from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise Refused(400, "malformed push: the root element must be <xml> with children")
    return root


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise Refused(400, f"body too large or Content-Length invalid (limit {limit} bytes)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refused(400, f"body too large (limit {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


class WeChatEndpoint:
    def __init__(self, services_getter: Callable[[], AllianceServices]) -> None:
        self.services_getter = services_getter

    async def handle(self, request: Request) -> Response:
        bot = runtime(self.services_getter())
        settings = bot.services.settings
        if not settings.wechat_token:
            return PlainTextResponse("WeChat is not configured: set ALLIANCE_WECHAT_TOKEN", status_code=503)
        try:
            if request.method == "GET":
                return self._verify_server(request, settings.wechat_token)
            return await self._push(request, bot)
        except Refused as exc:
            if exc.status == 403:
                log.warning("WeChat push refused: %s", exc.message)
            return PlainTextResponse(exc.message, status_code=exc.status)

    # GET: WeChat checks that the server knows the token ------------------------------------------------
    @staticmethod
    def _verify_server(request: Request, token: str) -> Response:
        q = request.query_params
        timestamp, nonce, echostr = q.get("timestamp", ""), q.get("nonce", ""), q.get("echostr")
        if not _same(sign(token, timestamp, nonce), q.get("signature")):
            raise Refused(403, "signature does not match")
        if echostr is None:
            raise Refused(400, "echostr is missing")
        return PlainTextResponse(echostr)

    # POST: a message or an event ---------------------------------------------------------------------
    async def _push(self, request: Request, bot: BotRuntime) -> Response:
        started = time.monotonic()
        settings = bot.services.settings
        q = request.query_params
        token, timestamp, nonce = settings.wechat_token, q.get("timestamp", ""), q.get("nonce", "")
        safe = q.get("encrypt_type", "raw").lower() == "aes"
        body = await read_body(request)
        if q.get("signature") is not None or not safe:
            if not _same(sign(token, timestamp, nonce), q.get("signature")):
                raise Refused(403, "signature does not match")
        crypto: WeChatCrypto | None = None
        if safe:
            crypto = self._crypto(bot)
            envelope = parse_xml(body)
            encrypted = envelope.get("Encrypt")
            if not isinstance(encrypted, str) or not encrypted:
                raise Refused(400, "safe-mode push without <Encrypt>")
            msg_signature = q.get("msg_signature")
            if not _same(sign(token, timestamp, nonce, encrypted), msg_signature):
                raise Refused(403, "msg_signature does not match")
            try:
                xml: str | bytes = crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException):
                raise Refused(403, "encrypted for another account") from None
            except Exception:  # bad base64, padding or length: not something WeChat sent
                raise Refused(400, "the encrypted message cannot be decrypted") from None
        else:
            xml = body
        fields = parse_xml(xml)
        if not isinstance(fields.get("MsgType"), str) or not isinstance(fields.get("FromUserName"), str):
            raise Refused(400, "malformed push: MsgType and FromUserName are required")
        message = parse_message(xml)

        key = message_key(fields.get("MsgId"), fields["FromUserName"], str(fields.get("CreateTime", "")),
                          str(fields.get("Event") or ""))
        if not await bot.dedup.claim(key):
            # A retry: the same answer if it was given passively, else nothing more (it went out late).
            return Response(await bot.dedup.kept_reply(key) or SUCCESS, media_type="application/xml")

        user = ChatUser(fields["FromUserName"], "mp")

        async def late(text: str) -> None:
            if text and bot.api.configured:
                await bot.api.send_text(user.id, text)
            elif text:
                log.warning("a late answer is lost: ALLIANCE_WECHAT_SECRET is not configured")

        text = await bot.deferred.answer(started, lambda: self._answer(bot, user, message), late)
        if not text:
            return Response(SUCCESS, media_type="text/plain")
        reply = TextReply(content=text, message=message, time=int(time.time())).render()
        if crypto is not None:
            reply = crypto.encrypt_message(reply, str(secrets.randbelow(10**10)), str(int(time.time())))
        out = reply.encode("utf-8")
        await bot.dedup.keep_reply(key, out)
        return Response(out, media_type="application/xml")

    @staticmethod
    def _crypto(bot: BotRuntime) -> WeChatCrypto:
        settings = bot.services.settings
        if not settings.wechat_aes_key or not settings.wechat_appid:
            raise Refused(400, "safe mode needs ALLIANCE_WECHAT_AES_KEY and ALLIANCE_WECHAT_APPID")
        try:
            return WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
        except Exception:
            raise Refused(500, "ALLIANCE_WECHAT_AES_KEY is not a 43-character EncodingAESKey") from None

    @staticmethod
    async def _answer(bot: BotRuntime, user: ChatUser, message: Any) -> str:
        conversation = bot.conversation
        if message.type == "text":
            return await conversation.reply(user, message.content or "")
        if message.type == "event":
            event = getattr(message, "event", "")
            if event in ("subscribe", "subscribe_scan"):
                return conversation.welcome()
            if event == "unsubscribe":
                try:  # an unfollowed user cannot receive notifications any more
                    await bot.accounts.unsubscribe(user.id)
                except NotBound:
                    pass
                return ""
            if event == "click" and getattr(message, "key", ""):
                return await conversation.reply(user, message.key)
            if event in ("view", "location", "templatesendjobfinish", "masssendjobfinish"):
                return ""  # events that expect no answer
        return conversation.help("暂不支持此类消息，请发送文字。\n\n")
