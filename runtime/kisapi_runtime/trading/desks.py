"""``buy``/``sell``/``modify``/``cancel``/``find_order`` on the product namespaces
(``kis.domestic_stock.buy("005930", qty=1, price=70000)``): the generated namespaces of
domestic stock, overseas stock and domestic futures/options derive from these classes.

Each method drives a flow of :mod:`.recipes` through the namespace's own generated endpoints.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import httpx

from ..client import AsyncClient, SyncClient
from ..endpoint import Namespace
from ..errors import KisError
from .order import AsyncOrder, Order, OrderInfo
from .recipes import DomesticStock, Flow, Futures, OverseasStock

if TYPE_CHECKING:
    from ..symbols import Symbols

OVERSEAS_MASTER = "overseas"  # the master file that lists overseas symbols

HELPERS = ("buy", "sell", "modify", "cancel", "find_order")
"""Method names the order desks add to a namespace (no generated endpoint may use them)."""

Price = int | Decimal | str | None
_FIELDS = tuple(a.name for a in attrs.fields(OrderInfo))


def _fields(info: OrderInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in _FIELDS}


def _listed_on(symbols: Symbols, symbol: str) -> str | None:
    try:
        return symbols.overseas(symbol).order_exchange
    except (LookupError, KisError, httpx.HTTPError, OSError):  # not listed, or no master file
        return None  # the recipe asks for exchange=


class _SyncDesk(Namespace[SyncClient]):
    def _drive(self, flow: Flow) -> Order:
        value: Any = None
        while True:
            try:
                what, api, kwargs = flow.send(value)
            except StopIteration as stop:
                return Order(**_fields(stop.value), desk=self)
            if what == "listing":
                value = _listed_on(self._client.symbols, kwargs["symbol"])
                continue
            endpoint = getattr(self, api.split(".", 1)[1])
            value = (
                endpoint(**kwargs) if what == "call" else endpoint.pages(**kwargs).collect().rows
            )


class _AsyncDesk(Namespace[AsyncClient]):
    async def _drive(self, flow: Flow) -> AsyncOrder:
        value: Any = None
        while True:
            try:
                what, api, kwargs = flow.send(value)
            except StopIteration as stop:
                return AsyncOrder(**_fields(stop.value), desk=self)
            if what == "listing":
                try:
                    await self._client.symbols.aload(OVERSEAS_MASTER)
                except (KisError, httpx.HTTPError, OSError):
                    value = None  # no master file: the recipe asks for exchange=
                else:
                    value = _listed_on(self._client.symbols, kwargs["symbol"])
                continue
            endpoint = getattr(self, api.split(".", 1)[1])
            if what == "call":
                value = await endpoint(**kwargs)
            else:
                value = (await endpoint.pages(**kwargs).collect()).rows


# --- domestic stock ---------------------------------------------------------------------------


class DomesticStockOrders(_SyncDesk):
    """Domestic stock orders in one line; ``price=None`` is a market order."""

    _recipe: ClassVar = DomesticStock()

    def buy(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str = "KRX",
        tick_check: bool = True,
    ) -> Order:  # fmt: skip
        """Buy ``qty`` shares of ``symbol`` at ``price`` won (limit, ORD_DVSN 00), or at market
        (01) without one. ``exchange``: KRX, NXT or SOR. The price must sit on the KRX price
        unit (``tick_check=False`` for ETF/ETN, whose unit is 5 won)."""
        return self._drive(self._recipe.place("buy", symbol, qty, price, exchange=exchange,
                                              tick_check=tick_check))  # fmt: skip

    def sell(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str = "KRX",
        tick_check: bool = True,
    ) -> Order:  # fmt: skip
        """Sell; as :meth:`buy`."""
        return self._drive(self._recipe.place("sell", symbol, qty, price, exchange=exchange,
                                              tick_check=tick_check))  # fmt: skip

    def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None,
        tick_check: bool = True,
    ) -> Order:  # fmt: skip
        """Change an open order (an :class:`Order` or today's order number) to a limit at
        ``price`` (kept when not given) for ``qty`` (all that remains when not given)."""
        return self._drive(self._recipe.amend("modify", order, price, qty, tick_check=tick_check))

    def cancel(self, order: OrderInfo | str, *, qty: int | None = None) -> Order:
        """Cancel what remains of an order (an :class:`Order` or today's order number)."""
        return self._drive(self._recipe.amend("cancel", order, None, qty))

    def find_order(self, number: str) -> Order:
        """Today's order ``number`` with its branch and remaining quantity."""
        return self._drive(self._recipe.find(number))


class AsyncDomesticStockOrders(_AsyncDesk):
    """Domestic stock orders in one line (async); ``price=None`` is a market order."""

    _recipe: ClassVar = DomesticStock()

    async def buy(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str = "KRX",
        tick_check: bool = True,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.domestic_stock.buy``."""
        return await self._drive(self._recipe.place("buy", symbol, qty, price, exchange=exchange,
                                                    tick_check=tick_check))  # fmt: skip

    async def sell(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str = "KRX",
        tick_check: bool = True,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.domestic_stock.sell``."""
        return await self._drive(self._recipe.place("sell", symbol, qty, price, exchange=exchange,
                                                    tick_check=tick_check))  # fmt: skip

    async def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None,
        tick_check: bool = True,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.domestic_stock.modify``."""
        return await self._drive(
            self._recipe.amend("modify", order, price, qty, tick_check=tick_check)
        )

    async def cancel(self, order: OrderInfo | str, *, qty: int | None = None) -> AsyncOrder:
        """As ``Kis.domestic_stock.cancel``."""
        return await self._drive(self._recipe.amend("cancel", order, None, qty))

    async def find_order(self, number: str) -> AsyncOrder:
        """As ``Kis.domestic_stock.find_order``."""
        return await self._drive(self._recipe.find(number))


# --- overseas stock ---------------------------------------------------------------------------


class OverseasStockOrders(_SyncDesk):
    """Overseas stock orders in one line. ``exchange``: NASD, NYSE, AMEX, SEHK, SHAA, SZAA,
    TKSE, HASE, VNSE (or NAS, NYS, AMS...). KIS takes no plain market orders abroad:
    ``order_type`` moo/moc (US sells, no price) or loo/loc (US, with a price)."""

    _recipe: ClassVar = OverseasStock()

    def buy(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str | None = None,
        order_type: str | None = None,
    ) -> Order:  # fmt: skip
        """Buy ``qty`` shares of ``symbol`` on ``exchange`` at ``price`` (limit)."""
        return self._drive(self._recipe.place("buy", symbol, qty, price, exchange=exchange,
                                              order_type=order_type, mock=self._client.is_mock))  # fmt: skip

    def sell(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str | None = None,
        order_type: str | None = None,
    ) -> Order:  # fmt: skip
        """Sell; as :meth:`buy` (``order_type="moo"``/``"moc"`` without a price)."""
        return self._drive(self._recipe.place("sell", symbol, qty, price, exchange=exchange,
                                              order_type=order_type, mock=self._client.is_mock))  # fmt: skip

    def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None,
        exchange: str | None = None,
    ) -> Order:  # fmt: skip
        """Change an open order's price (kept when not given) and quantity (all that remains)."""
        return self._drive(self._recipe.amend("modify", order, price, qty, exchange=exchange))

    def cancel(
        self, order: OrderInfo | str, *, qty: int | None = None, exchange: str | None = None
    ) -> Order:
        """Cancel what remains of an order (an :class:`Order` or a recent order number)."""
        return self._drive(self._recipe.amend("cancel", order, None, qty, exchange=exchange))

    def find_order(self, number: str, *, exchange: str | None = None) -> Order:
        """Order ``number`` of yesterday or today with what remains unfilled."""
        return self._drive(self._recipe.find(number, None, exchange))


class AsyncOverseasStockOrders(_AsyncDesk):
    """Overseas stock orders in one line (async); as ``Kis.overseas_stock``."""

    _recipe: ClassVar = OverseasStock()

    async def buy(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str | None = None,
        order_type: str | None = None,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.overseas_stock.buy``."""
        return await self._drive(self._recipe.place("buy", symbol, qty, price, exchange=exchange,
                                                    order_type=order_type, mock=self._client.is_mock))  # fmt: skip

    async def sell(
        self, symbol: str, qty: int, price: Price = None, *, exchange: str | None = None,
        order_type: str | None = None,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.overseas_stock.sell``."""
        return await self._drive(self._recipe.place("sell", symbol, qty, price, exchange=exchange,
                                                    order_type=order_type, mock=self._client.is_mock))  # fmt: skip

    async def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None,
        exchange: str | None = None,
    ) -> AsyncOrder:  # fmt: skip
        """As ``Kis.overseas_stock.modify``."""
        return await self._drive(self._recipe.amend("modify", order, price, qty, exchange=exchange))

    async def cancel(
        self, order: OrderInfo | str, *, qty: int | None = None, exchange: str | None = None
    ) -> AsyncOrder:
        """As ``Kis.overseas_stock.cancel``."""
        return await self._drive(self._recipe.amend("cancel", order, None, qty, exchange=exchange))

    async def find_order(self, number: str, *, exchange: str | None = None) -> AsyncOrder:
        """As ``Kis.overseas_stock.find_order``."""
        return await self._drive(self._recipe.find(number, None, exchange))


# --- domestic futures and options ---------------------------------------------------------------


class FuturesOrders(_SyncDesk):
    """Futures and options orders in one line; ``price=None`` is a market order;
    ``session="night"`` for the night market (orders found by number: day session only)."""

    _recipe: ClassVar = Futures()

    def buy(self, symbol: str, qty: int, price: Price = None, *, session: str = "day") -> Order:
        """Buy ``qty`` contracts of ``symbol`` (short code, e.g. 101W09) at ``price``."""
        return self._drive(self._recipe.place("buy", symbol, qty, price, session=session))

    def sell(self, symbol: str, qty: int, price: Price = None, *, session: str = "day") -> Order:
        """Sell; as :meth:`buy`."""
        return self._drive(self._recipe.place("sell", symbol, qty, price, session=session))

    def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None
    ) -> Order:
        """Change an open order's price (kept when not given) and quantity (all that remains)."""
        return self._drive(self._recipe.amend("modify", order, price, qty))

    def cancel(self, order: OrderInfo | str, *, qty: int | None = None) -> Order:
        """Cancel what remains of an order (an :class:`Order` or today's order number)."""
        return self._drive(self._recipe.amend("cancel", order, None, qty))

    def find_order(self, number: str) -> Order:
        """Today's day-session order ``number`` with its remaining quantity."""
        return self._drive(self._recipe.find(number))


class AsyncFuturesOrders(_AsyncDesk):
    """Futures and options orders in one line (async); as ``Kis.domestic_futureoption``."""

    _recipe: ClassVar = Futures()

    async def buy(
        self, symbol: str, qty: int, price: Price = None, *, session: str = "day"
    ) -> AsyncOrder:
        """As ``Kis.domestic_futureoption.buy``."""
        return await self._drive(self._recipe.place("buy", symbol, qty, price, session=session))

    async def sell(
        self, symbol: str, qty: int, price: Price = None, *, session: str = "day"
    ) -> AsyncOrder:
        """As ``Kis.domestic_futureoption.sell``."""
        return await self._drive(self._recipe.place("sell", symbol, qty, price, session=session))

    async def modify(
        self, order: OrderInfo | str, *, price: Price = None, qty: int | None = None
    ) -> AsyncOrder:
        """As ``Kis.domestic_futureoption.modify``."""
        return await self._drive(self._recipe.amend("modify", order, price, qty))

    async def cancel(self, order: OrderInfo | str, *, qty: int | None = None) -> AsyncOrder:
        """As ``Kis.domestic_futureoption.cancel``."""
        return await self._drive(self._recipe.amend("cancel", order, None, qty))

    async def find_order(self, number: str) -> AsyncOrder:
        """As ``Kis.domestic_futureoption.find_order``."""
        return await self._drive(self._recipe.find(number))
