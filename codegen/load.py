"""Read spec YAML files and validate them against the JSON Schemas in ``spec/schema``.

Errors name the file, the line and the field path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema
import yaml
from referencing import Registry, Resource

from .spec_model import ApiSpecFile

SHARED_DIR = "_shared"
SCHEMA_DIR = "schema"
DATA_DIRS = ("masters", "calendar")
"""Folders of ``spec/`` holding data (codegen/data.py), not API specs."""
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "spec" / SCHEMA_DIR


class SpecError(Exception):
    """A spec file is invalid: ``file:line: field: reason``."""

    def __init__(self, path: Path | str, line: int | None, field: str, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {field or '<root>'}: {reason}")


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(path, mark.line + 1 if mark else None, "", f"invalid YAML: {exc}") from None


def line_of(path: Path, location: Sequence[str | int]) -> int | None:
    """1-based line of the node at ``location`` (keys and list indexes) in a YAML file."""
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    best = node.start_mark.line + 1 if node is not None else None
    for step in location:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:
                if key.value == step:
                    found = (key, value)
                    break
            if found is None:
                break
            best = found[0].start_mark.line + 1
            node = found[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            node = node.value[step]
            best = node.start_mark.line + 1
        else:
            break
    return best


def dotted(location: Sequence[str | int]) -> str:
    out = ""
    for step in location:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


@cache
def _registry(schema_dir: Path) -> tuple[Registry[Any], dict[str, Any]]:
    schemas = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(schema_dir.glob("*.json"))
    }
    resources = [(s["$id"], Resource.from_contents(s)) for s in schemas.values()]
    return Registry().with_resources(resources), schemas


def validator(
    schema_dir: Path, schema_file: str, pointer: str = ""
) -> jsonschema.Draft202012Validator:
    registry, schemas = _registry(schema_dir)
    schema: dict[str, Any] = schemas[schema_file]
    if pointer:
        schema = {"$ref": f"{schema['$id']}#{pointer}"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check(data: Any, path: Path, v: jsonschema.Draft202012Validator) -> None:
    """Raise SpecError for the most relevant schema violation in ``data``."""
    error = jsonschema.exceptions.best_match(v.iter_errors(data))
    if error is not None:
        location = list(error.absolute_path)
        raise SpecError(path, line_of(path, location), dotted(location), error.message)


def api_files(spec_dir: Path) -> Iterator[Path]:
    for path in sorted(spec_dir.rglob("*.yaml")):
        rel = path.relative_to(spec_dir)
        if rel.parts[0] in (SHARED_DIR, SCHEMA_DIR, *DATA_DIRS):
            continue
        yield path


def load_api(path: Path, schema_dir: Path) -> ApiSpecFile | dict[str, Any]:
    """A REST spec (api.schema.json) or, with ``kind: realtime``, a realtime spec."""
    data = read_yaml(path)
    schema = (
        "realtime.schema.json"
        if isinstance(data, dict) and data.get("kind") == "realtime"
        else "api.schema.json"
    )
    check(data, path, validator(schema_dir, schema))
    return cast(ApiSpecFile, data)


def load_shared(
    spec_dir: Path, name: str, pointer: str, schema_dir: Path = DEFAULT_SCHEMA_DIR
) -> dict[str, Any]:
    """``_shared/<name>.yaml`` merged with the fragments in ``_shared/<name>/*.yaml``.

    A name defined twice is an error: the vocabulary types every field exactly once.
    """
    base = spec_dir / SHARED_DIR
    paths = [base / f"{name}.yaml", *sorted((base / name).glob("*.yaml"))]
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            continue
        data = read_yaml(path) or {}
        check(data, path, validator(schema_dir, "shared.schema.json", pointer))
        for key, value in cast(dict[str, Any], data).items():
            if key in merged:
                raise SpecError(
                    path, line_of(path, [key]), key, f"already defined in {origin[key]}"
                )
            merged[key] = value
            origin[key] = path
    return merged
