"""The client core through httpx mock transports: headers, retries, error mapping, order safety,
token reissue, cache, and secrets kept out of reprs, logs and exceptions."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi_runtime.api import ApiSpec, Block, Field, Pagination, TrIdRule
from kisapi_runtime.auth import TokenManager
from kisapi_runtime.client import AsyncClient, SyncClient
from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import (
    ErrorRule,
    KisApiError,
    KisConnectionError,
    KisOrderRejectedError,
    KisOrderStateUnknownError,
    KisRateLimitError,
    KisServerError,
    KisTokenExpiredError,
    KisValidationError,
)
from kisapi_runtime.secret import get_logger

APPKEY = "PSappkey1234567890"
APPSECRET = "appsecret-very-secret-0987654321"
TOKEN_PREFIX = "tok-"
TABLE = {
    "EGW00201": ErrorRule("KisRateLimitError", retry=True, reissue_token=False),
    "EGW00123": ErrorRule("KisTokenExpiredError", retry=False, reissue_token=True),
    "OPSQ0013": ErrorRule("KisOrderRejectedError", retry=False, reissue_token=False),
}


class Body(dict[str, Any]):
    """A decoded page: keys as items and as attributes (like generated models)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def _decode(body: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    return Body(body)


QUOTE: ApiSpec[dict[str, Any]] = ApiSpec(
    id="demo.quote", title="현재가", method="GET", path="/uapi/q", kind="query",
    tr_ids=(TrIdRule((), "FHKST01010100", "FHKST01010100"),),
    request=(Field("FID_INPUT_ISCD", "fid_input_iscd", "str", label="종목", required=True),),
    decode=_decode, cacheable=True,
)  # fmt: skip
ORDER: ApiSpec[dict[str, Any]] = ApiSpec(
    id="demo.order", title="주문", method="POST", path="/uapi/o", kind="order",
    tr_ids=(TrIdRule((), "TTTC0012U", "VTTC0012U"),),
    request=(
        Field("CANO", "cano", "str", label="계좌", required=True, fill="account_number"),
        Field("ACNT_PRDT_CD", "acnt_prdt_cd", "str", label="상품", required=True, fill="account_product"),
        Field("ORD_QTY", "ord_qty", "int", label="수량", required=True),
    ),
    decode=_decode, hashkey=True,
    response=(Block("output", "object", (("ODNO", "odno", "str", None),)),),
)  # fmt: skip
PAGED: ApiSpec[dict[str, Any]] = ApiSpec(
    id="demo.balance", title="잔고", method="GET", path="/uapi/b", kind="query",
    tr_ids=(TrIdRule((), "TTTC8434R", "VTTC8434R"),),
    request=(Field("CTX_AREA_FK100", "ctx_area_fk100", "str", label="k"),
             Field("CTX_AREA_NK100", "ctx_area_nk100", "str", label="k")),
    decode=_decode,
    pagination=Pagination((("CTX_AREA_FK100", "ctx_area_fk100"), ("CTX_AREA_NK100", "ctx_area_nk100")), "output1"),
)  # fmt: skip


class Server:
    """Scripted KIS: a token endpoint plus queued answers for API calls."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[Callable[[httpx.Request], httpx.Response] | httpx.Response] = []
        self.tokens_issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/tokenP":
            self.tokens_issued += 1
            return httpx.Response(200, json={"access_token": f"{TOKEN_PREFIX}{self.tokens_issued}-abcdefghij",
                                             "token_type": "Bearer", "expires_in": 86400,
                                             "access_token_token_expired": "2099-01-01 00:00:00"})  # fmt: skip
        if request.url.path == "/uapi/hashkey":
            return httpx.Response(200, json={"HASH": "h" * 64})
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else ok(PLACED)
        return answer(request) if callable(answer) else answer


PLACED = {"output": {"ODNO": "0000012345"}}


def ok(body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(
        200, json={"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상", **body}, headers=headers
    )


def kis_error(status: int, msg_cd: str, rt_cd: str = "1") -> httpx.Response:
    return httpx.Response(status, json={"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": "오류   "})


class Client(SyncClient):
    error_table = TABLE


class AClient(AsyncClient):
    error_table = TABLE


@pytest.fixture
def config(tmp_path: Path) -> KisConfig:
    return KisConfig(appkey=APPKEY, appsecret=APPSECRET, account="12345678-01", env="real",
                     token_cache_dir=tmp_path, rate_limit=0, use_hashkey=True)  # fmt: skip


@pytest.fixture
def server() -> Server:
    return Server()


class FakeClock:
    """Wall clock for the token manager that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def client(config: KisConfig, server: Server) -> Client:
    sleeps: list[float] = []
    c = Client(config, transport=httpx.MockTransport(server), sleep=sleeps.append)
    clock = FakeClock()
    c._tokens = TokenManager(config, clock=clock, sleep=clock.sleep)
    c.sleeps = sleeps  # type: ignore[attr-defined]
    c.clock = clock  # type: ignore[attr-defined]
    return c


def test_exact_get_request(client: Client, server: Server) -> None:
    client.call(QUOTE, {"fid_input_iscd": "005930"})
    (req,) = server.requests
    assert req.method == "GET"
    assert req.url.path == "/uapi/q"
    assert dict(req.url.params) == {"FID_INPUT_ISCD": "005930"}
    assert req.headers["tr_id"] == "FHKST01010100"
    assert req.headers["authorization"] == f"Bearer {TOKEN_PREFIX}1-abcdefghij"
    assert req.headers["appkey"] == APPKEY and req.headers["appsecret"] == APPSECRET
    assert req.headers["custtype"] == "P" and req.headers["tr_cont"] == ""
    assert req.headers["content-type"] == "application/json; charset=utf-8"


def test_exact_post_request_with_account_and_hashkey(client: Client, server: Server) -> None:
    client.call(ORDER, {"ord_qty": 3})
    (req,) = server.requests
    assert req.method == "POST"
    assert json.loads(req.content) == {"CANO": "12345678", "ACNT_PRDT_CD": "01", "ORD_QTY": "3"}
    assert req.headers["hashkey"] == "h" * 64


def test_bad_input_sends_nothing(client: Client, server: Server) -> None:
    with pytest.raises(KisValidationError, match=r"demo\.order: ord_qty: expected an integer"):
        client.call(ORDER, {"ord_qty": "many"})
    assert server.requests == [] and server.tokens_issued == 0


def test_rate_limit_error_is_retried_then_succeeds(client: Client, server: Server) -> None:
    server.answers = [kis_error(500, "EGW00201"), kis_error(200, "EGW00201"), ok({"x": "1"})]
    assert client.call(QUOTE, {"fid_input_iscd": "005930"})["x"] == "1"
    assert len(server.requests) == 3
    assert len(client.sleeps) == 2  # type: ignore[attr-defined]


def test_rate_limit_gives_up_after_max_retries(client: Client, server: Server) -> None:
    server.answers = [kis_error(500, "EGW00201")] * 5
    with pytest.raises(KisRateLimitError) as err:
        client.call(QUOTE, {"fid_input_iscd": "005930"})
    assert err.value.msg_cd == "EGW00201" and err.value.tr_id == "FHKST01010100"
    assert len(server.requests) == 3


def test_expired_token_is_reissued_once(client: Client, server: Server) -> None:
    server.answers = [kis_error(500, "EGW00123"), ok({})]
    client.call(QUOTE, {"fid_input_iscd": "005930"})
    assert server.tokens_issued == 2
    assert client.clock.slept and sum(client.clock.slept) >= 59  # type: ignore[attr-defined]
    assert server.requests[1].headers["authorization"].startswith(f"Bearer {TOKEN_PREFIX}2")


def test_expired_token_twice_raises(client: Client, server: Server) -> None:
    server.answers = [kis_error(500, "EGW00123"), kis_error(500, "EGW00123")]
    with pytest.raises(KisTokenExpiredError):
        client.call(QUOTE, {"fid_input_iscd": "005930"})


def test_order_rejection_maps_to_typed_error(client: Client, server: Server) -> None:
    server.answers = [kis_error(200, "OPSQ0013")]
    with pytest.raises(KisOrderRejectedError) as err:
        client.call(ORDER, {"ord_qty": 1})
    assert err.value.msg1 == "오류" and err.value.rt_cd == "1"


def test_unknown_code_on_query_is_api_error(client: Client, server: Server) -> None:
    server.answers = [kis_error(200, "ZZZ99999", rt_cd="2")]
    with pytest.raises(KisApiError) as err:
        client.call(QUOTE, {"fid_input_iscd": "005930"})
    assert type(err.value) is KisApiError and err.value.rt_cd == "2"


def test_order_is_never_retried_after_ambiguous_failure(client: Client, server: Server) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    server.answers = [timeout, ok({})]
    with pytest.raises(KisOrderStateUnknownError, match="NOT retried"):
        client.call(ORDER, {"ord_qty": 1})
    assert len(server.requests) == 1


def test_order_with_bodyless_500_is_state_unknown(client: Client, server: Server) -> None:
    server.answers = [httpx.Response(502, text="<html>bad gateway</html>")]
    with pytest.raises(KisOrderStateUnknownError):
        client.call(ORDER, {"ord_qty": 1})
    assert len(server.requests) == 1


def test_order_retried_when_nothing_was_sent(client: Client, server: Server) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    server.answers = [refused, ok({"done": "Y", **PLACED})]
    assert client.call(ORDER, {"ord_qty": 1})["done"] == "Y"


def test_query_retried_on_timeouts_then_connection_error(client: Client, server: Server) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    server.answers = [timeout, httpx.Response(503, text="busy"), ok({"x": "2"})]
    assert client.call(QUOTE, {"fid_input_iscd": "005930"})["x"] == "2"
    server.answers = [timeout] * 3
    with pytest.raises(KisConnectionError):
        client.call(QUOTE, {"fid_input_iscd": "000660"})


def test_server_error_without_body_on_query(client: Client, server: Server) -> None:
    server.answers = [httpx.Response(500, text="oops")] * 3
    with pytest.raises(KisServerError):
        client.call(QUOTE, {"fid_input_iscd": "005930"})


def test_raw_response_carries_headers_and_codes(client: Client, server: Server) -> None:
    server.answers = [ok({"x": "1"}, tr_cont="M", gt_uid="abc")]
    raw = client.call_raw(QUOTE, {"fid_input_iscd": "005930"})
    assert raw.status_code == 200 and raw.tr_cont == "M" and raw.has_next
    assert raw.rt_cd == "0" and raw.msg_cd == "MCA00000" and raw.msg1 == "정상"
    assert raw.body["x"] == "1" and raw.parsed["x"] == "1" and raw.tr_id == "FHKST01010100"


def test_pagination_across_three_pages(client: Client, server: Server) -> None:
    from kisapi_runtime.pagination import Paginator

    fk = "FK".ljust(100)
    server.answers = [
        ok(
            {"output1": [1, 2], "ctx_area_fk100": fk, "ctx_area_nk100": "P2".ljust(100)},
            tr_cont="F",
        ),
        ok({"output1": [3], "ctx_area_fk100": fk, "ctx_area_nk100": "P3".ljust(100)}, tr_cont="M"),
        ok({"output1": [4], "ctx_area_fk100": fk, "ctx_area_nk100": "".ljust(100)}, tr_cont="D"),
    ]
    pages: Paginator[Any, Any] = Paginator(client, client.prepare(PAGED, {}), max_pages=10)
    collected = [page["output1"] for page in pages]
    assert collected == [[1, 2], [3], [4]] and pages.complete is True
    first, second, third = server.requests
    assert first.headers["tr_cont"] == "" and second.headers["tr_cont"] == "N"
    assert second.url.params["CTX_AREA_NK100"] == "P2".ljust(100)
    assert third.url.params["CTX_AREA_NK100"] == "P3".ljust(100)
    assert third.url.params["CTX_AREA_FK100"] == fk


def test_page_cap_is_never_silent(
    client: Client, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    from kisapi_runtime.pagination import KisIncompleteError, Paginator

    more = [ok({"output1": [n], "ctx_area_nk100": f"P{n}"}, tr_cont="M") for n in range(1, 5)]
    server.answers = list(more)
    with caplog.at_level(logging.WARNING, logger="kisapi"):
        pager: Paginator[Any, Any] = Paginator(client, client.prepare(PAGED, {}), max_pages=2)
        assert len(list(pager)) == 2
    assert pager.complete is False
    assert "page cap" in caplog.text
    server.answers = list(more)
    with pytest.raises(KisIncompleteError):
        Paginator(client, client.prepare(PAGED, {}), max_pages=2).collect(require_complete=True)


def test_cache_serves_repeated_quotes(config: KisConfig, server: Server) -> None:
    cached = KisConfig(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=config.token_cache_dir,
                       rate_limit=0, cache_ttl=5.0)  # fmt: skip
    c = Client(cached, transport=httpx.MockTransport(server))
    c.call(QUOTE, {"fid_input_iscd": "005930"})
    c.call(QUOTE, {"fid_input_iscd": "005930"})
    c.call(QUOTE, {"fid_input_iscd": "000660"})
    assert len(server.requests) == 2
    c.call(ORDER, {"ord_qty": 1, "cano": "12345678", "acnt_prdt_cd": "01"})
    c.call(ORDER, {"ord_qty": 1, "cano": "12345678", "acnt_prdt_cd": "01"})
    assert len(server.requests) == 4


async def test_async_client_same_behaviour(config: KisConfig, server: Server) -> None:
    server.answers = [kis_error(500, "EGW00201"), ok({"x": "1"})]
    async with AClient(config, transport=httpx.MockTransport(server)) as c:
        c._sleep = _no_sleep  # type: ignore[method-assign]
        assert (await c.call(QUOTE, {"fid_input_iscd": "005930"}))["x"] == "1"
        with pytest.raises(KisValidationError):
            await c.call(ORDER, {"ord_qty": None})
    assert len(server.requests) == 2


async def _no_sleep(seconds: float) -> None:
    return None


def test_secrets_never_in_repr_logs_or_errors(
    client: Client, server: Server, config: KisConfig, caplog: pytest.LogCaptureFixture
) -> None:
    server.answers = [kis_error(500, "EGW00201")] * 3 + [kis_error(200, "OPSQ0013")]
    with caplog.at_level(logging.DEBUG, logger="kisapi"):
        with pytest.raises(KisRateLimitError) as rate_err:
            client.call(QUOTE, {"fid_input_iscd": "005930"})
        with pytest.raises(KisOrderRejectedError) as order_err:
            client.call(ORDER, {"ord_qty": 1})
        get_logger("test").warning("leak? %s %s %s", APPKEY, APPSECRET, "12345678")
    token = f"{TOKEN_PREFIX}1-abcdefghij"
    texts = [repr(client), repr(config), str(config), repr(client._tokens), str(rate_err.value),
             str(order_err.value), repr(order_err.value), caplog.text]  # fmt: skip
    for text in texts:
        for secret in (APPKEY, APPSECRET, token, "12345678"):
            assert secret not in text, (secret, text)
