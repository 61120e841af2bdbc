"""The spec's ``window`` (date/time windows read page by page): resolution, errors, output."""

from __future__ import annotations

import importlib
import inspect
import shutil
from pathlib import Path

import pytest

from codegen.load import SpecError
from codegen.resolve import load_project
from kisapi_runtime.pagination import Paginator
from kisapi_runtime.window import WindowPager

FIXTURES = Path(__file__).parent / "fixtures" / "spec"
SPEC = Path(__file__).resolve().parents[2] / "spec"

# Every API KIS pages by moving a date/time (or a returned key) back through a window.
WINDOWED = {
    "domestic_futureoption.inquire_daily_fuopchartprice",
    "domestic_stock.comp_program_trade_daily",
    "domestic_stock.daily_credit_balance",
    "domestic_stock.daily_short_sale",
    "domestic_stock.inquire_daily_indexchartprice",
    "domestic_stock.inquire_daily_itemchartprice",
    "domestic_stock.inquire_daily_trade_volume",
    "domestic_stock.inquire_index_daily_price",
    "domestic_stock.inquire_member_daily",
    "domestic_stock.inquire_time_dailychartprice",
    "domestic_stock.inquire_time_itemchartprice",
    "domestic_stock.inquire_time_itemconclusion",
    "domestic_stock.invest_opbysec",
    "domestic_stock.invest_opinion",
    "domestic_stock.investor_trade_by_stock_daily",
    "domestic_stock.program_trade_by_stock_daily",
    "etfetn.nav_comparison_daily_trend",
    "overseas_futureoption.daily_ccnl",
    "overseas_futureoption.inquire_time_futurechartprice",
    "overseas_futureoption.inquire_time_optchartprice",
    "overseas_futureoption.monthly_ccnl",
    "overseas_futureoption.opt_daily_ccnl",
    "overseas_futureoption.opt_monthly_ccnl",
    "overseas_futureoption.opt_tick_ccnl",
    "overseas_futureoption.opt_weekly_ccnl",
    "overseas_futureoption.tick_ccnl",
    "overseas_futureoption.weekly_ccnl",
    "overseas_stock.dailyprice",
    "overseas_stock.inquire_daily_chartprice",
    "overseas_stock.inquire_time_itemchartprice",
}


def test_fixture_window_resolves() -> None:
    (api,) = [a for a in load_project(FIXTURES).apis if a.id == "demo.chart"]
    assert api.window is not None
    assert api.window.moment == "date" and api.window.step == "day"
    assert api.window.wires == {"FID_INPUT_DATE_1", "FID_INPUT_DATE_2"}
    assert [f.wire for f in api.range_params] == ["FID_INPUT_ISCD"]


def test_the_windowed_apis_are_the_expected_ones() -> None:
    project = load_project(SPEC)
    assert {a.id for a in project.apis if a.window is not None} == WINDOWED
    kinds = {a.id: a.window.moment for a in project.apis if a.window is not None}
    assert kinds["domestic_stock.inquire_daily_itemchartprice"] == "date"
    assert kinds["domestic_stock.inquire_time_itemchartprice"] == "time"
    assert kinds["overseas_stock.inquire_time_itemchartprice"] == "datetime"


@pytest.mark.parametrize("api_id", sorted(WINDOWED))
def test_generated_endpoints_have_range_and_pages(api_id: str) -> None:
    module = importlib.import_module("kisapi." + api_id)
    classes = [
        v for v in vars(module).values() if inspect.isclass(v) and v.__module__ == module.__name__
    ]
    endpoints = [c for c in classes if hasattr(c, "range")]
    assert len(endpoints) == 2, endpoints  # sync and async
    for cls in endpoints:
        params = inspect.signature(cls.range).parameters
        assert list(params)[:3] == ["self", "start", "end"]
        assert "max_pages" in params
        window = module.API.window
        filled = {window.start, *window.end, *(r for r, _ in window.carry + window.fixed)}
        wire_to_py = {f.wire: f.py for f in module.API.request}
        assert not {wire_to_py[w] for w in filled if w} & set(params), "window fields are not args"
    sync = next(c for c in endpoints if not c.__name__.startswith("Async"))
    returned = inspect.signature(sync.pages).return_annotation
    expected = Paginator if module.API.pagination is not None else WindowPager
    assert str(returned).startswith(expected.__name__), returned


def _fixture_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURES, spec)
    return spec


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("key: [stck_bsop_date]", "key: [stck_clpr]", "window.key[0]", "not a date or time"),
        ("rows: output2, key", "rows: output9, key", "window.rows", "not an array response block"),
        ("end: [FID_INPUT_DATE_2]", "end: [FID_INPUT_DATE_9]", "window.end[0]", "not a request"),
        ("start: FID_INPUT_DATE_1", "start: NOPE", "window.start", "not a request field"),
        (
            "step: day}",
            "step: day, carry: {FID_INPUT_ISCD: output2.stck_clpr}}",
            "window.step",
            "no step",
        ),
        (
            "key: [stck_bsop_date]",
            "key: [stck_bsop_date, stck_bsop_date]",
            "window.key",
            "one date and one time",
        ),
    ],
)
def test_window_errors_name_the_field(
    tmp_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    spec = _fixture_copy(tmp_path)
    chart = spec / "demo" / "quotations" / "chart.yaml"
    text = chart.read_text()
    assert old in text
    chart.write_text(text.replace(old, new))
    with pytest.raises(SpecError) as err:
        load_project(spec)
    assert err.value.path.endswith("chart.yaml")
    assert err.value.field == field
    assert reason in err.value.reason


def test_schema_rejects_an_unknown_step(tmp_path: Path) -> None:
    spec = _fixture_copy(tmp_path)
    chart = spec / "demo" / "quotations" / "chart.yaml"
    chart.write_text(chart.read_text().replace("step: day", "step: week"))
    with pytest.raises(SpecError) as err:
        load_project(spec)
    assert err.value.field == "window.step"
