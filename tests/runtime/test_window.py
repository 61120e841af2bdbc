"""Date/time windows (``.range()`` / ``.pages()``) against a fake KIS that honours the window.

The fake answers like KIS's chart APIs: at most N rows ending at the requested end, newest
first, trading days only (no weekends), and nothing before the requested start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi import AsyncKis, Kis
from kisapi.domestic_stock import inquire_daily_itemchartprice as daily_mod
from kisapi.domestic_stock import inquire_time_itemchartprice as minute_mod
from kisapi.overseas_futureoption import tick_ccnl as futures_mod
from kisapi.overseas_stock import dailyprice as overseas_daily_mod
from kisapi.overseas_stock import inquire_time_itemchartprice as overseas_minute_mod
from kisapi_runtime.errors import KisValidationError
from kisapi_runtime.pagination import KisIncompleteError

TOKEN = {"access_token": "tok-abcdefghij", "token_type": "Bearer", "expires_in": 86400,
         "access_token_token_expired": "2099-01-01 00:00:00"}  # fmt: skip
DAYS = [
    date(2024, 1, 1) + timedelta(days=i)
    for i in range(0, 1100)
    if (date(2024, 1, 1) + timedelta(days=i)).weekday() < 5
]
MINUTES = [time(9, 0)] + [
    (datetime(2026, 1, 5, 9, 0) + timedelta(minutes=i)).time() for i in range(1, 391)
]  # 09:00..15:30, one bar a minute


def _day(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok", **body})


class FakeKis:
    """Chart endpoints that honour the requested window; records every request's parameters."""

    def __init__(self, page: int = 100, overlap: int = 0, stuck: bool = False) -> None:
        self.page = page
        self.overlap = overlap  # extra newer rows past the requested end (a sloppy server)
        self.stuck = stuck  # ignore the requested end entirely
        self.requests: list[dict[str, str]] = []
        self.routes: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
            daily_mod.API.path: self.daily,
            minute_mod.API.path: self.minutes,
            overseas_daily_mod.API.path: self.overseas_daily,
            overseas_minute_mod.API.path: self.overseas_minutes,
            futures_mod.API.path: self.futures_ticks,
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/tokenP":
            return httpx.Response(200, json=TOKEN)
        params = dict(request.url.params)
        self.requests.append(params)
        return _ok(self.routes[request.url.path](params))

    def _window(self, items: list[Any], end: Any, start: Any = None) -> list[Any]:
        if self.stuck:
            end = items[-1]
        newer = [x for x in items if x > end][: self.overlap]
        upto = [x for x in items if x <= end and (start is None or x >= start)]
        return list(reversed(upto[-self.page :] + newer))  # newest first

    def daily(self, p: dict[str, str]) -> dict[str, Any]:
        days = self._window(DAYS, _day(p["FID_INPUT_DATE_2"]), _day(p["FID_INPUT_DATE_1"]))
        rows = [{"stck_bsop_date": d.strftime("%Y%m%d"), "stck_clpr": str(d.toordinal() % 9000)}
                for d in days]  # fmt: skip
        return {"output1": {"stck_prpr": "1000"}, "output2": rows}

    def minutes(self, p: dict[str, str]) -> dict[str, Any]:
        hour = datetime.strptime(p["FID_INPUT_HOUR_1"], "%H%M%S").time()
        bars = self._window(MINUTES, hour)
        return {"output1": {}, "output2": [
            {"stck_bsop_date": "20260105", "stck_cntg_hour": t.strftime("%H%M%S"), "stck_prpr": "70000"}
            for t in bars
        ]}  # fmt: skip

    def overseas_daily(self, p: dict[str, str]) -> dict[str, Any]:
        days = self._window(DAYS, _day(p["BYMD"]))
        return {"output1": {"rsym": "DNASAAPL"},
                "output2": [{"xymd": d.strftime("%Y%m%d"), "clos": "190.5"} for d in days]}  # fmt: skip

    def overseas_minutes(self, p: dict[str, str]) -> dict[str, Any]:
        stamps = [datetime.combine(date(2026, 1, 5), t) for t in MINUTES]
        keyb = datetime.strptime(p["KEYB"], "%Y%m%d%H%M%S") if p.get("KEYB") else stamps[-1]
        bars = self._window(stamps, keyb)
        return {"output1": {}, "output2": [
            {"xymd": b.strftime("%Y%m%d"), "xhms": b.strftime("%H%M%S"), "last": "1"} for b in bars
        ]}  # fmt: skip

    def futures_ticks(self, p: dict[str, str]) -> dict[str, Any]:
        # pages by an opaque key: the index of the next tick to send (ticks share seconds)
        ticks = [datetime(2026, 1, 5, 10, 0, 0) + timedelta(seconds=i // 3) for i in range(250)]
        offset = int(p["INDEX_KEY"]) if p.get("QRY_TP") == "P" else 0
        newest_first = list(reversed(ticks))[offset : offset + self.page]
        rest = offset + len(newest_first)
        return {
            "output1": {"index_key": str(rest) if rest < len(ticks) else ""},
            "output2": [{"data_date": t.strftime("%Y%m%d"), "data_time": t.strftime("%H%M%S"),
                         "last_price": str(i)} for i, t in enumerate(newest_first, offset)],
        }  # fmt: skip


def _kis(fake: FakeKis, tmp_path: Path) -> Kis:
    return Kis(appkey="PSappkey1234567890", appsecret="appsecret-0987654321", env="real",
               rate_limit=0, cache_ttl=0, token_cache_dir=tmp_path,
               transport=httpx.MockTransport(fake))  # fmt: skip


def _akis(fake: FakeKis, tmp_path: Path) -> AsyncKis:
    return AsyncKis(appkey="PSappkey1234567890", appsecret="appsecret-0987654321", env="real",
                    rate_limit=0, cache_ttl=0, token_cache_dir=tmp_path,
                    transport=httpx.MockTransport(fake))  # fmt: skip


def _trading_days(start: date, end: date) -> list[date]:
    return [d for d in DAYS if start <= d <= end]


def _ends(days: list[date], first: str) -> list[str]:
    """The end dates asked for: the window end, then the day before each page's oldest bar."""
    return [first] + [(days[-n] - timedelta(days=1)).strftime("%Y%m%d") for n in (100, 200)]


def test_a_year_of_daily_bars_in_one_call(tmp_path: Path) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis:
        result = kis.domestic_stock.inquire_daily_itemchartprice.range(
            date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930"
        ).collect()
    dates = [r.stck_bsop_date for r in result.rows]
    assert dates == _trading_days(date(2025, 1, 1), date(2025, 12, 31))  # oldest first, once
    assert len(dates) == 261 and result.complete is True
    assert len(result.pages) == 3 and len(fake.requests) == 3
    # each later page ends the day before the oldest bar so far; the start stays put
    assert [r["FID_INPUT_DATE_2"] for r in fake.requests] == _ends(dates, "20251231")
    assert {r["FID_INPUT_DATE_1"] for r in fake.requests} == {"20250101"}
    assert {r["FID_INPUT_ISCD"] for r in fake.requests} == {"005930"}


def test_a_whole_day_of_minute_bars(tmp_path: Path) -> None:
    fake = FakeKis(page=30)
    with _kis(fake, tmp_path) as kis:
        result = kis.domestic_stock.inquire_time_itemchartprice.range(
            time(9, 0), time(15, 30), fid_input_iscd="005930"
        ).collect()
    assert [r.stck_cntg_hour for r in result.rows] == MINUTES
    assert result.complete is True and len(fake.requests) == 14  # 391 bars, 30 a page
    assert fake.requests[1]["FID_INPUT_HOUR_1"] == "150000"  # 15:01 was the oldest, less 1 min


def test_rows_repeated_at_the_boundary_are_dropped(tmp_path: Path) -> None:
    fake = FakeKis(overlap=2)  # every page also repeats the two days after the requested end
    with _kis(fake, tmp_path) as kis:
        result = kis.domestic_stock.inquire_daily_itemchartprice.range(
            date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930"
        ).collect()
    dates = [r.stck_bsop_date for r in result.rows]
    assert dates == _trading_days(date(2025, 1, 1), date(2025, 12, 31))
    assert len(set(dates)) == len(dates)


def test_rows_sharing_a_moment_survive_deduplication(tmp_path: Path) -> None:
    fake = FakeKis(page=40)
    with _kis(fake, tmp_path) as kis:
        result = kis.overseas_futureoption.tick_ccnl.range(
            date(2026, 1, 5), date(2026, 1, 5), srs_cd="6AM24", exch_cd="CME", qry_cnt="40"
        ).collect()
    assert [int(r.last_price) for r in result.rows] == list(reversed(range(250)))
    assert result.complete is True
    assert [r.get("QRY_TP") for r in fake.requests][:2] == ["Q", "P"]
    assert fake.requests[1]["INDEX_KEY"] == "40"


def test_the_cursor_not_moving_stops_incomplete(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeKis(stuck=True)
    with _kis(fake, tmp_path) as kis, caplog.at_level(logging.WARNING):
        pager = kis.domestic_stock.inquire_daily_itemchartprice.range(
            date(2020, 1, 1), date(2027, 12, 31), fid_input_iscd="005930"
        )
        result = pager.collect()
        with pytest.raises(KisIncompleteError):
            pager.collect(require_complete=True)
    assert result.complete is False and pager.complete is False
    assert len(fake.requests) == 4  # two reads, two pages each: no loop
    assert len(result.rows) == 100
    assert "did not move" in caplog.text


def test_an_empty_window(tmp_path: Path) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis:
        result = kis.domestic_stock.inquire_daily_itemchartprice.range(
            "20250104",
            "20250105",
            fid_input_iscd="005930",  # a weekend
        ).collect()
    assert result.rows == [] and result.complete is True and len(fake.requests) == 1


def test_the_page_cap_says_incomplete(tmp_path: Path) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis:
        pager = kis.domestic_stock.inquire_daily_itemchartprice.range(
            date(2024, 1, 1), date(2025, 12, 31), fid_input_iscd="005930", max_pages=2
        )
        result = pager.collect()
    assert result.complete is False and len(result.rows) == 200 and len(fake.requests) == 2
    assert result.rows[-1].stck_bsop_date == date(2025, 12, 31)


def test_rows_stream_newest_first(tmp_path: Path) -> None:
    fake = FakeKis(page=30)
    with _kis(fake, tmp_path) as kis:
        pager = kis.domestic_stock.inquire_time_itemchartprice.range(
            time(15, 0), time(15, 30), fid_input_iscd="005930"
        )
        rows = list(pager.rows())
        pages = list(pager)
    assert [r.stck_cntg_hour for r in rows] == list(reversed(MINUTES[-31:]))
    assert len(pages) == 2  # 30 bars, then the 15:00 bar (the start reached)


def test_an_end_only_window_filters_the_start_itself(tmp_path: Path) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis:
        result = kis.overseas_stock.dailyprice.range(
            date(2025, 3, 1), date(2025, 12, 31), excd="NAS", symb="AAPL"
        ).collect()
    assert [r.xymd for r in result.rows] == _trading_days(date(2025, 3, 1), date(2025, 12, 31))
    assert result.complete is True
    assert [r["BYMD"] for r in fake.requests] == _ends(
        _trading_days(date(2024, 1, 1), date(2025, 12, 31)), "20251231"
    )


def test_overseas_minutes_page_by_keyb(tmp_path: Path) -> None:
    fake = FakeKis(page=120)
    with _kis(fake, tmp_path) as kis:
        result = kis.overseas_stock.inquire_time_itemchartprice.range(
            datetime(2026, 1, 5, 9, 30), datetime(2026, 1, 5, 15, 30), excd="NAS", symb="AAPL"
        ).collect()
    assert [r.xhms for r in result.rows] == MINUTES[30:]
    assert result.complete is True
    assert fake.requests[0]["KEYB"] == "20260105153000" and fake.requests[0]["NEXT"] == "1"
    assert fake.requests[1]["KEYB"] == "20260105133000"


def test_pages_walks_back_from_the_callers_own_request(tmp_path: Path) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis:
        result = kis.domestic_stock.inquire_daily_itemchartprice.pages(
            fid_input_iscd="005930", fid_input_date_1="20250101", fid_input_date_2="20251231"
        ).collect()
    assert [r.stck_bsop_date for r in result.rows] == _trading_days(
        date(2025, 1, 1), date(2025, 12, 31)
    )


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (date(2025, 12, 31), date(2025, 1, 1), "after the end"),
        ("2025-13-01", None, "not a date"),
        (time(9, 0), None, "expected a date"),
    ],
)
def test_bad_bounds_send_nothing(tmp_path: Path, start: Any, end: Any, reason: str) -> None:
    fake = FakeKis()
    with _kis(fake, tmp_path) as kis, pytest.raises(KisValidationError, match=reason) as err:
        kis.domestic_stock.inquire_daily_itemchartprice.range(start, end, fid_input_iscd="005930")
    assert err.value.api == "domestic_stock.inquire_daily_itemchartprice"
    assert fake.requests == []


def test_async_range_matches_sync(tmp_path: Path) -> None:
    fake = FakeKis()

    async def run() -> list[date]:
        async with _akis(fake, tmp_path) as kis:
            result = await kis.domestic_stock.inquire_daily_itemchartprice.range(
                date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930"
            ).collect()
            streamed = [r async for r in kis.domestic_stock.inquire_daily_itemchartprice.range(
                date(2025, 6, 1), date(2025, 6, 30), fid_input_iscd="005930").rows()]  # fmt: skip
            assert [r.stck_bsop_date for r in streamed] == list(
                reversed(_trading_days(date(2025, 6, 1), date(2025, 6, 30)))
            )
            assert result.complete is True
            return [r.stck_bsop_date for r in result.rows]

    assert asyncio.run(run()) == _trading_days(date(2025, 1, 1), date(2025, 12, 31))
