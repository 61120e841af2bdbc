"""The KIS error table (spec/_shared/errors.yaml -> kisapi._errors): its contents and sources,
the classes it names, the retry policy on orders, and SYDB0050 (data changed since the query),
which restarts a paginated ``collect()`` from the first page once."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kisapi._errors import ERROR_TABLE
from kisapi_runtime import errors
from kisapi_runtime.api import ApiSpec, Field, Pagination, TrIdRule
from kisapi_runtime.client import AsyncClient, SyncClient
from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import (
    ERROR_CLASSES,
    KisApiError,
    KisBadRequestError,
    KisDataChangedError,
    KisOrderRejectedError,
    KisOrderStateUnknownError,
    KisRateLimitError,
    KisServerError,
    classify,
)
from kisapi_runtime.pagination import AsyncPaginator, Paginator

from .test_client import APPKEY, APPSECRET, ORDER, _decode

REPO = Path(__file__).resolve().parents[2]
ERRORS_YAML = REPO / "spec" / "_shared" / "errors.yaml"
SHARED_SCHEMA = REPO / "spec" / "schema" / "shared.schema.json"

# Codes KIS_FACTS.md names (its table and its "errors seen in the wild"), plus the ones the
# real payloads carry with rt_cd != "0": every one must be in the table.
KIS_FACTS_CODES = {
    "EGW00001", "EGW00002", "EGW00121", "EGW00123", "EGW00133", "EGW00201", "EGW00552",
    "IGW00007", "MCA05918", "OPSQ0001", "OPSQ0002", "OPSQ0013", "OPSQ0019", "OPSQ2001",
    "OPSP8996", "SYDB0050", "40070000", "40240000", "40330000",
}  # fmt: skip
# What a source may be: a fact file of the project's references, a named file of a public
# repository, or a GitHub issue / pull request.
SOURCE_KINDS = re.compile(
    r"KIS_FACTS|real_payloads|open-trading-api \S+( (comment|docstring))?|kt_kisopenapi \S+\.kt\b.*"
    r"|https://github\.com/[\w.-]+/[\w.-]+/(issues|pull)/\d+|msg1 as quoted in public GitHub code"
)


def _yaml() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(ERRORS_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- the table itself -------------------------------------------------------------------


def test_at_least_100_codes_each_with_a_known_kind_of_source() -> None:
    table = _yaml()
    assert len(table) >= 100
    for code, entry in table.items():
        assert isinstance(code, str), f"{code!r}: quote numeric codes in the YAML"
        parts = [part.strip() for part in str(entry.get("source", "")).split(";")]
        assert parts and all(parts), f"{code}: no source"
        for part in parts:
            assert SOURCE_KINDS.fullmatch(part), f"{code}: unrecognised source {part!r}"
        assert entry["meaning"].strip(), f"{code}: no meaning"


def test_codes_named_by_kis_facts_are_all_there() -> None:
    assert KIS_FACTS_CODES - set(_yaml()) == set()


def test_yaml_is_sorted_by_code_and_generated_table_is_fresh() -> None:
    codes = list(_yaml())
    assert codes == sorted(codes)
    assert list(ERROR_TABLE) == codes
    for code, entry in _yaml().items():
        rule = ERROR_TABLE[code]
        assert (rule.error, rule.retry, rule.reissue_token) == (
            entry["error"],
            entry["retry"],
            entry.get("reissue_token", False),
        ), code


def test_every_class_named_exists_and_the_schema_allows_exactly_those() -> None:
    for code, rule in ERROR_TABLE.items():
        cls = getattr(errors, rule.error, None)
        assert isinstance(cls, type) and issubclass(cls, KisApiError), code
        assert ERROR_CLASSES[rule.error] is cls
    schema = json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))
    error_def = schema["$defs"]["ErrorDef"]
    assert set(error_def["properties"]["error"]["enum"]) == set(ERROR_CLASSES)
    assert "source" in error_def["required"]


def test_retry_only_where_kis_refused_before_processing() -> None:
    retried = {code: rule for code, rule in ERROR_TABLE.items() if rule.retry}
    assert {"EGW00201", "EGW00202"} <= set(retried)
    for code, rule in retried.items():
        assert code.startswith("EGW"), f"{code}: only the gateway refuses before processing"
        assert rule.error in {"KisRateLimitError", "KisServerError"}, code
    for code, entry in _yaml().items():
        # "check the previous transaction" and errors after the call never allow a resend
        if "직전 거래" in entry["meaning"] or "후처리" in entry["meaning"]:
            assert entry["retry"] is False, code


def test_token_reissue_only_for_token_errors() -> None:
    for code, rule in ERROR_TABLE.items():
        assert rule.reissue_token == (rule.error == "KisTokenExpiredError"), code
    assert {"EGW00121", "EGW00123"} <= {c for c, r in ERROR_TABLE.items() if r.reissue_token}


def test_bad_request_on_an_order_is_also_an_order_rejection() -> None:
    on_query, _ = classify("OPSQ0002", ERROR_TABLE, is_order=False)
    on_order, _ = classify("OPSQ0002", ERROR_TABLE, is_order=True)
    assert on_query is KisBadRequestError
    assert issubclass(on_order, KisOrderRejectedError) and issubclass(on_order, KisBadRequestError)
    assert classify("SYDB0050", ERROR_TABLE, is_order=False)[0] is KisDataChangedError
    assert classify("NOPE0000", ERROR_TABLE, is_order=True)[0] is KisOrderRejectedError


# --- through a client ---------------------------------------------------------------------

# the same request scaffolding as test_client (ORDER is its order API, unchanged)
QUOTE: ApiSpec[dict[str, Any]] = ApiSpec(
    id="demo.quote", title="현재가", method="GET", path="/uapi/q", kind="query",
    tr_ids=(TrIdRule((), "FHKST01010100", "FHKST01010100"),),
    request=(Field("FID_INPUT_ISCD", "fid_input_iscd", "str", label="종목", required=True),),
    decode=_decode,
)  # fmt: skip


def _paged(cacheable: bool = False) -> ApiSpec[dict[str, Any]]:
    return ApiSpec(
        id="demo.balance", title="잔고", method="GET", path="/uapi/b", kind="query",
        tr_ids=(TrIdRule((), "TTTC8434R", "VTTC8434R"),),
        request=(Field("CTX_AREA_FK100", "ctx_area_fk100", "str", label="k"),
                 Field("CTX_AREA_NK100", "ctx_area_nk100", "str", label="k")),
        decode=_decode, cacheable=cacheable,
        pagination=Pagination((("CTX_AREA_FK100", "ctx_area_fk100"),
                               ("CTX_AREA_NK100", "ctx_area_nk100")), "output1"),
    )  # fmt: skip


class Server:
    """Scripted KIS: tokens and hash keys on demand, queued answers for API calls."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answers: list[httpx.Response] = []
        self.hashkeys = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/tokenP":
            return httpx.Response(200, json={"access_token": "tok-1-abcdefghij", "token_type": "Bearer",
                                             "expires_in": 86400,
                                             "access_token_token_expired": "2099-01-01 00:00:00"})  # fmt: skip
        if request.url.path == "/uapi/hashkey":
            self.hashkeys += 1
            return httpx.Response(200, json={"HASH": "h" * 64})
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else page([], "D")


def page(rows: list[int], tr_cont: str, nk: str = "") -> httpx.Response:
    body = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상", "output1": rows,
            "output": {"ODNO": "0000012345"},
            "ctx_area_fk100": "FK".ljust(100), "ctx_area_nk100": nk.ljust(100)}  # fmt: skip
    return httpx.Response(200, json=body, headers={"tr_cont": tr_cont})


def kis_error(status: int, msg_cd: str, rt_cd: str = "1") -> httpx.Response:
    return httpx.Response(status, json={"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": "오류"})


def data_changed() -> httpx.Response:
    return kis_error(200, "SYDB0050", rt_cd="7")


class Client(SyncClient):
    error_table = ERROR_TABLE


class AClient(AsyncClient):
    error_table = ERROR_TABLE


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def config(tmp_path: Path) -> KisConfig:
    return KisConfig(appkey=APPKEY, appsecret=APPSECRET, account="12345678-01", env="real",
                     token_cache_dir=tmp_path, rate_limit=0, use_hashkey=True)  # fmt: skip


@pytest.fixture
def client(config: KisConfig, server: Server) -> Client:
    return Client(config, transport=httpx.MockTransport(server), sleep=lambda seconds: None)


async def _no_sleep(seconds: float) -> None:
    return None


Collect = Callable[[KisConfig, Server, ApiSpec[dict[str, Any]]], list[int]]


def _collect_sync(config: KisConfig, server: Server, api: ApiSpec[dict[str, Any]]) -> list[int]:
    c = Client(config, transport=httpx.MockTransport(server), sleep=lambda seconds: None)
    pager: Paginator[Any, int] = Paginator(c, c.prepare(api, {}), max_pages=10)
    result = pager.collect()
    assert result.complete is True and pager.complete is True
    assert [row for p in result.pages for row in p["output1"]] == result.rows
    return result.rows


def _collect_async(config: KisConfig, server: Server, api: ApiSpec[dict[str, Any]]) -> list[int]:
    import asyncio

    async def run() -> list[int]:
        async with AClient(config, transport=httpx.MockTransport(server)) as c:
            c._sleep = _no_sleep  # type: ignore[method-assign]
            pager: AsyncPaginator[Any, int] = AsyncPaginator(c, c.prepare(api, {}), max_pages=10)
            result = await pager.collect()
            assert result.complete is True
            return result.rows

    return asyncio.run(run())


both = pytest.mark.parametrize("collect", [_collect_sync, _collect_async], ids=["sync", "async"])


@both
def test_data_changed_on_a_later_page_restarts_once_from_the_first(
    collect: Collect, config: KisConfig, server: Server
) -> None:
    server.answers = [
        page([1, 2], "M", "P2"),
        data_changed(),
        page([10, 20], "M", "P2"),
        page([30], "D"),
    ]
    assert collect(config, server, _paged()) == [10, 20, 30]  # nothing from before the change
    first, changed, again, last = server.requests
    assert again.headers["tr_cont"] == "" and dict(again.url.params) == dict(first.url.params)
    assert changed.headers["tr_cont"] == "N" and last.headers["tr_cont"] == "N"
    assert last.url.params["CTX_AREA_NK100"] == "P2".ljust(100)


@both
def test_data_changed_twice_raises(collect: Collect, config: KisConfig, server: Server) -> None:
    server.answers = [
        page([1], "M", "P2"),
        data_changed(),
        page([1], "M", "P2"),
        data_changed(),
        page([9], "D"),
    ]
    with pytest.raises(KisDataChangedError) as err:
        collect(config, server, _paged())
    assert err.value.msg_cd == "SYDB0050" and err.value.rt_cd == "7"
    assert len(server.requests) == 4


@both
def test_data_changed_on_the_first_page_is_not_a_restart(
    collect: Collect, config: KisConfig, server: Server
) -> None:
    server.answers = [data_changed(), page([1], "D")]
    with pytest.raises(KisDataChangedError):
        collect(config, server, _paged())
    assert len(server.requests) == 1


def test_restart_reads_the_first_page_again_not_a_cached_copy(
    config: KisConfig, server: Server
) -> None:
    cached = KisConfig(appkey=APPKEY, appsecret=APPSECRET, account="12345678-01", env="real",
                       token_cache_dir=config.token_cache_dir, rate_limit=0, cache_ttl=60.0)  # fmt: skip
    server.answers = [page([1], "M", "P2"), data_changed(), page([5], "M", "P2"), page([6], "D")]
    assert _collect_sync(cached, server, _paged(cacheable=True)) == [5, 6]
    assert len(server.requests) == 4


def test_iterating_pages_never_repeats_them(client: Client, server: Server) -> None:
    server.answers = [page([1, 2], "M", "P2"), data_changed(), page([1, 2], "D")]
    seen: list[int] = []
    pager: Paginator[Any, int] = Paginator(client, client.prepare(_paged(), {}), max_pages=10)
    with pytest.raises(KisDataChangedError):
        seen.extend(pager.rows())
    assert seen == [1, 2] and len(server.requests) == 2


def test_data_changed_outside_pagination_just_raises(client: Client, server: Server) -> None:
    server.answers = [data_changed(), page([1], "D")]
    with pytest.raises(KisDataChangedError):
        client.call(QUOTE, {"fid_input_iscd": "005930"})
    assert len(server.requests) == 1


# --- orders and the retry flag ----------------------------------------------------------


def test_retry_code_on_an_order_resends_once_and_never_after_acceptance(
    client: Client, server: Server
) -> None:
    def accepted() -> httpx.Response:
        return httpx.Response(200, json={"rt_cd": "0", "msg_cd": "APBK0013", "msg1": "주문 전송 완료",
                                         "output": {"ODNO": "0000117101"}})  # fmt: skip

    server.answers = [kis_error(500, "EGW00201"), accepted(), accepted()]
    assert client.call(ORDER, {"ord_qty": 1})["output"]["ODNO"] == "0000117101"
    refused, sent = server.requests
    assert refused.content == sent.content and refused.headers["hashkey"] == sent.headers["hashkey"]
    assert server.hashkeys == 1 and len(server.answers) == 1  # the spare acceptance never used


def test_retry_code_on_an_order_gives_up_without_an_extra_send(
    client: Client, server: Server
) -> None:
    server.answers = [kis_error(500, "EGW00201") for _ in range(5)]
    with pytest.raises(KisRateLimitError):
        client.call(ORDER, {"ord_qty": 1})
    assert len(server.requests) == client.config.max_retries + 1


CHECK_PREVIOUS = ["EGW00301", "EGW00302", *(f"OPSQ000{n}" for n in range(4, 10))]


def test_check_the_previous_transaction_codes_are_marked_state_unknown() -> None:
    marked = {code for code, rule in ERROR_TABLE.items() if rule.order_state_unknown}
    said = {
        c for c, e in _yaml().items() if "직전 거래" in e["meaning"] or "후처리" in e["meaning"]
    }
    assert marked == said == set(CHECK_PREVIOUS)


@pytest.mark.parametrize("code", CHECK_PREVIOUS)
def test_order_timeouts_and_post_processing_errors_are_state_unknown_and_sent_once(
    client: Client, server: Server, code: str
) -> None:
    server.answers = [kis_error(500, code), kis_error(200, "EGW00201")]
    with pytest.raises(KisOrderStateUnknownError) as err:
        client.call(ORDER, {"ord_qty": 1})
    assert err.value.msg_cd == code and err.value.status_code == 500
    assert len(server.requests) == 1
    assert err.value.request["CANO"] != "12345678" and err.value.request["ORD_QTY"] == "1"
    server.answers = [kis_error(500, code)]
    with pytest.raises(KisServerError):  # on a query it is a plain server error
        client.call(QUOTE, {"fid_input_iscd": "005930"})


def test_order_refused_for_its_input_is_an_order_rejection(client: Client, server: Server) -> None:
    server.answers = [kis_error(200, "OPSQ0002"), kis_error(200, "OPSQ0002")]
    with pytest.raises(KisOrderRejectedError) as order_err:
        client.call(ORDER, {"ord_qty": 1})
    assert isinstance(order_err.value, KisBadRequestError)
    with pytest.raises(KisBadRequestError) as query_err:
        client.call(QUOTE, {"fid_input_iscd": "005930"})
    assert not isinstance(query_err.value, KisOrderRejectedError)
    assert len(server.requests) == 2
