"""Every generated API end to end through ``Kis``/``AsyncKis`` and an httpx mock transport.

For each API (and each TR ID rule, environment, sync/async) the request KIS receives is
compared with what the spec YAML says it must be (method, host, path, headers, every query or
body parameter), and a response holding every declared field is decoded to typed values,
loose and strict. Expectations come from ``spec_model`` (the YAML read directly), never from
the runtime or the generated ``API`` objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

import kisapi
from codegen.load import DATA_DIRS
from kisapi import AsyncKis, Kis, KisMockUnsupportedError, KisValidationError

from . import spec_model as sm

TOKEN = "tok-endpoint-test-0123456789abcdef"
TOKEN_BODY = {
    "access_token": TOKEN,
    "token_type": "Bearer",
    "expires_in": 86400,
    "access_token_token_expired": "2099-01-01 00:00:00",
}
ENVS = ["real", "mock"]
MODES = ["sync", "async"]
CASES = sm.all_cases()
PAGINATED = [api_id for api_id in sm.api_ids() if sm.load(api_id).paginated]

Responder = Callable[[httpx.Request, int], httpx.Response]


class Recorder:
    """A KIS stand-in: answers the token endpoint, and ``api``'s path with ``respond``."""

    def __init__(self, api: sm.SpecApi, respond: Responder | None = None) -> None:
        self.api = api
        self.respond = respond
        self.requests: list[httpx.Request] = []

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == self.api.path]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == self.api.path and self.respond is not None:
            return self.respond(request, len(self.api_requests))
        if request.url.path == "/oauth2/tokenP":
            return httpx.Response(200, json=TOKEN_BODY)
        return httpx.Response(404, json={"rt_cd": "1", "msg_cd": "TEST404", "msg1": "unexpected"})


def make_client(
    mode: str,
    env: str,
    recorder: Recorder,
    tmp_path: Path,
    *,
    strict: bool = False,
    account: str | None = sm.ACCOUNT,
) -> Kis | AsyncKis:
    cls = Kis if mode == "sync" else AsyncKis
    return cls(
        appkey=sm.APPKEY,
        appsecret=sm.APPSECRET,
        account=account,
        hts_id=sm.HTS_ID,
        env=env,
        rate_limit=0,
        token_cache_dir=tmp_path,
        strict=strict,
        transport=httpx.MockTransport(recorder),
    )


def endpoint(client: Kis | AsyncKis, api_id: str) -> Any:
    namespace, method = api_id.split(".")
    return getattr(getattr(client, namespace), method)


async def invoke(mode: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    result = fn(**kwargs)
    if mode == "async":
        result = await result
    return result


async def close(client: Kis | AsyncKis) -> None:
    if isinstance(client, AsyncKis):
        await client.aclose()
    else:
        client.close()


def sent_params(request: httpx.Request) -> dict[str, str]:
    if request.method == "GET":
        items = request.url.params.multi_items()
        assert len(items) == len({k for k, _ in items}), f"repeated query keys: {items}"
        assert not request.content
        return dict(items)
    body = json.loads(request.content)
    assert isinstance(body, dict)
    assert all(isinstance(v, str) for v in body.values()), f"non-string body values: {body}"
    return body


def check_request(
    api: sm.SpecApi, request: httpx.Request, env: str, wire: Mapping[str, str], tr_id: str | None
) -> None:
    assert request.method == api.method
    assert (request.url.host, request.url.port) == sm.HOSTS[env]
    assert request.url.scheme == "https"
    assert request.url.path == api.path
    headers = request.headers
    assert headers["content-type"].startswith("application/json")
    if api.kind == "auth":
        assert "authorization" not in headers
        assert "tr_id" not in headers
    else:
        assert headers["authorization"] == f"Bearer {TOKEN}"
        assert headers["appkey"] == sm.APPKEY
        assert headers["appsecret"] == sm.APPSECRET
        assert headers["tr_id"] == tr_id
        assert headers["custtype"] == "P"
        assert headers["tr_cont"] == ""
    assert sent_params(request) == dict(wire)


def ok_responder(api: sm.SpecApi, body: Mapping[str, Any]) -> Responder:
    def respond(request: httpx.Request, n: int) -> httpx.Response:
        headers = {"tr_cont": "D"} if api.kind != "auth" else {}
        if api.method == "GET":
            headers["tr_id"] = request.headers.get("tr_id", "")
        return httpx.Response(200, json=body, headers=headers)

    return respond


# --- 1. request + typed response, every API / rule / env / mode ------------------------


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@pytest.mark.parametrize("full", [True, False], ids=["all-fields", "required-only"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_request_and_typed_response(
    case: sm.Case, env: str, mode: str, full: bool, strict: bool, tmp_path: Path
) -> None:
    api = sm.load(case.api_id)
    values = sm.call_values(api, case, env, full=full)
    wire = sm.expected_wire(api, values)
    tr_id = sm.expected_tr_id(api, env, sm.choice_for_tr(api, case, values))
    body = sm.response_body(api)
    recorder = Recorder(api, ok_responder(api, body))
    client = make_client(mode, env, recorder, tmp_path, strict=strict)
    ep = endpoint(client, api.id)
    try:
        if api.kind != "auth" and tr_id is None:
            assert env == "mock"
            with pytest.raises(KisMockUnsupportedError) as info:
                await invoke(mode, ep, **values)
            assert api.id in str(info.value)
            assert recorder.requests == [], "a mock-unsupported API sent something"
            return
        if full:
            parsed = await invoke(mode, ep, **values)
        else:
            raw = await invoke(mode, ep.raw, **values)
            assert isinstance(raw, kisapi.ApiResponse)
            assert raw.status_code == 200
            assert raw.tr_id == tr_id
            assert raw.body == body
            parsed = raw.parsed
    finally:
        await close(client)

    expected_paths = [api.path] if api.kind == "auth" else ["/oauth2/tokenP", api.path]
    assert [r.url.path for r in recorder.requests] == expected_paths
    check_request(api, recorder.requests[-1], env, wire, tr_id)

    assert type(parsed).__name__ == sm.manifest()[api.id]["class"] + "Response"
    if api.kind != "auth":
        assert (parsed.rt_cd, parsed.msg_cd) == ("0", "KIOK0000")
    problems = sm.check_decoded(api, parsed, body)
    assert not problems, "\n".join(problems)


def test_every_api_and_rule_is_exercised() -> None:
    """The parametrization covers every REST spec and every TR ID of every rule (real and mock)."""
    rest_specs = [
        p for p in sm.SPEC_DIR.rglob("*.yaml")
        if p.relative_to(sm.SPEC_DIR).parts[0] not in ("_shared", "schema", "realtime", *DATA_DIRS)
    ]  # fmt: skip
    assert len(sm.api_ids()) == len(sm.manifest()) == len(rest_specs) > 250
    assert {c.api_id for c in CASES} == set(sm.api_ids())
    for api_id in sm.api_ids():
        api = sm.load(api_id)
        hit = {
            sm.expected_tr_id(
                api, env, sm.choice_for_tr(api, c, sm.call_values(api, c, env, full=True))
            )
            for c in CASES
            if c.api_id == api_id
            for env in ENVS
        }
        wanted = {tr for rule in api.rules for tr in (rule.real, rule.mock)}
        assert wanted <= hit, f"{api_id}: rules not exercised: {wanted - hit}"
        spec_ids = {tr for rule in api.rules for tr in (rule.real, rule.mock, *rule.deprecated)}
        assert spec_ids - {None} == set(sm.manifest()[api_id]["tr_ids"]), api_id


def test_request_examples_are_used() -> None:
    """The Postman examples feed real-looking values into the calls (not just fallbacks)."""
    api = sm.load("domestic_stock.order_cash")
    case = next(c for c in CASES if c.api_id == api.id and dict(c.choice) == {"side": "buy"})
    values = sm.call_values(api, case, "real", full=True)
    assert values["pdno"] == "136480"
    assert values["ord_unpr"] == 2500
    overseas = sm.load("overseas_stock.order")
    case = next(
        c
        for c in CASES
        if c.api_id == overseas.id and dict(c.choice) == {"side": "buy", "ovrs_excg_cd": "TKSE"}
    )
    values = sm.call_values(overseas, case, "mock", full=True)
    assert values["pdno"] == "4689"
    assert str(values["ovrs_ord_unpr"]) == "450.0"


# --- 2. bad input never reaches the network --------------------------------------------

BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    # (api id, keyword arguments, the field the error must name)
    ("domestic_stock.inquire_price", {"fid_input_iscd": None}, "fid_input_iscd"),
    ("domestic_stock.inquire_price", {"fid_input_iscd": "0059300000000"}, "fid_input_iscd"),
    ("domestic_stock.inquire_price", {"fid_input_iscd": 5.5}, "fid_input_iscd"),
    (
        "domestic_stock.inquire_price",
        {"fid_input_iscd": "005930", "fid_cond_mrkt_div_code": "Q"},
        "fid_cond_mrkt_div_code",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": "ten", "ord_unpr": 1},
        "ord_qty",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": True, "ord_unpr": 1},
        "ord_qty",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "buy", "pdno": "005930", "ord_dvsn": "99", "ord_qty": 1, "ord_unpr": 1},
        "ord_dvsn",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "hold", "pdno": "005930", "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 1},
        "side",
    ),
    (
        "domestic_stock.order_cash",
        {"side": None, "pdno": "005930", "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 1},
        "side",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "sell", "pdno": "0059301234567", "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 1},
        "pdno",
    ),
    (
        "domestic_stock.order_cash",
        {"side": "sell", "pdno": None, "ord_dvsn": "00", "ord_qty": 1, "ord_unpr": 1},
        "pdno",
    ),
    (
        "domestic_stock.inquire_daily_ccld",
        {"inqr_strt_dt": 20260101, "inqr_end_dt": date(2026, 1, 31)},
        "inqr_strt_dt",
    ),
    (
        "domestic_stock.inquire_daily_ccld",
        {"inqr_strt_dt": "20261341", "inqr_end_dt": date(2026, 1, 31)},
        "inqr_strt_dt",
    ),
    (
        "domestic_stock.inquire_daily_ccld",
        {"inqr_strt_dt": date(2026, 1, 1), "inqr_end_dt": date(2026, 1, 31), "period": "last"},
        "period",
    ),
    (
        "domestic_stock.inquire_daily_ccld",
        {"inqr_strt_dt": date(2026, 1, 1), "inqr_end_dt": date(2026, 1, 31), "odno": "0" * 11},
        "odno",
    ),
    ("domestic_stock.inquire_balance", {"fund_sttl_icld_yn": "yes"}, "fund_sttl_icld_yn"),
    ("domestic_stock.inquire_balance", {"cano": "123456789"}, "cano"),
    (
        "domestic_stock.inquire_time_itemchartprice",
        {"fid_input_iscd": "005930", "fid_input_hour_1": "25:00"},
        "fid_input_hour_1",
    ),
    (
        "overseas_stock.order",
        {
            "side": "buy",
            "ovrs_excg_cd": "KRX",
            "pdno": "AAPL",
            "ord_qty": 1,
            "ovrs_ord_unpr": "1.5",
        },
        "ovrs_excg_cd",
    ),
    (
        "overseas_stock.order",
        {
            "side": "buy",
            "ovrs_excg_cd": "NASD",
            "pdno": "AAPL",
            "ord_qty": 1,
            "ovrs_ord_unpr": "one",
        },
        "ovrs_ord_unpr",
    ),
    ("overseas_stock.price", {"excd": "NASD", "symb": "AAPL"}, "excd"),
    ("domestic_stock.chk_holiday", {"bass_dt": "2026-01-05x"}, "bass_dt"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("api_id", "kwargs", "field"),
    BAD_INPUTS,
    ids=[f"{a}-{f}-{i}" for i, (a, _, f) in enumerate(BAD_INPUTS)],
)
async def test_bad_input_is_refused_before_sending(
    api_id: str, kwargs: dict[str, Any], field: str, mode: str, tmp_path: Path
) -> None:
    api = sm.load(api_id)
    recorder = Recorder(api, ok_responder(api, sm.response_body(api)))
    client = make_client(mode, "real", recorder, tmp_path)
    try:
        with pytest.raises(KisValidationError) as info:
            await invoke(mode, endpoint(client, api_id), **kwargs)
    finally:
        await close(client)
    message = str(info.value)
    assert api_id in message, message
    assert field in message, message
    assert info.value.api == api_id
    assert recorder.requests == [], "bad input reached the network"


CONDITIONAL = [
    (case, f.py)
    for case in CASES
    for f in sm.load(case.api_id).request
    if f.required_when and f.required_for(dict(case.choice))
]


def test_conditionally_required_fields_exist() -> None:
    assert ("domestic_stock.order_resv_rvsecncl", "ord_unpr") in {
        (c.api_id, py) for c, py in CONDITIONAL
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("case", "py"), CONDITIONAL, ids=[f"{c.label}-{py}" for c, py in CONDITIONAL]
)
async def test_conditionally_required_field_is_refused_when_missing(
    case: sm.Case, py: str, mode: str, tmp_path: Path
) -> None:
    api = sm.load(case.api_id)
    values = sm.call_values(api, case, "real", full=True)
    values.pop(py, None)
    recorder = Recorder(api, ok_responder(api, sm.response_body(api)))
    client = make_client(mode, "real", recorder, tmp_path)
    try:
        with pytest.raises(KisValidationError) as info:
            await invoke(mode, endpoint(client, api.id), **values)
    finally:
        await close(client)
    assert (info.value.api, info.value.field) == (api.id, py)
    assert "required when" in info.value.reason
    assert recorder.requests == [], "an incomplete order reached the network"


@pytest.mark.parametrize("mode", MODES)
async def test_missing_account_is_refused_before_sending(mode: str, tmp_path: Path) -> None:
    api = sm.load("domestic_stock.inquire_balance")
    recorder = Recorder(api, ok_responder(api, sm.response_body(api)))
    client = make_client(mode, "real", recorder, tmp_path, account=None)
    try:
        with pytest.raises(KisValidationError) as info:
            await invoke(mode, endpoint(client, api.id))
    finally:
        await close(client)
    assert api.id in str(info.value)
    assert "cano" in str(info.value)
    assert recorder.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_bad_input_on_pages_is_refused_before_sending(mode: str, tmp_path: Path) -> None:
    api = sm.load("domestic_stock.inquire_daily_ccld")
    recorder = Recorder(api, ok_responder(api, sm.response_body(api)))
    client = make_client(mode, "real", recorder, tmp_path)
    try:
        with pytest.raises(KisValidationError) as info:
            endpoint(client, api.id).pages(inqr_strt_dt=date(2026, 1, 1), inqr_end_dt=None)
    finally:
        await close(client)
    assert "inqr_end_dt" in str(info.value)
    assert recorder.requests == []


# --- 3. pagination -------------------------------------------------------------------

TR_CONT = ["F", "M", "D"]


def cursor_width(name: str) -> int:
    for width in (100, 200):
        if name.endswith(str(width)):
            return width
    return 20


def page_scalars(api: sm.SpecApi, page: int) -> dict[str, str]:
    assert api.cursor is not None
    return {
        res: f"{res.upper()}^P{page}^12345678^01^".ljust(cursor_width(res)) for _, res in api.cursor
    }


def pages_responder(api: sm.SpecApi, bodies: list[dict[str, Any]]) -> Responder:
    def respond(request: httpx.Request, n: int) -> httpx.Response:
        i = (n - 1) % len(bodies)
        return httpx.Response(200, json=bodies[i], headers={"tr_cont": TR_CONT[i]})

    return respond


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("api_id", PAGINATED)
async def test_pages_follow_tr_cont_and_cursor(
    api_id: str, env: str, mode: str, tmp_path: Path
) -> None:
    api = sm.load(api_id)
    case = next(c for c in CASES if c.api_id == api_id)
    values = sm.call_values(api, case, env, full=False)
    tr_id = sm.expected_tr_id(api, env, sm.choice_for_tr(api, case, values))
    bodies = [sm.response_body(api, scalars=page_scalars(api, n), row0=n) for n in range(3)]
    recorder = Recorder(api, pages_responder(api, bodies))
    client = make_client(mode, env, recorder, tmp_path, strict=True)
    ep = endpoint(client, api_id)
    try:
        if tr_id is None:
            with pytest.raises(KisMockUnsupportedError):
                ep.pages(**values)
            assert recorder.requests == []
            return
        paginator = ep.pages(**values)
        result = await invoke(mode, paginator.collect)
        assert paginator.complete is True
    finally:
        await close(client)

    requests = recorder.api_requests
    assert len(requests) == 3
    assert [r.headers["tr_cont"] for r in requests] == ["", "N", "N"]
    assert {r.headers["tr_id"] for r in requests} == {tr_id}
    first = sm.expected_wire(api, values)
    check_request(api, requests[0], env, first, tr_id)
    for n in (1, 2):
        expected = dict(first)
        for req, res in api.cursor or ():
            expected[req] = bodies[n - 1][res]  # exactly as received, padding included
        assert sent_params(requests[n]) == expected, f"page {n + 1}"

    rows_attr = (api.rows or "").lower()
    assert result.complete is True
    assert len(result.pages) == 3
    assert len(result.rows) == 3 * 2
    assert result.rows == [row for page in result.pages for row in getattr(page, rows_attr)]
    for page, body in zip(result.pages, bodies, strict=True):
        problems = sm.check_decoded(api, page, body)
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("api_id", PAGINATED)
def test_sync_pages_rows_iterate_every_page(api_id: str, tmp_path: Path) -> None:
    api = sm.load(api_id)
    case = next(c for c in CASES if c.api_id == api_id)
    values = sm.call_values(api, case, "real", full=False)
    bodies = [sm.response_body(api, scalars=page_scalars(api, n), row0=n) for n in range(3)]
    recorder = Recorder(api, pages_responder(api, bodies))
    with make_client("sync", "real", recorder, tmp_path) as client:
        assert isinstance(client, Kis)
        rows = list(endpoint(client, api_id).pages(**values).rows())
    assert len(rows) == 6
    assert len(recorder.api_requests) == 3


@pytest.mark.parametrize("api_id", PAGINATED)
async def test_async_pages_iterate(api_id: str, tmp_path: Path) -> None:
    api = sm.load(api_id)
    case = next(c for c in CASES if c.api_id == api_id)
    values = sm.call_values(api, case, "real", full=False)
    bodies = [sm.response_body(api, scalars=page_scalars(api, n), row0=n) for n in range(3)]
    recorder = Recorder(api, pages_responder(api, bodies))
    client = make_client("async", "real", recorder, tmp_path)
    assert isinstance(client, AsyncKis)
    async with client:
        pages = [page async for page in endpoint(client, api_id).pages(**values)]
        rows = [row async for row in endpoint(client, api_id).pages(**values).rows()]
    assert len(pages) == 3
    assert len(rows) == 6
    assert [r.headers["tr_cont"] for r in recorder.api_requests] == ["", "N", "N"] * 2


@pytest.mark.parametrize("api_id", PAGINATED)
def test_page_cap_reports_incomplete(api_id: str, tmp_path: Path) -> None:
    api = sm.load(api_id)
    case = next(c for c in CASES if c.api_id == api_id)
    values = sm.call_values(api, case, "real", full=False)
    bodies = [sm.response_body(api, scalars=page_scalars(api, n), row0=n) for n in range(3)]
    recorder = Recorder(api, pages_responder(api, bodies))
    with make_client("sync", "real", recorder, tmp_path) as client:
        result = endpoint(client, api_id).pages(**values, max_pages=2).collect()
    assert result.complete is False
    assert len(result.pages) == 2
    assert len(recorder.api_requests) == 2


# --- 4. explicit account fields ------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_explicit_account_overrides_the_client_account(mode: str, tmp_path: Path) -> None:
    api = sm.load("domestic_stock.inquire_psbl_order")
    case = next(c for c in CASES if c.api_id == api.id)
    values = {
        **sm.call_values(api, case, "real", full=False),
        "cano": "87654321",
        "acnt_prdt_cd": "22",
    }
    recorder = Recorder(api, ok_responder(api, sm.response_body(api)))
    client = make_client(mode, "real", recorder, tmp_path)
    try:
        await invoke(mode, endpoint(client, api.id), **values)
    finally:
        await close(client)
    wire = sm.expected_wire(api, values)
    assert (wire["CANO"], wire["ACNT_PRDT_CD"]) == ("87654321", "22")
    check_request(api, recorder.api_requests[0], "real", wire, "TTTC8908R")
