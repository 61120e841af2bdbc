"""An independent reading of ``spec/`` for the endpoint and contract tests.

Everything the tests expect (wire parameters, TR IDs, response field types) is computed here
from the YAML files with ``yaml.safe_load``, without going through codegen or the runtime, so
a mistake in either shows up as a difference.
"""

from __future__ import annotations

import functools
import itertools
import json
import keyword
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_DIR = ROOT / "spec"
MANIFEST_PATH = ROOT / "generated" / "kisapi" / "_manifest.json"
FIXTURES = ROOT / "tests" / "fixtures"
UPSTREAM_DIR = SPEC_DIR / "_upstream"
KST = timezone(timedelta(hours=9))

APPKEY = "PSxxxxxxxxxxxx0123456789"
APPSECRET = "secret-app-secret-0123456789abcdefghijklmnopqrstuvwxyz"
ACCOUNT = "12345678-01"
HTS_ID = "testhtsid"
FILLS = {
    "account_number": "12345678",
    "account_product": "01",
    "appkey": APPKEY,
    "appsecret": APPSECRET,
    "secretkey": APPSECRET,
    "hts_id": HTS_ID,
}
HOSTS = {
    "real": ("openapi.koreainvestment.com", 9443),
    "mock": ("openapivts.koreainvestment.com", 29443),
}


# --- the YAML ------------------------------------------------------------------------


# The generator's naming rule: lower-case wire name; Python keywords and names that would
# shadow the generated code's types or members get a trailing underscore.
SHADOWED = frozenset(
    {
        "extra",
        "rt_cd",
        "msg_cd",
        "msg1",
        "self",
        "max_pages",
        "date",
        "time",
        "datetime",
        "int",
        "str",
        "bool",
        "raw",
    }
)


def python_name(wire: str) -> str:
    name = wire.lower()
    return name + "_" if keyword.iskeyword(name) or name in SHADOWED else name


@functools.cache
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return data["apis"]


def api_ids() -> list[str]:
    return sorted(manifest())


def _shared_vocabulary(name: str) -> dict[str, Any]:
    """``_shared/<name>.yaml`` plus any fragments in ``_shared/<name>/*.yaml``."""
    base = SPEC_DIR / "_shared"
    merged: dict[str, Any] = {}
    for path in [base / f"{name}.yaml", *sorted((base / name).glob("*.yaml"))]:
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            duplicated = set(merged) & set(data)
            assert not duplicated, f"{path}: defined twice: {sorted(duplicated)}"
            merged.update(data)
    return merged


@functools.cache
def shared_fields() -> dict[str, Any]:
    return _shared_vocabulary("fields")


@functools.cache
def shared_enums() -> dict[str, Any]:
    return _shared_vocabulary("enums")


@functools.cache
def shared_errors() -> dict[str, Any]:
    return _shared_vocabulary("errors")


def enum_codes(type_name: str) -> list[str]:
    """Codes of ``enum:Name`` in the order enums.yaml lists them."""
    return [str(code) for code in shared_enums()[type_name.split(":", 1)[1]]["values"]]


@dataclass(frozen=True)
class ReqField:
    wire: str
    py: str
    type: str
    required: bool
    default: str | None
    fixed: str | None
    max_length: int | None
    fill: str | None
    secret: bool
    required_when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_enum(self) -> bool:
        return self.type.startswith("enum:")

    def required_for(self, choice: Mapping[str, str]) -> bool:
        """Required (and without default) for the selector/field values in ``choice``."""
        if self.required and self.default is None:
            return True
        return bool(self.required_when) and all(
            choice.get(name) in allowed for name, allowed in self.required_when
        )


@dataclass(frozen=True)
class RespField:
    wire: str
    py: str
    type: str
    secret: bool
    always: bool = False
    """KIS fills it in every success: typed without None, a blank reads as the kind's empty value."""

    @property
    def blank(self) -> Any:
        """What a blank value of this field decodes to outside strict mode."""
        return {"int": 0, "decimal": Decimal(0)}.get(self.type, "") if self.always else None


@dataclass(frozen=True)
class RespBlock:
    key: str
    shape: str
    fields: tuple[RespField, ...]


@dataclass(frozen=True)
class Rule:
    when: tuple[tuple[str, tuple[str, ...]], ...]
    real: str | None
    mock: str | None
    deprecated: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelectorDef:
    name: str
    values: tuple[str, ...]
    default: str | None


@dataclass(frozen=True)
class SpecApi:
    id: str
    method: str
    path: str
    kind: str
    request: tuple[ReqField, ...]
    selectors: tuple[SelectorDef, ...]
    rules: tuple[Rule, ...]
    blocks: tuple[RespBlock, ...]
    scalars: tuple[RespField, ...]
    cursor: tuple[tuple[str, str], ...] | None
    rows: str | None
    raw: Mapping[str, Any] = field(repr=False)

    @property
    def paginated(self) -> bool:
        return self.rows is not None

    def req(self, wire: str) -> ReqField:
        return next(f for f in self.request if f.wire == wire)

    def req_by_py(self, py: str) -> ReqField | None:
        return next((f for f in self.request if f.py == py), None)

    @property
    def selector_names(self) -> set[str]:
        return {s.name for s in self.selectors}


def _shared(name: str) -> dict[str, Any]:
    entry = shared_fields().get(name.lower())
    return entry if isinstance(entry, dict) else {}


def _req_field(item: str | Mapping[str, Any]) -> ReqField:
    d: Mapping[str, Any] = {"name": item} if isinstance(item, str) else item
    name = str(d["name"])
    shared = _shared(name)
    return ReqField(
        wire=name,
        py=str(d.get("py_name") or python_name(name)),
        type=str(d.get("type") or shared.get("type") or "str"),
        required=bool(d.get("required", False)),
        default=None if d.get("default") is None else str(d["default"]),
        fixed=None if d.get("fixed") is None else str(d["fixed"]),
        max_length=d.get("max_length", shared.get("max_length")),
        fill=shared.get("fill"),
        secret=bool(d.get("secret", shared.get("secret", False))),
        required_when=tuple(
            (str(k), (v,) if isinstance(v, str) else tuple(v))
            for k, v in (d.get("required_when") or {}).items()
        ),
    )


def _resp_field(item: str | Mapping[str, Any]) -> RespField:
    d: Mapping[str, Any] = {"name": item} if isinstance(item, str) else item
    name = str(d["name"])
    shared = _shared(name)
    return RespField(
        wire=name,
        py=str(d.get("py_name") or python_name(name)),
        type=str(d.get("type") or shared.get("type") or "str"),
        secret=bool(d.get("secret", shared.get("secret", False))),
        always=bool(d.get("always", False)),
    )


def _as_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


@functools.cache
def load(api_id: str) -> SpecApi:
    raw = yaml.safe_load((SPEC_DIR / manifest()[api_id]["spec"]).read_text(encoding="utf-8"))
    assert raw["id"] == api_id
    tr = raw.get("tr_id")
    selectors: list[SelectorDef] = []
    rules: list[Rule] = []
    if isinstance(tr, dict) and "rules" in tr:
        for s in tr.get("select") or []:
            selectors.append(SelectorDef(str(s["name"]), _as_tuple(s["values"]), s.get("default")))
        for r in tr["rules"]:
            when = tuple((str(k), _as_tuple(v)) for k, v in (r.get("when") or {}).items())
            rules.append(Rule(when, r.get("real"), r.get("mock"), tuple(r.get("deprecated", []))))
    elif isinstance(tr, dict):
        rules.append(Rule((), tr.get("real"), tr.get("mock"), tuple(tr.get("deprecated", []))))
    response = raw.get("response") or {}
    blocks = tuple(
        RespBlock(
            str(b["key"]), str(b["shape"]), tuple(_resp_field(f) for f in b.get("fields") or [])
        )
        for b in response.get("blocks") or []
    )
    scalars = tuple(_resp_field(f) for f in response.get("scalars") or [])
    pagination = raw.get("pagination")
    return SpecApi(
        id=api_id,
        method=str(raw["method"]),
        path=str(raw["path"]),
        kind=str(raw["kind"]),
        request=tuple(_req_field(f) for f in raw.get("request") or []),
        selectors=tuple(selectors),
        rules=tuple(rules),
        blocks=blocks,
        scalars=scalars,
        cursor=None
        if pagination is None
        else tuple((str(c["request"]), str(c["response"])) for c in pagination["cursor"]),
        rows=None if pagination is None else str(pagination["rows"]),
        raw=raw,
    )


# --- TR IDs ------------------------------------------------------------------------


def expected_tr_id(api: SpecApi, env: str, choice: Mapping[str, str]) -> str | None:
    """The TR ID the spec's rules give for ``choice`` (selector / field py name -> code).

    Returns None for a mock environment without a mock version (and for auth APIs).
    Raises LookupError when no rule matches.
    """
    if not api.rules:
        return None
    for rule in api.rules:
        if all(choice.get(name) in allowed for name, allowed in rule.when):
            return rule.mock if env == "mock" else rule.real
    raise LookupError(f"{api.id}: no rule for {dict(choice)}")


@dataclass(frozen=True)
class Case:
    """One way to call an API: the selector/field values that pick one TR ID rule."""

    api_id: str
    choice: tuple[tuple[str, str], ...]
    omitted_selectors: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        parts = [f"{k}={v}" for k, v in self.choice]
        parts += [f"{name}=<default>" for name in self.omitted_selectors]
        return self.api_id + ("[" + ",".join(parts) + "]" if parts else "")


def cases(api_id: str) -> Iterator[Case]:
    """Every combination of values named in the rules' ``when`` (so every rule is hit), plus
    one call leaving each defaulted selector out."""
    api = load(api_id)
    seen: set[tuple[tuple[str, str], ...]] = set()
    for rule in api.rules:
        names = [name for name, _ in rule.when]
        for combo in itertools.product(*(allowed for _, allowed in rule.when)):
            choice = tuple(sorted(zip(names, combo, strict=True)))
            if choice not in seen:
                seen.add(choice)
                yield Case(api_id, choice)
    if not seen:
        yield Case(api_id, ())
    defaulted = tuple(s.name for s in api.selectors if s.default is not None)
    if defaulted:
        base = tuple((s.name, str(s.default)) for s in api.selectors if s.default is not None)
        others = [c for c in seen if all(dict(c).get(k) == v for k, v in base)]
        if others:
            rest = tuple((k, v) for k, v in sorted(others)[0] if k not in defaulted)
            yield Case(api_id, rest, defaulted)


def all_cases() -> list[Case]:
    return [case for api_id in api_ids() for case in cases(api_id)]


# --- request values ------------------------------------------------------------------


@functools.cache
def request_examples() -> list[dict[str, Any]]:
    """The Postman request examples kept in the upstream snapshot, each with its API's path."""
    examples: list[dict[str, Any]] = []
    for path in sorted(UPSTREAM_DIR.glob("*.json")):
        if path.name.startswith("_"):
            continue
        for entry in json.loads(path.read_text(encoding="utf-8")).values():
            for ex in entry.get("postman", []):
                examples.append({**ex, "path": entry.get("path")})
    return examples


def example_for(api: SpecApi, tr_ids: set[str | None], env: str) -> dict[str, str]:
    """Example parameter values (upper-cased keys) from the Postman collections, matched by
    path and TR ID (examples of ``env`` first); placeholders and empty values are dropped."""
    ordered = sorted(request_examples(), key=lambda e: e.get("env") != env)
    for example in ordered:
        if example["path"] != api.path:
            continue
        tr = (example.get("tr_id") or "").strip() or None
        if tr not in tr_ids:
            continue
        params = example.get("params") or {}
        return {
            str(k).upper(): str(v)
            for k, v in params.items()
            if isinstance(v, str) and v.strip() and "{{" not in v
        }
    return {}


def python_value(f: ReqField, text: str) -> Any:
    """The Python value a caller would pass for wire text ``text`` (raises if it does not fit)."""
    kind = f.type
    if f.is_enum:
        if text not in enum_codes(kind):
            raise ValueError(text)
        from kisapi import enums

        return getattr(enums, kind.split(":", 1)[1])(text)
    if kind == "int":
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "date":
        return datetime.strptime(text, "%Y%m%d").date()
    if kind == "time":
        return datetime.strptime(text, "%H%M%S").time()
    if kind == "bool":
        return {"Y": True, "N": False}[text]
    if f.max_length is not None and len(text.encode()) > f.max_length:
        raise ValueError(text)
    return text


def wire_text(f: ReqField, value: Any) -> str:
    """KIS's string for a Python value (written independently of the runtime's codecs)."""
    if f.is_enum:
        return str(value.value if hasattr(value, "value") else value)
    if f.type == "bool":
        return "Y" if value else "N"
    if f.type == "date":
        return value.strftime("%Y%m%d")
    if f.type == "time":
        return value.strftime("%H%M%S")
    if f.type == "decimal":
        return format(Decimal(value), "f")
    return str(value)


def generated_value(f: ReqField) -> Any:
    """A valid value for a field with no usable example."""
    if f.is_enum:
        from kisapi import enums

        codes = enum_codes(f.type)
        return getattr(enums, f.type.split(":", 1)[1])(codes[-1] if len(codes) > 1 else codes[0])
    kind = f.type
    if kind == "int":
        return 150
    if kind == "decimal":
        return Decimal("123.45")
    if kind == "date":
        return date(2026, 1, 5)
    if kind == "time":
        return time(9, 30, 15)
    if kind == "bool":
        return True
    text = "0000A1B2C3D4E5F6"
    if f.max_length is not None:
        text = text[: f.max_length]
    return text


def call_values(api: SpecApi, case: Case, env: str, *, full: bool) -> dict[str, Any]:
    """Keyword arguments for one call. ``full`` gives every non-fixed, non-account field a
    value; otherwise only what is required and has no default."""
    choice = dict(case.choice)
    tr_ids: set[str | None] = set()
    for rule in api.rules:
        if all(choice.get(n) in allowed for n, allowed in rule.when):
            tr_ids |= {rule.real, rule.mock, *rule.deprecated}
            break
    if not api.rules:
        tr_ids = {None}
    example = example_for(api, tr_ids, env)
    values: dict[str, Any] = {}
    for f in api.request:
        if f.fixed is not None or f.fill is not None:
            continue
        if f.py in choice:
            values[f.py] = python_value(f, choice[f.py])
            continue
        if not full and not f.required_for(choice):
            continue
        value: Any = None
        if f.wire.upper() in example:
            try:
                value = python_value(f, example[f.wire.upper()])
            except (ValueError, KeyError):
                value = None
        values[f.py] = generated_value(f) if value is None else value
    for name, code in case.choice:
        if name in api.selector_names:
            values[name] = code
    for sel in api.selectors:  # a selector the chosen rule ignores is still an argument
        if sel.name not in values and sel.default is None:
            values[sel.name] = sel.values[0]
    return values


def expected_wire(api: SpecApi, values: Mapping[str, Any]) -> dict[str, str]:
    """The query/body KIS must receive for ``values``."""
    wire: dict[str, str] = {}
    for f in api.request:
        if f.fixed is not None:
            wire[f.wire] = f.fixed
        elif values.get(f.py) is not None:
            wire[f.wire] = wire_text(f, values[f.py])
        elif f.fill is not None:
            wire[f.wire] = FILLS[f.fill]
        elif f.default is not None:
            wire[f.wire] = f.default
        else:
            wire[f.wire] = ""
    return wire


def choice_for_tr(api: SpecApi, case: Case, values: Mapping[str, Any]) -> dict[str, str]:
    choice = {f.py: wire_text(f, values[f.py]) for f in api.request if f.py in values}
    for s in api.selectors:
        choice[s.name] = str(values.get(s.name, s.default))
    return choice


# --- response bodies -----------------------------------------------------------------

# (wire text, expected python value) per type, two rows.
_SAMPLES: dict[str, list[tuple[str, Any]]] = {
    "int": [("71200", 71200), (" -1500", -1500)],
    "decimal": [("-0.14", Decimal("-0.14")), ("1234.5600", Decimal("1234.56"))],
    "date": [("20260105", date(2026, 1, 5)), ("20251231", date(2025, 12, 31))],
    "time": [("093015", time(9, 30, 15)), ("152959", time(15, 29, 59))],
    "datetime": [
        ("2026-01-05 09:30:15", datetime(2026, 1, 5, 9, 30, 15, tzinfo=KST)),
        ("2025-12-31 23:59:59", datetime(2025, 12, 31, 23, 59, 59, tzinfo=KST)),
    ],
    "bool": [("Y", True), ("N", False)],
    "str": [("005930", "005930"), ("00000A0660  ", "00000A0660")],
    "text": [("삼성전자", "삼성전자"), ("SK하이닉스 ", "SK하이닉스")],
}


def sample(type_name: str, row: int) -> tuple[str, Any]:
    """Wire text and the expected decoded value (an enum is returned as its code)."""
    if type_name.startswith("enum:"):
        codes = enum_codes(type_name)
        code = codes[row % len(codes)] if row == 0 else codes[-1]
        return code, code
    return _SAMPLES[type_name][row % 2]


PY_TYPES: dict[str, type] = {
    "int": int,
    "decimal": Decimal,
    "date": date,
    "time": time,
    "datetime": datetime,
    "bool": bool,
    "str": str,
    "text": str,
}


def record(block: RespBlock, row: int) -> dict[str, str]:
    return {f.wire: sample(f.type, row)[0] for f in block.fields}


def response_body(
    api: SpecApi, *, scalars: Mapping[str, str] | None = None, rows: int = 2, row0: int = 0
) -> dict[str, Any]:
    """A successful body with every declared field, in KIS's string encoding."""
    body: dict[str, Any] = {}
    if api.kind != "auth":
        body.update({"rt_cd": "0", "msg_cd": "KIOK0000", "msg1": "정상처리 되었습니다.    "})
    for block in api.blocks:
        if block.shape == "array":
            body[block.key] = [record(block, (row0 + i) % 2) for i in range(rows)]
        else:
            body[block.key] = record(block, row0 % 2)
    for f in api.scalars:
        body[f.wire] = sample(f.type, 0)[0]
    if scalars:
        body.update(scalars)
    return body


def check_value(where: str, type_name: str, value: Any, expected: Any) -> list[str]:
    """Problems with one decoded value (type and value)."""
    if type_name.startswith("enum:"):
        enum_name = type_name.split(":", 1)[1]
        if type(value).__name__ != enum_name or getattr(value, "value", None) != expected:
            return [f"{where}: expected {enum_name}({expected!r}), got {value!r}"]
        return []
    want = PY_TYPES[type_name]
    if type(value) is not want or value != expected:
        return [
            f"{where}: expected {want.__name__} {expected!r}, got {type(value).__name__} {value!r}"
        ]
    return []


def check_decoded(api: SpecApi, parsed: Any, body: Mapping[str, Any]) -> list[str]:
    """Every declared field of ``body`` decoded to its type and value; no ``extra`` anywhere."""
    problems: list[str] = []
    if dict(getattr(parsed, "extra", {})):
        problems.append(f"{api.id}: top-level extra {dict(parsed.extra)!r}")
    for f in api.scalars:
        expected_text = body[f.wire]
        if f.type in ("str", "text"):
            expected: Any = expected_text.strip()
        else:
            expected = sample(f.type, 0)[1]
        problems += check_value(f"{api.id}.{f.py}", f.type, getattr(parsed, f.py), expected)
    for block in api.blocks:
        attr = block.key.lower()
        got = getattr(parsed, attr)
        raw = body[block.key]
        if block.shape == "array":
            if not isinstance(got, list) or len(got) != len(raw):
                problems.append(f"{api.id}.{attr}: expected {len(raw)} rows, got {got!r}")
                continue
            pairs = list(zip(got, raw, strict=True))
        else:
            pairs = [(got, raw)]
        for i, (model, rec) in enumerate(pairs):
            where = f"{api.id}.{attr}[{i}]"
            if model is None:
                problems.append(f"{where}: missing")
                continue
            if dict(model.extra):
                problems.append(f"{where}: extra {dict(model.extra)!r}")
            for f in block.fields:
                text = rec[f.wire]
                row = next(r for r in (0, 1) if sample(f.type, r)[0] == text)
                problems += check_value(
                    f"{where}.{f.py}", f.type, getattr(model, f.py), sample(f.type, row)[1]
                )
    return problems
