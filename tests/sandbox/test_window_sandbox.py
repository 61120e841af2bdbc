"""``.range()`` against the sandbox: a year of daily bars must arrive in one call.

The sandbox's charts honour the requested dates (at most 100 bars ending at
FID_INPUT_DATE_2, newest first, trading days only, nothing before FID_INPUT_DATE_1), so
``.range()`` ends on its own and covers the window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from kisapi import Kis


def test_range_against_the_sandbox_ends(sandbox_kis: Callable[..., Kis]) -> None:
    kis = sandbox_kis(rate_limit=0)
    pager = kis.domestic_stock.inquire_daily_itemchartprice.range(
        date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930", max_pages=20
    )
    result = pager.collect()
    assert len(result.pages) < 20  # ended on its own: covered, or a cursor that would not move
    days = [r.stck_bsop_date for r in result.rows]
    assert days == sorted(set(days))  # oldest first, once each
    assert all(date(2025, 1, 1) <= d <= date(2025, 12, 31) for d in days if d is not None)


def test_a_year_of_daily_bars_from_the_sandbox(sandbox_kis: Callable[..., Kis]) -> None:
    kis = sandbox_kis(rate_limit=0)
    result = kis.domestic_stock.inquire_daily_itemchartprice.range(
        date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930"
    ).collect()
    days = [r.stck_bsop_date for r in result.rows]
    assert result.complete is True
    assert days[0] is not None and days[0] <= date(2025, 1, 3)
    assert days[-1] is not None and days[-1] >= date(2025, 12, 29)
    assert len(days) >= 240
