"""The generated reference pages carry what a reader needs (the site build runs in make check)."""

from __future__ import annotations

from pathlib import Path

from codegen.docs import api_page, realtime_page
from codegen.resolve import load_project

PROJECT = load_project(Path(__file__).resolve().parents[2] / "spec")
ENUMS = {e.name: e for e in PROJECT.enums}


def page(api_id: str) -> str:
    return api_page(next(a for a in PROJECT.apis if a.id == api_id), ENUMS)


def test_inquire_price_page() -> None:
    text = page("domestic_stock.inquire_price")
    assert text.startswith("# 주식현재가 시세\n")
    assert "real `FHKST01010100`, mock `FHKST01010100`" in text
    assert "| `stck_prpr` | int | Current price (won) | 주식 현재가 |" in text
    assert 'kis.domestic_stock.inquire_price(fid_input_iscd="005930")' in text
    assert "kisapi call domestic_stock.inquire_price --fid-input-iscd 005930 --json" in text
    assert '"stck_prpr":' in text  # example response from the cassette


def test_order_page_types_the_example_and_warns() -> None:
    text = page("domestic_stock.order_cash")
    assert 'side="buy"' in text and "ord_qty=1" in text
    assert "--execute" in text
    assert "TR ID (side=sell) | real `TTTC0011U`" in text


def test_realtime_page_lists_columns_in_order() -> None:
    rt = next(r for r in PROJECT.realtime if r.real == "H0STCNT0")
    text = realtime_page(rt, ENUMS)
    assert "| 0 | `mksc_shrn_iscd` |" in text
    assert "kisapi stream H0STCNT0 005930" in text
