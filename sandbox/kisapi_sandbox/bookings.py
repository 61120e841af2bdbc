"""Orders the paper broker accepts and lists but does not fill: overseas stock and domestic
futures/options. Each is booked with the broker's order numbers and read back by the day's
order queries (``overseas_stock.inquire_ccnl``/``inquire_nccs``,
``domestic_futureoption.inquire_ccnl``) in KIS's shapes, so a lost reply can be reconciled.

The side of an overseas order comes from its TR ID's rule in the spec, as the SDK chose it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from . import catalog
from .replies import Reject, bad_field, cursor, query_body, spec_record, to_int
from .store import Booking, Store

SIDES = {"01": "sell", "02": "buy"}
SIDE_CODES = {"sell": "01", "buy": "02"}
SIDE_NAMES = {"sell": "매도", "buy": "매수"}
AMENDS = {"new": "00", "revise": "01", "cancel": "02"}
OVERSEAS = ("overseas_stock.order", "overseas_stock.daytime_order")
OVERSEAS_AMEND = "overseas_stock.order_rvsecncl"
FUTURES = "domestic_futureoption.order"
FUTURES_AMEND = "domestic_futureoption.order_rvsecncl"

Handler = Callable[[str, Mapping[str, str], bool, datetime], dict[str, Any]]


def rule_side(api_id: str, tr_id: str) -> str | None:
    """``buy`` or ``sell``, read from the spec rule that selects ``tr_id``."""
    for rule in catalog.api_for(api_id).tr_ids:
        if tr_id in (rule.real, rule.mock):
            for name, allowed in rule.when:
                if name == "side" and len(allowed) == 1:
                    return allowed[0]
    return None


class Ledger:
    """The booked orders of one broker's store; ``handlers`` plug into ``PaperBroker``."""

    def __init__(self, store: Store, branch: Callable[[bool], str]) -> None:
        self.store = store
        self.branch = branch

    @property
    def handlers(self) -> dict[str, Handler]:
        return {
            **{api: self._overseas_order(api) for api in OVERSEAS},
            "overseas_stock.inquire_ccnl": self._overseas_ccnl,
            "overseas_stock.inquire_nccs": self._overseas_nccs,
            FUTURES: self._futures_order,
            "domestic_futureoption.inquire_ccnl": self._futures_ccnl,
            OVERSEAS_AMEND: self._overseas_amend,
            FUTURES_AMEND: self._futures_amend,
        }

    # --- orders ----------------------------------------------------------------------

    def _book(
        self, api: str, params: Mapping[str, str], side: str, pdno_key: str, price_key: str,
        mock: bool, now: datetime, market: str = "",
    ) -> Booking:  # fmt: skip
        pdno = params.get(pdno_key, "").strip()
        if not pdno:
            raise bad_field(pdno_key)
        qty = to_int(params.get("ORD_QTY"))
        if qty is None or qty <= 0:
            raise Reject("OPSQ0001", "주문수량을 확인하여 주십시오.")
        booking = Booking(
            odno=f"{self.store.counter('order_no'):010d}",
            account=_account(params), api=api, side=side, pdno=pdno, qty=qty,
            price=params.get(price_key, "").strip() or "0", ord_dt=now.strftime("%Y%m%d"),
            ord_tmd=now.strftime("%H%M%S"), branch=self.branch(mock), mock=mock, market=market,
        )  # fmt: skip
        self.store.put(booking)
        return booking

    def _overseas_order(self, api: str) -> Handler:
        def order(
            tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
        ) -> dict[str, Any]:
            side = rule_side(api, tr_id)
            if side is None:
                raise bad_field("tr_id")
            market = params.get("OVRS_EXCG_CD", "").strip()
            booking = self._book(api, params, side, "PDNO", "OVRS_ORD_UNPR", mock, now, market)
            output = spec_record(api, "output", {"KRX_FWDG_ORD_ORGNO": booking.branch,
                                             "ODNO": booking.odno, "ORD_TMD": booking.ord_tmd})  # fmt: skip
            return _accepted(mock, side, output)

        return order

    def _futures_order(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        side = SIDES.get(params.get("SLL_BUY_DVSN_CD", "").strip())
        if side is None:
            raise bad_field("SLL_BUY_DVSN_CD")
        booking = self._book(FUTURES, params, side, "SHTN_PDNO", "UNIT_PRICE", mock, now)
        output = spec_record(FUTURES, "output", {
            "TRAD_DVSN_NAME": SIDE_NAMES[side], "ITEM_NAME": booking.pdno,
            "ORD_TMD": booking.ord_tmd, "ORD_GNO_BRNO": booking.branch, "ODNO": booking.odno,
            "KRX_FWDG_ORD_ORGNO": booking.branch,
        })  # fmt: skip
        return _accepted(mock, side, output)

    def _amend(
        self, api: str, params: Mapping[str, str], mock: bool, now: datetime, price_key: str,
        whole: bool,
    ) -> Booking:  # fmt: skip
        """Book a modify (01) or cancel (02) of a booked order; ``whole``: all that remains."""
        number = params.get("ORGN_ODNO", "").strip()
        target = self.store.bookings.get(number.zfill(10) if number.isdigit() else number)
        if target is None or target.account != _account(params) or target.kind == "cancel":
            raise bad_field("ORGN_ODNO")
        action = params.get("RVSE_CNCL_DVSN_CD", "").strip()
        if action not in ("01", "02"):
            raise bad_field("RVSE_CNCL_DVSN_CD")
        if target.remaining <= 0:
            raise Reject("OPSQ0001", "정정/취소할 수량이 없습니다.")
        qty = target.remaining if whole else (to_int(params.get("ORD_QTY")) or 0)
        if not 0 < qty <= target.remaining:
            raise Reject("OPSQ0001", f"정정/취소 가능수량({target.remaining})을 확인하십시오.")
        price = params.get(price_key, "").strip() if action == "01" else target.price
        booking = Booking(
            odno=f"{self.store.counter('order_no'):010d}", account=target.account, api=api,
            side=target.side, pdno=target.pdno, qty=qty, price=price or "0",
            ord_dt=now.strftime("%Y%m%d"), ord_tmd=now.strftime("%H%M%S"),
            branch=self.branch(mock), mock=mock, market=target.market, orgn_odno=target.odno,
            kind="revise" if action == "01" else "cancel",
        )  # fmt: skip
        target.moved += qty
        self.store.put(target)
        self.store.put(booking)
        return booking

    def _overseas_amend(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        booking = self._amend(OVERSEAS_AMEND, params, mock, now, "OVRS_ORD_UNPR", whole=False)
        output = spec_record(OVERSEAS_AMEND, "output", {"KRX_FWDG_ORD_ORGNO": booking.branch,
                                                        "ODNO": booking.odno, "ORD_TMD": booking.ord_tmd})  # fmt: skip
        return _accepted(mock, booking.side, output)

    def _futures_amend(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        whole = params.get("RMN_QTY_YN", "").strip() == "Y"
        booking = self._amend(FUTURES_AMEND, params, mock, now, "UNIT_PRICE", whole=whole)
        output = spec_record(FUTURES_AMEND, "output", {
            "TRAD_DVSN_NAME": SIDE_NAMES[booking.side], "ITEM_NAME": booking.pdno,
            "ORD_TMD": booking.ord_tmd, "ORD_GNO_BRNO": booking.branch,
            "ORGN_ODNO": booking.orgn_odno, "ODNO": booking.odno,
            "KRX_FWDG_ORD_ORGNO": booking.branch,
        })  # fmt: skip
        return _accepted(mock, booking.side, [output])  # an array, as KIS documents it

    # --- queries ---------------------------------------------------------------------

    def _listed(
        self, apis: tuple[str, ...], params: Mapping[str, str], start: str, end: str,
        side_key: str, pdno_key: str,
    ) -> list[Booking]:  # fmt: skip
        account = _account(params)
        first = params.get(start, "").strip() or "00000000"
        last = params.get(end, "").strip() or "99999999"
        side = SIDES.get(params.get(side_key, "").strip())
        pdno = params.get(pdno_key, "").strip().strip("%")
        rows = [b for b in self.store.bookings.values()
                if b.api in apis and b.account == account and first <= b.ord_dt <= last
                and (side is None or b.side == side) and (not pdno or b.pdno == pdno)]  # fmt: skip
        return sorted(rows, key=lambda b: b.odno, reverse=True)

    def _overseas_rows(self, params: Mapping[str, str]) -> list[Booking]:
        market = params.get("OVRS_EXCG_CD", "").strip().strip("%")
        rows = self._listed((*OVERSEAS, OVERSEAS_AMEND), params, "ORD_STRT_DT", "ORD_END_DT",
                            "SLL_BUY_DVSN", "PDNO")  # fmt: skip
        return [b for b in rows if not market or b.market == market]

    def _overseas_ccnl(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "overseas_stock.inquire_ccnl"
        rows = [spec_record(api, "output", {
            "ord_dt": b.ord_dt, "ord_gno_brno": b.branch, "odno": b.odno,
            "orgn_odno": b.orgn_odno, "sll_buy_dvsn_cd": SIDE_CODES[b.side],
            "sll_buy_dvsn_cd_name": SIDE_NAMES[b.side], "rvse_cncl_dvsn": AMENDS[b.kind],
            "pdno": b.pdno, "prdt_name": b.pdno, "ft_ord_qty": b.qty, "ft_ord_unpr3": b.price,
            "ft_ccld_qty": 0, "nccs_qty": b.remaining, "prcs_stat_name": "접수", "ord_tmd": b.ord_tmd,
            "ovrs_excg_cd": b.market, "dmst_ord_dt": b.ord_dt, "thco_ord_tmd": b.ord_tmd,
        }) for b in self._overseas_rows(params)]  # fmt: skip
        return query_body(mock, _page(params, {"output": rows}))

    def _overseas_nccs(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "overseas_stock.inquire_nccs"
        rows = [spec_record(api, "output", {
            "ord_dt": b.ord_dt, "ord_gno_brno": b.branch, "odno": b.odno,
            "orgn_odno": b.orgn_odno, "pdno": b.pdno, "prdt_name": b.pdno,
            "sll_buy_dvsn_cd": SIDE_CODES[b.side], "sll_buy_dvsn_cd_name": SIDE_NAMES[b.side],
            "ft_ord_qty": b.qty, "ft_ord_unpr3": b.price, "ft_ccld_qty": 0,
            "nccs_qty": b.remaining,
            "ord_tmd": b.ord_tmd, "ovrs_excg_cd": b.market, "prcs_stat_name": "접수",
        }) for b in self._overseas_rows(params) if b.remaining > 0]  # fmt: skip
        return query_body(mock, _page(params, {"output": rows}))

    def _futures_ccnl(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "domestic_futureoption.inquire_ccnl"
        listed = self._listed((FUTURES, FUTURES_AMEND), params, "STRT_ORD_DT", "END_ORD_DT",
                              "SLL_BUY_DVSN_CD", "PDNO")  # fmt: skip
        rows = [spec_record(api, "output1", {
            "ord_gno_brno": b.branch, "cano": b.account.split("-")[0],
            "acnt_prdt_cd": b.account.split("-")[1], "ord_dt": b.ord_dt, "odno": b.odno,
            "orgn_odno": b.orgn_odno, "sll_buy_dvsn_cd": SIDE_CODES[b.side],
            "trad_dvsn_name": SIDE_NAMES[b.side], "pdno": b.pdno, "prdt_name": b.pdno,
            "ord_qty": b.qty, "ord_idx": b.price, "qty": b.remaining, "ord_tmd": b.ord_tmd,
            "tot_ccld_qty": 0, "tot_ccld_amt": 0, "rjct_qty": 0, "ord_stfno": "OpnAPI",
            "sprd_item_yn": "N",
        }) for b in listed]  # fmt: skip
        totals = spec_record(api, "output2", {"tot_ord_qty": sum(b.qty for b in listed),
                                          "tot_ccld_qty_smtl": 0, "tot_ccld_amt_smtl": 0})  # fmt: skip
        return query_body(mock, _page(params, {"output1": rows, "output2": totals}))


def _account(params: Mapping[str, str]) -> str:
    return f"{params.get('CANO', '').strip()}-{params.get('ACNT_PRDT_CD', '').strip()}"


def _page(params: Mapping[str, str], blocks: Mapping[str, Any]) -> dict[str, Any]:
    """Everything in one page: the continuation keys come back blank-padded."""
    account = _account(params)
    return {**blocks, "ctx_area_fk200": cursor(account).ljust(200),
            "ctx_area_nk200": cursor().ljust(200)}  # fmt: skip


def _accepted(mock: bool, side: str, output: Any) -> dict[str, Any]:
    msg_cd, msg1 = (
        ("40600000", f"모의투자 {SIDE_NAMES[side]}주문이 완료 되었습니다.")
        if mock
        else ("APBK0013", "주문 전송 완료 되었습니다.")
    )
    return {"rt_cd": "0", "msg_cd": msg_cd, "msg1": msg1, "output": output}
