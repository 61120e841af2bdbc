"""Bars and trades read off the simulated market's paths: a trading day's bar, period bars
(week, month, year), minute bars of a day up to a time, and the trades (one per path step).

A day's bar is its path's open, high, low, last price and summed volume, so minute bars sit
inside the day's range, the last minute's close is the current price and volumes add up.
All prices are in the instrument's units (``instruments``); rows come newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import attrs

from .market import Market


@attrs.frozen
class Bar:
    day: date
    """The exchange's (local) date of the bar."""
    at: time
    """Local time the bar starts (00:00 for day and period bars)."""
    open: int
    high: int
    low: int
    close: int
    volume: int
    amount: int
    """Traded value: price units x quantity."""
    reference: int
    """The close before this bar (the previous bar's, the previous day's for the first)."""


def _bar(day: date, at: time, prices: Sequence[int], volumes: Sequence[int], ref: int) -> Bar:
    amount = sum(p * q for p, q in zip(prices, volumes, strict=True))
    return Bar(day, at, prices[0], max(prices), min(prices), prices[-1], sum(volumes), amount,
               ref)  # fmt: skip


def steps_done(market: Market, key: str, day: date) -> int:
    """How many of ``day``'s steps have traded by now (all of a past day's)."""
    today, index = market.position(market.now(), key)
    if day < today:
        return market.steps_of(key)
    if day > today:
        return 0
    inst = market.instrument(key)
    local = market.local(key, market.now())
    opened = datetime.combine(day, inst.open, tzinfo=local.tzinfo)
    return 0 if local < opened else index + 1


def day_bar(market: Market, key: str, day: date) -> Bar | None:
    """``day``'s bar as far as it has traded (None before the open)."""
    done = steps_done(market, key, day)
    if done == 0:
        return None
    path, volumes = market.path(key, day), market.volumes(key, day)
    return _bar(day, time(0), path[:done], volumes[:done], market.reference(key, day))


def daily_bars(market: Market, key: str, start: date, end: date, limit: int) -> list[Bar]:
    """Up to ``limit`` day bars from ``end`` back to ``start``, newest first."""
    out = []
    for day in market.trading_days(key, start, end):
        bar = day_bar(market, key, day)
        if bar is not None:
            out.append(bar)
            if len(out) >= limit:
                break
    return out


def _period_start(day: date, period: str) -> date:
    if period == "W":
        return day - timedelta(days=day.weekday())
    if period == "M":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def period_bars(
    market: Market, key: str, start: date, end: date, period: str, limit: int
) -> list[Bar]:
    """Day (``D``), week (``W``), month (``M``) or year (``Y``) bars between ``start`` and
    ``end``, newest first; a period bar is dated with its first trading day in the window and
    covers the period's days in the window."""
    if period not in ("W", "M", "Y"):
        return daily_bars(market, key, start, end, limit)
    groups: dict[date, list[Bar]] = {}
    for day in market.trading_days(key, start, end):
        bar = day_bar(market, key, day)
        if bar is not None:
            begins = _period_start(day, period)
            if begins not in groups and len(groups) >= limit:
                break
            groups.setdefault(begins, []).append(bar)
    return [_merge(bars) for bars in groups.values()]


def _merge(newest_first: Sequence[Bar]) -> Bar:
    first, last = newest_first[-1], newest_first[0]
    return Bar(first.day, time(0), first.open, max(b.high for b in newest_first),
               min(b.low for b in newest_first), last.close,
               sum(b.volume for b in newest_first), sum(b.amount for b in newest_first),
               first.reference)  # fmt: skip


def minute_bars(
    market: Market,
    key: str,
    day: date,
    until: time,
    limit: int,
    minutes: int = 1,
    *,
    seconds: int = 0,
) -> list[Bar]:
    """Bars of ``minutes`` (or ``seconds``) of ``day``'s session whose start is at or before
    ``until`` (local time), newest first, at most ``limit``; today's end at the current step."""
    if not market.trading_day(key, day):
        return []
    inst = market.instrument(key)
    step = int(market.step.total_seconds())
    per = max((seconds or minutes * 60) // step, 1)
    done = steps_done(market, key, day)
    opened = datetime.combine(day, inst.open)
    wanted = int((datetime.combine(day, until) - opened).total_seconds()) // step
    if wanted < 0:
        return []
    last = min(done, (wanted // per + 1) * per)
    if last <= 0:
        return []
    path, volumes = market.path(key, day), market.volumes(key, day)
    out: list[Bar] = []
    begin = (last - 1) // per * per
    while begin >= 0 and len(out) < limit:
        stop = min(begin + per, last)
        ref = path[begin - 1] if begin else market.reference(key, day)
        at = (opened + timedelta(seconds=begin * step)).time()
        out.append(_bar(day, at, path[begin:stop], volumes[begin:stop], ref))
        begin -= per
    return out


def minute_bars_back(
    market: Market,
    key: str,
    day: date,
    until: time,
    limit: int,
    minutes: int = 1,
    *,
    seconds: int = 0,
    earliest: date | None = None,
) -> list[Bar]:
    """Like :func:`minute_bars`, continuing into earlier trading days until ``limit`` bars
    (never before ``earliest`` or the listing)."""
    out: list[Bar] = []
    floor = max(earliest or date.min, market.instrument(key).listed)
    while len(out) < limit and day >= floor:
        if market.trading_day(key, day):
            out += minute_bars(market, key, day, until, limit - len(out), minutes, seconds=seconds)
        day -= timedelta(days=1)
        until = time(23, 59, 59)
    return out


@attrs.frozen
class Trade:
    day: date
    at: time
    """Local time of the trade."""
    price: int
    qty: int
    volume: int
    """The day's volume up to and including this trade."""
    reference: int


def trades(market: Market, key: str, day: date, until: time, limit: int) -> list[Trade]:
    """One trade per path step at or before ``until``, newest first."""
    bars = minute_bars(market, key, day, until, limit, seconds=int(market.step.total_seconds()))
    ref = market.reference(key, day)
    total = sum(b.volume for b in bars)
    full = sum(market.volumes(key, day)[: _index(market, key, bars)])
    out: list[Trade] = []
    running = full + total
    for bar in bars:
        out.append(Trade(bar.day, bar.at, bar.close, bar.volume, running, ref))
        running -= bar.volume
    return out


def _index(market: Market, key: str, newest_first: Sequence[Bar]) -> int:
    """Path steps before the oldest of ``newest_first``."""
    if not newest_first:
        return 0
    oldest = newest_first[-1]
    inst = market.instrument(key)
    opened = datetime.combine(oldest.day, inst.open)
    step = int(market.step.total_seconds())
    return int((datetime.combine(oldest.day, oldest.at) - opened).total_seconds()) // step
