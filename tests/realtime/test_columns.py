"""Batch column decoding gives, field by field, what the records' properties give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kisapi import realtime
from kisapi_runtime.realtime import columns
from kisapi_runtime.realtime.columns import convert_column, decode_columns
from kisapi_runtime.realtime.crypto import decrypt, encrypt
from kisapi_runtime.realtime.records import FrameDecoder, KisFrameError, RealtimeRecord

FRAMES = [
    e["frame"]
    for e in json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures" / "real_payloads.json").read_text(
            encoding="utf-8"
        )
    )["ws"]
    if e["frame"][:2] == "0|"
]
TR_IDS = sorted({f.split("|")[1] for f in FRAMES})
KEY, IV = "k" * 32, "i" * 16


def as_records(frames: list[str]) -> list[RealtimeRecord]:
    decode = FrameDecoder(realtime.registry(), {"H0STCNI9": (KEY, IV)}).decode
    return [r for frame in frames for r in decode(frame)[1]]


def expected(record: type[RealtimeRecord], frames: list[str]) -> dict[str, list[Any]]:
    rows = [r.as_dict() for r in as_records(frames)]
    return {name: [row[name] for row in rows] for name in record.PY_NAMES}


@pytest.mark.parametrize("tr_id", TR_IDS)
def test_real_frames_of_each_tr_become_the_columns_of_their_records(tr_id: str) -> None:
    record = realtime.spec(tr_id).record
    frames = [f for f in FRAMES if f.split("|")[1] == tr_id] * 3
    got = decode_columns(record, frames)
    assert len(got) == len(as_records(frames))
    assert got.data == expected(record, frames)


def test_chunks_mixed_widths_and_multi_record_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "_CHUNK", 4)
    record = realtime.spec("H0STCNT0").record
    ticks = [f for f in FRAMES if f.split("|")[1] == "H0STCNT0"]
    assert {len(f.split("|")[3].split("^")) % 46 for f in ticks} >= {0, 1}  # 46 and 47 fields
    frames = ticks * 5
    assert decode_columns(record, frames).data == expected(record, frames)


def test_encrypted_frames_need_decrypt() -> None:
    record = realtime.spec("H0STCNI9").record
    payload = "^".join(["X"] * len(record.FIELDS))
    frame = "1|H0STCNI9|001|" + encrypt(payload, KEY, IV)
    with pytest.raises(KisFrameError, match="no decrypt"):
        decode_columns(record, [frame])
    got = decode_columns(record, [frame], decrypt=lambda _tr, p: decrypt(p, KEY, IV))
    assert got.data == expected(record, [frame])


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("0|H0STCNT0", "not a data frame"),
        ("0|H0STASP0|001|a^b", "a H0STASP0 frame among"),
        ("0|H0STCNT0|0x2|a^b", "bad frame header"),
        ("0|H0STCNT0|002|a^b^c", "do not split into 2"),
    ],
)
def test_bad_frames_are_named(frame: str, reason: str) -> None:
    with pytest.raises(KisFrameError, match=reason):
        decode_columns(realtime.spec("H0STCNT0").record, [frame])


def test_no_frames_give_empty_columns() -> None:
    got = decode_columns(realtime.spec("H0STCNT0").record, [])
    assert len(got) == 0 and all(v == [] for v in got.data.values())


def test_chunks_the_bulk_path_declines_decode_frame_by_frame() -> None:
    """A chunk with one irregular frame (a pipe in the first field, another width, two records,
    a bare count) decodes like the records, before and after it."""
    record = realtime.spec("H0STCNT0").record
    tick = next(f for f in FRAMES if f.split("|")[1] == "H0STCNT0")
    head, payload = tick.rsplit("|", 1)
    odd = [
        head + "|a|b" + payload[payload.index("^") :],
        head + "|" + payload + "^extra",
        "0|H0STCNT0|002|" + payload + "^" + payload,
        "0|H0STCNT0|1|" + payload,
    ]
    for frame in odd:
        frames = [tick] * 3 + [frame] + [tick] * 3
        assert decode_columns(record, frames).data == expected(record, frames), frame


@pytest.mark.parametrize("tr_id", ["H0STCNT0", "H0STASP0"])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_columns_of_repeated_values_equal_mapping_the_property_converter(
    tr_id: str, data: st.DataObject
) -> None:
    """Constant columns and columns of a few distinct values (converted once each)."""
    record = realtime.spec(tr_id).record
    for convert in dict.fromkeys(record.CONVERTERS):
        values = data.draw(st.lists(TEXT, min_size=1, max_size=3))
        col = data.draw(st.lists(st.sampled_from(values), min_size=20, max_size=200))
        got, want = convert_column(convert, col), [convert(x) for x in col]
        assert [(type(g), g) for g in got] == [(type(w), w) for w in want], (convert, col)


TEXT = st.one_of(
    st.sampled_from(["", " ", "0", "-5", "0012", "+7", "1,200", "1.50", "1e3", "nan", "NaN",
                     "Infinity", "null", "true", "(null)", "99999999999999999999999", "20261124",
                     "093015", "Y", "N", "1", "01", " 3 ", "٣", "[1]", '"1"']),
    st.text(max_size=5),
)  # fmt: skip


@pytest.mark.parametrize("tr_id", ["H0STCNT0", "H0STASP0", "H0IFCNT0", "H0STCNI9"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_column_converter_equals_mapping_the_property_converter(
    tr_id: str, data: st.DataObject
) -> None:
    record = realtime.spec(tr_id).record
    for convert in dict.fromkeys(record.CONVERTERS):
        col = data.draw(st.lists(TEXT, max_size=6))
        got, want = convert_column(convert, col), [convert(x) for x in col]
        assert [(type(g), g) for g in got] == [(type(w), w) for w in want], (convert, col)


def test_arrow_and_polars_tables() -> None:
    pa = pytest.importorskip("pyarrow")  # the arrow extra is part of dev: never skipped there
    record = realtime.spec("H0STCNT0").record
    frames = [f for f in FRAMES if f.split("|")[1] == "H0STCNT0"]
    cols = decode_columns(record, frames)
    table = cols.to_arrow()
    assert table.num_rows == len(cols) and table.column_names == list(record.PY_NAMES)
    assert table.column("stck_prpr").type == pa.int64()
    assert table.column("stck_prpr").to_pylist() == cols["stck_prpr"]
    assert table.column("prdy_vrss_sign").to_pylist() == [
        None if s is None else s.value for s in cols["prdy_vrss_sign"]
    ]
    frame = cols.to_polars()
    assert frame.shape == (len(cols), len(record.FIELDS))
    assert frame["acml_vol"].to_list() == cols["acml_vol"]
