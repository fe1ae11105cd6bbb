"""One bot per services object: the conversation, the WeChat API client, the deferred answers, de-duplication
and the notifier, made on first use and shared by every route (so shutting down drains what they started).

Options come from the configuration file (`Settings.extra`): `wechat_reply_deadline` (4.5 s),
`wechat_notify_interval` (300 s), `wechat_template_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.services.app import AllianceServices
from alliance.services.wechat_accounts import WeChatAccounts
from bot.accounts import accounts
from bot.conversation import Conversation
from bot.dedup import Deduplicator
from bot.deferred import REPLY_DEADLINE, Deferred
from bot.notify import DEFAULT_INTERVAL, DEFAULT_TEMPLATE, Notifier
from bot.wxclient import WeChatApi


@dataclass
class BotRuntime:
    services: AllianceServices
    accounts: WeChatAccounts
    conversation: Conversation
    api: WeChatApi
    deferred: Deferred
    dedup: Deduplicator
    notifier: Notifier


def runtime(services: AllianceServices) -> BotRuntime:
    existing = getattr(services, "_bot_runtime", None)
    if isinstance(existing, BotRuntime):
        return existing
    extra = services.settings.extra or {}
    wechat_accounts = accounts(services)
    api = WeChatApi(services.settings)
    made = BotRuntime(
        services=services,
        accounts=wechat_accounts,
        conversation=Conversation(services, wechat_accounts),
        api=api,
        deferred=Deferred(float(extra.get("wechat_reply_deadline", REPLY_DEADLINE))),
        dedup=Deduplicator(services.cache),
        notifier=Notifier(wechat_accounts, api, services.cache,
                          template_id=str(extra.get("wechat_template_id", DEFAULT_TEMPLATE)),
                          interval=float(extra.get("wechat_notify_interval", DEFAULT_INTERVAL))),
    )
    services._bot_runtime = made  # type: ignore[attr-defined]
    return made
