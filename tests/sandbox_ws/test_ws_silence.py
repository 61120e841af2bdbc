"""A sandbox session that goes silent without closing (no data, no PINGPONG) is detected and
replaced by the SDK, every registration restored, and ticks flow again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kisapi.realtime import registry
from kisapi_runtime.realtime.connection import RealtimeConnection
from kisapi_sandbox.ws import RealtimeSandbox

from ..realtime.fakes import FakeClient

pytestmark = pytest.mark.timeout(20)

KEYS = {f"approved-{i}" for i in range(1, 5)}
WANTED = [("H0STCNT0", "005930"), ("H0STASP0", "005930"), ("H0STCNT0", "000660")]


@pytest.fixture
async def sandbox() -> AsyncIterator[RealtimeSandbox]:
    async with RealtimeSandbox(approval_keys=KEYS, tick_interval=0.02, ping_interval=0.1) as ws:
        yield ws


async def until(predicate: object, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_a_silent_session_is_replaced_with_every_registration(
    sandbox: RealtimeSandbox, tmp_path: Path
) -> None:
    client = FakeClient(sandbox.url, tmp_path, prefix="approved")
    async with RealtimeConnection(
        client, registry(), silence_timeout=0.5, reconnect_initial=0.05, reconnect_max=0.2
    ) as rt:
        for tr_id, key in WANTED:
            await rt.subscribe(tr_id, key)
        records = rt.records()
        async with asyncio.timeout(5):
            await anext(records)
        first = sandbox.current
        sandbox.silence_all()
        await until(lambda: rt.stats.silences == 1 and rt.connected)
        second = sandbox.current
        assert second is not first and not second.silent
        assert list(second.registrations) == WANTED
        assert rt.stats.reconnects == 1 and rt.stats.bad_frames == 0
        seen_after = rt.stats.records
        async with asyncio.timeout(5):
            while rt.stats.records <= seen_after + 5:
                await anext(records)
