"""Inputs meant to break the sandbox get a KIS-shaped error and never break later requests:
absurd clock moves, non-string credentials, impossible order quantities (no broker),
absurdly nested JSON, oversized realtime keys."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from websockets.sync.client import connect

from kisapi_sandbox.server import serve

from .conftest import ORDER_BODY, ORDER_PATH, RawKis
from .test_bad_requests import oauth_refused, refused


@pytest.mark.parametrize("advance", [b"1e400", b"NaN", b"-Infinity", b"-5", b'{"x": 1}', b"4e9"])
def test_absurd_clock_moves_are_refused_and_tokens_still_issue(
    raw_kis: Callable[..., RawKis], advance: bytes
) -> None:
    kis = raw_kis()
    response = kis.http.post("/__sandbox__/clock", content=b'{"advance": ' + advance + b"}")
    assert response.status_code == 400 and "Traceback" not in response.text
    assert kis.issue().status_code == 200
    assert kis.get().status_code == 200


def test_deep_control_body_is_a_400(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    deep = b"[" * 100_000 + b"]" * 100_000
    assert kis.http.post("/__sandbox__/faults", content=deep).status_code == 400


@pytest.mark.parametrize("appkey", [{"k": "v"}, ["PS"], 12345, None, True])
def test_token_needs_string_credentials(raw_kis: Callable[..., RawKis], appkey: object) -> None:
    kis = raw_kis()
    payload = {"grant_type": "client_credentials", "appkey": appkey, "appsecret": "secret"}
    oauth_refused(kis.http.post("/oauth2/tokenP", json=payload), "EGW00103")
    approval = {"grant_type": "client_credentials", "appkey": appkey, "secretkey": "secret"}
    oauth_refused(kis.http.post("/oauth2/Approval", json=approval), "EGW00103")
    assert kis.issue().status_code == 200


@pytest.mark.parametrize(
    "qty", ["-5", "1" + "0" * 400, "0", "99999999999999999999999999999999999999999"]
)
def test_impossible_quantities_are_refused_without_a_broker(
    raw_kis: Callable[..., RawKis], qty: str
) -> None:
    kis = raw_kis()
    body = json.dumps({**ORDER_BODY, "ORD_QTY": qty})
    msg1 = refused(kis.post(ORDER_PATH, body, "TTTC0012U"), "OPSQ2001", rt_cd="2")
    assert "ORD_QTY" in msg1
    assert kis.post(ORDER_PATH, json.dumps(ORDER_BODY), "TTTC0012U").status_code == 200


def test_deeply_nested_body_is_a_bad_request(raw_kis: Callable[..., RawKis]) -> None:
    kis = raw_kis()
    deep = "[" * 100_000 + "]" * 100_000
    refused(kis.post(ORDER_PATH, deep, "TTTC0012U"), "EGW00002")
    assert kis.post(ORDER_PATH, json.dumps(ORDER_BODY), "TTTC0012U").status_code == 200


def test_oversized_realtime_key_is_refused_and_the_session_goes_on() -> None:
    with serve(ws_port=0) as server:
        http = RawKis(server, "real")
        key = http.http.post("/oauth2/Approval", json={
            "grant_type": "client_credentials", "appkey": http.appkey, "secretkey": http.appsecret,
        }).json()["approval_key"]  # fmt: skip
        with connect(server.ws_url("real") + "/tryitout", max_size=2**22) as ws:
            for tr_key, ok in (("0" * 100_000, False), ("00\r\n59", False), ("005930", True)):
                ws.send(json.dumps({
                    "header": {"approval_key": key, "custtype": "P", "tr_type": "1",
                               "content-type": "utf-8"},
                    "body": {"input": {"tr_id": "H0STCNT0", "tr_key": tr_key}},
                }))  # fmt: skip
                reply = json.loads(ws.recv(timeout=5))
                while reply["header"]["tr_id"] == "PINGPONG":
                    reply = json.loads(ws.recv(timeout=5))
                assert (reply["body"]["rt_cd"] == "0") is ok, reply
                assert len(json.dumps(reply)) < 1000
