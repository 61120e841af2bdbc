"""The REST specs as the tests read them: straight from ``spec/`` with ``yaml.safe_load`` each
time the tests run (the specs change under the tests), independently of the sandbox, of the
generated code and of codegen.

A field's type is its spec entry's ``type`` or, failing that, the shared vocabulary's
(``spec/_shared/fields*.yaml``, looked up lower-cased); enum codes come from
``spec/_shared/enums*.yaml``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kisapi_sandbox import catalog

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
NOT_APIS = ("_shared", "_upstream", "schema")


@dataclass(frozen=True)
class SpecField:
    wire: str
    type: str
    """``int``, ``str``, ``bool``..., or ``enum:Name``."""
    required: bool = False
    default: str | None = None
    fixed: str | None = None
    max_length: int | None = None

    @property
    def enum(self) -> str | None:
        return self.type.split(":", 1)[1] if self.type.startswith("enum:") else None

    @property
    def must_send(self) -> bool:
        """The caller must send it: required, with no default or fixed value to fall back on."""
        return self.required and self.default is None and self.fixed is None


@dataclass(frozen=True)
class SpecBlock:
    key: str
    shape: str
    fields: tuple[SpecField, ...]


@dataclass(frozen=True)
class RestSpec:
    id: str
    file: Path
    kind: str
    method: str
    path: str
    tr_ids: tuple[tuple[str | None, str | None], ...]
    """(real, mock) per TR ID rule, in the spec's order."""
    request: tuple[SpecField, ...]
    blocks: tuple[SpecBlock, ...]
    scalars: tuple[SpecField, ...]

    def __str__(self) -> str:
        return self.id


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def shared(name: str) -> dict[str, Any]:
    """``_shared/<name>.yaml`` merged with ``_shared/<name>/*.yaml``."""
    base = SPEC_DIR / "_shared"
    merged: dict[str, Any] = {}
    for path in (base / f"{name}.yaml", *sorted((base / name).glob("*.yaml"))):
        if path.exists():
            merged.update(_read(path) or {})
    return merged


def enum_codes() -> dict[str, frozenset[str]]:
    """Enum name -> the codes KIS sends (the keys of its ``values``)."""
    return {
        name: frozenset(str(code) for code in entry["values"])
        for name, entry in shared("enums").items()
    }


def _field(raw: str | Mapping[str, Any], vocabulary: Mapping[str, Any]) -> SpecField:
    entry: Mapping[str, Any] = {"name": raw} if isinstance(raw, str) else raw
    wire = str(entry["name"])
    known: Mapping[str, Any] = vocabulary.get(wire.lower()) or {}
    default, fixed = entry.get("default"), entry.get("fixed")
    return SpecField(
        wire=wire,
        type=str(entry.get("type") or known.get("type") or "str"),
        required=bool(entry.get("required", False)),
        default=None if default is None else str(default),
        fixed=None if fixed is None else str(fixed),
        max_length=entry.get("max_length", known.get("max_length")),
    )


def rest_specs() -> list[RestSpec]:
    """Every REST spec (auth included; realtime specs left out), in file order."""
    vocabulary = shared("fields")
    specs = []
    for file in sorted(SPEC_DIR.rglob("*.yaml")):
        if file.relative_to(SPEC_DIR).parts[0] in NOT_APIS:
            continue
        data = _read(file)
        if not isinstance(data, dict) or data.get("kind") == "realtime":
            continue
        tr = data.get("tr_id")
        rules = [] if tr is None else tr.get("rules", [tr])
        response = data.get("response") or {}
        specs.append(
            RestSpec(
                id=data["id"],
                file=file,
                kind=data["kind"],
                method=data["method"],
                path=data["path"],
                tr_ids=tuple((r.get("real"), r.get("mock")) for r in rules),
                request=tuple(_field(f, vocabulary) for f in data.get("request") or []),
                blocks=tuple(
                    SpecBlock(
                        b["key"], b["shape"], tuple(_field(f, vocabulary) for f in b["fields"])
                    )
                    for b in response.get("blocks") or []
                ),
                scalars=tuple(_field(f, vocabulary) for f in response.get("scalars") or []),
            )
        )
    return specs


def fields_of(spec: RestSpec) -> Iterator[SpecField]:
    yield from spec.request
    for block in spec.blocks:
        yield from block.fields
    yield from spec.scalars


# --- is generated/ (what the sandbox runs on) behind spec/? ------------------------------


@cache
def _manifest() -> dict[str, Any]:
    text = resources.files("kisapi").joinpath("_manifest.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _generated_type(kind: str, enum: Any) -> str:
    return f"enum:{enum.__name__}" if enum is not None else kind


def behind(spec: RestSpec, codes: Mapping[str, frozenset[str]]) -> str | None:
    """Why the generated metadata the sandbox runs on is older than ``spec`` (another engineer
    edited the spec and has not run ``make generate`` yet), or None when it is current.

    Only a spec/generated mismatch is reported here; what the sandbox does with current
    metadata is what the tests check.
    """
    entry = _manifest()["apis"].get(spec.id)
    if entry is None:
        return f"{spec.id} is not generated yet"
    if entry["spec_sha256"] != hashlib.sha256(spec.file.read_bytes()).hexdigest():
        return f"{spec.file.relative_to(SPEC_DIR)} changed since generation"
    api = catalog.api_for(spec.id)
    made = {(f.wire, "request"): (_generated_type(f.kind, f.enum), f.required, f.default)
            for f in api.request}  # fmt: skip
    for block in api.response:
        made |= {
            (w, block.key): (_generated_type(k, e), False, None) for w, _p, k, e in block.fields
        }
    made |= {(w, ""): (_generated_type(k, e), False, None) for w, _p, k, e in api.scalars}
    enums = {e.__name__: e for f in api.request if (e := f.enum) is not None}
    enums |= {e.__name__: e for b in api.response for *_x, e in b.fields if e is not None}
    enums |= {e.__name__: e for *_x, e in api.scalars if e is not None}
    wanted = {(f.wire, "request"): (f.type, f.required, f.default) for f in spec.request}
    for block_ in spec.blocks:
        wanted |= {(f.wire, block_.key): (f.type, False, None) for f in block_.fields}
    wanted |= {(f.wire, ""): (f.type, False, None) for f in spec.scalars}
    for key, want in wanted.items():
        if made.get(key) != want:
            return f"{key[0]}: spec {want}, generated {made.get(key)} (shared vocabulary changed)"
    for name, enum in enums.items():
        if frozenset(str(m.value) for m in enum) != codes.get(name):
            return f"enum {name} changed since generation"
    return None
