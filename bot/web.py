"""What the gateway mounts: the bot's routes and its background work.

    app.router.routes.extend(bot.web.routes(lambda: app.state.services))
    stop = await bot.web.start_background(services)   # in the lifespan, after the services open
    ...
    await stop()                                      # before the services close
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute, Route

from alliance.services.app import AllianceServices
from bot import chat, miniprogram_api
from bot.runtime import runtime
from bot.wechat import WeChatEndpoint


def routes(services_getter: Callable[[], AllianceServices]) -> list[BaseRoute]:
    return [
        Route("/wechat", WeChatEndpoint(services_getter).handle, methods=["GET", "POST"]),
        *miniprogram_api.routes(services_getter),
        *chat.routes(services_getter),
    ]


async def start_background(services: AllianceServices) -> Callable[[], Awaitable[None]]:
    """Start the notifier (when WeChat's API is configured); the stopper also waits for late answers."""
    bot = runtime(services)
    bot.notifier.start()

    async def stop() -> None:
        await bot.notifier.stop()
        await bot.deferred.drain()

    return stop
