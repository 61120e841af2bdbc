"""The upstream snapshot: what the extractor reads from example code written the way KIS writes
it, and the drift workflow (a new API and a renamed TR ID upstream → coverage → draft → a
generated endpoint that sends the right request)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from codegen import upstream
from codegen.coverage import compare
from codegen.draft import draft
from codegen.render import generate
from codegen.resolve import load_project

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"

ORDER_EXAMPLE = """
import kis_auth as ka

##############################################################################################
# [국내주식] 주문/계좌 > 테스트주문[v1_국내주식-999]
##############################################################################################

API_URL = "/uapi/domestic-stock/v1/trading/test-order"

def test_order(
    env_dv: str,  # [필수] 실전모의구분
    ord_dv: str,  # [필수] 매수매도구분
    cano: str,  # [필수] 종합계좌번호
    pdno: str,  # 상품번호
    ord_qty: str,  # 주문수량
    excg_id_dvsn_cd: str = "KRX",  # 거래소ID구분코드
    cndt_pric: str = "",  # 조건가격
):
    if not pdno:
        raise ValueError("pdno")
    if env_dv == "real":
        if ord_dv == "buy":
            tr_id = "TTTC9912U"
        elif ord_dv == "sell":
            tr_id = "TTTC9911U"
        else:
            raise ValueError("ord_dv")
    elif env_dv == "demo":
        raise ValueError("no demo")
    else:
        raise ValueError("env_dv")
    params = {
        "CANO": cano,
        "PDNO": pdno,
        "ORD_QTY": ord_qty,
        "ORD_DVSN": "00",
        "EXCG_ID_DVSN_CD": excg_id_dvsn_cd,
    }
    if cndt_pric:
        params["CNDT_PRIC"] = cndt_pric
    res = ka._url_fetch(API_URL, tr_id, "", params, postFlag=True)
    return pd.DataFrame([res.getBody().output])
"""

LIST_EXAMPLE = '''
import kis_auth as ka

# [해외주식] 기본시세 > 테스트목록[v1_해외주식-999]

API_URL = "/uapi/overseas-price/v1/quotations/test-list"

def test_list(
    excd: str,  # [필수] 거래소코드
    env_dv: str = "real",  # 실전모의구분
    NEXT: str = "",  # 연속키
    tr_cont: str = "",
):
    """
    한 번의 호출에 최대 30건 확인 가능하며, 다음 조회가 불가합니다.
    """
    if env_dv == "real" or env_dv == "demo":
        tr_id = "HHDFS99990000"
    else:
        raise ValueError("env_dv")
    params = {"EXCD": excd, "KEYB": NEXT}
    for i in range(1, 4):
        key = f"SRS_CD_{i:02d}"
        params[key] = kwargs.get(key.lower(), "")
    res = ka._url_fetch(API_URL, tr_id, tr_cont, params)
    NEXT = res.getBody().keyb
    out1 = pd.DataFrame(res.getBody().output1)
    out2 = pd.DataFrame(res.getBody().output2, index=[0])
    if res.getHeader().tr_cont in ["M", "F"]:
        return test_list(excd, env_dv, NEXT, "N")
'''

WS_EXAMPLE = """
import kis_auth as ka

# [국내주식] 실시간시세 > 테스트체결[실시간-999]

def test_ws(tr_type: str, tr_key: str, env_dv: str = "real"):
    if env_dv == "real":
        tr_id = "H0ZZCNT0"
    elif env_dv == "demo":
        tr_id = "H0ZZCNT9"
    else:
        raise ValueError("env_dv")
    msg = ka.data_fetch(tr_id, tr_type, {"tr_key": tr_key})
    columns = ["MKSC_SHRN_ISCD", "STCK_PRPR", "ACML_VOL"]
    return msg, columns
"""


def _write(root: Path, category: str, name: str, source: str, chk: str = "") -> None:
    folder = root / "examples_llm" / category / name
    folder.mkdir(parents=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    if chk:
        (folder / f"chk_{name}.py").write_text(textwrap.dedent(chk), encoding="utf-8")


def _entries(root: Path) -> dict[str, dict[str, object]]:
    files = upstream.build(root, "fixture", None)
    return {k: v for name, data in files.items() if name != upstream.META for k, v in data.items()}


def test_order_example_gives_params_required_tr_ids_and_demo_refusal(tmp_path: Path) -> None:
    _write(tmp_path, "domestic_stock", "test_order", ORDER_EXAMPLE)
    e = _entries(tmp_path)["domestic_stock/test_order"]
    assert (e["title"], e["doc_id"], e["group"]) == ("테스트주문", "v1_국내주식-999", "주문/계좌")
    assert (e["method"], e["path"]) == ("POST", "/uapi/domestic-stock/v1/trading/test-order")
    fields = {f["name"]: f for f in e["request_fields"]}  # type: ignore[union-attr]
    assert list(fields) == ["CANO", "PDNO", "ORD_QTY", "ORD_DVSN", "EXCG_ID_DVSN_CD", "CNDT_PRIC"]
    assert fields["CANO"]["required"] is True  # [필수]
    assert fields["PDNO"]["required"] is True  # checked for emptiness before sending
    assert fields["ORD_QTY"]["required"] is False
    assert fields["ORD_DVSN"] == {"name": "ORD_DVSN", "fixed": "00", "required": False}
    assert fields["EXCG_ID_DVSN_CD"]["default"] == "KRX"
    assert fields["CNDT_PRIC"]["conditional"] is True
    assert e["tr_ids"] == [
        {"when": {"env_dv": "real", "ord_dv": "buy"}, "tr_id": "TTTC9912U"},
        {"when": {"env_dv": "real", "ord_dv": "sell"}, "tr_id": "TTTC9911U"},
    ]
    assert e["demo_refused"] == [{}]
    assert e["outputs"] == [{"key": "output", "shape": "object"}]


def test_list_example_gives_cursor_shapes_and_continuable(tmp_path: Path) -> None:
    _write(tmp_path, "overseas_stock", "test_list", LIST_EXAMPLE)
    e = _entries(tmp_path)["overseas_stock/test_list"]
    assert e["tr_ids"] == [
        {"when": {"env_dv": "demo"}, "tr_id": "HHDFS99990000"},
        {"when": {"env_dv": "real"}, "tr_id": "HHDFS99990000"},
    ]
    assert "demo_refused" not in e  # the raise is the "neither real nor demo" branch
    names = [f["name"] for f in e["request_fields"]]  # type: ignore[union-attr]
    assert names == ["EXCD", "KEYB", "SRS_CD_01", "SRS_CD_02", "SRS_CD_03"]
    assert e["paginated"] is True and e["continuable"] is False
    assert e["cursor"] == [{"request": "KEYB", "response": "keyb"}]
    assert e["outputs"] == [
        {"key": "output1", "shape": "array"},
        {"key": "output2", "shape": "object"},
    ]


def test_websocket_example_gives_columns_and_demo_tr_id(tmp_path: Path) -> None:
    _write(tmp_path, "domestic_stock", "test_ws", WS_EXAMPLE)
    e = _entries(tmp_path)["domestic_stock/test_ws"]
    assert e["kind"] == "websocket"
    assert e["ws_columns"] == ["MKSC_SHRN_ISCD", "STCK_PRPR", "ACML_VOL"]
    assert {r["tr_id"] for r in e["tr_ids"]} == {"H0ZZCNT0", "H0ZZCNT9"}  # type: ignore[union-attr]


def test_snapshot_is_deterministic(tmp_path: Path) -> None:
    for name, src in [("test_order", ORDER_EXAMPLE), ("test_ws", WS_EXAMPLE)]:
        _write(tmp_path / "up", "domestic_stock", name, src)
    files = upstream.build(tmp_path / "up", "abc123", None)
    assert upstream.write(files, tmp_path / "a") != []
    assert upstream.write(upstream.build(tmp_path / "up", "abc123", None), tmp_path / "a") == []
    meta, entries = upstream.load(tmp_path / "a")
    assert meta["commit"] == "abc123" and meta["counts"]["websocket"] == 1
    assert sorted(e["key"] for e in entries) == [
        "domestic_stock/test_order",
        "domestic_stock/test_ws",
    ]


def test_committed_snapshot_is_stamped_and_complete() -> None:
    meta, entries = upstream.load()
    assert len(meta["commit"]) == 40
    assert meta["counts"]["rest"] == sum(e["kind"] == "rest" for e in entries) >= 270
    assert meta["counts"]["websocket"] == sum(e["kind"] != "rest" for e in entries) >= 60


def test_specs_match_the_committed_snapshot() -> None:
    """``make coverage``: no undeclared difference, and no declaration without a difference."""
    report = compare(load_project(SPEC))
    assert report.stale == []
    assert [f"{d.owner}: [{d.id}] {d.detail}" for d in report.differences] == []


# --- drift ---------------------------------------------------------------------------

PRICE_RENAMED = """
import kis_auth as ka

# [국내주식] 기본시세 > 주식현재가 시세[v1_국내주식-008]

API_URL = "/uapi/domestic-stock/v1/quotations/inquire-price"

def inquire_price(
    env_dv: str,  # [필수] 실전모의구분
    fid_cond_mrkt_div_code: str,  # [필수] 조건 시장 분류 코드
    fid_input_iscd: str,  # [필수] 입력 종목코드
):
    if env_dv == "real" or env_dv == "demo":
        tr_id = "FHKST01019999"
    else:
        raise ValueError("env_dv")
    params = {"FID_COND_MRKT_DIV_CODE": fid_cond_mrkt_div_code, "FID_INPUT_ISCD": fid_input_iscd}
    res = ka._url_fetch(API_URL, tr_id, "", params)
    return pd.DataFrame([res.getBody().output])
"""

NEW_API = """
import kis_auth as ka

# [국내주식] 시세분석 > 신규 지표[v1_국내주식-998]

API_URL = "/uapi/domestic-stock/v1/quotations/new-indicator"

def new_indicator(
    fid_cond_mrkt_div_code: str,  # [필수] 조건 시장 분류 코드
    fid_input_iscd: str,  # [필수] 입력 종목코드
    fid_period_div_code: str = "D",  # 기간 분류 코드
):
    tr_id = "FHKST99990000"
    params = {
        "FID_COND_MRKT_DIV_CODE": fid_cond_mrkt_div_code,
        "FID_INPUT_ISCD": fid_input_iscd,
        "FID_PERIOD_DIV_CODE": fid_period_div_code,
    }
    res = ka._url_fetch(API_URL, tr_id, "", params)
    return pd.DataFrame([res.getBody().output])
"""

NEW_API_COLUMNS = """
COLUMN_MAPPING = {'stck_prpr': '주식 현재가', 'stck_bsop_date': '주식 영업 일자'}
"""

CALL_IT = """
import json, httpx
from kisapi import Kis
seen = []
def handler(request):
    if request.url.path == "/oauth2/tokenP":
        return httpx.Response(200, json={"access_token": "t0123456789", "token_type": "Bearer",
            "expires_in": 86400, "access_token_token_expired": "2099-01-01 00:00:00"})
    seen.append({"path": request.url.path, "tr_id": request.headers["tr_id"],
                 "params": dict(request.url.params)})
    return httpx.Response(200, json={"rt_cd": "0", "msg_cd": "KIOK0000", "msg1": "ok",
        "output": {"stck_prpr": "71200", "stck_bsop_date": "20261130"}})
kis = Kis(appkey="PSfixture0123456789", appsecret="s" * 40, env="real", rate_limit=0,
          token_cache_dir=TMP, transport=httpx.MockTransport(handler), strict=True)
r = kis.domestic_stock.new_indicator(fid_cond_mrkt_div_code="J", fid_input_iscd="005930")
print(json.dumps({"seen": seen, "prpr": r.output.stck_prpr, "date": str(r.output.stck_bsop_date)}))
"""


def test_drift_new_api_and_renamed_tr_id(tmp_path: Path) -> None:
    up = tmp_path / "upstream"
    _write(up, "domestic_stock", "inquire_price", PRICE_RENAMED)
    _write(up, "domestic_stock", "new_indicator", NEW_API, NEW_API_COLUMNS)
    snapshot = tmp_path / "snapshot"
    upstream.write(upstream.build(up, "fixture", None), snapshot)

    report = compare(load_project(SPEC), snapshot)
    found = {(d.owner, d.id) for d in report.differences}
    assert ("domestic_stock.inquire_price", "tr_id:FHKST01019999") in found
    assert ("domestic_stock/new_indicator", "missing") in found
    assert not report.ok

    rel, text = draft("domestic_stock/new_indicator", SPEC, snapshot)
    assert rel == "domestic_stock/quotations/new_indicator.yaml"
    data = yaml.safe_load(text)
    assert data["tr_id"] == {"real": "FHKST99990000", "mock": None}
    assert [f if isinstance(f, str) else f["name"] for f in data["request"]] == [
        "FID_COND_MRKT_DIV_CODE",
        "FID_INPUT_ISCD",
        "FID_PERIOD_DIV_CODE",
    ]

    spec = tmp_path / "spec"
    shutil.copytree(SPEC / "_shared", spec / "_shared")
    (spec / "domestic_stock" / "quotations").mkdir(parents=True)
    (spec / rel).write_text(text, encoding="utf-8")
    project = load_project(spec)
    assert [a.id for a in project.apis] == ["domestic_stock.new_indicator"]
    out = tmp_path / "out"
    generate(project, out, stamp=False)

    script = f"TMP = {str(tmp_path / 'tokens')!r}\n" + CALL_IT
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(out), str(ROOT / "runtime")])}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["seen"] == [
        {
            "path": "/uapi/domestic-stock/v1/quotations/new-indicator",
            "tr_id": "FHKST99990000",
            "params": {
                "FID_COND_MRKT_DIV_CODE": "J",
                "FID_INPUT_ISCD": "005930",
                "FID_PERIOD_DIV_CODE": "D",
            },
        }
    ]
    assert result["prpr"] == 71200 and result["date"] == "2026-11-30"


def test_portal_facts_keep_blocks_codes_and_not_continuable() -> None:
    doc = {
        "summary": "최대 30건 확인 가능하며, 다음 조회가 불가합니다.",
        "tr_id_real": "FHPST99990000",
        "tr_id_mock": "모의투자 미지원",
        "request": [
            {"name": "FID_COND_MRKT_DIV_CODE", "doc": "J : KRX, NX : NXT", "optional": False},
            {"name": "FID_INPUT_ISCD", "doc": "종목코드", "optional": True},
        ],
        "response_blocks": [
            {
                "key": "output",
                "shape": "array",
                "fields": [{"name": "stck_prpr"}, {"name": "rt_cd"}],
            },
            {"key": "customHeader", "shape": "object", "fields": [{"name": "method"}]},
        ],
    }
    facts = upstream._portal_facts(doc)
    assert facts["continuable"] is False
    assert facts["tr_id_mock"] is None and facts["mock_note"] == "unsupported"
    assert facts["request"] == [
        {"name": "FID_COND_MRKT_DIV_CODE", "required": True, "codes": {"J": "KRX", "NX": "NXT"}},
        {"name": "FID_INPUT_ISCD", "required": False},
    ]
    assert facts["blocks"] == [{"key": "output", "shape": "array", "fields": ["stck_prpr"]}]
    assert "continuable" not in upstream._portal_facts({**doc, "summary": "국내주식 시세"})


def test_branches_without_a_demo_twin_are_real_only(tmp_path: Path) -> None:
    from codegen.coverage import _real_only

    source = ORDER_EXAMPLE.replace(
        """    elif env_dv == "demo":
        raise ValueError("no demo")""",
        """    elif env_dv == "demo":
        if ord_dv == "buy":
            tr_id = "VTTC9912U"
        else:
            raise ValueError("demo buys only")""",
    )
    _write(tmp_path, "domestic_stock", "test_order", source)
    e = _entries(tmp_path)["domestic_stock/test_order"]
    assert {"when": {"env_dv": "demo", "ord_dv": "buy"}, "tr_id": "VTTC9912U"} in e["tr_ids"]
    assert "demo_refused" not in e  # only one branch is refused, which _real_only tells
    assert _real_only(e) == {"TTTC9911U"}
