"""codegen/data.py refuses broken master layouts and calendar tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.data import data_files
from codegen.load import SpecError

MASTER = """id: demo
title: demo
encoding: cp949
format: fixed
kind: stock
files: [{market: X, file: demo.zip, member: demo.mst}]
keys: {code: code, name: name}
head:
  - {name: code, width: 9}
  - {name: name}
tail:
  - {name: flag, width: WIDTH, type: TYPE}
"""


def _write(tmp_path: Path, text: str, name: str = "demo") -> Path:
    folder = tmp_path / "masters"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_layout_converts(tmp_path: Path) -> None:
    out = data_files(_write(tmp_path, MASTER.replace("WIDTH", "1").replace("TYPE", "bool")))
    assert '"tail_width": 1' in out["_data/masters.json"]


@pytest.mark.parametrize(
    ("width", "kind", "reason"),
    [("0", "bool", "positive"), ("x", "bool", "positive"), ("1", "money", "type must be")],
)
def test_bad_fields_are_refused(tmp_path: Path, width: str, kind: str, reason: str) -> None:
    with pytest.raises(SpecError, match=reason):
        data_files(_write(tmp_path, MASTER.replace("WIDTH", width).replace("TYPE", kind)))


def test_keys_must_name_fields(tmp_path: Path) -> None:
    text = (
        MASTER.replace("WIDTH", "1")
        .replace("TYPE", "str")
        .replace("name: name}\nhead", "name: nom}\nhead")
    )
    with pytest.raises(SpecError, match=r"keys.name"):
        data_files(_write(tmp_path, text))


def test_calendar_refuses_weekends_and_backwards_sessions(tmp_path: Path) -> None:
    real = Path("spec/calendar/krx.yaml").read_text(encoding="utf-8")
    (tmp_path / "calendar").mkdir()
    path = tmp_path / "calendar" / "krx.yaml"
    path.write_text(real.replace("2025-01-01: 신정", "2025-01-04: 토요일"), encoding="utf-8")
    with pytest.raises(SpecError, match="weekends"):
        data_files(tmp_path)
    path.write_text(real.replace('end: "18:00"', 'end: "15:00"'), encoding="utf-8")
    with pytest.raises(SpecError, match="before end"):
        data_files(tmp_path)
