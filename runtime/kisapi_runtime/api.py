"""What the generated code tells the runtime about one API (no TR ID is known here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Generic, Literal, TypeVar

import attrs

Kind = Literal["query", "order", "auth"]
R = TypeVar("R")


@attrs.frozen(slots=True)
class Field:
    """One request field: wire name, Python name, type kind and the checks it gets."""

    wire: str
    py: str
    kind: str
    label: str = ""
    required: bool = False
    default: str | None = None
    fixed: str | None = None
    max_length: int | None = None
    enum: type[Enum] | None = None
    fill: str | None = None
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Required only when every (selector or field, allowed values) condition holds."""


@attrs.frozen(slots=True)
class TrIdRule:
    """TR IDs used when every ``when`` condition holds (selector or field -> allowed values)."""

    when: tuple[tuple[str, tuple[str, ...]], ...]
    real: str | None
    mock: str | None


@attrs.frozen(slots=True)
class Selector:
    """A parameter that is not sent but chooses the TR ID (buy/sell, day/night...)."""

    py: str
    values: tuple[str, ...]
    default: str | None = None


@attrs.frozen(slots=True)
class Pagination:
    """Cursor keys (request wire name, response wire name) and the block that continues."""

    cursor: tuple[tuple[str, str], ...]
    rows: str


@attrs.frozen(slots=True)
class Window:
    """A date/time window read page by page, newest rows first (see :mod:`.window`).

    ``key`` names the row fields (date and/or time) giving each row's moment; ``end`` the
    request fields holding the newest moment asked for, ``start`` the one holding the oldest.
    Each later page asks again with ``end`` moved to the oldest row's moment minus ``step``,
    or, when ``carry`` is set, with those request fields copied from the previous response
    (``block.field`` or a top-level key) and ``end`` left as it was. ``fixed`` values go with
    every moved cursor.
    """

    rows: str
    key: tuple[str, ...]
    end: tuple[str, ...]
    start: str | None = None
    step: Literal["day", "minute", "none"] = "none"
    carry: tuple[tuple[str, str], ...] = ()
    fixed: tuple[tuple[str, str], ...] = ()


@attrs.frozen(slots=True)
class Block:
    """Shape of one response block: wire key, ``object`` or ``array``, and its fields."""

    key: str
    shape: Literal["object", "array"]
    fields: tuple[tuple[str, str, str, type[Enum] | None], ...]


@attrs.frozen(slots=True)
class ApiSpec(Generic[R]):
    """Everything the runtime needs to call one API and decode its answer into ``R``."""

    id: str
    title: str
    method: Literal["GET", "POST"]
    path: str
    kind: Kind
    tr_ids: tuple[TrIdRule, ...]
    request: tuple[Field, ...]
    decode: Callable[[Mapping[str, Any], bool], R]
    selectors: tuple[Selector, ...] = ()
    pagination: Pagination | None = None
    window: Window | None = None
    cacheable: bool = False
    hashkey: bool = False
    response: tuple[Block, ...] = ()
    scalars: tuple[tuple[str, str, str, type[Enum] | None], ...] = ()
