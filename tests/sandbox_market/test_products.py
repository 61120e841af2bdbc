"""Quotes and order books are coherent per product: the order book sits around the current
price on KRX ticks, futures and options carry contract names, ordered limits and the KOSPI200
multiplier, overseas stocks their currency and decimals, bonds and ELW their own scales."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest

from kisapi_runtime.codecs import KST
from kisapi_sandbox import Sandbox
from kisapi_sandbox.instruments import KOSPI200_MULTIPLIER, instrument
from kisapi_sandbox.ticks import TickStream
from kisapi_sandbox.values import STOCKS, tick

from .helpers import CODE, Caller, market_at

pytestmark = pytest.mark.timeout(120)
STOCK_NAMES = {name for _code, name in STOCKS}
FUTURES_QUOTE = "/uapi/domestic-futureoption/v1/quotations/inquire-price"


@pytest.fixture(scope="module")
def kis() -> Iterator[Caller]:
    caller = Caller(Sandbox(market=market_at()))
    yield caller
    caller.close()


def book_of(kis: Caller, code: str) -> tuple[dict[str, str], dict[str, str]]:
    body = kis.get("/uapi/domestic-stock/v1/quotations/inquire-asking-price-exp-ccn",
                   "FHKST01010200", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD=code)  # fmt: skip
    return body["output1"], body["output2"]


@pytest.mark.parametrize("code", [CODE, "000660", "035720", "123456"])
def test_the_order_book_sits_around_the_price_on_krx_ticks(kis: Caller, code: str) -> None:
    levels, quote = book_of(kis, code)
    price = int(kis.quote(code)["stck_prpr"])
    assert int(quote["stck_prpr"]) == price
    asks = [int(levels[f"askp{n}"]) for n in range(1, 11)]
    bids = [int(levels[f"bidp{n}"]) for n in range(1, 11)]
    assert asks[0] == price + tick(price) and bids[0] == price
    for lower, upper in zip([price, *asks], asks, strict=False):
        assert upper - lower == tick(lower)
    for upper, lower in itertools.pairwise(bids):
        assert upper - lower == tick(lower) and lower % tick(lower) == 0
    sizes = [int(levels[f"askp_rsqn{n}"]) for n in range(1, 11)]
    assert all(size > 0 for size in sizes)
    assert int(levels["total_askp_rsqn"]) == sum(sizes)


def test_the_order_book_changes_tick_at_a_price_boundary() -> None:
    when = datetime(2026, 3, 4, 9, 0, 1, tzinfo=KST)  # the first step: the pinned reference
    caller = Caller(Sandbox(market=market_at(when, base_prices={CODE: 49_950})))
    try:
        levels, _quote = book_of(caller, CODE)
    finally:
        caller.close()
    assert [int(levels[f"askp{n}"]) for n in range(1, 4)] == [50_000, 50_100, 50_200]
    assert [int(levels[f"bidp{n}"]) for n in range(1, 4)] == [49_950, 49_900, 49_850]


def futures_quote(kis: Caller, code: str, market: str = "F") -> dict[str, Decimal | str]:
    body = kis.get(FUTURES_QUOTE, "FHMIF10000000", FID_COND_MRKT_DIV_CODE=market,
                   FID_INPUT_ISCD=code)  # fmt: skip
    out = body["output1"]
    return {k: (Decimal(v) if k.startswith("futs_") and "iscd" not in k else v)
            for k, v in out.items()}  # fmt: skip


def test_a_futures_quote_is_a_contract_with_ordered_limits(kis: Caller) -> None:
    q = futures_quote(kis, "101W09")
    assert q["hts_kor_isnm"] not in STOCK_NAMES and "F" in str(q["hts_kor_isnm"])
    upper, price, lower = q["futs_mxpr"], q["futs_prpr"], q["futs_llam"]
    assert isinstance(upper, Decimal) and isinstance(price, Decimal) and isinstance(lower, Decimal)
    assert upper > price > lower
    assert Decimal(100) < price < Decimal(1000)  # KOSPI200 points
    assert price % Decimal("0.05") == 0
    reference = q["futs_prdy_clpr"]
    assert isinstance(reference, Decimal)
    assert upper == pytest.approx(reference * Decimal("1.08"), abs=Decimal("0.05"))
    assert q["futs_prdy_vrss"] == price - reference
    assert instrument("F:101W09").multiplier == KOSPI200_MULTIPLIER == 250_000


def test_an_option_quote_is_a_premium_with_option_ticks(kis: Caller) -> None:
    q = futures_quote(kis, "201W09340", market="O")
    name = str(q["hts_kor_isnm"])
    assert name not in STOCK_NAMES and " C " in name and name.endswith("340")
    price = q["futs_prpr"]
    assert isinstance(price, Decimal) and Decimal(0) < price < Decimal(50)
    assert price % (Decimal("0.05") if price >= 10 else Decimal("0.01")) == 0
    put = futures_quote(kis, "301W09340", market="O")
    assert " P " in str(put["hts_kor_isnm"])


def test_an_overseas_quote_has_its_currency_and_decimals(kis: Caller) -> None:
    body = kis.get("/uapi/overseas-price/v1/quotations/price-detail", "HHDFS76200200", AUTH="",
                   EXCD="NAS", SYMB="AAPL")  # fmt: skip
    out = body["output"]
    assert out["curr"] == "USD" and out["zdiv"] == "4"
    last, base = Decimal(out["last"]), Decimal(out["base"])
    assert len(out["last"].split(".")[1]) == 4 and last % Decimal("0.01") == 0
    assert Decimal(out["high"]) >= last >= Decimal(out["low"])
    assert Decimal(out["h52p"]) >= Decimal(out["high"]) and Decimal(out["l52p"]) <= Decimal(
        out["low"]
    )
    assert Decimal(1) < last < Decimal(1000) and base > 0
    book = kis.get("/uapi/overseas-price/v1/quotations/inquire-asking-price", "HHDFS76200100",
                   AUTH="", EXCD="NAS", SYMB="AAPL")  # fmt: skip
    levels = book["output2"]
    assert Decimal(levels["pbid1"]) == last and Decimal(levels["pask1"]) == last + Decimal("0.01")
    quote = kis.get("/uapi/overseas-price/v1/quotations/price", "HHDFS00000300", AUTH="",
                    EXCD="NAS", SYMB="AAPL")["output"]  # fmt: skip
    assert quote["last"] == out["last"]
    hk = kis.get("/uapi/overseas-price/v1/quotations/price-detail", "HHDFS76200200", AUTH="",
                 EXCD="HKS", SYMB="00700")["output"]  # fmt: skip
    assert hk["curr"] == "HKD" and len(hk["last"].split(".")[1]) == 3


def test_bonds_and_elw_have_their_own_scales(kis: Caller) -> None:
    bond = kis.get("/uapi/domestic-bond/v1/quotations/inquire-price", "FHKBJ773400C0",
                   FID_COND_MRKT_DIV_CODE="B", FID_INPUT_ISCD="KR6095572D81")["output"]  # fmt: skip
    assert Decimal(5000) < Decimal(bond["bond_prpr"]) < Decimal(15000)
    assert Decimal(bond["bond_mxpr"]) > Decimal(bond["bond_prpr"]) > Decimal(bond["bond_llam"])
    assert bond["hts_kor_isnm"] not in STOCK_NAMES
    elw = kis.get("/uapi/domestic-stock/v1/quotations/inquire-elw-price", "FHKEW15010000",
                  FID_COND_MRKT_DIV_CODE="W", FID_INPUT_ISCD="57JB12")["output"]  # fmt: skip
    price = int(elw["elw_prpr"])
    assert 0 < price < 10_000 and price % 5 == 0 and elw["hts_kor_isnm"] not in STOCK_NAMES


@pytest.mark.parametrize(
    ("tr_id", "tr_key", "field", "path", "tr", "params", "block", "quoted"),
    [
        ("H0IFCNT0", "101W09", "futs_prpr", FUTURES_QUOTE, "FHMIF10000000",
         {"FID_COND_MRKT_DIV_CODE": "F", "FID_INPUT_ISCD": "101W09"}, "output1", "futs_prpr"),
        ("HDFSCNT0", "DNASAAPL", "LAST", "/uapi/overseas-price/v1/quotations/price",
         "HHDFS00000300", {"AUTH": "", "EXCD": "NAS", "SYMB": "AAPL"}, "output", "last"),
        ("H0STASP0", CODE, "ASKP1", "/uapi/domestic-stock/v1/quotations/inquire-asking-price-exp-ccn",
         "FHKST01010200", {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": CODE}, "output1",
         "askp1"),
    ],
)  # fmt: skip
def test_realtime_ticks_show_the_rest_quote(
    tr_id: str, tr_key: str, field: str, path: str, tr: str, params: dict[str, str],
    block: str, quoted: str,
) -> None:  # fmt: skip
    market = market_at()
    caller = Caller(Sandbox(market=market))
    try:
        rest = caller.get(path, tr, **params)[block][quoted]
    finally:
        caller.close()
    stream = TickStream(tr_id, tr_key, market=market)
    record = dict(zip(stream.spec.record.FIELDS, stream.record(), strict=True))
    assert record[field] == rest
