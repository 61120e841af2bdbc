"""Price units (호가단위) of KRX stocks, checked before an order is sent."""

from __future__ import annotations

from typing import Final

STOCK_TICKS: Final = ((2_000, 1), (5_000, 5), (20_000, 10), (50_000, 50), (200_000, 100),
                      (500_000, 500))  # fmt: skip
"""(price below, tick) of KRX stocks since 2023-01-25; 1,000 won from 500,000 won up."""


def stock_tick(price: int) -> int:
    """The price unit of a KRX stock at ``price`` won."""
    for below, tick in STOCK_TICKS:
        if price < below:
            return tick
    return 1_000


def off_tick(price: int) -> str | None:
    """Why ``price`` is not a valid KRX stock price, or ``None`` when it is."""
    tick = stock_tick(price)
    if price % tick == 0:
        return None
    lower = price - price % tick
    return (
        f"{price} is not on the price unit ({tick} won at this price): "
        f"{lower} or {lower + tick} (ETF/ETN: pass tick_check=False)"
    )
