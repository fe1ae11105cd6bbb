"""WeChat pushes a message up to three times when it gets no answer in time: process each one once.

The first delivery claims the message's key with the shared cache's set-if-absent (Redis when configured, so
the claim holds across gateway replicas); later deliveries see the claim. A passive reply is kept beside the
claim, so that a retry whose first answer was lost on the way gets the same answer instead of a second run.
"""

from __future__ import annotations

from alliance.services.cache import SharedCache

CLAIM_TTL = 3600.0  # WeChat retries within ~15 s; an hour also covers slow or replayed deliveries


def message_key(msg_id: int | str | None, source: str, create_time: int | str, event: str | None = None) -> str:
    """Messages by MsgId; events (which carry none) by sender and creation time, as WeChat advises."""
    if msg_id:
        return f"id:{msg_id}"
    return f"ev:{source}:{create_time}:{event or ''}"


class Deduplicator:
    def __init__(self, cache: SharedCache, *, prefix: str = "wx:msg:", ttl: float = CLAIM_TTL) -> None:
        self.cache = cache
        self.prefix = prefix
        self.ttl = ttl

    async def claim(self, key: str) -> bool:
        """True for the one delivery that should process the message."""
        return await self.cache.add(self.prefix + key, b"1", self.ttl)

    async def keep_reply(self, key: str, body: bytes) -> None:
        await self.cache.set(self.prefix + "reply:" + key, body, self.ttl)

    async def kept_reply(self, key: str) -> bytes | None:
        return await self.cache.get(self.prefix + "reply:" + key)
