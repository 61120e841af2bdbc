"""The maintainer tools: drafting a spec from the upstream snapshot, and the coverage report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from codegen import reference, upstream
from codegen.coverage import compare
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


def test_every_upstream_api_drafts_to_a_schema_valid_spec() -> None:
    check = validator(DEFAULT_SCHEMA_DIR, "api.schema.json")
    keys = [e["key"] for e in upstream.load()[1] if e["kind"] == "rest" and e["category"] != "auth"]
    assert len(keys) > 200
    bad = {}
    for key in keys:
        errors = list(check.iter_errors(yaml.safe_load(draft(key, SPEC)[1])))
        if errors:
            bad[key] = errors[0].message
    assert bad == {}


def test_coverage_reports_missing_mismatched_and_accepted(tmp_path: Path) -> None:
    entries = {
        "demo/quote": {
            "key": "demo/quote", "category": "demo", "kind": "rest",
            "path": "/uapi/demo/v1/quotations/quote", "method": "GET",
            "tr_ids": [{"when": {}, "tr_id": "DEMO0001"}],
            "request_fields": [
                {"name": "FID_COND_MRKT_DIV_CODE", "required": True},
                {"name": "FID_INPUT_ISCD", "required": True},
                {"name": "FID_NEW_FLAG", "required": False},
            ],
            "outputs": [{"key": "output", "shape": "object"}],
        },
        "demo/absent": {"key": "demo/absent", "category": "demo", "kind": "rest",
                        "path": "/uapi/demo/v1/x", "method": "GET", "tr_ids": []},
    }  # fmt: skip
    (tmp_path / "demo.json").write_text(json.dumps(entries))
    (tmp_path / upstream.META).write_text(json.dumps({"commit": "f" * 40}))
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURES, spec)
    quote = spec / "demo" / "quotations" / "quote.yaml"
    assert "catalog_key: demo/quote" in quote.read_text(encoding="utf-8")
    report = compare(load_project(spec), tmp_path)
    found = {(d.owner, d.id) for d in report.differences}
    assert ("demo/absent", "missing") in found
    assert ("demo.quote", "param:FID_NEW_FLAG") in found
    assert ("demo.order", "unlisted") in found
    assert not report.ok
    text = "\n".join(report.lines())
    assert "REST APIs: 1 of 2 upstream have a spec" in text

    # a declared difference is accepted; a declaration with no difference behind it is stale
    quote.write_text(
        quote.read_text(encoding="utf-8").replace(
            "title:",
            'upstream:\n  accept:\n    "param:FID_NEW_FLAG": "the flag changes nothing for this API"\n'
            '    "param:FID_GONE": "declared for a parameter upstream never had"\ntitle:',
            1,
        )
    )
    report = compare(load_project(spec), tmp_path)
    assert ("demo.quote", "param:FID_NEW_FLAG") not in {(d.owner, d.id) for d in report.differences}
    assert [(d.owner, d.id) for d, _ in report.accepted] == [("demo.quote", "param:FID_NEW_FLAG")]
    assert report.stale == ["demo.quote: [param:FID_GONE]"]


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
