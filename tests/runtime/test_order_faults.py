"""Every order API under every fault: one rule, no order sent twice.

An order is *accepted* only on a parsable success carrying an order number and *rejected* only
on a KIS refusal code; every other outcome must raise ``KisOrderStateUnknownError`` carrying
what is known, after exactly one send. Failures before a byte left the machine are validation or
configuration errors (nothing sent) or are retried safely (connection refused).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi import AsyncKis, Kis
from kisapi_runtime.errors import (
    KisConfigError,
    KisError,
    KisOrderRejectedError,
    KisOrderStateUnknownError,
)

from ..endpoints import spec_model as sm

TOKEN_BODY = {
    "access_token": "tok-faults-0123456789abcdef",
    "token_type": "Bearer",
    "expires_in": 86400,
    "access_token_token_expired": "2099-01-01 00:00:00",
}
ORDER_IDS = [i for i in sm.api_ids() if sm.load(i).kind == "order"]
ORDER_CASES = [case for api_id in ORDER_IDS for case in sm.cases(api_id)]
SAMPLE = {"str": "0000012345", "text": "x", "int": "3", "decimal": "1.5", "date": "20260105",
          "time": "093015", "datetime": "20260105093015", "bool": "Y"}  # fmt: skip

NOT_NUMBERS = {
    "ODNO": {"x": 1},
    "RSVN_ORD_SEQ": {"x": 1},
    "OVRS_RSVN_ODNO": [1],
    "NRML_PRCS_YN": {},
}
Fault = Callable[[httpx.Request, dict[str, Any]], httpx.Response]


def success_body(api: sm.SpecApi) -> dict[str, Any]:
    """A success carrying every output field (the order number among them)."""
    body: dict[str, Any] = {
        "rt_cd": "0",
        "msg_cd": "APBK0013",
        "msg1": "주문 전송 완료 되었습니다.",
    }
    for block in api.blocks:
        record = {f.wire: SAMPLE.get(f.type, "1") for f in block.fields}
        body[block.key] = [record] if block.shape == "array" else record
    return body


def _respond(status: int, content: bytes) -> Fault:
    return lambda request, ok: httpx.Response(status, content=content)


def _raise(exc: type[httpx.TransportError]) -> Fault:
    def fault(request: httpx.Request, ok: dict[str, Any]) -> httpx.Response:
        raise exc("injected", request=request)

    return fault


def _body(change: Callable[[dict[str, Any]], Any], status: int = 200) -> Fault:
    def fault(request: httpx.Request, ok: dict[str, Any]) -> httpx.Response:
        body = json.loads(json.dumps(ok))
        changed = change(body)
        return httpx.Response(status, json=body if changed is None else changed)

    return fault


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.__setitem__(key, value)


def _blank_numbers(body: dict[str, Any]) -> None:
    out = body["output"]
    for record in out if isinstance(out, list) else [out]:
        for key in record:
            record[key] = ""


# Every fault whose outcome proves neither acceptance nor rejection.
UNKNOWN: dict[str, Fault] = {
    "empty": _respond(200, b""),
    "truncated": _respond(200, b'{"rt_cd":"0","msg_cd":"APBK0013","output":{"ODNO":"00001'),
    "non_json": _respond(200, b"<html><body>502 Bad Gateway</body></html>"),
    "non_utf8": _respond(200, b'\xff\xfe{"rt_cd":"0"}'),
    "array": _body(lambda b: [b]),
    "json_string": _body(lambda b: "accepted"),
    "deeply_nested": _respond(200, b"[" * 100_000 + b"]" * 100_000),
    "output_missing": _body(lambda b: b.pop("output") and None),
    "output_string": _body(_set("output", "garbage")),
    "output_empty_list": _body(_set("output", [])),
    "output_empty_object": _body(_set("output", {})),
    "output_blank_numbers": _body(_blank_numbers),
    "output_number_is_object": _body(_set("output", NOT_NUMBERS)),
    "rt_cd_missing": _body(lambda b: b.pop("rt_cd") and None),
    "http_500_rt_cd_0": _body(lambda b: None, status=500),
    "http_400_rt_cd_0": _body(lambda b: None, status=400),
    "http_500_empty": _respond(500, b""),
    "http_503_html": _respond(503, b"<html>Service Unavailable</html>"),
    "http_404_empty": _respond(404, b""),
    "rt_cd_1_without_code": _body(lambda b: {"rt_cd": "1", "msg1": "?"}),
    "check_previous_EGW00301": _body(lambda b: {"rt_cd": "1", "msg_cd": "EGW00301"}, 500),
    "check_previous_EGW00302": _body(lambda b: {"rt_cd": "1", "msg_cd": "EGW00302"}, 200),
    "post_processing_OPSQ0004": _body(lambda b: {"rt_cd": "1", "msg_cd": "OPSQ0004"}, 500),
    "post_processing_OPSQ0009": _body(lambda b: {"rt_cd": "1", "msg_cd": "OPSQ0009"}, 200),
    "read_timeout": _raise(httpx.ReadTimeout),
    "write_timeout": _raise(httpx.WriteTimeout),
    "reset": _raise(httpx.ReadError),
    "write_error": _raise(httpx.WriteError),
    "server_disconnected": _raise(httpx.RemoteProtocolError),
    "reply_lost_after_acceptance": _raise(httpx.RemoteProtocolError),
}
REJECTED: dict[str, Fault] = {
    "rejected_code": _body(lambda b: {"rt_cd": "1", "msg_cd": "APBK0919", "msg1": "주문불가"}),
    "rejected_unknown_code": _body(lambda b: {"rt_cd": "7", "msg_cd": "ZZZZ9999"}, 500),
    "rejected_bad_request": _body(lambda b: {"rt_cd": "1", "msg_cd": "OPSQ0002"}),
}


class Broker:
    """Answers tokens; for the order path it records the send ("the order reached KIS") and
    then answers with the fault."""

    def __init__(self, api: sm.SpecApi, fault: Fault | None) -> None:
        self.api = api
        self.fault = fault
        self.orders: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/tokenP":
            return httpx.Response(200, json=TOKEN_BODY)
        assert request.url.path == self.api.path, request.url.path
        self.orders.append(request)
        ok = success_body(self.api)
        if self.fault is None:
            return httpx.Response(200, json=ok)
        return self.fault(request, ok)


def _client(mode: str, broker: Broker, tmp_path: Path) -> Kis | AsyncKis:
    cls = Kis if mode == "sync" else AsyncKis
    return cls(appkey=sm.APPKEY, appsecret=sm.APPSECRET, account=sm.ACCOUNT, hts_id=sm.HTS_ID,
               env="real", rate_limit=0, token_cache_dir=tmp_path, max_retries=2,
               transport=httpx.MockTransport(broker))  # fmt: skip


async def _call(mode: str, case: sm.Case, fault: Fault | None, tmp_path: Path) -> tuple[Any, int]:
    """(result or raised exception, how many times the order reached the broker)."""
    api = sm.load(case.api_id)
    broker = Broker(api, fault)
    client = _client(mode, broker, tmp_path)
    namespace, method = case.api_id.split(".")
    values = sm.call_values(api, case, "real", full=False)
    try:
        result: Any = getattr(getattr(client, namespace), method)(**values)
        if mode == "async":
            result = await result
    except KisError as exc:
        result = exc
    finally:
        if isinstance(client, AsyncKis):
            await client.aclose()
        else:
            client.close()
    return result, len(broker.orders)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("case", ORDER_CASES, ids=lambda c: c.label)
async def test_every_fault_on_every_order_is_classified_and_sent_once(
    case: sm.Case, mode: str, tmp_path: Path
) -> None:
    misclassified: list[str] = []
    sent_twice: list[str] = []
    result, sends = await _call(mode, case, None, tmp_path)
    assert not isinstance(result, Exception), result
    assert sends == 1
    for name, fault in {**UNKNOWN, **REJECTED}.items():
        result, sends = await _call(mode, case, fault, tmp_path)
        expected = KisOrderRejectedError if name in REJECTED else KisOrderStateUnknownError
        if not isinstance(result, expected):
            misclassified.append(f"{name}: {type(result).__name__}: {result}")
        if sends != 1:
            sent_twice.append(f"{name}: sent {sends} times")
        if isinstance(result, KisOrderStateUnknownError):
            request = result.request
            assert request and sm.FILLS["account_number"] not in request.values(), name
            assert result.api == case.api_id and result.tr_id
            if not name.startswith(("read_", "write_", "reset", "server_", "reply_")):
                assert result.status_code is not None and result.body is not None, name
    assert misclassified == []
    assert sent_twice == []


def test_fault_table_covers_the_issue_kinds() -> None:
    kinds = {"empty", "truncated", "non_json", "array", "output_string", "http_500_rt_cd_0",
             "read_timeout", "reset", "reply_lost_after_acceptance"}  # fmt: skip
    assert kinds <= set(UNKNOWN)
    assert len(ORDER_IDS) == 18


async def test_connection_refused_is_retried_and_places_the_order_once(tmp_path: Path) -> None:
    case = next(c for c in ORDER_CASES if c.api_id == "domestic_stock.order_cash")
    attempts: list[int] = []

    def refused_once(request: httpx.Request, ok: dict[str, Any]) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=ok)

    result, _ = await _call("sync", case, refused_once, tmp_path)
    assert result.output.odno == "0000012345"
    assert len(attempts) == 2  # the refused attempt never reached KIS


@pytest.mark.parametrize("field", ["custtype", "appkey", "appsecret", "hts_id", "rest_url"])
@pytest.mark.parametrize("bad", ["P\r\nX-Evil: 1", "P\n", "P\x00", "P\x7f"])
def test_control_characters_in_config_are_refused_at_construction(
    field: str, bad: str, tmp_path: Path
) -> None:
    settings: dict[str, Any] = {"appkey": sm.APPKEY, "appsecret": sm.APPSECRET, "hts_id": "id",
                                "account": sm.ACCOUNT, "token_cache_dir": tmp_path}  # fmt: skip
    settings[field] = bad if field != "rest_url" else "https://example.com/" + bad
    with pytest.raises(KisConfigError) as err:
        Kis(**settings)
    assert field in str(err.value) and bad not in str(err.value)


def test_a_header_httpx_would_refuse_is_a_config_error_and_nothing_is_sent(tmp_path: Path) -> None:
    api = sm.load("domestic_stock.order_cash")
    broker = Broker(api, None)
    client = _client("sync", broker, tmp_path)
    object.__setattr__(client.config, "custtype", "P\r\n")  # bypasses validation on purpose
    case = next(c for c in ORDER_CASES if c.api_id == api.id)
    with pytest.raises(KisConfigError):
        client.domestic_stock.order_cash(**sm.call_values(api, case, "real", full=False))
    assert broker.orders == []
