"""kis.calendar: a real client asks chk_holiday (sandbox / MockTransport), a mock one the table."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date
from pathlib import Path

import httpx
import pytest

from kisapi import AsyncKis, Kis
from kisapi_runtime.calendar import krx_table
from kisapi_sandbox import Sandbox
from kisapi_sandbox.holidays import DAYS_PER_PAGE

HOLIDAY_PATH = "/uapi/domestic-stock/v1/quotations/chk-holiday"
# A day the table says is open (Friday 17 July 2026), which KIS will say is closed.
SURPRISE = date(2026, 7, 17)


def _kis(tmp_path: Path, env: str, transport: httpx.BaseTransport) -> Kis:
    return Kis(appkey="A" * 36, appsecret="S" * 180, account="12345678-01", env=env,  # type: ignore[arg-type]
               transport=transport, token_cache_dir=tmp_path)  # fmt: skip


class Recorder:
    """Sandbox answers, except chk_holiday days rewritten to ``closed``; records the calls."""

    def __init__(self, closed: set[date] = frozenset(), fail: bool = False) -> None:  # type: ignore[assignment]
        self.sandbox = Sandbox(today=date(2026, 7, 1))
        self.closed = closed
        self.fail = fail
        self.holiday_calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != HOLIDAY_PATH:
            return self.sandbox.handle(request)
        self.holiday_calls.append(request.url.params["BASS_DT"])
        if self.fail:
            body = {"rt_cd": "1", "msg_cd": "EGW00002", "msg1": "서버 에러"}
            return httpx.Response(500, json=body)
        response = self.sandbox.handle(request)
        body = json.loads(response.content)
        for row in body["output"]:
            if (
                date.fromisoformat(
                    row["bass_dt"][:4] + "-" + row["bass_dt"][4:6] + "-" + row["bass_dt"][6:]
                )
                in self.closed
            ):
                row["opnd_yn"] = "N"
        return httpx.Response(200, json=body, headers={"tr_cont": "D"})


def test_real_client_believes_kis_over_the_table(tmp_path: Path) -> None:
    assert krx_table().is_open(SURPRISE)
    rec = Recorder(closed={SURPRISE})
    kis = _kis(tmp_path, "real", httpx.MockTransport(rec))
    assert kis.calendar.is_trading_day(SURPRISE) is False
    assert rec.holiday_calls == ["20260717"]
    assert kis.calendar.next_trading_day(date(2026, 7, 16)) == date(2026, 7, 20)
    assert kis.calendar.session_times(SURPRISE) is None
    assert rec.holiday_calls == ["20260717"]  # that page covered the following days too
    assert kis.calendar.is_trading_day(date(2026, 7, 16)) is True
    assert rec.holiday_calls == ["20260717", "20260716"]
    assert kis.calendar is kis.calendar


def test_mock_client_reads_the_table_without_a_request(tmp_path: Path) -> None:
    rec = Recorder(closed={SURPRISE})
    kis = _kis(tmp_path, "mock", httpx.MockTransport(rec))
    assert kis.calendar.is_trading_day(SURPRISE) is True
    assert kis.calendar.is_trading_day(date(2026, 9, 24)) is False
    assert rec.holiday_calls == []


def test_a_failing_chk_holiday_falls_back_to_the_table(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder(fail=True)
    kis = _kis(tmp_path, "real", httpx.MockTransport(rec))
    with caplog.at_level(logging.WARNING):
        assert kis.calendar.is_trading_day(date(2026, 9, 24)) is False
        assert kis.calendar.is_trading_day(date(2026, 9, 23)) is True
    assert rec.holiday_calls  # it did ask
    assert "using the table" in caplog.text


def test_the_sandbox_answers_chk_holiday_from_the_same_table(tmp_path: Path) -> None:
    sandbox = Sandbox(today=date(2025, 9, 20))
    kis = _kis(tmp_path, "real", sandbox.transport())
    rows = kis.domestic_stock.chk_holiday(bass_dt=date(2025, 9, 25)).output
    assert len(rows) == DAYS_PER_PAGE
    table = krx_table()
    assert [(r.bass_dt, r.opnd_yn) for r in rows] == [
        (r.bass_dt, table.is_open(r.bass_dt)) for r in rows if r.bass_dt is not None
    ]
    assert any(
        r.opnd_yn is False and r.bass_dt is not None and r.bass_dt.weekday() < 5 for r in rows
    )


def test_async_client_loads_what_kis_says(tmp_path: Path) -> None:
    rec = Recorder(closed={SURPRISE})

    async def handler(request: httpx.Request) -> httpx.Response:
        return rec(request)

    async def main() -> tuple[bool, bool]:
        async with AsyncKis(appkey="A" * 36, appsecret="S" * 180, account="12345678-01", env="real",
                            transport=httpx.MockTransport(handler), token_cache_dir=tmp_path) as akis:  # fmt: skip
            before = akis.calendar.is_trading_day(SURPRISE)
            await akis.calendar.aload(date(2026, 7, 10))
            return before, akis.calendar.is_trading_day(SURPRISE)

    assert asyncio.run(main()) == (True, False)
    assert rec.holiday_calls == ["20260710"]
