"""Find out what became of an order whose state is unknown: look for it in the day's orders.

``kis.reconcile(error)`` queries the orders KIS lists for the day (domestic
``inquire_daily_ccld``, overseas ``inquire_ccnl``, futures/options ``inquire_ccnl``) and matches
side, symbol, quantity, price and the time it was sent. The answer is ``placed`` (one match:
its order number), ``not_placed`` (none) or ``unknown`` (several candidates, or an order
this module cannot look up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

import attrs

from .api import ApiSpec
from .codecs import KST
from .errors import KisOrderStateUnknownError

Status = Literal["placed", "not_placed", "unknown"]

BEFORE: Final = timedelta(seconds=5)
"""Clock skew allowed between this machine and KIS: an order listed earlier is not ours."""
AFTER: Final = timedelta(minutes=10)
"""How long after sending an order may show up with its order time."""


@attrs.frozen
class Reconciliation:
    """What became of an order: ``status``, its ``order_number`` when placed, the matching
    rows when several could be it, and a sentence saying why."""

    status: Status
    order_number: str | None = None
    candidates: tuple[Any, ...] = attrs.field(default=(), repr=False)
    reason: str = ""

    @property
    def placed(self) -> bool:
        return self.status == "placed"


@attrs.frozen
class Lookup:
    """How one order API is found again: the query, its rows, and which fields must agree."""

    query: str
    rows: str
    side: tuple[str, str]
    """(where the order's side is: ``selector:<name>`` or a request wire name, row field)."""
    match: tuple[tuple[str, str], ...]
    """(order request wire name, row field) pairs that must be equal (numbers as numbers)."""
    args: Callable[[date, Mapping[str, str], str], dict[str, Any]]
    """(day, order request, side code) -> keyword arguments of the query."""
    side_codes: Mapping[str, str] = {"buy": "02", "sell": "01"}


def _domestic(day: date, p: Mapping[str, str], side: str) -> dict[str, Any]:
    return {"inqr_strt_dt": day, "inqr_end_dt": day, "pdno": p.get("PDNO", ""),
            "sll_buy_dvsn_cd": side, "excg_id_dvsn_cd": "ALL"}  # fmt: skip


def _overseas(day: date, p: Mapping[str, str], side: str) -> dict[str, Any]:
    # KIS lists overseas orders by the market's date: yesterday and today (KST) cover both.
    return {"ord_strt_dt": day - timedelta(days=1), "ord_end_dt": day, "pdno": p.get("PDNO", ""),
            "sll_buy_dvsn": side, "ovrs_excg_cd": p.get("OVRS_EXCG_CD", "")}  # fmt: skip


def _futures(day: date, p: Mapping[str, str], side: str) -> dict[str, Any]:
    return {"strt_ord_dt": day, "end_ord_dt": day, "sll_buy_dvsn_cd": side,
            "pdno": p.get("SHTN_PDNO", "")}  # fmt: skip


LOOKUPS: Final[Mapping[str, Lookup]] = {
    "domestic_stock.order_cash": Lookup(
        "domestic_stock.inquire_daily_ccld", "output1", ("selector:side", "sll_buy_dvsn_cd"),
        (("PDNO", "pdno"), ("ORD_QTY", "ord_qty"), ("ORD_UNPR", "ord_unpr")), _domestic,
    ),
    "domestic_stock.order_credit": Lookup(
        "domestic_stock.inquire_daily_ccld", "output1", ("selector:side", "sll_buy_dvsn_cd"),
        (("PDNO", "pdno"), ("ORD_QTY", "ord_qty"), ("ORD_UNPR", "ord_unpr")), _domestic,
    ),
    "overseas_stock.order": Lookup(
        "overseas_stock.inquire_ccnl", "output", ("selector:side", "sll_buy_dvsn_cd"),
        (("PDNO", "pdno"), ("ORD_QTY", "ft_ord_qty"), ("OVRS_ORD_UNPR", "ft_ord_unpr3")),
        _overseas,
    ),
    "overseas_stock.daytime_order": Lookup(
        "overseas_stock.inquire_ccnl", "output", ("selector:side", "sll_buy_dvsn_cd"),
        (("PDNO", "pdno"), ("ORD_QTY", "ft_ord_qty"), ("OVRS_ORD_UNPR", "ft_ord_unpr3")),
        _overseas,
    ),
    "domestic_futureoption.order": Lookup(
        "domestic_futureoption.inquire_ccnl", "output1", ("SLL_BUY_DVSN_CD", "sll_buy_dvsn_cd"),
        (("SHTN_PDNO", "pdno"), ("ORD_QTY", "ord_qty"), ("UNIT_PRICE", "ord_idx")), _futures,
        side_codes={"01": "01", "02": "02"},
    ),
}  # fmt: skip


def choices(api: ApiSpec[Any], tr_id: str | None) -> dict[str, str]:
    """The selector values (side, session...) that gave ``tr_id``, read back from the rules."""
    for rule in api.tr_ids:
        if tr_id in (rule.real, rule.mock):
            return {name: allowed[0] for name, allowed in rule.when if len(allowed) == 1}
    return {}


def plan(error: KisOrderStateUnknownError) -> tuple[Lookup, dict[str, Any], str] | Reconciliation:
    """(lookup, query arguments, side code), or the answer when nothing can be looked up."""
    lookup = LOOKUPS.get(error.api)
    if lookup is None:
        return Reconciliation("unknown", reason=f"{error.api}: no lookup for this order API")
    if error.api == "domestic_futureoption.order" and error.choices.get("session") == "night":
        return Reconciliation("unknown", reason="night-session futures orders are not looked up")
    where, _ = lookup.side
    side = (
        error.choices.get(where.removeprefix("selector:"))
        if where.startswith("selector:")
        else error.request.get(where)
    )
    code = lookup.side_codes.get(side or "")
    if code is None:
        return Reconciliation("unknown", reason=f"{error.api}: the order's side is not known")
    sent = error.sent_at or datetime.now(KST)
    return lookup, lookup.args(sent.astimezone(KST).date(), error.request, code), code


def judge(
    lookup: Lookup, error: KisOrderStateUnknownError, code: str, rows: Sequence[Any]
) -> Reconciliation:
    """Match the listed orders against the one that was sent."""
    found = [row for row in rows if _matches(lookup, error, code, row)]
    if len(found) == 1:
        number = str(getattr(found[0], "odno", "") or "").strip()
        return Reconciliation("placed", number or None, tuple(found), "one order matches")
    if not found:
        return Reconciliation("not_placed", reason=f"none of {len(rows)} listed orders matches")
    return Reconciliation("unknown", candidates=tuple(found),
                          reason=f"{len(found)} orders match; check them by hand")  # fmt: skip


def _matches(lookup: Lookup, error: KisOrderStateUnknownError, code: str, row: Any) -> bool:
    if str(getattr(row, "orgn_odno", "") or "").strip().strip("0"):
        return False  # a modify or cancel of an earlier order
    if _text(getattr(row, lookup.side[1], None)) != code:
        return False
    for wire, field in lookup.match:
        if not _same(error.request.get(wire), getattr(row, field, None)):
            return False
    return _in_window(error.sent_at, getattr(row, "ord_dt", None), getattr(row, "ord_tmd", None))


def _text(value: object) -> str:
    text = str(getattr(value, "value", value) if value is not None else "").strip()
    return text


def _same(sent: str | None, listed: object) -> bool:
    left, right = (sent or "").strip(), _text(listed)
    try:
        return Decimal(left or "0") == Decimal(right or "0")
    except InvalidOperation:
        return left == right


def _in_window(sent_at: datetime | None, day: object, at: object) -> bool:
    if sent_at is None or not isinstance(at, time):
        return True
    when_day = day if isinstance(day, date) else sent_at.astimezone(KST).date()
    listed = datetime.combine(when_day, at, KST)
    return sent_at - BEFORE <= listed <= sent_at + AFTER
