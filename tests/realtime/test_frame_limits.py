"""Records short of their spec's fields, a zero record count, frames over the size limit and a
session that goes silent: counted or replaced, never delivered as records, never fatal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kisapi import realtime
from kisapi_runtime.realtime.connection import RealtimeConnection
from kisapi_runtime.realtime.records import RealtimeRecord

from .fakes import FakeClient
from .wsserver import KisWsServer

pytestmark = pytest.mark.timeout(20)

WIDTH = len(realtime.spec("H0STCNT0").record.FIELDS)


def tick(fields: int, price: str = "67050") -> str:
    values = ["005930", "093015", price] + ["1"] * (fields - 3)
    return "0|H0STCNT0|001|" + "^".join(values[:fields])


@pytest.fixture
async def server() -> AsyncIterator[KisWsServer]:
    async with KisWsServer() as srv:
        yield srv


def connection(server: KisWsServer, tmp_path: Path, **options: Any) -> RealtimeConnection:
    options.setdefault("reconnect_initial", 0.01)
    options.setdefault("reconnect_max", 0.05)
    options.setdefault("reply_timeout", 2.0)
    return RealtimeConnection(
        FakeClient(server.url, tmp_path), realtime.registry(), url=server.url, **options
    )


async def take(rt: RealtimeConnection, n: int, timeout: float = 5.0) -> list[RealtimeRecord]:
    got: list[RealtimeRecord] = []
    async with asyncio.timeout(timeout):
        async for record in rt.records():
            got.append(record)
            if len(got) == n:
                break
    return got


async def test_short_records_and_a_zero_count_are_bad_frames(
    server: KisWsServer, tmp_path: Path
) -> None:
    bad = [tick(3), tick(WIDTH // 2), "0|H0STCNT0|000|" + tick(WIDTH).split("|", 3)[3],
           "0|H0STCNT0|002|" + "^".join(["1"] * (WIDTH + 3))]  # fmt: skip
    async with connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await server.push(*bad, tick(WIDTH + 14, "70000"), tick(WIDTH, "71000"))
        first, second = await take(rt, 2)
        assert rt.stats.bad_frames == len(bad)
    assert first.raw["STCK_PRPR"] == "70000" and len(first.extra) == 14  # appended: kept
    assert second.raw["STCK_PRPR"] == "71000" and first.extra and not second.extra


async def test_frame_size_limit_is_a_setting_and_the_session_resumes(
    server: KisWsServer, tmp_path: Path
) -> None:
    async with connection(server, tmp_path, max_frame_size=4096) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await server.push(tick(WIDTH + 2000))  # ~4 KB over the limit
        await server.wait_until(lambda: len(server.sessions) == 2 and rt.connected)
        assert rt.stats.oversized == 1 and rt.stats.reconnects == 1
        assert ("H0STCNT0", "005930") in server.sessions[1].registrations
        await server.push(tick(WIDTH, "72000"))
        (record,) = await take(rt, 1)
    assert record.raw["STCK_PRPR"] == "72000"


async def test_silent_session_is_replaced_and_resubscribed(
    server: KisWsServer, tmp_path: Path
) -> None:
    async with connection(server, tmp_path, silence_timeout=0.3) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await server.wait_until(lambda: len(server.sessions) == 2, timeout=5)  # nothing sent
        await server.wait_until(lambda: rt.connected)
        assert rt.stats.silences >= 1
        assert ("H0STCNT0", "005930") in server.sessions[1].registrations
        await server.push(tick(WIDTH, "73000"))
        (record,) = await take(rt, 1)
    assert record.raw["STCK_PRPR"] == "73000"


def test_settings_are_checked(tmp_path: Path) -> None:
    client = FakeClient("ws://127.0.0.1:1", tmp_path)
    with pytest.raises(ValueError, match="max_frame_size"):
        RealtimeConnection(client, realtime.registry(), max_frame_size=10)
    with pytest.raises(ValueError, match="silence_timeout"):
        RealtimeConnection(client, realtime.registry(), silence_timeout=0)


@pytest.mark.parametrize("key", ["0" * 100_000, "00\r\n59", "", " 005930"])
async def test_bad_realtime_keys_are_refused_before_sending(
    server: KisWsServer, tmp_path: Path, key: str
) -> None:
    from kisapi_runtime.errors import KisValidationError

    async with connection(server, tmp_path) as rt:
        with pytest.raises(KisValidationError, match="key"):
            await rt.subscribe("H0STCNT0", key)
    assert server.received == []
