"""Typed realtime records and the frame parser.

A data frame is ``<encrypted 0|1>|<TR ID>|<count, 3 digits>|<payload>``; the payload holds
``count`` records of ``^``-separated fields, concatenated with ``^``. Records keep the split
strings and convert a field when it is read (generated typed properties), so decoding a frame
costs little more than splitting it (the records of a several-record frame share its split
list until first read); fields KIS appends are kept in ``extra``, missing ones read as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

import attrs

from ..codecs import (
    NULLS,
    padded_member,
    parse_date,
    parse_decimal,
    parse_int,
    parse_time,
    picker,
)
from ..errors import KisError
from ..jsonlib import fixed_integers
from ..jsonlib import integers as ints

T = TypeVar("T")
E = TypeVar("E", bound=Enum)


class KisFrameError(KisError):
    """A realtime frame could not be parsed (truncated, bad count, unknown TR ID, bad base64)."""


class RealtimeRecord:
    """Base of the generated record classes: one record of one realtime TR."""

    __slots__ = ("_at", "_src", "_v")
    _v: list[str]
    """The record's split strings, padded to ``WIDTH``."""
    _src: list[str]
    _at: slice
    tr_id: ClassVar[str] = ""
    """The TR's real TR ID (``H0STCNI0``), whichever environment sent the frame
    (``H0STCNI9`` on mock): dispatch on it and the same code runs on both."""
    TR_IDS: ClassVar[tuple[str, ...]] = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()
    """Wire names in frame order."""
    PY_NAMES: ClassVar[tuple[str, ...]] = ()
    CONVERTERS: ClassVar[tuple[Callable[[str], Any], ...]] = ()
    """The converter each property applies (``to_int``, an enum table's ``read``...), in order."""

    WIDTH: ClassVar[int] = 0
    """``len(FIELDS)``, kept so the hot path does not recount it."""
    _NAMES: ClassVar[dict[str, Any]] = {}
    """Every Python name (to None): what :meth:`as_dict` copies and fills."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.WIDTH = len(cls.FIELDS)
        cls._NAMES = dict.fromkeys(cls.PY_NAMES)

    def __init__(self, values: list[str]) -> None:
        if len(values) < self.WIDTH:
            values = values + [""] * (self.WIDTH - len(values))
        self._v = values

    if not TYPE_CHECKING:  # hidden from type checkers: a typo in a field name stays an error

        def __getattr__(self, name: str) -> Any:
            # A record of a several-record frame shares the frame's split list (``_src``) and
            # takes its own slice (``_at``) into ``_v`` when first read.
            if name != "_v":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            values: list[str] = self._src[self._at]
            if len(values) < self.WIDTH:
                values += [""] * (self.WIDTH - len(values))
            self._v = values
            del self._src, self._at
            return values

    @property
    def key(self) -> str | None:
        """The subscription key (stock code, symbol, HTS ID...) as the frame carries it; the
        generated classes read it from their key field, ``None`` where the frame has none."""
        return None

    @property
    def raw(self) -> Mapping[str, str]:
        """Every known field as the string KIS sent (nothing is lost to conversion)."""
        return dict(zip(self.FIELDS, self._v, strict=False))

    @property
    def extra(self) -> tuple[str, ...]:
        """Trailing fields KIS sent that the spec does not know yet."""
        return tuple(self._v[len(self.FIELDS) :])

    def as_tuple(self) -> tuple[Any, ...]:
        """Every field in ``PY_NAMES`` order, typed (generated classes convert in one pass)."""
        result: tuple[Any, ...] = self._read_each()
        return result

    def _read_each(self) -> Any:
        """Every field through its property: the lenient path for values the fast one rejects."""
        return tuple(getattr(self, name) for name in self.PY_NAMES)

    def as_dict(self) -> dict[str, Any]:
        """Python name -> typed value of every field."""
        # a copy of a dict of every name, then filled: no resizing as the dict grows
        values = self._NAMES.copy()
        values.update(zip(self.PY_NAMES, self.as_tuple()))  # noqa: B905 (one per name)
        return values

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """(Python name, typed value) of every field."""
        return zip(self.PY_NAMES, self.as_tuple())  # noqa: B905

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

CONVERT_ERRORS: Final = (ValueError, ArithmeticError)
"""What the generated whole-record read may raise on a value it leaves to the properties."""
YN: Final = {"Y": True, "N": False}


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
    return YN.get(value)


class TextMemo(dict[str, T]):
    """Text -> ``convert(text)``, converted once per distinct text: a dict hit where the text
    was seen before, and emptied when it holds ``limit`` texts.

    For fields whose texts repeat across a stream (the dates and times of ticks); a dict
    subscript (``memo[text]``) costs less than ``time.fromisoformat``, while
    :func:`functools.lru_cache`'s call costs more than the conversion it saves. A miss tries
    ``parse`` (a C function: what ``convert`` gives when it parses) before ``convert``, as a
    miss already costs a Python call of ``__missing__``.
    """

    __slots__ = ("_convert", "_limit", "_parse")

    def __init__(
        self, convert: Callable[[str], T], parse: Callable[[str], T], limit: int = 4096
    ) -> None:
        super().__init__()
        self._convert = convert
        self._parse = parse
        self._limit = limit

    def __missing__(self, text: str) -> T:
        try:
            value = self._parse(text)
        except ValueError:
            value = self._convert(text)
        if len(self) >= self._limit:
            self.clear()
        self[text] = value
        return value


TIMES: Final[TextMemo[time | None]] = TextMemo(to_time, time.fromisoformat)
"""Text -> :func:`to_time` of it, for the generated whole-record reads."""
DATES: Final[TextMemo[date | None]] = TextMemo(to_date, date.fromisoformat)
"""Text -> :func:`to_date` of it, for the generated whole-record reads."""


class EnumCodes(dict[str, E]):
    """Code -> member of ``enum`` for the generated properties; a miss reads as ``None``.

    Exact codes are plain dict hits (the wire value as sent, not stripped first: codes carry
    no surrounding spaces, so ``codes[value]`` is ``codes[value.strip()]``); a code with
    spaces around it, or written without (or with more) zero padding than the enum (``1``
    for ``01``), is resolved by ``__missing__``.
    """

    __slots__ = ("_enum",)

    def __init__(self, enum: type[E]) -> None:
        super().__init__((str(member.value).strip(), member) for member in enum)
        self._enum = enum

    def __missing__(self, key: str) -> E | None:
        text = key.strip()
        if text != key:
            return self[text]
        return to_padded_enum(key, self._enum)

    def read(self, value: str) -> E | None:
        """The member a wire value names (spaces ignored), or ``None``."""
        return self[value]

    @property
    def enum(self) -> type[E]:
        return self._enum


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


_new = object.__new__


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
        return [_owned(record, values)]
    return _records_at(record, values, _cuts(record, len(values), count))


def _records_at(
    record: type[RealtimeRecord], values: list[str], cuts: tuple[slice, ...]
) -> list[RealtimeRecord]:
    """One record per slice of ``values``, each taking its slice of the shared list when
    first read."""
    records: list[RealtimeRecord] = []
    for at in cuts:
        one: RealtimeRecord = _new(record)
        one._src = values
        one._at = at
        records.append(one)
    return records


def _cuts(record: type[RealtimeRecord], fields: int, count: int) -> tuple[slice, ...]:
    """The slice of each of ``count`` records in a frame of ``fields`` fields."""
    width, rest = divmod(fields, count)
    if rest or width == 0:
        raise KisFrameError(f"{record.__name__}: {fields} fields do not split into {count} records")
    return tuple(slice(start, start + width) for start in range(0, fields, width))


def _owned(record: type[RealtimeRecord], values: list[str]) -> RealtimeRecord:
    """``record(values)`` for a list nobody else holds: padded in place, no copy."""
    missing = record.WIDTH - len(values)
    if missing > 0:  # an older, shorter layout (KIS's samples know 46 of H0STCNT0's 47)
        values += [""] * missing
    one: RealtimeRecord = _new(record)
    one._v = values
    return one


SHORT_TOLERANCE = 0.1
"""Share of a spec's fields a record may lack at its end (older KIS layouts)."""


def least_fields(width: int) -> int:
    """Fewest fields a record of a spec with ``width`` fields may carry.

    KIS appends fields at the end over the years, so frames in an older layout lack a few
    trailing ones (real captures: 59 of 63 for H0STASP0, 46 of 49 for H0MFCNT0); those are
    kept, with :data:`SHORT_TOLERANCE` of the spec's width missing at most. Extra trailing
    fields are always allowed (``record.extra``); anything shorter is a bad frame.
    """
    return width - max(1, int(width * SHORT_TOLERANCE))


_Layout = tuple[type[RealtimeRecord], int, int, tuple[tuple[str, ...], ...]]
"""A TR's record class, its width, the fewest fields a record may carry, and the blank
padding for each number of missing fields."""


class FrameDecoder:
    """Data frame -> (TR ID, records), the connection's hot path.

    The record class of a TR ID is looked up in ``registry`` (which may import its module)
    once, on its first frame, and kept; ``ciphers`` (TR ID -> AES key, IV) is read when an
    encrypted frame arrives, so the connection can keep filling it from subscribe replies.
    """

    __slots__ = ("_ciphers", "_cuts", "_layouts", "_registry")

    def __init__(
        self,
        registry: Mapping[str, RealtimeSpec],
        ciphers: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self._registry = registry
        self._ciphers: Mapping[str, tuple[str, str]] = {} if ciphers is None else ciphers
        self._layouts: dict[str, _Layout] = {}
        self._cuts: dict[tuple[int, int], tuple[slice, ...]] = {}  # (fields, records) -> slices

    def record(self, tr_id: str) -> type[RealtimeRecord]:
        """The record class of ``tr_id``; :class:`KisFrameError` if the registry lacks it."""
        return self._layout(tr_id)[0]

    def _layout(self, tr_id: str) -> _Layout:
        found = self._layouts.get(tr_id)
        if found is None:
            spec = self._registry.get(tr_id)
            if spec is None:
                raise KisFrameError(f"unknown realtime TR ID {tr_id!r}")
            width = spec.record.WIDTH
            least = least_fields(width)
            blanks = tuple(("",) * missing for missing in range(width - least + 1))
            found = self._layouts[tr_id] = (spec.record, width, least, blanks)
        return found

    def decode(self, frame: str) -> tuple[str, list[RealtimeRecord]]:
        """(TR ID, records) of one data frame; :class:`KisFrameError` when it is malformed."""
        try:
            flag, tr_id, count, payload = frame.split("|", 3)
        except ValueError:
            raise KisFrameError(f"not a data frame: {frame[:40]!r}") from None
        try:
            record, width, least, blanks = self._layouts[tr_id]
        except KeyError:
            record, width, least, blanks = self._layout(tr_id)
        if flag != "0":
            payload = self._decrypt(flag, tr_id, payload, frame)
        values = payload.split("^")
        if count == "001":  # nearly every frame: one record, owning the split list
            if len(values) < width:  # an older, shorter layout: padded, within tolerance
                if len(values) < least:
                    raise self._short(tr_id, record, len(values), 1)
                values += blanks[width - len(values)]
            one: RealtimeRecord = _new(record)
            one._v = values
            return tr_id, [one]
        if not count.isdigit():
            raise KisFrameError(f"bad frame header: {frame[:40]!r}")
        n = int(count)
        if n < 1 or len(values) < least * n:
            raise self._short(tr_id, record, len(values), n)
        if n == 1:
            return tr_id, [_owned(record, values)]
        cuts = self._cuts.get((len(values), n))
        if cuts is None:
            cuts = self._cuts[len(values), n] = _cuts(record, len(values), n)
        return tr_id, _records_at(record, values, cuts)

    @staticmethod
    def _short(tr_id: str, record: type[RealtimeRecord], got: int, n: int) -> KisFrameError:
        return KisFrameError(
            f"{tr_id}: {got} fields for {n} record(s); the spec has {len(record.FIELDS)} per record"
        )

    def _decrypt(self, flag: str, tr_id: str, payload: str, frame: str) -> str:
        if flag != "1":
            raise KisFrameError(f"bad frame header: {frame[:40]!r}")
        cipher = self._ciphers.get(tr_id)
        if cipher is None:
            raise KisFrameError(f"{tr_id}: encrypted frame but no key from a subscribe reply")
        from .crypto import decrypt  # cryptography loads only when a TR is encrypted

        return decrypt(payload, *cipher)


Decrypt = Callable[[str, str], str]
"""(TR ID, base64 payload) -> plain payload."""

__all__: Final = [
    "CONVERT_ERRORS",
    "DATES",
    "NULLS",
    "TIMES",
    "YN",
    "Decrypt",
    "EnumCodes",
    "FrameDecoder",
    "KisFrameError",
    "RealtimeRecord",
    "RealtimeSpec",
    "TextMemo",
    "decode_records",
    "fixed_integers",
    "ints",
    "picker",
    "split_frame",
    "to_bool",
    "to_date",
    "to_decimal",
    "to_int",
    "to_padded_enum",
    "to_str",
    "to_time",
]  # fmt: skip
