"""A simulated, deterministic KRX market: one seeded random-walk price path per stock and
trading day on KRX tick sizes, read through an injectable clock (Korean time).

Equal seeds give equal paths whatever the order of the questions, so tests can ask the market
where a price will be before they place an order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal

import attrs

from kisapi_runtime.codecs import KST

from .values import PRICE_LIMIT, STOCKS, rng, tick

OPEN = time(9, 0)
CLOSE = time(15, 30)
SESSION_SECONDS = (CLOSE.hour - OPEN.hour) * 3600 + (CLOSE.minute - OPEN.minute) * 60
MAX_SCAN_DAYS = 400
"""How far back a working order is checked against the path (bounds every scan)."""

Clock = Callable[[], datetime]
Side = Literal["buy", "sell"]
NAMES = dict(STOCKS)


def kst(when: datetime) -> datetime:
    """``when`` in Korean time; a naive datetime is taken to be Korean time already."""
    return when.replace(tzinfo=KST) if when.tzinfo is None else when.astimezone(KST)


def system_clock() -> datetime:
    return datetime.now(KST)


class ManualClock:
    """A clock that moves only when told to (tests, replays)."""

    def __init__(self, start: datetime) -> None:
        self._now = kst(start)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        self._now += timedelta(seconds=seconds, **delta)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = kst(when)


def align(price: float) -> int:
    """The nearest price on the KRX tick grid."""
    whole = max(round(price), 1)
    step = tick(whole)
    return max(round(whole / step) * step, step)


def on_tick(price: int) -> bool:
    return price > 0 and price % tick(price) == 0


def business_day(day: date) -> bool:
    """Weekdays; the sandbox keeps no holiday calendar."""
    return day.weekday() < 5


def add_business_days(day: date, days: int) -> date:
    step = 1 if days >= 0 else -1
    left = abs(days)
    while left:
        day += timedelta(days=step)
        left -= business_day(day)
    return day


def in_session(when: datetime) -> bool:
    """Regular KRX session: business day, 09:00 <= time < 15:30 (Korean time)."""
    when = kst(when)
    return business_day(when.date()) and OPEN <= when.time() < CLOSE


def stock_name(code: str) -> str:
    return NAMES.get(code, f"모의종목{code}")


@attrs.frozen
class Quote:
    """The state of one stock at one moment of the simulated day."""

    code: str
    price: int
    reference: int
    """Previous close, the base of the day's change and price band."""
    open: int
    high: int
    low: int
    at: datetime

    @property
    def change(self) -> int:
        return self.price - self.reference

    @property
    def change_rate(self) -> float:
        return 100.0 * self.change / self.reference


class Market:
    """Seeded price paths for every stock code, sampled every ``step_seconds`` of the session.

    Before the open a stock trades at its reference price, after the close at its last price;
    a weekend shows the previous business day's close.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Clock = system_clock,
        step_seconds: int = 10,
        daily_volatility: float = 0.02,
        base_prices: Mapping[str, int] | None = None,
    ) -> None:
        if step_seconds <= 0:
            raise ValueError("step_seconds must be positive")
        self.seed = seed
        self.clock = clock
        self.step = timedelta(seconds=step_seconds)
        self.steps = SESSION_SECONDS // step_seconds
        self.volatility = daily_volatility
        self.base_prices = dict(base_prices or {})
        self._paths: dict[tuple[str, date], tuple[int, ...]] = {}

    def now(self) -> datetime:
        return kst(self.clock())

    # --- the path --------------------------------------------------------------------

    def base(self, code: str) -> int:
        """A stock's long-run price level (the same base the spec-driven quotes use)."""
        if code in self.base_prices:
            return self.base_prices[code]
        return rng("base", code).randint(2_000, 300_000)

    def reference(self, code: str, day: date) -> int:
        """The reference (previous close) price of ``code`` on ``day``."""
        if code in self.base_prices:
            return align(self.base_prices[code])
        r = rng("reference", self.seed, code, day.isoformat())
        return align(self.base(code) * math.exp(r.gauss(0.0, 0.03)))

    def path(self, code: str, day: date) -> tuple[int, ...]:
        """Prices at each step of ``day``'s session; step 0 opens at the reference price."""
        key = (code, day)
        cached = self._paths.get(key)
        if cached is not None:
            return cached
        ref = self.reference(code, day)
        low, high = math.log(ref * (1 - PRICE_LIMIT)), math.log(ref * (1 + PRICE_LIMIT))
        sigma = self.volatility / math.sqrt(self.steps)
        r = rng("path", self.seed, code, day.isoformat())
        level = math.log(ref)
        prices = [ref]
        for _ in range(self.steps - 1):
            level = min(max(level + r.gauss(0.0, sigma), low), high)
            prices.append(align(math.exp(level)))
        if len(self._paths) > 4096:  # bounded cache: drop the oldest paths
            for old in list(self._paths)[:1024]:
                del self._paths[old]
        path = self._paths[key] = tuple(prices)
        return path

    def position(self, when: datetime) -> tuple[date, int]:
        """(trading day, step index) whose price holds at ``when``."""
        when = kst(when)
        day = when.date()
        if not business_day(day):
            return add_business_days(day, -1), self.steps - 1
        if when.time() < OPEN:
            return day, 0
        return day, min(int((when - _at(day, OPEN)) / self.step), self.steps - 1)

    def step_time(self, day: date, index: int) -> datetime:
        return _at(day, OPEN) + index * self.step

    def close_time(self, day: date) -> datetime:
        return _at(day, CLOSE)

    # --- questions -------------------------------------------------------------------

    def price(self, code: str, when: datetime | None = None) -> int:
        day, index = self.position(self.now() if when is None else when)
        return self.path(code, day)[index]

    def quote(self, code: str, when: datetime | None = None) -> Quote:
        when = self.now() if when is None else kst(when)
        day, index = self.position(when)
        seen = self.path(code, day)[: index + 1]
        return Quote(code=code, price=seen[-1], reference=self.reference(code, day),
                     open=seen[0], high=max(seen), low=min(seen), at=when)  # fmt: skip

    def first_cross(
        self, code: str, side: Side, limit: int, after: datetime, until: datetime
    ) -> datetime | None:
        """The first step after ``after`` and up to ``until`` at which the path reaches
        ``limit``: at or below it for a buy, at or above it for a sell."""
        after, until = kst(after), kst(until)
        if until <= after:
            return None
        day = after.date()
        for _ in range(MAX_SCAN_DAYS):
            if day > until.date():
                break
            if business_day(day):
                first = 0 if day > after.date() else self._steps_done(after, day)
                last = self._steps_done(until, day) - 1
                path = self.path(code, day)
                for index in range(first, last + 1):
                    price = path[index]
                    if (price <= limit) if side == "buy" else (price >= limit):
                        return self.step_time(day, index)
            day += timedelta(days=1)
        return None

    def _steps_done(self, when: datetime, day: date) -> int:
        """How many of ``day``'s steps have started by ``when`` (same day or later)."""
        if when.date() > day:
            return self.steps
        if when.time() < OPEN:
            return 0
        return min(int((when - _at(day, OPEN)) / self.step) + 1, self.steps)


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=KST)
