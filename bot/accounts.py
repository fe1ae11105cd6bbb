"""Where the front-ends find the WeChat accounts use cases: on the services object."""

from __future__ import annotations

from alliance.services.app import AllianceServices
from alliance.services.wechat_accounts import WeChatAccounts


def accounts(services: AllianceServices) -> WeChatAccounts:
    return services.wechat_accounts
