"""A circuit breaker per park: after repeated failures stop calling for a while, then let one call probe."""

from __future__ import annotations

import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, failures: int, reset_seconds: float) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self.failures = 0
        self.opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> str:
        if self.failures < self.threshold:
            return CLOSED
        if time.monotonic() - self.opened_at >= self.reset_seconds:
            return HALF_OPEN
        return OPEN

    def allow(self) -> bool:
        """May we call now? In half-open state only one probe goes through at a time."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        self.failures = 0
        self._probing = False

    def record_failure(self) -> None:
        self._probing = False
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()
