"""Every WebSocket message KIS really sent (tests/fixtures/real_payloads.json) goes through the
generated registry and a live connection: data frames decode into typed records, control
replies are routed, PINGPONG is echoed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from kisapi import realtime
from kisapi_runtime.realtime.connection import RealtimeConnection
from kisapi_runtime.realtime.crypto import encrypt
from kisapi_runtime.realtime.records import split_frame

from .fakes import FakeClient
from .wsserver import KisWsServer

ENTRIES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "real_payloads.json").read_text(
        encoding="utf-8"
    )
)["ws"]
DATA = [e for e in ENTRIES if e["frame"][:2] in ("0|", "1|")]
CONTROL = [e for e in ENTRIES if e["frame"].startswith("{")]


def test_the_reference_has_both_kinds() -> None:
    assert len(DATA) >= 8 and len(CONTROL) >= 4
    assert len(DATA) + len(CONTROL) == len(ENTRIES)


@pytest.mark.parametrize("entry", DATA, ids=[f"{e['tr_id']}-{i}" for i, e in enumerate(DATA)])
async def test_real_data_frame_decodes_typed(entry: dict[str, Any], tmp_path: Path) -> None:
    _, tr_id, count, _ = split_frame(entry["frame"])
    spec = realtime.spec(tr_id)
    async with KisWsServer() as server:
        conn = RealtimeConnection(
            FakeClient(server.url, tmp_path), realtime.registry(), url=server.url
        )
        async with conn:
            await conn.connect()
            await server.wait_until(lambda: bool(server.sessions))
            await server.push(entry["frame"])
            records = conn.records()
            got = [await asyncio.wait_for(anext(records), 3) for _ in range(count)]
    assert conn.stats.bad_frames == 0
    assert all(type(r) is spec.record for r in got)
    for record in got:
        for (wire, raw), py in zip(record.raw.items(), record.PY_NAMES, strict=False):
            text = raw.strip()
            # (null) and nan (option Greeks KIS could not compute) carry no value
            if text and text != "(null)" and text.lower().lstrip("+-") != "nan":
                assert getattr(record, py) is not None, f"{tr_id}.{wire}={raw!r} did not convert"


@pytest.mark.parametrize("entry", CONTROL, ids=[f"{e['tr_id']}-{i}" for i, e in enumerate(CONTROL)])
async def test_real_control_message_is_handled(entry: dict[str, Any], tmp_path: Path) -> None:
    message = json.loads(entry["frame"])
    async with KisWsServer() as server:
        conn = RealtimeConnection(
            FakeClient(server.url, tmp_path), realtime.registry(), url=server.url
        )
        async with conn:
            await conn.connect()
            await server.wait_until(lambda: bool(server.sessions))
            if message["header"]["tr_id"] == "PINGPONG":
                session = server.current
                await session.ws.send(entry["frame"])
                await server.wait_until(lambda: bool(session.echoes))
                assert session.echoes[0] == entry["frame"]  # echoed unchanged
                return
            await server.push(entry["frame"])
            output = message["body"].get("output") or {}
            tr_id = message["header"]["tr_id"]
            if output.get("key") and output.get("iv") and tr_id in realtime.TR_IDS:
                # the reply's key/iv must now decrypt that TR's frames
                spec = realtime.spec(tr_id)
                plain = "^".join(["x"] * len(spec.record.FIELDS))
                await server.push(f"1|{tr_id}|001|{encrypt(plain, output['key'], output['iv'])}")
                record = await asyncio.wait_for(anext(conn.records()), 3)
                assert type(record) is spec.record and record.raw[spec.record.FIELDS[0]] == "x"
            await asyncio.sleep(0.05)
    assert conn.stats.bad_frames == 0
