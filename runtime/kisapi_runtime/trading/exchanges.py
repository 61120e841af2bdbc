"""Overseas exchange codes for orders (``NASD``...) from what users write, and the hook a
symbols module fills to find a symbol's exchange."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

ORDER_EXCHANGES: Final = ("NASD", "NYSE", "AMEX", "SEHK", "SHAA", "SZAA", "TKSE", "HASE", "VNSE")
US: Final = frozenset({"NASD", "NYSE", "AMEX"})
ALIASES: Final = {
    "NAS": "NASD", "NASDAQ": "NASD", "NYS": "NYSE", "AMS": "AMEX", "HKS": "SEHK",
    "SHS": "SHAA", "SZS": "SZAA", "TSE": "TKSE", "HNX": "HASE", "HSX": "VNSE",
}  # fmt: skip
"""Quote-API codes (``NAS``, KIS's ``EXCD``) and common names -> order codes."""

Resolver = Callable[[str], str | None]
_resolvers: list[Resolver] = []


def register_exchange_resolver(resolver: Resolver) -> Resolver:
    """Let ``resolver(symbol)`` name a symbol's exchange (any code :func:`order_exchange`
    reads) when an order gives none; the symbols module registers its master-file lookup."""
    _resolvers.append(resolver)
    return resolver


def order_exchange(given: str | None, symbol: str) -> str | None:
    """The order exchange code for ``given`` (or, if ``None``, for ``symbol`` through the
    registered resolvers); ``None`` when nothing names one. Unknown codes are returned as
    given, upper-cased, for the caller to refuse."""
    if given is None:
        for resolver in _resolvers:
            given = resolver(symbol)
            if given:
                break
        else:
            return None
    code = given.strip().upper()
    return ALIASES.get(code, code)
