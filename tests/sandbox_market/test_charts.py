"""Charts honour the requested dates and times: daily bars inside the window, newest first, at
most a page, on KRX trading days only; paging by moving the end date back terminates and
covers a year; minute bars and trades agree with the day's bar and the current quote."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from kisapi_sandbox import Sandbox
from kisapi_sandbox.holidays import KRX_HOLIDAYS, is_trading_day
from kisapi_sandbox.instruments import instrument

from .helpers import CODE, NOW, Caller, market_at

pytestmark = pytest.mark.timeout(120)
MINUTES_PATH = "/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice"
PAST_MINUTES_PATH = "/uapi/domestic-stock/v1/quotations/inquire-time-dailychartprice"


@pytest.fixture(scope="module")
def kis() -> Iterator[Caller]:
    caller = Caller(Sandbox(market=market_at()))
    yield caller
    caller.close()


def days(rows: list[dict[str, str]]) -> list[date]:
    return [datetime.strptime(r["stck_bsop_date"], "%Y%m%d").date() for r in rows]


def trading_days(start: date, end: date) -> list[date]:
    out = []
    while end >= start:
        if is_trading_day(end):
            out.append(end)
        end -= timedelta(days=1)
    return out


def test_the_daily_chart_returns_the_trading_days_of_the_window_newest_first(kis: Caller) -> None:
    start, end = date(2025, 12, 20), date(2026, 1, 10)
    got = days(kis.daily(start, end))
    assert got == trading_days(start, end)
    assert date(2025, 12, 24) in got
    assert not {date(2025, 12, 25), date(2025, 12, 31), date(2026, 1, 1)} & set(got)
    assert all(d.weekday() < 5 for d in got)
    other = days(kis.daily(date(2026, 2, 2), date(2026, 2, 6)))  # a different window
    assert other == trading_days(date(2026, 2, 2), date(2026, 2, 6)) and other != got


def test_the_daily_chart_stops_at_a_page_and_at_today(kis: Caller) -> None:
    got = days(kis.daily(date(2020, 1, 1), date(2030, 1, 1)))
    assert len(got) == 100
    assert got[0] == NOW.date()  # nothing after today, today's bar so far included
    assert got == sorted(got, reverse=True) and len(set(got)) == len(got)


def test_daily_bars_chain_close_to_reference_and_keep_highs_over_lows(kis: Caller) -> None:
    rows = kis.daily(date(2025, 10, 1), date(2026, 3, 4))
    for newer, older in itertools.pairwise(rows):
        close, prev = int(newer["stck_clpr"]), int(older["stck_clpr"])
        assert int(newer["prdy_vrss"]) == close - prev
        assert {"2": close > prev, "5": close < prev, "3": close == prev}[newer["prdy_vrss_sign"]]
    for row in rows:
        hi, lo = int(row["stck_hgpr"]), int(row["stck_lwpr"])
        assert hi >= max(int(row["stck_oprc"]), int(row["stck_clpr"]))
        assert lo <= min(int(row["stck_oprc"]), int(row["stck_clpr"]))


def test_paging_by_moving_the_end_date_back_terminates_and_covers_a_year(kis: Caller) -> None:
    start, end = NOW.date() - timedelta(days=365), NOW.date()
    seen: list[date] = []
    for _ in range(10):  # a year is three pages; more calls mean the window never shrinks
        page = days(kis.daily(start, end))
        if not page:
            break
        assert all(start <= d <= end for d in page)
        seen += page
        end = page[-1] - timedelta(days=1)
    else:
        pytest.fail("paging did not end")
    assert seen == trading_days(start, NOW.date())


def test_a_window_before_the_listing_is_empty(kis: Caller) -> None:
    listed = instrument(CODE).listed
    assert kis.daily(listed - timedelta(days=400), listed - timedelta(days=1)) == []
    first = days(kis.daily(listed - timedelta(days=30), listed + timedelta(days=10)))
    assert first and min(first) >= listed


def test_weekly_and_monthly_bars_cover_their_days(kis: Caller) -> None:
    daily = kis.daily(date(2026, 1, 1), date(2026, 2, 28))
    monthly = kis.daily(date(2026, 1, 1), date(2026, 2, 28), period="M")
    assert len(monthly) == 2
    january = [r for r in daily if r["stck_bsop_date"].startswith("202601")]
    bar = monthly[-1]
    assert int(bar["stck_hgpr"]) == max(int(r["stck_hgpr"]) for r in january)
    assert int(bar["stck_lwpr"]) == min(int(r["stck_lwpr"]) for r in january)
    assert (
        bar["stck_clpr"] == january[0]["stck_clpr"] and bar["stck_oprc"] == january[-1]["stck_oprc"]
    )
    assert int(bar["acml_vol"]) == sum(int(r["acml_vol"]) for r in january)


def minutes(kis: Caller, until: str) -> dict[str, object]:
    return kis.get(MINUTES_PATH, "FHKST03010200", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD=CODE, FID_INPUT_HOUR_1=until, FID_PW_DATA_INCU_YN="Y",
                   FID_ETC_CLS_CODE="")  # fmt: skip


def test_minute_bars_end_at_the_requested_time_and_agree_with_the_day(kis: Caller) -> None:
    page = minutes(kis, "103000")["output2"]
    assert isinstance(page, list) and len(page) == 30
    assert [r["stck_cntg_hour"] for r in page[:2]] == ["103000", "102900"]
    assert {r["stck_bsop_date"] for r in page} == {"20260304"}
    # the whole morning, paged back by moving the time to before the oldest row
    rows: list[dict[str, str]] = []
    until = "110000"
    for _ in range(10):
        page = minutes(kis, until)["output2"]
        assert isinstance(page, list)
        if not page:
            break
        rows += page
        oldest = datetime.strptime(page[-1]["stck_cntg_hour"], "%H%M%S") - timedelta(minutes=1)
        if oldest.hour < 9:
            break
        until = oldest.strftime("%H%M%S")
    assert len(rows) == 121  # 09:00 to 11:00 (the 11:00 minute has begun)
    day = kis.daily(NOW.date(), NOW.date())[0]
    quote = kis.quote()
    assert max(int(r["stck_hgpr"]) for r in rows) == int(day["stck_hgpr"])
    assert min(int(r["stck_lwpr"]) for r in rows) == int(day["stck_lwpr"])
    assert rows[0]["stck_prpr"] == quote["stck_prpr"] == day["stck_clpr"]
    assert rows[-1]["stck_oprc"] == day["stck_oprc"]
    assert sum(int(r["cntg_vol"]) for r in rows) == int(day["acml_vol"]) == int(quote["acml_vol"])


def test_a_past_day_has_its_own_minute_bars_within_its_daily_bar(kis: Caller) -> None:
    body = kis.get(PAST_MINUTES_PATH, "FHKST03010230", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD=CODE, FID_INPUT_HOUR_1="153000", FID_INPUT_DATE_1="20260227",
                   FID_PW_DATA_INCU_YN="N", FID_FAKE_TICK_INCU_YN="")  # fmt: skip
    rows = body["output2"]
    assert len(rows) == 120
    assert {r["stck_bsop_date"] for r in rows} == {"20260227"}
    assert rows[0]["stck_cntg_hour"] == "152900"  # the session's last minute
    day = kis.daily(date(2026, 2, 27), date(2026, 2, 27))[0]
    assert rows[0]["stck_prpr"] == day["stck_clpr"]
    assert all(int(day["stck_lwpr"]) <= int(r["stck_lwpr"]) <= int(r["stck_hgpr"])
               <= int(day["stck_hgpr"]) for r in rows)  # fmt: skip
    weekend = kis.get(PAST_MINUTES_PATH, "FHKST03010230", FID_COND_MRKT_DIV_CODE="J",
                      FID_INPUT_ISCD=CODE, FID_INPUT_HOUR_1="153000",
                      FID_INPUT_DATE_1="20260228")  # fmt: skip
    assert weekend["output2"] == []


def test_trades_go_back_from_the_requested_time(kis: Caller) -> None:
    body = kis.get("/uapi/domestic-stock/v1/quotations/inquire-time-itemconclusion",
                   "FHPST01060000", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD=CODE,
                   FID_INPUT_HOUR_1="100000")  # fmt: skip
    rows = body["output2"]
    assert len(rows) == 30
    hours = [r["stck_cntg_hour"] for r in rows]
    assert hours == sorted(hours, reverse=True) and hours[0] <= "100000"
    volumes = [int(r["acml_vol"]) for r in rows]
    assert all(a - b == int(r["cnqn"]) for a, b, r in zip(volumes, volumes[1:], rows, strict=False))


def test_futures_minute_bars_follow_the_bar_size(kis: Caller) -> None:
    body = kis.get("/uapi/domestic-futureoption/v1/quotations/inquire-time-fuopchartprice",
                   "FHKIF03020200", FID_COND_MRKT_DIV_CODE="F", FID_INPUT_ISCD="101W09",
                   FID_HOUR_CLS_CODE="300", FID_PW_DATA_INCU_YN="N", FID_FAKE_TICK_INCU_YN="N",
                   FID_INPUT_DATE_1="20260303", FID_INPUT_HOUR_1="120000")  # fmt: skip
    rows = body["output2"]
    hours = [r["stck_cntg_hour"] for r in rows]
    assert hours[:3] == ["120000", "115500", "115000"]
    assert {r["stck_bsop_date"] for r in rows} == {"20260303"}
    assert all(Decimal(r["futs_hgpr"]) >= Decimal(r["futs_lwpr"]) for r in rows)
    assert all(len(r["futs_prpr"].split(".")[1]) == 2 for r in rows)


def test_overseas_daily_and_minute_charts_page_back(kis: Caller) -> None:
    body = kis.get("/uapi/overseas-price/v1/quotations/dailyprice", "HHDFS76240000", AUTH="",
                   EXCD="NAS", SYMB="AAPL", GUBN="0", BYMD="20260227", MODP="0")  # fmt: skip
    rows = body["output2"]
    dates = [r["xymd"] for r in rows]
    assert len(rows) == 100 and dates[0] == "20260227" and dates == sorted(dates, reverse=True)
    assert all(datetime.strptime(d, "%Y%m%d").weekday() < 5 for d in dates)
    assert all(len(r["clos"].split(".")[1]) == 4 for r in rows)
    seen: list[str] = []
    keyb = ""
    for _ in range(5):
        page = kis.get("/uapi/overseas-price/v1/quotations/inquire-time-itemchartprice",
                       "HHDFS76950200", AUTH="", EXCD="NAS", SYMB="AAPL", NMIN="1", PINC="1",
                       NEXT="1" if keyb else "", NREC="120", FILL="", KEYB=keyb)  # fmt: skip
        stamps = [r["xymd"] + r["xhms"] for r in page["output2"]]
        assert stamps == sorted(stamps, reverse=True)
        assert not set(stamps) & set(seen)
        if seen:  # continues right before the last page: no minute skipped
            last = datetime.strptime(seen[-1], "%Y%m%d%H%M%S")
            first = datetime.strptime(stamps[0], "%Y%m%d%H%M%S")
            assert first == last - timedelta(minutes=1) or first.date() < last.date()
        seen += stamps
        oldest = datetime.strptime(stamps[-1], "%Y%m%d%H%M%S")
        keyb = f"{oldest - timedelta(minutes=1):%Y%m%d%H%M%S}"  # KIS: the last row minus a bar
    assert len(seen) == 600 and len({s[:8] for s in seen}) >= 2  # into the previous day


def test_holidays_are_weekdays_krx_closes(kis: Caller) -> None:
    assert all(d.weekday() < 5 for d in KRX_HOLIDAYS)
    assert {
        date(2026, 1, 1),
        date(2026, 2, 17),
        date(2026, 9, 25),
        date(2026, 12, 31),
    } <= KRX_HOLIDAYS


def test_overseas_futures_continue_before_the_index_key(kis: Caller) -> None:
    common = {"SRS_CD": "CLZ25", "EXCH_CD": "NYMEX", "START_DATE_TIME": "20260101",
              "CLOSE_DATE_TIME": "20260304", "QRY_CNT": "40", "QRY_GAP": "5"}  # fmt: skip
    path = "/uapi/overseas-futureoption/v1/quotations/inquire-time-futurechartprice"
    seen: list[str] = []
    index, kind = "", "Q"
    for _ in range(4):
        body = kis.get(path, "HHDFC55020400", **common, QRY_TP=kind, INDEX_KEY=index)
        stamps = [r["data_date"] + r["data_time"] for r in body["output1"]]
        assert len(stamps) == 40 and stamps == sorted(stamps, reverse=True)
        assert not set(stamps) & set(seen)
        assert body["output2"]["index_key"] == stamps[-1]
        seen += stamps
        index, kind = body["output2"]["index_key"], "P"
    daily_path = "/uapi/overseas-futureoption/v1/quotations/daily-ccnl"
    first = kis.get(daily_path, "HHDFC55020100", **common, QRY_TP="Q", INDEX_KEY="")
    days = [r["data_date"] for r in first["output2"]]
    assert days[0] == "20260303"  # 11:00 in Seoul is the evening before in Chicago
    assert all(d >= "20260101" for d in days)
    more = kis.get(daily_path, "HHDFC55020100", **common, QRY_TP="P",
                   INDEX_KEY=first["output1"]["index_key"])  # fmt: skip
    assert more["output2"] == [] or more["output2"][0]["data_date"] < days[-1]


def test_past_minutes_continue_into_earlier_days_only_with_past_data(kis: Caller) -> None:
    def page(include: str) -> list[dict[str, str]]:
        body = kis.get(PAST_MINUTES_PATH, "FHKST03010230", FID_COND_MRKT_DIV_CODE="J",
                       FID_INPUT_ISCD=CODE, FID_INPUT_HOUR_1="090100", FID_INPUT_DATE_1="20260302",
                       FID_PW_DATA_INCU_YN=include)  # fmt: skip
        rows: list[dict[str, str]] = body["output2"]
        return rows

    assert page("N") == []  # 2026-03-02 is a KRX holiday (substitute for 03-01)
    with_past = page("Y")  # back to the trading day before: Friday 02-27
    assert len(with_past) == 120
    assert {r["stck_bsop_date"] for r in with_past} == {"20260227"}
    assert with_past[0]["stck_cntg_hour"] == "152900"


def test_a_daily_series_with_a_spec_window_honours_it(kis: Caller) -> None:
    body = kis.get("/uapi/domestic-stock/v1/quotations/daily-short-sale", "FHPST04830000",
                   FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD=CODE,
                   FID_INPUT_DATE_1="20260201", FID_INPUT_DATE_2="20260220")  # fmt: skip
    got = [datetime.strptime(r["stck_bsop_date"], "%Y%m%d").date() for r in body["output2"]]
    assert got == trading_days(date(2026, 2, 1), date(2026, 2, 20))
