"""Decode what KIS really sent (``tests/fixtures/real_payloads.json``) with the generated models.

Successful bodies must decode strict (no unknown field, no unparsable value) and loose with
nothing lost: every non-empty raw value is either a typed field or kept in ``extra``. Error
bodies must come out of a client as the exception ``spec/_shared/errors.yaml`` names.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

import kisapi
from kisapi import AsyncKis, Kis
from kisapi_runtime import errors as runtime_errors

from ..endpoints import spec_model as sm

PAYLOADS_PATH = sm.FIXTURES / "real_payloads.json"
TOKEN = "tok-contract-test-0123456789abcdef"
NULLS = frozenset({"", "(null)"})
NUMERIC = re.compile(r"^-?[0-9,]+(\.[0-9]+)?$")
NUMBER_SUFFIXES = (
    "_prpr", "_oprc", "_hgpr", "_lwpr", "_clpr", "_pric", "_unpr", "_vol", "_qty", "_amt",
    "_pbmn", "_ctrt", "_rate", "_rt", "_cnt", "_rsqn", "_tr_pbmn", "_vrss",
)  # fmt: skip
NUMBER_NAMES = frozenset({"per", "pbr", "eps", "bps", "sps", "prpr", "last", "base", "diff"})


def _load_entries() -> list[dict[str, Any]]:
    data = json.loads(PAYLOADS_PATH.read_text(encoding="utf-8"))
    return list(data["rest"])


ENTRIES = _load_entries()


def match_api(entry: Mapping[str, Any]) -> str | None:
    """The spec'd API an entry belongs to (path + TR ID, TR ID-less for auth), if any."""
    tr_id = (entry.get("tr_id") or "").strip() or None
    for api_id, info in sm.manifest().items():
        _method, path = info["http"].split(" ", 1)
        if path != entry["path"]:
            continue
        if (tr_id is None and not info["tr_ids"]) or tr_id in info["tr_ids"]:
            return api_id
    return None


def is_success(body: Mapping[str, Any]) -> bool:
    if "error_code" in body:
        return False
    if "rt_cd" in body:
        return str(body["rt_cd"]) == "0"
    return "access_token" in body or "approval_key" in body


MATCHED = [(i, e, match_api(e)) for i, e in enumerate(ENTRIES) if match_api(e) is not None]
SUCCESS = [(i, e, a) for i, e, a in MATCHED if is_success(e["body"])]
FAILURE = [(i, e, a) for i, e, a in MATCHED if not is_success(e["body"])]


def entry_id(item: tuple[int, dict[str, Any], str | None]) -> str:
    i, e, api_id = item
    return f"{i:02d}-{api_id}-{e.get('tr_id') or 'no_tr_id'}"


def decoder(api_id: str) -> Callable[[Mapping[str, Any], bool], Any]:
    module = importlib.import_module(sm.manifest()[api_id]["module"])
    return module.API.decode  # type: ignore[no-any-return]


# --- the "nothing lost" walk ----------------------------------------------------------


NO_DATE = frozenset({"0", "00000000"})


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in NULLS)


def faithful(type_name: str, raw: Any, value: Any) -> bool:
    """Whether a typed value says what the raw string said (an independent check)."""
    text = str(raw).strip()
    try:
        if type_name.startswith("enum:"):
            if not isinstance(value, Enum):
                return False
            # KIS pads some codes and not others ("1" for "01"): equal digits are the same code
            padded = text.isdigit() and str(value.value).isdigit() and int(text) == int(value.value)
            return value.value == text or padded
        if type_name in ("int", "decimal"):
            return Decimal(text.replace(",", "")) == Decimal(value)
        if type_name == "date":
            return isinstance(value, date) and value.strftime("%Y%m%d") == re.sub(r"\D", "", text)
        if type_name == "time":
            digits = re.sub(r"\D", "", text)
            return isinstance(value, time) and value.strftime("%H%M%S")[: len(digits)] == digits
        if type_name == "datetime":
            return isinstance(value, datetime) and value.strftime("%Y%m%d%H%M%S") == re.sub(
                r"\D", "", text
            )
        if type_name == "bool":
            return value is {"Y": True, "N": False}[text.upper()]
    except (InvalidOperation, KeyError, TypeError, ValueError):
        return False
    return value == text


def check_record(
    where: str, fields: tuple[sm.RespField, ...], raw: Mapping[str, Any], model: Any
) -> list[str]:
    problems: list[str] = []
    declared = {f.wire: f for f in fields}
    extra = dict(model.extra)
    for key, value in raw.items():
        if empty(value):
            continue
        f = declared.get(key)
        if f is None:
            if key not in extra or extra[key] != value:
                problems.append(f"{where}.{key}: unknown field {value!r} not kept in extra")
            continue
        typed = getattr(model, f.py)
        if typed is None:
            if f.type == "date" and str(value).strip() in NO_DATE:
                continue  # KIS's "no date" placeholders decode to None on purpose
            if extra.get(key) != value:
                problems.append(f"{where}.{key}: {value!r} lost (None and not in extra)")
        elif not faithful(f.type, value, typed):
            problems.append(f"{where}.{key}: {value!r} decoded as {typed!r} ({f.type})")
    return problems


def check_nothing_lost(api: sm.SpecApi, body: Mapping[str, Any], parsed: Any) -> list[str]:
    problems: list[str] = []
    top_extra = dict(parsed.extra)
    blocks = {b.key: b for b in api.blocks}
    scalars = {f.wire: f for f in api.scalars}
    for key, value in body.items():
        where = f"{api.id}.{key}"
        if key in ("rt_cd", "msg_cd", "msg1"):
            if getattr(parsed, key) != value:
                problems.append(f"{where}: {value!r} became {getattr(parsed, key)!r}")
        elif key in blocks:
            block = blocks[key]
            got = getattr(parsed, key.lower())
            records = value if isinstance(value, list) else [value]
            records = [r for r in records if isinstance(r, Mapping)]
            if block.shape == "array":
                models = got
            else:
                models = [] if got is None else [got]
                if len(records) > 1:
                    if top_extra.get(key) != value:
                        problems.append(f"{where}: {len(records)} records, the rest not kept")
                    records = records[:1]
            if len(models) != len(records):
                problems.append(f"{where}: {len(records)} records, {len(models)} decoded")
                continue
            for i, (rec, model) in enumerate(zip(records, models, strict=True)):
                problems += check_record(f"{where}[{i}]", block.fields, rec, model)
        elif key in scalars:
            f = scalars[key]
            typed = getattr(parsed, f.py)
            if empty(value):
                continue
            if typed is None:
                if top_extra.get(key) != value:
                    problems.append(f"{where}: {value!r} lost")
            elif not faithful(f.type, value, typed):
                problems.append(f"{where}: {value!r} decoded as {typed!r}")
        elif top_extra.get(key) != value and not empty(value):
            problems.append(f"{where}: unknown top-level key not kept in extra")
    return problems


def looks_numeric_name(name: str) -> bool:
    lower = name.lower()
    return lower in NUMBER_NAMES or lower.endswith(NUMBER_SUFFIXES)


def numbers_left_as_text(api: sm.SpecApi, body: Mapping[str, Any]) -> list[str]:
    """Fields typed str/text in the spec whose name and real value both say 'number'."""
    offenders: set[str] = set()

    def visit(fields: tuple[sm.RespField, ...], raw: Mapping[str, Any]) -> None:
        for f in fields:
            value = raw.get(f.wire)
            if f.type not in ("str", "text") or not isinstance(value, str):
                continue
            if NUMERIC.match(value.strip()) and looks_numeric_name(f.wire):
                offenders.add(f"{api.id}: {f.wire} ({value.strip()!r})")

    for block in api.blocks:
        value = body.get(block.key)
        for rec in value if isinstance(value, list) else [value]:
            if isinstance(rec, Mapping):
                visit(block.fields, rec)
    visit(api.scalars, body)
    return sorted(offenders)


# --- successful bodies ---------------------------------------------------------------


def test_enough_payloads_match_spec_apis() -> None:
    unmatched = sorted({f"{e['path']} {e.get('tr_id')}" for e in ENTRIES if match_api(e) is None})
    matched = sorted({a for _, _, a in MATCHED if a})
    print(f"{len(MATCHED)} payloads matched {len(matched)} APIs: {matched}")
    print(f"{len(unmatched)} payload (path, TR ID) pairs have no spec'd API:")
    for item in unmatched:
        print("   ", item)
    assert len(MATCHED) >= 20, f"only {len(MATCHED)} payloads matched a spec'd API"
    assert len(SUCCESS) >= 15
    assert FAILURE, "no error payload matched"
    # Every payload of a spec'd path is matched (TR ID drift would otherwise hide payloads).
    spec_paths = {info["http"].split(" ", 1)[1] for info in sm.manifest().values()}
    drift = [
        f"{e['path']} {e.get('tr_id')}"
        for e in ENTRIES
        if e["path"] in spec_paths and match_api(e) is None and e["path"] != "/oauth2/revokeP"
    ]
    assert not drift, f"payloads of spec'd paths with an unknown TR ID: {drift}"


@pytest.mark.parametrize(("index", "entry", "api_id"), SUCCESS, ids=[entry_id(x) for x in SUCCESS])
def test_strict_decode(index: int, entry: dict[str, Any], api_id: str) -> None:
    decode = decoder(api_id)
    try:
        parsed = decode(entry["body"], True)
    except kisapi.KisDecodeError as exc:
        pytest.fail(f"{api_id} (payload {index}, {entry['tr_id']}): strict decode failed: {exc}")
    problems = check_nothing_lost(sm.load(api_id), entry["body"], parsed)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("index", "entry", "api_id"), SUCCESS, ids=[entry_id(x) for x in SUCCESS])
def test_loose_decode_loses_nothing(index: int, entry: dict[str, Any], api_id: str) -> None:
    parsed = decoder(api_id)(entry["body"], False)
    problems = check_nothing_lost(sm.load(api_id), entry["body"], parsed)
    assert not problems, f"{api_id} (payload {index}):\n" + "\n".join(problems)


def test_no_number_is_left_a_string() -> None:
    offenders: list[str] = []
    for _, entry, api_id in SUCCESS:
        offenders += numbers_left_as_text(sm.load(api_id), entry["body"])
    offenders = sorted(set(offenders))
    assert not offenders, "fields typed str/text that carry numbers:\n" + "\n".join(offenders)


def test_number_check_would_catch_an_offender() -> None:
    """The heuristic above is not vacuous: a spec typing a price as str is reported."""
    api = sm.SpecApi(
        id="demo.quote", method="GET", path="/x", kind="query", request=(), selectors=(),
        rules=(), blocks=(sm.RespBlock("output", "object", (
            sm.RespField("stck_prpr", "stck_prpr", "str", False),
            sm.RespField("per", "per", "text", False),
            sm.RespField("hts_kor_isnm", "hts_kor_isnm", "str", False),
        )),), scalars=(), cursor=None, rows=None, raw={},
    )  # fmt: skip
    body = {"output": {"stck_prpr": "71,200", "per": " 12.5", "hts_kor_isnm": "005930"}}
    assert numbers_left_as_text(api, body) == [
        "demo.quote: per ('12.5')",
        "demo.quote: stck_prpr ('71,200')",
    ]


def test_walk_would_catch_a_lost_value() -> None:
    """The nothing-lost walk is not vacuous: a value dropped by a decoder is reported."""
    api = sm.load("domestic_stock.order_cash")
    body = {"rt_cd": "0", "msg_cd": "X", "msg1": "m", "output": {"ODNO": "1", "NEW": "2"}}
    parsed = decoder(api.id)(body, False)
    assert check_nothing_lost(api, body, parsed) == []
    tampered = type(parsed.output)(odno=None, extra={})
    broken = attrs.evolve(parsed, output=tampered)
    problems = check_nothing_lost(api, body, broken)
    assert any("ODNO" in p for p in problems)
    assert any("NEW" in p for p in problems)


# --- secrets -------------------------------------------------------------------------


def test_token_response_repr_hides_the_token() -> None:
    entry = next(e for _, e, a in SUCCESS if a == "auth.auth_token")
    for body in (entry["body"], {**entry["body"], "access_token": TOKEN}):
        parsed = decoder("auth.auth_token")(body, True)
        assert parsed.access_token == body["access_token"]
        assert body["access_token"] not in repr(parsed)
        assert body["access_token"] not in str(parsed)
        assert parsed.token_type == "Bearer"
        assert parsed.expires_in == 86400


def test_approval_key_repr_hides_the_key() -> None:
    key = "a1b2c3d4-e5f6-7890-abcd-ef0123456789"
    parsed = decoder("auth.auth_ws_token")({"approval_key": key}, True)
    assert parsed.approval_key == key
    assert key not in repr(parsed)


def test_every_secret_field_is_hidden_from_repr() -> None:
    """Fields marked secret in the spec (or the shared vocabulary) never show in a repr."""
    checked = 0
    for api_id in sm.api_ids():
        api = sm.load(api_id)
        body = sm.response_body(api)
        secret = "SECRET-VALUE-0123456789"
        for f in api.scalars:
            if f.secret:
                body[f.wire] = secret
        for block in api.blocks:
            for rec in body[block.key] if isinstance(body[block.key], list) else [body[block.key]]:
                for f in block.fields:
                    if f.secret:
                        rec[f.wire] = secret
        if secret in json.dumps(body, ensure_ascii=False):
            checked += 1
            assert secret not in repr(decoder(api_id)(body, True)), api_id
    assert checked >= 2


# --- error bodies through a client ----------------------------------------------------


def expected_error(code: str) -> type[Exception]:
    rule = sm.shared_errors()[code]
    return getattr(runtime_errors, rule["error"])  # type: ignore[no-any-return]


def error_status(entry: Mapping[str, Any]) -> int:
    body = entry["body"]
    if "error_code" in body:
        return 403
    if str(body.get("msg_cd")) in ("IGW00007", "EGW00123", "EGW00121"):
        return 500
    return 200


def minimal_call(api_id: str, tr_id: str | None) -> tuple[str, dict[str, Any]]:
    """The environment and arguments that make the client send ``tr_id`` for ``api_id``."""
    api = sm.load(api_id)
    for env in ("real", "mock"):
        for case in sm.cases(api_id):
            values = sm.call_values(api, case, env, full=False)
            choice = sm.choice_for_tr(api, case, values)
            if sm.expected_tr_id(api, env, choice) == tr_id:
                return env, values
            rule = (
                next(r for r in api.rules if all(choice.get(n) in v for n, v in r.when))
                if api.rules
                else None
            )
            if rule is not None and tr_id in rule.deprecated:
                return ("mock" if tr_id.startswith("V") else "real"), values
    raise LookupError(f"{api_id}: no call sends {tr_id}")


class Scripted:
    """Answers the token endpoint with fresh tokens and the API path with one error body."""

    def __init__(self, api: sm.SpecApi, status: int, body: Mapping[str, Any]) -> None:
        self.api = api
        self.status = status
        self.body = body
        self.requests: list[httpx.Request] = []
        self.tokens = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == self.api.path:
            return httpx.Response(self.status, json=self.body)
        if request.url.path == "/oauth2/tokenP":
            self.tokens += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"{TOKEN}-{self.tokens}",
                    "token_type": "Bearer",
                    "expires_in": 86400,
                    "access_token_token_expired": "2099-01-01 00:00:00",
                },
            )
        return httpx.Response(404)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


async def _no_sleep(seconds: float) -> None:
    return None


def make_client(mode: str, env: str, server: Scripted, tmp_path: Path) -> Kis | AsyncKis:
    cls = Kis if mode == "sync" else AsyncKis
    client = cls(
        appkey=sm.APPKEY,
        appsecret=sm.APPSECRET,
        account=sm.ACCOUNT,
        env=env,
        rate_limit=0,
        max_retries=0,
        token_cache_dir=tmp_path,
        transport=httpx.MockTransport(server),
    )
    # A reissue waits out KIS's one-token-a-minute rule; record the wait instead of sleeping.
    client._tokens._sleep = lambda seconds: None  # type: ignore[attr-defined]
    client._tokens._asleep = _no_sleep  # type: ignore[attr-defined]
    return client


async def call(mode: str, client: Kis | AsyncKis, api_id: str, values: dict[str, Any]) -> Any:
    namespace, method = api_id.split(".")
    result = getattr(getattr(client, namespace), method)(**values)
    try:
        if mode == "async":
            result = await result
    finally:
        if isinstance(client, AsyncKis):
            await client.aclose()
        else:
            client.close()
    return result


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("index", "entry", "api_id"), FAILURE, ids=[entry_id(x) for x in FAILURE])
async def test_error_body_raises_typed_error(
    index: int, entry: dict[str, Any], api_id: str, mode: str, tmp_path: Path
) -> None:
    api = sm.load(api_id)
    body = entry["body"]
    code = str(body.get("msg_cd") or body.get("error_code"))
    expected = expected_error(code)
    env, values = minimal_call(api_id, (entry.get("tr_id") or "").strip() or None)
    server = Scripted(api, error_status(entry), body)
    client = make_client(mode, env, server, tmp_path)
    with pytest.raises(kisapi.KisApiError) as info:
        await call(mode, client, api_id, values)
    error = info.value
    # an order refused as a bad request is also an order rejection (KisOrderBadRequestError)
    if expected is kisapi.KisBadRequestError and api.kind == "order":
        expected = kisapi.KisOrderBadRequestError
    assert type(error) is expected, f"{code}: {type(error).__name__}, errors.yaml says {expected}"
    assert error.msg_cd == code
    assert error.api == api_id
    assert error.status_code == error_status(entry)
    assert error.msg1 == str(body.get("msg1") or body.get("error_description")).strip()
    if "rt_cd" in body:
        assert error.rt_cd == str(body["rt_cd"])
    for secret in (sm.APPKEY, sm.APPSECRET, TOKEN):
        assert secret not in str(error)

    api_calls = [p for p in server.paths() if p == api.path]
    if sm.shared_errors()[code].get("reissue_token"):
        # One reissue, one retry with the new token, then the error.
        assert server.paths() == ["/oauth2/tokenP", api.path, "/oauth2/tokenP", api.path]
        tokens = [r.headers["authorization"] for r in server.requests if r.url.path == api.path]
        assert tokens == [f"Bearer {TOKEN}-1", f"Bearer {TOKEN}-2"]
    elif api.kind == "auth":
        assert server.paths() == [api.path]
    else:
        assert len(api_calls) == 1, "a non-retryable error was retried"


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_token_error_during_implicit_issue(mode: str, tmp_path: Path) -> None:
    """The EGW00133 body from the token endpoint, met while a query fetches its token."""
    entry = next(e for _, e, a in FAILURE if a == "auth.auth_token")
    api = sm.load("domestic_stock.inquire_price")
    token_api = sm.load("auth.auth_token")
    server = Scripted(token_api, 403, entry["body"])
    client = make_client(mode, "real", server, tmp_path)
    with pytest.raises(kisapi.KisApiError) as info:
        await call(mode, client, api.id, {"fid_input_iscd": "005930"})
    assert info.value.msg_cd == "EGW00133"
    assert isinstance(info.value, kisapi.KisAuthError | kisapi.KisRateLimitError)
    # Retried once after the one-minute wait, never reached the quotation endpoint.
    assert server.paths() == ["/oauth2/tokenP", "/oauth2/tokenP"]


def test_always_fields_are_backed_by_real_payloads() -> None:
    """A field marked ``always`` (typed without None) needs real successes showing it filled:
    every real success payload of its API has it non-blank, and there is at least one."""
    marked = {
        api_id: [(b.key, f.wire) for b in sm.load(api_id).blocks for f in b.fields if f.always]
        for api_id in sm.api_ids()
    }
    marked = {a: fields for a, fields in marked.items() if fields}
    assert marked, "no field is marked always"
    for api_id, fields in marked.items():
        bodies = [e["body"] for _, e, a in SUCCESS if a == api_id]
        assert bodies, f"{api_id}: always fields without a real payload to back them"
        for body in bodies:
            for key, wire in fields:
                block = body[key][0] if isinstance(body[key], list) else body[key]
                assert not empty(block.get(wire)), f"{api_id}.{key}.{wire} blank in a real success"
