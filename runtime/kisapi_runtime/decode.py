"""Helpers the generated decoders call.

Generated code converts the common case inline (fast); when a value does not convert there,
the model is decoded again here field by field: values that still do not parse are kept as
raw strings in the model's ``extra`` (loose) or raise :class:`KisDecodeError` (strict).
Nothing KIS sends is dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, time
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import Any, Final, TypeVar

from .codecs import NULLS, parse, parse_datetime, picker
from .errors import KisDecodeError
from .frames import Rows
from .jsonlib import integers

T = TypeVar("T")

EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})

FieldInfo = tuple[str, str, str, "type[Enum] | None"]
"""(wire name, Python name, kind, enum class)."""

CONVERT_ERRORS: Final = (ValueError, TypeError, ArithmeticError, KeyError, AttributeError)
YN: Final = {"Y": True, "N": False}
BLANKS: Final[Mapping[str, Any]] = MappingProxyType(
    {"str": "", "text": "", "int": 0, "decimal": Decimal(0)}
)
"""What a blank field the spec marks ``always`` reads as outside strict mode (raw kept in extra)."""

__all__ = [
    "BLANKS",
    "CONVERT_ERRORS",
    "EMPTY",
    "NULLS",
    "YN",
    "FieldInfo",
    "KeyFill",
    "Rows",
    "as_list",
    "as_one",
    "as_required",
    "as_rows",
    "integers",
    "missing",
    "nothing",
    "parse_datetime",
    "picker",
    "scalar",
    "slow_model",
    "unknown",
]


class KeyFill:
    """The known keys a KIS object leaves out, added as None so the generated converter can
    index every key.

    KIS leaves out the same keys in every response of a TR, so the keys the last short object
    lacked are remembered: filling the next one is a copy plus those keys, not a merge of every
    key. A different shape is learned again; an object that also carries an unknown key still
    has a known key missing, which the converter's lookup turns into its slow path.
    """

    __slots__ = ("_all", "_keys", "_none")

    def __init__(self, keys: frozenset[str]) -> None:
        self._keys = keys
        self._all: dict[str, None] = dict.fromkeys(sorted(keys))
        self._none: dict[str, None] = {}

    def __call__(self, d: Mapping[str, Any]) -> Mapping[str, Any]:
        none = self._none
        if (
            type(d) is dict
            and len(d) + len(none) == len(self._keys)
            and none.keys().isdisjoint(d.keys())
        ):
            full = d.copy()
            full.update(none)
            return full
        missing = self._keys.difference(d)
        if len(d) + len(missing) == len(self._keys):  # nothing unknown: remember this shape
            self._none = dict.fromkeys(sorted(missing))
        return {**self._all, **d}


def nothing(value: Any) -> Any:
    """``None`` for a missing or empty value; any other falsy value (0, false) is not "nothing"."""
    if value is None or value == "":
        return None
    raise ValueError(f"needs the slow path: {value!r}")


def missing(value: Any) -> Any:
    """Always raises: a blank ``always`` field is left to :func:`slow_model`."""
    raise ValueError(f"blank where the spec expects a value: {value!r}")


def unknown(
    d: Mapping[str, Any], known: frozenset[str], strict: bool, where: str
) -> dict[str, Any]:
    """Keys of ``d`` the spec does not know, with their raw values."""
    extra = {k: v for k, v in d.items() if k not in known}
    if strict and extra:
        raise KisDecodeError(f"{where}: fields not in the spec: {sorted(extra)}")
    return extra


def slow_model(
    cls: Callable[..., T],
    fields: Sequence[FieldInfo],
    d: Mapping[str, Any],
    known: frozenset[str],
    strict: bool,
    where: str,
    *,
    always: frozenset[str] = frozenset(),
) -> T:
    """Decode one record field by field, keeping what does not parse.

    Fields in ``always`` (wire names the spec marks as filled in every success) never read as
    ``None``: blank or unparsable, they raise in strict mode, else read as their kind's empty
    value (:data:`BLANKS`) with the raw value kept in ``extra``.
    """
    extra = unknown(d, known, strict, where)
    values: dict[str, Any] = {}
    for wire, py, kind, enum in fields:
        raw = d.get(wire)
        try:
            value = parse(kind, raw, enum)
            if value is None and wire in always:
                raise ValueError("blank, but the spec says KIS always fills it")
            values[py] = value
        except CONVERT_ERRORS as exc:
            if strict:
                raise KisDecodeError(f"{where}.{wire}: {exc}") from None
            values[py] = BLANKS[kind] if wire in always else None
            extra[wire] = raw
    return cls(**values, extra=extra or EMPTY)


def as_list(
    raw: Any, one: Callable[[Mapping[str, Any], bool], T], strict: bool, where: str
) -> list[T]:
    """An array block; a lone object (KIS does that) becomes a one-item list."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, Mapping):
        return [one(raw, strict)]
    if isinstance(raw, list):
        return [
            one(item, strict) for item in raw if type(item) is dict or isinstance(item, Mapping)
        ]
    raise KisDecodeError(f"{where}: expected an array of objects, got {type(raw).__name__}")


ROWS_BY_COLUMN: Final = 8
"""Array blocks from this many rows convert column by column (one C-level pass a field)."""
_NULL_TO_NONE: Final = dict.fromkeys(NULLS)
_strip = str.strip


@functools.cache
def _codes(enum: type[Enum]) -> dict[Any, Enum]:
    return {member.value: member for member in enum}


def _column(kind: str, enum: type[Enum] | None, col: Sequence[Any]) -> list[Any]:
    """What the generated row expressions give for each truthy value; raises where they do."""
    if enum is not None:
        return list(map(_codes(enum).__getitem__, col))
    if kind == "int":
        try:
            return integers(col)
        except (ValueError, TypeError):  # a JSON number among the strings: int() each
            return list(map(int, col))
    if kind == "decimal":
        text = "".join(col)  # a JSON number among the strings: TypeError
        if "n" in text or "N" in text:  # NaN, Infinity: Decimal() reads them without raising
            raise ValueError("not a finite number")
        return list(map(Decimal, col))
    if kind == "date":
        return list(map(date.fromisoformat, col))
    if kind == "time":
        return list(map(time.fromisoformat, col))
    if kind == "datetime":
        return list(map(parse_datetime, col))
    if kind == "bool":
        return list(map(YN.__getitem__, col))
    stripped = list(map(_strip, col))
    return list(map(_NULL_TO_NONE.get, stripped, stripped))


def as_rows(
    raw: Any,
    one: Callable[[Mapping[str, Any], bool], T],
    model: Callable[..., T],
    fields: Sequence[FieldInfo],
    strict: bool,
    where: str,
) -> Rows[T]:
    """:func:`as_list` as :class:`Rows` of ``model``, converting a long array of regular rows
    column by column.

    Rows of exactly the known keys whose values all convert the way the generated row
    expressions convert them give the same models; anything else goes row by row.
    """
    if type(raw) is list and len(raw) >= ROWS_BY_COLUMN:
        try:
            keys = tuple(raw[0])
            # every row: the same keys in the same order (the parser hands out one key object
            # per name, so the tuples compare by identity)
            if list(map(tuple, raw)).count(keys) != len(raw):
                raise ValueError("rows differ in keys")
            at = dict(zip(keys, range(len(keys)), strict=True))
            if len(at) == len(fields):
                # transposed in one C-level pass (a row that is no dict: TypeError); values in
                # ``keys`` order
                wire_cols = list(zip(*map(dict.values, raw), strict=True))
                columns = []
                for wire, _py, kind, enum in fields:
                    col = wire_cols[at[wire]]
                    if not all(col):  # None, "" and JSON 0/false: the row path decides
                        raise ValueError(wire)
                    columns.append(_column(kind, enum, col))
                return Rows(map(model, *columns), model)
        except (*CONVERT_ERRORS, TypeError):
            pass
    return Rows(as_list(raw, one, strict, where), model)


def as_one(
    raw: Any, one: Callable[[Mapping[str, Any], bool], T], strict: bool, where: str
) -> tuple[T | None, bool]:
    """An object block; a list (KIS does that) gives its first item.

    Returns the record and whether the raw block must also be kept (a list of several items).
    """
    if type(raw) is dict:  # what JSON gives: skip the Mapping ABC check
        return one(raw, strict), False
    if raw is None or raw == "" or raw == []:
        return None, False
    if isinstance(raw, Mapping):
        return one(raw, strict), False
    if isinstance(raw, list) and raw and isinstance(raw[0], Mapping):
        return one(raw[0], strict), len(raw) > 1
    raise KisDecodeError(f"{where}: expected an object, got {type(raw).__name__}")


def as_required(
    raw: Any, one: Callable[[Mapping[str, Any], bool], T], strict: bool, where: str
) -> tuple[T, bool]:
    """:func:`as_one` for a block every success carries: absent or empty is a decode error."""
    record, keep = as_one(raw, one, strict, where)
    if record is None:
        raise KisDecodeError(f"{where}: missing from a successful response ({raw!r})")
    return record, keep


def scalar(
    body: Mapping[str, Any],
    wire: str,
    kind: str,
    enum: type[Enum] | None,
    strict: bool,
    where: str,
    extra: dict[str, Any],
) -> Any:
    """A top-level value (cursor key, token field); unparsable values are kept in ``extra``."""
    raw = body.get(wire)
    try:
        return parse(kind, raw, enum)
    except CONVERT_ERRORS as exc:
        if strict:
            raise KisDecodeError(f"{where}.{wire}: {exc}") from None
        extra[wire] = raw
        return None
