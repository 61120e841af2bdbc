"""The resolved, typed model the templates read (templates never touch raw YAML)."""

from __future__ import annotations

import attrs

PY_TYPES = {
    "str": "str",
    "text": "str",
    "int": "int",
    "decimal": "Decimal",
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "bool": "bool",
}
"""Python type of a decoded response value per kind."""

PARAM_TYPES = {
    "str": "str",
    "text": "str",
    "int": "int",
    "decimal": "Decimal | float | str",
    "date": "date | str",
    "time": "time | str",
    "datetime": "datetime | str",
    "bool": "bool",
}
"""Python type a request parameter accepts per kind (raw KIS strings are accepted too)."""


ALWAYS_KINDS = frozenset({"str", "text", "int", "decimal"})
"""Kinds a response field marked ``always`` may have: each has an empty value for a blank."""
BLANKS = {"str": '""', "text": '""', "int": "0", "decimal": 'Decimal("0")'}
"""What a blank ``always`` field reads as (outside strict mode)."""


@attrs.frozen
class EnumValue:
    code: str
    name: str
    label: str


@attrs.frozen
class EnumDef:
    name: str
    label: str
    summary: str
    values: tuple[EnumValue, ...]


@attrs.frozen
class ErrorDef:
    code: str
    error: str
    retry: bool
    reissue_token: bool
    meaning: str
    source: str
    order_state_unknown: bool = False


@attrs.frozen
class Field:
    wire: str
    py: str
    kind: str
    enum: str | None
    label: str
    required: bool = False
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    default: str | None = None
    fixed: str | None = None
    max_length: int | None = None
    fill: str | None = None
    secret: bool = False
    en: str = ""
    """English label (spec/_shared ``en:``); empty until someone writes one."""
    always: bool = False
    """Response field KIS fills in every success: typed without ``| None``."""

    @property
    def py_type(self) -> str:
        return self.enum or PY_TYPES[self.kind]

    @property
    def annotation(self) -> str:
        """The attribute's annotation in a response model: Optional unless ``always``."""
        return self.py_type if self.always else f"{self.py_type} | None"

    @property
    def blank(self) -> str:
        """Default of the attribute (a Python expression): what a blank value reads as."""
        return BLANKS[self.kind] if self.always else "None"

    @property
    def param_type(self) -> str:
        return f"{self.enum} | str" if self.enum else PARAM_TYPES[self.kind]


@attrs.frozen
class Block:
    key: str
    py: str
    shape: str
    model: str
    fields: tuple[Field, ...]
    optional: bool = False
    """An object block KIS may leave out of a success (Optional attribute)."""

    @property
    def annotation(self) -> str:
        """The response attribute's annotation: the one place that decides a block's type."""
        if self.shape == "array":
            return self.rows_type
        return f"{self.model} | None" if self.optional else self.model

    @property
    def always(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.always)

    @property
    def rows_type(self) -> str:
        """Annotation of an array block: a list of records that converts to tables."""
        return f"_d.Rows[{self.model}]"


@attrs.frozen
class Selector:
    name: str
    values: tuple[str, ...]
    label: str
    default: str | None


@attrs.frozen
class TrIdRule:
    when: tuple[tuple[str, tuple[str, ...]], ...]
    real: str | None
    mock: str | None
    deprecated: tuple[str, ...]


@attrs.frozen
class Window:
    """A date/time window read page by page (spec ``window``; see runtime ``window``)."""

    rows: str
    key: tuple[Field, ...]
    end: tuple[str, ...]
    start: str | None
    step: str
    carry: tuple[tuple[str, str], ...]
    fixed: tuple[tuple[str, str], ...]

    @property
    def key_wires(self) -> tuple[str, ...]:
        return tuple(f.wire for f in self.key)

    @property
    def moment(self) -> str:
        """``date``, ``time`` or ``datetime``: what a row's key holds."""
        kinds = {f.kind for f in self.key}
        return "datetime" if len(kinds) > 1 else next(iter(kinds))

    @property
    def bound_type(self) -> str:
        """Python type of ``.range()``'s start and end (KIS strings accepted too)."""
        return {"date": "date | str", "time": "time | str"}.get(
            self.moment, "datetime | date | str"
        )

    @property
    def wires(self) -> frozenset[str]:
        """Request fields the window fills in (not parameters of ``.range()``)."""
        start = {self.start} if self.start else set()
        return frozenset(
            {*self.end, *start, *(r for r, _ in self.carry), *(r for r, _ in self.fixed)}
        )


@attrs.frozen
class Api:
    id: str
    product: str
    name: str
    module: str
    spec_path: str
    spec_sha256: str
    catalog_key: str | None
    accepted: tuple[tuple[str, str], ...]
    title: str
    doc_id: str
    group: str
    summary: str
    method: str
    path: str
    kind: str
    cache: bool
    hashkey: bool
    selectors: tuple[Selector, ...]
    tr_rules: tuple[TrIdRule, ...]
    request: tuple[Field, ...]
    blocks: tuple[Block, ...]
    scalars: tuple[Field, ...]
    cursor: tuple[tuple[str, str], ...] | None
    rows: str | None
    aliases: tuple[str, ...]
    window: Window | None = None

    @property
    def cls(self) -> str:
        return pascal(self.name)

    @property
    def range_params(self) -> tuple[Field, ...]:
        """Parameters of ``.range()``: those of a call minus the fields the window fills."""
        wires = self.window.wires if self.window else frozenset()
        return tuple(f for f in self.params if f.wire not in wires)

    @property
    def window_block(self) -> Block | None:
        return next((b for b in self.blocks if self.window and b.key == self.window.rows), None)

    @property
    def response_model(self) -> str:
        return f"{self.cls}Response"

    @property
    def params(self) -> tuple[Field, ...]:
        return tuple(f for f in self.request if f.fixed is None)

    @property
    def rows_block(self) -> Block | None:
        return next((b for b in self.blocks if b.key == self.rows), None)

    @property
    def enums(self) -> tuple[str, ...]:
        names = {f.enum for f in self.request if f.enum}
        names |= {f.enum for b in self.blocks for f in b.fields if f.enum}
        names |= {f.enum for f in self.scalars if f.enum}
        return tuple(sorted(n for n in names if n))

    @property
    def response_enums(self) -> tuple[str, ...]:
        names = {f.enum for b in self.blocks for f in b.fields if f.enum}
        return tuple(sorted(n for n in names if n))

    @property
    def kinds(self) -> frozenset[str]:
        fields = [*self.request, *self.scalars, *(f for b in self.blocks for f in b.fields)]
        return frozenset(f.kind for f in fields if not f.enum)

    @property
    def all_tr_ids(self) -> tuple[str, ...]:
        ids = {t for r in self.tr_rules for t in (r.real, r.mock, *r.deprecated) if t}
        return tuple(sorted(ids))


@attrs.frozen
class RealtimeApi:
    id: str
    product: str
    name: str
    module: str
    spec_path: str
    spec_sha256: str
    catalog_key: str | None
    accepted: tuple[tuple[str, str], ...]
    title: str
    doc_id: str
    summary: str
    real: str
    mock: str | None
    key_kind: str
    key_label: str
    encrypted: bool
    fields: tuple[Field, ...]
    key_index: int | None = 0
    """Position of the frame field holding the subscription key (``None``: no field does)."""

    @property
    def cls(self) -> str:
        return pascal(self.name)

    @property
    def enums(self) -> tuple[str, ...]:
        return tuple(sorted({f.enum for f in self.fields if f.enum}))

    @property
    def tr_ids(self) -> tuple[str, ...]:
        return tuple(sorted({t for t in (self.real, self.mock) if t}))


ORDER_DESKS = {
    "domestic_stock": "DomesticStockOrders",
    "overseas_stock": "OverseasStockOrders",
    "domestic_futureoption": "FuturesOrders",
}
"""Products whose namespace derives from an order desk of ``kisapi_runtime.trading``."""
DESK_METHODS = frozenset({"buy", "sell", "modify", "cancel", "find_order"})
"""What a desk adds (``kisapi_runtime.trading.HELPERS``); no endpoint of its product may clash."""


@attrs.frozen
class Product:
    name: str
    apis: tuple[Api, ...]

    @property
    def cls(self) -> str:
        return pascal(self.name)

    @property
    def order_desk(self) -> str | None:
        """The order desk class the namespace derives from (``buy``/``sell``...), if any."""
        desk = ORDER_DESKS.get(self.name)
        clash = {n for a in self.apis for n in (a.name, *a.aliases)} & DESK_METHODS
        if desk and clash:
            raise ValueError(f"{self.name}: endpoints {sorted(clash)} clash with the order desk")
        return desk


@attrs.frozen
class Project:
    products: tuple[Product, ...]
    enums: tuple[EnumDef, ...]
    errors: tuple[ErrorDef, ...]
    realtime: tuple[RealtimeApi, ...] = ()
    data: tuple[tuple[str, str], ...] = ()
    """(package-relative path, text) of the data specs (codegen/data.py)."""

    @property
    def apis(self) -> tuple[Api, ...]:
        return tuple(a for p in self.products for a in p.apis)


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
