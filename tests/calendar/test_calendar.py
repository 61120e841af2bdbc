"""Trading days and sessions from the holiday table (mock clients, standalone use)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from kisapi_runtime import calendar as cal
from kisapi_runtime.calendar import SEOUL, Calendar, CalendarRangeError, krx_table


def kst(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), SEOUL)


@pytest.fixture
def c() -> Calendar:
    return Calendar(today=lambda: date(2026, 2, 13))


def test_weekends_are_closed(c: Calendar) -> None:
    assert c.is_trading_day(date(2026, 3, 6)) is True  # Friday
    assert c.is_trading_day(date(2026, 3, 7)) is False  # Saturday
    assert c.is_trading_day(date(2026, 3, 8)) is False  # Sunday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 1, 27), "임시공휴일"),
        (date(2025, 6, 3), "제21대 대통령선거"),
        (date(2026, 2, 17), "설날"),
        (date(2026, 5, 25), "부처님오신날 대체공휴일"),
        (date(2026, 12, 31), "연말 휴장일"),
        (date(2027, 9, 15), "추석"),
    ],
)
def test_holidays_are_closed(c: Calendar, day: date, name: str) -> None:
    assert c.is_trading_day(day) is False
    assert c.holiday_name(day) == name
    assert c.session_times(day) is None


def test_next_and_previous_step_over_holidays(c: Calendar) -> None:
    assert c.next_trading_day(date(2025, 10, 2)) == date(2025, 10, 10)  # Chuseok + 한글날
    assert c.previous_trading_day(date(2025, 10, 10)) == date(2025, 10, 2)
    assert c.next_trading_day(date(2026, 2, 13)) == date(2026, 2, 19)  # 설날 연휴
    assert c.next_trading_day(date(2025, 12, 30)) == date(2026, 1, 2)
    assert c.next_trading_day() == date(2026, 2, 19)  # default: today (Friday 13 Feb 2026)
    assert c.previous_trading_day() == date(2026, 2, 12)


def test_trading_days_between(c: Calendar) -> None:
    days = c.trading_days(date(2026, 2, 13), date(2026, 2, 20))
    assert days == [date(2026, 2, 13), date(2026, 2, 19), date(2026, 2, 20)]


def test_regular_day_sessions(c: Calendar) -> None:
    day = date(2026, 3, 4)
    krx = c.session_times(day)
    assert krx is not None and krx.special is None
    assert (krx.open, krx.close) == (kst(day, 9, 0), kst(day, 15, 30))
    assert krx.open.tzinfo is SEOUL
    assert krx["after_single"].end == kst(day, 18, 0)
    assert [s.name for s in krx.current(kst(day, 15, 25))] == ["regular", "closing_auction"]
    nxt = c.session_times(day, "nxt")
    assert nxt is not None
    assert (nxt["pre_market"].start, nxt["pre_market"].end) == (kst(day, 8, 0), kst(day, 8, 50))
    assert (nxt["after_market"].start, nxt["after_market"].end) == (
        kst(day, 15, 30),
        kst(day, 20, 0),
    )
    assert nxt.open == kst(day, 9, 0, 30)


def test_first_trading_day_of_the_year_opens_at_ten(c: Calendar) -> None:
    for day in (date(2025, 1, 2), date(2026, 1, 2), date(2027, 1, 4)):
        krx = c.session_times(day)
        assert krx is not None and krx.special == "year_open", day
        assert krx.open == kst(day, 10, 0) and krx.close == kst(day, 15, 30)
        nxt = c.session_times(day, "NXT")
        assert nxt is not None and "pre_market" not in nxt.sessions
    second = c.session_times(date(2026, 1, 5))
    assert second is not None and second.special is None and second.open.hour == 9


def test_exam_day_opens_and_closes_an_hour_later(c: Calendar) -> None:
    day = date(2025, 11, 13)
    krx = c.session_times(day)
    assert krx is not None and krx.special == "csat"
    assert (krx.open, krx.close) == (kst(day, 10, 0), kst(day, 16, 30))
    assert krx["after_single"].end == kst(day, 19, 0)


def test_is_open(c: Calendar) -> None:
    day = date(2026, 3, 4)
    assert c.is_open(kst(day, 9, 0)) is True
    assert c.is_open(kst(day, 15, 30)) is False
    assert c.is_open(kst(day, 19, 0), venue="NXT", session="after_market") is True
    assert c.is_open(datetime(2026, 3, 4, 0, 30, tzinfo=SEOUL) + timedelta(hours=-9)) is False
    assert c.is_open(kst(date(2026, 3, 7), 10, 0)) is False
    with pytest.raises(ValueError, match="timezone"):
        c.is_open(datetime(2026, 3, 4, 10, 0))


def test_outside_the_table_is_an_error(c: Calendar) -> None:
    with pytest.raises(CalendarRangeError, match=r"2023-12-29 is outside"):
        c.is_trading_day(date(2023, 12, 29))
    with pytest.raises(CalendarRangeError):
        c.next_trading_day(date(2027, 12, 30))


def test_unknown_venue(c: Calendar) -> None:
    with pytest.raises(ValueError, match="'NYSE'"):
        c.session_times(date(2026, 3, 4), "NYSE")


def test_module_functions_work_without_a_client() -> None:
    assert cal.is_trading_day(date(2026, 2, 17)) is False
    assert cal.next_trading_day(date(2026, 2, 13)) == date(2026, 2, 19)
    assert cal.previous_trading_day(date(2026, 2, 19)) == date(2026, 2, 13)
    sessions = cal.session_times(date(2026, 1, 2))
    assert sessions is not None and sessions.open.hour == 10


def test_the_table_is_sane() -> None:
    table = krx_table()
    assert (table.first_year, table.last_year) == (2024, 2027)
    for year in range(2024, 2028):
        assert date(year, 1, 1) in table.closed and date(year, 12, 31) in table.closed
        assert any(d.year == year and k == "csat" for d, k in table.special.items())
    assert all(d.weekday() < 5 for d in table.closed)


def test_a_datetime_counts_by_its_day_in_korea(c: Calendar) -> None:

    # Friday 13 Feb 2026 20:00 UTC is Saturday 05:00 in Seoul.
    assert c.is_trading_day(datetime(2026, 2, 13, 20, 0, tzinfo=UTC)) is False
    assert c.is_trading_day(datetime(2026, 2, 13, 1, 0, tzinfo=UTC)) is True
    assert c.is_trading_day(datetime(2026, 2, 17, 10, 0)) is False  # naive: its own date
    sessions = c.session_times(datetime(2026, 1, 1, 16, 0, tzinfo=UTC))  # 2 Jan KST
    assert sessions is not None and sessions.special == "year_open"


def test_today_is_the_date_in_korea(c: Calendar) -> None:
    assert c.today() == date(2026, 2, 13)  # the calendar's clock
    assert Calendar().today() == datetime.now(SEOUL).date()  # by default Seoul's, not the host's
