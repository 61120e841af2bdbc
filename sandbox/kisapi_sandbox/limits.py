"""Per-app-key rate limits, answered with ``EGW00201`` like KIS (20/s real, 2/s mock)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

DEFAULT_RATES: Final[Mapping[str, float]] = {"real": 20.0, "mock": 2.0}


class RateLimits:
    """A token bucket per (environment, app key): ``rate`` calls a second, bursts of up to one
    second's worth. A rate of ``None`` or ``<= 0`` switches the limit off for that environment.

    A bucket rather than a fixed one-second window: a client that spaces its calls evenly at
    exactly the limit (the SDK's limiter) never trips it through scheduling jitter.
    """

    def __init__(
        self,
        rates: Mapping[str, float | None] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rates: dict[str, float | None] = dict(DEFAULT_RATES)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, at)
        if rates is not None:
            self.configure(rates)

    def __repr__(self) -> str:
        return f"RateLimits({self.rates!r})"

    @property
    def rates(self) -> dict[str, float | None]:
        with self._lock:
            return dict(self._rates)

    def configure(self, rates: Mapping[str, float | None]) -> None:
        """Set the calls per second of ``real`` and/or ``mock`` (None or 0 = off)."""
        with self._lock:
            for env, rate in rates.items():
                if env not in DEFAULT_RATES:
                    raise ValueError(f"unknown environment {env!r} (real or mock)")
                self._rates[env] = float(rate) if rate is not None and rate > 0 else None
            self._buckets.clear()

    def off(self) -> None:
        self.configure({"real": None, "mock": None})

    def reset(self) -> None:
        """Back to KIS's defaults, every bucket full."""
        self.configure(DEFAULT_RATES)

    def allow(self, env: str, appkey: str) -> bool:
        """Take one call from ``appkey``'s bucket; False when KIS would answer EGW00201."""
        with self._lock:
            rate = self._rates.get(env)
            if rate is None:
                return True
            capacity = max(rate, 1.0)
            now = self._clock()
            tokens, at = self._buckets.get((env, appkey), (capacity, now))
            tokens = min(capacity, tokens + (now - at) * rate)
            if tokens < 1.0:
                self._buckets[(env, appkey)] = (tokens, now)
                return False
            self._buckets[(env, appkey)] = (tokens - 1.0, now)
            return True


def parse_rates(text: str) -> dict[str, float | None]:
    """``--rate-limit`` values: ``off``, ``N`` (both environments) or ``REAL,MOCK``."""
    text = text.strip().lower()
    if text in ("off", "none", "0"):
        return {"real": None, "mock": None}
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise ValueError(f"rate limit {text!r}: use off, N or REAL,MOCK")
    values: list[float | None] = []
    for part in parts:
        number = float(part) if part not in ("off", "none") else 0.0
        values.append(number if number > 0 else None)
    return {"real": values[0], "mock": values[1]}
