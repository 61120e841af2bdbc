"""The hot paths give exactly what the per-field properties give: the frame decoder (record
class looked up once per TR ID) and the whole-record read (``as_tuple``/``as_dict``/iteration)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kisapi import realtime
from kisapi_runtime import jsonlib
from kisapi_runtime.realtime.records import (
    DATES,
    TIMES,
    FrameDecoder,
    KisFrameError,
    RealtimeRecord,
    RealtimeSpec,
    TextMemo,
    ints,
    to_date,
    to_int,
    to_time,
)

TR_IDS = sorted(realtime.TR_IDS)
FRAMES = [
    e["frame"]
    for e in json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures" / "real_payloads.json").read_text(
            encoding="utf-8"
        )
    )["ws"]
    if e["frame"][:2] == "0|"
]


def by_property(record: RealtimeRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in record.PY_NAMES)


class CountingRegistry(Mapping[str, RealtimeSpec]):
    def __init__(self) -> None:
        self.lookups: list[str] = []

    def __getitem__(self, tr_id: str) -> RealtimeSpec:
        self.lookups.append(tr_id)
        return realtime.registry()[tr_id]

    def __iter__(self) -> Iterator[str]:
        return iter(realtime.TR_IDS)

    def __len__(self) -> int:
        return len(realtime.TR_IDS)


def test_the_record_class_is_looked_up_once_per_tr_id() -> None:
    registry = CountingRegistry()
    decode = FrameDecoder(registry).decode
    for _ in range(3):
        for frame in FRAMES:
            decode(frame)
    assert sorted(registry.lookups) == sorted({f.split("|")[1] for f in FRAMES})


@pytest.mark.parametrize("frame", FRAMES, ids=[f.split("|")[1] for f in FRAMES])
def test_real_frames_decode_as_before_and_read_whole_on_the_fast_path(
    frame: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tr_id, records = FrameDecoder(realtime.registry()).decode(frame)
    assert tr_id == frame.split("|")[1] and len(records) == int(frame.split("|")[2])
    record_class = realtime.spec(tr_id).record
    expected = [by_property(r) for r in records]

    def refuse(self: RealtimeRecord) -> Any:
        raise AssertionError("a real frame fell back to the per-field path")

    monkeypatch.setattr(record_class, "_read_each", refuse)
    assert [r.as_tuple() for r in records] == expected
    assert [r.as_dict() for r in records] == [
        dict(zip(r.PY_NAMES, e, strict=True)) for r, e in zip(records, expected, strict=True)
    ]
    assert [dict(r) for r in records] == [r.as_dict() for r in records]
    records[0].as_dict().clear()  # each call hands out its own dict
    assert records[0].as_dict() == dict(zip(records[0].PY_NAMES, expected[0], strict=True))


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("0|H0STCNT0", "not a data frame"),
        ("0|ZZZZZZZ0|001|a^b", "unknown realtime TR ID"),
        ("2|H0STCNT0|001|a^b", "bad frame header"),
        ("0|H0STCNT0|0x2|a^b", "bad frame header"),
        ("0|H0STCNT0|002|" + "^".join(["1"] * 95), "do not split into 2 records"),
        ("0|H0STCNT0|002|a^b^c", "3 fields for 2 record"),
        ("0|H0STCNT0|001|a^b^c", "3 fields for 1 record"),
        ("0|H0STCNT0|000|a^b^c", "for 0 record"),
        ("1|H0STCNT0|001|AAAA", "no key from a subscribe reply"),
    ],
)
def test_malformed_frames_raise_frame_errors(frame: str, reason: str) -> None:
    with pytest.raises(KisFrameError, match=reason):
        FrameDecoder(realtime.registry()).decode(frame)


# Values a field may hold: well-formed ones of every kind, KIS's no-value spellings, padding,
# and text that converts to nothing (the fast read must then give what the property gives).
VALUE = st.one_of(
    st.sampled_from(["", " ", "0", "-5", "0012", "1,200", "1.50", "-0.25", " 3 ", "nan", "NaN",
                     "Infinity", "(null)", "null", "1e3", "20261124", "2026-11-24", "093015",
                     "09:30:15", "240000", "Y", "N", "y", "1", "01", "5", "05", "A1", "샘플", "+7", "-",
                     "true", "false", '"1"', "[1]", "{}", "1_000", "٣", "99999999999999999999999",
                     "-9223372036854775809", "18446744073709551615"]),
    st.text(max_size=6),
)  # fmt: skip


@pytest.mark.parametrize("tr_id", TR_IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_whole_record_read_equals_the_properties(tr_id: str, data: st.DataObject) -> None:
    record_class = realtime.spec(tr_id).record
    width = len(record_class.FIELDS)
    values = data.draw(st.lists(VALUE, min_size=width - 2, max_size=width + 2))
    record = record_class(["" if "^" in v else v for v in values])
    assert record.as_tuple() == by_property(record)
    assert list(record) == list(zip(record.PY_NAMES, by_property(record), strict=True))


TRICKY = ["", " 5", "5 ", "\t5\n", "\u00a05", "0", "-0", "007", "+7", "-", "1,200", "1,", ",1",
          "1.5", "0.0", "-0.0", "1e3", "1E3", "nan", "NaN", "Infinity", "null", "NULL", "(null)",
          "nul", "None", "true", "false", '"1"', '""', "[1]", "[]", "[", "]", "1]", "[1", "{}",
          "1_000", "٣", "0x10", "99999999999999999999999", "-9223372036854775809",
          "18446744073709551615", "9223372036854775807"]  # fmt: skip


def assert_integers_or_refusal(texts: list[str]) -> None:
    try:
        got = ints(texts)
    except ValueError:
        return  # the caller then converts each text with to_int
    want = [to_int(t) for t in texts]
    assert [(type(g), g) for g in got] == [(type(w), w) for w in want], texts


@pytest.mark.parametrize("tricky", TRICKY)
def test_one_pass_integers_equal_to_int_or_refuse(tricky: str) -> None:
    # alone, among integers, and beside blanks first, last, inside and in runs (the blank
    # texts take another path than lists without any)
    for texts in ([tricky], ["5", tricky, "", "-3"], [tricky, tricky], ["7", tricky, "8"],
                  ["", tricky], [tricky, ""], ["", "", tricky, "", ""], [tricky, "0", "", "", "1"],
                  ["null", tricky, "2"]):  # fmt: skip
        assert_integers_or_refusal(texts)


def test_one_pass_integers_of_no_text_and_of_blanks() -> None:
    assert ints([]) == []
    assert ints([""]) == [None]
    assert ints(["", ""]) == [None, None]
    assert ints(["", "1", ""]) == [None, 1, None]
    assert ints(("-12", "0", "9223372036854775807")) == [-12, 0, 9223372036854775807]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TRICKY) | st.text('0123456789-,[]{}".tfeE nul', max_size=5)))
def test_one_pass_integers_of_any_mix_equal_to_int_or_refuse(texts: list[str]) -> None:
    assert_integers_or_refusal(texts)


@pytest.mark.parametrize("tricky", TRICKY)
def test_a_tricky_integer_in_a_real_record_reads_as_its_property(tricky: str) -> None:
    _, (record,) = FrameDecoder(realtime.registry()).decode(
        next(f for f in FRAMES if f.split("|")[1] == "H0STCNT0" and f.split("|")[2] == "001")
    )
    values = list(record._v)
    values[record.PY_NAMES.index("acml_vol")] = tricky
    changed = type(record)(values)
    assert changed.as_tuple() == by_property(changed)


@pytest.mark.parametrize("fields", [46, 47])
def test_records_of_a_several_record_frame_equal_the_frames_of_each(fields: int) -> None:
    """They share the frame's split list until read; each then reads (and pickles) as its own."""
    import pickle

    decode = FrameDecoder(realtime.registry()).decode
    ticks = [
        f.split("|", 3)[3]
        for f in FRAMES
        if f.split("|")[1] == "H0STCNT0" and f.split("|")[2] == "001"
        and len(f.split("^")) == fields
    ][:3] * 2  # fmt: skip
    _, records = decode(f"0|H0STCNT0|{len(ticks):03d}|" + "^".join(ticks))
    alone = [decode("0|H0STCNT0|001|" + t)[1][0] for t in ticks]
    assert [pickle.loads(pickle.dumps(r)) for r in records] == alone  # before any read
    assert [r.as_tuple() for r in records] == [r.as_tuple() for r in alone]
    assert [(r.raw, r.extra, hash(r)) for r in records] == [
        (r.raw, r.extra, hash(r)) for r in alone
    ]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        records[0].nope  # noqa: B018


def test_one_decoder_splits_frames_of_every_width_and_count() -> None:
    """The decoder keeps the record slices of each (fields, records) shape it has seen: frames
    of another layout or count, decoded after them, still split right, and a payload that
    does not divide into its count is refused."""
    decode = FrameDecoder(realtime.registry()).decode
    ticks = {
        len(t.split("^")): t
        for t in (f.split("|", 3)[3] for f in FRAMES if f.split("|")[1:3] == ["H0STCNT0", "001"])
    }
    assert {46, 47} <= set(ticks)
    for fields, count in ((46, 2), (47, 2), (46, 3), (47, 2), (46, 2), (47, 1)):
        _, records = decode(f"0|H0STCNT0|{count:03d}|" + "^".join([ticks[fields]] * count))
        alone = decode("0|H0STCNT0|001|" + ticks[fields])[1][0]
        assert [r.as_tuple() for r in records] == [alone.as_tuple()] * count
    with pytest.raises(KisFrameError, match="do not split into 2 records"):
        decode("0|H0STCNT0|002|" + "^".join([ticks[46], ticks[47]]))


def test_one_pass_integers_are_the_typed_msgspec_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # msgspec is a dependency on CPython: the typed parse is what the tests above exercise
    assert ints(["1", "2"]) == [1, 2]
    real = jsonlib._INT_LIST
    assert type(real).__module__.startswith("msgspec")
    parsed: list[str] = []

    class Spy:
        def decode(self, text: str) -> Any:
            result = real.decode(text)  # type: ignore[union-attr]
            parsed.append(text)
            return result

    monkeypatch.setattr(jsonlib, "_INT_LIST", Spy())
    # blanks first, inside, in a run and last all become null in the one parse
    assert ints(["", "1", "", "", "-2", ""]) == [None, 1, None, None, -2, None]
    assert ints(["7", "8"]) == [7, 8]
    assert parsed == ["[null,1,null,null,-2,null]", "[7,8]"]


@pytest.mark.parametrize("tricky", TRICKY)
def test_one_pass_integers_without_msgspec_equal_int_or_refuse(
    tricky: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonlib, "_INT_LIST", None)
    for texts in ([tricky], ["5", tricky, "", "-3"], ["", tricky]):
        assert_integers_or_refusal(texts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(TRICKY) | st.text('0123456789-,[]{}".tfeE nul', max_size=5), min_size=1
    )
)
def test_a_fixed_count_parse_equals_int_or_refuses(texts: list[str]) -> None:
    """The whole-record read's own parse of its joined integer texts: exactly as many integers
    as texts, or ValueError (a blank text is always refused: the read then goes text by text)."""
    try:
        got = jsonlib.fixed_integers(len(texts))(f"[{','.join(texts)}]")
    except ValueError:
        return
    assert "" not in texts
    want = [to_int(t) for t in texts]
    assert [(type(g), g) for g in got] == [(type(w), w) for w in want], texts


def test_a_fixed_count_parse_refuses_another_count() -> None:
    parse = jsonlib.fixed_integers(3)
    assert parse("[1,null,-3]") == (1, None, -3)
    for text in ("[1,2]", "[1,2,3,4]", "[]", "[1,,3]", "[1,2,3.0]", "[1,2,03]"):
        with pytest.raises(ValueError):
            parse(text)


def _int_positions(record: RealtimeRecord) -> list[int]:
    return [i for i, convert in enumerate(record.CONVERTERS) if convert is to_int]


def _spy_int_parse(monkeypatch: pytest.MonkeyPatch, record: RealtimeRecord) -> list[str]:
    module = sys.modules[type(record).__module__]
    real, parsed = module._INT_ARRAY, []

    def spy(text: str) -> tuple[int | None, ...]:
        parsed.append(text)
        return real(text)  # type: ignore[no-any-return]

    monkeypatch.setattr(module, "_INT_ARRAY", spy)
    return parsed


@pytest.mark.parametrize("tr_id", ["H0STCNT0", "H0STASP0"])
def test_the_whole_record_read_parses_its_integers_in_one_typed_parse(
    tr_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = FrameDecoder(realtime.registry()).decode
    for frame in (f for f in FRAMES if f.split("|")[1:3] == [tr_id, "001"]):
        (record,) = decode(frame)[1]
        parsed = _spy_int_parse(monkeypatch, record)
        assert record.as_tuple() == by_property(record)
        texts = [record._v[i] for i in _int_positions(record)]
        if texts[-1]:
            assert parsed == [f"[{','.join(texts)}]"]
        else:  # a frame of the older, shorter layout: padded, so its last integer is blank
            assert frame.count("^") + 1 < len(record.FIELDS)
            assert parsed == []


@pytest.mark.parametrize("at", ["first", "inside", "last"])
@pytest.mark.parametrize("text", ["", "007", "1.5", "+7", " 5", "1,2"])
def test_an_integer_the_typed_parse_refuses_reads_as_its_property(
    at: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = next(f for f in FRAMES if f.split("|")[1:3] == ["H0STCNT0", "001"])
    (record,) = FrameDecoder(realtime.registry()).decode(frame)[1]
    positions = _int_positions(record)
    values = list(record._v)
    values[{"first": positions[0], "inside": positions[5], "last": positions[-1]}[at]] = text
    changed = type(record)(values)
    parsed = _spy_int_parse(monkeypatch, changed)
    assert changed.as_tuple() == by_property(changed)
    assert len(parsed) == (0 if text == "" and at == "last" else 1)


def test_a_text_memo_converts_each_text_once_and_empties_at_its_limit() -> None:
    parsed: list[str] = []
    converted: list[str] = []

    def parse(text: str) -> str:
        parsed.append(text)
        if not text.isalpha():
            raise ValueError(text)
        return text.upper()

    def convert(text: str) -> str:
        converted.append(text)
        return "?"

    memo = TextMemo(convert, parse, limit=3)
    assert [memo[t] for t in ["a", "b", "a", "1", "b", "1"]] == ["A", "B", "A", "?", "B", "?"]
    assert parsed == ["a", "b", "1"] and converted == ["1"]  # convert only where parse refuses
    assert memo["d"] == "D"  # a fourth text: the memo is emptied first
    assert dict(memo) == {"d": "D"}
    assert memo["a"] == "A" and parsed == ["a", "b", "1", "d", "a"]


@pytest.mark.parametrize(
    "text", ["093015", "09:30:15", "240000", "", " ", "0930", "nan", "(null)", "093015 "]
)
def test_the_time_and_date_memos_read_as_the_properties(text: str) -> None:
    assert TIMES[text] == to_time(text) and TIMES[text] == to_time(text)
    assert DATES[text] == to_date(text)
    assert DATES["20261124"] == to_date("20261124") == date(2026, 11, 24)


def test_without_msgspec_the_whole_record_read_goes_text_by_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonlib, "_msgspec_decoder", lambda of: None)
    refuse = jsonlib.fixed_integers(2)
    with pytest.raises(ValueError, match="msgspec is not installed"):
        refuse("[1,2]")
    for tr_id in ("H0STCNT0", "H0STASP0"):
        frame = next(f for f in FRAMES if f.split("|")[1:3] == [tr_id, "001"])
        (record,) = FrameDecoder(realtime.registry()).decode(frame)[1]
        monkeypatch.setattr(sys.modules[type(record).__module__], "_INT_ARRAY", refuse)
        assert record.as_tuple() == by_property(record)
