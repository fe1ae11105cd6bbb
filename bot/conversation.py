"""The conversation, in Chinese: (user, text) → reply text, over the service layer.

Shared by the official account (/wechat), the web chat (/chat) and the mini-program API. It reads commands and
formats answers; every rule (who sees what, recognition, bindings) is the service layer's.

Commands: 查询/评级 + USCC or name (a numbered list when a name matches several; reply with the number),
互认, 标准, 绑定 + code, 解绑, 订阅, 退订, 帮助. A bare 18-character USCC is a query too.
Short-lived state (the last list offered, the enterprise last asked about) lives in the shared cache, so any
gateway replica continues a conversation.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass

from alliance.core import uscc as uscc_codes
from alliance.errors import AllianceError, InvalidInput, LimitExceeded
from alliance.services.app import AllianceServices
from alliance.services.auth import ANONYMOUS, ENTERPRISE, Principal
from alliance.services.enterprises import EnterpriseReport
from alliance.services.wechat_accounts import BindingCodeRefused, NotBound, WeChatAccounts
from bot import texts
from bot.accounts import accounts

log = logging.getLogger("bot.conversation")

MAX_TEXT = 200  # characters of a message worth reading; longer ones are not commands
CHOICES_TTL = 600.0
LAST_TTL = 3600.0
MAX_CHOICES = 8
WECHAT_CHANNELS = ("mp", "wxa")

COMMANDS = {
    "查询": "query", "评级": "query", "查": "query",
    "互认": "recognition",
    "标准": "standard",
    "绑定": "bind",
    "解绑": "unbind", "解除绑定": "unbind",
    "订阅": "subscribe",
    "退订": "unsubscribe", "取消订阅": "unsubscribe",
    "帮助": "help", "help": "help", "?": "help", "？": "help", "菜单": "help",
}
# Longest first, so that 解除绑定 wins over 绑定 and 查询 over 查.
_ORDERED = sorted(COMMANDS, key=len, reverse=True)
_SPACES = re.compile(r"[\s\u3000:：,，]+")


@dataclass(frozen=True)
class ChatUser:
    """Who is talking: an openid on a WeChat channel ("mp", "wxa"), or a web chat session ("web")."""

    id: str
    channel: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.id}"

    @property
    def wechat(self) -> bool:
        return self.channel in WECHAT_CHANNELS


def parse(text: str) -> tuple[str, str]:
    """(command, argument); command "" when the text is no command."""
    cleaned = _SPACES.sub(" ", text).strip()
    lowered = cleaned.lower()
    for word in _ORDERED:
        if lowered.startswith(word):
            return COMMANDS[word], cleaned[len(word):].strip()
    if cleaned.isdigit() and len(cleaned) <= 2:
        return "choose", cleaned
    if _meant_as_code(cleaned):
        return "query", cleaned
    return "", cleaned


def _meant_as_code(text: str) -> bool:
    """18 letters and digits: meant as a USCC, even with a typo (which then gets its reason, not a search)."""
    code = uscc_codes.normalise(text)
    return len(code) == 18 and code.isascii() and code.isalnum()


class Conversation:
    def __init__(self, services: AllianceServices, wechat_accounts: WeChatAccounts | None = None) -> None:
        self.services = services
        self.accounts = wechat_accounts or accounts(services)

    # Entry points ---------------------------------------------------------------------------------------
    async def reply(self, user: ChatUser, text: str) -> str:
        """The reply to one message. Never raises: a failure is a reply that says what went wrong."""
        try:
            return texts.fit(await self._dispatch(user, (text or "")[:MAX_TEXT * 2]))
        except AllianceError as exc:
            return texts.fit(self._error(exc))
        except Exception:  # a bug or an outage must still give the user an answer
            log.exception("conversation failed for %s", user.channel)
            return "系统繁忙，请稍后再试。"

    def welcome(self) -> str:
        return texts.fit(texts.WELCOME)

    def help(self, prefix: str = "") -> str:
        return texts.fit(prefix + texts.HELP)

    # Dispatch -------------------------------------------------------------------------------------------
    async def _dispatch(self, user: ChatUser, text: str) -> str:
        if len(text.strip()) > MAX_TEXT:
            return self.help("消息过长，未能识别。\n\n")
        command, arg = parse(text)
        if command == "query":
            return await self._query(user, arg)
        if command == "choose":
            return await self._choose(user, int(arg))
        if command == "recognition":
            return await self._recognition(user, arg)
        if command == "standard":
            return texts.standard_text(await self.services.standards.snapshot())
        if command == "bind":
            return await self._bind(user, arg)
        if command == "unbind":
            return await self._unbind(user, arg)
        if command in ("subscribe", "unsubscribe"):
            return await self._subscribe(user, arg, command == "subscribe")
        if command == "help":
            return self.help()
        return self.help("抱歉，没有理解您的意思。\n\n")

    async def _query(self, user: ChatUser, arg: str) -> str:
        if not arg:
            remembered = await self._remembered(user)
            if remembered is None:
                return "请发送“查询 + 统一社会信用代码或企业名称”，例如：查询 914403001922038216"
            return await self._report_text(user, remembered)
        if _meant_as_code(arg):
            return await self._report_text(user, uscc_codes.validate(arg))
        if len(arg) < 2:
            return "请至少输入企业名称中的 2 个字，或 18 位统一社会信用代码。"
        hits = await self.services.enterprises.search(arg, first=MAX_CHOICES)
        if not hits:
            return texts.not_found_text(arg)
        if len(hits) == 1:
            return await self._report_text(user, hits[0].uscc)
        await self.services.cache.set(f"chat:choices:{user.key}",
                                      json.dumps([h.uscc for h in hits]).encode(), CHOICES_TTL)
        return texts.choices_text(arg, hits)

    async def _choose(self, user: ChatUser, number: int) -> str:
        raw = await self.services.cache.get(f"chat:choices:{user.key}")
        if raw is None:
            return self.help("请先发送“查询 + 企业名称”，再回复序号。\n\n")
        choices = json.loads(raw)
        if not 1 <= number <= len(choices):
            return f"请回复 1 到 {len(choices)} 之间的序号。"
        return await self._report_text(user, choices[number - 1])

    async def _recognition(self, user: ChatUser, arg: str) -> str:
        if arg:
            code = uscc_codes.validate(arg)
        else:
            remembered = await self._remembered(user)
            if remembered is None:
                return "请先查询一家企业，或发送“互认 + 统一社会信用代码”。"
            code = remembered
        report = await self.report(user, code)
        return texts.recognition_text(report)

    async def _bind(self, user: ChatUser, arg: str) -> str:
        if not user.wechat:
            return "绑定企业请在微信公众号或小程序中进行。"
        if not arg:
            return "请发送“绑定 + 绑定码”，绑定码由企业所在园区发放，24 小时内有效，仅可使用一次。"
        uscc = await self.accounts.bind(user.id, arg, channel=user.channel)
        await self._remember(user, uscc)
        return (f"绑定成功！本微信已绑定企业 {uscc}。\n"
                "发送“查询”查看本企业评级（含评分），发送“订阅”接收评级、互认和名单变动通知。")

    async def _unbind(self, user: ChatUser, arg: str) -> str:
        if not user.wechat:
            return "解绑请在微信公众号或小程序中进行。"
        done = await self.accounts.unbind(user.id, uscc_codes.validate(arg) if arg else None)
        return "已解除绑定：" + "、".join(done)

    async def _subscribe(self, user: ChatUser, arg: str, on: bool) -> str:
        if not user.wechat:
            return "变动通知通过微信发送，请在微信公众号或小程序中订阅。"
        uscc = uscc_codes.validate(arg) if arg else None
        if on:
            done = await self.accounts.subscribe(user.id, uscc)
            return "已订阅以下企业的评级、互认和名单变动通知：\n" + "\n".join(done) + "\n发送“退订”可取消。"
        done = await self.accounts.unsubscribe(user.id, uscc)
        return "已退订以下企业的变动通知：\n" + "\n".join(done)

    # Reports --------------------------------------------------------------------------------------------
    async def principal(self, user: ChatUser, uscc: str) -> Principal:
        """A bound WeChat user sees all of its own enterprise (the score too); everyone else what is public."""
        if user.wechat:
            try:
                bound = {b.uscc for b in await self.accounts.bindings(user.id)}
            except InvalidInput:
                bound = set()
            if uscc in bound:
                return Principal(f"wechat:{user.id}", ENTERPRISE, uscc=uscc)
        return ANONYMOUS

    async def report(self, user: ChatUser, uscc: str) -> EnterpriseReport:
        report = await self.services.enterprises.report(await self.principal(user, uscc), uscc)
        await self._remember(user, report.uscc)
        return report

    async def _report_text(self, user: ChatUser, uscc: str) -> str:
        report = await self.report(user, uscc)
        return texts.report_text(report, await self.services.standards.snapshot())

    async def _remember(self, user: ChatUser, uscc: str) -> None:
        await self.services.cache.set(f"chat:last:{user.key}", uscc.encode(), LAST_TTL)

    async def _remembered(self, user: ChatUser) -> str | None:
        raw = await self.services.cache.get(f"chat:last:{user.key}")
        if raw is not None:
            return raw.decode()
        if user.wechat:
            bound = await self.accounts.bindings(user.id)
            if bound:
                return bound[0].uscc
        return None

    # Errors ---------------------------------------------------------------------------------------------
    @staticmethod
    def _error(exc: AllianceError) -> str:
        if isinstance(exc, uscc_codes.InvalidUSCC):
            return f"统一社会信用代码有误：{texts.zh_uscc_problem(exc.reason)}。\n请核对后重新发送。"
        if isinstance(exc, BindingCodeRefused):
            return "绑定码无效、已使用或已过期。请向企业所在园区重新申领绑定码（24 小时内有效，仅可使用一次）。"
        if isinstance(exc, NotBound):
            return "您尚未绑定该企业。请发送“绑定 + 绑定码”，绑定码由企业所在园区发放。"
        if isinstance(exc, LimitExceeded):
            return "尝试次数过多，请一小时后再试。"
        if isinstance(exc, InvalidInput):
            return f"输入有误：{exc.message}"
        return f"暂时无法完成：{exc.message}"
