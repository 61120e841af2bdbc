"""Realtime field converters: fast path, the REST codecs' tolerance as fallback, None, never raise."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from enum import StrEnum
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
        (r.to_decimal, "-nan", None),
        (r.to_decimal, " nan ", None),
        (r.to_decimal, "Infinity", None),
        (r.to_int, "nan", None),
        (r.to_int, "-NaN", None),
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


class Division(StrEnum):
    NEW = "01"
    CLOSE = "02"


def test_padded_enum_fallback() -> None:
    assert r.to_padded_enum("1", Division) is Division.NEW
    assert r.to_padded_enum("002", Division) is Division.CLOSE
    assert r.to_padded_enum("3", Division) is None
    assert r.to_padded_enum("", Division) is None
    assert r.to_padded_enum("X", Division) is None


def test_enum_codes_lookup() -> None:
    codes = r.EnumCodes(Division)
    assert codes["01"] is Division.NEW
    assert codes["1"] is Division.NEW
    assert codes["002"] is Division.CLOSE
    assert codes["3"] is None
    assert codes[""] is None
    assert "1" not in codes  # a padded miss is not cached as a new code
    # the wire value is looked up as sent: spaces around it are dropped on a miss
    assert codes[" 01 "] is Division.NEW
    assert codes["  1"] is Division.NEW
    assert codes[" "] is None
    assert codes.read(" 002") is Division.CLOSE
    assert " 01 " not in codes
