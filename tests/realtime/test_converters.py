"""Realtime field converters: fast path, the REST codecs' tolerance as fallback, None, never raise."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

import pytest

from kisapi_runtime.realtime import records as r


@pytest.mark.parametrize(
    ("convert", "raw", "expected"),
    [
        (r.to_int, "71200", 71200),
        (r.to_int, "7,780", 7780),
        (r.to_int, "1500.00", 1500),
        (r.to_int, "1.5", None),
        (r.to_int, "(null)", None),
        (r.to_int, "", None),
        (r.to_decimal, "-0.14", Decimal("-0.14")),
        (r.to_decimal, "1,234.5", Decimal("1234.5")),
        (r.to_decimal, "NaN", None),
        (r.to_decimal, "abc", None),
        (r.to_date, "20241014", date(2024, 10, 14)),
        (r.to_date, " 20241014 ", date(2024, 10, 14)),
        (r.to_date, "00000000", None),
        (r.to_time, "150550", time(15, 5, 50)),
        (r.to_time, "240000", time(0, 0)),
        (r.to_time, "9시", None),
        (r.to_bool, "Y", True),
        (r.to_bool, "X", None),
        (r.to_str, "  삼성전자 ", "삼성전자"),
        (r.to_str, "(null)", None),
    ],
)
def test_converters(convert: Any, raw: str, expected: object) -> None:
    assert convert(raw) == expected
