"""The paper broker fills at the price the quotes show, on the same simulated market."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from kisapi_runtime.codecs import KST
from kisapi_sandbox import Sandbox
from kisapi_sandbox.market import ManualClock, Market
from kisapi_sandbox.paper import PaperBroker

from .helpers import CODE, NOW, Caller

pytestmark = pytest.mark.timeout(120)
ACCOUNT = {"CANO": "12345678", "ACNT_PRDT_CD": "01"}


def post(kis: Caller, path: str, tr_id: str, body: dict[str, str]) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {kis.token}", "appkey": "app", "appsecret": "secret",
               "tr_id": tr_id, "custtype": "P"}  # fmt: skip
    answer: dict[str, Any] = kis.client.post(path, json=body, headers=headers).json()
    return answer


def test_a_market_order_fills_at_the_quoted_price() -> None:
    clock = ManualClock(NOW)
    broker = PaperBroker(Market(clock=clock))
    kis = Caller(Sandbox(broker=broker))
    assert kis.sandbox.market is broker.market
    try:
        for minutes in (0, 7, 95):
            clock.set(NOW + timedelta(minutes=minutes))
            quoted = kis.quote()["stck_prpr"]
            order = post(kis, "/uapi/domestic-stock/v1/trading/order-cash", "TTTC0012U",
                         {**ACCOUNT, "PDNO": CODE, "ORD_DVSN": "01", "ORD_QTY": "1",
                          "ORD_UNPR": "0"})  # fmt: skip
            assert order["rt_cd"] == "0", order
            filled = kis.get("/uapi/domestic-stock/v1/trading/inquire-daily-ccld", "TTTC0081R",
                             **ACCOUNT, INQR_STRT_DT="20260304", INQR_END_DT="20260304",
                             SLL_BUY_DVSN_CD="00", PDNO=CODE, ORD_GNO_BRNO="",
                             ODNO=order["output"]["ODNO"], CCLD_DVSN="01", INQR_DVSN="00",
                             INQR_DVSN_1="", INQR_DVSN_3="00", EXCG_ID_DVSN_CD="KRX",
                             CTX_AREA_FK100="", CTX_AREA_NK100="")  # fmt: skip
            row = filled["output1"][0]
            assert row["avg_prvs"] == quoted and row["tot_ccld_qty"] == "1"
            book = kis.get(
                "/uapi/domestic-stock/v1/quotations/inquire-asking-price-exp-ccn",
                "FHKST01010200",
                FID_COND_MRKT_DIV_CODE="J",
                FID_INPUT_ISCD=CODE,
            )
            levels = book["output1"]
            assert int(levels["bidp1"]) == int(quoted) < int(levels["askp1"])
    finally:
        kis.close()
        broker.close()


def test_a_weekend_quote_is_the_last_close_the_broker_values_at() -> None:
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=KST)
    broker = PaperBroker(Market(clock=ManualClock(saturday)))
    kis = Caller(Sandbox(broker=broker))
    try:
        quote = kis.quote()
        friday = kis.daily(saturday.date().replace(day=6), saturday.date())
        assert [r["stck_bsop_date"] for r in friday] == ["20260306"]
        assert quote["stck_prpr"] == friday[0]["stck_clpr"]
        assert int(quote["stck_prpr"]) == broker.market.price(CODE)
    finally:
        kis.close()
        broker.close()
