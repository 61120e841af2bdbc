"""Turn validated spec files into the IR: fill types from the shared vocabulary and check
every cross-reference (enums, selectors, pagination keys, TR IDs)."""

from __future__ import annotations

import hashlib
import keyword
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from . import ir
from .data import data_files
from .load import DEFAULT_SCHEMA_DIR, SpecError, api_files, line_of, load_api, load_shared
from .spec_model import ApiSpecFile

# Names that would shadow the types used in generated annotations, or the models' own members.
RESERVED_PY = frozenset(
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


class _Ctx:
    """Where we are, for error messages with file and line."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.rel = path.relative_to(root.parent) if root.parent in path.parents else path

    def fail(self, location: Sequence[str | int], reason: str) -> SpecError:
        from .load import dotted

        return SpecError(self.rel, line_of(self.path, location), dotted(location), reason)


def py_name(wire: str) -> str:
    name = wire.lower()
    return name + "_" if keyword.iskeyword(name) or name in RESERVED_PY else name


def load_project(spec_dir: Path, only: Sequence[Path] | None = None) -> ir.Project:
    """Every spec under ``spec_dir`` (or only the files/folders in ``only``), resolved."""
    spec_dir = spec_dir.resolve()
    fields = load_shared(spec_dir, "fields", "/$defs/Fields")
    enums_raw = load_shared(spec_dir, "enums", "/$defs/Enums")
    errors_raw = load_shared(spec_dir, "errors", "/$defs/Errors")
    enums = tuple(
        ir.EnumDef(
            name,
            d["label"],
            d.get("summary", ""),
            tuple(
                ir.EnumValue(str(code), v["name"], v["label"]) for code, v in d["values"].items()
            ),
        )
        for name, d in sorted(enums_raw.items())
    )
    enum_names = {e.name for e in enums}
    errors = tuple(
        ir.ErrorDef(
            str(code),
            d["error"],
            d["retry"],
            d.get("reissue_token", False),
            d["meaning"],
            d["source"],
            d.get("order_state_unknown", False),
        )
        for code, d in sorted(errors_raw.items(), key=lambda item: str(item[0]))
    )
    apis: list[ir.Api] = []
    realtime: list[ir.RealtimeApi] = []
    seen: dict[str, Path] = {}
    chosen = [p.resolve() for p in only] if only else None
    for path in api_files(spec_dir):
        if chosen is not None and not any(path == c or c in path.parents for c in chosen):
            continue
        ctx = _Ctx(path, spec_dir)
        spec = load_api(path, DEFAULT_SCHEMA_DIR)
        if spec.get("kind") == "realtime":
            rt = _resolve_realtime(
                cast(dict[str, Any], spec), ctx, path, spec_dir, fields, enum_names
            )
            key = f"realtime:{rt.id}"
            if key in seen:
                raise ctx.fail(["id"], f"duplicate id, also in {seen[key]}")
            seen[key] = path
            realtime.append(rt)
            continue
        api = _resolve_api(cast(ApiSpecFile, spec), ctx, path, spec_dir, fields, enum_names)
        if api.id in seen:
            raise ctx.fail(["id"], f"duplicate id, also in {seen[api.id]}")
        seen[api.id] = path
        apis.append(api)
    by_product: dict[str, list[ir.Api]] = defaultdict(list)
    for api in apis:
        by_product[api.product].append(api)
    products = tuple(
        ir.Product(name, tuple(sorted(group, key=lambda a: a.name)))
        for name, group in sorted(by_product.items())
    )
    _check_methods(products, spec_dir)
    _check_realtime(realtime)
    data = tuple(sorted(data_files(spec_dir).items())) if chosen is None else ()
    return ir.Project(products, enums, errors, tuple(sorted(realtime, key=lambda r: r.id)), data)


def _check_realtime(items: Sequence[ir.RealtimeApi]) -> None:
    owners: dict[str, str] = {}
    for rt in items:
        for tr in rt.tr_ids:
            if tr in owners:
                raise SpecError(
                    rt.spec_path, None, "tr_id", f"{tr} is also the TR ID of {owners[tr]}"
                )
            owners[tr] = rt.id


def _resolve_realtime(
    spec: dict[str, Any],
    ctx: _Ctx,
    path: Path,
    spec_dir: Path,
    shared: Mapping[str, Any],
    enum_names: set[str],
) -> ir.RealtimeApi:
    product, name = spec["id"].split(".")
    rel = path.relative_to(spec_dir)
    if rel.parts[:2] != ("realtime", product):
        raise ctx.fail(["id"], f"realtime specs live under realtime/{product}/")
    fields = tuple(
        _field(f, ["fields", i], ctx, shared, enum_names) for i, f in enumerate(spec["fields"])
    )
    _unique(fields, ["fields"], ctx)
    _check_always(fields, "array", ["fields"], ctx)
    key_field = spec["key"].get("field", fields[0].wire)
    wires = [f.wire for f in fields]
    if key_field is not None and key_field not in wires:
        raise ctx.fail(["key", "field"], f"{key_field!r} is not one of the fields")
    return ir.RealtimeApi(
        id=spec["id"],
        product=product,
        name=name,
        module=f"kisapi.realtime.{product}.{name}",
        spec_path=str(rel),
        spec_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        catalog_key=spec.get("catalog_key"),
        accepted=_accepted(spec),
        title=spec["title"],
        doc_id=spec.get("doc_id", ""),
        summary=" ".join(spec["summary"].split()),
        real=spec["tr_id"]["real"],
        mock=spec["tr_id"]["mock"],
        key_kind=spec["key"]["kind"],
        key_label=spec["key"]["label"],
        encrypted=bool(spec["encrypted"]),
        fields=fields,
        key_index=None if key_field is None else wires.index(key_field),
    )


def _accepted(spec: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Declared differences from the upstream snapshot: (difference id, reason)."""
    accept = (spec.get("upstream") or {}).get("accept") or {}
    return tuple(sorted((str(k), " ".join(str(v).split())) for k, v in accept.items()))


def _check_methods(products: Sequence[ir.Product], spec_dir: Path) -> None:
    for product in products:
        taken: dict[str, str] = {}
        for api in product.apis:
            for name in (api.name, *api.aliases):
                if name in taken:
                    raise SpecError(
                        api.spec_path,
                        None,
                        "id",
                        f"method name {name!r} also used by {taken[name]}",
                    )
                taken[name] = api.id


def _field(
    raw: str | Mapping[str, Any],
    location: list[str | int],
    ctx: _Ctx,
    shared: Mapping[str, Any],
    enum_names: set[str],
) -> ir.Field:
    entry: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else raw
    wire = entry["name"]
    base = shared.get(wire.lower(), {})
    type_name = entry.get("type") or base.get("type")
    if type_name is None:
        raise ctx.fail(
            location,
            f"field {wire!r} has no type: add it to spec/_shared/fields.yaml or give type:",
        )
    label = entry.get("label") or base.get("label")
    if not label:
        raise ctx.fail(location, f"field {wire!r} has no label")
    enum = None
    kind = type_name
    if type_name.startswith("enum:"):
        enum = type_name.split(":", 1)[1]
        kind = "str"
        if enum not in enum_names:
            raise ctx.fail(location, f"unknown enum {enum!r} (spec/_shared/enums.yaml)")
    return ir.Field(
        wire=wire,
        py=entry.get("py_name") or py_name(wire),
        kind=kind,
        enum=enum,
        label=label,
        required=bool(entry.get("required", False)),
        required_when=tuple(
            (str(k), (v,) if isinstance(v, str) else tuple(v))
            for k, v in sorted((entry.get("required_when") or {}).items())
        ),
        default=entry.get("default"),
        fixed=entry.get("fixed"),
        max_length=entry.get("max_length", base.get("max_length")),
        fill=base.get("fill"),
        secret=bool(entry.get("secret", base.get("secret", False))),
        en=entry.get("en") or base.get("en") or "",
        always=bool(entry.get("always", False)),
    )


def _check_always(
    fields: Sequence[ir.Field], shape: str, where: list[str | int], ctx: _Ctx
) -> None:
    """``always`` (not Optional) only where a blank has an honest empty value: object blocks."""
    for i, f in enumerate(fields):
        if not f.always:
            continue
        if shape != "object":
            raise ctx.fail(
                [*where, i], f"{f.wire}: always only in object blocks (rows can be blank)"
            )
        if f.enum or f.kind not in ir.ALWAYS_KINDS:
            kinds = ", ".join(sorted(ir.ALWAYS_KINDS))
            raise ctx.fail([*where, i], f"{f.wire}: always only on fields of kind {kinds}")


def _unique(fields: Sequence[ir.Field], where: list[str | int], ctx: _Ctx) -> None:
    seen: set[str] = set()
    for i, f in enumerate(fields):
        if f.py in seen:
            raise ctx.fail([*where, i], f"duplicate field {f.wire!r} (Python name {f.py!r})")
        seen.add(f.py)


def _resolve_api(
    spec: ApiSpecFile,
    ctx: _Ctx,
    path: Path,
    spec_dir: Path,
    shared: Mapping[str, Any],
    enum_names: set[str],
) -> ir.Api:
    product, name = spec["id"].split(".")
    rel = path.relative_to(spec_dir)
    if rel.parts[0] != product:
        raise ctx.fail(["id"], f"file lives under {rel.parts[0]}/ but id says product {product!r}")
    request = tuple(
        _field(r, ["request", i], ctx, shared, enum_names)
        for i, r in enumerate(spec.get("request", []))
    )
    _unique(request, ["request"], ctx)
    response = spec.get("response", {})
    blocks: list[ir.Block] = []
    for b_i, b in enumerate(response.get("blocks", [])):
        fields = tuple(
            _field(f, ["response", "blocks", b_i, "fields", i], ctx, shared, enum_names)
            for i, f in enumerate(b["fields"])
        )
        _unique(fields, ["response", "blocks", b_i, "fields"], ctx)
        _check_always(fields, b["shape"], ["response", "blocks", b_i, "fields"], ctx)
        if b.get("optional") and b["shape"] != "object":
            raise ctx.fail(
                ["response", "blocks", b_i], "optional: only object blocks (arrays are lists)"
            )
        model = b.get("model") or ir.pascal(name) + ir.pascal(b["key"].lower())
        blocks.append(
            ir.Block(
                b["key"], py_name(b["key"]), b["shape"], model, fields, bool(b.get("optional"))
            )
        )
    scalars = tuple(
        _field(f, ["response", "scalars", i], ctx, shared, enum_names)
        for i, f in enumerate(response.get("scalars", []))
    )
    top = [*(b.py for b in blocks), *(s.py for s in scalars)]
    if len(set(top)) != len(top):
        raise ctx.fail(["response"], "duplicate block or scalar name")

    raw_tr = spec["tr_id"]
    selectors: tuple[ir.Selector, ...] = ()
    rules: list[ir.TrIdRule] = []
    if raw_tr is not None and "rules" in raw_tr:
        selectors = tuple(
            ir.Selector(s["name"], tuple(s["values"]), s["label"], s.get("default"))
            for s in raw_tr.get("select", [])
        )
        known = {s.name: set(s.values) for s in selectors} | {f.py: None for f in request}
        for r_i, rule in enumerate(raw_tr["rules"]):
            when = []
            for key, allowed in sorted(rule["when"].items()):
                values = (allowed,) if isinstance(allowed, str) else tuple(allowed)
                if key not in known:
                    raise ctx.fail(
                        ["tr_id", "rules", r_i, "when", key],
                        f"{key!r} is neither a selector nor a request field",
                    )
                choices = known[key]
                if choices is not None and not set(values) <= choices:
                    raise ctx.fail(
                        ["tr_id", "rules", r_i, "when", key],
                        f"values {values} not among {sorted(choices)}",
                    )
                when.append((key, values))
            rules.append(
                ir.TrIdRule(
                    tuple(when), rule["real"], rule["mock"], tuple(rule.get("deprecated", []))
                )
            )
    elif raw_tr is not None:
        rules.append(
            ir.TrIdRule((), raw_tr["real"], raw_tr["mock"], tuple(raw_tr.get("deprecated", [])))
        )
    names = {s.name: set(s.values) for s in selectors} | {f.py: None for f in request}
    for i, f in enumerate(request):
        for key, values in f.required_when:
            if key not in names or key == f.py:
                raise ctx.fail(
                    ["request", i, "required_when", key],
                    f"{key!r} is neither a selector nor another request field",
                )
            choices = names[key]
            if choices is not None and not set(values) <= choices:
                raise ctx.fail(
                    ["request", i, "required_when", key],
                    f"values {values} not among {sorted(choices)}",
                )
        if f.required_when and (f.required or f.default is not None or f.fixed is not None):
            raise ctx.fail(
                ["request", i, "required_when"],
                "a field with required_when is optional otherwise: no required, default or fixed",
            )
    if raw_tr is None and spec["kind"] != "auth":
        raise ctx.fail(["tr_id"], "only auth endpoints may have no TR ID")
    for s in selectors:
        if s.name in {f.py for f in request}:
            raise ctx.fail(["tr_id", "select"], f"selector {s.name!r} clashes with a request field")

    cursor = None
    rows = None
    if "pagination" in spec:
        pg = spec["pagination"]
        req_wires = {f.wire for f in request}
        scalar_wires = {f.wire for f in scalars}
        for c_i, c in enumerate(pg["cursor"]):
            if c["request"] not in req_wires:
                raise ctx.fail(
                    ["pagination", "cursor", c_i, "request"],
                    f"{c['request']!r} is not a request field",
                )
            if c["response"] not in scalar_wires:
                raise ctx.fail(
                    ["pagination", "cursor", c_i, "response"],
                    f"{c['response']!r} is not a response scalar",
                )
        cursor = tuple((c["request"], c["response"]) for c in pg["cursor"])
        rows = pg["rows"]
        if rows not in {b.key for b in blocks}:
            raise ctx.fail(["pagination", "rows"], f"{rows!r} is not a response block")
    window = _window(spec, request, blocks, scalars, ctx) if "window" in spec else None
    if spec.get("cache") and (spec["kind"] != "query" or spec["method"] != "GET"):
        raise ctx.fail(["cache"], "only query GETs may be cached")

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ir.Api(
        id=spec["id"],
        product=product,
        name=name,
        module=f"kisapi.{product}.{name}",
        spec_path=str(rel),
        spec_sha256=digest,
        catalog_key=spec.get("catalog_key"),
        accepted=_accepted(spec),
        title=spec["title"],
        doc_id=spec.get("doc_id", ""),
        group=spec.get("group", ""),
        summary=" ".join(spec["summary"].split()),
        method=spec["method"],
        path=spec["path"],
        kind=spec["kind"],
        cache=bool(spec.get("cache", False)),
        hashkey=bool(spec.get("hashkey", False)),
        selectors=selectors,
        tr_rules=tuple(rules),
        request=request,
        blocks=tuple(blocks),
        scalars=scalars,
        cursor=cursor,
        rows=rows,
        aliases=tuple(spec.get("aliases", [])),
        window=window,
    )


_RANGE_ARGS = frozenset({"start", "end", "max_pages"})


def _window(
    spec: ApiSpecFile,
    request: Sequence[ir.Field],
    blocks: Sequence[ir.Block],
    scalars: Sequence[ir.Field],
    ctx: _Ctx,
) -> ir.Window:
    """Check a ``window`` against the request fields and the rows block."""
    w = spec["window"]
    req = {f.wire: f for f in request}
    block = next((b for b in blocks if b.key == w["rows"]), None)
    if block is None or block.shape != "array":
        raise ctx.fail(["window", "rows"], f"{w['rows']!r} is not an array response block")
    fields = {f.wire: f for f in block.fields}
    key = []
    for i, wire in enumerate(w["key"]):
        if wire not in fields or fields[wire].kind not in ("date", "time") or fields[wire].enum:
            raise ctx.fail(
                ["window", "key", i], f"{wire!r} is not a date or time field of {block.key}"
            )
        key.append(fields[wire])
    if len(key) == 2 and {f.kind for f in key} != {"date", "time"}:
        raise ctx.fail(["window", "key"], "a two-field key is one date and one time field")
    named: list[tuple[str, int | None, str]] = [("end", i, w_) for i, w_ in enumerate(w["end"])]
    if "start" in w:
        named.append(("start", None, w["start"]))
    named += [("carry", None, wire) for wire in w.get("carry", {})]
    named += [("fixed", None, wire) for wire in w.get("fixed", {})]
    for part, index, wire in named:
        if wire not in req:
            where: list[str | int] = ["window", part] + ([index] if index is not None else [])
            raise ctx.fail(where, f"{wire!r} is not a request field")
        if req[wire].fixed is not None:
            raise ctx.fail(
                ["window", part], f"{wire!r} is fixed in the request; the window cannot move it"
            )
    if any(req[wire].kind == "date" for wire in w["end"]) and "date" not in {f.kind for f in key}:
        raise ctx.fail(["window", "end"], "a date request field needs a date field in the key")
    step = w.get("step", "none")
    if "carry" in w:
        scalar_wires = {f.wire for f in scalars}
        objects = {b.key: {f.wire for f in b.fields} for b in blocks}
        for wire, source in w["carry"].items():
            holder, _, name = source.rpartition(".")
            ok = name in objects.get(holder, set()) if holder else name in scalar_wires
            if not ok:
                raise ctx.fail(
                    ["window", "carry", wire], f"{source!r} is not a response block field or scalar"
                )
        if "step" in w:
            raise ctx.fail(["window", "step"], "a carry window does not move its end: no step")
    elif step == "day" and {f.kind for f in key} == {"time"}:
        raise ctx.fail(["window", "step"], "a time-of-day key cannot step a day")
    clash = _RANGE_ARGS & {f.py for f in request}
    if clash:
        raise ctx.fail(["window"], f"request fields {sorted(clash)} clash with .range() arguments")
    return ir.Window(
        rows=block.key,
        key=tuple(key),
        end=tuple(w["end"]),
        start=w.get("start"),
        step=step,
        carry=tuple(sorted(w.get("carry", {}).items())),
        fixed=tuple(sorted(w.get("fixed", {}).items())),
    )
