"""Overseas exchange codes for orders (``NASD``...) from what users write."""

from __future__ import annotations

from typing import Final

ORDER_EXCHANGES: Final = ("NASD", "NYSE", "AMEX", "SEHK", "SHAA", "SZAA", "TKSE", "HASE", "VNSE")
US: Final = frozenset({"NASD", "NYSE", "AMEX"})
ALIASES: Final = {
    "NAS": "NASD", "NASDAQ": "NASD", "NYS": "NYSE", "AMS": "AMEX", "HKS": "SEHK",
    "SHS": "SHAA", "SZS": "SZAA", "TSE": "TKSE", "HNX": "HASE", "HSX": "VNSE",
}  # fmt: skip
"""Quote-API codes (``NAS``, KIS's ``EXCD``) and common names -> order codes."""


def order_exchange(given: str | None, symbol: str) -> str | None:
    """The order exchange code for ``given`` (``NAS`` -> ``NASD``); ``None`` when none is given
    (the desks look the symbol up first). Unknown codes are returned as given, upper-cased, for
    the caller to refuse."""
    if given is None:
        return None
    code = given.strip().upper()
    return ALIASES.get(code, code)
