"""openapi/: the committed OpenAPI 3.1 and AsyncAPI 3.0 documents, checked against the specs
and against real KIS payloads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import kisapi

REPO = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((REPO / "openapi" / "kisapi.openapi.json").read_text(encoding="utf-8"))
ASYNCAPI = json.loads((REPO / "openapi" / "kisapi.asyncapi.json").read_text(encoding="utf-8"))
REAL = json.loads((REPO / "tests" / "fixtures" / "real_payloads.json").read_text(encoding="utf-8"))


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, item in OPENAPI["paths"].items():
        for method, op in item.items():
            found[op["x-kis-id"]] = (method.upper(), path, op)
    return found


def test_every_api_is_an_operation_with_its_tr_ids() -> None:
    ops = operations()
    assert sorted(ops) == sorted(a.id for a in kisapi.apis())
    for info in kisapi.apis():
        method, path, op = ops[info.id]
        assert (method, path) == (info.method, info.path)
        if info.kind == "auth":
            continue
        header = next(p for p in op["parameters"] if p.get("name") == "tr_id")
        assert set(header["schema"]["enum"]) == {*info.real_tr_ids, *info.mock_tr_ids}


def test_every_realtime_tr_is_a_channel_with_its_columns() -> None:
    channels = {c["x-kis-id"]: c for c in ASYNCAPI["channels"].values()}
    assert sorted(channels) == sorted(r.id for r in kisapi.realtime_trs())
    for rt in kisapi.realtime_trs():
        message = ASYNCAPI["components"]["messages"][rt.id.replace(".", "__") + "__data"]
        assert [f["wire"] for f in message["x-kis-fields"]] == [f.wire for f in rt.fields]
        assert channels[rt.id]["x-kis-tr-ids"]["real"] == rt.real


def test_request_schemas_follow_the_spec() -> None:
    _, _, op = operations()["domestic_stock.inquire_price"]
    params = {p["name"]: p for p in op["parameters"] if "name" in p}
    assert params["FID_INPUT_ISCD"]["required"] is True
    assert params["FID_COND_MRKT_DIV_CODE"]["schema"]["default"] == "J"
    _, _, order = operations()["domestic_stock.order_cash"]
    body = order["requestBody"]["content"]["application/json"]["schema"]
    qty = body["properties"]["ORD_QTY"]
    assert re.match(qty["pattern"], "10") and not re.match(qty["pattern"], "1.5")
    assert "ORD_QTY" in body["required"]


PATHS = {a.path for a in kisapi.apis()}  # the fixtures also hold /oauth2/revokeP, not an SDK API
REST = [
    p for p in REAL["rest"]
    if isinstance(p.get("body"), dict) and p["body"].get("rt_cd", "0") == "0" and p["path"] in PATHS
]  # fmt: skip


def test_most_real_payloads_are_checked() -> None:
    assert len(REST) >= 150


@pytest.mark.parametrize("payload", REST, ids=[f"{p['tr_id']}-{i}" for i, p in enumerate(REST)])
def test_real_kis_payloads_match_the_response_schemas(payload: dict[str, Any]) -> None:
    item = OPENAPI["paths"].get(payload["path"])
    if item is None:
        pytest.fail(f"{payload['path']} is not in the OpenAPI document")
    ops = [op for op in item.values() if payload["tr_id"] in _tr_ids(op)] or list(item.values())
    schema = ops[0]["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(schema).validate(payload["body"])


def _tr_ids(op: dict[str, Any]) -> set[str]:
    return {t for rule in op.get("x-kis-tr-ids", []) for t in (rule["real"], rule["mock"]) if t}


FRAMES = [w["frame"] for w in REAL["ws"] if not w["frame"].startswith("{")]


def test_real_realtime_frames_match_their_channel() -> None:
    by_tr = {}
    for channel in ASYNCAPI["channels"].values():
        for tr in channel["x-kis-tr-ids"].values():
            if tr:
                by_tr[tr] = channel
    checked = 0
    for frame in FRAMES:
        tr = frame.split("|")[1]
        channel = by_tr.get(tr)
        assert channel is not None, f"{tr} has no channel"
        ref = channel["messages"]["data"]["$ref"].rsplit("/", 1)[1]
        pattern = ASYNCAPI["components"]["messages"][ref]["payload"]["pattern"]
        assert re.match(pattern, frame), (tr, frame[:40])
        checked += 1
    assert checked >= 30


def test_the_validators_reject_broken_documents() -> None:
    from codegen.openapi import ASYNCAPI_FILE, OPENAPI_FILE, dump, validate

    good = {OPENAPI_FILE: dump(OPENAPI), ASYNCAPI_FILE: dump(ASYNCAPI)}
    bad_op = json.loads(good[OPENAPI_FILE])
    first = next(iter(bad_op["paths"].values()))
    next(iter(first.values()))["responses"] = "none"
    with pytest.raises(Exception, match=r"responses|not of type"):
        validate({**good, OPENAPI_FILE: dump(bad_op)})
    bad_async = json.loads(good[ASYNCAPI_FILE])
    next(iter(bad_async["operations"].values()))["action"] = "publish"
    with pytest.raises(jsonschema.ValidationError):
        validate({**good, ASYNCAPI_FILE: dump(bad_async)})
