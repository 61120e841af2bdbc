"""kis.reconcile(error) for overseas stock and domestic futures orders against a small fake
broker that answers in KIS's real environment (tests/sandbox/test_reconcile.py covers all
three end to end on the sandbox's paper broker): reply lost after acceptance -> placed,
request lost -> not placed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi import AsyncKis, Kis, KisOrderStateUnknownError
from kisapi_runtime.codecs import KST
from kisapi_runtime.reconcile import LOOKUPS, choices

from ..endpoints import spec_model as sm

CASES: dict[str, dict[str, Any]] = {
    "overseas_stock.order": {
        "order": {"side": "buy", "ovrs_excg_cd": "NASD", "pdno": "AAPL", "ord_qty": 2,
                  "ovrs_ord_unpr": "187.25", "ord_dvsn": "00"},
        "query_path": "/uapi/overseas-stock/v1/trading/inquire-ccnl",
        "rows": "output",
        "row": lambda body, side: {"pdno": body["PDNO"], "ft_ord_qty": body["ORD_QTY"],
                                   "ft_ord_unpr3": body["OVRS_ORD_UNPR"], "sll_buy_dvsn_cd": side},
        "side": lambda tr_id: "02" if tr_id in ("TTTT1002U",) else "01",
    },
    "domestic_futureoption.order": {
        "order": {"session": "day", "ord_prcs_dvsn_cd": "02", "sll_buy_dvsn_cd": "02",
                  "shtn_pdno": "101W09", "ord_qty": 1, "unit_price": "350.25",
                  "nmpr_type_cd": "01", "krx_nmpr_cndt_cd": "0", "ord_dvsn_cd": "01"},
        "query_path": "/uapi/domestic-futureoption/v1/trading/inquire-ccnl",
        "rows": "output1",
        "more": {"output2": {"tot_ord_qty": "0", "tot_ccld_qty_smtl": "0"}},  # KIS's totals
        "row": lambda body, side: {"pdno": body["SHTN_PDNO"], "ord_qty": body["ORD_QTY"],
                                   "ord_idx": body["UNIT_PRICE"],
                                   "sll_buy_dvsn_cd": body["SLL_BUY_DVSN_CD"]},
        "side": lambda tr_id: "",
    },
}  # fmt: skip


class Broker:
    """Takes orders (or loses them) and lists the day's orders like KIS."""

    def __init__(self, case: dict[str, Any], order_path: str, fault: str) -> None:
        self.case = case
        self.order_path = order_path
        self.fault = fault
        self.orders: list[dict[str, str]] = []
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth2/tokenP":
            return httpx.Response(200, json={"access_token": "tok-reconcile-0123456789",
                                             "expires_in": 86400})  # fmt: skip
        if path == self.order_path:
            if self.fault == "lose":
                raise httpx.ReadError("lost before the broker", request=request)
            body = json.loads(request.content)
            now = datetime.now(KST)
            row = self.case["row"](body, self.case["side"](request.headers["tr_id"]))
            row.update(odno=f"{len(self.orders) + 1:010d}", orgn_odno="",
                       ord_dt=now.strftime("%Y%m%d"), ord_tmd=now.strftime("%H%M%S"))  # fmt: skip
            self.orders.append(row)
            raise httpx.RemoteProtocolError("reply lost after acceptance", request=request)
        assert path == self.case["query_path"], path
        self.queries.append(dict(request.url.params))
        return httpx.Response(200, json={"rt_cd": "0", "msg_cd": "KIOK0460", "msg1": "ok",
                                         self.case["rows"]: self.orders,
                                         **self.case.get("more", {})},
                              headers={"tr_cont": "D"})  # fmt: skip


def _client(cls: type[Any], broker: Broker, tmp_path: Path) -> Any:
    return cls(appkey=sm.APPKEY, appsecret=sm.APPSECRET, account="12345678-03", env="real",
               rate_limit=0, token_cache_dir=tmp_path, transport=httpx.MockTransport(broker))  # fmt: skip


@pytest.mark.parametrize("fault", ["drop", "lose"])
@pytest.mark.parametrize("api_id", list(CASES))
def test_reconcile_overseas_and_futures(api_id: str, fault: str, tmp_path: Path) -> None:
    case = CASES[api_id]
    broker = Broker(case, sm.load(api_id).path, fault)
    with _client(Kis, broker, tmp_path) as kis:
        namespace, method = api_id.split(".")
        with pytest.raises(KisOrderStateUnknownError) as err:
            getattr(getattr(kis, namespace), method)(**case["order"])
        answer = kis.reconcile(err.value)
    if fault == "drop":
        assert answer.status == "placed" and answer.order_number == "0000000001"
    else:
        assert answer.status == "not_placed" and broker.orders == []
    (query,) = broker.queries
    assert any(v in ("AAPL", "101W09") for v in query.values())


async def test_async_reconcile_and_orders_without_a_lookup(tmp_path: Path) -> None:
    case = CASES["overseas_stock.order"]
    broker = Broker(case, sm.load("overseas_stock.order").path, "drop")
    async with _client(AsyncKis, broker, tmp_path) as kis:
        with pytest.raises(KisOrderStateUnknownError) as err:
            await kis.overseas_stock.order(**case["order"])
        assert (await kis.reconcile(err.value)).status == "placed"
        other = KisOrderStateUnknownError("domestic_bond.buy", "TTTC0952U", "a test")
        answer = await kis.reconcile(other)
    assert answer.status == "unknown" and "no lookup" in answer.reason


def test_lookups_name_real_apis_and_choices_read_back_the_side() -> None:
    ids = set(sm.api_ids())
    for order, lookup in LOOKUPS.items():
        assert order in ids and lookup.query in ids
        assert sm.load(order).kind == "order" and sm.load(lookup.query).paginated
    from kisapi.overseas_stock.order import API

    assert choices(API, "TTTT1006U") == {"side": "sell"}
    assert choices(API, "nope") == {}
