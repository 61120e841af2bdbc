"""No secret reaches a cassette: every cassette is scanned for credentials and their shapes,
and the recording filters are checked on requests and answers full of secrets."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import yaml

from ..endpoints import spec_model as sm
from . import recording as rec

SHAPES: dict[str, re.Pattern[str]] = {
    "bearer token": re.compile(r"Bearer\s+(?!FILTERED\b)[^\s'\"\\]+"),
    "JWT (access token)": re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),
    "UUID (approval key)": re.compile(
        r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f])"
    ),
    "64 hex digits (hashkey)": re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])"),
    "KIS app key": re.compile(r"(?<![A-Za-z0-9])PS[A-Za-z0-9]{34}(?![A-Za-z0-9])"),
    "long base64 (app secret)": re.compile(r"[A-Za-z0-9+/]{100,}"),
    "account number": re.compile(r"(?<![\d-])(\d{8})-(\d{2})(?![\d-])"),
}
ACCOUNT_KEYS = {"cano": rec.FAKE_CANO, "acnt_no": rec.FAKE_CANO, "acnt_prdt_cd": rec.FAKE_PRODUCT}


def credentials() -> dict[str, str]:
    """Values that must never appear: the sandbox recording identity and, on a maintainer's
    machine, the ``KIS_*`` credentials recordings were made with."""
    found = {
        "sandbox app key": rec.SANDBOX_IDENTITY.appkey,
        "sandbox app secret": rec.SANDBOX_IDENTITY.appsecret,
        "sandbox account": (rec.SANDBOX_IDENTITY.account or "").replace("-", ""),
        "sandbox HTS ID": rec.SANDBOX_IDENTITY.hts_id or "",
    }
    for var in ("KIS_APPKEY", "KIS_APPSECRET", "KIS_HTS_ID"):
        found[var] = os.environ.get(var, "").strip()
    account = os.environ.get("KIS_ACCOUNT", "").replace("-", "").strip()
    found["KIS_ACCOUNT"] = account[:8]
    return {name: value for name, value in found.items() if len(value) >= 4}


def _hint(value: str) -> str:
    return value[:4] + "…"


def scan_text(text: str) -> Iterator[str]:
    for name, value in credentials().items():
        if re.search(rf"(?<![\w]){re.escape(value)}", text):
            yield f"{name} [{_hint(value)}]"
    for name, pattern in SHAPES.items():
        for match in pattern.finditer(text):
            if name == "account number" and match.group(0) == rec.FAKE_ACCOUNT:
                continue
            yield f"{name} [{_hint(match.group(0))}]"


def _walk(data: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key), value
            yield from _walk(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item)


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if text else None
    except (TypeError, ValueError):
        return None


def scan_interaction(interaction: dict[str, Any]) -> Iterator[str]:
    """Account fields (query, request and response JSON) hold the fake account only; secret
    headers hold the mask only."""
    request, response = interaction["request"], interaction["response"]
    pairs = parse_qsl(urlsplit(request["uri"]).query, keep_blank_values=True)
    pairs += list(_walk(_json(request.get("body"))))
    pairs += list(_walk(_json(response["body"].get("string"))))
    for key, value in pairs:
        fake = ACCOUNT_KEYS.get(key.lower())
        if fake is not None and value not in (fake, ""):
            yield f"{key} holds {_hint(str(value))}, not the fake {fake}"
    for name, values in request["headers"].items():
        wanted = dict(rec.FILTER_HEADERS).get(name.lower(), "")
        if wanted and any(v != wanted for v in values):
            yield f"header {name} is not masked"


def scan(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    findings = list(scan_text(text))
    for interaction in yaml.load(text, Loader=yaml.CSafeLoader)["interactions"]:
        findings += scan_interaction(interaction)
    return findings


# --- tests -----------------------------------------------------------------------------


def test_no_secret_in_any_cassette() -> None:
    cassettes = sorted(rec.CASSETTE_DIR.rglob("*.yaml"))
    assert cassettes, "no cassettes (make record)"
    findings = [
        f"{path.relative_to(rec.CASSETTE_DIR)}: {finding}"
        for path in cassettes
        for finding in sorted(set(scan(path)))
    ]
    assert not findings, f"{len(findings)} secrets in cassettes:\n" + "\n".join(findings[:50])


def test_the_scanner_finds_planted_secrets() -> None:
    planted = "\n".join(
        [
            "authorization: Bearer abc.def",
            "token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl",
            "approval_key: 1b2c3d4e-aaaa-bbbb-cccc-0123456789ab",
            "HASH: " + "ab12" * 16,
            "appkey: PS" + "Ab1" * 11 + "x",
            "appsecret: " + "Zm9vYmFy" * 20,
            "account: 12345678-01",
            f"app key: {rec.SANDBOX_IDENTITY.appkey}",
        ]
    )
    kinds = {finding.split(" [")[0] for finding in scan_text(planted)}
    assert kinds == {*SHAPES, "sandbox app key"}
    leaky = {
        "request": {"uri": "http://x/y?CANO=12345678", "body": "", "headers": {"appkey": ["k"]}},
        "response": {"body": {"string": '{"output": {"cano": "87654321"}}'}},
    }
    assert len(list(scan_interaction(leaky))) == 3
    clean = 'Bearer FILTERED {"CANO": "00000000"} 00000000-01 20260105 gt_uid: ' + "f" * 32
    assert list(scan_text(clean)) == []


def test_masked_keys_cover_every_secret_field_of_the_spec() -> None:
    """Fields the spec fills from the client's identity or marks secret are masked."""
    unmasked = []
    for api_id in sm.api_ids():
        api = sm.load(api_id)
        wires = [f.wire for f in api.request if f.fill or f.secret]
        wires += [f.wire for f in api.scalars if f.secret]
        wires += [f.wire for block in api.blocks for f in block.fields if f.secret]
        unmasked += [f"{api_id}: {w}" for w in wires if w.lower() not in rec.MASKED_KEYS]
    assert not unmasked, unmasked


def test_recording_masks_requests_and_answers(tmp_path: Path) -> None:
    """A call full of secrets, recorded through the vcrpy configuration, leaves none behind
    and still replays for a client with the fake identity."""
    identity = rec.Identity("PSrealAppKey0123456789", "real-secret-0123456789", "12345678-03", "me")
    answer = {"rt_cd": "0", "access_token": "eyJ0eXAi.eyJzdWIi.c2ln", "approval_key": "k",
              "HASH": "ab" * 32, "BODY": {"CANO": "12345678"},
              "output": [{"acnt_no": "1234567803", "odno": "12345678", "memo": "me"}]}  # fmt: skip

    def kis(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    def call(who: rec.Identity) -> dict[str, Any]:
        cano, product = (who.account or "").split("-")
        with httpx.Client(transport=httpx.MockTransport(kis)) as http:
            response = http.post(
                "http://127.0.0.1:5555/uapi/x",
                params={"CANO": cano, "ACNT_PRDT_CD": product, "USER_ID": who.hts_id, "OFL_YN": ""},
                headers={"authorization": "Bearer eyJreal", "appkey": who.appkey,
                         "appsecret": who.appsecret, "tr_id": "TTTC0012U",
                         "content-type": "application/json; charset=utf-8"},
                content=json.dumps({"CANO": cano, "ACNT_PRDT_CD": product, "PDNO": "005930",
                                    "memo": f"key {who.appkey}"}),
            )  # fmt: skip
        data: dict[str, Any] = response.json()
        return data

    path = tmp_path / "secret.yaml"
    with rec.make_vcr(identity, "all").use_cassette(str(path)):
        assert call(identity) == answer
    interaction = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"][0]
    request = interaction["request"]
    assert request["uri"] == (
        "http://sandbox/uapi/x?CANO=00000000&ACNT_PRDT_CD=01&USER_ID=filtered&OFL_YN="
    )
    assert json.loads(request["body"]) == {
        "CANO": "00000000", "ACNT_PRDT_CD": "01", "PDNO": "005930", "memo": "key FILTERED"
    }  # fmt: skip
    headers = request["headers"]
    assert (headers["authorization"], headers["appkey"]) == (["Bearer FILTERED"], ["FILTERED"])
    assert headers["tr_id"] == ["TTTC0012U"]
    assert json.loads(interaction["response"]["body"]["string"]) == {
        "rt_cd": "0", "access_token": "FILTERED", "approval_key": "FILTERED", "HASH": "FILTERED",
        "BODY": {"CANO": "00000000"},
        "output": [{"acnt_no": "00000000", "odno": "00000000", "memo": "filtered"}],
    }  # fmt: skip
    assert scan(path) == []
    with rec.make_vcr(rec.REPLAY_IDENTITY).use_cassette(str(path)) as cassette:
        call(rec.REPLAY_IDENTITY)
        assert cassette.all_played


def test_throttling_refusals_are_not_recorded() -> None:
    refused = json.dumps({"error_code": "EGW00133", "error_description": "1분당 1회"}).encode()
    assert rec.response_filter(rec.REPLAY_IDENTITY)({"body": {"string": refused}}) is None
