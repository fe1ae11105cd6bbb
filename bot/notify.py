"""Notifications: when a watched enterprise's grade, recognition or listing changes, tell its subscribers.

What changed is the service layer's answer (`WeChatAccounts.changes`); this module only words it and sends a
subscribe message through wechatpy's client. The template's fields (configure the template in WeChat's console
with these keys, and its id as `wechat_template_id` in the configuration file):
    thing1  the enterprise's name          (≤ 20 characters)
    thing2  what changed                   (≤ 20 characters)
    time3   when the change was noticed
A round runs every `wechat_notify_interval` seconds (default 300) on one replica at a time: the round's claim
is a set-if-absent in the shared cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from alliance.services.cache import SharedCache
from alliance.services.wechat_accounts import CreditChange, WeChatAccounts
from bot.texts import CHINA
from bot.wxclient import WeChatApi

log = logging.getLogger("bot.notify")

DEFAULT_TEMPLATE = "alliance-credit-change"
DEFAULT_INTERVAL = 300.0
THING_LIMIT = 20  # characters of a "thing" field in a subscribe message


def _best(summary: dict[str, Any]) -> str:
    grades = [g["grade"] for g in summary.get("grades", {}).values()]
    return "/".join(sorted(set(grades))) or "无"


def change_text(change: CreditChange) -> str:
    """At most 20 characters: what changed, before → after."""
    parts = []
    if "grade" in change.what:
        parts.append(f"等级{_best(change.before)}→{_best(change.after)}")
    if "recognition" in change.what:
        parts.append(f"互认{len(change.before.get('recognised', {}))}→{len(change.after.get('recognised', {}))}园区")
    if "listing" in change.what:
        kinds_before = {e["kind"] for e in change.before.get("listings", [])}
        kinds_after = {e["kind"] for e in change.after.get("listings", [])}
        if "black" in kinds_after - kinds_before:
            parts.append("列入黑名单")
        elif "red" in kinds_after - kinds_before:
            parts.append("列入红名单")
        elif kinds_before - kinds_after:
            parts.append("移出名单")
        else:
            parts.append("名单变更")
    return "；".join(parts)[:THING_LIMIT]


def message_data(change: CreditChange, when: datetime | None = None) -> dict[str, dict[str, str]]:
    when = when or datetime.now(CHINA)
    name = change.after.get("name") or change.name or change.uscc
    return {
        "thing1": {"value": str(name)[:THING_LIMIT]},
        "thing2": {"value": change_text(change) or "信用信息变更"},
        "time3": {"value": when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")},
    }


class Notifier:
    def __init__(self, accounts: WeChatAccounts, api: WeChatApi, cache: SharedCache, *,
                 template_id: str = DEFAULT_TEMPLATE, interval: float = DEFAULT_INTERVAL) -> None:
        self.accounts = accounts
        self.api = api
        self.cache = cache
        self.template_id = template_id
        self.interval = interval
        self._task: asyncio.Task | None = None

    async def run_once(self) -> int:
        """One round: find changes, send one subscribe message per subscriber. Returns the messages sent."""
        sent = 0
        for change in await self.accounts.changes():
            data = message_data(change)
            for binding in change.subscribers:
                page = f"pages/report/report?uscc={change.uscc}"
                try:
                    await self.api.send_subscribe(binding.openid, binding.channel, self.template_id, data, page)
                    sent += 1
                except Exception:  # one user who cannot be reached (unsubscribed, quota) costs only their message
                    log.exception("subscribe message for %s not sent", change.uscc)
        return sent

    async def _loop(self) -> None:
        while True:
            try:
                # One replica per round: the claim expires a little before the next round is due.
                if await self.cache.add("wx:notify:round", b"1", max(1.0, self.interval * 0.9)):
                    await self.run_once()
            except Exception:
                log.exception("notification round failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None and self.api.configured:
            self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
