"""What KIS does to its own documentation, applied to every generated decoder.

Fields added without notice, values that do not parse, blocks that switch between object and
array, numbers padded with spaces or thousands separators: loose decoding keeps everything
(typed or in ``extra``), strict decoding refuses with an error naming the API and the field.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from kisapi import KisDecodeError

from ..endpoints import spec_model as sm

API_IDS = sm.api_ids()
WITH_BLOCKS = [a for a in API_IDS if sm.load(a).blocks]
TYPED = {"int", "decimal", "date", "time", "datetime", "bool"}


def decoder(api_id: str) -> Callable[[Mapping[str, Any], bool], Any]:
    return importlib.import_module(sm.manifest()[api_id]["module"]).API.decode  # type: ignore[no-any-return]


def first_record(body: dict[str, Any], block: sm.RespBlock) -> dict[str, Any]:
    value = body[block.key]
    return value[0] if isinstance(value, list) else value


def first_model(parsed: Any, block: sm.RespBlock) -> Any:
    value = getattr(parsed, block.key.lower())
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_unknown_fields_are_kept_loose_and_refused_strict(api_id: str) -> None:
    api = sm.load(api_id)
    for block in api.blocks:
        body = sm.response_body(api)
        first_record(body, block)["zz_added_2026"] = "42"
        body["zz_top_level"] = "x"
        parsed = decoder(api_id)(body, False)
        assert dict(first_model(parsed, block).extra) == {"zz_added_2026": "42"}
        assert dict(parsed.extra) == {"zz_top_level": "x"}
        with pytest.raises(KisDecodeError) as info:
            decoder(api_id)(body, True)
        assert api_id in str(info.value)
        assert "zz_" in str(info.value)


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_unparsable_values_are_kept_loose_and_refused_strict(api_id: str) -> None:
    api = sm.load(api_id)
    checked = 0
    for block in api.blocks:
        for f in block.fields:
            if f.type not in TYPED and not f.type.startswith("enum:"):
                continue
            garbage = "7,780 억" if f.type != "bool" else "?"
            body = sm.response_body(api)
            first_record(body, block)[f.wire] = garbage
            model = first_model(decoder(api_id)(body, False), block)
            where = f"{api_id}.{block.key}.{f.wire}"
            assert getattr(model, f.py) == f.blank, where  # None, or "" / 0 for an always field
            assert dict(model.extra) == {f.wire: garbage}, where
            # The other fields of the record still decode.
            others = [g for g in block.fields if g.wire != f.wire and g.type in TYPED]
            for g in others[:3]:
                assert getattr(model, g.py) not in (None, g.blank), f"{where}: {g.wire} lost"
            with pytest.raises(KisDecodeError) as info:
                decoder(api_id)(body, True)
            assert api_id in str(info.value) and f.wire in str(info.value), str(info.value)
            checked += 1
    if any(f.type in TYPED or f.type.startswith("enum:") for b in api.blocks for f in b.fields):
        assert checked


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_blocks_tolerate_the_other_shape(api_id: str, strict: bool) -> None:
    api = sm.load(api_id)
    body = sm.response_body(api)
    flipped = copy.deepcopy(body)
    for block in api.blocks:
        if block.shape == "array":
            flipped[block.key] = body[block.key][0]
        else:
            flipped[block.key] = [body[block.key], sm.record(block, 1)]
    parsed = decoder(api_id)(flipped, strict)
    for block in api.blocks:
        got = getattr(parsed, block.key.lower())
        if block.shape == "array":
            assert isinstance(got, list) and len(got) == 1, block.key
            assert got[0] == decoder(api_id)(body, strict).__getattribute__(block.key.lower())[0]
        else:
            # The first record is decoded; the whole list is kept so the second is not lost.
            assert got == getattr(decoder(api_id)(body, strict), block.key.lower())
            assert parsed.extra[block.key] == flipped[block.key]


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_messy_numbers_decode(api_id: str) -> None:
    """Padding, separators and signs as KIS really sends them (see KIS_FACTS)."""
    api = sm.load(api_id)
    cases = {
        "int": [("          7550", 7550), ("-337492", -337492), ("1,234,567", 1234567), (" 0", 0)],
        "decimal": [
            ("          75.55", Decimal("75.55")),
            (" 0.00", Decimal(0)),
            ("-1,234.5", Decimal("-1234.5")),
            ("99.99", Decimal("99.99")),
        ],
    }
    for block in api.blocks:
        for f in block.fields:
            for text, want in cases.get(f.type, []):
                body = sm.response_body(api)
                first_record(body, block)[f.wire] = text
                for strict in (False, True):
                    model = first_model(decoder(api_id)(body, strict), block)
                    got = getattr(model, f.py)
                    assert got == want and type(got) is type(want), (api_id, f.wire, text, got)
                    assert not dict(model.extra)


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_empty_values_are_none(api_id: str) -> None:
    api = sm.load(api_id)
    body = sm.response_body(api)
    for block in api.blocks:
        records = body[block.key] if isinstance(body[block.key], list) else [body[block.key]]
        for rec in records:
            for key in rec:
                rec[key] = "" if len(key) % 2 else "   "
    always = [f.wire for b in api.blocks for f in b.fields if f.always]
    if always:  # a blank where KIS always sends a value: refused strict, empty value loose
        with pytest.raises(KisDecodeError) as info:
            decoder(api_id)(body, True)
        assert api_id in str(info.value) and str(info.value).split(".")[-1].split(":")[0] in always
    parsed = decoder(api_id)(body, not always)
    for block in api.blocks:
        model = first_model(parsed, block)
        for f in block.fields:
            assert getattr(model, f.py) == f.blank, (api_id, f.wire)
        assert set(model.extra) == {f.wire for f in block.fields if f.always}
        assert all(v.strip() == "" for v in model.extra.values())  # the raw blanks are kept


# --- fast path and slow path must agree (both were bugs once) ------------------------------


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_json_number_zero_is_not_lost(api_id: str) -> None:
    """KIS sends JSON numbers in places (``expires_in``); a numeric 0 must decode to 0."""
    api = sm.load(api_id)
    lost: list[str] = []
    for block in api.blocks:
        for f in block.fields:
            if f.type not in ("int", "decimal"):
                continue
            body = sm.response_body(api)
            first_record(body, block)[f.wire] = 0
            model = first_model(decoder(api_id)(body, False), block)
            if getattr(model, f.py) != 0 and model.extra.get(f.wire) != 0:
                lost.append(f"{block.key}.{f.wire}")
    assert lost == [], f"{api_id}: a JSON number 0 decoded to None and was not kept in extra"


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_null_literal_decodes_the_same_on_both_paths(api_id: str) -> None:
    """A str field holding KIS's literal ``(null)`` must not depend on the other fields."""
    api = sm.load(api_id)
    for block in api.blocks:
        text = next((f for f in block.fields if f.type in ("str", "text")), None)
        typed = next((f for f in block.fields if f.type in ("int", "decimal")), None)
        if text is None or typed is None:
            continue
        body = sm.response_body(api)
        first_record(body, block)[text.wire] = "(null)"
        fast = getattr(first_model(decoder(api_id)(body, False), block), text.py)
        first_record(body, block)[typed.wire] = "not a number"
        slow = getattr(first_model(decoder(api_id)(body, False), block), text.py)
        assert fast == slow, (
            f"{api_id}.{block.key}.{text.wire}: '(null)' -> {fast!r} inline, {slow!r} slow"
        )
        assert fast is None


# --- a success carries its object blocks; arrays may be empty ------------------------------

WITH_OBJECTS = [a for a in WITH_BLOCKS if any(b.shape == "object" for b in sm.load(a).blocks)]


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@pytest.mark.parametrize("api_id", WITH_OBJECTS)
def test_a_success_without_an_object_block_is_a_decode_error(api_id: str, strict: bool) -> None:
    api = sm.load(api_id)
    for block in api.blocks:
        if block.shape != "object":
            continue
        for missing in (None, "", []):
            body = sm.response_body(api)
            if missing is None:
                del body[block.key]
            else:
                body[block.key] = missing
            with pytest.raises(KisDecodeError) as info:
                decoder(api_id)(body, strict)
            assert f"{api_id}.{block.key}" in str(info.value), str(info.value)
            assert "missing" in str(info.value)


@pytest.mark.parametrize("api_id", WITH_BLOCKS)
def test_absent_array_blocks_are_empty_lists(api_id: str) -> None:
    api = sm.load(api_id)
    arrays = [b for b in api.blocks if b.shape == "array"]
    if not arrays:
        return
    body = sm.response_body(api)
    for block in arrays:
        del body[block.key]
    parsed = decoder(api_id)(body, True)
    for block in arrays:
        assert getattr(parsed, block.key.lower()) == [], block.key


def test_some_fields_are_always_filled() -> None:
    """The spec marks the fields KIS always fills: they decode as plain values, typed so."""
    import typing

    from kisapi.domestic_stock import inquire_price, order_cash

    hints = typing.get_type_hints(inquire_price.InquirePriceOutput)
    assert hints["stck_prpr"] is int and hints["prdy_ctrt"] is Decimal
    assert hints["new_hgpr_lwpr_cls_code"] == str | None  # KIS leaves it blank: Optional
    assert typing.get_type_hints(order_cash.OrderCashOutput)["odno"] is str
    assert typing.get_type_hints(inquire_price.InquirePriceResponse)["output"] is (
        inquire_price.InquirePriceOutput
    )
