"""Every generated realtime TR decodes a sample frame: typed values, three unknown trailing
fields kept in ``extra``, a shorter (older) frame read with the missing fields as None."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest

from kisapi import realtime
from kisapi_runtime.realtime.records import RealtimeRecord, decode_records, split_frame

TR_IDS = sorted(realtime.TR_IDS)
SAMPLE = {"int": ("-1250", -1250), "decimal": ("12.50", Decimal("12.50")), "date": ("20261124", date(2026, 11, 24)),
          "time": ("093015", time(9, 30, 15)), "bool": ("Y", True), "str": ("A1", "A1"), "text": ("샘플", "샘플")}  # fmt: skip


def kind_of(record: type[RealtimeRecord], py: str) -> str:
    annotation = str(getattr(record, py).fget.__annotations__["return"]).split(" | ")[0]
    return {"int": "int", "Decimal": "decimal", "date": "date", "time": "time", "bool": "bool"}.get(
        annotation, annotation
    )


def sample(record: type[RealtimeRecord]) -> tuple[list[str], list[Any]]:
    raw, expected = [], []
    for py in record.PY_NAMES:
        kind = kind_of(record, py)
        if kind in SAMPLE:
            text, value = SAMPLE[kind]
        else:  # an enum: its first code
            import kisapi.enums as enums

            member = next(iter(getattr(enums, kind)))
            assert isinstance(member, Enum)
            text, value = str(member.value), member
        raw.append(text)
        expected.append(value)
    return raw, expected


def test_all_sixty_trs_are_generated() -> None:
    assert len({realtime.TR_IDS[t] for t in TR_IDS}) == len(realtime.MODULES) == 60


@pytest.mark.parametrize("tr_id", TR_IDS)
def test_sample_frame_decodes_typed_with_extra_fields(tr_id: str) -> None:
    record = realtime.spec(tr_id).record
    raw, expected = sample(record)
    frame = f"0|{tr_id}|002|" + "^".join([*raw, "X1", "X2", "X3"] * 2)
    _, tr, count, payload = split_frame(frame)
    records = decode_records(realtime.spec(tr).record, count, payload)
    assert len(records) == 2
    for rec in records:
        assert [getattr(rec, py) for py in record.PY_NAMES] == expected
        assert rec.extra == ("X1", "X2", "X3")


@pytest.mark.parametrize("tr_id", TR_IDS)
def test_shorter_frame_reads_missing_fields_as_none(tr_id: str) -> None:
    record = realtime.spec(tr_id).record
    raw, expected = sample(record)
    (rec,) = decode_records(record, 1, "^".join(raw[:-2]))
    values = [getattr(rec, py) for py in record.PY_NAMES]
    assert values[:-2] == expected[:-2] and values[-2:] == [None, None]
    assert rec.extra == ()
