"""The paper-trading broker: orders filled against the simulated market, balances, buying
power, the day's orders, corrections and cancels, KIS's order rules, SQLite persistence, and
the whole path through ``Sandbox`` and the SDK. Every test runs on an injected clock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from kisapi import Kis
from kisapi.domestic_stock.inquire_balance import InquireBalanceResponse
from kisapi.domestic_stock.order_cash import OrderCashResponse
from kisapi_runtime.codecs import KST
from kisapi_runtime.errors import KisOrderRejectedError
from kisapi_sandbox import Sandbox
from kisapi_sandbox.market import ManualClock, Market, align, on_tick
from kisapi_sandbox.paper import Fill, PaperBroker

pytestmark = pytest.mark.timeout(30)

START = datetime(2026, 3, 4, 10, 0, tzinfo=KST)  # a Wednesday, mid-session
CODE = "005930"
BASE = 70_000  # pinned reference: tick 100 between 50,000 and 200,000 won
ACCOUNT = {"CANO": "50000000", "ACNT_PRDT_CD": "01"}
OTHER = {"CANO": "50000001", "ACNT_PRDT_CD": "01"}
CASH = 10_000_000
ORDER_TR = {("buy", True): "VTTC0012U", ("sell", True): "VTTC0011U",
            ("buy", False): "TTTC0012U", ("sell", False): "TTTC0011U"}  # fmt: skip

Body = Mapping[str, Any]


def make_broker(clock: ManualClock, **options: Any) -> PaperBroker:
    return PaperBroker(Market(seed=7, clock=clock, base_prices={CODE: BASE}), **options)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def broker(clock: ManualClock) -> Iterator[PaperBroker]:
    with make_broker(clock) as b:
        yield b


def call(broker: PaperBroker, api: str, tr_id: str, params: Mapping[str, str], mock: bool) -> Body:
    body = broker.handle(f"domestic_stock.{api}", tr_id, params, mock=mock)
    assert body is not None
    return body


def order(
    broker: PaperBroker,
    side: str,
    qty: int,
    price: int = 0,
    *,
    dvsn: str | None = None,
    account: Mapping[str, str] = ACCOUNT,
    mock: bool = True,
    tr_id: str | None = None,
) -> Body:
    params = {**account, "PDNO": CODE, "ORD_DVSN": dvsn or ("00" if price else "01"),
              "ORD_QTY": str(qty), "ORD_UNPR": str(price), "EXCG_ID_DVSN_CD": "KRX"}  # fmt: skip
    return call(broker, "order_cash", tr_id or ORDER_TR[side, mock], params, mock)


def rvsecncl(
    broker: PaperBroker,
    odno: str,
    action: str,
    *,
    qty: int = 0,
    price: int = 0,
    dvsn: str = "00",
    mock: bool = True,
) -> Body:
    params = {**ACCOUNT, "KRX_FWDG_ORD_ORGNO": "00950", "ORGN_ODNO": odno, "ORD_DVSN": dvsn,
              "RVSE_CNCL_DVSN_CD": {"revise": "01", "cancel": "02"}[action],
              "ORD_QTY": str(qty), "ORD_UNPR": str(price),
              "QTY_ALL_ORD_YN": "N" if qty else "Y", "EXCG_ID_DVSN_CD": "KRX"}  # fmt: skip
    return call(broker, "order_rvsecncl", "VTTC0013U" if mock else "TTTC0013U", params, mock)


def balance(broker: PaperBroker, account: Mapping[str, str] = ACCOUNT) -> Body:
    params = {**account, "AFHR_FLPR_YN": "N", "INQR_DVSN": "02", "UNPR_DVSN": "01",
              "FUND_STTL_ICLD_YN": "N", "FNCG_AMT_AUTO_RDPT_YN": "N", "PRCS_DVSN": "00"}  # fmt: skip
    return call(broker, "inquire_balance", "VTTC8434R", params, True)


def daily(broker: PaperBroker, **filters: str) -> Body:
    params = {**ACCOUNT, "INQR_STRT_DT": "20260304", "INQR_END_DT": "20260304",
              "SLL_BUY_DVSN_CD": "00", "CCLD_DVSN": "00", "INQR_DVSN": "00",
              "INQR_DVSN_3": "00", **filters}  # fmt: skip
    return call(broker, "inquire_daily_ccld", "VTTC0081R", params, True)


def open_orders(broker: PaperBroker) -> list[dict[str, str]]:
    params = {**ACCOUNT, "INQR_DVSN_1": "0", "INQR_DVSN_2": "0"}
    rows: list[dict[str, str]] = call(broker, "inquire_psbl_rvsecncl", "TTTC0084R", params, False)[
        "output"
    ]
    return rows


def buying_power(broker: PaperBroker, price: int = 0) -> dict[str, str]:
    params = {**ACCOUNT, "PDNO": CODE, "ORD_UNPR": str(price), "ORD_DVSN": "00" if price else "01",
              "CMA_EVLU_AMT_ICLD_YN": "N", "OVRS_ICLD_YN": "N"}  # fmt: skip
    output: dict[str, str] = call(broker, "inquire_psbl_order", "VTTC8908R", params, True)["output"]
    return output


def holding(body: Body) -> dict[str, str]:
    rows = [r for r in body["output1"] if r["pdno"] == CODE]
    assert len(rows) == 1
    row: dict[str, str] = rows[0]
    return row


def summary(body: Body) -> dict[str, str]:
    assert isinstance(body["output2"], list) and len(body["output2"]) == 1
    row: dict[str, str] = body["output2"][0]
    return row


def crossing(market: Market, side: str, within: timedelta) -> tuple[int, datetime]:
    """A limit price the path has not reached at START but reaches within ``within``, and when."""
    day, index = market.position(START)
    path = market.path(CODE, day)
    ahead = path[index + 1 : index + 1 + int(within / market.step)]
    limit = min(ahead) if side == "buy" else max(ahead)
    assert (limit < path[index]) if side == "buy" else (limit > path[index])
    when = market.first_cross(
        CODE, "buy" if side == "buy" else "sell", limit, START, START + within
    )
    assert when is not None and START < when <= START + within
    return limit, when


# --- the market ------------------------------------------------------------------------


def test_market_paths_are_deterministic_on_ticks_and_in_band() -> None:
    clock = ManualClock(START)
    a, b, c = Market(seed=1, clock=clock), Market(seed=1, clock=clock), Market(seed=2, clock=clock)
    day = START.date()
    for code in ("005930", "000660", "035720", "123456"):
        path = a.path(code, day)
        assert path == b.path(code, day)
        assert path != c.path(code, day)
        assert len(path) == a.steps == 2340
        ref = a.reference(code, day)
        assert path[0] == ref
        assert all(on_tick(p) for p in path)
        assert all(ref * 0.7 - 1000 <= p <= ref * 1.3 + 1000 for p in path)
    assert a.price(CODE, START) == b.price(CODE, START)
    # before the open: the reference; after the close and at the weekend: the last price
    assert a.price(CODE, START.replace(hour=8)) == a.reference(CODE, day)
    assert a.price(CODE, START.replace(hour=16)) == a.path(CODE, day)[-1]
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=KST)
    assert a.price(CODE, saturday) == a.path(CODE, date(2026, 3, 6))[-1]
    assert [align(x) for x in (1999.4, 4997, 19996, 70_049, 70_051, 499_700)] == [
        1999, 4995, 20000, 70000, 70100, 499500,
    ]  # fmt: skip


# --- orders and balance ----------------------------------------------------------------


def test_market_buy_fills_at_once_and_shows_in_balance(
    broker: PaperBroker, clock: ManualClock
) -> None:
    price = broker.market.price(CODE)
    placed = order(broker, "buy", 3)
    assert (placed["rt_cd"], placed["msg_cd"]) == ("0", "40600000")
    assert placed["msg1"] == "모의투자 매수주문이 완료 되었습니다."
    out = placed["output"]
    assert set(out) == {"KRX_FWDG_ORD_ORGNO", "ODNO", "ORD_TMD", "SOR_ODNO"}
    assert len(out["ODNO"]) == 10 and out["ODNO"].isdigit()
    assert out["KRX_FWDG_ORD_ORGNO"] == "00950" and out["ORD_TMD"] == "100000"

    body = balance(broker)
    assert (body["rt_cd"], body["msg_cd"]) == ("0", "20310000")
    assert len(body["msg1"].encode("euc-kr")) == 80  # space-padded like KIS
    assert len(body["ctx_area_fk100"]) == len(body["ctx_area_nk100"]) == 100
    row = holding(body)
    assert row["hldg_qty"] == row["ord_psbl_qty"] == row["thdt_buyqty"] == "3"
    assert row["pchs_amt"] == str(3 * price) and row["pchs_avg_pric"] == f"{price}.0000"
    assert row["prdt_name"] == "삼성전자"
    cash = summary(body)
    assert cash["dnca_tot_amt"] == str(CASH)  # the deposit settles two business days later
    assert cash["prvs_rcdl_excc_amt"] == str(CASH - 3 * price)
    assert cash["thdt_buy_amt"] == str(3 * price)
    assert int(cash["tot_evlu_amt"]) == CASH - 3 * price + int(row["evlu_amt"])

    clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=KST))  # Friday = D+2
    later = summary(balance(broker))
    assert later["dnca_tot_amt"] == str(CASH - 3 * price)
    assert later["bfdy_buy_amt"] == "0" and later["thdt_buy_amt"] == "0"


def test_real_and_deprecated_tr_ids_share_the_logic(broker: PaperBroker) -> None:
    real = order(broker, "buy", 1, mock=False)
    assert (real["msg_cd"], real["msg1"]) == ("APBK0013", "주문 전송 완료 되었습니다.")
    assert real["output"]["KRX_FWDG_ORD_ORGNO"] == "91252"
    old = order(broker, "sell", 1, mock=False, tr_id="TTTC0801U")
    assert old["rt_cd"] == "0"
    assert int(old["output"]["ODNO"]) == int(real["output"]["ODNO"]) + 1
    assert holding(balance(broker))["hldg_qty"] == "0"  # sold today: the row stays, with 0


def test_sell_reduces_position_and_adds_cash(broker: PaperBroker, clock: ManualClock) -> None:
    buy_price = broker.market.price(CODE)
    order(broker, "buy", 5)
    clock.advance(minutes=30)
    sell_price = broker.market.price(CODE)
    sold = order(broker, "sell", 2)
    assert sold["msg1"] == "모의투자 매도주문이 완료 되었습니다."
    body = balance(broker)
    row = holding(body)
    assert (row["hldg_qty"], row["thdt_buyqty"], row["thdt_sll_qty"]) == ("3", "5", "2")
    assert row["pchs_amt"] == str(3 * buy_price)  # cost basis leaves with the shares sold
    cash = summary(body)
    assert cash["prvs_rcdl_excc_amt"] == str(CASH - 5 * buy_price + 2 * sell_price)
    assert cash["thdt_sll_amt"] == str(2 * sell_price)

    too_many = order(broker, "sell", 4)
    assert (too_many["rt_cd"], too_many["msg_cd"]) == ("1", "OPSQ0013")
    assert holding(balance(broker))["hldg_qty"] == "3"


def test_limit_buy_waits_then_fills_when_the_path_crosses(
    broker: PaperBroker, clock: ManualClock
) -> None:
    broker.open_account("50000000-01", hts_id="paperhts")
    fills: list[Fill] = []
    broker.on_fill(fills.append)
    limit, when = crossing(broker.market, "buy", timedelta(hours=1))
    placed = order(broker, "buy", 4, limit, mock=False, tr_id="TTTC0802U")  # deprecated buy
    odno = placed["output"]["ODNO"]
    assert fills == [] and "005930" not in [r["pdno"] for r in balance(broker)["output1"]]
    assert buying_power(broker)["ord_psbl_cash"] == str(CASH - 4 * limit)  # reserved

    clock.set(when - timedelta(seconds=1))
    assert broker.poll() == []
    (waiting,) = open_orders(broker)
    assert (waiting["odno"], waiting["psbl_qty"], waiting["ord_unpr"]) == (odno, "4", str(limit))

    clock.set(when + timedelta(seconds=3))
    row = holding(balance(broker))  # any broker call checks the path up to now
    assert row["hldg_qty"] == "4" and row["pchs_amt"] == str(4 * limit)
    assert open_orders(broker) == []
    assert fills == [
        Fill(account="50000000-01", order_no=odno, original_order_no="", branch="91252",
             code=CODE, name="삼성전자", side="buy", qty=4, price=limit, order_qty=4,
             order_price=limit, ord_dvsn="00", time=when, hts_id="paperhts", mock=False)
    ]  # fmt: skip
    assert (fills[0].odno, fills[0].pdno, fills[0].cano) == (odno, CODE, "50000000")


def test_limit_sell_waits_for_a_higher_price(broker: PaperBroker, clock: ManualClock) -> None:
    order(broker, "buy", 2)
    limit, when = crossing(broker.market, "sell", timedelta(hours=2))
    order(broker, "sell", 2, limit)
    assert holding(balance(broker))["ord_psbl_qty"] == "0"  # promised to the open sell
    clock.set(when)
    (fill,) = broker.poll()
    assert (fill.side, fill.qty, fill.price, fill.time) == ("sell", 2, limit, when)
    assert holding(balance(broker))["hldg_qty"] == "0"


def test_unfilled_day_orders_expire_at_the_close(broker: PaperBroker, clock: ManualClock) -> None:
    far = align(BASE * 0.75)
    order(broker, "buy", 1, far)
    assert len(open_orders(broker)) == 1
    clock.set(datetime(2026, 3, 4, 15, 30, tzinfo=KST))
    assert open_orders(broker) == []
    assert buying_power(broker)["ord_psbl_cash"] == str(CASH)
    (row,) = daily(broker)["output1"]
    assert (row["tot_ccld_qty"], row["rmn_qty"]) == ("0", "1")


def test_cancel_an_open_order(broker: PaperBroker) -> None:
    far = align(BASE * 0.75)
    odno = order(broker, "buy", 3, far)["output"]["ODNO"]
    assert buying_power(broker)["ord_psbl_cash"] == str(CASH - 3 * far)
    cancelled = rvsecncl(broker, odno, "cancel")
    assert (cancelled["rt_cd"], cancelled["msg_cd"]) == ("0", "40630000")
    assert cancelled["msg1"] == "모의투자 취소주문이 완료 되었습니다."
    cancel_no = cancelled["output"]["ODNO"]
    assert cancel_no != odno
    assert open_orders(broker) == []
    assert buying_power(broker)["ord_psbl_cash"] == str(CASH)
    rows = {r["odno"]: r for r in daily(broker)["output1"]}
    assert rows[cancel_no]["orgn_odno"] == odno and rows[cancel_no]["cncl_yn"] == "Y"
    assert rows[cancel_no]["cncl_cfrm_qty"] == "3"
    assert rows[odno]["rmn_qty"] == "0" and rows[odno]["cncl_yn"] == ""

    again = rvsecncl(broker, odno, "cancel")
    assert (again["rt_cd"], again["msg_cd"]) == ("1", "OPSQ0001")
    assert again["msg1"] == "모의투자 정정/취소할 수량이 없습니다."
    unknown = rvsecncl(broker, "0000999999", "cancel")
    assert (unknown["rt_cd"], unknown["msg_cd"]) == ("2", "OPSQ2001")


def test_partial_cancel_leaves_the_rest_working(broker: PaperBroker) -> None:
    odno = order(broker, "buy", 5, align(BASE * 0.75))["output"]["ODNO"]
    assert rvsecncl(broker, odno, "cancel", qty=2)["rt_cd"] == "0"
    (left,) = open_orders(broker)
    assert (left["odno"], left["psbl_qty"]) == (odno, "3")
    assert rvsecncl(broker, odno, "cancel", qty=4)["msg_cd"] == "OPSQ0001"


def test_correct_the_price(broker: PaperBroker) -> None:
    far = align(BASE * 0.75)
    odno = order(broker, "buy", 3, far)["output"]["ODNO"]
    nearer = far + 1000
    moved = rvsecncl(broker, odno, "revise", qty=1, price=nearer)
    assert moved["msg1"] == "모의투자 정정주문이 완료 되었습니다."
    new_no = moved["output"]["ODNO"]
    working = {r["odno"]: r for r in open_orders(broker)}
    assert working[odno]["psbl_qty"] == "2" and working[odno]["ord_unpr"] == str(far)
    assert working[new_no]["psbl_qty"] == "1" and working[new_no]["ord_unpr"] == str(nearer)
    assert working[new_no]["orgn_odno"] == odno
    assert buying_power(broker)["ord_psbl_cash"] == str(CASH - 2 * far - nearer)

    price = broker.market.price(CODE)
    marketable = rvsecncl(broker, odno, "revise", price=align(price * 1.05))
    assert marketable["rt_cd"] == "0"
    assert holding(balance(broker))["pchs_amt"] == str(2 * price)  # filled at the market
    assert [r["odno"] for r in open_orders(broker)] == [new_no]
    bad_tick = rvsecncl(broker, new_no, "revise", price=nearer + 50)
    assert bad_tick["msg_cd"] == "OPSQ0002"
    to_market = rvsecncl(broker, new_no, "revise", dvsn="01")
    assert to_market["rt_cd"] == "0" and open_orders(broker) == []
    assert holding(balance(broker))["hldg_qty"] == "3"


# --- rules -----------------------------------------------------------------------------


def test_tick_quantity_and_order_type_errors(broker: PaperBroker) -> None:
    off_tick = order(broker, "buy", 1, 70_050)
    assert (off_tick["rt_cd"], off_tick["msg_cd"]) == ("1", "OPSQ0002")
    assert off_tick["msg1"].startswith("모의투자 ")
    assert order(broker, "buy", 1, 4_995)["rt_cd"] == "0"  # on the 5-won grid below 5,000
    assert order(broker, "buy", 0)["msg_cd"] == "OPSQ0001"
    assert order(broker, "buy", -2)["msg_cd"] == "OPSQ0001"
    bad_type = order(broker, "buy", 1, dvsn="99")
    assert (bad_type["rt_cd"], bad_type["msg_cd"]) == ("2", "OPSQ2001")
    real = order(broker, "buy", 1, 70_010, mock=False)
    assert real["msg_cd"] == "OPSQ0002" and not real["msg1"].startswith("모의투자")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 4, 8, 59, 59, tzinfo=KST),
        datetime(2026, 3, 4, 15, 30, tzinfo=KST),
        datetime(2026, 3, 4, 20, 0, tzinfo=KST),
        datetime(2026, 3, 7, 10, 0, tzinfo=KST),  # Saturday
    ],
)
def test_orders_outside_trading_hours_are_refused(clock: ManualClock, moment: datetime) -> None:
    clock.set(moment)
    with make_broker(clock) as broker:
        refused = order(broker, "buy", 1)
        assert (refused["rt_cd"], refused["msg_cd"]) == ("1", "OPSQ0019")
        assert balance(broker)["rt_cd"] == "0"  # queries answer at any time
    with make_broker(clock, enforce_hours=False) as anytime:
        assert order(anytime, "buy", 1)["rt_cd"] == "0"


def test_opening_bell(clock: ManualClock) -> None:
    clock.set(datetime(2026, 3, 4, 9, 0, tzinfo=KST))
    with make_broker(clock) as broker:
        assert order(broker, "buy", 1)["rt_cd"] == "0"
        assert holding(balance(broker))["pchs_amt"] == str(BASE)  # opens at the reference


def test_insufficient_cash(broker: PaperBroker) -> None:
    broker.open_account("50000000-01", cash=100_000)
    price = broker.market.price(CODE)
    power = buying_power(broker, price)
    assert power["ord_psbl_cash"] == "100000" and power["max_buy_qty"] == str(100_000 // price)
    refused = order(broker, "buy", 2, price)
    assert (refused["rt_cd"], refused["msg_cd"]) == ("1", "OPSQ0013")
    assert refused["msg1"] == "모의투자 주문가능금액을 초과 했습니다."
    assert order(broker, "buy", 1, price)["rt_cd"] == "0"
    assert order(broker, "buy", 1)["msg_cd"] == "OPSQ0013"  # market orders too


def test_accounts_are_separate(broker: PaperBroker) -> None:
    broker.open_account("50000001-01", cash=5_000_000)
    order(broker, "buy", 2)
    assert holding(balance(broker))["hldg_qty"] == "2"
    other = balance(broker, OTHER)
    assert other["output1"] == [] and summary(other)["prvs_rcdl_excc_amt"] == "5000000"
    assert order(broker, "sell", 1, account=OTHER)["msg_cd"] == "OPSQ0013"


def test_daily_orders_and_executions(broker: PaperBroker, clock: ManualClock) -> None:
    first_price = broker.market.price(CODE)
    a = order(broker, "buy", 2)["output"]["ODNO"]
    clock.advance(minutes=5)
    far = align(BASE * 0.75)
    b = order(broker, "buy", 1, far)["output"]["ODNO"]
    clock.advance(minutes=5)
    sell_price = broker.market.price(CODE)
    c = order(broker, "sell", 1)["output"]["ODNO"]

    body = daily(broker)
    assert body["msg_cd"] == "20310000"
    assert [r["odno"] for r in body["output1"]] == [c, b, a]  # newest first by default
    rows = {r["odno"]: r for r in body["output1"]}
    assert rows[a]["ord_dvsn_name"] == "시장가" and rows[a]["ord_unpr"] == "0"
    assert (rows[a]["tot_ccld_qty"], rows[a]["avg_prvs"]) == ("2", str(first_price))
    assert rows[a]["sll_buy_dvsn_cd"] == "02" and rows[c]["sll_buy_dvsn_cd"] == "01"
    assert rows[b]["rmn_qty"] == "1" and rows[b]["ord_tmd"] == "100500"
    assert rows[a]["ord_dt"] == "20260304" and rows[a]["ordr_empno"] == "OpnAPI"
    totals = body["output2"]
    assert isinstance(totals, dict)  # daily-ccld output2 is a plain object
    assert totals["tot_ord_qty"] == "4" and totals["tot_ccld_qty"] == "3"
    assert totals["tot_ccld_amt"] == str(2 * first_price + sell_price)

    assert [r["odno"] for r in daily(broker, INQR_DVSN="01")["output1"]] == [a, b, c]
    assert [r["odno"] for r in daily(broker, CCLD_DVSN="01")["output1"]] == [c, a]
    assert [r["odno"] for r in daily(broker, CCLD_DVSN="02")["output1"]] == [b]
    assert [r["odno"] for r in daily(broker, SLL_BUY_DVSN_CD="01")["output1"]] == [c]
    assert [r["odno"] for r in daily(broker, ODNO=b)["output1"]] == [b]
    assert daily(broker, INQR_STRT_DT="20260305", INQR_END_DT="20260305")["output1"] == []


def test_ioc_limit_cancels_what_it_cannot_fill(broker: PaperBroker) -> None:
    far = align(BASE * 0.75)
    odno = order(broker, "buy", 2, far, dvsn="11")["output"]["ODNO"]
    assert open_orders(broker) == []
    (row,) = daily(broker)["output1"]
    assert (row["odno"], row["rmn_qty"], row["ccld_cndt_name"]) == (odno, "0", "IOC")


def test_bodies_use_every_spec_field_and_nothing_else(broker: PaperBroker) -> None:
    from kisapi_sandbox import catalog

    order(broker, "buy", 1)
    order(broker, "buy", 1, align(BASE * 0.75))
    params = {**ACCOUNT, "PDNO": CODE}
    bodies = {
        "inquire_balance": balance(broker),
        "inquire_daily_ccld": daily(broker),
        "inquire_psbl_order": call(broker, "inquire_psbl_order", "VTTC8908R",
                                   {**params, "ORD_UNPR": "0", "ORD_DVSN": "01"}, True),
        "inquire_psbl_sell": call(broker, "inquire_psbl_sell", "TTTC8408R", params, False),
        "inquire_psbl_rvsecncl": call(broker, "inquire_psbl_rvsecncl", "TTTC0084R", ACCOUNT, False),
        "inquire_account_balance": call(broker, "inquire_account_balance", "CTRP6548R", ACCOUNT, False),
    }  # fmt: skip
    for name, body in bodies.items():
        api = catalog.api_for(f"domestic_stock.{name}")
        assert body["rt_cd"] == "0", name
        for block in api.response:
            records = body[block.key]
            assert isinstance(records, list if block.shape == "array" else dict), (name, block.key)
            for record in records if isinstance(records, list) else [records]:
                assert list(record) == [wire for wire, *_ in block.fields], (name, block.key)
                assert all(isinstance(v, str) for v in record.values())
    sell = bodies["inquire_psbl_sell"]["output"]
    assert (sell["cblc_qty"], sell["ord_psbl_qty"]) == ("1", "1")
    stocks, cash = bodies["inquire_account_balance"]["output1"]
    assert int(stocks["evlu_amt"]) + int(cash["evlu_amt"]) == int(
        bodies["inquire_account_balance"]["output2"]["tot_asst_amt"]
    )


def test_other_apis_are_left_to_the_sandbox(broker: PaperBroker) -> None:
    assert broker.handle("domestic_stock.inquire_price", "FHKST01010100", {}, mock=True) is None
    assert "domestic_stock.order_cash" in broker.api_ids


def test_a_failing_fill_callback_does_not_break_the_broker(broker: PaperBroker) -> None:
    def boom(fill: Fill) -> None:
        raise RuntimeError("listener bug")

    seen: list[Fill] = []
    broker.on_fill(boom)
    broker.on_fill(seen.append)
    assert order(broker, "buy", 1)["rt_cd"] == "0"
    assert [f.qty for f in seen] == [1]


# --- persistence -----------------------------------------------------------------------


def test_sqlite_round_trip(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "paper.sqlite"
    limit, when = crossing(
        Market(seed=7, clock=clock, base_prices={CODE: BASE}), "buy", timedelta(hours=1)
    )
    with make_broker(clock, path=path) as first:
        first.open_account("50000000-01", cash=3_000_000, hts_id="paperhts")
        order(first, "buy", 3)
        resting = order(first, "buy", 2, limit)["output"]["ODNO"]
        order(first, "buy", 1, align(BASE * 0.75), account=OTHER)
        views = (balance(first), daily(first), open_orders(first), balance(first, OTHER))
        state = first.store.snapshot()

    with make_broker(clock, path=path) as second:
        assert second.store.snapshot() == state
        assert (
            balance(second),
            daily(second),
            open_orders(second),
            balance(second, OTHER),
        ) == views
        assert int(order(second, "buy", 1)["output"]["ODNO"]) == int(resting) + 2
        fills: list[Fill] = []
        second.on_fill(fills.append)
        clock.set(when)
        second.poll()
        assert [(f.order_no, f.price, f.hts_id) for f in fills] == [(resting, limit, "paperhts")]

    with make_broker(clock, path=path) as third:
        assert holding(balance(third))["hldg_qty"] == "6"
        assert open_orders(third) == []


# --- through the sandbox and the SDK ---------------------------------------------------


def test_sdk_places_an_order_and_reads_the_balance(tmp_path: Path, clock: ManualClock) -> None:
    broker = make_broker(clock)
    sandbox = Sandbox(broker=broker)
    price = broker.market.price(CODE)
    with Kis(appkey="sandbox-appkey", appsecret="sandbox-appsecret", account="50000000-01",
             env="mock", token_cache_dir=tmp_path, rate_limit=1000, strict=True,
             transport=sandbox.transport()) as kis:  # fmt: skip
        stock = kis.domestic_stock
        placed = stock.order_cash(side="buy", pdno=CODE, ord_dvsn="00", ord_qty=2,
                                  ord_unpr=align(price * 1.02))  # fmt: skip
        assert isinstance(placed, OrderCashResponse) and placed.output is not None
        assert placed.msg_cd == "40600000"
        assert placed.output.odno is not None and len(placed.output.odno) == 10
        assert placed.output.ord_tmd == time(10, 0)

        held = stock.inquire_balance()
        assert isinstance(held, InquireBalanceResponse)
        (row,) = held.output1
        assert (row.pdno, row.hldg_qty, row.pchs_amt, row.prpr) == (CODE, 2, 2 * price, price)
        assert held.output2[0].prvs_rcdl_excc_amt == CASH - 2 * price
        assert held.output2[0].dnca_tot_amt == CASH

        with pytest.raises(KisOrderRejectedError) as refused:
            stock.order_cash(side="sell", pdno=CODE, ord_dvsn="00", ord_qty=1, ord_unpr=70_050)
        assert refused.value.msg_cd == "OPSQ0002"

        day = stock.inquire_daily_ccld(inqr_strt_dt=START.date(), inqr_end_dt=START.date())
        assert [(r.odno, r.tot_ccld_qty) for r in day.output1] == [(placed.output.odno, 2)]
        assert day.output2 is not None and day.output2.tot_ccld_amt == 2 * price
    broker.close()


def test_open_broker_is_the_command_line_factory(tmp_path: Path) -> None:
    from kisapi_sandbox.paper import open_broker

    with open_broker(db=tmp_path / "state.sqlite", cash=1_000) as broker:
        assert broker.store.persistent and broker.cash == 1_000
