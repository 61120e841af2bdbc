"""The sandbox's answer to chk_holiday, from the same holiday table as ``kisapi_runtime.calendar``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final

from kisapi_runtime.calendar import CalendarRangeError, krx_table

HOLIDAY_API: Final = "domestic_stock.chk_holiday"
DAYS_PER_PAGE: Final = 23
"""Rows KIS returns per call (20241201 -> next key 20241224 in a real capture)."""
WEEKDAY_CODES: Final = ("02", "03", "04", "05", "06", "07", "01")  # Monday .. Sunday


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def is_trading_day(day: date) -> bool:
    """Whether KRX trades on ``day`` (the project's KRX table; outside it, weekdays)."""
    try:
        return krx_table().is_open(day)
    except CalendarRangeError:
        return day.weekday() < 5


KRX_HOLIDAYS: Final[frozenset[date]] = frozenset(krx_table().closed)
"""Weekdays KRX does not trade, as the simulated market sees them."""


def chk_holiday(params: Mapping[str, str], today: date) -> dict[str, Any]:
    """KIS's chk_holiday body: a page of days from ``BASS_DT`` (or the continuation key)."""
    text = (params.get("CTX_AREA_NK") or "").strip() or (params.get("BASS_DT") or "").strip()
    try:
        start = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        start = today
    rows = []
    for i in range(DAYS_PER_PAGE):
        day = start + timedelta(days=i)
        open_ = is_trading_day(day)
        rows.append(
            {
                "bass_dt": day.strftime("%Y%m%d"),
                "wday_dvsn_cd": WEEKDAY_CODES[day.weekday()],
                "bzdy_yn": _yn(open_),
                "tr_day_yn": _yn(open_),
                "opnd_yn": _yn(open_),
                "sttl_day_yn": _yn(open_),
            }
        )
    after = start + timedelta(days=DAYS_PER_PAGE)
    return {
        "ctx_area_nk": after.strftime("%Y%m%d").ljust(20),
        "ctx_area_fk": start.strftime("%Y%m%d").ljust(20),
        "output": rows,
        "rt_cd": "0",
        "msg_cd": "MCA00000",
        "msg1": "정상처리 되었습니다.",
    }
