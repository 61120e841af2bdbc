"""A symbol as the master files describe it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import attrs

T = TypeVar("T")

ETN_PRODUCT_CODES = frozenset({"3", "4"})
"""``etp_prod_cls_code`` of ETNs (3 ETN, 4 loss-limited ETN)."""


@attrs.frozen
class Symbol:
    """One record of a master file.

    ``market`` is the market of the file (``KOSPI``, ``KOSDAQ``, ``KONEX``, ``INDEX_FO``,
    ``STOCK_FO``, ``SECTOR``, or an overseas quote exchange such as ``NAS``); ``fields`` holds
    every field of the record typed per its layout (``spec/masters``), by KIS's wire name.
    """

    market: str
    code: str
    name: str
    isin: str | None
    """Standard code (ISIN) where the master has one."""
    kind: str
    """``stock``, ``derivative``, ``overseas``, ``bond`` or ``sector``."""
    fields: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    order_exchange: str | None = None
    """Overseas: the exchange code of the order and account APIs (``NASD`` for ``NAS``)."""

    def _get(self, name: str, kind: type[T]) -> T | None:
        value = self.fields.get(name)
        return value if isinstance(value, kind) else None

    @property
    def group(self) -> str | None:
        """Securities group (``scrt_grp_cls_code``): ST stock, EF ETF, EN ETN, RT REIT..."""
        return self._get("scrt_grp_cls_code", str)

    @property
    def is_etf(self) -> bool:
        return self.group == "EF" or self.fields.get("etyp") == "001"

    @property
    def is_etn(self) -> bool:
        return (
            self.group == "EN"
            or self.fields.get("etp_prod_cls_code") in ETN_PRODUCT_CODES
            or self.fields.get("etyp") == "002"
        )

    @property
    def listing_date(self) -> date | None:
        return self._get("stck_lstn_date", date) or self._get("lstn_date", date)

    @property
    def par_value(self) -> int | None:
        """Face value in won (``stck_fcam``)."""
        return self._get("stck_fcam", int)

    @property
    def base_price(self) -> int | Decimal | None:
        """The day's base price (``stck_sdpr``; overseas ``base``)."""
        value = self.fields.get("stck_sdpr", self.fields.get("base"))
        return value if isinstance(value, int | Decimal) else None

    @property
    def listed_shares(self) -> int | None:
        """Listed shares in thousands (``lstn_stcn``)."""
        return self._get("lstn_stcn", int)

    @property
    def trading_halted(self) -> bool | None:
        return self._get("trht_yn", bool)

    @property
    def quote_exchange(self) -> str | None:
        """Overseas: the exchange code of the quotation APIs (``NAS``)."""
        return self.market if self.kind == "overseas" else None

    @property
    def english_name(self) -> str | None:
        return self._get("enam", str)

    @property
    def currency(self) -> str | None:
        return self._get("curr", str)

    @property
    def underlying(self) -> str | None:
        """Derivatives: the short code of the underlying (``unas_shrn_iscd``)."""
        return self._get("unas_shrn_iscd", str)


@attrs.frozen
class OverseasSymbol(Symbol):
    """A listing of KIS's overseas master (``symbols.overseas``): its quote exchange is known;
    ``order_exchange`` is None only for the index files (SHI, SZI), which take no orders."""

    @property
    def quote_exchange(self) -> str:
        """The exchange code of the quotation APIs (``NAS``)."""
        return self.market
