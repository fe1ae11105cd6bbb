"""Calls to WeChat's API through wechatpy's client, against the configured base URL.

wechatpy's client is synchronous (requests): each call runs in a worker thread. Its token fetch is hard-wired
to api.weixin.qq.com and has no timeout, so `AllianceWeChatClient` fetches the token itself, from the configured
base URL and with a deadline. With Redis configured, the access token is kept there, so that replicas share one
token instead of invalidating each other's (WeChat keeps only the newest).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from alliance.config import Settings
from alliance.errors import AllianceError, InvalidInput

log = logging.getLogger("bot.wxclient")

TIMEOUT = 5.0


class WeChatUnavailable(AllianceError):
    code = "WECHAT_UNAVAILABLE"

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class AllianceWeChatClient(WeChatClient):
    def __init__(self, appid: str, secret: str, api_base: str, *, session: Any = None,
                 timeout: float = TIMEOUT) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        base = api_base.rstrip("/")
        self.api_base = base
        self.API_BASE_URL = f"{base}/cgi-bin/"
        self.wxa.API_BASE_URL = f"{base}/"  # mini-program APIs live beside cgi-bin/ (sns/jscode2session, ...)

    def fetch_access_token(self) -> dict[str, Any]:
        response = self._http.get(
            f"{self.api_base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self,
                                        request=response.request, response=response)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


def _session_storage(settings: Settings) -> Any:
    if not settings.redis_url:
        return MemoryStorage()
    import redis
    from wechatpy.session.redisstorage import RedisStorage

    # The prefix names the appid too (wechatpy's key is "{prefix}:{appid}_access_token").
    return RedisStorage(redis.Redis.from_url(settings.redis_url), prefix="alliance:wechatpy")


class WeChatApi:
    """The few WeChat calls the bot makes, awaitable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: AllianceWeChatClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.wechat_appid and self.settings.wechat_secret)

    @property
    def client(self) -> AllianceWeChatClient:
        if not self.configured:
            raise InvalidInput("WeChat API calls need ALLIANCE_WECHAT_APPID and ALLIANCE_WECHAT_SECRET")
        if self._client is None:
            self._client = AllianceWeChatClient(self.settings.wechat_appid, self.settings.wechat_secret,
                                                self.settings.wechat_api_base,
                                                session=_session_storage(self.settings))
        return self._client

    async def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except WeChatClientException as exc:
            raise WeChatUnavailable(f"WeChat refused {what}: {exc.errcode} {exc.errmsg}", exc.errcode) from exc
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"WeChat could not be reached for {what}: {type(exc).__name__}") from exc

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (the late answer to a push)."""
        await self._call("a customer-service message", self.client.message.send_text, openid, text)

    async def send_subscribe(self, openid: str, channel: str, template_id: str, data: dict[str, Any],
                             page: str | None = None) -> None:
        """A subscribe message: the mini-program's API for mini-program users, the official account's else."""
        if channel == "wxa":
            await self._call("a subscribe message", self.client.wxa.send_subscribe_message, openid, template_id,
                             data, page)
        else:
            await self._call("a subscribe message", self.client.message.send_subscribe_message, openid,
                             template_id, data, None, page)

    async def code_to_session(self, js_code: str) -> dict[str, Any]:
        """code2Session: {openid, session_key, unionid?}. The session_key stays on the server."""
        return await self._call("code2Session", self.client.wxa.code_to_session, js_code)
