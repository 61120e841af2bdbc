"""English labels of the shared vocabulary: all present, and a missing one is reported."""

from __future__ import annotations

from pathlib import Path

from codegen.labels import missing_english, report

SPEC = Path(__file__).resolve().parents[2] / "spec"


def test_every_shared_field_has_an_english_label() -> None:
    total, missing = missing_english(SPEC)
    assert total > 3000
    assert missing == []


def test_a_field_without_one_is_reported(tmp_path: Path) -> None:
    shared = tmp_path / "_shared"
    shared.mkdir()
    (shared / "fields.yaml").write_text(
        'stck_prpr: {type: int, label: "주식 현재가", en: "Current price (won)"}\n'
        'acml_vol: {type: int, label: "누적 거래량"}\n',
        encoding="utf-8",
    )
    assert missing_english(tmp_path) == (2, ["acml_vol"])
    lines = report(tmp_path, verbose=True)
    assert lines[0] == "english labels: 1 of 2 shared fields have one"
    assert "    acml_vol" in lines
