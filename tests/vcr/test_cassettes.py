"""Replay every cassette through the generated SDK and hold both sides to the spec.

For each REST API: the SDK, called with the recorded arguments, sends requests that match the
cassette (method, path, ``tr_id``, every parameter); the recorded requests carry the TR ID the
spec gives for their env and exactly the spec's request fields; the recorded responses hold
every declared block, decode strictly (no field the spec does not know), and the loose decode
the SDK returns equals the strict one (nothing dropped). Every interaction must be used.
Expectations come from ``spec_model`` (the YAML read directly), not from the generated code.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from vcr.cassette import Cassette

from kisapi import AsyncKis, Kis
from kisapi_runtime.auth import TokenManager
from kisapi_runtime.config import KisConfig

from ..endpoints import spec_model as sm
from . import recording as rec

API_IDS = rec.api_ids()
RECORDED = [api_id for api_id in API_IDS if rec.cassette_path(api_id).exists()]
# Async replays a sample (every product, the hashkey path, both auth APIs); sync does all.
ASYNC_SAMPLE = sorted(
    {*RECORDED[::12], "domestic_stock.order_cash", "auth.auth_ws_token"} & set(RECORDED)
)
REPLAY = rec.make_vcr(rec.REPLAY_IDENTITY)  # record_mode "none": never the network
FILLS = {
    "account_number": rec.FAKE_CANO,
    "account_product": rec.FAKE_PRODUCT,
    "hts_id": rec.FAKE_HTS_ID,
    "appkey": rec.MASK,
    "appsecret": rec.MASK,
    "secretkey": rec.MASK,
}


def settings(env: str, token_dir: Path) -> dict[str, Any]:
    identity = rec.REPLAY_IDENTITY
    return {
        "appkey": identity.appkey,
        "appsecret": identity.appsecret,
        "account": identity.account,
        "hts_id": identity.hts_id,
        "env": env,
        "rest_url": rec.REPLAY_URL,
        "token_cache_dir": token_dir,
        "rate_limit": 0,
        "max_retries": 0,
        "use_hashkey": True,
    }


@pytest.fixture(scope="module")
def token_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A token cache holding the recorded token for both envs (cassettes carry no token call)."""
    directory = tmp_path_factory.mktemp("vcr-tokens")
    cassette = str(rec.cassette_path("auth.auth_token"))
    with REPLAY.use_cassette(cassette, allow_playback_repeats=True), httpx.Client() as http:
        for env in rec.ENVS:
            TokenManager(KisConfig(**settings(env, directory))).get(http)
    return directory


@pytest.fixture(scope="module")
def clients(token_dir: Path) -> Iterator[dict[str, Kis]]:
    made = {env: Kis(**settings(env, token_dir)) for env in rec.ENVS}
    yield made
    for client in made.values():
        client.close()


# --- checks ----------------------------------------------------------------------------


def plan(api_id: str, cassette: Cassette) -> list[tuple[rec.Call, str]]:
    """Each call of the API with the env the cassette recorded it in."""
    recorded = {r.headers.get("tr_id") for r in cassette.requests}
    result = []
    for call in rec.calls(api_id):
        env = call.replay_env(recorded)
        if env is None:
            pytest.fail(f"{call.label}: the cassette holds none of {dict(call.tr_ids)}: re-record")
        result.append((call, env))
    return result


def check_recorded_requests(api: sm.SpecApi, cassette: Cassette) -> list[str]:
    """Every recorded request to the API: its method and exactly the spec's fields."""
    problems = []
    wires = sorted(f.wire for f in api.request)
    for request in cassette.requests:
        if request.path != api.path:
            continue
        query, body = rec.wire_params(request)
        if request.method != api.method:
            problems.append(f"recorded {request.method}, spec says {api.method}")
        sent = dict(query) if api.method == "GET" else body
        if api.method == "GET" and (body is not None or len(query) != len(sent)):
            problems.append(f"GET with a body or repeated keys: {query} {body!r}")
        if not isinstance(sent, dict) or sorted(sent) != wires:
            got = sorted(sent) if isinstance(sent, dict) else sent
            problems.append(f"parameters {got} are not the spec's {wires}")
        elif not all(isinstance(v, str) for v in sent.values()):
            problems.append(f"non-string values: {sent}")
    return problems


def check_result(api: sm.SpecApi, call: rec.Call, env: str, raw: Any) -> list[str]:
    """The request the SDK made and the recorded answer, against the spec."""
    where = f"{call.label} ({env})"
    problems = []
    if api.kind != "auth" and raw.tr_id != call.tr_ids[env]:
        problems.append(f"{where}: sent tr_id {raw.tr_id}, spec says {call.tr_ids[env]}")
    body = raw.body
    if api.kind != "auth" and (body.get("rt_cd") != "0" or not {"msg_cd", "msg1"} <= set(body)):
        problems.append(f"{where}: not a successful KIS answer: {dict(body)}")
    missing = [b.key for b in api.blocks if b.key not in body]
    missing += [f.wire for f in api.scalars if f.wire not in body]
    if missing:
        problems.append(f"{where}: the recorded answer lacks {missing}")
    decode = importlib.import_module(sm.manifest()[api.id]["module"]).API.decode
    try:
        strict = decode(body, True)
    except Exception as exc:  # KisDecodeError names the unknown or unparsable field
        return [*problems, f"{where}: strict decode of the recorded answer: {exc}"]
    if raw.parsed != strict:
        problems.append(f"{where}: the loose decode differs from the strict one")
    return problems


def expected_wire(api: sm.SpecApi, call: rec.Call) -> dict[str, str]:
    wire = sm.expected_wire(api, call.kwargs)
    for f in api.request:
        if f.fill is not None and call.kwargs.get(f.py) is None:
            wire[f.wire] = FILLS[f.fill]
    return wire


def check_sent_values(api: sm.SpecApi, cassette: Cassette, plan: list[Any]) -> list[str]:
    """The recorded parameter values are what the spec makes of the call's arguments."""
    recorded = [rec.wire_params(r) for r in cassette.requests if r.path == api.path]
    recorded_params = [dict(q) if api.method == "GET" else b for q, b in recorded]
    return [
        f"{call.label}: no recorded request carries {expected_wire(api, call)}"
        for call, _env in plan
        if expected_wire(api, call) not in recorded_params
    ]


# --- tests -----------------------------------------------------------------------------


def test_every_api_has_a_cassette() -> None:
    missing = sorted(set(API_IDS) - set(RECORDED))
    assert not missing, f"{len(missing)} APIs have no cassette (make record): {missing}"


def test_no_cassette_without_an_api() -> None:
    expected = {rec.cassette_path(api_id) for api_id in API_IDS}
    stray = sorted(
        str(p.relative_to(rec.CASSETTE_DIR))
        for p in rec.CASSETTE_DIR.rglob("*")
        if p.is_file() and p not in expected
    )
    assert not stray, f"cassettes or files no API owns: {stray}"


@pytest.mark.parametrize("api_id", RECORDED)
def test_replay(api_id: str, clients: dict[str, Kis]) -> None:
    api = sm.load(api_id)
    problems = []
    with REPLAY.use_cassette(str(rec.cassette_path(api_id))) as cassette:
        calls = plan(api_id, cassette)
        problems += check_recorded_requests(api, cassette)
        problems += check_sent_values(api, cassette, calls)
        for call, env in calls:
            raw = rec.endpoint(clients[env], api_id).raw(**call.kwargs)
            problems += check_result(api, call, env, raw)
        if not cassette.all_played:
            problems.append(f"{len(cassette) - cassette.play_count} recorded calls went unused")
    assert not problems, f"{api_id}:\n" + "\n".join(problems)


@pytest.mark.parametrize("api_id", ASYNC_SAMPLE)
async def test_replay_async(api_id: str, token_dir: Path) -> None:
    api = sm.load(api_id)
    problems = []
    made: dict[str, AsyncKis] = {}
    try:
        with REPLAY.use_cassette(str(rec.cassette_path(api_id))) as cassette:
            for call, env in plan(api_id, cassette):
                client = made.setdefault(env, AsyncKis(**settings(env, token_dir)))
                raw = await rec.endpoint(client, api_id).raw(**call.kwargs)
                problems += check_result(api, call, env, raw)
            if not cassette.all_played:
                problems.append(f"{len(cassette) - cassette.play_count} recorded calls unused")
    finally:
        for client in made.values():
            await client.aclose()
    assert not problems, f"{api_id}:\n" + "\n".join(problems)
