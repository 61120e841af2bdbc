"""Rows of typed records -> Arrow tables, polars and pandas DataFrames (optional extras).

Every array block decodes to :class:`Rows` (a ``list``), and ``collect()`` gathers pages into
one; both convert with ``.to_arrow()``, ``.to_polars()`` and ``.to_pandas()``. Any sequence of
attrs records converts with :func:`to_arrow` / :func:`to_polars` / :func:`to_pandas`.

Column types follow the field's type (one rule, documented in the README "Tables" part):

========== ========================== ========================= ===========================
field      Arrow                      polars                    pandas
========== ========================== ========================= ===========================
int        int64                      Int64                     int64 (Int64 with blanks)
decimal    float64 (``decimals=       Float64 (Decimal)         float64 (object Decimal)
           "decimal"``: decimal128)
date       date32                     Date                      datetime64[ms]
time       time64[us]                 Time                      object (datetime.time)
datetime   timestamp[us, Asia/Seoul]  Datetime                  datetime64[us, Asia/Seoul]
bool       bool                       Boolean                   bool (boolean with blanks)
str        string                     String                    object (str)
enum       dictionary<string> codes   Categorical               category
           (or labels, names)
========== ========================== ========================= ===========================

Column names are the KIS field names; ``labels="ko"`` or ``labels="en"`` use the Korean or
English labels of the specs. Enum columns hold the KIS codes (``enums="label"``: their Korean
labels, ``enums="name"``: the member names). The ``extra`` mapping (fields KIS sent that the
spec does not know) becomes a JSON text column only with ``extra=True``. pyarrow, polars and
pandas are imported on first use.
"""

from __future__ import annotations

import functools
import importlib
import json
import operator
import sys
import typing
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Final, Literal, TypeVar

import attrs

__all__ = ["Rows", "column_kinds", "rows_of", "to_arrow", "to_pandas", "to_polars"]

T = TypeVar("T")
Labels = Literal["ko", "en"] | Mapping[str, str] | None
Decimals = Literal["float", "decimal"]
EnumValues = Literal["code", "name", "label"]
Column = tuple[str, str, "type[Enum] | None"]
"""(Python name, kind, enum class): kind is int, decimal, date, time, datetime, bool or str."""

_KINDS: Final[dict[type, str]] = {
    bool: "bool",
    int: "int",
    Decimal: "decimal",
    datetime: "datetime",
    date: "date",
    time: "time",
    str: "str",
}
KST_ZONE: Final = "Asia/Seoul"


class Rows(list[T]):
    """An array block: a ``list`` of records that also converts to a table.

    ``model`` is the record class (it gives the columns of an empty block).
    """

    __slots__ = ("model",)

    def __init__(self, rows: Iterable[T] = (), model: Any = None) -> None:
        super().__init__(rows)
        self.model = model

    def to_arrow(self, **options: Any) -> Any:
        """A ``pyarrow.Table``; options as :func:`to_arrow`."""
        return to_arrow(self, model=self.model, **options)

    def to_polars(self, **options: Any) -> Any:
        """A ``polars.DataFrame``; options as :func:`to_arrow`."""
        return to_polars(self, model=self.model, **options)

    def to_pandas(self, **options: Any) -> Any:
        """A ``pandas.DataFrame``; options as :func:`to_arrow`."""
        return to_pandas(self, model=self.model, **options)


def rows_of(rows: Iterable[T]) -> Rows[T]:
    """``rows`` when already :class:`Rows`, else :class:`Rows` of the first row's class."""
    if isinstance(rows, Rows):
        return rows
    found: Rows[T] = Rows(rows)
    if found:
        found.model = type(found[0])
    return found


@functools.cache
def column_kinds(model: type) -> tuple[Column, ...]:
    """The columns of an attrs record class, read from its field annotations (``extra`` left out)."""
    hints = typing.get_type_hints(model)
    columns: list[Column] = []
    for field in attrs.fields(model):
        if field.name == "extra":
            continue
        kind, enum = _kind(hints.get(field.name, Any))
        columns.append((field.name, kind, enum))
    return tuple(columns)


def _kind(hint: Any) -> tuple[str, type[Enum] | None]:
    if isinstance(hint, UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        hint = args[0] if len(args) == 1 else Any
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "enum", hint
    return _KINDS.get(hint, "object") if isinstance(hint, type) else "object", None


def arrow_column(
    kind: str,
    values: Sequence[Any],
    *,
    decimals: Decimals = "float",
    enums: EnumValues = "code",
) -> Any:
    """One typed column (values as the records hold them) as a ``pyarrow.Array``."""
    pa = import_optional("pyarrow", "arrow")
    if kind == "enum":
        return pa.array(_enum_texts(values, enums), pa.string()).dictionary_encode()
    if kind == "decimal":
        if decimals == "decimal":
            return _decimal128(pa, values)
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    arrow_type = {
        "int": pa.int64(),
        "date": pa.date32(),
        "time": pa.time64("us"),
        "datetime": pa.timestamp("us", tz=KST_ZONE),
        "bool": pa.bool_(),
        "str": pa.string(),
    }.get(kind)
    if arrow_type is None:  # a field of no known kind: let Arrow infer, text if it cannot
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.array(values, arrow_type)


def _enum_texts(values: Sequence[Any], enums: EnumValues) -> list[str | None]:
    if enums == "name":
        return [None if v is None else v.name for v in values]
    codes = [None if v is None else str(v.value) for v in values]
    if enums != "label":
        return codes
    member = next((v for v in values if v is not None), None)
    enum: type = type(member)
    labels = enum_labels(enum) if member is not None else {}
    return [None if c is None else labels.get(c, c) for c in codes]


@functools.cache
def enum_labels(enum: type) -> Mapping[str, str]:
    """Code -> Korean label of a generated enum (``<package>.enum_labels``), or nothing."""
    package = enum.__module__.rpartition(".")[0]
    try:
        found = importlib.import_module(f"{package}.enum_labels").LABELS
    except (ImportError, AttributeError):
        return {}
    labels: Mapping[str, str] = found.get(enum.__name__, {})
    return labels


def _decimal128(pa: Any, values: Sequence[Any]) -> Any:
    """decimal128 wide enough for every value (scale: the most decimal places seen)."""
    scale = digits = 0
    for v in values:
        if v is None:
            continue
        _, figures, exponent = v.as_tuple()
        places = max(0, -int(exponent))
        scale = max(scale, places)
        digits = max(digits, len(figures) + max(0, int(exponent)) - places)
    precision = min(38, max(1, digits + scale))
    return pa.array(list(values), pa.decimal128(precision, min(scale, precision)))


def to_arrow(
    rows: Sequence[Any],
    *,
    model: type | None = None,
    labels: Labels = None,
    extra: bool = False,
    decimals: Decimals = "float",
    enums: EnumValues = "code",
) -> Any:
    """A ``pyarrow.Table`` with one typed column per field of the records in ``rows``.

    ``model``: the record class when ``rows`` may be empty (else the first row's class).
    ``labels``: ``"ko"``/``"en"`` for the specs' labels as column names, or a mapping
    (field name -> column name). ``extra=True`` adds the ``extra`` mapping as JSON text.
    ``decimals="decimal"`` keeps decimals exact (decimal128); ``enums="label"`` writes the
    Korean labels of the KIS codes, ``enums="name"`` the enum member names.
    """
    pa = import_optional("pyarrow", "arrow")
    if model is None:
        model = type(rows[0]) if rows else None
    if model is None:
        return pa.table({})
    columns = column_kinds(model)
    names = [name for name, _, _ in columns]
    arrays = [
        arrow_column(kind, values, decimals=decimals, enums=enums)
        for (_, kind, _), values in zip(columns, _transpose(rows, names), strict=True)
    ]
    if extra:
        names.append("extra")
        texts = [json.dumps(dict(r.extra), ensure_ascii=False) if r.extra else None for r in rows]
        arrays.append(pa.array(texts, pa.string()))
    return pa.Table.from_arrays(arrays, names=_renamed(model, names, labels))


def _transpose(rows: Sequence[Any], names: list[str]) -> list[Sequence[Any]]:
    """One value list per field name: one C-level attribute read per row, then a transpose."""
    if not names:
        return []
    if len(names) == 1:
        return [list(map(operator.attrgetter(names[0]), rows))]
    if not rows:
        return [[] for _ in names]
    return list(zip(*map(operator.attrgetter(*names), rows), strict=True))


def to_polars(rows: Sequence[Any], **options: Any) -> Any:
    """A ``polars.DataFrame`` built from :func:`to_arrow` (no second conversion)."""
    pl = import_optional("polars", "arrow")
    return pl.from_arrow(to_arrow(rows, **options))


def to_pandas(rows: Sequence[Any], **options: Any) -> Any:
    """A ``pandas.DataFrame`` built from :func:`to_arrow`: ints and bools with blanks become
    the nullable ``Int64``/``boolean`` dtypes, enum columns categories, dates datetime64."""
    pd = import_optional("pandas", "pandas")
    pa = import_optional("pyarrow", "pandas")
    table = to_arrow(rows, **options)
    nullable = {
        field.name
        for field, column in zip(table.schema, table.columns, strict=True)
        if column.null_count and field.type in (pa.int64(), pa.bool_())
    }
    frame = table.to_pandas(date_as_object=False)
    for name in nullable:
        frame[name] = pa.Table.from_arrays([table[name]], names=[name]).to_pandas(
            types_mapper={pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get
        )[name]
    return frame


def _renamed(model: type, names: list[str], labels: Labels) -> list[str]:
    if labels is None:
        return names
    if isinstance(labels, str):
        if labels not in ("ko", "en"):
            raise ValueError(f"labels must be 'ko', 'en' or a mapping, got {labels!r}")
        found = field_labels(model)
        chosen = {py: (ko if labels == "ko" else en) for py, (ko, en) in found.items()}
    else:
        chosen = dict(labels)
    out: list[str] = []
    for name in names:
        label = chosen.get(name) or name
        out.append(label if label not in out else f"{label} ({name})")
    return out


@functools.cache
def field_labels(model: type) -> dict[str, tuple[str, str]]:
    """Field name -> (Korean label, English label) of a generated record class, from the
    package's registry (the API its module declares, the block with the same fields)."""
    module = sys.modules.get(model.__module__)
    api_id = getattr(module, "_ID", None)
    if not isinstance(api_id, str):
        return {}
    package = model.__module__.split(".")[0]
    try:
        info = importlib.import_module(f"{package}.registry").registry().get(api_id)
    except (ImportError, KeyError, AttributeError):
        return {}
    wanted = {name for name, _, _ in column_kinds(model)}
    for block in info.blocks:
        if {f.py for f in block.fields} == wanted:
            return {f.py: (f.label, f.en) for f in block.fields}
    return {}


def import_optional(module: str, extra: str) -> Any:
    """``module``, or an ImportError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"this needs {module}: pip install 'kisapi[{extra}]'") from None
