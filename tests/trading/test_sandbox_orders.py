"""Order helpers end to end against the sandbox's paper broker: buy (limit and market), modify,
cancel by object and by number, sell, for domestic stock, overseas stock and futures/options,
checked against what the broker booked; sync and async."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kisapi import AsyncKis, Kis, KisOrderStateUnknownError, KisValidationError
from kisapi_runtime.trading import AsyncOrder, Order
from kisapi_sandbox import PaperBroker
from kisapi_sandbox.server import SandboxServer

from .conftest import FUTURES

LOW = 1000  # far below the simulated price: a limit buy that stays open


def test_domestic_buy_modify_cancel_sell(kis: Kis, broker: PaperBroker) -> None:
    stock = kis.domestic_stock
    order = stock.buy("005930", qty=3, price=LOW)
    assert isinstance(order, Order)
    assert (order.side, order.symbol, order.qty, order.price, order.order_type) == (
        "buy", "005930", 3, LOW, "limit",
    )  # fmt: skip
    assert order.number and order.branch
    booked = broker.store.orders[order.number]
    assert (booked.kind, booked.ord_dvsn, booked.qty, booked.price) == ("new", "00", 3, LOW)

    moved = order.modify(price=LOW + 10)
    assert moved.original == order.number and moved.price == LOW + 10 and moved.qty == 3
    revise = broker.store.orders[moved.number]
    assert (revise.kind, revise.orgn_odno, revise.price, revise.qty) == (
        "revise", order.number, LOW + 10, 3,
    )  # fmt: skip
    assert broker.store.orders[order.number].remaining == 0

    part = moved.modify(qty=1)  # part of it, price kept
    assert broker.store.orders[part.number].qty == 1 and part.price == LOW + 10
    assert broker.store.orders[moved.number].remaining == 2

    cancelled = moved.cancel()  # by object: what remains
    row = broker.store.orders[cancelled.number]
    assert (row.kind, row.orgn_odno, row.qty) == ("cancel", moved.number, 2)
    assert broker.store.orders[moved.number].remaining == 0

    by_number = stock.cancel(part.number)  # the branch found in today's orders
    assert by_number.original == part.number and by_number.branch == part.branch
    assert broker.store.orders[part.number].remaining == 0

    bought = stock.buy("005930", qty=2)  # market: no price
    assert (bought.order_type, bought.price) == ("market", None)
    assert broker.store.orders[bought.number].ord_dvsn == "01"
    assert broker.store.orders[bought.number].filled_qty == 2
    sold = stock.sell("005930", qty=2, price=LOW)  # marketable limit sell fills
    assert sold.side == "sell" and broker.store.orders[sold.number].filled_qty == 2


def test_domestic_find_order_and_nothing_left(kis: Kis) -> None:
    order = kis.domestic_stock.buy("005930", qty=4, price=LOW)
    found = kis.domestic_stock.find_order(order.number)
    assert (found.number, found.branch, found.qty, found.price, found.side) == (
        order.number, order.branch, 4, LOW, "buy",
    )  # fmt: skip
    order.cancel()
    with pytest.raises(KisValidationError, match="nothing left"):
        kis.domestic_stock.cancel(order.number)
    with pytest.raises(KisValidationError, match="no order 0000999999"):
        kis.domestic_stock.cancel("0000999999")


def test_overseas_buy_modify_cancel_sell(
    settings: Callable[..., dict[str, Any]], broker: PaperBroker
) -> None:
    with Kis(**settings()) as kis:
        order = kis.overseas_stock.buy("AAPL", qty=5, price="187.25", exchange="NAS")
        assert order.exchange == "NASD" and order.price == Decimal("187.25")
        booked = broker.store.bookings[order.number]
        assert (booked.market, booked.side, booked.qty, booked.price) == (
            "NASD", "buy", 5, "187.25",
        )  # fmt: skip
        moved = order.modify(price="187.5", qty=3)
        revise = broker.store.bookings[moved.number]
        assert (revise.kind, revise.orgn_odno, revise.qty, revise.price) == (
            "revise", order.number, 3, "187.5",
        )  # fmt: skip
        assert broker.store.bookings[order.number].remaining == 2
        cancelled = moved.cancel()
        assert broker.store.bookings[cancelled.number].kind == "cancel"
        assert broker.store.bookings[moved.number].remaining == 0
        rest = order.cancel()  # the object says 5; what remains (2) is looked up and sent
        assert rest.qty == 2 and broker.store.bookings[rest.number].qty == 2
        assert broker.store.bookings[order.number].remaining == 0
        listed = kis.overseas_stock.buy("AAPL", qty=1, price="187.25")  # master file: NAS
        assert listed.exchange == "NASD" and broker.store.bookings[listed.number].market == "NASD"
        other = kis.overseas_stock.buy("MSFT", qty=4, price="400", exchange="NYSE")
        by_number = kis.overseas_stock.cancel(other.number)  # exchange and remaining found
        assert (by_number.exchange, by_number.qty) == ("NYSE", 4)
        assert broker.store.bookings[other.number].remaining == 0
        sold = kis.overseas_stock.sell("TSLA", qty=1, price="250", exchange="NASD")
        assert broker.store.bookings[sold.number].side == "sell"
        with pytest.raises(KisValidationError, match="mock accounts take limit orders only"):
            kis.overseas_stock.sell("TSLA", qty=1, exchange="NASD", order_type="moo")
    with Kis(**settings(env="real")) as real:  # KIS's market-type US orders: moo/moc sells
        moo = real.overseas_stock.sell("AAPL", qty=1, exchange="NYSE", order_type="moo")
        assert (moo.order_type, moo.price) == ("moo", None)
        assert broker.store.bookings[moo.number].price == "0"


def test_futures_buy_modify_cancel_sell(
    settings: Callable[..., dict[str, Any]], broker: PaperBroker
) -> None:
    with Kis(**settings(FUTURES)) as kis:
        fo = kis.domestic_futureoption
        order = fo.buy("101W09", qty=2, price="350.25")
        assert (order.session, order.price) == ("day", Decimal("350.25"))
        assert broker.store.bookings[order.number].price == "350.25"
        moved = order.modify(price="350.5")
        assert broker.store.bookings[moved.number].qty == 2  # all that remained
        assert broker.store.bookings[order.number].remaining == 0
        cancelled = moved.cancel()
        assert broker.store.bookings[cancelled.number].orgn_odno == moved.number
        other = fo.buy("101W09", qty=1, price="349.5")
        by_number = fo.cancel(other.number)
        assert by_number.original == other.number
        assert broker.store.bookings[other.number].remaining == 0
        market = fo.sell("101W09", qty=1)
        assert (market.order_type, broker.store.bookings[market.number].price) == ("market", "0")


async def test_async_helpers_all_products(
    settings: Callable[..., dict[str, Any]], broker: PaperBroker
) -> None:
    async with AsyncKis(**settings()) as kis:
        order = await kis.domestic_stock.buy("005930", qty=2, price=LOW)
        assert isinstance(order, AsyncOrder)
        moved = await order.modify(price=LOW + 5)
        await moved.cancel()
        assert broker.store.orders[moved.number].remaining == 0
        again = await kis.domestic_stock.buy("005930", qty=1, price=LOW)
        await kis.domestic_stock.cancel(again.number)
        assert broker.store.orders[again.number].remaining == 0
        abroad = await kis.overseas_stock.buy("AAPL", qty=1, price="10")  # exchange: masters
        assert abroad.exchange == "NASD"
        await kis.overseas_stock.cancel(abroad.number)
        assert broker.store.bookings[abroad.number].remaining == 0
    async with AsyncKis(**settings(FUTURES)) as fkis:
        fut = await fkis.domestic_futureoption.buy("101W09", qty=1, price="300")
        await (await fut.modify(price="301")).cancel()
        assert broker.store.bookings[fut.number].remaining == 0


def test_helpers_go_through_the_order_path_unknown_is_never_retried(
    kis: Kis, server: SandboxServer, broker: PaperBroker
) -> None:
    server.faults.drop(path="/uapi/domestic-stock/v1/trading/order-cash")
    with pytest.raises(KisOrderStateUnknownError) as err:
        kis.domestic_stock.buy("005930", qty=3, price=LOW)
    assert len(broker.store.orders) == 1  # sent once, taken once, not retried
    answer = kis.reconcile(err.value)
    assert answer.status == "placed" and answer.order_number in broker.store.orders
