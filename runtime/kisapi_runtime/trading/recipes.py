"""What each order helper sends: the generated order endpoint and the codes it fills per
product (no TR ID here: the endpoints choose them as they always do).

A helper is a *flow*, a generator that checks its arguments (raising before anything is
sent), then yields ``("call", api id, keyword arguments)`` for an order or ``("rows", api id,
keyword arguments)`` for a listing whose rows it wants, and returns the :class:`OrderInfo`.
The sync and async namespaces drive the same flows (``desks``), so an order goes through the
generated endpoint and the client's order path: never retried after an ambiguous failure,
which raises ``KisOrderStateUnknownError``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import attrs

from ..codecs import KST
from ..errors import KisValidationError
from .exchanges import ORDER_EXCHANGES, US, order_exchange
from .order import OrderInfo, Side
from .ticks import off_tick

Step = tuple[Literal["call", "rows", "listing"], str, dict[str, Any]]
"""What a flow asks its desk: call an API, collect an API's rows, or the order exchange that
lists ``symbol`` (from the client's symbols; ``None`` when no master lists it)."""
Flow = Generator[Step, Any, OrderInfo]
Action = Literal["modify", "cancel"]
Price = int | Decimal | str | float | None

MODIFY, CANCEL = "01", "02"  # RVSE_CNCL_DVSN_CD
SIDE_CODES: Final = {"sell": "01", "buy": "02"}


# --- argument checks (nothing is sent when one fails) --------------------------------------


def check_qty(api: str, qty: object, field: str = "qty") -> int:
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise KisValidationError(api, field, f"expected a whole number, got {qty!r}")
    if qty <= 0:
        raise KisValidationError(api, field, f"must be positive, got {qty}")
    return qty


def check_price(api: str, price: object, *, signed: bool = False) -> Decimal:
    """A finite price; positive unless ``signed`` (futures spreads may be negative)."""
    if isinstance(price, bool) or not isinstance(price, int | Decimal | str | float):
        raise KisValidationError(api, "price", f"expected a number, got {price!r}")
    try:
        number = Decimal(str(price).strip())
    except InvalidOperation:
        raise KisValidationError(api, "price", f"not a number: {price!r}") from None
    if not number.is_finite():
        raise KisValidationError(api, "price", f"must be finite, got {price!r}")
    if number == 0 or (number < 0 and not signed):
        raise KisValidationError(api, "price", f"must be positive, got {price!r}")
    return number


def check_won(api: str, price: object, tick_check: bool) -> int:
    """A domestic stock price: whole won, on the KRX price unit (unless ``tick_check=False``)."""
    number = check_price(api, price)
    if number != number.to_integral_value():
        raise KisValidationError(api, "price", f"whole won only, got {price!r}")
    won = int(number)
    reason = off_tick(won) if tick_check else None
    if reason:
        raise KisValidationError(api, "price", reason)
    return won


def check_symbol(api: str, symbol: object) -> str:
    if not isinstance(symbol, str) or not symbol.strip():
        raise KisValidationError(api, "symbol", f"expected a product code, got {symbol!r}")
    return symbol.strip()


def check_number(api: str, number: object) -> str:
    text = number.strip() if isinstance(number, str) else ""
    if not text.isdigit():
        raise KisValidationError(api, "order", f"an Order or its order number, got {number!r}")
    return text


def same_number(left: object, right: str) -> bool:
    text = str(left or "").strip()
    return text.isdigit() and int(text) == int(right)


def _text(value: object) -> str:
    return str(getattr(value, "value", value) or "").strip()


def _first(block: Any) -> Any:
    """The record of an output block (KIS sends some as a one-item array)."""
    return block[0] if isinstance(block, list) and block else block


def _own(api: str, product: str, order: OrderInfo) -> None:
    if order.product != product:
        raise KisValidationError(api, "order", f"a {order.product} order, not {product}")


def _side(api: str, number: str, code: object) -> Side:
    """buy/sell from a listed order's SLL_BUY_DVSN_CD (01 sell, 02 buy)."""
    text = _text(code)
    if text == "01":
        return "sell"
    if text == "02":
        return "buy"
    raise KisValidationError(api, "order", f"order {number} is listed with side {text!r}")


def _not_done(api: str, number: str, remaining: int | None) -> None:
    if remaining is not None and remaining <= 0:
        raise KisValidationError(
            api, "order", f"order {number} has nothing left to change (filled or cancelled)"
        )


def _amend_qty(api: str, action: Action, price: Price, qty: int | None) -> int | None:
    """The checked quantity of a modify or cancel (``None``: all that remains)."""
    if action == "modify" and price is None and qty is None:
        raise KisValidationError(api, "price", "give a new price, a new quantity, or both")
    return None if qty is None else check_qty(api, qty)


# --- domestic stock -------------------------------------------------------------------------


class DomesticStock:
    """``order_cash`` (ORD_DVSN 00 limit / 01 market) and ``order_rvsecncl``; orders found by
    number in today's ``inquire_daily_ccld``."""

    product: Final = "domestic_stock"
    place_api: Final = "domestic_stock.order_cash"
    amend_api: Final = "domestic_stock.order_rvsecncl"
    list_api: Final = "domestic_stock.inquire_daily_ccld"

    def place(
        self, side: Side, symbol: str, qty: int, price: Price, *, exchange: str, tick_check: bool
    ) -> Flow:
        api = f"{self.product}.{side}"
        symbol = check_symbol(api, symbol)
        qty = check_qty(api, qty)
        won = None if price is None else check_won(api, price, tick_check)
        response = yield ("call", self.place_api, {
            "side": side, "pdno": symbol, "ord_dvsn": "01" if won is None else "00",
            "ord_qty": qty, "ord_unpr": won or 0, "excg_id_dvsn_cd": exchange,
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno, branch=out.krx_fwdg_ord_orgno, side=side,
            symbol=symbol, qty=qty, price=won, order_type="market" if won is None else "limit",
            exchange=exchange, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def amend(
        self, action: Action, order: OrderInfo | str, price: Price, qty: int | None,
        *, tick_check: bool = True,
    ) -> Flow:  # fmt: skip
        api = f"{self.product}.{action}"
        qty = _amend_qty(api, action, price, qty)
        won = None if price is None else check_won(api, price, tick_check)
        if isinstance(order, str):
            order = yield from self.find(order, api)
        _own(api, self.product, order)
        if action == "modify":
            won = won if won is not None else _whole(order.price)
            if won is None:
                raise KisValidationError(api, "price", "a market order needs a price to modify")
            ord_dvsn = "00"
        else:
            ord_dvsn = "01" if order.order_type == "market" else "00"
        if not order.branch:
            raise KisValidationError(api, "order", "the order has no branch (KRX_FWDG_ORD_ORGNO)")
        response = yield ("call", self.amend_api, {
            "krx_fwdg_ord_orgno": order.branch, "orgn_odno": order.number, "ord_dvsn": ord_dvsn,
            "rvse_cncl_dvsn_cd": MODIFY if action == "modify" else CANCEL,
            "ord_qty": qty or 0, "ord_unpr": won if action == "modify" else 0,
            "qty_all_ord_yn": qty is None, "excg_id_dvsn_cd": order.exchange or "KRX",
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno, branch=out.krx_fwdg_ord_orgno or order.branch,
            side=order.side, symbol=order.symbol, qty=qty or order.qty,
            price=won if action == "modify" else order.price,
            order_type="limit" if action == "modify" else order.order_type,
            exchange=order.exchange, original=order.number, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def find(self, number: str, api: str | None = None) -> Flow:
        """Today's order ``number`` (its branch, side, symbol, remaining quantity, price)."""
        api = api or f"{self.product}.find_order"
        number = check_number(api, number)
        today = datetime.now(KST).date()
        rows = yield ("rows", self.list_api, {"inqr_strt_dt": today, "inqr_end_dt": today,
                                              "odno": number})  # fmt: skip
        for row in _matching(rows, number):
            _not_done(api, number, row.rmn_qty)
            return OrderInfo(
                product=self.product, number=row.odno, branch=row.ord_gno_brno,
                side=_side(api, number, row.sll_buy_dvsn_cd),
                symbol=row.pdno, qty=row.rmn_qty or row.ord_qty or 0,
                price=row.ord_unpr or None,
                order_type="market" if _text(row.ord_dvsn_cd) == "01" else "limit",
                exchange=_text(row.excg_id_dvsn_cd) or "KRX", time=row.ord_tmd, response=row,
            )  # fmt: skip
        raise KisValidationError(api, "order", f"no order {number} among today's orders")


def _matching(rows: Iterable[Any], number: str) -> list[Any]:
    """The listed order ``number`` itself (not orders that modified it)."""
    return [row for row in rows if same_number(getattr(row, "odno", None), number)]


# --- overseas stock -------------------------------------------------------------------------

OVERSEAS_TYPES: Final = {"limit": "00", "moo": "31", "loo": "32", "moc": "33", "loc": "34"}
US_TYPES: Final = {"buy": ("limit", "loo", "loc"), "sell": ("limit", "moo", "loo", "moc", "loc")}
"""What KIS takes on US exchanges per side (its order docs); elsewhere limit orders only."""
PRICED: Final = frozenset({"limit", "loo", "loc"})


class OverseasStock:
    """``overseas_stock.order`` / ``order_rvsecncl``; orders found by number in
    ``inquire_ccnl`` of yesterday and today (KIS lists them by the market's date)."""

    product: Final = "overseas_stock"
    place_api: Final = "overseas_stock.order"
    amend_api: Final = "overseas_stock.order_rvsecncl"
    list_api: Final = "overseas_stock.inquire_ccnl"

    def exchange(self, api: str, given: str | None, symbol: str) -> str:
        code = order_exchange(given, symbol)
        if code is None:
            raise KisValidationError(
                api, "exchange", f"required (which market lists {symbol}): one of "
                f"{', '.join(ORDER_EXCHANGES)}; NAS/NYS/AMS... are read too",
            )  # fmt: skip
        if code not in ORDER_EXCHANGES:
            raise KisValidationError(
                api, "exchange", f"{given!r} is not one of {', '.join(ORDER_EXCHANGES)}"
            )
        return code

    def place(
        self, side: Side, symbol: str, qty: int, price: Price, *, exchange: str | None,
        order_type: str | None, mock: bool,
    ) -> Flow:  # fmt: skip
        api = f"{self.product}.{side}"
        symbol = check_symbol(api, symbol)
        qty = check_qty(api, qty)
        if price is not None:
            check_price(api, price)
        if exchange is None:
            exchange = yield ("listing", "", {"symbol": symbol})
        market = self.exchange(api, exchange, symbol)
        kind = order_type or ("limit" if price is not None else "market")
        allowed = US_TYPES[side] if market in US else ("limit",)
        if kind == "market":
            raise KisValidationError(
                api, "price", "KIS takes no plain market orders for overseas stock: give a "
                f"limit price{' or order_type=' + '/'.join(allowed[1:]) if allowed[1:] else ''}",
            )  # fmt: skip
        if kind not in OVERSEAS_TYPES or kind not in allowed:
            raise KisValidationError(
                api, "order_type", f"{kind!r}: {market} {side} orders take {', '.join(allowed)}"
            )
        if mock and kind != "limit":
            raise KisValidationError(api, "order_type", "KIS mock accounts take limit orders only")
        if kind in PRICED:
            if price is None:
                raise KisValidationError(api, "price", f"required for a {kind} order")
            number = check_price(api, price)
        elif price is not None:
            raise KisValidationError(api, "price", f"a {kind} order takes no price")
        else:
            number = Decimal(0)
        response = yield ("call", self.place_api, {
            "side": side, "ovrs_excg_cd": market, "pdno": symbol, "ord_qty": qty,
            "ovrs_ord_unpr": number, "ord_dvsn": OVERSEAS_TYPES[kind],
            "sll_type": "00" if side == "sell" else None,
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno, branch=out.krx_fwdg_ord_orgno, side=side,
            symbol=symbol, qty=qty, price=number if kind in PRICED else None, order_type=kind,
            exchange=market, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def amend(
        self, action: Action, order: OrderInfo | str, price: Price, qty: int | None,
        *, exchange: str | None = None,
    ) -> Flow:  # fmt: skip
        api = f"{self.product}.{action}"
        qty = _amend_qty(api, action, price, qty)
        number = None if price is None else check_price(api, price)
        if isinstance(order, str):
            order = yield from self.find(order, api, exchange)
        else:
            _own(api, self.product, order)
            if qty is None:  # KIS takes no "all that remains" flag abroad: look it up
                found = yield from self.find(order.number, api, order.exchange)
                order = attrs.evolve(order, qty=found.qty)
        if action == "modify":
            number = number if number is not None else _decimal(order.price)
            if number is None:
                raise KisValidationError(api, "price", "the order has no price to keep: give one")
        response = yield ("call", self.amend_api, {
            "ovrs_excg_cd": order.exchange, "pdno": order.symbol, "orgn_odno": order.number,
            "rvse_cncl_dvsn_cd": MODIFY if action == "modify" else CANCEL,
            "ord_qty": qty or order.qty,
            "ovrs_ord_unpr": number if action == "modify" else Decimal(0),
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno, branch=out.krx_fwdg_ord_orgno or order.branch,
            side=order.side, symbol=order.symbol, qty=qty or order.qty,
            price=number if action == "modify" else order.price,
            order_type="limit" if action == "modify" else order.order_type,
            exchange=order.exchange, original=order.number, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def find(self, number: str, api: str | None = None, exchange: str | None = None) -> Flow:
        """Order ``number`` of yesterday or today (KST), with what remains unfilled."""
        api = api or f"{self.product}.find_order"
        number = check_number(api, number)
        today = datetime.now(KST).date()
        market = "%" if exchange is None else self.exchange(api, exchange, "")
        rows = yield ("rows", self.list_api, {
            "ord_strt_dt": today - timedelta(days=1), "ord_end_dt": today, "pdno": "%",
            "ovrs_excg_cd": market,  # "%": every exchange (KIS's docs)
        })  # fmt: skip
        for row in _matching(rows, number):
            _not_done(api, number, row.nccs_qty)
            return OrderInfo(
                product=self.product, number=row.odno, branch=row.ord_gno_brno,
                side=_side(api, number, row.sll_buy_dvsn_cd),
                symbol=row.pdno, qty=row.nccs_qty or row.ft_ord_qty or 0,
                price=row.ft_ord_unpr3 or None, order_type="limit",
                exchange=order_exchange(row.ovrs_excg_cd, row.pdno), time=row.ord_tmd,
                response=row,
            )  # fmt: skip
        raise KisValidationError(api, "order", f"no order {number} among the recent orders")


def _whole(price: int | Decimal | None) -> int | None:
    return None if price is None else int(price)


def _decimal(price: int | Decimal | None) -> Decimal | None:
    return None if price is None else Decimal(price)


# --- domestic futures and options ------------------------------------------------------------


class Futures:
    """``domestic_futureoption.order`` / ``order_rvsecncl`` (NMPR_TYPE_CD and ORD_DVSN_CD 01
    limit / 02 market, KRX condition 0); day-session orders found by number in today's
    ``inquire_ccnl``."""

    product: Final = "domestic_futureoption"
    place_api: Final = "domestic_futureoption.order"
    amend_api: Final = "domestic_futureoption.order_rvsecncl"
    list_api: Final = "domestic_futureoption.inquire_ccnl"

    def place(self, side: Side, symbol: str, qty: int, price: Price, *, session: str) -> Flow:
        api = f"{self.product}.{side}"
        symbol = check_symbol(api, symbol)
        qty = check_qty(api, qty)
        number = None if price is None else check_price(api, price, signed=True)
        code = "02" if number is None else "01"
        response = yield ("call", self.place_api, {
            "session": session, "sll_buy_dvsn_cd": SIDE_CODES[side], "shtn_pdno": symbol,
            "ord_qty": qty, "unit_price": number or Decimal(0), "nmpr_type_cd": code,
            "krx_nmpr_cndt_cd": "0", "ord_dvsn_cd": code,
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno,
            branch=out.krx_fwdg_ord_orgno or out.ord_gno_brno, side=side, symbol=symbol,
            qty=qty, price=number, order_type="market" if number is None else "limit",
            session=session, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def amend(self, action: Action, order: OrderInfo | str, price: Price, qty: int | None) -> Flow:
        api = f"{self.product}.{action}"
        qty = _amend_qty(api, action, price, qty)
        number = None if price is None else check_price(api, price, signed=True)
        if isinstance(order, str):
            order = yield from self.find(order, api)
        _own(api, self.product, order)
        if action == "modify":
            number = number if number is not None else _decimal(order.price)
            if number is None:
                raise KisValidationError(api, "price", "a market order needs a price to modify")
        # KIS's own example cancels with price 0, quote type 02, order type 01
        quote, kind = ("01", "01") if action == "modify" else ("02", "01")
        response = yield ("call", self.amend_api, {
            "session": order.session or "day",
            "rvse_cncl_dvsn_cd": MODIFY if action == "modify" else CANCEL,
            "orgn_odno": order.number, "ord_qty": qty or 0,
            "unit_price": number if action == "modify" else Decimal(0),
            "nmpr_type_cd": quote, "krx_nmpr_cndt_cd": "0", "rmn_qty_yn": qty is None,
            "ord_dvsn_cd": kind,
        })  # fmt: skip
        out = _first(response.output)
        return OrderInfo(
            product=self.product, number=out.odno,
            branch=out.krx_fwdg_ord_orgno or out.ord_gno_brno or order.branch, side=order.side,
            symbol=order.symbol, qty=qty or order.qty,
            price=number if action == "modify" else order.price,
            order_type="limit" if action == "modify" else order.order_type,
            session=order.session, original=order.number, time=out.ord_tmd, response=response,
        )  # fmt: skip

    def find(self, number: str, api: str | None = None) -> Flow:
        """Today's day-session order ``number``, with its remaining quantity."""
        api = api or f"{self.product}.find_order"
        number = check_number(api, number)
        today: date = datetime.now(KST).date()
        rows = yield ("rows", self.list_api, {"strt_ord_dt": today, "end_ord_dt": today})
        for row in _matching(rows, number):
            _not_done(api, number, row.qty)
            return OrderInfo(
                product=self.product, number=row.odno, branch=row.ord_gno_brno,
                side=_side(api, number, row.sll_buy_dvsn_cd),
                symbol=row.pdno, qty=row.qty or row.ord_qty or 0, price=row.ord_idx,
                order_type="market" if _text(row.nmpr_type_cd) == "02" else "limit",
                session="day", time=row.ord_tmd, response=row,
            )  # fmt: skip
        raise KisValidationError(api, "order", f"no order {number} among today's day orders")
