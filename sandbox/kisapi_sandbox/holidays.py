"""KRX market holidays the simulated market keeps (a small table; outside the years it covers
only weekends are closed). Merge with the project's trading calendar when it has one."""

from __future__ import annotations

from datetime import date
from typing import Final

_TABLE: Final = {
    2024: "0101 0209 0212 0301 0410 0501 0506 0515 0606 0815 0916 0917 0918 1001 1003 1009 "
    "1225 1231",
    2025: "0101 0127 0128 0129 0130 0303 0501 0505 0506 0603 0606 0815 1003 1006 1007 1008 "
    "1009 1225 1231",
    2026: "0101 0216 0217 0218 0302 0501 0505 0525 0603 0817 0924 0925 0928 1005 1009 1225 1231",
}
KRX_HOLIDAYS: Final[frozenset[date]] = frozenset(
    date(year, int(mmdd[:2]), int(mmdd[2:]))
    for year, days in _TABLE.items()
    for mmdd in days.split()
)
"""Weekdays KRX does not trade (new year, Lunar New Year, Chuseok, substitutes, elections,
Labour Day, the year-end closing day)."""
COVERED: Final = range(min(_TABLE), max(_TABLE) + 1)


def is_trading_day(day: date) -> bool:
    """Whether KRX trades on ``day``: a weekday that is no holiday."""
    return day.weekday() < 5 and day not in KRX_HOLIDAYS
