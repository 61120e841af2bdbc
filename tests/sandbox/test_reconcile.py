"""kis.reconcile(error) end to end in the sandbox: the paper broker accepts an order and the
reply is lost (placed, with the broker's order number), or the request is lost before the
broker sees it (not placed); identical orders in the window leave it unknown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kisapi import AsyncKis, Kis, KisOrderStateUnknownError
from kisapi_runtime.codecs import KST
from kisapi_sandbox import PaperBroker, serve
from kisapi_sandbox.server import SandboxServer

ORDER_PATH = "/uapi/domestic-stock/v1/trading/order-cash"
ORDER = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": 3, "ord_unpr": 70000}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve(broker=PaperBroker(enforce_hours=False)) as srv:
        yield srv


def settings(server: SandboxServer, tmp_path: Path) -> dict[str, Any]:
    return {"appkey": "PSreconcile0123456789abcdefghijklmn", "appsecret": "reconcile-secret",
            "account": "50000123-01", "env": "mock", "rest_url": server.mock_url,
            "token_cache_dir": tmp_path}  # fmt: skip


def listed(kis: Kis) -> list[Any]:
    today = datetime.now(KST).date()
    return list(
        kis.domestic_stock.inquire_daily_ccld.pages(inqr_strt_dt=today, inqr_end_dt=today)
        .collect()
        .rows
    )


def test_reply_lost_after_acceptance_is_found_placed(server: SandboxServer, tmp_path: Path) -> None:
    with Kis(**settings(server, tmp_path)) as kis:
        server.faults.drop(path=ORDER_PATH)
        with pytest.raises(KisOrderStateUnknownError) as err:
            kis.domestic_stock.order_cash(**ORDER)
        (row,) = listed(kis)  # the broker did take it
        answer = kis.reconcile(err.value)
    assert answer.status == "placed" and answer.placed
    assert answer.order_number == row.odno


def test_request_lost_before_the_broker_is_not_placed(
    server: SandboxServer, tmp_path: Path
) -> None:
    with Kis(**settings(server, tmp_path)) as kis:
        server.faults.lose(path=ORDER_PATH)
        with pytest.raises(KisOrderStateUnknownError) as err:
            kis.domestic_stock.order_cash(**ORDER)
        assert listed(kis) == []
        answer = kis.reconcile(err.value)
    assert answer.status == "not_placed" and answer.order_number is None


def test_identical_orders_in_the_window_leave_it_unknown(
    server: SandboxServer, tmp_path: Path
) -> None:
    with Kis(**settings(server, tmp_path)) as kis:
        kis.domestic_stock.order_cash(**ORDER)
        kis.domestic_stock.order_cash(**{**ORDER, "ord_qty": 4})  # differs: not a candidate
        server.faults.drop(path=ORDER_PATH)
        with pytest.raises(KisOrderStateUnknownError) as err:
            kis.domestic_stock.order_cash(**ORDER)
        answer = kis.reconcile(err.value)
    assert answer.status == "unknown" and len(answer.candidates) == 2


async def test_async_reconcile_both_ways(server: SandboxServer, tmp_path: Path) -> None:
    async with AsyncKis(**settings(server, tmp_path)) as kis:
        server.faults.lose(path=ORDER_PATH)
        with pytest.raises(KisOrderStateUnknownError) as lost:
            await kis.domestic_stock.order_cash(**ORDER)
        assert (await kis.reconcile(lost.value)).status == "not_placed"
        server.faults.drop(path=ORDER_PATH)
        with pytest.raises(KisOrderStateUnknownError) as dropped:
            await kis.domestic_stock.order_cash(**{**ORDER, "ord_qty": 5})
        answer = await kis.reconcile(dropped.value)
    assert answer.status == "placed" and answer.order_number
