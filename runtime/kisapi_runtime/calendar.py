"""The Korean stock market calendar: trading days and session times (KRX, NXT).

Trading days come from KIS (``domestic_stock.chk_holiday``, real accounts only) when a client
gives the calendar a ``fetch``, else from the table ``spec/calendar/krx.yaml`` (shipped as
``kisapi/_data/calendar.json``) plus weekends. Session times come from the table: regular,
pre- and after-market sessions per venue, and the special days (the first trading day of a
year, the college entrance exam day) when they differ.

Standalone: ``from kisapi_runtime.calendar import is_trading_day, session_times``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from importlib import resources
from typing import Any, Final

import attrs

from .codecs import KST
from .errors import KisError
from .kis_days import KisDays
from .secret import get_logger

log = get_logger("calendar")

MAX_SCAN_DAYS: Final = 60
"""No trading day for this long means something is wrong (the table ends, KIS answers oddly)."""

Fetch = Callable[[date], Iterable[tuple[date, bool]]]
"""From a day, (day, market open) pairs KIS knows from there on (chk_holiday)."""
AsyncFetch = Callable[[date], Awaitable[Iterable[tuple[date, bool]]]]


def _seoul() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Seoul")
    except (ImportError, KeyError, OSError):  # no tz database: Korea keeps UTC+9 all year
        return KST


SEOUL: Final = _seoul()


class CalendarRangeError(KisError, LookupError):
    """The day is outside the years of the holiday table and KIS did not say."""


@attrs.frozen
class Session:
    """One trading session: ``[start, end)`` in Korean time."""

    name: str
    label: str
    start: datetime
    end: datetime

    def __contains__(self, when: datetime) -> bool:
        return self.start <= when < self.end


@attrs.frozen
class DaySessions:
    """The sessions of one venue on one trading day; ``special`` names an unusual day
    (``year_open``, ``csat``)."""

    day: date
    venue: str
    sessions: Mapping[str, Session]
    special: str | None = None

    @property
    def regular(self) -> Session:
        return self.sessions["regular"]

    @property
    def open(self) -> datetime:
        """Start of the regular session."""
        return self.regular.start

    @property
    def close(self) -> datetime:
        """End of the regular session."""
        return self.regular.end

    def __getitem__(self, name: str) -> Session:
        return self.sessions[name]

    def __iter__(self) -> Iterator[Session]:
        return iter(sorted(self.sessions.values(), key=lambda s: (s.start, s.end)))

    def current(self, when: datetime) -> list[Session]:
        """The sessions running at ``when`` (several overlap: auctions within sessions)."""
        return [s for s in self if when in s]


@attrs.frozen
class HolidayTable:
    """The data of ``spec/calendar/krx.yaml``."""

    first_year: int
    last_year: int
    closed: Mapping[date, str]
    special: Mapping[date, str]
    first_trading_day: str
    venues: Mapping[str, Any]
    kinds: Mapping[str, Any]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HolidayTable:
        return cls(
            first_year=int(data["years"][0]),
            last_year=int(data["years"][1]),
            closed={date.fromisoformat(k): v for k, v in data["closed"].items()},
            special={date.fromisoformat(k): v for k, v in data["special"].items()},
            first_trading_day=data["first_trading_day"],
            venues=data["venues"],
            kinds=data["kinds"],
        )

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_open(self, day: date) -> bool:
        if not self.covers(day):
            raise CalendarRangeError(
                f"calendar: {day} is outside the holiday table ({self.first_year}-"
                f"{self.last_year}); a real client asks KIS (chk_holiday)"
            )
        return day.weekday() < 5 and day not in self.closed


@cache
def krx_table() -> HolidayTable:
    """The table shipped with the package."""
    text = resources.files("kisapi").joinpath("_data/calendar.json").read_text(encoding="utf-8")
    return HolidayTable.from_dict(json.loads(text))


def today_kst() -> date:
    return datetime.now(SEOUL).date()


class Calendar:
    """Trading days and sessions. ``fetch`` (a real client's chk_holiday) is asked first for
    days it has not answered yet; the table answers the rest."""

    def __init__(
        self,
        table: HolidayTable | None = None,
        *,
        fetch: Fetch | None = None,
        afetch: AsyncFetch | None = None,
        days: KisDays | None = None,
        today: Callable[[], date] = today_kst,
    ) -> None:
        self.table = table or krx_table()
        self._fetch = fetch
        self._afetch = afetch
        self._days = days if days is not None else KisDays()
        self._today = today

    def __repr__(self) -> str:
        source = "chk_holiday + table" if self._fetch or self._afetch else "table"
        return f"Calendar(source={source!r}, known={len(self._days)} days from KIS)"

    # --- what KIS said -----------------------------------------------------------------

    def update(self, days: Iterable[tuple[date, bool]]) -> None:
        """Record (day, market open) answers, e.g. rows of chk_holiday (``bass_dt``, ``opnd_yn``)."""
        self._days.put(days, self._today())

    async def aload(self, start: date | None = None) -> None:
        """Ask KIS (the async client's chk_holiday) about the days from ``start`` (today),
        unless it was asked from that day today already."""
        day = _day(start, self._today)
        today = self._today()
        if self._afetch is None or self._days.asked_today(day, today):
            return
        self._days.put(await self._afetch(day), today, start=day)

    def _ask(self, day: date) -> None:
        today = self._today()
        if self._fetch is None or self._days.asked_today(day, today):
            return
        try:
            rows = list(self._fetch(day))
        except KisError as exc:
            log.warning("calendar: chk_holiday from %s failed (%s); using the table", day, exc)
            rows = []
        self._days.put(rows, today, start=day)

    # --- days --------------------------------------------------------------------------

    def today(self) -> date:
        """Today in Korea (the market's date: a query of "today's orders" wants this one)."""
        return self._today()

    def is_trading_day(self, day: date | None = None) -> bool:
        """Whether the Korean stock market is open on ``day`` (default today)."""
        day = _day(day, self._today)
        today = self._today()
        known = self._days.get(day, today)
        if known is None and self._fetch is not None:
            self._ask(day)
            known = self._days.get(day, today)
        return known if known is not None else self.table.is_open(day)

    def holiday_name(self, day: date) -> str | None:
        """The table's name of a closed weekday (``설날``), else None."""
        return self.table.closed.get(day)

    def next_trading_day(self, day: date | None = None) -> date:
        """The first trading day after ``day`` (default today)."""
        return self._step(_day(day, self._today), 1)

    def previous_trading_day(self, day: date | None = None) -> date:
        """The last trading day before ``day`` (default today)."""
        return self._step(_day(day, self._today), -1)

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days from ``start`` to ``end``, both included."""
        out = []
        day = start
        while day <= end:
            if self.is_trading_day(day):
                out.append(day)
            day += timedelta(days=1)
        return out

    def _step(self, day: date, step: int) -> date:
        for _ in range(MAX_SCAN_DAYS):
            day += timedelta(days=step)
            if self.is_trading_day(day):
                return day
        raise CalendarRangeError(f"calendar: no trading day within {MAX_SCAN_DAYS} days of {day}")

    # --- sessions ----------------------------------------------------------------------

    def special(self, day: date) -> str | None:
        """The kind of an unusual trading day (``year_open``, ``csat``), else None."""
        kind = self.table.special.get(day)
        if kind is not None:
            return kind
        first = date(day.year, 1, 1)
        try:
            earlier = any(
                self.is_trading_day(first + timedelta(days=i)) for i in range((day - first).days)
            )
        except CalendarRangeError:
            return None
        return None if earlier else self.table.first_trading_day

    def session_times(self, day: date | None = None, venue: str = "KRX") -> DaySessions | None:
        """Sessions of ``venue`` (``KRX`` or ``NXT``) on ``day`` as Asia/Seoul datetimes;
        None when the market is closed that day."""
        day = _day(day, self._today)
        venue = venue.upper()
        if venue not in self.table.venues:
            raise ValueError(
                f"calendar: venue: {venue!r} is not one of {sorted(self.table.venues)}"
            )
        if not self.is_trading_day(day):
            return None
        kind = self.special(day)
        times: dict[str, Any] = dict(self.table.venues[venue]["sessions"])
        overrides = self.table.kinds[kind].get(venue, {}) if kind else {}
        sessions = {}
        for name, usual in times.items():
            entry = overrides.get(name, usual) if name in overrides else usual
            if entry is None:
                continue  # not held that day
            sessions[name] = Session(
                name,
                usual.get("label", name),
                _at(day, entry["start"]),
                _at(day, entry["end"]),
            )
        return DaySessions(day, venue, sessions, kind)

    def is_open(
        self, when: datetime | None = None, venue: str = "KRX", session: str = "regular"
    ) -> bool:
        """Whether ``session`` of ``venue`` runs at ``when`` (default now)."""
        when = when or datetime.now(SEOUL)
        if when.tzinfo is None:
            raise ValueError(
                "calendar.is_open: when: needs a timezone (naive datetimes are ambiguous)"
            )
        local = when.astimezone(SEOUL)
        day = self.session_times(local.date(), venue)
        return day is not None and session in day.sessions and local in day[session]


def _day(day: date | None, today: Callable[[], date]) -> date:
    """``day`` as a plain date (a datetime counts by its date in Korea); today when None."""
    if day is None:
        return today()
    if isinstance(day, datetime):
        return (day.astimezone(SEOUL) if day.tzinfo else day).date()
    return day


def _at(day: date, text: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(text), SEOUL)


_default: Calendar | None = None
_default_lock = threading.Lock()


def default_calendar() -> Calendar:
    """The table-only calendar shared by the functions below."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Calendar()
        return _default


def is_trading_day(day: date | None = None) -> bool:
    return default_calendar().is_trading_day(day)


def next_trading_day(day: date | None = None) -> date:
    return default_calendar().next_trading_day(day)


def previous_trading_day(day: date | None = None) -> date:
    return default_calendar().previous_trading_day(day)


def session_times(day: date | None = None, venue: str = "KRX") -> DaySessions | None:
    return default_calendar().session_times(day, venue)
