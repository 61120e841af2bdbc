"""Bad requests sent straight to the server (no SDK) get KIS's error shape: never a 200, never
a stack trace. API calls answer ``{rt_cd, msg_cd, msg1}``; the ``/oauth2`` endpoints answer
``{error_code, error_description}`` with HTTP 403, as KIS does."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kisapi_sandbox.server import SandboxServer, serve

from .conftest import (
    APPSECRET,
    BALANCE_PARAMS,
    BALANCE_PATH,
    ORDER_BODY,
    ORDER_PATH,
    QUOTE_PARAMS,
    QUOTE_PATH,
    QUOTE_TR,
    RawKis,
)

KIS_KEYS = {"rt_cd", "msg_cd", "msg1"}


def refused(response: httpx.Response, msg_cd: str, *, status: int = 500, rt_cd: str = "1") -> str:
    """Check a KIS-shaped refusal and return its msg1."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.text
    body = response.json()
    assert set(body) == KIS_KEYS, body
    assert (body["rt_cd"], body["msg_cd"]) == (rt_cd, msg_cd), body
    return str(body["msg1"])


def oauth_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert set(body) == {"error_code", "error_description"}
    assert body["error_code"] == code


def with_(params: Mapping[str, str], **changes: str) -> dict[str, str]:
    return {**params, **changes}


# --- headers and tokens ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "msg_cd"),
    [
        ({"authorization": ""}, "EGW00121"),
        ({"authorization": "Bearer not-a-token"}, "EGW00121"),
        ({"authorization": "Basic abc"}, "EGW00121"),
        ({"appkey": ""}, "EGW00103"),
        ({"appsecret": ""}, "EGW00105"),
        ({"appsecret": "somebody-elses"}, "EGW00105"),
        ({"tr_id": ""}, "IGW00007"),
        ({"custtype": "X"}, "IGW00007"),
        ({"tr_cont": "maybe"}, "IGW00007"),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else v,
)
def test_header_errors(raw_kis: Callable[..., RawKis], change: dict[str, str], msg_cd: str) -> None:
    kis = raw_kis()
    headers = {**kis.headers(QUOTE_TR), **change}
    response = kis.http.get(QUOTE_PATH, params=QUOTE_PARAMS, headers=headers)
    refused(response, msg_cd)


def test_missing_headers_altogether(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    refused(kis.http.get(QUOTE_PATH, params=QUOTE_PARAMS), "EGW00103")


def test_a_token_of_another_app_key(raw_kis: Callable[..., RawKis]) -> None:
    one, other = raw_kis(), raw_kis()
    response = one.http.get(
        QUOTE_PATH, params=QUOTE_PARAMS,
        headers=one.headers(QUOTE_TR, authorization=f"Bearer {other.token()}"),
    )  # fmt: skip
    refused(response, "EGW00121")


# --- TR IDs, paths and methods --------------------------------------------------------------


def test_tr_id_of_another_path(raw_kis: Callable[..., RawKis]) -> None:
    msg1 = refused(raw_kis().get(QUOTE_PATH, QUOTE_PARAMS, "TTTC8434R"), "EGW00002")
    assert "TTTC8434R" in msg1


def test_tr_id_of_the_other_environment(raw_kis: Callable[..., RawKis]) -> None:
    real, mock = raw_kis("real"), raw_kis("mock")
    assert real.get(BALANCE_PATH, BALANCE_PARAMS, "TTTC8434R").status_code == 200
    assert "실전투자" in refused(real.get(BALANCE_PATH, BALANCE_PARAMS, "VTTC8434R"), "EGW00002")
    assert "모의투자" in refused(mock.get(BALANCE_PATH, BALANCE_PARAMS, "TTTC8434R"), "EGW00002")
    holiday = mock.get("/uapi/domestic-stock/v1/quotations/chk-holiday",
                       {"BASS_DT": "20260105", "CTX_AREA_NK": "", "CTX_AREA_FK": ""}, "CTCA0903R")  # fmt: skip
    assert "제공되지 않습니다" in refused(holiday, "EGW00002")


def test_unknown_path_and_wrong_method(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    refused(kis.get("/uapi/domestic-stock/v1/quotations/no-such-api"), "EGW00002", status=404)
    response = kis.post(QUOTE_PATH, json.dumps(QUOTE_PARAMS), QUOTE_TR)
    refused(response, "EGW00002", status=405)


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (with_(QUOTE_PARAMS, FID_NOT_A_FIELD="1"), "FID_NOT_A_FIELD"),
        (with_(QUOTE_PARAMS, FID_INPUT_ISCD="0059300000000"), "FID_INPUT_ISCD"),  # > 12 bytes
        (with_(QUOTE_PARAMS, FID_COND_MRKT_DIV_CODE="Q"), "FID_COND_MRKT_DIV_CODE"),  # enum
        ({"FID_COND_MRKT_DIV_CODE": "J"}, "FID_INPUT_ISCD"),  # missing
        (with_(QUOTE_PARAMS, FID_INPUT_ISCD=""), "FID_INPUT_ISCD"),  # required, blank
    ],
    ids=["unknown", "too-long", "not-in-enum", "missing", "blank"],
)
def test_bad_query_parameters(
    raw_kis: Callable[..., RawKis], params: dict[str, str], field: str
) -> None:
    msg1 = refused(raw_kis().get(QUOTE_PATH, params), "OPSQ2001", rt_cd="2")
    assert msg1 == f"ERROR : INPUT_FIELD_NAME {field}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ORD_QTY": "ten"}, "ORD_QTY"),  # int
        ({"ORD_UNPR": "70000.5"}, "ORD_UNPR"),
        ({"CANO": "123456789"}, "CANO"),  # over 8 bytes
        ({"EXCG_ID_DVSN_CD": "NYSE"}, "EXCG_ID_DVSN_CD"),
        ({"PDNO": ["005930"]}, "PDNO"),  # not a JSON string
    ],
    ids=["int", "decimal-for-int", "too-long", "enum", "array"],
)
def test_bad_body_fields(
    raw_kis: Callable[..., RawKis], change: dict[str, Any], field: str
) -> None:
    body = json.dumps({**ORDER_BODY, **change})
    msg1 = refused(raw_kis().post(ORDER_PATH, body, "TTTC0012U"), "OPSQ2001", rt_cd="2")
    assert field in msg1


def test_bad_dates_and_times(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    path = "/uapi/domestic-stock/v1/quotations/inquire-daily-itemchartprice"
    params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930", "FID_PERIOD_DIV_CODE": "D",
              "FID_ORG_ADJ_PRC": "0", "FID_INPUT_DATE_1": "20260105", "FID_INPUT_DATE_2": "20260131"}  # fmt: skip
    assert kis.get(path, params, "FHKST03010100").status_code == 200
    for bad in ("20261341", "2026-01-05", "abc"):
        response = kis.get(path, with_(params, FID_INPUT_DATE_2=bad), "FHKST03010100")
        refused(response, "OPSQ2001", rt_cd="2")


@pytest.mark.parametrize(
    "content",
    ['{"CANO": "12345678",', "[1, 2]", '"text"', b"\xff\xfe"],
    ids=["truncated", "array", "string", "not-utf8"],
)
def test_malformed_json(raw_kis: Callable[..., RawKis], content: str | bytes) -> None:
    refused(raw_kis().post(ORDER_PATH, content, "TTTC0012U"), "EGW00002")


def test_hashkey_that_does_not_match_the_body(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    body = json.dumps(ORDER_BODY)
    hashed = kis.http.post(
        "/uapi/hashkey", content=body, headers={"appkey": kis.appkey, "appsecret": APPSECRET}
    ).json()["HASH"]
    assert kis.post(ORDER_PATH, body, "TTTC0012U", hashkey=hashed).status_code == 200
    tampered = json.dumps({**ORDER_BODY, "ORD_QTY": "100"})
    refused(kis.post(ORDER_PATH, tampered, "TTTC0012U", hashkey=hashed), "EGW00002")


def test_oversized_body(raw_kis: Callable[..., RawKis]) -> None:
    body = json.dumps({**ORDER_BODY, "PAD": "x" * (2 << 20)})
    refused(raw_kis().post(ORDER_PATH, body, "TTTC0012U"), "EGW00002", status=413)


# --- the auth endpoints ---------------------------------------------------------------------


def test_auth_endpoint_errors(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    http = kis.http
    oauth_refused(http.post("/oauth2/tokenP", content=b"{not json"), "EGW00002")
    oauth_refused(kis.issue(grant_type="password"), "EGW00002")
    oauth_refused(kis.issue(appkey=""), "EGW00103")
    oauth_refused(kis.issue(appsecret=""), "EGW00105")
    kis.token()
    oauth_refused(kis.issue(appsecret="another-secret"), "EGW00105")
    # Approval wants "secretkey", not "appsecret".
    approval = {"grant_type": "client_credentials", "appkey": kis.appkey, "appsecret": APPSECRET}
    oauth_refused(http.post("/oauth2/Approval", json=approval), "EGW00105")
    revoke = {"appkey": kis.appkey, "appsecret": APPSECRET, "token": "unknown"}
    oauth_refused(http.post("/oauth2/revokeP", json=revoke), "EGW00121")
    assert http.get("/oauth2/tokenP").status_code == 405
    refused(http.post("/uapi/hashkey", content="{}"), "EGW00103")


# --- anything at all ------------------------------------------------------------------------

_names = st.sampled_from(["FID_INPUT_ISCD", "FID_COND_MRKT_DIV_CODE", "fid_input_iscd", "X", ""])
_values = st.text(max_size=20)


@pytest.fixture
def unlimited_kis(sandbox_server: SandboxServer, raw_kis: Callable[..., RawKis]) -> RawKis:
    sandbox_server.limits.off()
    return raw_kis()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(_names, _values, max_size=3), tr_id=st.sampled_from([QUOTE_TR, "", "V?"])
)
def test_any_query_gets_a_kis_answer(
    unlimited_kis: RawKis, params: dict[str, str], tr_id: str
) -> None:
    response = unlimited_kis.get(QUOTE_PATH, params, tr_id)
    body = response.json()
    assert "Traceback" not in response.text
    if response.status_code == 200:
        assert body["rt_cd"] == "0"
        assert {k.upper(): v for k, v in params.items()}.keys() <= set(QUOTE_PARAMS)
    else:
        assert response.status_code == 500
        assert set(body) == KIS_KEYS and body["rt_cd"] != "0"


class _BrokenBroker:
    def handle(self, api_id: str, tr_id: str, params: Mapping[str, str], *, mock: bool) -> None:
        raise RuntimeError("a bug in the broker")


def test_an_internal_error_is_a_kis_system_error_without_a_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with serve(broker=_BrokenBroker(), rate_limits={"real": None}) as server:
        kis = RawKis(server)
        try:
            msg1 = refused(kis.get(BALANCE_PATH, BALANCE_PARAMS, "TTTC8434R"), "EGW00001")
        finally:
            kis.close()
    assert "broker" not in msg1
    assert any("a bug in the broker" in str(r.exc_info) for r in caplog.records)  # logged
