"""The order a helper placed or found: what KIS numbered, and how to change or cancel it."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, Literal

import attrs

Side = Literal["buy", "sell"]
Product = Literal["domestic_stock", "overseas_stock", "domestic_futureoption"]


@attrs.frozen(kw_only=True)
class OrderInfo:
    """One order at KIS: ``number`` (ODNO) and ``branch`` (the KRX forwarding branch
    KRX_FWDG_ORD_ORGNO / ORD_GNO_BRNO a modify or cancel must name), side, symbol, quantity,
    limit price (``None`` for a market-type order), order type, exchange, session."""

    product: Product
    number: str
    branch: str | None
    side: Side
    symbol: str
    qty: int
    """The quantity this order covers (for a modify or cancel: the quantity it changed)."""
    price: int | Decimal | None
    order_type: str
    """``limit``, ``market`` (overseas also ``moo``, ``moc``, ``loo``, ``loc``)."""
    exchange: str | None = None
    """KRX/NXT/SOR (domestic stock) or NASD/NYSE/AMEX/SEHK/... (overseas stock)."""
    session: str | None = None
    """``day`` or ``night`` (futures and options)."""
    original: str | None = None
    """The number of the order this one modified or cancelled."""
    time: time | None = None
    response: Any = attrs.field(default=None, repr=False, eq=False)
    """The typed reply (or the order-list row) it was read from."""


@attrs.frozen(kw_only=True)
class Order(OrderInfo):
    """An order of a ``Kis`` client: ``order.modify(price=...)``, ``order.cancel()``."""

    desk: Any = attrs.field(default=None, repr=False, eq=False)

    def modify(self, *, price: int | Decimal | str | None = None, qty: int | None = None) -> Order:
        """Change price and/or quantity (``qty=None``: all that remains); the new order."""
        result: Order = self.desk.modify(self, price=price, qty=qty)
        return result

    def cancel(self, *, qty: int | None = None) -> Order:
        """Cancel what remains (or ``qty`` of it); the cancel order KIS numbered."""
        result: Order = self.desk.cancel(self, qty=qty)
        return result


@attrs.frozen(kw_only=True)
class AsyncOrder(OrderInfo):
    """An order of an ``AsyncKis`` client: ``await order.modify(price=...)``."""

    desk: Any = attrs.field(default=None, repr=False, eq=False)

    async def modify(
        self, *, price: int | Decimal | str | None = None, qty: int | None = None
    ) -> AsyncOrder:
        """Change price and/or quantity (``qty=None``: all that remains); the new order."""
        result: AsyncOrder = await self.desk.modify(self, price=price, qty=qty)
        return result

    async def cancel(self, *, qty: int | None = None) -> AsyncOrder:
        """Cancel what remains (or ``qty`` of it); the cancel order KIS numbered."""
        result: AsyncOrder = await self.desk.cancel(self, qty=qty)
        return result
