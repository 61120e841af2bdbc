"""The realtime gateway against a real redis-server and a KIS-format WebSocket feed."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import time
from pathlib import Path
from typing import Any

import attrs
import pytest
from redis.asyncio import Redis

from kisapi import realtime
from kisapi_gateway.consumer import GatewayConnection, KisGatewayRefusedError
from kisapi_gateway.gateway import Gateway
from kisapi_runtime.config import KisConfig
from kisapi_runtime.realtime.connection import KisRealtimeLimitError
from kisapi_runtime.realtime.records import RealtimeRecord
from kisapi_sandbox.ws import RealtimeSandbox
from tests.gateway.feed import SEQ, TR_ID, Feed
from tests.gateway.helpers import AppKeyClient, until

NOTICE = "H0STCNI0"
FAST = {"reconnect_initial": 0.02, "reconnect_max": 0.1, "ping_interval": None}


@pytest.fixture
async def feed() -> AsyncIterator[Feed]:
    async with Feed() as server:
        yield server


@pytest.fixture
def make_gateway(feed: Feed, redis_url: str, tmp_path: Path) -> Callable[..., Gateway]:
    def make(app_keys: int = 1, **options: Any) -> Gateway:
        clients = [AppKeyClient(n, feed.url, tmp_path) for n in range(app_keys)]
        options.setdefault("reconcile_interval", 0.2)
        return Gateway(
            clients,
            realtime.registry(),
            redis_url,
            connection_options={"url": feed.url, **FAST},
            **options,
        )

    return make


def consumer(redis_url: str, tmp_path: Path, **options: Any) -> GatewayConnection:
    client = AppKeyClient(99, "ws://unused", tmp_path)
    options.setdefault("heartbeat", 0.1)
    return GatewayConnection(client.config, realtime.registry(), redis_url, **options)


def codes(*numbers: int) -> list[str]:
    return [f"{n:06d}" for n in numbers]


class Seen:
    """Numbers each key delivered to one consumer, in order."""

    def __init__(self) -> None:
        self.numbers: dict[str, list[int]] = defaultdict(list)

    def add(self, record: RealtimeRecord) -> None:
        raw = record.raw
        self.numbers[raw["MKSC_SHRN_ISCD"]].append(
            int(raw[realtime.spec(TR_ID).record.FIELDS[SEQ]])
        )

    def total(self) -> int:
        return sum(len(v) for v in self.numbers.values())


async def collect(
    rt: GatewayConnection, seen: Seen, stop: Callable[[], bool] | None = None
) -> None:
    async for record in rt.records():
        seen.add(record)
        if stop is not None and stop():
            return


async def test_one_kis_registration_per_pair_however_many_consumers(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    async with make_gateway() as gateway:
        a, b, c = (consumer(redis_url, tmp_path) for _ in range(3))
        async with a, b, c:
            for rt, numbers in ((a, (1, 2, 3)), (b, (2, 3, 4)), (c, (3,))):
                for code in codes(*numbers):
                    await rt.subscribe(TR_ID, code)
            assert sorted(k for _, k in gateway.registrations[0]) == codes(1, 2, 3, 4)
            assert [len(s.registrations) for s in feed.open_sessions] == [4]
            await feed.pump(3, per_frame=2)
            seen = {rt: Seen() for rt in (a, b, c)}
            expected = {a: 3 * 6, b: 3 * 6, c: 6}
            tasks = [
                asyncio.create_task(collect(rt, s, lambda rt=rt, s=s: s.total() >= expected[rt]))
                for rt, s in seen.items()
            ]
            await asyncio.wait_for(asyncio.gather(*tasks), 5)
            assert seen[c].numbers == {"000003": [1, 2, 3, 4, 5, 6]}
            assert sorted(seen[b].numbers) == codes(2, 3, 4)

            await c.unsubscribe(TR_ID, "000003")  # a and b still want it
            await b.unsubscribe(TR_ID, "000004")  # nobody else does
            await until(lambda: len(feed.open_sessions[0].registrations) == 3)
            assert (TR_ID, "000003") in feed.open_sessions[0].registrations
            assert (TR_ID, "000004") not in feed.open_sessions[0].registrations
        # closing releases at once: nothing is left registered
        await until(lambda: not feed.open_sessions[0].registrations)
    assert len(feed.sessions) == 1


async def test_app_keys_add_capacity_and_a_refusal_is_reported(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    async with make_gateway(app_keys=2, capacity=3), consumer(redis_url, tmp_path) as rt:
        for code in codes(*range(1, 7)):
            await rt.subscribe(TR_ID, code)
        with pytest.raises(KisRealtimeLimitError, match="every app key of the gateway holds 3"):
            await rt.subscribe(TR_ID, "000007")
        assert len(rt.registrations) == 6
        # one KIS session per app key, each at its limit; no session was refused
        assert sorted(feed.registered().values()) == [3, 3]
        assert len(feed.sessions) == 2 and feed.refused_in_use == 0
        await rt.unsubscribe(TR_ID, "000001")
        await rt.subscribe(TR_ID, "000007")  # room again: asked anew, accepted
        assert sorted(feed.registered().values()) == [3, 3]


async def test_a_consumer_without_heartbeat_is_released(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    async with make_gateway(consumer_timeout=0.5) as gateway:
        alive = consumer(redis_url, tmp_path)
        gone = consumer(redis_url, tmp_path)
        async with alive:
            await gone.connect()
            await gone.subscribe(TR_ID, "000001")
            await gone.subscribe(TR_ID, "000002")
            await alive.subscribe(TR_ID, "000002")
            await gone.close(release=False)  # a crash: no goodbye, the heartbeat stops
            await asyncio.sleep(0.3)
            assert len(feed.open_sessions[0].registrations) == 2  # not before the timeout
            await until(lambda: len(feed.open_sessions[0].registrations) == 1)
            assert list(feed.open_sessions[0].registrations) == [(TR_ID, "000002")]
            assert gateway.stats.released_consumers == 1
            await asyncio.sleep(0.7)  # the live one keeps its registration
            assert list(feed.open_sessions[0].registrations) == [(TR_ID, "000002")]


async def test_a_forced_kis_disconnect_loses_and_duplicates_nothing(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    async with make_gateway(app_keys=2, capacity=3) as gateway:
        a, b = consumer(redis_url, tmp_path), consumer(redis_url, tmp_path)
        async with a, b:
            for code in codes(1, 2, 3, 4):
                await a.subscribe(TR_ID, code)
            for code in codes(3, 4, 5):
                await b.subscribe(TR_ID, code)
            seen = {a: Seen(), b: Seen()}
            tasks = [asyncio.create_task(collect(rt, s)) for rt, s in seen.items()]
            await feed.pump(20, per_frame=3)
            assert await feed.drop() == 2
            await until(lambda: sum(feed.registered().values()) == 5)  # resubscribed by itself
            await feed.pump(20, per_frame=3)
            assert feed.sent == {code: 120 for code in codes(1, 2, 3, 4, 5)}
            await until(lambda: seen[a].total() == 480 and seen[b].total() == 360)
            await asyncio.sleep(0.1)
            for task in tasks:
                task.cancel()
            for rt, s in seen.items():
                for code, numbers in s.numbers.items():
                    assert numbers == list(range(1, 121)), (rt, code)
            assert all(c is not None and c.stats.reconnects == 1 for c in gateway.connections)
            assert len(feed.sessions) == 4 and feed.refused_in_use == 0


async def test_a_restarted_consumer_resumes_after_its_last_record(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    async with make_gateway():
        first = consumer(redis_url, tmp_path, name="strategy-1")
        await first.connect()
        for code in codes(1, 2):
            await first.subscribe(TR_ID, code)
        await feed.pump(10, per_frame=5)  # entries of several records each
        seen = Seen()
        await collect(first, seen, lambda: seen.total() == 37)  # stops inside an entry
        checkpoint = first.checkpoint()
        await first.close(release=False)  # crash: the gateway keeps collecting for it
        await feed.pump(10, per_frame=5)

        second = consumer(redis_url, tmp_path, name="strategy-1", resume_from=checkpoint)
        async with second:
            for code in codes(1, 2):
                await second.subscribe(TR_ID, code)
            await collect(second, seen, lambda: seen.total() == 200)
        assert seen.numbers == {code: list(range(1, 101)) for code in codes(1, 2)}


async def test_the_callback_thread_and_the_client_hook(
    feed: Feed, make_gateway: Callable[..., Gateway], redis_url: str, tmp_path: Path
) -> None:
    from kisapi import AsyncKis, Kis

    kis = Kis(
        appkey="PSgwHookKey0001abcd",
        appsecret="gwHookSecret-0123",
        token_cache_dir=tmp_path,
        env="mock",
    )
    akis = AsyncKis(
        appkey="PSgwHookKey0001abcd",
        appsecret="gwHookSecret-0123",
        token_cache_dir=tmp_path,
        env="mock",
    )
    seen = Seen()
    async with make_gateway(), akis.realtime(gateway=redis_url) as rt:
        assert isinstance(rt, GatewayConnection)
        stream = rt.stream(TR_ID, "000002")
        reader = asyncio.create_task(anext(stream))
        with kis.realtime_thread(seen.add, gateway=redis_url) as thread:
            await asyncio.to_thread(thread.subscribe, TR_ID, "000001")
            await until(lambda: rt.registrations == ((TR_ID, "000002"),))
            await feed.pump(2, per_frame=2)
            await until(lambda: seen.total() == 4)
            assert '"H0STCNT0|000001"' in thread.checkpoint()
        record = await asyncio.wait_for(reader, 5)
        assert record.raw["MKSC_SHRN_ISCD"] == "000002"
        await stream.aclose()
    kis.close()
    await akis.aclose()
    assert seen.numbers == {"000001": [1, 2, 3, 4]}


@attrs.frozen
class Fill:
    account: str
    order_no: str
    code: str
    side: str
    qty: int
    price: int
    time: time


async def test_notices_reach_only_their_account_and_redis_holds_no_secret(
    redis_url: str, tmp_path: Path
) -> None:
    registry = realtime.registry()
    async with RealtimeSandbox(tick_interval=0.05, ping_interval=None) as ws:
        a = AppKeyClient(0, ws.url, tmp_path, account="11112222-01", hts_id="htsUserAlpha")
        b = AppKeyClient(1, ws.url, tmp_path, account="33334444-01", hts_id="htsUserBravo")
        gateway = Gateway(
            [a, b], registry, redis_url, reconcile_interval=0.2,
            connection_options={"url": ws.url, **FAST},
        )  # fmt: skip
        intruder = KisConfig(
            appkey="PSintruderKey0001", appsecret="intruder-secret-0001",
            account="11112222-01", token_cache_dir=tmp_path, env="real",
        )  # fmt: skip
        ra, rb, rc = (
            GatewayConnection(config, registry, redis_url, heartbeat=0.1)
            for config in (a.config, b.config, intruder)
        )
        async with gateway, ra, rb, rc:
            await ra.subscribe(NOTICE)
            await rb.subscribe(NOTICE)
            await rb.subscribe(TR_ID, "005930")
            with pytest.raises(KisGatewayRefusedError, match="no app key of this gateway serves"):
                await rc.subscribe(NOTICE)  # A's account number, but not A's app secret
            assert ra.registrations[0][1].startswith("@") and "11112222" not in repr(ra)

            ws.notify_fill("htsUserAlpha", Fill("11112222-01", "0000012345", "005930", "buy", 10, 71200, time(9, 30, 5)))  # fmt: skip
            notice = await asyncio.wait_for(anext(ra.records()), 5)
            assert notice.raw["ODER_NO"] == "0000012345"
            assert notice.raw["ACNT_NO"] == "1111222201" and notice.raw["CUST_ID"] == "htsUserAlpha"
            await until(lambda: rb.stats.records >= 3)  # B's ticks flow, no notice of A's
            ticks = [await anext(rb.records()) for _ in range(3)]
            assert all(isinstance(r, registry[TR_ID].record) for r in ticks)
            assert ws.notices_sent == 1 and ra.stats.records == 1
            # one KIS session per app key
            assert len(ws.open_sessions) == 2

            secrets = [c.appkey.reveal() for c in (a.config, b.config, intruder)]
            secrets += [c.appsecret.reveal() for c in (a.config, b.config, intruder)]
            secrets += ["11112222", "33334444", "htsUserAlpha", "htsUserBravo"]
            secrets += [await a.approval_key(), await b.approval_key()]
            dump = await redis_dump(redis_url)
            assert "kisapi:gw:n:" in dump and "kisapi:gw:s:H0STCNT0:005930" in dump
            assert [s for s in secrets if s in dump] == []


async def redis_dump(url: str) -> str:
    """Every key and value in the database as one text."""
    redis = Redis.from_url(url, decode_responses=True)
    parts: list[str] = []
    async for key in redis.scan_iter():
        parts.append(key)
        kind = await redis.type(key)
        if kind == "string":
            parts.append(str(await redis.get(key)))
        elif kind == "hash":
            parts.append(repr(await redis.hgetall(key)))
        elif kind == "set":
            parts.append(repr(await redis.smembers(key)))
        elif kind == "zset":
            parts.append(repr(await redis.zrange(key, 0, -1, withscores=True)))
        elif kind == "stream":
            parts.append(repr(await redis.xrange(key)))
    await redis.aclose()
    return "\n".join(parts)
