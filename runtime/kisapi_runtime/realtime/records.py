"""Typed realtime records and the frame parser.

A data frame is ``<encrypted 0|1>|<TR ID>|<count, 3 digits>|<payload>``; the payload holds
``count`` records of ``^``-separated fields, concatenated with ``^``. Records keep the split
strings and convert a field when it is read (generated typed properties), so decoding a frame
costs little more than splitting it; fields KIS appends are kept in ``extra``, missing ones
read as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, ClassVar, Final, TypeVar

import attrs

from ..codecs import NULLS, padded_member, parse_date, parse_decimal, parse_int, parse_time
from ..errors import KisError

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


class KisFrameError(KisError):
    """A realtime frame could not be parsed (truncated, bad count, unknown TR ID, bad base64)."""


class RealtimeRecord:
    """Base of the generated record classes: one record of one realtime TR."""

    __slots__ = ("_v",)
    TR_IDS: ClassVar[tuple[str, ...]] = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()
    """Wire names in frame order."""
    PY_NAMES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, values: list[str]) -> None:
        missing = len(self.FIELDS) - len(values)
        if missing > 0:
            values = values + [""] * missing
        self._v = values

    @property
    def raw(self) -> Mapping[str, str]:
        """Every known field as the string KIS sent (nothing is lost to conversion)."""
        return dict(zip(self.FIELDS, self._v, strict=False))

    @property
    def extra(self) -> tuple[str, ...]:
        """Trailing fields KIS sent that the spec does not know yet."""
        return tuple(self._v[len(self.FIELDS) :])

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.PY_NAMES}

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.as_dict().items())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RealtimeRecord) and type(other) is type(self) and other._v == self._v
        )

    def __hash__(self) -> int:
        return hash((type(self), tuple(self._v)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in list(self.as_dict().items())[:6])
        more = ", ..." if len(self.PY_NAMES) > 6 else ""
        return f"{type(self).__name__}({shown}{more})"


# --- field converters used by the generated properties: never raise; None when no value ---


def to_str(value: str) -> str | None:
    text = value.strip()
    return None if text in NULLS else text


def _lenient(parse: Callable[[object], T], value: str) -> T | None:
    """The tolerant REST codec, with None instead of an error (the raw string stays in ``raw``)."""
    try:
        return parse(value)
    except ValueError:
        return None


def to_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return _lenient(parse_int, value)


def to_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return _lenient(parse_decimal, value)
    return number if number.is_finite() else None


def to_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return _lenient(parse_date, value)


def to_time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except ValueError:
        return _lenient(parse_time, value)


def to_bool(value: str) -> bool | None:
    return True if value == "Y" else False if value == "N" else None


class EnumCodes(dict[str, E]):
    """Code -> member of ``enum`` for the generated properties; a miss reads as ``None``.

    Exact codes are plain dict hits; a code KIS writes without (or with more) zero padding
    than the enum (``1`` for ``01``) is resolved by ``__missing__``.
    """

    __slots__ = ("_enum",)

    def __init__(self, enum: type[E]) -> None:
        super().__init__((str(member.value), member) for member in enum)
        self._enum = enum

    def __missing__(self, key: str) -> E | None:
        return to_padded_enum(key, self._enum)


def to_padded_enum(text: str, enum: type[E]) -> E | None:
    """The member a code names up to zero padding (``1`` for ``01``), after an exact miss.

    The generated properties look the stripped code up exactly first; this is their fallback.
    """
    member = padded_member(enum, text) if text else None
    return member if isinstance(member, enum) else None


@attrs.frozen(slots=True)
class RealtimeSpec:
    """What the runtime needs to subscribe to and decode one realtime TR."""

    id: str
    title: str
    real: str | None
    mock: str | None
    key: str
    """What ``tr_key`` holds: stock_code, hts_id, symbol, index_code, market..."""
    encrypted: bool
    record: type[RealtimeRecord]


def split_frame(frame: str) -> tuple[bool, str, int, str]:
    """(encrypted, TR ID, record count, payload) of a data frame."""
    parts = frame.split("|", 3)
    if len(parts) != 4:
        raise KisFrameError(f"not a data frame: {frame[:40]!r}")
    flag, tr_id, count_text, payload = parts
    if flag not in ("0", "1") or not count_text.isdigit():
        raise KisFrameError(f"bad frame header: {frame[:40]!r}")
    return flag == "1", tr_id, int(count_text), payload


def decode_records(record: type[RealtimeRecord], count: int, payload: str) -> list[RealtimeRecord]:
    """Split a (decrypted) payload into ``count`` records of ``record``."""
    values = payload.split("^")
    if count <= 1:
        return [record(values)]
    width, rest = divmod(len(values), count)
    if rest or width == 0:
        raise KisFrameError(
            f"{record.__name__}: {len(values)} fields do not split into {count} records"
        )
    return [record(values[i * width : (i + 1) * width]) for i in range(count)]


Decrypt = Callable[[str, str], str]
"""(TR ID, base64 payload) -> plain payload."""

__all__: Final = [
    "Decrypt", "EnumCodes", "KisFrameError", "RealtimeRecord", "RealtimeSpec", "decode_records", "split_frame",
    "to_bool", "to_date", "to_decimal", "to_int", "to_padded_enum", "to_str", "to_time",
]  # fmt: skip
