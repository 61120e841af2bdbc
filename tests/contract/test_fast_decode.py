"""The generated REST row decoders (inline, positional) give exactly what the field-by-field
slow path gives, on every real payload and on rows with keys missing or added; bodies parse
the same with orjson and with the standard json module."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from kisapi_runtime import decode as _d
from kisapi_runtime import jsonlib

from .test_real_payloads import SUCCESS

RowDecoder = Callable[[Mapping[str, Any], bool], Any]


def row_decoders(
    api_id: str,
) -> list[tuple[RowDecoder, type, tuple[_d.FieldInfo, ...], frozenset[str]]]:
    product, name = api_id.split(".")
    module = importlib.import_module(f"kisapi.{product}.{name}")
    found = []
    for attr, fields in vars(module).items():
        if attr.startswith("_") and attr.endswith("_FIELDS"):
            model = attr[1 : -len("_FIELDS")]
            keys = getattr(module, f"_{model}_KEYS")
            found.append((getattr(module, f"_{model}"), getattr(module, model), fields, keys))
    return found


def rows_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows: list[Mapping[str, Any]] = []
    for value in body.values():
        items = value if isinstance(value, list) else [value]
        rows += [item for item in items if isinstance(item, Mapping)]
    return rows


def variants(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    first = next(iter(row), None)
    out = [dict(row), {**row, "zz_new_field": "1"}]
    if first is not None:
        out.append({k: v for k, v in row.items() if k != first})
        out.append({**{k: v for k, v in row.items() if k != first}, "zz_new_field": "1"})
    return out


def has_rows(entry: dict[str, Any], api_id: str) -> bool:
    keys = [k for *_, k in row_decoders(api_id)]
    return any(set(row) & k for row in rows_of(entry["body"]) for k in keys)


WITH_BLOCKS = [x for x in SUCCESS if has_rows(x[1], x[2])]


def test_most_real_payloads_have_blocks() -> None:
    assert len(WITH_BLOCKS) >= 15


@pytest.mark.parametrize(
    ("index", "entry", "api_id"), WITH_BLOCKS, ids=[f"{a}-{i}" for i, _, a in WITH_BLOCKS]
)
def test_fast_rows_equal_the_slow_path(index: int, entry: dict[str, Any], api_id: str) -> None:
    checked = 0
    for decode, model, fields, keys in row_decoders(api_id):
        for row in rows_of(entry["body"]):
            if not set(row) & keys:
                continue  # a row of another block
            for variant in variants(row):
                slow = _d.slow_model(model, fields, variant, keys, False, api_id)
                assert decode(variant, False) == slow, (api_id, sorted(set(variant) - keys))
                checked += 1
    assert checked


@pytest.mark.parametrize(
    ("index", "entry", "api_id"), SUCCESS[:20], ids=[f"{a}-{i}" for i, _, a in SUCCESS[:20]]
)
def test_orjson_and_json_parse_bodies_alike(
    index: int, entry: dict[str, Any], api_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.dumps(entry["body"], ensure_ascii=False).encode()
    assert jsonlib.PARSER == "orjson"  # a default dependency: the fast parser is what is tested
    fast = jsonlib.loads(raw)
    monkeypatch.setattr(jsonlib, "orjson", None)
    assert jsonlib.loads(raw) == fast == entry["body"]


def test_malformed_bodies_raise_json_decode_error_on_both(monkeypatch: pytest.MonkeyPatch) -> None:
    for parser in ("orjson", None):
        if parser is None:
            monkeypatch.setattr(jsonlib, "orjson", None)
        for bad in (b"{", b"\xff\xfe", b""):
            with pytest.raises((jsonlib.JSONDecodeError, UnicodeDecodeError)):
                jsonlib.loads(bad)
