"""Bad helper input fails with the API, the field and the reason, and nothing is sent (not even
a token request): the transport records every request it sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi import AsyncKis, Kis, KisValidationError
from kisapi_runtime.trading import OrderInfo
from kisapi_runtime.trading import exchanges as exchanges_module
from kisapi_runtime.trading.ticks import off_tick, stock_tick

SENT: list[httpx.Request] = []


def _record(request: httpx.Request) -> httpx.Response:
    SENT.append(request)
    return httpx.Response(599)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Callable[..., dict[str, Any]]]:
    SENT.clear()

    def make(env: str = "real", account: str = "50000123-01") -> dict[str, Any]:
        return {"appkey": "PSrefused0123456789abcdefghijklmn", "appsecret": "refused-secret",
                "account": account, "env": env, "rest_url": "http://kis.invalid",
                "token_cache_dir": tmp_path}  # fmt: skip

    yield make
    assert SENT == []


def _kis(settings: Callable[..., dict[str, Any]], **kw: Any) -> Kis:
    return Kis(**settings(**kw), transport=httpx.MockTransport(_record))


def _order(product: str = "domestic_stock", **fields: Any) -> OrderInfo:
    base: dict[str, Any] = {"product": product, "number": "0000000001", "branch": "00950",
                            "side": "buy", "symbol": "005930", "qty": 1, "price": None,
                            "order_type": "market", "exchange": "KRX"}  # fmt: skip
    return OrderInfo(**{**base, **fields})


DOMESTIC: list[tuple[str, Callable[[Kis], Any], str, str]] = [
    ("zero qty", lambda k: k.domestic_stock.buy("005930", qty=0, price=70000), "qty", "positive"),
    ("negative qty", lambda k: k.domestic_stock.sell("005930", qty=-1), "qty", "positive"),
    ("fractional qty", lambda k: k.domestic_stock.buy("005930", qty=1.5), "qty", "whole number"),  # type: ignore[arg-type]
    ("bool qty", lambda k: k.domestic_stock.buy("005930", qty=True), "qty", "whole number"),
    ("off tick", lambda k: k.domestic_stock.buy("005930", qty=1, price=70001), "price",
     "price unit (100 won"),
    ("fraction of a won", lambda k: k.domestic_stock.buy("005930", qty=1, price="70000.5"),
     "price", "whole won"),
    ("zero price", lambda k: k.domestic_stock.buy("005930", qty=1, price=0), "price", "positive"),
    ("not a number", lambda k: k.domestic_stock.buy("005930", qty=1, price="abc"), "price",
     "not a number"),
    ("infinite", lambda k: k.domestic_stock.buy("005930", qty=1, price="inf"), "price", "finite"),
    ("empty symbol", lambda k: k.domestic_stock.buy(" ", qty=1), "symbol", "product code"),
    ("modify nothing", lambda k: k.domestic_stock.modify(_order()), "price", "new price"),
    ("modify market without price", lambda k: k.domestic_stock.modify(_order(), qty=1), "price",
     "needs a price"),
    ("modify off tick", lambda k: k.domestic_stock.modify("0000000001", price=70001), "price",
     "price unit"),
    ("cancel by bad number", lambda k: k.domestic_stock.cancel("12-3"), "order", "order number"),
    ("cancel another product's order", lambda k: k.domestic_stock.cancel(_order("overseas_stock")),
     "order", "overseas_stock order"),
    ("cancel zero qty", lambda k: k.domestic_stock.cancel(_order(), qty=0), "qty", "positive"),
    ("no branch", lambda k: k.domestic_stock.cancel(_order(branch=None)), "order", "branch"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "call", "field", "reason"), DOMESTIC, ids=[c[0] for c in DOMESTIC]
)
def test_domestic_refusals_send_nothing(
    settings: Callable[..., dict[str, Any]], case: str, call: Callable[[Kis], Any], field: str,
    reason: str,
) -> None:  # fmt: skip
    with _kis(settings) as kis, pytest.raises(KisValidationError) as err:
        call(kis)
    assert err.value.field == field and reason in err.value.reason
    assert err.value.api.startswith("domestic_stock.")


OVERSEAS: list[tuple[str, Callable[[Kis], Any], str, str]] = [
    ("unknown exchange", lambda k: k.overseas_stock.buy("AAPL", qty=1, price="1", exchange="XXX"),
     "exchange", "not one of"),
    ("market order", lambda k: k.overseas_stock.buy("AAPL", qty=1, exchange="NASD"), "price",
     "no plain market orders"),
    ("moo buy", lambda k: k.overseas_stock.buy("AAPL", qty=1, exchange="NASD", order_type="moo"),
     "order_type", "limit, loo, loc"),
    ("moo with a price", lambda k: k.overseas_stock.sell("AAPL", qty=1, price="1", exchange="NASD",
                                                         order_type="moo"), "price", "no price"),
    ("loc without a price", lambda k: k.overseas_stock.sell("AAPL", qty=1, exchange="NASD",
                                                            order_type="loc"), "price", "required"),
    ("moc in Hong Kong", lambda k: k.overseas_stock.sell("00700", qty=1, exchange="SEHK",
                                                         order_type="moc"), "order_type", "limit"),
    ("negative price", lambda k: k.overseas_stock.buy("AAPL", qty=1, price="-1", exchange="NASD"),
     "price", "positive"),
    ("zero qty", lambda k: k.overseas_stock.sell("AAPL", qty=0, price="1", exchange="NASD"), "qty",
     "positive"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "call", "field", "reason"), OVERSEAS, ids=[c[0] for c in OVERSEAS]
)
def test_overseas_refusals_send_nothing(
    settings: Callable[..., dict[str, Any]], case: str, call: Callable[[Kis], Any], field: str,
    reason: str,
) -> None:  # fmt: skip
    with _kis(settings) as kis, pytest.raises(KisValidationError) as err:
        call(kis)
    assert err.value.field == field and reason in err.value.reason
    assert err.value.api.startswith("overseas_stock.")


def test_an_unlisted_symbol_without_exchange_is_refused(
    settings: Callable[..., dict[str, Any]],
) -> None:
    """With no ``exchange=`` the desk reads the overseas master file (here it cannot be had);
    no order request goes out and the error asks for the exchange."""
    with _kis(settings) as kis, pytest.raises(KisValidationError) as err:
        kis.overseas_stock.buy("AAPL", qty=1, price="1")
    assert (err.value.api, err.value.field) == ("overseas_stock.buy", "exchange")
    assert "required" in err.value.reason
    assert SENT and all("/common/master/" in r.url.path for r in SENT)
    SENT.clear()


def test_overseas_mock_takes_limit_orders_only(settings: Callable[..., dict[str, Any]]) -> None:
    with (
        _kis(settings, env="mock") as kis,
        pytest.raises(KisValidationError, match="limit orders only"),
    ):
        kis.overseas_stock.sell("AAPL", qty=1, exchange="NASD", order_type="moc")


def test_futures_refusals_send_nothing(settings: Callable[..., dict[str, Any]]) -> None:
    with _kis(settings, account="50000123-03") as kis:
        fo = kis.domestic_futureoption
        with pytest.raises(KisValidationError, match=r"domestic_futureoption\.buy: qty: must be"):
            fo.buy("101W09", qty=0, price="350")
        with pytest.raises(KisValidationError, match="price: must be finite"):
            fo.sell("101W09", qty=1, price="nan")
        with pytest.raises(KisValidationError, match="modify: price: give a new price"):
            fo.modify("0000000001")


async def test_async_refusals_send_nothing(settings: Callable[..., dict[str, Any]]) -> None:
    async with AsyncKis(**settings(), transport=httpx.MockTransport(_record)) as kis:
        with pytest.raises(KisValidationError, match=r"domestic_stock\.buy: price: 70001"):
            await kis.domestic_stock.buy("005930", qty=1, price=70001)
        with pytest.raises(KisValidationError, match=r"overseas_stock\.sell: exchange"):
            await kis.overseas_stock.sell("AAPL", qty=1, price="1", exchange="XXX")
        with pytest.raises(KisValidationError, match=r"domestic_futureoption\.cancel: qty"):
            await kis.domestic_futureoption.cancel("0000000001", qty=-2)


def test_tick_table() -> None:
    assert [stock_tick(p) for p in (1999, 2000, 4999, 5000, 19_990, 20_000, 49_950, 50_000,
                                    199_900, 200_000, 499_500, 500_000)] == [
        1, 5, 5, 10, 10, 50, 50, 100, 100, 500, 500, 1000]  # fmt: skip
    assert off_tick(70_000) is None and off_tick(1_999) is None
    assert "69900 or 70000" not in (off_tick(70_050) or "") and "70000 or 70100" in (
        off_tick(70_050) or ""
    )


def test_tick_check_off_lets_etf_prices_through(
    settings: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    SENT.clear()
    with _kis(settings) as kis, pytest.raises(Exception) as err:
        kis.domestic_stock.buy("069500", qty=1, price=35_005, tick_check=False)
    assert not isinstance(err.value, KisValidationError)  # it went to the (recording) network
    assert SENT  # the token request
    SENT.clear()


def test_exchange_codes_read() -> None:
    assert exchanges_module.order_exchange(None, "AAPL") is None  # the desk looks it up first
    assert exchanges_module.order_exchange("nas", "AAPL") == "NASD"
    assert exchanges_module.order_exchange("hks", "0700") == "SEHK"
