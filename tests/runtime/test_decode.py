"""Decoding helpers: lenient shapes, unknown fields kept, strict mode."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest

from kisapi_runtime import decode as _d
from kisapi_runtime.errors import KisDecodeError


@attrs.frozen(kw_only=True)
class Row:
    price: int | None = None
    rate: Decimal | None = None
    extra: Mapping[str, Any] = _d.EMPTY


FIELDS: tuple[_d.FieldInfo, ...] = (
    ("stck_prpr", "price", "int", None),
    ("prdy_ctrt", "rate", "decimal", None),
)
KEYS = frozenset({"stck_prpr", "prdy_ctrt"})


def one(d: Mapping[str, Any], strict: bool) -> Row:
    return _d.slow_model(Row, FIELDS, d, KEYS, strict, "demo.output")


def test_slow_model_converts_and_keeps_what_does_not_parse() -> None:
    row = one({"stck_prpr": "7,780 억", "prdy_ctrt": " 0.41", "new_field": "x"}, False)
    assert row.price is None
    assert row.rate == Decimal("0.41")
    assert row.extra == {"stck_prpr": "7,780 억", "new_field": "x"}


def test_strict_mode_raises_on_unknown_and_unparsable() -> None:
    with pytest.raises(
        KisDecodeError, match=r"demo.output: fields not in the spec: \['new_field'\]"
    ):
        one({"stck_prpr": "1", "new_field": "x"}, True)
    with pytest.raises(KisDecodeError, match=r"demo.output.stck_prpr"):
        one({"stck_prpr": "abc"}, True)


def test_array_block_accepts_a_lone_object() -> None:
    assert _d.as_list({"stck_prpr": "5"}, one, False, "w") == [Row(price=5)]
    assert _d.as_list([{"stck_prpr": "5"}, {"stck_prpr": "6"}], one, False, "w") == [
        Row(price=5),
        Row(price=6),
    ]
    assert _d.as_list("", one, False, "w") == []
    assert _d.as_list(None, one, False, "w") == []


def test_object_block_accepts_a_list_and_flags_extra_items() -> None:
    assert _d.as_one([{"stck_prpr": "5"}], one, False, "w") == (Row(price=5), False)
    assert _d.as_one([{"stck_prpr": "5"}, {"stck_prpr": "6"}], one, False, "w") == (
        Row(price=5),
        True,
    )
    assert _d.as_one([], one, False, "w") == (None, False)
    with pytest.raises(KisDecodeError):
        _d.as_one("oops", one, False, "w")


def test_scalar_keeps_unparsable_value() -> None:
    extra: dict[str, Any] = {}
    assert _d.scalar({"n": "x1"}, "n", "int", None, False, "w", extra) is None
    assert extra == {"n": "x1"}
    with pytest.raises(KisDecodeError):
        _d.scalar({"n": "x1"}, "n", "int", None, True, "w", {})


def test_key_fill_learns_the_left_out_keys_and_never_hides_an_unknown_one() -> None:
    import random

    keys = frozenset("abcdef")
    fill = _d.KeyFill(keys)
    rng = random.Random(7)
    learned = 0
    for _ in range(2000):
        # mostly one shape (KIS leaves out the same keys), sometimes another or an unknown key
        present = set("abcde") if rng.random() < 0.7 else set(rng.sample(sorted(keys), 4))
        if rng.random() < 0.15:
            present.add("zz")
        d = {k: f"{k}1" for k in sorted(present, key=lambda _: rng.random())}
        before = dict(fill._none)
        full = fill(d)
        learned += before != fill._none
        if d.keys() <= keys:
            assert full == {**dict.fromkeys(keys), **d}  # every value of d kept, none overwritten
        else:  # the converter must not take this for a complete object
            assert len(full) != len(keys) or not keys <= full.keys()
        assert d == {k: f"{k}1" for k in d}  # the parsed object itself is untouched
    assert 1 < learned < 2000 * 0.5  # it learns, and the common shape is filled without learning


@pytest.mark.parametrize(
    "odd",
    [
        ["5", "1.5"],  # a row that is a list
        "5",  # a row that is a string
        {"prdy_ctrt": "1.5", "stck_prpr": "5"},  # keys in another order
        {"stck_prpr": "5", "prdy_ctrt": "NaN"},  # not a finite number
        {"stck_prpr": "5", "prdy_ctrt": 1.5},  # a JSON number where KIS sends a string
    ],
)
def test_rows_by_column_equal_rows_one_by_one(odd: Any) -> None:
    rows: list[Any] = [{"stck_prpr": str(i), "prdy_ctrt": f"{i}.25"} for i in range(40)]
    rows[17] = odd
    got = _d.as_rows(rows, one, Row, FIELDS, False, "demo.output")
    assert got == [one(r, False) for r in rows if isinstance(r, Mapping)]
    regular = _d.as_rows(rows[:17], one, Row, FIELDS, False, "demo.output")
    assert regular == [Row(price=i, rate=Decimal(f"{i}.25")) for i in range(17)]
