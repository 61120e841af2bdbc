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
) -> list[tuple[RowDecoder, type, tuple[_d.FieldInfo, ...], frozenset[str], frozenset[str]]]:
    """(decoder, model, fields, known keys, fields KIS always fills) of each block."""
    product, name = api_id.split(".")
    module = importlib.import_module(f"kisapi.{product}.{name}")
    found = []
    for attr, fields in vars(module).items():
        if attr.startswith("_") and attr.endswith("_FIELDS"):
            model = attr[1 : -len("_FIELDS")]
            keys = getattr(module, f"_{model}_KEYS")
            always = getattr(module, f"_{model}_ALWAYS", frozenset())
            found.append(
                (getattr(module, f"_{model}"), getattr(module, model), fields, keys, always)
            )
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
    keys = [k for *_, k, _always in row_decoders(api_id)]
    return any(set(row) & k for row in rows_of(entry["body"]) for k in keys)


WITH_BLOCKS = [x for x in SUCCESS if has_rows(x[1], x[2])]


def test_most_real_payloads_have_blocks() -> None:
    assert len(WITH_BLOCKS) >= 15


@pytest.mark.parametrize(
    ("index", "entry", "api_id"), WITH_BLOCKS, ids=[f"{a}-{i}" for i, _, a in WITH_BLOCKS]
)
def test_fast_rows_equal_the_slow_path(index: int, entry: dict[str, Any], api_id: str) -> None:
    checked = 0
    for decode, model, fields, keys, always in row_decoders(api_id):
        for row in rows_of(entry["body"]):
            if not set(row) & keys:
                continue  # a row of another block
            for variant in variants(row):
                slow = _d.slow_model(model, fields, variant, keys, False, api_id, always=always)
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


def array_bodies() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for _, entry, api_id in SUCCESS:
        if any(isinstance(v, list) and len(v) >= 2 for v in entry["body"].values()):
            found.append((api_id, entry["body"]))
    return found


ARRAYS = array_bodies()


def longer(body: dict[str, Any], change: Callable[[int, dict[str, Any]], None]) -> dict[str, Any]:
    """``body`` with every array block repeated to 12 rows, ``change`` applied to each row."""
    out = dict(body)
    for key, value in body.items():
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            rows = [dict(value[i % len(value)]) for i in range(12)]
            for i, row in enumerate(rows):
                change(i, row)
            out[key] = rows
    return out


def no_change(i: int, row: dict[str, Any]) -> None:
    pass


def drop_one(i: int, row: dict[str, Any]) -> None:
    if i == 5 and row:
        del row[next(iter(row))]


def add_one(i: int, row: dict[str, Any]) -> None:
    if i == 7:
        row["zz_new_field"] = "x"


def empty_one(i: int, row: dict[str, Any]) -> None:
    if i == 3 and row:
        row[list(row)[-1]] = ""


def numbers(i: int, row: dict[str, Any]) -> None:
    for k, v in row.items():
        if isinstance(v, str) and v.lstrip("-").isdigit() and not v.startswith("0"):
            row[k] = int(v)


def nulls(i: int, row: dict[str, Any]) -> None:
    if i == 2:
        for k in list(row)[:3]:
            row[k] = "null"


def test_some_real_bodies_have_arrays() -> None:
    assert len(ARRAYS) >= 5


@pytest.mark.parametrize("change", [no_change, drop_one, add_one, empty_one, numbers, nulls])
@pytest.mark.parametrize("strict", [False, True])
def test_arrays_by_column_equal_arrays_by_row(
    change: Callable[[int, dict[str, Any]], None], strict: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kisapi_sandbox.catalog import api_for

    columns = 0
    real_column = _d._column

    def counting(*args: Any) -> Any:
        nonlocal columns
        columns += 1
        return real_column(*args)

    for api_id, body in ARRAYS:
        api = api_for(api_id)
        long = longer(body, change)
        monkeypatch.setattr(_d, "_column", counting)

        def decode(b: dict[str, Any] = long, a: Any = api) -> Any:
            try:
                return a.decode(b, strict)
            except Exception as exc:  # strict refusals must match too
                return type(exc), str(exc)

        by_column = decode()
        monkeypatch.setattr(_d, "ROWS_BY_COLUMN", 10**9)
        assert by_column == decode(), (api_id, change.__name__)
        monkeypatch.undo()
    assert columns or change is not no_change, "no array went column by column"


TRICKY_INTS = ["", " 5", "0012", "+7", "-0", "1,200", "1.5", "1e3", "null", "(null)", "nan",
               "99999999999999999999999", "٣", 7, 0, None, True]  # fmt: skip


@pytest.mark.parametrize("tricky", TRICKY_INTS, ids=repr)
def test_integers_converted_in_one_pass_equal_the_slow_path(tricky: Any) -> None:
    """Models with many integer fields convert them together (``_d.integers``): a value that
    does not suit it, in any of them, gives what the field-by-field path gives."""
    checked = 0
    for index, entry, api_id in WITH_BLOCKS:
        for decode, model, fields, keys, always in row_decoders(api_id):
            ints = [wire for wire, _py, kind, enum in fields if kind == "int" and enum is None]
            module = importlib.import_module(decode.__module__)
            if not hasattr(module, f"{decode.__name__}_INTS"):
                continue
            for row in rows_of(entry["body"]):
                if set(row) <= keys:  # keys KIS left out are filled in (KeyFill)
                    for wire in {ints[0], ints[-1], *(set(ints) & always)}:
                        variant = {**row, wire: tricky}
                        slow = _d.slow_model(
                            model, fields, variant, keys, False, api_id, always=always
                        )
                        assert decode(variant, False) == slow, (api_id, index, wire)
                        checked += 1
    assert checked >= 4
