"""KIS string codecs: round trips (property tests) and the messy values real payloads hold."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kisapi_runtime import codecs


class Side(StrEnum):
    SELL = "01"
    BUY = "02"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_int_round_trip(value: int) -> None:
    assert codecs.parse_int(codecs.encode_int(value)) == value


@given(st.integers(min_value=-(10**15), max_value=10**15), st.text(" ", max_size=12))
def test_int_tolerates_padding(value: int, pad: str) -> None:
    assert codecs.parse_int(pad + str(value) + pad) == value


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    )
)
def test_decimal_round_trip(value: Decimal) -> None:
    assert codecs.parse_decimal(codecs.encode_decimal(value)) == value


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_date_round_trip(value: date) -> None:
    assert codecs.parse_date(codecs.encode_date(value)) == value


@given(st.times().map(lambda t: t.replace(microsecond=0)))
def test_time_round_trip(value: time) -> None:
    assert codecs.parse_time(codecs.encode_time(value)) == value


@given(st.booleans())
def test_bool_round_trip(value: bool) -> None:
    assert codecs.parse_bool(codecs.encode_bool(value)) is value


@given(st.text(max_size=30))
def test_parsers_never_raise_anything_but_value_error(text: str) -> None:
    for kind in ("int", "decimal", "date", "time", "datetime", "bool"):
        with contextlib.suppress(ValueError):
            codecs.parse(kind, text)


@pytest.mark.parametrize("raw", ["", "   ", "(null)", None])
@pytest.mark.parametrize("kind", ["str", "int", "decimal", "date", "time", "bool"])
def test_empty_means_no_value(kind: str, raw: str | None) -> None:
    assert codecs.parse(kind, raw) is None


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("int", "-337492", -337492),
        ("int", "7,780", 7780),
        ("int", "00012", 12),
        ("int", "1500.00", 1500),
        ("decimal", " 0.00", Decimal("0.00")),
        ("decimal", "          75.55", Decimal("75.55")),
        ("decimal", "-0.14", Decimal("-0.14")),
        ("decimal", "1,234.5", Decimal("1234.5")),
        ("date", "20260105", date(2026, 1, 5)),
        ("date", "00000000", None),
        ("time", "090000", time(9, 0)),
        ("time", "240000", time(0, 0)),
        ("datetime", "2026-11-24 09:30:00", datetime(2026, 11, 24, 9, 30, tzinfo=codecs.KST)),
        ("bool", "Y", True),
        ("str", "  삼성전자  ", "삼성전자"),
    ],
)
def test_real_world_values(kind: str, raw: str, expected: object) -> None:
    assert codecs.parse(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [("int", "7,780 억"), ("int", "1.5"), ("decimal", "abc"), ("decimal", "Infinity"),
     ("decimal", "sNaN"), ("int", "-inf"), ("decimal", "nanx"), ("date", "2026-13-01"),
     ("time", "9시"), ("bool", "X")],
)  # fmt: skip
def test_values_that_do_not_fit_raise_value_error(kind: str, raw: str) -> None:
    with pytest.raises(ValueError):
        codecs.parse(kind, raw)


def test_enum_codes() -> None:
    assert codecs.parse_enum("02", Side) is Side.BUY
    assert codecs.encode_enum(Side.SELL, Side) == "01"
    assert codecs.encode_enum("02", Side) == "02"
    with pytest.raises(ValueError, match=r"unknown Side code '03' \(allowed: 01, 02\)"):
        codecs.encode_enum("03", Side)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("int", True, "bool"),
        ("int", "12a", "expected an integer"),
        ("int", 1.5, "expected an integer"),
        ("decimal", "x", "expected a number"),
        ("date", "2026-01-05", "YYYYMMDD"),
        ("date", "20261341", "month"),
        ("time", "25", "HHMMSS"),
        ("bool", "yes", "Y"),
        ("str", 1.5, "expected a string"),
    ],
)
def test_encoding_rejects_bad_input(kind: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codecs.encode(kind, value)


def test_encoding_normalises() -> None:
    assert codecs.encode_decimal(150.25) == "150.25"
    assert codecs.encode_decimal(Decimal("1E+2")) == "100"
    assert codecs.encode_int("0012") == "12"
    assert codecs.encode_date(datetime(2026, 1, 5, 10, 0)) == "20260105"


@pytest.mark.parametrize("raw", ["nan", "-nan", "NaN", "-NaN", "NAN", " nan ", "  -nan", "+nan"])
@pytest.mark.parametrize("kind", ["int", "decimal"])
def test_nan_is_no_value(kind: str, raw: str) -> None:
    """KIS writes nan/-nan in option Greeks it could not compute: no value, not an error."""
    assert codecs.parse(kind, raw) is None


class Division(StrEnum):
    NEW = "01"
    CLOSE = "02"
    TEN = "10"


class Flag(StrEnum):
    ONE = "1"
    TWO = "2"
    LETTER = "A"


class Clash(StrEnum):
    ONE = "1"
    ONE_PADDED = "01"


@pytest.mark.parametrize(
    ("enum", "raw", "expected"),
    [
        (Division, "1", Division.NEW),
        (Division, " 2 ", Division.CLOSE),
        (Division, "001", Division.NEW),
        (Division, "10", Division.TEN),
        (Division, "010", Division.TEN),
        (Flag, "01", Flag.ONE),
        (Flag, "002", Flag.TWO),
        (Flag, "A", Flag.LETTER),
        (Clash, "1", Clash.ONE),
        (Clash, "01", Clash.ONE_PADDED),
    ],
)
def test_enum_code_matches_up_to_zero_padding(
    enum: type[StrEnum], raw: str, expected: object
) -> None:
    assert codecs.parse_enum(raw, enum) is expected
    assert codecs.parse("str", raw, enum) is expected


@pytest.mark.parametrize(
    ("enum", "raw"),
    [(Division, "3"), (Division, "0"), (Division, "100"), (Flag, "0A"), (Flag, "3"),
     (Clash, "001"), (Division, "１"), (Division, "-1")],
)  # fmt: skip
def test_unknown_enum_code_still_raises(enum: type[StrEnum], raw: str) -> None:
    """Genuinely unknown codes (and ambiguous ones) keep failing: strict mode reports them."""
    with pytest.raises(ValueError, match="unknown"):
        codecs.parse_enum(raw, enum)


# --- the same rules through generated decoders (REST fast and slow path, realtime records) ---


# inquire_price's fields the spec marks ``always`` (KIS fills them in every success)
_ALWAYS = ("stck_prpr", "prdy_vrss", "prdy_ctrt", "acml_tr_pbmn", "acml_vol", "stck_oprc",
           "stck_hgpr", "stck_lwpr", "stck_mxpr", "stck_llam", "stck_sdpr")  # fmt: skip


def _quote(**fields: str) -> dict[str, object]:
    output = {**dict.fromkeys(_ALWAYS, "1"), **fields}
    return {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "ok", "output": output}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("extra", [{}, {"not_in_spec": "x"}], ids=["fast", "slow"])
def test_rest_decoder_reads_nan_as_no_value(strict: bool, extra: dict[str, str]) -> None:
    from kisapi import KisDecodeError
    from kisapi.domestic_stock import inquire_price

    body = _quote(stck_prpr="71200", prdy_vrss_vol_rate=" -nan ", prdy_vrss_sign="2", **extra)
    if strict and extra:
        with pytest.raises(KisDecodeError, match="not_in_spec"):
            inquire_price.API.decode(body, strict)
        return
    out = inquire_price.API.decode(body, strict).output
    assert out.prdy_vrss_vol_rate is None  # not Decimal('NaN')
    assert out.stck_prpr == 71200
    assert "prdy_vrss_vol_rate" not in out.extra


def test_a_nan_where_kis_always_sends_a_number_reads_zero_loose_and_fails_strict() -> None:
    from kisapi import KisDecodeError
    from kisapi.domestic_stock import inquire_price

    body = _quote(prdy_ctrt=" -nan ")
    out = inquire_price.API.decode(body, False).output
    assert out.prdy_ctrt == Decimal(0) and out.extra == {"prdy_ctrt": " -nan "}
    with pytest.raises(KisDecodeError, match=r"inquire_price\.output\.prdy_ctrt"):
        inquire_price.API.decode(body, True)


@pytest.mark.parametrize("extra", [{}, {"not_in_spec": "x"}], ids=["fast", "slow"])
def test_rest_decoder_matches_enum_codes_up_to_zero_padding(extra: dict[str, str]) -> None:
    from kisapi.domestic_stock import inquire_price
    from kisapi.enums import Sign

    out = inquire_price.API.decode(_quote(prdy_vrss_sign="02", **extra), not extra).output
    assert out is not None and out.prdy_vrss_sign is Sign.RISE
    unknown = inquire_price.API.decode(_quote(prdy_vrss_sign="9"), False).output
    assert unknown is not None and unknown.prdy_vrss_sign is None
    assert unknown.extra == {"prdy_vrss_sign": "9"}


def test_realtime_record_reads_nan_and_padded_codes() -> None:
    from kisapi import realtime
    from kisapi.enums import Sign

    record_cls = realtime.spec("H0STCNT0").record
    values = [""] * len(record_cls.FIELDS)
    values[record_cls.FIELDS.index("PRDY_VRSS_SIGN")] = "02"
    values[record_cls.FIELDS.index("PRDY_CTRT")] = "-nan"
    values[record_cls.FIELDS.index("CNTG_VOL")] = "nan"
    values[record_cls.FIELDS.index("OPRC_VRSS_PRPR_SIGN")] = "7"
    record = record_cls(values)
    assert record.prdy_vrss_sign is Sign.RISE  # type: ignore[attr-defined]
    assert record.prdy_ctrt is None  # type: ignore[attr-defined]
    assert record.cntg_vol is None  # type: ignore[attr-defined]
    assert record.oprc_vrss_prpr_sign is None  # type: ignore[attr-defined]
    assert record.raw["PRDY_CTRT"] == "-nan"
