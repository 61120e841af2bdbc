"""kis.reconcile(error) end to end in the sandbox: the paper broker accepts an order and the
reply is lost (placed, with the broker's order number), or the request is lost before the
broker sees it (not placed); identical orders in the window leave it unknown. Domestic
stock, overseas stock and day-session futures/options, sync and async."""

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

OTHERS: dict[str, dict[str, Any]] = {
    "overseas_stock.order": {
        "path": "/uapi/overseas-stock/v1/trading/order",
        "account": "50000123-01",
        "order": {"side": "sell", "ovrs_excg_cd": "NASD", "pdno": "AAPL", "ord_qty": 2,
                  "ovrs_ord_unpr": "187.25", "ord_dvsn": "00"},
        "list": lambda kis, today: kis.overseas_stock.inquire_ccnl.pages(
            ord_strt_dt=today, ord_end_dt=today, pdno="AAPL", sll_buy_dvsn="00",
            ovrs_excg_cd="NASD"),
    },
    "domestic_futureoption.order": {
        "path": "/uapi/domestic-futureoption/v1/trading/order",
        "account": "50000123-03",
        "order": {"session": "day", "ord_prcs_dvsn_cd": "02", "sll_buy_dvsn_cd": "02",
                  "shtn_pdno": "101W09", "ord_qty": 1, "unit_price": "350.25",
                  "nmpr_type_cd": "01", "krx_nmpr_cndt_cd": "0", "ord_dvsn_cd": "01"},
        "list": lambda kis, today: kis.domestic_futureoption.inquire_ccnl.pages(
            strt_ord_dt=today, end_ord_dt=today, sll_buy_dvsn_cd="00", ccld_nccs_dvsn="00",
            sort_sqn="DS"),
    },
}  # fmt: skip


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve(broker=PaperBroker(enforce_hours=False)) as srv:
        yield srv


def settings(server: SandboxServer, tmp_path: Path, account: str = "50000123-01") -> dict[str, Any]:
    return {"appkey": "PSreconcile0123456789abcdefghijklmn", "appsecret": "reconcile-secret",
            "account": account, "env": "mock", "rest_url": server.mock_url,
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


def _send(kis: Any, api_id: str, **order: Any) -> Any:
    namespace, method = api_id.split(".")
    return getattr(getattr(kis, namespace), method)(**order)


def _listed_rows(kis: Kis, api_id: str) -> list[Any]:
    return list(OTHERS[api_id]["list"](kis, datetime.now(KST).date()).collect().rows)


@pytest.mark.parametrize("api_id", list(OTHERS))
def test_overseas_and_futures_reply_lost_is_placed_request_lost_is_not(
    api_id: str, server: SandboxServer, tmp_path: Path
) -> None:
    case = OTHERS[api_id]
    with Kis(**settings(server, tmp_path, case["account"])) as kis:
        server.faults.lose(path=case["path"])
        with pytest.raises(KisOrderStateUnknownError) as lost:
            _send(kis, api_id, **case["order"])
        assert _listed_rows(kis, api_id) == []
        not_placed = kis.reconcile(lost.value)
        server.faults.drop(path=case["path"])
        with pytest.raises(KisOrderStateUnknownError) as dropped:
            _send(kis, api_id, **case["order"])
        (row,) = _listed_rows(kis, api_id)  # the broker did take it
        placed = kis.reconcile(dropped.value)
        other = _send(kis, api_id, **{**case["order"], "ord_qty": 7}).output  # not a candidate
        assert kis.reconcile(dropped.value).order_number == row.odno != other.odno
    assert not_placed.status == "not_placed" and not_placed.order_number is None
    assert placed.status == "placed" and placed.order_number == row.odno


@pytest.mark.parametrize("api_id", list(OTHERS))
async def test_async_overseas_and_futures_both_ways(
    api_id: str, server: SandboxServer, tmp_path: Path
) -> None:
    case = OTHERS[api_id]
    async with AsyncKis(**settings(server, tmp_path, case["account"])) as kis:
        server.faults.lose(path=case["path"])
        with pytest.raises(KisOrderStateUnknownError) as lost:
            await _send(kis, api_id, **case["order"])
        assert (await kis.reconcile(lost.value)).status == "not_placed"
        server.faults.drop(path=case["path"])
        with pytest.raises(KisOrderStateUnknownError) as dropped:
            await _send(kis, api_id, **{**case["order"], "ord_qty": 5})
        answer = await kis.reconcile(dropped.value)
    broker = server.sandbox.broker
    assert isinstance(broker, PaperBroker)
    (booked,) = broker.store.bookings.values()  # the lost request left nothing behind
    assert answer.status == "placed" and answer.order_number == booked.odno
    assert (booked.api, booked.qty) == (api_id, 5)
