"""Client-side rate limiting shared by the threads and asyncio tasks of one client.

KIS counts calls per second per app key and answers ``EGW00201`` beyond its limit, so the
client spaces its own calls instead of provoking that error.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """A GCRA (virtual-scheduling token bucket): slots ``1/rate`` seconds apart, at most
    ``burst`` of them back to back. ``rate <= 0`` disables it.

    Each caller reserves its own slot under a lock and then waits outside the lock, so
    concurrent callers never share a slot and a waiting caller never blocks the others.
    """

    def __init__(
        self, rate: float, *, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self._rate = float(rate)
        self._burst = burst
        self._clock = clock
        self._interval = 1.0 / self._rate if self._rate > 0 else 0.0
        # How far ahead of the schedule a caller may go: the burst beyond the first call.
        self._tolerance = self._interval * (burst - 1)
        self._tat: float | None = None  # theoretical arrival time of the next free slot
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        """Calls per second; ``<= 0`` means disabled."""
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self._rate!r}, burst={self._burst!r})"

    def reserve(self) -> float:
        """Take the next slot; return the seconds to wait before using it (0.0 if none)."""
        if self._rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            tat = now if self._tat is None or self._tat < now else self._tat
            self._tat = tat + self._interval
            return max(0.0, tat - self._tolerance - now)

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Block until the caller may send."""
        wait = self.reserve()
        if wait > 0:
            sleep(wait)

    async def aacquire(self) -> None:
        """Wait (without blocking the event loop) until the caller may send."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
