"""End to end against the sandbox as a real HTTP server on loopback: the SDK and plain HTTP.

Auth (token reuse, once a minute), rate limits (with and without the SDK's limiter),
pagination, fault injection, every spec'd API, and the command line.
"""

from __future__ import annotations

import asyncio
import json
import re
import select
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

import kisapi_runtime.auth
from kisapi import (
    AsyncKis,
    Kis,
    KisMockUnsupportedError,
    KisOrderStateUnknownError,
    KisRateLimitError,
    KisServerError,
    KisTimeoutError,
)
from kisapi_sandbox.server import SandboxServer, serve
from tests.endpoints import spec_model as sm

from .conftest import (
    ACCOUNT,
    APPSECRET,
    BALANCE_PARAMS,
    BALANCE_PATH,
    ORDER_BODY,
    ORDER_PATH,
    QUOTE_PATH,
    RawKis,
    new_appkey,
)

QUOTE = {"fid_input_iscd": "005930"}
BALANCE = {"afhr_flpr_yn": "N", "inqr_dvsn": "02", "unpr_dvsn": "01", "fund_sttl_icld_yn": False,
           "fncg_amt_auto_rdpt_yn": False, "prcs_dvsn": "00"}  # fmt: skip
ORDER = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 70_000}


def kis_error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"rt_cd", "msg_cd", "msg1"}, body
    return response.status_code, body["rt_cd"], body["msg_cd"]


# --- auth -----------------------------------------------------------------------------------


def test_token_is_the_same_within_six_hours(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    first, second = kis.issue(), kis.issue()
    assert first.status_code == second.status_code == 200
    one, two = first.json(), second.json()
    assert set(one) == {"access_token", "access_token_token_expired", "token_type", "expires_in"}
    assert one["access_token"] == two["access_token"]
    assert one["access_token_token_expired"] == two["access_token_token_expired"]
    assert one["token_type"] == "Bearer"
    assert 86_390 <= one["expires_in"] <= 86_400
    datetime.strptime(one["access_token_token_expired"], "%Y-%m-%d %H:%M:%S")


def test_a_new_token_within_a_minute_is_refused(
    raw_kis: Callable[..., RawKis], sandbox_server: SandboxServer
) -> None:
    kis = raw_kis()
    token = kis.token()
    revoked = kis.http.post(
        "/oauth2/revokeP", json={"appkey": kis.appkey, "appsecret": APPSECRET, "token": token}
    )
    assert revoked.status_code == 200
    assert kis_error(kis.get())[2] == "EGW00121"  # the revoked token no longer works

    again = kis.issue()
    assert again.status_code == 403
    assert again.json() == {
        "error_code": "EGW00133",
        "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)",
    }
    sandbox_server.sandbox.advance(61)
    fresh = kis.issue()
    assert fresh.status_code == 200
    assert fresh.json()["access_token"] != token


def test_after_six_hours_a_new_token_and_the_old_one_still_works(
    raw_kis: Callable[..., RawKis], sandbox_server: SandboxServer
) -> None:
    kis = raw_kis()
    old = kis.token()
    sandbox_server.sandbox.advance(6 * 3600 + 1)
    new = kis.issue().json()["access_token"]
    assert new != old
    assert kis.get().status_code == 200  # with the old token


def test_an_expired_token_is_refused(
    raw_kis: Callable[..., RawKis], sandbox_server: SandboxServer
) -> None:
    kis = raw_kis()
    assert kis.get().status_code == 200
    sandbox_server.sandbox.advance(86_400)
    response = kis.get()
    assert kis_error(response) == (500, "1", "EGW00123")
    assert response.json()["msg1"] == "기간이 만료된 token 입니다."


def test_tokens_are_per_environment(raw_kis: Callable[..., RawKis]) -> None:
    real, mock = raw_kis("real"), raw_kis("mock")
    mock.appkey, mock.appsecret = real.appkey, real.appsecret
    mock._token = real.token()  # a real-server token shown to the mock server
    assert kis_error(mock.get())[2] == "EGW00121"


def test_approval_key_and_hashkey(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    approval = kis.http.post("/oauth2/Approval", json={"grant_type": "client_credentials",
                             "appkey": kis.appkey, "secretkey": APPSECRET})  # fmt: skip
    assert approval.status_code == 200
    key = approval.json()["approval_key"]
    assert re.fullmatch(r"[0-9a-f-]{36}", key)
    assert kis.server.sandbox.approval_env(key) == "real"

    body = '{"CANO": "12345678", "ORD_QTY": "1"}'
    hashed = kis.http.post(
        "/uapi/hashkey", content=body, headers={"appkey": kis.appkey, "appsecret": APPSECRET}
    )
    assert hashed.status_code == 200
    assert hashed.json()["BODY"] == {"CANO": "12345678", "ORD_QTY": "1"}
    assert re.fullmatch(r"[0-9a-f]{64}", hashed.json()["HASH"])


def test_sdk_processes_share_the_token_the_server_hands_out_again(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    appkey = new_appkey()
    clients = [
        Kis(appkey=appkey, appsecret=APPSECRET, account=ACCOUNT, env="real",
            rest_url=sandbox_server.rest_url, token_cache_dir=tmp_path / f"cache{i}")
        for i in range(2)
    ]  # fmt: skip
    try:
        for kis in clients:  # separate caches: each asks the server, which answers the same token
            assert kis.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"
    finally:
        for kis in clients:
            kis.close()
    assert sandbox_server.sandbox.counts["EGW00133"] == 0
    assert [p for p, _ in sandbox_server.sandbox.calls].count("/oauth2/tokenP") == 2


def test_sdk_reissues_an_expired_token_once(
    sandbox_client: Kis, sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK waits out KIS's minute between issues; here the sandbox's clock moves instead.
    monkeypatch.setattr(kisapi_runtime.auth, "ISSUE_INTERVAL", 0.0)
    assert sandbox_client.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"
    sandbox_server.faults.expire_tokens()
    sandbox_server.sandbox.advance(61)
    assert sandbox_client.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"
    counts = sandbox_server.sandbox.counts
    assert counts["EGW00123"] == 1
    assert counts["EGW00133"] == 0


# --- rate limits ----------------------------------------------------------------------------


async def test_a_burst_through_the_sdk_limiter_never_meets_egw00201(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    async with AsyncKis(appkey=new_appkey(), appsecret=APPSECRET, account=ACCOUNT, env="real",
                        rest_url=sandbox_server.rest_url, token_cache_dir=tmp_path) as kis:  # fmt: skip
        results = await asyncio.gather(
            *(kis.domestic_stock.inquire_price(**QUOTE) for _ in range(100))
        )
    assert [r.rt_cd for r in results] == ["0"] * 100
    assert sandbox_server.sandbox.counts["EGW00201"] == 0  # not even retried away
    assert sandbox_server.sandbox.counts["MCA00000"] == 100


async def test_without_the_sdk_limiter_the_server_answers_egw00201(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    async with AsyncKis(appkey=new_appkey(), appsecret=APPSECRET, account=ACCOUNT, env="real",
                        rest_url=sandbox_server.rest_url, token_cache_dir=tmp_path,
                        rate_limit=0, max_retries=0) as kis:  # fmt: skip
        results = await asyncio.gather(
            *(kis.domestic_stock.inquire_price(**QUOTE) for _ in range(60)),
            return_exceptions=True,
        )
    refused = [r for r in results if isinstance(r, KisRateLimitError)]
    assert refused, "a burst of 60 at once must trip KIS's 20/s"
    assert len(refused) + sum(1 for r in results if not isinstance(r, Exception)) == 60
    assert {(e.status_code, e.rt_cd, e.msg_cd, e.msg1) for e in refused} == {
        (500, "1", "EGW00201", "초당 거래건수를 초과하였습니다.")
    }
    assert sandbox_server.sandbox.counts["EGW00201"] == len(refused)


def test_mock_allows_two_calls_a_second(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis("mock")
    codes = [kis.get().status_code for _ in range(6)]
    assert codes[:2] == [200, 200]
    assert 500 in codes[2:]


def test_rate_limits_can_be_set_and_switched_off(
    raw_kis: Callable[..., RawKis], sandbox_server: SandboxServer
) -> None:
    sandbox_server.limits.off()
    kis = raw_kis("mock")
    assert {kis.get().status_code for _ in range(30)} == {200}
    sandbox_server.limits.configure({"mock": 1})
    assert [kis.get().status_code for _ in range(2)] == [200, 500]


# --- pagination -----------------------------------------------------------------------------


def test_sdk_collects_three_pages(sandbox_client: Kis) -> None:
    balance = sandbox_client.domestic_stock.inquire_balance.pages(**BALANCE).collect()
    assert len(balance.pages) == 3
    assert balance.complete
    assert len(balance.rows) == 90


def test_pages_follow_tr_cont_and_cursor_keys(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    params = dict(BALANCE_PARAMS)
    seen = []
    tr_cont = ""
    for _ in range(3):
        response = kis.get(BALANCE_PATH, params, "TTTC8434R", tr_cont=tr_cont)
        assert response.status_code == 200
        body = response.json()
        seen.append(response.headers["tr_cont"])
        assert len(body["ctx_area_nk100"]) == len(body["ctx_area_fk100"]) == 100
        params["CTX_AREA_FK100"] = body["ctx_area_fk100"]  # sent back exactly, padding included
        params["CTX_AREA_NK100"] = body["ctx_area_nk100"]
        tr_cont = "N"
    assert seen == ["F", "M", "D"]
    assert params["CTX_AREA_NK100"].strip() == ""


# --- fault injection ------------------------------------------------------------------------


def test_injected_kis_error_reaches_the_user(
    sandbox_client: Kis, sandbox_server: SandboxServer
) -> None:
    sandbox_server.faults.error(msg_cd="EGW00001", msg1="일시적인 오류가 발생하였습니다.")
    with pytest.raises(KisServerError) as info:
        sandbox_client.domestic_stock.inquire_price(**QUOTE)
    assert (info.value.status_code, info.value.msg_cd) == (500, "EGW00001")
    assert sandbox_client.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"  # used up


def test_injected_egw00201_is_retried_by_the_sdk(
    sandbox_client: Kis, sandbox_server: SandboxServer
) -> None:
    sandbox_server.faults.error(msg_cd="EGW00201", msg1="초당 거래건수를 초과하였습니다.")
    assert sandbox_client.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"
    assert sandbox_server.sandbox.counts["EGW00201"] == 1


def test_slow_answers_time_out(
    sandbox_kis: Callable[..., Kis], sandbox_server: SandboxServer
) -> None:
    kis = sandbox_kis(timeout=0.2, max_retries=0)
    kis.domestic_stock.inquire_price(**QUOTE)  # token first
    sandbox_server.faults.slow(0.6, times=1, path=QUOTE_PATH)
    with pytest.raises(KisTimeoutError):
        kis.domestic_stock.inquire_price(**QUOTE)
    assert kis.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"


def test_dropped_connections(sandbox_client: Kis, sandbox_server: SandboxServer) -> None:
    sandbox_server.faults.drop(times=1, path=QUOTE_PATH)
    assert sandbox_client.domestic_stock.inquire_price(**QUOTE).rt_cd == "0"  # retried
    sandbox_server.faults.drop(times=1, path=ORDER_PATH)
    with pytest.raises(KisOrderStateUnknownError):  # an order is never sent twice
        sandbox_client.domestic_stock.order_cash(**ORDER)


def test_control_endpoint(raw_kis: Callable[..., RawKis], sandbox_server: SandboxServer) -> None:
    kis = raw_kis()
    control = kis.http
    added = control.post("/__sandbox__/faults", json={"kind": "error", "times": 2,
                         "msg_cd": "EGW00202", "msg1": "GW라우팅 중 오류가 발생했습니다."})  # fmt: skip
    assert added.status_code == 200
    assert control.get("/__sandbox__/faults").json()[0]["times"] == 2
    assert [kis_error(kis.get())[2] for _ in range(2)] == ["EGW00202"] * 2
    assert kis.get().status_code == 200
    assert control.post("/__sandbox__/faults", json={"kind": "expire_tokens"}).status_code == 200
    assert kis_error(kis.get())[2] == "EGW00123"
    assert control.post("/__sandbox__/faults", json={"kind": "clear"}).json() == {"faults": []}
    assert control.post("/__sandbox__/faults", json={"kind": "melt"}).status_code == 400
    assert control.post("/__sandbox__/limits", json={"real": 5}).json()["real"] == 5
    assert control.post("/__sandbox__/clock", json={"advance": 61}).status_code == 200
    assert control.get("/__sandbox__/counts").json()["EGW00202"] == 2
    assert control.post("/__sandbox__/reset").json() == {"reset": True}
    assert sandbox_server.limits.rates == {"real": 20.0, "mock": 2.0}


# --- every API, both personalities ----------------------------------------------------------


def _endpoint(kis: Kis, api_id: str) -> Any:
    target: Any = kis
    for part in api_id.split("."):
        target = getattr(target, part)
    return target


def test_every_spec_d_api_answers_through_the_server(
    sandbox_kis: Callable[..., Kis], sandbox_server: SandboxServer
) -> None:
    sandbox_server.limits.off()
    clients = {env: sandbox_kis(env, rate_limit=0, max_retries=0) for env in ("real", "mock")}
    answered = unsupported = 0
    cases = [c for c in sm.all_cases() if sm.load(c.api_id).kind != "auth"]
    for case in cases:
        api = sm.load(case.api_id)
        for env, kis in clients.items():
            try:
                raw = _endpoint(kis, api.id).raw(**sm.call_values(api, case, env, full=True))
            except KisMockUnsupportedError:
                unsupported += 1
                continue
            assert (raw.status_code, raw.body["rt_cd"]) == (200, "0"), (case.label, env)
            answered += 1
    assert answered + unsupported == 2 * len(cases)
    assert 0 < unsupported < len(cases)  # KIS offers a mock version of some APIs only
    assert sandbox_server.sandbox.counts.keys() <= {"MCA00000", ""}


# --- the realtime server beside it ---------------------------------------------------------


def test_ws_ports_accept_the_approval_keys_issued_on_the_matching_rest_port() -> None:
    from websockets.sync.client import connect

    quiet = {"tick_interval": None, "ping_interval": None}
    with serve(ws_port=0, ws_mock_port=0, realtime=quiet) as server:
        real, mock = RawKis(server, "real"), RawKis(server, "mock")
        try:
            keys = {
                env: kis.http.post("/oauth2/Approval", json={"grant_type": "client_credentials",
                                   "appkey": kis.appkey, "secretkey": APPSECRET}).json()["approval_key"]
                for env, kis in (("real", real), ("mock", mock))
            }  # fmt: skip
        finally:
            real.close()
            mock.close()
        answers = {}
        for ws_env, key_env in (("real", "real"), ("mock", "mock"), ("real", "mock")):
            subscribe = {"header": {"approval_key": keys[key_env], "custtype": "P", "tr_type": "1",
                                    "content-type": "utf-8"},
                         "body": {"input": {"tr_id": "H0STCNT0", "tr_key": "005930"}}}  # fmt: skip
            with connect(server.ws_url(ws_env) + "/tryitout") as ws:
                ws.send(json.dumps(subscribe))
                body = json.loads(ws.recv(timeout=5))["body"]
            answers[(ws_env, key_env)] = (body["rt_cd"], body["msg1"])
    assert answers[("real", "real")] == ("0", "SUBSCRIBE SUCCESS")
    assert answers[("mock", "mock")] == ("0", "SUBSCRIBE SUCCESS")
    assert answers[("real", "mock")][0] != "0"  # a mock key on the real server


# --- the command line -----------------------------------------------------------------------


def test_python_m_kisapi_sandbox_serves_both_personalities(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "kisapi_sandbox", "--port", "0", "--mock-port", "0",
               "--rate-limit", "off", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "the server printed nothing"
        line = proc.stdout.readline()
        found = re.search(r"real (http://\S+)\s+mock (http://\S+)", line)
        assert found, line
        real, mock = found.groups()
        for url, env, tr_id in ((real, "real", "TTTC8434R"), (mock, "mock", "VTTC8434R")):
            with Kis(appkey=new_appkey(), appsecret=APPSECRET, account=ACCOUNT, env=env,
                     rest_url=url, token_cache_dir=tmp_path / env, rate_limit=0) as kis:  # fmt: skip
                raw = kis.domestic_stock.inquire_balance.raw(**BALANCE)
                assert (raw.status_code, raw.tr_id) == (200, tr_id)
        wrong = httpx.post(mock + ORDER_PATH, json=ORDER_BODY, headers={"tr_id": "TTTC0012U"})
        assert wrong.status_code == 500  # no token: refused, never a 200
    finally:
        proc.terminate()
        proc.wait(10)
