"""Orders in one line: ``buy``/``sell``/``modify``/``cancel``/``find_order`` on the domestic
stock, overseas stock and domestic futures/options namespaces, returning :class:`Order`."""

from __future__ import annotations

from .desks import (
    HELPERS,
    AsyncDomesticStockOrders,
    AsyncFuturesOrders,
    AsyncOverseasStockOrders,
    DomesticStockOrders,
    FuturesOrders,
    OverseasStockOrders,
)
from .order import AsyncOrder, Order, OrderInfo

__all__ = [
    "HELPERS",
    "AsyncDomesticStockOrders",
    "AsyncFuturesOrders",
    "AsyncOrder",
    "AsyncOverseasStockOrders",
    "DomesticStockOrders",
    "FuturesOrders",
    "Order",
    "OrderInfo",
    "OverseasStockOrders",
]
