"""What proves an order was placed, and what an order error may say about the request.

One rule: an order counts as accepted only when KIS answered success (HTTP < 400, ``rt_cd``
"0") with an order number in its output block, and as rejected only when KIS sent a refusal
code. Everything else is :class:`~kisapi_runtime.errors.KisOrderStateUnknownError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .api import ApiSpec, Block
from .codecs import NULLS
from .errors import KisValidationError
from .secret import mask_account

BODY_TEXT_LIMIT: Final = 4096
"""Characters of an unparsable body kept on the error."""


def _number_fields(block: Block) -> list[str]:
    """Wire names of the block's order-number fields, most specific first.

    ``ODNO`` (order number), then other ``*ODNO`` (reserved-order numbers), then ``*_SEQ``
    (reservation sequence); a block with none of those (a reserved-order modify or cancel
    answers only a "processed normally" flag) proves KIS processed it through any of its
    fields being present.
    """
    fields = [wire for wire, _py, _kind, _enum in block.fields]
    for chosen in (
        [w for w in fields if w == "ODNO"],
        [w for w in fields if w.endswith("ODNO") and not w.startswith("ORGN")],
        [w for w in fields if w.endswith("_SEQ")],
    ):
        if chosen:
            return chosen
    return fields


def order_number(api: ApiSpec[Any], body: Mapping[str, Any]) -> str | None:
    """The order number in a success body, or ``None`` when the body proves nothing."""
    if not api.response:
        return None
    block = api.response[0]
    raw = body.get(block.key)
    if isinstance(raw, list) and raw:
        raw = raw[0]
    if not isinstance(raw, Mapping):
        return None
    for wire in _number_fields(block):
        value = raw.get(wire)
        if not isinstance(value, str | int) or isinstance(value, bool):
            continue
        text = str(value).strip()
        if text not in NULLS:
            return text
    return None


def masked_request(api: ApiSpec[Any], params: Mapping[str, str]) -> dict[str, str]:
    """The wire parameters with the account number masked and other configured secrets hidden."""
    fills = {field.wire: field.fill for field in api.request if field.fill}
    shown: dict[str, str] = {}
    for wire, value in params.items():
        fill = fills.get(wire)
        if fill == "account_number":
            shown[wire] = mask_account(value)
        elif fill is not None and fill != "account_product":
            shown[wire] = "***"
        else:
            shown[wire] = value
    return shown


def body_text(content: bytes) -> str:
    """An unparsable body as text for the error (invalid UTF-8 replaced, long bodies cut)."""
    text = content.decode("utf-8", errors="replace")
    return text if len(text) <= BODY_TEXT_LIMIT else text[:BODY_TEXT_LIMIT] + "..."


# Fields naming an earlier order: an API carrying one modifies or cancels, where KIS takes a
# quantity of 0 to mean "all that remains" (with the all-quantity flag) or ignores it.
_REFERS_TO_ORDER: Final = ("ORGN_ODNO", "RSVN_ORD_SEQ", "OVRS_RSVN_ODNO")


def check_order_amounts(api: ApiSpec[Any], params: Mapping[str, str]) -> None:
    """KIS requires order quantities and prices that are not negative, and a new order's
    quantity to be positive; anything else is refused here, before it is sent. Futures and
    options prices may be negative (spreads), their quantities may not."""
    amends = any(f.wire in _REFERS_TO_ORDER and f.required for f in api.request)
    futures = api.id.split(".")[0].endswith("futureoption")
    for field in api.request:
        text = params.get(field.wire, "")
        if field.kind not in ("int", "decimal") or not text or field.fixed is not None:
            continue
        quantity = "QTY" in field.wire
        if text.startswith("-") and (quantity or not futures):
            raise KisValidationError(api.id, field.py, f"must not be negative, got {text}")
        if quantity and not amends and text.strip("0.") == "":
            raise KisValidationError(
                api.id, field.py, f"an order quantity must be positive, got {text}"
            )
