"""What several gateway replicas must share: a key-value cache with expiry and set-if-absent.

In-process by default; Redis when `ALLIANCE_REDIS_URL` is set, so that replicas share verified attestations,
WeChat message de-duplication and rate limits.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol


class SharedCache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: float) -> None: ...
    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Set only if absent; True when this call set it (the first of several replicas to see a message)."""
        ...

    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


class MemoryCache:
    """A bounded LRU with per-entry expiry, for one process."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.max_entries = max_entries

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return item[1]

    async def get(self, key: str) -> bytes | None:
        return self._live(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._data[key] = (time.monotonic() + ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    def __init__(self, url: str, prefix: str = "alliance:") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self.prefix = prefix

    async def get(self, key: str) -> bytes | None:
        return await self._redis.get(self.prefix + key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000)))

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(await self._redis.set(self.prefix + key, value, px=max(1, int(ttl * 1000)), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self.prefix + key)

    async def close(self) -> None:
        await self._redis.aclose()


def open_cache(redis_url: str, prefix: str = "alliance:") -> SharedCache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()
