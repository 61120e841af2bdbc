"""Many frames of one realtime TR -> one typed column per field, no record object per record.

For collectors that store ticks: :func:`decode_columns` joins a chunk of frames, splits it
once (headers checked as sets when every frame is a plain one-record frame of one width, else
frame by frame) and converts each field's column in one C-level pass where the values allow
it (``map(Decimal, ...)``, one orjson parse for a whole integer column; a column of few
distinct values converts each once), falling back, per column, to the converters the record
properties use. The values are exactly what the properties would read.
:meth:`Columns.to_arrow` and :meth:`Columns.to_polars` need the ``arrow`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, time
from decimal import Decimal
from itertools import islice, repeat
from typing import Any, Final

import attrs

from .. import frames
from .records import (
    NULLS,
    YN,
    Decrypt,
    EnumCodes,
    KisFrameError,
    RealtimeRecord,
    ints,
    to_bool,
    to_date,
    to_decimal,
    to_int,
    to_str,
    to_time,
)

__all__ = ["Columns", "decode_columns"]

Column = list[Any]


@attrs.frozen
class Columns:
    """Typed columns of one TR: ``columns["stck_prpr"]`` lists that field of every record.

    Fields KIS sends beyond the spec's are not in the columns (decode such frames as records
    to see them in ``extra``).
    """

    record: type[RealtimeRecord]
    data: dict[str, Column] = attrs.field(repr=False)
    rows: int

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, name: str) -> Column:
        return self.data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def to_arrow(self, **options: Any) -> Any:
        """A ``pyarrow.Table`` typed by the same rule as REST rows (:mod:`kisapi_runtime.frames`:
        enum columns hold the codes, decimals float64 unless ``decimals="decimal"``)."""
        pa = frames.import_optional("pyarrow", "arrow")
        arrays = [
            frames.arrow_column(_kind(convert), values, **options)
            for values, convert in zip(self.data.values(), self.record.CONVERTERS, strict=True)
        ]
        return pa.Table.from_arrays(arrays, names=list(self.data))

    def to_polars(self, **options: Any) -> Any:
        """A ``polars.DataFrame`` (through Arrow, without copying the columns again)."""
        pl = frames.import_optional("polars", "arrow")
        return pl.from_arrow(self.to_arrow(**options))


_KINDS: Final[dict[Callable[[str], Any], str]] = {
    to_str: "str", to_int: "int", to_decimal: "decimal", to_date: "date", to_time: "time",
    to_bool: "bool",
}  # fmt: skip


def _kind(convert: Callable[[str], Any]) -> str:
    """The column kind (:mod:`kisapi_runtime.frames`) of a record property's converter."""
    if isinstance(getattr(convert, "__self__", None), EnumCodes):
        return "enum"
    return _KINDS.get(convert, "object")


def decode_columns(
    record: type[RealtimeRecord], frames: Iterable[str], *, decrypt: Decrypt | None = None
) -> Columns:
    """Typed columns of every record in ``frames`` (data frames of one of ``record``'s TR IDs).

    Encrypted frames need ``decrypt`` ((TR ID, base64 payload) -> payload). A malformed frame,
    or one of another TR, raises :class:`KisFrameError` naming it. Frames are converted in
    chunks, so the split strings of only one chunk are alive at a time.
    """
    out: list[Column] = [[] for _ in record.FIELDS]
    rows = 0
    it = iter(frames)
    while chunk := list(islice(it, _CHUNK)):
        rows += _bulk(record, out, chunk) or _frame_by_frame(record, out, chunk, decrypt)
    return Columns(record, dict(zip(record.PY_NAMES, out, strict=True)), rows)


_CHUNK: Final = 1024
"""Frames converted at a time: large enough to amortise the per-column calls."""


def _bulk(record: type[RealtimeRecord], out: list[Column], frames: list[str]) -> int:
    """Convert a chunk of plain one-record frames of one width in a few C-level passes.

    Returns the records added, or 0 (nothing added) when the chunk is anything else: the
    frame-by-frame path then decodes it, and names what is wrong.
    """
    n = len(frames)
    width = frames[0].count("^") + 1
    if set(map(str.count, frames, repeat("^"))) != {width - 1}:
        return 0
    flat = "^".join(frames).split("^")
    heads = flat[0::width]  # "0|H0STCNT0|001|<first field>"
    if set(map(str.count, heads, repeat("|"))) != {3}:
        return 0
    parts = "|".join(heads).split("|")
    if (
        set(parts[0::4]) != _PLAIN
        or set(parts[2::4]) != _ONE
        or not set(parts[1::4]).issubset(record.TR_IDS)
    ):
        return 0
    flat[0::width] = parts[3::4]
    _convert_flat(record, out, flat, width, n)
    return n


_PLAIN: Final = {"0"}
_ONE: Final = {"001"}


def _frame_by_frame(
    record: type[RealtimeRecord], out: list[Column], frames: list[str], decrypt: Decrypt | None
) -> int:
    """Append the records of ``frames`` one frame at a time (any count, width, encryption)."""
    chunk: list[str] = []
    rows = 0
    width = 0  # fields per record in the current chunk
    for frame in frames:
        try:
            flag, tr_id, count, payload = frame.split("|", 3)
        except ValueError:
            raise KisFrameError(f"not a data frame: {frame[:40]!r}") from None
        if tr_id not in record.TR_IDS:
            raise KisFrameError(f"{record.__name__}: a {tr_id} frame among its frames")
        if flag != "0":
            if flag != "1" or decrypt is None:
                raise KisFrameError(f"{tr_id}: encrypted frame but no decrypt given")
            payload = decrypt(tr_id, payload)
        n = 1 if count == "001" else _count(count, frame)
        fields = payload.count("^") + 1
        if fields != width * n:  # the first frame, or KIS changed the record's width
            if fields % n:
                raise KisFrameError(f"{record.__name__}: {fields} fields do not split into {n}")
            _convert(record, out, chunk, width)
            chunk, width = [], fields // n
        chunk.append(payload)
        rows += n
    _convert(record, out, chunk, width)
    return rows


def _count(text: str, frame: str) -> int:
    if not text.isdigit():
        raise KisFrameError(f"bad frame header: {frame[:40]!r}")
    return max(int(text), 1)


def _convert(record: type[RealtimeRecord], out: list[Column], chunk: list[str], width: int) -> None:
    """Append the records of ``chunk`` (payloads of ``width`` fields a record) to ``out``."""
    if chunk:
        flat = "^".join(chunk).split("^")
        _convert_flat(record, out, flat, width, len(flat) // width)


def _convert_flat(
    record: type[RealtimeRecord], out: list[Column], flat: list[str], width: int, rows: int
) -> None:
    """Append ``rows`` records laid end to end in ``flat`` (``width`` fields each) to ``out``."""
    for i, (column, convert) in enumerate(zip(out, record.CONVERTERS, strict=True)):
        column += convert_column(convert, flat[i::width]) if i < width else [None] * rows


# --- one column of wire strings -> typed values, equal to mapping the property converter ---

_NULL_TO_NONE: Final = dict.fromkeys(NULLS)
_strip = str.strip


def _strs(col: list[str]) -> Column:
    stripped = list(map(_strip, col))
    return list(map(_NULL_TO_NONE.get, stripped, stripped))


def _ints(col: list[str]) -> Column:
    try:
        return ints(col)
    except ValueError:
        return list(map(to_int, col))


def _decimals(col: list[str]) -> Column:
    try:
        out = list(map(Decimal, col)) if "" not in col else [Decimal(x) if x else None for x in col]
    except (ArithmeticError, ValueError):
        return list(map(to_decimal, col))
    if all(map(Decimal.is_finite, filter(None, out))):
        return out
    return list(map(to_decimal, col))


def _parsed(
    parse: Callable[[str], Any], lenient: Callable[[str], Any]
) -> Callable[[list[str]], Column]:
    def column(col: list[str]) -> Column:
        try:
            return (
                list(map(parse, col)) if "" not in col else [parse(x) if x else None for x in col]
            )
        except ValueError:
            return list(map(lenient, col))

    return column


def _bools(col: list[str]) -> Column:
    return list(map(YN.get, col))


_COLUMN: Final[dict[Callable[[str], Any], Callable[[list[str]], Column]]] = {
    to_str: _strs,
    to_int: _ints,
    to_decimal: _decimals,
    to_date: _parsed(date.fromisoformat, to_date),
    to_time: _parsed(time.fromisoformat, to_time),
    to_bool: _bools,
}


_SAMPLE: Final = 64


def convert_column(convert: Callable[[str], Any], col: list[str]) -> Column:
    """``[convert(x) for x in col]``, in one C-level pass where the values allow it.

    A column that repeats a few values (flags, codes, rates, a price that holds) converts
    each distinct value once and looks the others up.
    """
    sample = set(col[:_SAMPLE])
    if len(sample) == 1 and col.count(col[0]) == len(col):
        return [convert(col[0])] * len(col)
    if len(sample) * 4 <= min(len(col), _SAMPLE):
        table = {x: convert(x) for x in set(col)}
        return list(map(table.__getitem__, col))
    fast = _COLUMN.get(convert)
    if fast is not None:
        return fast(col)
    codes = getattr(convert, "__self__", None)
    if isinstance(codes, EnumCodes):
        return list(map(codes.__getitem__, map(_strip, col)))
    return list(map(convert, col))
