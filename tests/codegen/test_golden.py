"""The generator: golden output, determinism, and errors that point at file, line and field."""

from __future__ import annotations

import filecmp
import shutil
import textwrap
from pathlib import Path

import pytest

from codegen.load import SpecError
from codegen.render import generate
from codegen.resolve import load_project

FIXTURES = Path(__file__).parent / "fixtures" / "spec"
GOLDEN = Path(__file__).parent / "golden"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_fixture_specs_render_exactly_the_golden_output(tmp_path: Path) -> None:
    generate(load_project(FIXTURES), tmp_path, stamp=False)
    produced, expected = _tree(tmp_path), _tree(GOLDEN)
    assert sorted(produced) == sorted(expected)
    mismatched = [name for name in produced if produced[name] != expected[name]]
    assert mismatched == [], "golden output differs; run `make golden` if the change is intended"


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    project = load_project(FIXTURES)
    generate(project, tmp_path / "a")
    first = generate(project, tmp_path / "a")
    assert first == []
    generate(load_project(FIXTURES), tmp_path / "b")
    match, mismatch, errors = filecmp.cmpfiles(
        tmp_path / "a", tmp_path / "b", list(_tree(tmp_path / "a")), shallow=False
    )
    assert mismatch == [] and errors == []
    assert match


def test_stale_file_is_reported_and_removed(tmp_path: Path) -> None:
    project = load_project(FIXTURES)
    generate(project, tmp_path)
    stray = tmp_path / "kisapi" / "demo" / "gone.py"
    stray.write_text("x = 1\n")
    assert generate(project, tmp_path, write=False) == ["- demo/gone.py"]
    generate(project, tmp_path)
    assert not stray.exists()


def _copy_fixtures(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURES, spec)
    return spec


def test_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    spec = _copy_fixtures(tmp_path)
    quote = spec / "demo" / "quotations" / "quote.yaml"
    quote.write_text(quote.read_text().replace("method: GET", "method: PATCH"))
    with pytest.raises(SpecError) as err:
        load_project(spec)
    assert err.value.path.endswith("quote.yaml")
    assert err.value.field == "method"
    assert err.value.line == 6
    assert "PATCH" in str(err.value)


def test_unknown_field_type_names_the_field(tmp_path: Path) -> None:
    spec = _copy_fixtures(tmp_path)
    (spec / "demo" / "quotations" / "extra.yaml").write_text(
        textwrap.dedent(
            """\
            id: demo.extra
            title: 데모
            summary: A spec whose response field has no type anywhere.
            method: GET
            path: /uapi/demo/v1/quotations/extra
            kind: query
            tr_id: {real: DEMO0009, mock: DEMO0009}
            response:
              blocks:
                - key: output
                  shape: object
                  fields:
                    - stck_prpr
                    - mystery_field
            """
        )
    )
    with pytest.raises(SpecError) as err:
        load_project(spec)
    assert err.value.field == "response.blocks[0].fields[1]"
    assert err.value.line == 14
    assert "mystery_field" in err.value.reason


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("rows: output1", "rows: output9", "not a response block"),
        ("response: ctx_area_nk100}", "response: ctx_area_zz}", "not a response scalar"),
        ("{when: {side: sell}", "{when: {side: short}", "not among"),
    ],
)
def test_cross_reference_errors(tmp_path: Path, old: str, new: str, reason: str) -> None:
    spec = _copy_fixtures(tmp_path)
    for path in (spec / "demo" / "trading").glob("*.yaml"):
        path.write_text(path.read_text().replace(old, new))
    with pytest.raises(SpecError, match=reason):
        load_project(spec)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "{key: output1, shape: array, fields: [pdno, hldg_qty]}",
            "{key: output1, shape: array, fields: [pdno, {name: hldg_qty, always: true}]}",
            "always only in object blocks",
        ),
        (
            "{key: output1, shape: array, fields",
            "{key: output1, shape: array, optional: true, fields",
            "optional: only object blocks",
        ),
    ],
    ids=["always-in-rows", "optional-array"],
)
def test_typing_options_are_refused_where_they_would_lie(
    tmp_path: Path, old: str, new: str, reason: str
) -> None:
    spec = _copy_fixtures(tmp_path)
    balance = spec / "demo" / "trading" / "balance.yaml"
    text = balance.read_text()
    assert old in text
    balance.write_text(text.replace(old, new))
    with pytest.raises(SpecError, match=reason):
        load_project(spec)


@pytest.mark.parametrize("field", ["stck_bsop_date", "prdy_vrss_sign"])
def test_always_needs_a_kind_with_an_empty_value(tmp_path: Path, field: str) -> None:
    spec = _copy_fixtures(tmp_path)
    quote = spec / "demo" / "quotations" / "quote.yaml"
    quote.write_text(quote.read_text().replace(f" {field},", f" {{name: {field}, always: true}},"))
    with pytest.raises(SpecError, match=f"{field}: always only on fields of kind"):
        load_project(spec)
