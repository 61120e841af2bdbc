"""The maintainer tools: drafting a spec from the catalog, and the coverage report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from codegen import reference
from codegen.coverage import report
from codegen.draft import draft
from codegen.load import DEFAULT_SCHEMA_DIR, validator
from codegen.resolve import load_project

SPEC = Path(__file__).resolve().parents[2] / "spec"
FIXTURES = Path(__file__).parent / "fixtures" / "spec"


def test_draft_of_an_order_has_selector_rules_and_validates() -> None:
    rel, text = draft("domestic_stock/order_cash", SPEC)
    assert rel == "domestic_stock/trading/order_cash.yaml"
    data = yaml.safe_load(text)
    assert data["kind"] == "order" and data["hashkey"] is True
    rules = {r["when"]["ord_dv"]: (r["real"], r["mock"]) for r in data["tr_id"]["rules"]}
    assert rules == {"buy": ("TTTC0012U", "VTTC0012U"), "sell": ("TTTC0011U", "VTTC0011U")}
    assert [f if isinstance(f, str) else f["name"] for f in data["request"]][:3] == [
        "CANO",
        "ACNT_PRDT_CD",
        "PDNO",
    ]
    assert not list(validator(DEFAULT_SCHEMA_DIR, "api.schema.json").iter_errors(data))


def test_every_catalog_api_drafts_to_a_schema_valid_spec() -> None:
    check = validator(DEFAULT_SCHEMA_DIR, "api.schema.json")
    keys = [
        e["key"] for e in reference.catalog() if e.get("kind") == "rest" and e["category"] != "auth"
    ]
    assert len(keys) > 200
    bad = {}
    for key in keys:
        errors = list(check.iter_errors(yaml.safe_load(draft(key, SPEC)[1])))
        if errors:
            bad[key] = errors[0].message
    assert bad == {}


def test_coverage_reports_missing_and_mismatched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = {"apis": [
        {"key": "demo/quote", "kind": "rest", "path": "/uapi/demo/v1/quotations/quote", "method": "GET",
         "tr_ids": [{"when": {}, "tr_id": "DEMO0001"}],
         "request_fields": [{"name": "FID_COND_MRKT_DIV_CODE"}, {"name": "FID_INPUT_ISCD"}]},
        {"key": "demo/absent", "kind": "rest", "path": "/uapi/demo/v1/x", "method": "GET", "tr_ids": []},
        {"key": "demo/ws", "kind": "websocket", "path": "/tryitout/X", "method": "WS", "tr_ids": []},
    ]}  # fmt: skip
    (tmp_path / "kis_catalog.json").write_text(json.dumps(fake))
    monkeypatch.setenv("KIS_REFERENCE_DIR", str(tmp_path))
    reference.catalog.cache_clear()
    reference.portal.cache_clear()
    try:
        lines, complete = report(load_project(FIXTURES))
    finally:
        reference.catalog.cache_clear()
        reference.portal.cache_clear()
    text = "\n".join(lines)
    assert complete is False
    assert "REST APIs with a spec: 1 of 2" in text
    assert "  demo/absent" in text
    assert "request-field mismatches against the catalog: 0" in text
    assert "specs not in the catalog: 3" in text


def test_guess_type_follows_kis_naming() -> None:
    assert reference.guess_type("stck_prpr") == "int"
    assert reference.guess_type("prdy_ctrt") == "decimal"
    assert reference.guess_type("stck_bsop_date") == "date"
    assert reference.guess_type("stck_cntg_hour") == "time"
    assert reference.guess_type("mod_yn") == "bool"
    assert reference.guess_type("hts_kor_isnm") == "text"
    assert reference.guess_type("ord_dvsn_cd") == "str"


def test_numeric_looking_code_fields_need_a_code_label() -> None:
    assert reference.looks_numeric("fid_mtrt_cnt")
    assert not reference.looks_numeric("fid_mtrt_cnt", "만기년월 (YYYYMM)")
    assert reference.looks_numeric("stck_prpr", "주식 현재가")
