"""The 5-second rule: WeChat drops a push it gets no answer to within 5 s (and retries it).

`Deferred.answer` runs the answer as a task and waits until the reply deadline (4.5 s after the push arrived,
less a margin for encrypting and sending). Ready in time: the caller replies with it. Not ready: the caller
replies `success` at once, and the answer goes out through `late(text)` (a customer-service message) when it is
ready. The tasks still running are kept, so that shutting down can wait for them.

Under heavy load the event loop runs late: a timer set for 4 s fires later, and the reply is written later
still. A small probe measures that lag, and the wait is shortened by twice the recent lag, so the reply still
leaves in time when the gateway is overloaded (the answer then comes as a customer-service message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("bot.deferred")

REPLY_DEADLINE = 4.5  # seconds after the push arrived; WeChat's own limit is 5
MARGIN = 0.5  # for encrypting and writing the reply
PROBE_EVERY = 0.1
LAG_MEMORY = 20  # probes: the lag of the last ~2 s counts
MAX_LAG_ALLOWANCE = 2.5


class LagProbe:
    """How late the event loop runs its timers, lately (the largest of the last LAG_MEMORY probes)."""

    def __init__(self) -> None:
        self._lags: list[float] = [0.0]
        self._task: asyncio.Task | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(PROBE_EVERY)
            self._lags.append(max(0.0, time.monotonic() - before - PROBE_EVERY))
            del self._lags[:-LAG_MEMORY]

    @property
    def lag(self) -> float:
        return max(self._lags)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


class Deferred:
    def __init__(self, deadline: float = REPLY_DEADLINE, margin: float = MARGIN) -> None:
        self.deadline = deadline
        self.margin = margin
        self.probe = LagProbe()
        self._late: set[asyncio.Task] = set()

    def wait_budget(self, started: float) -> float:
        """Seconds left to wait for an answer that arrived at `started` (a time.monotonic() reading)."""
        allowance = min(2 * self.probe.lag, MAX_LAG_ALLOWANCE)
        return max(0.0, started + self.deadline - self.margin - allowance - time.monotonic())

    async def answer(self, started: float, make: Callable[[], Awaitable[str]],
                     late: Callable[[str], Awaitable[None]]) -> str | None:
        """The answer if it is ready before the deadline, else None and the answer is handed to `late` when it
        is ready."""
        self.probe.ensure_running()
        task = asyncio.ensure_future(make())
        handed_over = False
        try:
            done, _ = await asyncio.wait({task}, timeout=self.wait_budget(started))
            if task in done:
                return task.result()
            handed_over = True
            self._hand_over(task, late)
            return None
        finally:
            # Cancelled while waiting (the client went away): the answer still goes out later.
            if not handed_over and not task.done():
                self._hand_over(task, late)

    def _hand_over(self, task: asyncio.Task, late: Callable[[str], Awaitable[None]]) -> None:
        async def deliver() -> None:
            try:
                text = await task
            except Exception:
                log.exception("a deferred answer failed")
                return
            try:
                await late(text)
            except Exception:
                log.exception("a deferred answer could not be delivered")

        runner = asyncio.ensure_future(deliver())
        self._late.add(runner)
        runner.add_done_callback(self._late.discard)

    @property
    def pending(self) -> int:
        return len(self._late)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait (up to `timeout`) for the answers still on their way; cancel what remains."""
        self.probe.stop()
        if not self._late:
            return
        _, still = await asyncio.wait(set(self._late), timeout=timeout)
        for task in still:
            task.cancel()
