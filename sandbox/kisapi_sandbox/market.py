"""A simulated, deterministic market: per instrument (``instruments``) a seeded daily random
walk of closes and, per trading day, an intraday path on the instrument's tick grid that opens
at the previous close and ends at the day's close, read through an injectable clock.

Everything else derives from those paths: daily/weekly/monthly bars, minute bars and trades
(:mod:`bars`), quotes and order books, the paper broker's fills and the WebSocket ticks, so
they agree with each other. Equal seeds give equal paths whatever the order of the questions,
so tests can ask the market where a price will be before they place an order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

import attrs

from kisapi_runtime.codecs import KST

from .holidays import is_trading_day
from .instruments import Instrument, instrument
from .values import rng, tick

OPEN = time(9, 0)
CLOSE = time(15, 30)
SESSION_SECONDS = (CLOSE.hour - OPEN.hour) * 3600 + (CLOSE.minute - OPEN.minute) * 60
MAX_SCAN_DAYS = 400
"""How far back a working order is checked against the path (bounds every scan)."""
PATHS_KEPT: Final = 4096

Clock = Callable[[], datetime]
Side = Literal["buy", "sell"]


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


def fixed_clock(day: date, moment: time = CLOSE) -> Clock:
    """A clock standing still at ``moment`` of ``day`` (Korean time)."""
    when = datetime.combine(day, moment, tzinfo=KST)
    return lambda: when


def align(price: float) -> int:
    """The nearest price on the KRX tick grid."""
    whole = max(round(price), 1)
    step = tick(whole)
    return max(round(whole / step) * step, step)


def on_tick(price: int) -> bool:
    return price > 0 and price % tick(price) == 0


def business_day(day: date) -> bool:
    """A KRX trading day: a weekday that is no KRX holiday (``holidays``)."""
    return is_trading_day(day)


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
    return instrument(code).name


def trading_day(inst: Instrument, day: date) -> bool:
    """Whether ``inst``'s exchange trades on ``day`` (KRX holidays at home, weekdays abroad)."""
    return is_trading_day(day) if inst.zone == "Asia/Seoul" else day.weekday() < 5


@cache
def _zone(name: str) -> tzinfo:
    return KST if name == "Asia/Seoul" else ZoneInfo(name)


@cache
def _year_days(domestic: bool, year: int) -> tuple[date, ...]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        if is_trading_day(day) if domestic else day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return tuple(out)


@cache
def _volume_shape(steps: int) -> tuple[float, ...]:
    """Relative activity over a session: busy at the open and the close (a U)."""
    return tuple(1 + 2.0 * (2 * i / steps - 1) ** 2 for i in range(steps))


@attrs.frozen
class Quote:
    """The state of one instrument at one moment of the simulated day (prices in units)."""

    code: str
    price: int
    reference: int
    """Previous close, the base of the day's change and price band."""
    open: int
    high: int
    low: int
    at: datetime
    volume: int = 0
    """Traded so far today."""
    amount: int = 0
    """Traded value so far today, in units x quantity."""

    @property
    def change(self) -> int:
        return self.price - self.reference

    @property
    def change_rate(self) -> float:
        return 100.0 * self.change / self.reference


class Market:
    """Seeded price paths for every market key, sampled every ``step_seconds`` of the session.

    Before the open an instrument trades at its reference price, after the close at its last
    price; a day without trading shows the previous trading day's close. ``base_prices`` pins
    a stock's reference to a price every day (tests that need known prices).
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
        self._paths: dict[tuple[str, date], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._closes: dict[tuple[str, int], tuple[float, ...]] = {}

    def now(self) -> datetime:
        return kst(self.clock())

    def instrument(self, key: str) -> Instrument:
        return instrument(key)

    def steps_of(self, key: str) -> int:
        return instrument(key).minutes * 60 // int(self.step.total_seconds())

    # --- calendar --------------------------------------------------------------------

    def local(self, key: str, when: datetime) -> datetime:
        """``when`` on the clock of ``key``'s exchange."""
        return kst(when).astimezone(_zone(instrument(key).zone))

    def today(self, key: str) -> date:
        """The exchange's date now (its local date)."""
        return self.local(key, self.now()).date()

    def trading_day(self, key: str, day: date) -> bool:
        return trading_day(instrument(key), day)

    def previous_day(self, key: str, day: date) -> date:
        """The trading day before ``day``."""
        inst = instrument(key)
        day -= timedelta(days=1)
        while not trading_day(inst, day):
            day -= timedelta(days=1)
        return day

    def trading_days(self, key: str, start: date, end: date) -> list[date]:
        """Trading days from ``start`` to ``end`` (both included) on which ``key`` was listed
        and that have begun, newest first."""
        inst = instrument(key)
        last = min(end, self.today(key))
        first = max(start, inst.listed)
        out = []
        day = last
        while day >= first:
            if trading_day(inst, day):
                out.append(day)
            day -= timedelta(days=1)
        return out

    # --- the daily walk --------------------------------------------------------------

    def base(self, code: str) -> int:
        """An instrument's long-run price level in units (stocks: the spec quotes' base)."""
        if code in self.base_prices:
            return self.base_prices[code]
        return instrument(code).base

    def _anchor(self, key: str, year: int) -> float:
        """The log price at the start of ``year``: a seeded level around the base."""
        inst = instrument(key)
        spread = inst.volatility * 12
        return math.log(self.base(key)) + rng("anchor", self.seed, key, year).gauss(0.0, spread)

    def _year_closes(self, key: str, year: int) -> tuple[float, ...]:
        """Log closes of every trading day of ``year``: a Brownian bridge from this year's
        anchor to the next one's, so any day is found without walking from an epoch."""
        cached = self._closes.get((key, year))
        if cached is not None:
            return cached
        inst = instrument(key)
        days = _year_days(inst.zone == "Asia/Seoul", year)
        n = len(days)
        start, end = self._anchor(key, year), self._anchor(key, year + 1)
        vol = self.volatility if inst.kind == "stock" else inst.volatility
        r = rng("closes", self.seed, key, year)
        walk = list(itertools.accumulate(r.gauss(0.0, vol) for _ in range(n)))
        closes = tuple(
            start + (k + 1) / n * (end - start) + walk[k] - (k + 1) / n * walk[-1] for k in range(n)
        )
        if len(self._closes) > PATHS_KEPT:
            self._closes.clear()
        self._closes[(key, year)] = closes
        return closes

    def close(self, key: str, day: date) -> int:
        """The close of a trading day (pinned stocks: the last step of the day's path)."""
        if key in self.base_prices:
            return self.path(key, day)[-1]
        return self._close(key, day)

    def _close(self, key: str, day: date) -> int:
        inst = instrument(key)
        days = _year_days(inst.zone == "Asia/Seoul", day.year)
        index = days.index(day) if day in days else None
        if index is None:  # no trading that day: the last close before it
            return self._close(key, self.previous_day(key, day))
        return inst.align(math.exp(self._year_closes(key, day.year)[index]))

    def reference(self, code: str, day: date) -> int:
        """The reference (previous close) of ``code`` on ``day``."""
        if code in self.base_prices:
            return align(self.base_prices[code])
        return self._close(code, self.previous_day(code, day))

    # --- the intraday path -----------------------------------------------------------

    def path(self, code: str, day: date) -> tuple[int, ...]:
        """Prices at each step of ``day``'s session: step 0 opens at the reference price, the
        last step is the day's close."""
        return self._day(code, day)[0]

    def volumes(self, code: str, day: date) -> tuple[int, ...]:
        """Quantity traded at each step of ``day``'s session."""
        return self._day(code, day)[1]

    def _day(self, code: str, day: date) -> tuple[tuple[int, ...], tuple[int, ...]]:
        key = (code, day)
        cached = self._paths.get(key)
        if cached is not None:
            return cached
        inst = instrument(code)
        steps = self.steps_of(code)
        ref = self.reference(code, day)
        pinned = code in self.base_prices
        band = inst.band
        low = math.log(ref * (1 - band)) if band else -math.inf
        high = math.log(ref * (1 + band)) if band else math.inf
        vol = self.volatility if inst.kind == "stock" else inst.volatility
        sigma = vol / math.sqrt(steps)
        r = rng("path", self.seed, code, day.isoformat())
        walk = list(itertools.accumulate((r.gauss(0.0, sigma) for _ in range(steps - 1)),
                                         initial=0.0))  # fmt: skip
        start = math.log(ref)
        if pinned:
            logs = [start + w for w in walk]
        else:
            end = math.log(self._close(code, day))
            last = steps - 1
            logs = [start + i / last * (end - start + -walk[-1]) + w for i, w in enumerate(walk)]
        aligned: dict[int, int] = {}
        exp, align_ = math.exp, inst.align
        prices = [ref]
        for v in logs[1:]:
            raw = round(exp(low if v < low else high if v > high else v))
            price = aligned.get(raw)
            if price is None:
                price = aligned[raw] = align_(raw)
            prices.append(price)
        if not pinned:
            prices[-1] = self._close(code, day)
        per_step = inst.volume / steps
        shape = _volume_shape(steps)
        rand = rng("volume", self.seed, code, day.isoformat()).random
        volumes = [int(per_step * (0.2 + 1.6 * rand()) * w) + 1 for w in shape]
        if len(self._paths) > PATHS_KEPT:  # bounded cache: drop the oldest paths
            for old in list(self._paths)[: PATHS_KEPT // 4]:
                del self._paths[old]
        found = self._paths[key] = (tuple(prices), tuple(volumes))
        return found

    def position(self, when: datetime, code: str = "") -> tuple[date, int]:
        """(trading day, step index) whose price holds at ``when`` for ``code`` (a KRX stock
        when left out)."""
        inst = instrument(code or "005930")
        local = kst(when).astimezone(_zone(inst.zone))
        day = local.date()
        steps = self.steps_of(code) if code else self.steps
        if not trading_day(inst, day):
            return self.previous_day(code or "005930", day), steps - 1
        opened = datetime.combine(day, inst.open, tzinfo=local.tzinfo)
        if local < opened:
            return day, 0
        return day, min(int((local - opened) / self.step), steps - 1)

    def step_time(self, day: date, index: int, code: str = "") -> datetime:
        """Korean time of step ``index`` of ``day`` (the exchange's own day)."""
        inst = instrument(code or "005930")
        opened = datetime.combine(day, inst.open, tzinfo=_zone(inst.zone))
        return kst(opened + index * self.step)

    def close_time(self, day: date) -> datetime:
        return _at(day, CLOSE)

    # --- questions -------------------------------------------------------------------

    def price(self, code: str, when: datetime | None = None) -> int:
        day, index = self.position(self.now() if when is None else when, code)
        return self.path(code, day)[index]

    def quote(self, code: str, when: datetime | None = None) -> Quote:
        when = self.now() if when is None else kst(when)
        day, index = self.position(when, code)
        path, volumes = self._day(code, day)
        seen = path[: index + 1]
        traded = volumes[: index + 1] if self._opened(code, when, day) else (0,)
        amount = sum(p * q for p, q in zip(seen, traded, strict=True))
        return Quote(code=code, price=seen[-1], reference=self.reference(code, day),
                     open=seen[0], high=max(seen), low=min(seen), at=when,
                     volume=sum(traded), amount=amount)  # fmt: skip

    def _opened(self, code: str, when: datetime, day: date) -> bool:
        """Whether ``day``'s session has begun by ``when`` (nothing traded before the open)."""
        inst = instrument(code or "005930")
        local = kst(when).astimezone(_zone(inst.zone))
        return local.date() != day or local.time() >= inst.open

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
