"""Stateful paper trading for the sandbox's ``Broker`` hook: domestic cash orders, corrections
and cancels filled against the simulated market, with balances, buying power and the day's
orders and executions read back in KIS's own response shapes. Overseas stock and
domestic futures/options orders are accepted and listed by the day's order queries but not
filled (see ``bookings``).

``Sandbox(broker=PaperBroker(clock=ManualClock(...)))``; real and mock TR IDs share the logic,
only the message codes and texts differ as they do at KIS.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

import attrs

from .bookings import Ledger
from .market import Clock, Market, add_business_days, in_session, on_tick, stock_name, system_clock
from .replies import Reject, bad_field, cursor, query_body, ratio, spec_record, to_int
from .store import Account, Execution, Order, Position, Store

log = logging.getLogger(__name__)

DEFAULT_CASH = 10_000_000
REAL_BRANCH = "91252"
MOCK_BRANCH = "00950"
BUY_TR_IDS = frozenset({"TTTC0012U", "VTTC0012U", "TTTC0802U", "VTTC0802U"})
SELL_TR_IDS = frozenset({"TTTC0011U", "VTTC0011U", "TTTC0801U", "VTTC0801U"})
ORDER_NAMES = {"00": "지정가", "01": "시장가", "03": "최유리지정가", "04": "최우선지정가",
               "11": "IOC지정가", "12": "FOK지정가", "13": "IOC시장가", "14": "FOK시장가",
               "15": "IOC최유리", "16": "FOK최유리"}  # fmt: skip
LIMIT_TYPES = frozenset({"00", "11", "12"})
IMMEDIATE_TYPES = frozenset({"11", "12", "13", "14", "15", "16"})
"""Fill what can be filled at once and cancel the rest (IOC/FOK; the sandbox fills all-or-none)."""
CONDITIONS = {"11": "IOC", "12": "FOK", "13": "IOC", "14": "FOK", "15": "IOC", "16": "FOK"}
EXCHANGES = frozenset({"KRX", "NXT", "SOR"})
SIDE_CODES = {"sell": "01", "buy": "02"}
SIDE_NAMES = {"sell": "매도", "buy": "매수"}
RVSECNCL = "domestic_stock.order_rvsecncl"

Side = Literal["buy", "sell"]


@attrs.frozen
class Fill:
    """One execution of a paper order: what an execution notice (H0STCNI0/H0STCNI9) tells."""

    account: str
    """``CANO-ACNT_PRDT_CD``."""
    order_no: str
    original_order_no: str
    """The corrected order's number for a correction; empty for a new order."""
    branch: str
    code: str
    name: str
    side: Side
    qty: int
    price: int
    order_qty: int
    order_price: int
    ord_dvsn: str
    time: datetime
    """Korean time of the fill."""
    hts_id: str | None
    mock: bool

    @property
    def odno(self) -> str:
        return self.order_no

    @property
    def orgn_odno(self) -> str:
        return self.original_order_no

    @property
    def pdno(self) -> str:
        return self.code

    @property
    def cano(self) -> str:
        return self.account.split("-")[0]

    @property
    def acnt_prdt_cd(self) -> str:
        return self.account.split("-")[1]


Handler = Callable[[str, Mapping[str, str], bool, datetime], dict[str, Any]]


class PaperBroker:
    """Paper trading on a simulated market; plugs into ``Sandbox(broker=...)``.

    ``market`` (or ``clock`` and ``seed`` to build one) decides prices and time; ``path`` keeps
    the state in a SQLite file so a later broker on the same path resumes it. Accounts open on
    first use with ``cash`` won; ``enforce_hours=False`` accepts orders at any time.
    """

    def __init__(
        self,
        market: Market | None = None,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        path: str | os.PathLike[str] | None = None,
        cash: int = DEFAULT_CASH,
        enforce_hours: bool = True,
        hts_id: str | None = None,
        branch: str | None = None,
    ) -> None:
        if market is not None and clock is not None:
            raise ValueError("pass the clock to the Market, not to both")
        self.market = market or Market(seed=seed, clock=clock or system_clock)
        self.store = Store(path)
        self.cash = cash
        self.enforce_hours = enforce_hours
        self.hts_id = hts_id
        self.branch = branch
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Fill], object]] = []
        self._fills: list[Fill] = []
        self._handlers: dict[str, Handler] = {
            "domestic_stock.order_cash": self._order_cash,
            "domestic_stock.order_rvsecncl": self._order_rvsecncl,
            "domestic_stock.inquire_balance": self._inquire_balance,
            "domestic_stock.inquire_psbl_order": self._inquire_psbl_order,
            "domestic_stock.inquire_psbl_sell": self._inquire_psbl_sell,
            "domestic_stock.inquire_daily_ccld": self._inquire_daily_ccld,
            "domestic_stock.inquire_psbl_rvsecncl": self._inquire_psbl_rvsecncl,
            "domestic_stock.inquire_account_balance": self._inquire_account_balance,
        }
        # overseas stock and futures/options orders are booked and listed, never filled
        self._handlers.update(Ledger(self.store, self._branch).handlers)

    @property
    def api_ids(self) -> frozenset[str]:
        """The APIs this broker answers."""
        return frozenset(self._handlers)

    # --- public surface --------------------------------------------------------------

    def handle(
        self, api_id: str, tr_id: str, params: Mapping[str, str], *, mock: bool
    ) -> Mapping[str, Any] | None:
        handler = self._handlers.get(api_id)
        if handler is None:
            return None
        with self._lock:
            now = self.market.now()
            self._evaluate(now)
            try:
                body = handler(tr_id, params, mock, now)
            except Reject as reject:
                body = reject.body(mock)
            self.store.commit()
            fills, self._fills = self._fills, []
        self._notify(fills)
        return body

    def on_fill(self, callback: Callable[[Fill], object]) -> Callable[[Fill], object]:
        """Call ``callback(fill)`` for every execution (after the broker call that found it)."""
        with self._lock:
            self._listeners.append(callback)
        return callback

    def poll(self) -> list[Fill]:
        """Check working orders against the price path up to now, without an API call."""
        with self._lock:
            self._evaluate(self.market.now())
            self.store.commit()
            fills, self._fills = self._fills, []
        self._notify(fills)
        return fills

    def open_account(
        self, account: str, *, cash: int | None = None, hts_id: str | None = None
    ) -> None:
        """Open ``account`` (``12345678-01``) with ``cash`` won, or change an open one's
        starting cash or HTS ID."""
        cano, _, product = account.partition("-")
        if len(cano) != 8 or len(product) != 2:
            raise ValueError("account must look like 12345678-01")
        with self._lock:
            current = self._account(cano, product)
            if cash is not None:
                current.deposit = cash
            if hts_id is not None:
                current.hts_id = hts_id
            self.store.put(current)
            self.store.commit()

    def close(self) -> None:
        with self._lock:
            self.store.close()

    def __enter__(self) -> PaperBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- bookkeeping -----------------------------------------------------------------

    def _notify(self, fills: list[Fill]) -> None:
        for fill in fills:
            for listener in list(self._listeners):
                try:
                    listener(fill)
                except Exception:
                    log.exception("paper broker: on_fill callback failed")

    def _account(self, cano: str, product: str) -> Account:
        key = f"{cano}-{product}"
        account = self.store.accounts.get(key)
        if account is None:
            account = Account(account=key, deposit=self.cash)
            self.store.put(account)
        return account

    def _account_of(self, params: Mapping[str, str]) -> Account:
        return self._account(params.get("CANO", "").strip(), params.get("ACNT_PRDT_CD", "").strip())

    def _position(self, account: str, pdno: str) -> Position:
        return self.store.positions.get((account, pdno)) or Position(account=account, pdno=pdno)

    def _orders(self, account: str) -> list[Order]:
        return [o for o in self.store.orders.values() if o.account == account]

    def _executions(self, account: str) -> list[Execution]:
        return [e for e in self.store.executions if e.account == account]

    def _settled(self, account: Account, day: date | None) -> int:
        """Cash settled by ``day`` (every trade when ``day`` is None: the D+2 cash)."""
        stamp = None if day is None else day.strftime("%Y%m%d")
        return account.deposit + sum(
            e.cash_flow
            for e in self._executions(account.account)
            if stamp is None or e.settle_dt <= stamp
        )

    def _buying_power(self, account: Account) -> int:
        reserved = sum(
            o.remaining * o.price
            for o in self._orders(account.account)
            if o.working and o.side == "buy"
        )
        return self._settled(account, None) - reserved

    def _sellable(self, account: str, pdno: str) -> int:
        selling = sum(
            o.remaining
            for o in self._orders(account)
            if o.working and o.side == "sell" and o.pdno == pdno
        )
        return self._position(account, pdno).qty - selling

    def _branch(self, mock: bool) -> str:
        return self.branch or (MOCK_BRANCH if mock else REAL_BRANCH)

    # --- matching --------------------------------------------------------------------

    def _evaluate(self, now: datetime) -> None:
        """Fill working limit orders whose price the path reached since they were last checked;
        expire day orders at the close."""
        hits: list[tuple[datetime, Order]] = []
        for order in sorted(self.store.orders.values(), key=lambda o: o.odno):
            if not order.working:
                continue
            checked = datetime.fromisoformat(order.checked_at)
            if now <= checked:
                continue
            side: Side = "buy" if order.side == "buy" else "sell"
            # day orders end at the close of their day; without hours they work until filled
            close = self.market.close_time(datetime.strptime(order.ord_dt, "%Y%m%d").date())
            until = min(now, close) if self.enforce_hours else now
            hit = self.market.first_cross(order.pdno, side, order.price, checked, until)
            if hit is not None:
                hits.append((hit, order))
                continue
            order.checked_at = now.isoformat()
            order.closed = self.enforce_hours and now >= close
            self.store.put(order)
        for hit, order in sorted(hits, key=lambda h: (h[0], h[1].odno)):
            order.checked_at = hit.isoformat()
            self._fill(order, order.remaining, order.price, hit)

    def _execute_now(self, order: Order, now: datetime) -> None:
        """Fill a new or corrected order at once when it is marketable; IOC/FOK cancel the rest."""
        price = self.market.price(order.pdno, now)
        marketable = (
            order.ord_dvsn not in LIMIT_TYPES
            or (order.side == "buy" and price <= order.price)
            or (order.side == "sell" and price >= order.price)
        )
        if marketable:
            self._fill(order, order.remaining, price, now)
        elif order.ord_dvsn in IMMEDIATE_TYPES:
            order.cancelled_qty += order.remaining
            order.closed = True
            self.store.put(order)

    def _fill(self, order: Order, qty: int, price: int, when: datetime) -> None:
        position = self._position(order.account, order.pdno)
        if order.side == "buy":
            position.qty += qty
            position.cost += qty * price
        else:
            released = round(position.cost * qty / position.qty) if position.qty else 0
            position.qty -= qty
            position.cost = position.cost - released if position.qty else 0
        order.filled_qty += qty
        order.filled_amt += qty * price
        if order.remaining == 0:
            order.closed = True
        day = when.date()
        execution = Execution(
            seq=self.store.counter("execution"),
            account=order.account,
            odno=order.odno,
            pdno=order.pdno,
            side=order.side,
            qty=qty,
            price=price,
            ccld_dt=day.strftime("%Y%m%d"),
            ccld_tmd=when.strftime("%H%M%S"),
            settle_dt=add_business_days(day, 2).strftime("%Y%m%d"),
        )
        for record in (position, order, execution):
            self.store.put(record)
        account = self.store.accounts.get(order.account)
        self._fills.append(
            Fill(
                account=order.account,
                order_no=order.odno,
                original_order_no=order.orgn_odno,
                branch=order.branch,
                code=order.pdno,
                name=stock_name(order.pdno),
                side="buy" if order.side == "buy" else "sell",
                qty=qty,
                price=price,
                order_qty=order.qty,
                order_price=order.price,
                ord_dvsn=order.ord_dvsn,
                time=when,
                hts_id=(account.hts_id if account else None) or self.hts_id,
                mock=order.mock,
            )
        )

    # --- order checks ----------------------------------------------------------------

    def _check_hours(self, now: datetime) -> None:
        if self.enforce_hours and not in_session(now):
            raise Reject("OPSQ0019", "장운영시간이 아닙니다. (정규장 09:00~15:30)")

    @staticmethod
    def _order_type(params: Mapping[str, str]) -> tuple[str, int]:
        """(ORD_DVSN, limit price or 0), checked against the tick table."""
        dvsn = params.get("ORD_DVSN", "").strip()
        if dvsn not in ORDER_NAMES:
            raise bad_field("ORD_DVSN")
        price = to_int(params.get("ORD_UNPR")) or 0
        if dvsn not in LIMIT_TYPES:
            return dvsn, 0
        if not on_tick(price):
            raise Reject("OPSQ0002", f"주문단가가 호가단위에 맞지 않습니다. (주문단가 {price})")
        return dvsn, price

    def _new_order(self, account: Account, mock: bool, now: datetime, **fields: Any) -> Order:
        fields.setdefault("excg", "KRX")
        order = Order(
            odno=f"{self.store.counter('order_no'):010d}",
            account=account.account,
            ord_dt=now.strftime("%Y%m%d"),
            ord_tmd=now.strftime("%H%M%S"),
            branch=self._branch(mock),
            mock=mock,
            checked_at=now.isoformat(),
            **fields,
        )
        self.store.put(order)
        return order

    def _order_reply(self, api: str, order: Order, mock: bool, verb: str) -> dict[str, Any]:
        if mock:
            msg_cd = "40630000" if verb == "취소" else "40600000"
            msg1 = f"모의투자 {verb}주문이 완료 되었습니다."
        else:
            msg_cd, msg1 = "APBK0013", "주문 전송 완료 되었습니다."
        output = spec_record(api, "output",
                         {"KRX_FWDG_ORD_ORGNO": order.branch, "ODNO": order.odno,
                          "ORD_TMD": order.ord_tmd, "SOR_ODNO": ""})  # fmt: skip
        return {"rt_cd": "0", "msg_cd": msg_cd, "msg1": msg1, "output": output}

    # --- orders ----------------------------------------------------------------------

    def _order_cash(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        if tr_id not in BUY_TR_IDS | SELL_TR_IDS:
            raise bad_field("tr_id")
        side: Side = "buy" if tr_id in BUY_TR_IDS else "sell"
        account = self._account_of(params)
        pdno = params.get("PDNO", "").strip()
        if len(pdno) != 6 or not pdno.isalnum():
            raise bad_field("PDNO")
        qty = to_int(params.get("ORD_QTY"))
        if qty is None or qty <= 0:
            raise Reject("OPSQ0001", "주문수량을 확인하여 주십시오.")
        dvsn, price = self._order_type(params)
        excg = params.get("EXCG_ID_DVSN_CD", "").strip() or "KRX"
        if excg not in EXCHANGES:
            raise bad_field("EXCG_ID_DVSN_CD")
        self._check_hours(now)
        if side == "buy":
            need = qty * (price or self.market.price(pdno, now))
            if need > self._buying_power(account):
                raise Reject("OPSQ0013", "주문가능금액을 초과 했습니다.")
        elif qty > self._sellable(account.account, pdno):
            raise Reject("OPSQ0013", "주문가능수량을 초과 했습니다.")
        order = self._new_order(account, mock, now, kind="new", side=side, pdno=pdno,
                                ord_dvsn=dvsn, qty=qty, price=price, excg=excg)  # fmt: skip
        self._execute_now(order, now)
        return self._order_reply("domestic_stock.order_cash", order, mock, SIDE_NAMES[side])

    def _order_rvsecncl(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        account = self._account_of(params)
        original = params.get("ORGN_ODNO", "").strip()
        target = self.store.orders.get(original.zfill(10) if original.isdigit() else original)
        if target is None or target.account != account.account or target.kind == "cancel":
            raise bad_field("ORGN_ODNO")
        action = params.get("RVSE_CNCL_DVSN_CD", "").strip()
        if action not in ("01", "02"):
            raise bad_field("RVSE_CNCL_DVSN_CD")
        self._check_hours(now)
        if not target.working:
            raise Reject("OPSQ0001", "정정/취소할 수량이 없습니다.")
        if params.get("QTY_ALL_ORD_YN", "").strip() == "Y":
            qty = target.remaining
        else:
            qty = to_int(params.get("ORD_QTY")) or 0
            if not 0 < qty <= target.remaining:
                raise Reject("OPSQ0001", f"정정/취소 가능수량({target.remaining})을 확인하십시오.")
        common = {"side": target.side, "pdno": target.pdno, "qty": qty, "excg": target.excg,
                  "orgn_odno": target.odno}  # fmt: skip
        if action == "02":
            row = self._new_order(account, mock, now, kind="cancel", ord_dvsn=target.ord_dvsn,
                                  price=target.price, closed=True, **common)  # fmt: skip
            self._move(target, qty)
            return self._order_reply(RVSECNCL, row, mock, "취소")
        dvsn, price = self._order_type(params)
        if target.side == "buy":
            need = qty * (price or self.market.price(target.pdno, now)) - qty * target.price
            if need > self._buying_power(account):
                raise Reject("OPSQ0013", "주문가능금액을 초과 했습니다.")
        row = self._new_order(account, mock, now, kind="revise", ord_dvsn=dvsn, price=price,
                              **common)  # fmt: skip
        self._move(target, qty)
        self._execute_now(row, now)
        return self._order_reply(RVSECNCL, row, mock, "정정")

    def _move(self, target: Order, qty: int) -> None:
        """Take ``qty`` off a working order (cancelled, or moved to a correction)."""
        target.cancelled_qty += qty
        if target.remaining == 0:
            target.closed = True
        self.store.put(target)

    # --- queries ---------------------------------------------------------------------

    def _inquire_balance(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "domestic_stock.inquire_balance"
        account = self._account_of(params)
        today = now.date()
        days = _Days(today)
        executions = self._executions(account.account)
        codes = sorted(
            {p.pdno for p in self.store.positions.values()
             if p.account == account.account and p.qty > 0}
            | {e.pdno for e in executions if e.ccld_dt == days.today}
        )  # fmt: skip
        rows = []
        totals = {"pchs": 0, "evlu": 0, "prev_evlu": 0}
        for code in codes:
            position = self._position(account.account, code)
            quote = self.market.quote(code, now)
            moved = _traded(executions, code)
            evlu = position.qty * quote.price
            profit = evlu - position.cost
            held_before = position.qty - moved["buy", days.today] + moved["sell", days.today]
            totals["pchs"] += position.cost
            totals["evlu"] += evlu
            totals["prev_evlu"] += held_before * quote.reference
            rows.append(spec_record(api, "output1", {
                "pdno": code, "prdt_name": stock_name(code), "trad_dvsn_name": "현금",
                "bfdy_buy_qty": moved["buy", days.previous],
                "bfdy_sll_qty": moved["sell", days.previous],
                "thdt_buyqty": moved["buy", days.today],
                "thdt_sll_qty": moved["sell", days.today],
                "hldg_qty": position.qty,
                "ord_psbl_qty": max(self._sellable(account.account, code), 0),
                "pchs_avg_pric": ratio(position.cost, position.qty, 4, 1),
                "pchs_amt": position.cost, "prpr": quote.price, "evlu_amt": evlu,
                "evlu_pfls_amt": profit,
                "evlu_pfls_rt": ratio(profit, position.cost, 2),
                "evlu_erng_rt": ratio(profit, position.cost, 8),
                "loan_amt": 0, "stln_slng_chgs": 0,
                "fltt_rt": ratio(quote.change, quote.reference, 8),
                "bfdy_cprs_icdc": quote.change,
                "item_mgna_rt_name": "20%", "sbst_pric": 0, "stck_loan_unpr": "0.0000",
            }))  # fmt: skip
        d2 = self._settled(account, None)
        total = d2 + totals["evlu"]
        before_today = account.deposit + sum(
            e.cash_flow for e in executions if e.ccld_dt < days.today
        )
        previous_total = before_today + totals["prev_evlu"]
        amounts = {(side, day): sum(e.amount for e in executions
                                    if e.side == side and e.ccld_dt == day)
                   for side in ("buy", "sell") for day in (days.today, days.previous)}  # fmt: skip
        summary = spec_record(api, "output2", {
            "dnca_tot_amt": self._settled(account, today),
            "nxdy_excc_amt": self._settled(account, add_business_days(today, 1)),
            "prvs_rcdl_excc_amt": d2,
            "bfdy_buy_amt": amounts["buy", days.previous],
            "thdt_buy_amt": amounts["buy", days.today],
            "bfdy_sll_amt": amounts["sell", days.previous],
            "thdt_sll_amt": amounts["sell", days.today],
            "scts_evlu_amt": totals["evlu"], "tot_evlu_amt": total, "nass_amt": total,
            "pchs_amt_smtl_amt": totals["pchs"], "evlu_amt_smtl_amt": totals["evlu"],
            "evlu_pfls_smtl_amt": totals["evlu"] - totals["pchs"],
            "bfdy_tot_asst_evlu_amt": previous_total,
            "asst_icdc_amt": total - previous_total,
            "asst_icdc_erng_rt": ratio(total - previous_total, previous_total, 8),
        })  # fmt: skip
        return query_body(mock, {"ctx_area_fk100": cursor(account.account, "N", "N"),
                             "ctx_area_nk100": cursor(), "output1": rows, "output2": [summary]})  # fmt: skip

    def _inquire_psbl_order(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        account = self._account_of(params)
        pdno = params.get("PDNO", "").strip()
        price = to_int(params.get("ORD_UNPR")) or 0
        dvsn = params.get("ORD_DVSN", "").strip() or "01"
        unit = price if dvsn in LIMIT_TYPES and price > 0 else self.market.price(pdno, now)
        cash = self._buying_power(account)
        qty = max(cash, 0) // unit
        output = spec_record("domestic_stock.inquire_psbl_order", "output", {
            "ord_psbl_cash": cash, "ord_psbl_sbst": 0, "ruse_psbl_amt": 0, "fund_rpch_chgs": 0,
            "psbl_qty_calc_unpr": unit, "nrcvb_buy_amt": qty * unit, "nrcvb_buy_qty": qty,
            "max_buy_amt": qty * unit, "max_buy_qty": qty, "cma_evlu_amt": 0,
            "ovrs_re_use_amt_wcrc": 0, "ord_psbl_frcr_amt_wcrc": 0,
        })  # fmt: skip
        return query_body(mock, {"output": output})

    def _inquire_psbl_sell(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        account = self._account_of(params)
        pdno = params.get("PDNO", "").strip()
        position = self._position(account.account, pdno)
        today = _Days(now.date()).today
        moved = _traded(self._executions(account.account), pdno)
        price = self.market.price(pdno, now)
        evlu = position.qty * price
        output = spec_record("domestic_stock.inquire_psbl_sell", "output", {
            "pdno": pdno, "prdt_name": stock_name(pdno),
            "buy_qty": moved["buy", today], "sll_qty": moved["sell", today],
            "cblc_qty": position.qty, "nsvg_qty": 0,
            "ord_psbl_qty": max(self._sellable(account.account, pdno), 0),
            "pchs_avg_pric": ratio(position.cost, position.qty, 4, 1),
            "pchs_amt": position.cost, "now_pric": price, "evlu_amt": evlu,
            "evlu_pfls_amt": evlu - position.cost,
            "evlu_pfls_rt": ratio(evlu - position.cost, position.cost, 2),
        })  # fmt: skip
        return query_body(mock, {"output": output})

    def _inquire_daily_ccld(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "domestic_stock.inquire_daily_ccld"
        account = self._account_of(params)
        start = params.get("INQR_STRT_DT", "").strip() or "00000000"
        end = params.get("INQR_END_DT", "").strip() or "99999999"
        side = {"01": "sell", "02": "buy"}.get(params.get("SLL_BUY_DVSN_CD", "").strip())
        pdno = params.get("PDNO", "").strip()
        odno = params.get("ODNO", "").strip()
        ccld = params.get("CCLD_DVSN", "").strip()
        orders = [
            o for o in self._orders(account.account)
            if start <= o.ord_dt <= end
            and (side is None or o.side == side)
            and (not pdno or o.pdno == pdno)
            and (not odno or o.odno == odno.zfill(10))
            and (ccld != "01" or o.filled_qty > 0)
            and (ccld != "02" or o.remaining > 0)
        ]  # fmt: skip
        orders.sort(key=lambda o: o.odno, reverse=params.get("INQR_DVSN", "00").strip() != "01")
        rows = [self._ccld_row(api, o) for o in orders]
        placed = [o for o in orders if o.kind != "cancel"]
        qty = sum(o.filled_qty for o in placed)
        amount = sum(o.filled_amt for o in placed)
        totals = spec_record(api, "output2", {
            "tot_ord_qty": sum(o.qty for o in placed), "tot_ccld_qty": qty,
            "tot_ccld_amt": amount, "prsm_tlex_smtl": 0,
            "pchs_avg_pric": ratio(amount, qty, 4, 1),
        })  # fmt: skip
        return query_body(mock, {"ctx_area_fk100": cursor(account.account, start, end),
                             "ctx_area_nk100": cursor(), "output1": rows, "output2": totals},
                      real=("KIOK0460", "조회 되었습니다. (마지막 자료)"))  # fmt: skip

    def _ccld_row(self, api: str, order: Order) -> dict[str, str]:
        side = SIDE_NAMES[order.side]
        kind = {"new": f"현금{side}", "revise": f"{side}정정", "cancel": f"{side}취소"}
        return spec_record(api, "output1", {
            "ord_dt": order.ord_dt, "ord_gno_brno": order.branch, "odno": order.odno,
            "orgn_odno": order.orgn_odno, "ord_dvsn_name": ORDER_NAMES[order.ord_dvsn],
            "sll_buy_dvsn_cd": SIDE_CODES[order.side], "sll_buy_dvsn_cd_name": kind[order.kind],
            "pdno": order.pdno, "prdt_name": stock_name(order.pdno), "ord_qty": order.qty,
            "ord_unpr": order.price, "ord_tmd": order.ord_tmd,
            "tot_ccld_qty": order.filled_qty,
            "avg_prvs": ratio(order.filled_amt, order.filled_qty, 0, 1),
            "cncl_yn": "Y" if order.kind == "cancel" else "",
            "tot_ccld_amt": order.filled_amt, "ordr_empno": "OpnAPI",
            "ord_dvsn_cd": order.ord_dvsn,
            "cncl_cfrm_qty": order.qty if order.kind == "cancel" else 0,
            "rmn_qty": order.remaining, "rjct_qty": 0,
            "ccld_cndt_name": CONDITIONS.get(order.ord_dvsn, "없음"),
            "inqr_ip_addr": "127.000.000.001", "prdt_type_cd": "300", "excg_dvsn_cd": "02",
            "ord_orgno": "00000", "excg_id_dvsn_cd": order.excg, "stpm_cndt_pric": 0,
        })  # fmt: skip

    def _inquire_psbl_rvsecncl(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        api = "domestic_stock.inquire_psbl_rvsecncl"
        account = self._account_of(params)
        side = {"1": "sell", "2": "buy"}.get(params.get("INQR_DVSN_2", "").strip())
        orders = [o for o in self._orders(account.account)
                  if o.working and (side is None or o.side == side)]  # fmt: skip
        orders.sort(key=lambda o: o.odno, reverse=True)
        if params.get("INQR_DVSN_1", "").strip() == "1":
            orders.sort(key=lambda o: o.pdno)
        rows = [spec_record(api, "output", {
            "ord_gno_brno": o.branch, "odno": o.odno, "orgn_odno": o.orgn_odno,
            "ord_dvsn_name": ORDER_NAMES[o.ord_dvsn], "pdno": o.pdno,
            "prdt_name": stock_name(o.pdno), "rvse_cncl_dvsn_name": f"현금{SIDE_NAMES[o.side]}",
            "ord_qty": o.qty, "ord_unpr": o.price, "ord_tmd": o.ord_tmd,
            "tot_ccld_qty": o.filled_qty, "tot_ccld_amt": o.filled_amt, "psbl_qty": o.remaining,
            "sll_buy_dvsn_cd": SIDE_CODES[o.side], "ord_dvsn_cd": o.ord_dvsn,
            "excg_dvsn_cd": "02", "excg_id_dvsn_cd": o.excg, "excg_id_dvsn_name": o.excg,
            "stpm_cndt_pric": 0,
        }) for o in orders]  # fmt: skip
        return query_body(mock, {"ctx_area_fk100": cursor(account.account),
                             "ctx_area_nk100": cursor(), "output": rows})  # fmt: skip

    def _inquire_account_balance(
        self, tr_id: str, params: Mapping[str, str], mock: bool, now: datetime
    ) -> dict[str, Any]:
        """Asset classes in output1 (row 1 stocks, row 2 cash); totals in output2."""
        api = "domestic_stock.inquire_account_balance"
        account = self._account_of(params)
        cost = evlu = 0
        for position in self.store.positions.values():
            if position.account == account.account and position.qty:
                cost += position.cost
                evlu += position.qty * self.market.price(position.pdno, now)
        cash = self._settled(account, None)
        total = cash + evlu
        rows = [
            spec_record(api, "output1", {"pchs_amt": cost, "evlu_amt": evlu,
                                     "evlu_pfls_amt": evlu - cost, "real_nass_amt": evlu,
                                     "whol_weit_rt": ratio(evlu, total, 2)}),
            spec_record(api, "output1", {"pchs_amt": cash, "evlu_amt": cash, "real_nass_amt": cash,
                                     "whol_weit_rt": ratio(cash, total, 2)}),
        ]  # fmt: skip
        totals = spec_record(api, "output2", {
            "pchs_amt_smtl": cost + cash, "nass_tot_amt": total, "evlu_amt_smtl": total,
            "evlu_pfls_amt_smtl": evlu - cost, "tot_asst_amt": total,
            "tot_dncl_amt": cash, "dncl_amt": self._settled(account, now.date()),
        })  # fmt: skip
        return query_body(mock, {"output1": rows, "output2": totals})


def open_broker(db: str | os.PathLike[str] | None = None, **options: Any) -> PaperBroker:
    """The command line's broker factory: paper trading on the wall clock, kept in ``db``."""
    return PaperBroker(path=db, **options)


# --- wire helpers ------------------------------------------------------------------------


class _Days:
    """Today and the previous business day as KIS dates."""

    def __init__(self, today: date) -> None:
        self.today = today.strftime("%Y%m%d")
        self.previous = add_business_days(today, -1).strftime("%Y%m%d")


class _Counts(dict[tuple[str, str], int]):
    def __missing__(self, key: tuple[str, str]) -> int:
        return 0


def _traded(executions: Iterable[Execution], pdno: str) -> _Counts:
    """Shares bought and sold per (side, day) in one stock."""
    counts = _Counts()
    for e in executions:
        if e.pdno == pdno:
            counts[e.side, e.ccld_dt] += e.qty
    return counts
