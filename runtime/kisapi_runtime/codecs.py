"""KIS wire strings <-> Python values.

KIS sends every value as a string: ``"71200"``, ``" 0.00"``, ``"20260105"``, ``"Y"``, ``""``.
``parse_*`` are tolerant (spaces, thousands separators, empty -> ``None``) and raise
:class:`ValueError` only when a value really does not fit; ``encode_*`` turn user input into
the exact string KIS expects, or raise :class:`ValueError` with a reason.
"""

from __future__ import annotations

import functools
import operator
import unicodedata
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final

KST: Final = timezone(timedelta(hours=9), "KST")
NULLS: Final = frozenset({"", "(null)", "null", "NULL", "None"})
"""Strings KIS uses for "no value"."""
_EMPTY_DATES: Final = frozenset({"00000000", "0"})
_NAN: Final = frozenset({"nan", "-nan", "+nan"})
"""Not-a-number text KIS sends in numeric fields it could not compute (option Greeks): no value."""
_YN: Final = {"Y": True, "N": False, "y": True, "n": False}
_FORBIDDEN: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories never sent: control, format (bidi overrides), surrogates, line breaks."""


def picker(keys: Sequence[Hashable]) -> Callable[[Any], tuple[Any, ...]]:
    """``values -> tuple(values[k] for k in keys)`` in one C call (positions of a list or keys
    of a dict; :class:`KeyError` or :class:`IndexError` when one is missing)."""
    if len(keys) == 1:
        (only,) = keys
        return lambda values: (values[only],)
    getter: Callable[[Any], tuple[Any, ...]] = operator.itemgetter(*keys)
    return getter


def _clean(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValueError(f"not a scalar value: {type(value).__name__}")
    text = str(value).strip()
    return None if text in NULLS else text


def parse_str(value: object) -> str | None:
    return _clean(value)


def is_nan(text: str) -> bool:
    """Whether ``text`` (already stripped) is KIS's not-a-number: ``nan``, ``-nan``, ``NaN``..."""
    return len(text) <= 4 and text.lower() in _NAN


def parse_int(value: object) -> int | None:
    text = _clean(value)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    number = parse_decimal(text)
    if number is None:
        return None  # nan
    if number != number.to_integral_value():
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def parse_decimal(value: object) -> Decimal | None:
    text = _clean(value)
    if text is None or is_nan(text):
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def parse_date(value: object) -> date | None:
    text = _clean(value)
    if text is None or text in _EMPTY_DATES:
        return None
    text = text.replace("-", "").replace(".", "").replace("/", "")
    if len(text) != 8 or not text.isdigit():
        raise ValueError(f"not a YYYYMMDD date: {value!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def parse_time(value: object) -> time | None:
    text = _clean(value)
    if text is None:
        return None
    text = text.replace(":", "")
    if not text.isdigit() or len(text) not in (4, 6):
        raise ValueError(f"not an HHMMSS time: {value!r}")
    if len(text) == 4:
        text += "00"
    hour, minute, second = int(text[:2]), int(text[2:4]), int(text[4:6])
    if hour == 24 and minute == 0 and second == 0:
        return time(0, 0, 0)
    return time(hour, minute, second)


def parse_datetime(value: object) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS`` or ``YYYYMMDDHHMMSS`` in Korean time -> aware datetime."""
    text = _clean(value)
    if text is None:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) != 14:
        raise ValueError(f"not a date and time: {value!r}")
    return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=KST)


def parse_bool(value: object) -> bool | None:
    text = _clean(value)
    if text is None:
        return None
    try:
        return _YN[text]
    except KeyError:
        raise ValueError(f"not a Y/N flag: {value!r}") from None


def parse_enum(value: object, enum: type[Enum]) -> Enum | None:
    text = _clean(value)
    if text is None:
        return None
    member = enum._value2member_map_.get(text)
    if member is None:
        member = padded_member(enum, text)
        if member is None:
            raise ValueError(f"unknown {enum.__name__} code: {value!r}")
    return member


def padded_member(enum: type[Enum], text: str) -> Enum | None:
    """The member whose numeric code equals ``text`` up to leading zeros (``1`` ~ ``01``).

    KIS writes some codes unpadded in one API and zero-padded in another. A code that two
    members share after dropping zeros (``1`` and ``01`` both defined) matches neither.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    return _unpadded_codes(enum).get(text.lstrip("0") or "0")


@functools.cache
def _unpadded_codes(enum: type[Enum]) -> dict[str, Enum]:
    table: dict[str, Enum] = {}
    clashes: set[str] = set()
    for member in enum:
        code = str(member.value)
        if not (code.isascii() and code.isdigit()):
            continue
        key = code.lstrip("0") or "0"
        if key in table:
            clashes.add(key)
        table[key] = member
    for key in clashes:
        del table[key]
    return table


PARSERS: Final[dict[str, Callable[[object], Any]]] = {
    "str": parse_str,
    "text": parse_str,
    "int": parse_int,
    "decimal": parse_decimal,
    "date": parse_date,
    "time": parse_time,
    "datetime": parse_datetime,
    "bool": parse_bool,
}


def parse(kind: str, value: object, enum: type[Enum] | None = None) -> Any:
    """Parse ``value`` as ``kind`` (one of :data:`PARSERS` or ``enum``)."""
    if enum is not None:
        return parse_enum(value, enum)
    return PARSERS[kind](value)


# --- encoding (requests) ---------------------------------------------------------------


MAX_DIGITS: Final = 30
"""Digits before the decimal point any KIS number may have (amounts are 19 digits at most)."""
_LIMIT: Final = 10**MAX_DIGITS


def _in_range(value: Decimal | int) -> bool:
    if isinstance(value, int):
        return abs(value) < _LIMIT
    return value.is_finite() and value.adjusted() < MAX_DIGITS


def encode_int(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a bool")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite integer, got {_show(value)}")
    if isinstance(value, int | Decimal) and not _in_range(value):
        raise ValueError(f"out of range: more than {MAX_DIGITS} digits")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        if digits.isascii() and digits.isdigit():
            if len(digits.lstrip("0")) > MAX_DIGITS:
                raise ValueError(f"out of range: more than {MAX_DIGITS} digits")
            return str(int(text))
    raise ValueError(f"expected an integer, got {type(value).__name__} {_show(value)}")


def encode_decimal(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError("expected a number, got a bool")
    if isinstance(value, int):
        if not _in_range(value):
            raise ValueError(f"out of range: more than {MAX_DIGITS} digits")
        return str(value)
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"expected a number, got {_show(value)}") from None
    if isinstance(value, Decimal) and value.is_finite():
        if not _in_range(value) or value.as_tuple().exponent < -MAX_DIGITS:  # type: ignore[operator]
            raise ValueError(f"out of range: more than {MAX_DIGITS} digits")
        return format(value, "f")
    raise ValueError(f"expected a finite number, got {type(value).__name__} {_show(value)}")


def encode_date(value: object) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, str) and len(value) == 8 and value.isdigit():
        parse_date(value)  # rejects 20261341
        return value
    raise ValueError(f"expected a date or 'YYYYMMDD', got {_show(value)}")


def encode_time(value: object) -> str:
    if isinstance(value, time):
        return value.strftime("%H%M%S")
    if isinstance(value, str) and len(value) == 6 and value.isdigit():
        parse_time(value)
        return value
    raise ValueError(f"expected a time or 'HHMMSS', got {_show(value)}")


def encode_bool(value: object) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    if value in ("Y", "N"):
        return str(value)
    raise ValueError(f"expected a bool or 'Y'/'N', got {_show(value)}")


def encode_str(value: object) -> str:
    if isinstance(value, Enum):
        value = str(value.value)
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"expected a string, got int {_show(value)}: codes keep their leading zeros, "
            f"pass it as text (e.g. {str(value).zfill(6)!r})"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    _check_text(value)
    return value


def _check_text(value: str) -> None:
    if value.isprintable():  # fast path: no control, format or line-break character
        return
    bad = next((ch for ch in value if unicodedata.category(ch) in _FORBIDDEN), None)
    if bad is not None:
        raise ValueError(f"control character {bad!r} (CR, LF, NUL and the like are not allowed)")


def encode_enum(value: object, enum: type[Enum]) -> str:
    if isinstance(value, enum):
        return str(value.value)
    if isinstance(value, str) and value in enum._value2member_map_:
        return value
    allowed = ", ".join(str(m.value) for m in enum)
    raise ValueError(f"unknown {enum.__name__} code {_show(value)} (allowed: {allowed})")


ENCODERS: Final[dict[str, Callable[[object], str]]] = {
    "str": encode_str,
    "text": encode_str,
    "int": encode_int,
    "decimal": encode_decimal,
    "date": encode_date,
    "time": encode_time,
    "bool": encode_bool,
}


def encode(kind: str, value: object, enum: type[Enum] | None = None) -> str:
    """Turn a user value into KIS's string encoding, or raise ValueError with the reason."""
    if isinstance(value, str):
        _check_text(value)
    if enum is not None:
        return encode_enum(value, enum)
    return ENCODERS[kind](value)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
