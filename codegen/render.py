"""Render the IR through the Jinja2 templates, format with ruff, and sync into ``generated/``.

Output is deterministic: sorted inputs, no timestamps or absolute paths, ruff-formatted.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2

from . import ir

CODEGEN_DIR = Path(__file__).resolve().parent
REPO = CODEGEN_DIR.parent
TEMPLATES = CODEGEN_DIR / "templates"
PACKAGE = "kisapi"

ERROR_NAMES = (
    "KisError", "KisConfigError", "KisValidationError", "KisMockUnsupportedError",
    "KisDecodeError", "KisConnectionError", "KisTimeoutError", "KisLimitStoreError",
    "KisOrderStateUnknownError",
    "KisApiError", "KisRateLimitError", "KisAuthError", "KisTokenExpiredError",
    "KisBadRequestError", "KisOrderRejectedError", "KisOrderBadRequestError",
    "KisDataChangedError", "KisServerError",
)  # fmt: skip

# Falsy values go through _d.nothing: None and "" mean no value; a JSON 0 or false raises and
# takes the slow path, which parses it properly.
_FAST = {
    "str": "(t if (t := v.strip()) not in _d.NULLS else None) if (v := x[{i}]) else _d.nothing(v)",
    "text": "(t if (t := v.strip()) not in _d.NULLS else None) if (v := x[{i}]) else _d.nothing(v)",
    "int": "int(v) if (v := x[{i}]) else _d.nothing(v)",
    # Decimal() reads "nan"/"Infinity" without raising: a non-finite result takes the slow path.
    "decimal": "(n if (n := Decimal(v)).is_finite() else _d.nothing(v)) if (v := x[{i}]) else _d.nothing(v)",
    "date": "date.fromisoformat(v) if (v := x[{i}]) else _d.nothing(v)",
    "time": "time.fromisoformat(v) if (v := x[{i}]) else _d.nothing(v)",
    "datetime": "_d.parse_datetime(v) if (v := x[{i}]) else _d.nothing(v)",
    "bool": "_d.YN[v] if (v := x[{i}]) else _d.nothing(v)",
}


def py_literal(value: Any) -> str:
    """A Python literal for strings, None, bools, numbers and nested tuples."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if value is None or isinstance(value, bool | int):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def codes_name(enum: str) -> str:
    """``OrderDivision`` -> ``ORDER_DIVISION_CODES``: the code -> member map in enums.py."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum).upper() + "_CODES"


REST_INTS_FROM = 8
"""Response models with this many integer fields convert them in one pass (``_d.integers``)."""


def rest_ints(block: ir.Block) -> tuple[int, ...]:
    """Positions of a response block's integer fields when they are converted in one pass."""
    at = tuple(i for i, f in enumerate(block.fields) if f.kind == "int" and not f.enum)
    return at if len(at) >= REST_INTS_FROM else ()


def fast_expr(field: ir.Field, index: int, ints: tuple[int, ...] = ()) -> str:
    """Inline conversion of value ``index`` of the block's values ``x`` (in field order);
    failures fall back to the runtime's slow path (integers come from ``iv``, their one-pass
    conversion, when ``ints`` lists them)."""
    if index in ints:
        at = ints.index(index)
        # a blank ``always`` field takes the slow path, which reads it as 0
        return (
            f"(v if (v := iv[{at}]) is not None else _d.missing(v))"
            if field.always
            else f"iv[{at}]"
        )
    if field.enum:
        return f"{codes_name(field.enum)}[v] if (v := x[{index}]) else _d.nothing(v)"
    expr = _FAST[field.kind].format(i=index)
    # A blank ``always`` field takes the slow path, which reads it as the kind's empty value.
    return (
        expr.replace("else None", "else _d.missing(v)").replace("_d.nothing(v)", "_d.missing(v)")
        if field.always
        else expr
    )


# Realtime records: the whole-record read converts each field inline, with exactly the result
# of its property (records.to_*); anything these raise on falls back to the properties.
_TO_STR = "(t if (t := v[{i}].strip()) not in _NULLS else None)"
_RT_FAST = {
    "str": _TO_STR,
    "text": _TO_STR,
    "datetime": _TO_STR,
    "int": "int(x) if (x := v[{i}]) else None",
    "decimal": "(n if (n := Decimal(x)).is_finite() else None) if (x := v[{i}]) else None",
    "date": "_DATES[v[{i}]]",
    "time": "_TIMES[v[{i}]]",
    "bool": "_YN(v[{i}])",
}


def int_positions(rt: ir.RealtimeApi) -> tuple[int, ...]:
    """Positions of a realtime record's integer fields (converted together by ``_r.ints``)."""
    return tuple(i for i, f in enumerate(rt.fields) if f.kind == "int" and not f.enum)


def runs(positions: tuple[int, ...]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of consecutive numbers in ``positions``."""
    found: list[tuple[int, int]] = []
    for at in positions:
        if found and found[-1][1] == at:
            found[-1] = (found[-1][0], at + 1)
        else:
            found.append((at, at + 1))
    return found


RT_STAR_FROM = 12
"""Runs of at least this many integer fields enter the whole-record read's tuple sliced and
unpacked (``*iv[0:48]``, one C-level copy) rather than indexed one by one; a starred item
makes the rest of the display a list, which costs more than a few index reads save."""
RT_SLICE_FROM = 4
"""Runs of at least this many integer texts are gathered as one slice."""


RT_SLICED_PARTS = 4
"""A record whose integer texts make at most this many parts (a run or a lone value) gathers
them with slices (``[*v[3:51], v[60]]``); with more, one ``itemgetter`` call is cheaper."""


def realtime_int_texts(rt: ir.RealtimeApi) -> str | None:
    """The list of a realtime record's integer texts from its value list ``v``, or ``None``
    where ``_INTS`` (an itemgetter) picks them."""
    parts = [
        f"*v[{start}:{stop}]" if stop - start >= RT_SLICE_FROM else f"v[{i}]"
        for start, stop in runs(int_positions(rt))
        for i in (range(start, stop) if stop - start < RT_SLICE_FROM else (start,))
    ]
    if len(parts) == 1 and parts[0].startswith("*"):
        return parts[0][1:]  # one run: its slice is already a list
    return f"[{', '.join(parts)}]" if len(parts) <= RT_SLICED_PARTS else None


def realtime_items(rt: ir.RealtimeApi) -> list[tuple[str, str]]:
    """(expression, comment) of each item of the whole-record read's tuple display: a field's
    inline conversion, or ``*iv[a:b]`` for a run of integer fields (``iv`` holds the integers
    in field order)."""
    ints = int_positions(rt)
    items: list[tuple[str, str]] = []
    at = 0
    while at < len(rt.fields):
        stop = at
        while stop < len(rt.fields) and stop in ints:
            stop += 1
        if stop - at >= RT_STAR_FROM:
            first = ints.index(at)
            names = f"{rt.fields[at].py} .. {rt.fields[stop - 1].py}"
            items.append((f"*iv[{first}:{first + stop - at}]", names))
            at = stop
        else:
            items.append((realtime_expr(rt.fields[at], at, ints), rt.fields[at].py))
            at += 1
    return items


def realtime_expr(field: ir.Field, index: int, ints: tuple[int, ...] = ()) -> str:
    """Inline conversion of field ``index`` of a realtime record's value list ``v``
    (integers come from ``iv``, their one-pass conversion, when ``ints`` lists them)."""
    if index in ints:  # (the spec refuses ``always`` on realtime fields: a blank reads None)
        return f"iv[{ints.index(index)}]"
    if field.enum:
        return f"_{codes_name(field.enum)}[v[{index}]]"
    return _RT_FAST[field.kind].format(i=index)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    env.filters["fast"] = fast_expr
    env.filters["py_tuple"] = lambda items: py_literal(tuple(items))
    env.filters["rt_fast"] = realtime_expr
    env.filters["int_positions"] = int_positions
    env.filters["rt_int_texts"] = realtime_int_texts
    env.filters["rt_items"] = realtime_items
    env.filters["rest_ints"] = rest_ints
    env.filters["codes"] = codes_name
    env.filters["session_alias"] = lambda rt: f"_{ir.pascal(rt.product)}{rt.cls}"
    return env


def project_version() -> str:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def generator_digest() -> str:
    """Hash of the generator itself (code + templates), stamped into the manifest."""
    h = hashlib.sha256()
    for path in sorted([*CODEGEN_DIR.glob("*.py"), *TEMPLATES.glob("*.jinja")]):
        h.update(path.relative_to(CODEGEN_DIR).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def render(project: ir.Project, out: Path) -> None:
    """Write every generated source file of ``project`` under ``out/kisapi``."""
    env = environment()
    pkg = out / PACKAGE
    pkg.mkdir(parents=True, exist_ok=True)

    def write(rel: str, template: str, **ctx: Any) -> None:
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = env.get_template(template).render(**ctx)
        path.write_text(text, encoding="utf-8", newline="\n")

    write("__init__.py", "package_init.py.jinja", errors=ERROR_NAMES, version=project_version())
    write("_client.py", "client.py.jinja", project=project)
    write("_errors.py", "errors_table.py.jinja", project=project)
    write("enums.py", "enums.py.jinja", project=project)
    write("enum_labels.py", "enum_labels.py.jinja", project=project)
    write("errors.py", "errors_module.py.jinja", errors=ERROR_NAMES)
    write(
        "registry.py",
        "registry.py.jinja",
        project=project,
        enums={e.name: e for e in project.enums},
    )
    write("__main__.py", "package_main.py.jinja")
    (pkg / "py.typed").write_text("", encoding="utf-8")
    for rel, text in project.data:
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text, encoding="utf-8", newline="\n")
    for product in project.products:
        write(f"{product.name}/__init__.py", "namespace_init.py.jinja", product=product)
        for api in product.apis:
            write(f"{product.name}/{api.name}.py", "endpoint_module.py.jinja", api=api)
    if project.realtime:
        write("realtime/__init__.py", "realtime_init.py.jinja", project=project)
        write("realtime/session.py", "realtime_session.py.jinja", project=project)
        for product_name in sorted({rt.product for rt in project.realtime}):
            path = pkg / "realtime" / product_name / "__init__.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                f'"""Realtime records of {product_name}. Generated by codegen. Do not edit."""\n',
                encoding="utf-8",
            )
        for rt in project.realtime:
            write(f"realtime/{rt.product}/{rt.name}.py", "realtime_module.py.jinja", rt=rt)


def manifest(project: ir.Project, *, stamp: bool) -> str:
    """gapic_metadata-like index: every API with its module, class, TR IDs and spec hash."""
    apis = {
        api.id: {
            "module": api.module,
            "class": api.cls,
            "method": f"{api.product}.{api.name}",
            "catalog_key": api.catalog_key,
            "http": f"{api.method} {api.path}",
            "tr_ids": list(api.all_tr_ids),
            "paginated": api.cursor is not None,
            "spec": api.spec_path,
            "spec_sha256": api.spec_sha256,
        }
        for api in project.apis
    }
    tr_ids: dict[str, list[str]] = {}
    for api in project.apis:
        for tr in api.all_tr_ids:
            tr_ids.setdefault(tr, []).append(api.id)
    realtime = {
        rt.id: {"module": rt.module, "class": rt.cls, "catalog_key": rt.catalog_key, "tr_ids": list(rt.tr_ids),
                "encrypted": rt.encrypted, "spec": rt.spec_path, "spec_sha256": rt.spec_sha256}
        for rt in project.realtime
    }  # fmt: skip
    data: dict[str, Any] = {
        "apis": apis,
        "realtime": realtime,
        "tr_ids": dict(sorted(tr_ids.items())),
    }
    if stamp:
        data["generator_sha256"] = generator_digest()
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def ruff(*args: str) -> None:
    cmd = [sys.executable, "-m", "ruff", *args, "--config", str(REPO / "pyproject.toml")]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed:\n{result.stdout}{result.stderr}")


def build(project: ir.Project, workdir: Path, *, stamp: bool = True) -> Path:
    """Render, format and add the manifest; returns the package directory."""
    render(project, workdir)
    pkg = workdir / PACKAGE
    ruff("check", "--quiet", "--fix-only", "--exit-zero", str(pkg))
    ruff("format", "--quiet", str(pkg))
    (pkg / "_manifest.json").write_text(
        manifest(project, stamp=stamp), encoding="utf-8", newline="\n"
    )
    return pkg


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(root)


def sync(src: Path, dst: Path, *, write: bool) -> list[str]:
    """Make ``dst`` equal to ``src``; returns what differs (``+`` new, ``~`` changed, ``-`` stale)."""
    changes: list[str] = []
    new = set(_files(src))
    old = set(_files(dst)) if dst.exists() else set()
    for rel in sorted(new):
        target = dst / rel
        data = (src / rel).read_bytes()
        if rel not in old:
            changes.append(f"+ {rel}")
        elif target.read_bytes() != data:
            changes.append(f"~ {rel}")
        else:
            continue
        if write:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    for rel in sorted(old - new):
        changes.append(f"- {rel}")
        if write:
            (dst / rel).unlink()
    if write and dst.exists():
        for folder in sorted((p for p in dst.rglob("*") if p.is_dir()), reverse=True):
            if folder.name == "__pycache__" and not any(
                f.suffix != ".pyc" for f in folder.iterdir()
            ):
                continue
            if not any(folder.iterdir()):
                folder.rmdir()
    return changes


def generate(
    project: ir.Project, out_root: Path, *, write: bool = True, stamp: bool = True
) -> list[str]:
    """Generate into ``out_root/kisapi``; with ``write=False`` only report what would change."""
    with tempfile.TemporaryDirectory(prefix="kisapi-gen-") as tmp:
        pkg = build(project, Path(tmp), stamp=stamp)
        return sync(pkg, out_root / PACKAGE, write=write)
