"""The realtime connection against a local KIS-like WebSocket server (tests/realtime/wsserver.py):
real frames, encrypted notices, PINGPONG, reconnects, limits, bad frames, approval keys,
overflow and the callback thread."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi_runtime.client import AsyncClient
from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import KisConnectionError, KisValidationError
from kisapi_runtime.realtime.connection import (
    KisRealtimeError,
    KisRealtimeLimitError,
    KisRealtimeOverflowError,
    Overflow,
    RealtimeConnection,
    realtime_url,
)
from kisapi_runtime.realtime.crypto import encrypt
from kisapi_runtime.realtime.records import RealtimeRecord, RealtimeSpec
from kisapi_runtime.realtime.thread import RealtimeThread

from .fakes import HTS_ID, FakeClient
from .wsserver import CIPHER_IV, CIPHER_KEY, KisWsServer

pytestmark = pytest.mark.timeout(10)

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "real_payloads.json"
WAIT = 3.0


def _frames() -> dict[str, str]:
    """Real frames by a short name."""
    ws = json.loads(PAYLOADS.read_text(encoding="utf-8"))["ws"]
    data = [e["frame"] for e in ws if e["frame"][:2] in ("0|", "1|")]

    def pick(tr_id: str, count: str, fields: int, code: str = "") -> str:
        return next(
            f for f in data
            if f.split("|")[1] == tr_id and f.split("|")[2] == count
            and len(f.split("|", 3)[3].split("^")) == fields and code in f
        )  # fmt: skip

    return {
        "tick": pick("H0STCNT0", "001", 46, "|005930^"),
        "ticks3": pick("H0STCNT0", "003", 138),
        "book59": pick("H0STASP0", "001", 59),
        "book62": pick("H0STASP0", "001", 62),
    }


FRAMES = _frames()


class Tick(RealtimeRecord):
    __slots__ = ()
    TR_IDS = ("H0STCNT0",)
    FIELDS = ("MKSC_SHRN_ISCD", "STCK_CNTG_HOUR", "STCK_PRPR", *(f"F{i}" for i in range(3, 46)))


class Book(RealtimeRecord):
    __slots__ = ()
    TR_IDS = ("H0STASP0",)
    FIELDS = ("MKSC_SHRN_ISCD", "BSOP_HOUR", "HOUR_CLS_CODE", *(f"F{i}" for i in range(3, 59)))


class Notice(RealtimeRecord):
    __slots__ = ()
    TR_IDS = ("H0STCNI9",)
    FIELDS = ("CUST_ID", "ACNT_NO", "ODER_NO", *(f"F{i}" for i in range(3, 26)))


def _spec(tr_id: str, record: type[RealtimeRecord], key: str, encrypted: bool) -> RealtimeSpec:
    return RealtimeSpec(tr_id.lower(), tr_id, tr_id, tr_id, key, encrypted, record)


REGISTRY = {
    "H0STCNT0": _spec("H0STCNT0", Tick, "stock_code", False),
    "H0STASP0": _spec("H0STASP0", Book, "stock_code", False),
    "H0STCNI9": _spec("H0STCNI9", Notice, "hts_id", True),
}


@pytest.fixture
async def server() -> AsyncIterator[KisWsServer]:
    async with KisWsServer(encrypted={"H0STCNI9"}) as srv:
        yield srv


@pytest.fixture
def client(server: KisWsServer, tmp_path: Path) -> FakeClient:
    return FakeClient(server.url, tmp_path)


def _connection(client: Any, server: KisWsServer, **options: Any) -> RealtimeConnection:
    options.setdefault("reconnect_initial", 0.01)
    options.setdefault("reconnect_max", 0.05)
    options.setdefault("reply_timeout", 2.0)
    options.setdefault("open_timeout", 2.0)
    return RealtimeConnection(client, REGISTRY, url=server.url, **options)


async def _take(source: AsyncIterator[RealtimeRecord], n: int) -> list[RealtimeRecord]:
    got: list[RealtimeRecord] = []
    async with asyncio.timeout(WAIT):
        async for record in source:
            got.append(record)
            if len(got) == n:
                break
    return got


def _price(record: RealtimeRecord) -> str:
    return record.raw["STCK_PRPR"]


# --- URL, messages, decoding ---------------------------------------------------------------


def test_url_gets_the_sample_path_unless_it_has_one(tmp_path: Path) -> None:
    assert realtime_url("ws://ops.koreainvestment.com:21000") == (
        "ws://ops.koreainvestment.com:21000/tryitout"
    )
    assert realtime_url("ws://h:1/") == "ws://h:1/tryitout"
    assert realtime_url("ws://h:1/custom/path") == "ws://h:1/custom/path"
    config_client = FakeClient("ws://127.0.0.1:9", tmp_path)
    assert RealtimeConnection(config_client, REGISTRY).url == "ws://127.0.0.1:9/tryitout"
    mock = FakeClient("", tmp_path)
    mock.config = KisConfig(appkey="PSappkey-x-1234", appsecret="s-1234", env="mock")
    assert RealtimeConnection(mock, REGISTRY).url == "ws://ops.koreainvestment.com:31000/tryitout"


async def test_subscribe_sends_the_kis_message_and_decodes_a_three_record_frame(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        got = server.received[0]
        assert (got.approval_key, got.custtype, got.tr_type, got.content_type) == (
            "approval-key-1", "P", "1", "utf-8",
        )  # fmt: skip
        assert (got.tr_id, got.tr_key) == ("H0STCNT0", "005930")
        assert rt.registrations == (("H0STCNT0", "005930"),)

        await server.push(FRAMES["ticks3"], FRAMES["tick"])
        records = await _take(rt.records(), 4)
    assert [type(r) for r in records] == [Tick] * 4
    assert [_price(r) for r in records] == ["71950", "71900", "72000", "67050"]
    assert all(r.extra == () and len(r.raw) == 46 for r in records)
    assert records[0].raw["F44"] == ""  # the real frames' empty 45th field survives
    assert (rt.stats.frames, rt.stats.records, rt.stats.bad_frames) == (2, 4, 0)


async def test_fields_kis_appended_are_kept_in_extra(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STASP0", "005930")
        await server.push(FRAMES["book62"], FRAMES["book59"])
        new, old = await _take(rt.records(), 2)
    assert isinstance(new, Book)
    assert new.extra == ("358250", "4", "1")
    assert new.raw["MKSC_SHRN_ISCD"] == "005930"
    assert old.extra == ()


async def test_encrypted_notices_are_decrypted_with_the_subscribe_reply_key(
    server: KisWsServer, client: FakeClient
) -> None:
    plain = "^".join([HTS_ID, "0000012345", "00001", *(str(i) for i in range(3, 26))])
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNI9")  # the key defaults to the configured HTS ID
        assert server.received[0].tr_key == HTS_ID
        await server.push("1|H0STCNI9|001|" + encrypt(plain, CIPHER_KEY, CIPHER_IV))
        (notice,) = await _take(rt.records(), 1)
    assert isinstance(notice, Notice)
    assert notice.raw["ACNT_NO"] == "0000012345"
    assert notice.raw["F25"] == "25"


async def test_pingpong_is_echoed_unchanged(server: KisWsServer, client: FakeClient) -> None:
    async with _connection(client, server) as rt:
        echoed = await server.ping()
        assert echoed == '{"header":{"tr_id":"PINGPONG","datetime":"20241011121818"}}'
        assert rt.connected and rt.stats.bad_frames == 0


# --- subscriptions -------------------------------------------------------------------------


async def test_duplicates_are_local_no_ops_and_already_in_subscribe_is_ok(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await rt.subscribe("H0STCNT0", "005930")
        assert len(server.received) == 1
        # The server already holds one the client does not know about.
        server.current.registrations.add(("H0STCNT0", "000660"))
        await rt.subscribe("H0STCNT0", "000660")
        assert server.current.replies[-1] == "ALREADY IN SUBSCRIBE"
        assert rt.registrations == (("H0STCNT0", "005930"), ("H0STCNT0", "000660"))


async def test_unsubscribe(server: KisWsServer, client: FakeClient) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await rt.unsubscribe("H0STCNT0", "005930")
        assert server.received[-1].tr_type == "2"
        assert server.current.registrations == set()
        assert rt.registrations == ()
        await rt.unsubscribe("H0STCNT0", "005930")  # not registered: nothing sent
        assert len(server.received) == 2


async def test_the_local_limit_of_40_raises_before_sending(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        for i in range(40):
            await rt.subscribe("H0STCNT0", f"{i:06d}")
        with pytest.raises(KisRealtimeLimitError, match="at most 40"):
            await rt.subscribe("H0STASP0", "005930")
        assert len(server.received) == 40
        await rt.subscribe("H0STCNT0", "000000")  # already registered: still fine


async def test_a_refusal_from_kis_reaches_the_caller(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server, max_registrations=50) as rt:
        for i in range(41):
            await rt.subscribe("H0STCNT0", f"{i:06d}")
        with pytest.raises(KisRealtimeError) as caught:
            await rt.subscribe("H0STCNT0", "999999")
        assert caught.value.msg_cd == "OPSP0008"
        assert caught.value.msg1 == "MAX SUBSCRIBE OVER"
        assert len(rt.registrations) == 41


async def test_unknown_tr_ids_and_missing_keys_are_refused_before_sending(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        with pytest.raises(KisValidationError, match="unknown realtime TR ID"):
            await rt.subscribe("H0XXXXX0", "005930")
        with pytest.raises(KisValidationError, match="needs a stock_code"):
            await rt.subscribe("H0STCNT0")
    assert server.received == []


# --- robustness ----------------------------------------------------------------------------


async def test_bad_frames_are_counted_and_logged_and_the_session_goes_on(
    server: KisWsServer, client: FakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    bad = [
        "0|H0STCNT0",  # truncated
        "0|ZZZZZZZ0|001|a^b^c",  # unknown TR ID
        "1|H0STCNI9|001|@@not-base64@@",
        "0|H0STCNT0|002|" + FRAMES["tick"].split("|", 3)[3] + "^1",  # 47 fields, 2 records
        "{not json",
    ]
    caplog.set_level(logging.WARNING, logger="kisapi.realtime")
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await rt.subscribe("H0STCNI9")
        await server.push(*bad, FRAMES["tick"])
        (good,) = await _take(rt.records(), 1)
        assert _price(good) == "67050"
        assert rt.stats.bad_frames == len(bad)
        assert rt.stats.frames == 5  # four bad data frames and the good one; JSON is not one
        assert rt.connected and len(server.sessions) == 1
    warnings = [r for r in caplog.records if r.name == "kisapi.realtime"]
    assert len([r for r in warnings if "skipped" in r.getMessage()]) == len(bad)


async def test_a_dropped_session_is_restored_with_each_registration_once(
    server: KisWsServer, client: FakeClient
) -> None:
    wanted = [("H0STCNT0", "005930"), ("H0STASP0", "005930"), ("H0STCNI9", HTS_ID)]
    async with _connection(client, server) as rt:
        for tr_id, key in wanted:
            await rt.subscribe(tr_id, key)
        await rt.subscribe("H0STCNT0", "005930")
        server.reject_handshakes = 2  # the first reconnects fail: backoff, then success
        server.drop()
        await server.wait_until(lambda: len(server.sessions) == 2 and rt.connected)
        fresh = server.sessions[1]
        assert fresh.registrations == set(wanted)
        assert sorted(fresh.subscribes.values()) == [1, 1, 1]
        assert "ALREADY IN SUBSCRIBE" not in fresh.replies
        assert rt.stats.reconnects == 1
        assert client.invalidated == 0  # no request was pending: the key was not blamed
        await server.push(FRAMES["tick"])
        (record,) = await _take(rt.records(), 1)
        assert _price(record) == "67050"
        assert rt.registrations == tuple(wanted)


async def test_subscribing_while_reconnecting_waits_and_sends_once(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server, reconnect_initial=0.1, reconnect_max=0.1) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        server.drop()
        await server.wait_until(lambda: not rt.connected)
        await asyncio.wait_for(rt.subscribe("H0STCNT0", "000660"), WAIT)
        fresh = server.current
        assert fresh is server.sessions[1]
        assert fresh.subscribes == {("H0STCNT0", "005930"): 1, ("H0STCNT0", "000660"): 1}


# --- approval keys -------------------------------------------------------------------------


def _issued_key(n: int) -> str:
    return f"approval-from-kis-{n}-5d0f-4c1e-9a7b-2e3c4d5e6f70"


def _approval_transport(issued: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/oauth2/Approval"
        # As long as KIS's keys (36+ chars): websockets' frame log would cut them mid-key.
        issued.append(_issued_key(len(issued) + 1))
        return httpx.Response(200, json={"approval_key": issued[-1]})

    return httpx.MockTransport(handle)


async def test_a_refused_approval_key_is_replaced_through_the_sdk_client(
    server: KisWsServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[str] = []
    sdk = AsyncClient(
        KisConfig(
            appkey="PSappkey-realtime-1234", appsecret="secret-realtime-5678", env="mock",
            ws_url=server.url, token_cache_dir=tmp_path, rest_url="https://kis.test",
        ),
        transport=_approval_transport(issued),
    )  # fmt: skip
    server.refused_keys.add(_issued_key(1))
    async with sdk, _connection(sdk, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        assert [r.approval_key for r in server.received] == issued
        assert issued == [_issued_key(1), _issued_key(2)]
        assert server.current.registrations == {("H0STCNT0", "005930")}
        assert "approval-from" not in repr(rt)
    assert "realtime: the approval key was refused" in caplog.text
    client_side = [r.getMessage() for r in caplog.records if r.name != "websockets.server"]
    assert not [m for m in client_side if "approval-from" in m]  # websockets' frame log too


async def test_a_session_closed_over_a_refused_key_is_retried_with_a_fresh_key(
    server: KisWsServer, client: FakeClient
) -> None:
    server.refused_keys.add("approval-key-1")
    server.refuse_by_closing = True
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        assert client.invalidated == 1
        assert [r.approval_key for r in server.received] == ["approval-key-1", "approval-key-2"]
        assert server.current.registrations == {("H0STCNT0", "005930")}
        assert rt.stats.reconnects == 1


async def test_resubscribing_after_a_drop_renews_a_refused_key(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        server.refused_keys.add("approval-key-1")  # e.g. KIS restarted and forgot it
        server.drop()
        await server.wait_until(lambda: len(server.sessions) == 2 and rt.connected)
        assert server.sessions[1].registrations == {("H0STCNT0", "005930")}
        assert [r.approval_key for r in server.received] == [
            "approval-key-1", "approval-key-1", "approval-key-2",
        ]  # fmt: skip
        assert client.invalidated == 1


async def test_a_key_refused_twice_is_an_error(server: KisWsServer, client: FakeClient) -> None:
    server.refused_keys.update({"approval-key-1", "approval-key-2"})
    async with _connection(client, server) as rt:
        with pytest.raises(KisRealtimeError) as caught:
            await rt.subscribe("H0STCNT0", "005930")
        assert caught.value.msg_cd == "OPSP0011"
        assert rt.registrations == ()


# --- consumers -----------------------------------------------------------------------------


def _tick(price: int) -> str:
    fields = FRAMES["tick"].split("|", 3)[3].split("^")
    fields[2] = str(price)
    return "0|H0STCNT0|001|" + "^".join(fields)


@pytest.mark.parametrize(
    ("overflow", "kept"),
    [("drop_oldest", ["4", "5"]), ("drop_newest", ["1", "2"]), ("error", ["1", "2"])],
)
async def test_a_full_queue_follows_the_overflow_policy(
    server: KisWsServer, client: FakeClient, overflow: Overflow, kept: list[str]
) -> None:
    async with _connection(client, server, queue_size=2, overflow=overflow) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await server.push(*(_tick(p) for p in range(1, 6)))
        await server.wait_until(lambda: rt.stats.records == 5)
        assert rt.stats.dropped == 3
        if overflow == "error":
            with pytest.raises(KisRealtimeOverflowError):
                await _take(rt.records(), 1)
        records = await _take(rt.records(), 2)
    assert [_price(r) for r in records] == kept


async def test_stream_yields_one_tr_and_unsubscribes_on_exit(
    server: KisWsServer, client: FakeClient
) -> None:
    async with _connection(client, server) as rt:
        await rt.subscribe("H0STASP0", "005930")
        ticks = rt.stream("H0STCNT0", "005930")
        first = asyncio.ensure_future(_take(ticks, 2))
        await server.wait_until(lambda: ("H0STCNT0", "005930") in rt.registrations)
        await server.push(FRAMES["book59"], _tick(1), FRAMES["book62"], _tick(2))
        assert [_price(r) for r in await asyncio.wait_for(first, WAIT)] == ["1", "2"]
        await asyncio.wait_for(ticks.aclose(), WAIT)
        assert rt.registrations == (("H0STASP0", "005930"),)
        assert server.received[-1].tr_type == "2"
        books = await _take(rt.records(), 2)
        assert [type(r) for r in books] == [Book, Book]


async def test_close_ends_iteration_and_refuses_new_requests(
    server: KisWsServer, client: FakeClient
) -> None:
    rt = _connection(client, server)
    await rt.connect()
    waiting = asyncio.ensure_future(_take(rt.records(), 5))
    await asyncio.sleep(0)
    await asyncio.wait_for(rt.close(), WAIT)
    assert await asyncio.wait_for(waiting, WAIT) == []
    with pytest.raises(KisConnectionError):
        await rt.subscribe("H0STCNT0", "005930")
    await server.wait_until(lambda: not server.sessions[0].open)


async def test_connecting_to_nothing_raises(client: FakeClient) -> None:
    rt = RealtimeConnection(client, REGISTRY, url="ws://127.0.0.1:9/tryitout", open_timeout=2)
    with pytest.raises(KisConnectionError):
        await rt.connect()
    await rt.close()


async def test_the_callback_thread(server: KisWsServer, client: FakeClient) -> None:
    got: list[RealtimeRecord] = []
    threads: set[str] = set()
    arrived = threading.Event()

    def on_record(record: RealtimeRecord) -> None:
        threads.add(threading.current_thread().name)
        got.append(record)
        if len(got) == 1:
            raise RuntimeError("a failing callback does not stop the stream")
        if len(got) == 3:
            arrived.set()

    rt = RealtimeThread(client, REGISTRY, on_record, url=server.url, reply_timeout=2.0)
    # The test server runs on this loop: blocking calls go to worker threads.
    await asyncio.to_thread(rt.start, WAIT)
    try:
        await asyncio.to_thread(rt.subscribe, "H0STCNT0", "005930", WAIT)
        assert server.current.registrations == {("H0STCNT0", "005930")}
        await server.push(FRAMES["ticks3"])
        assert await asyncio.to_thread(arrived.wait, WAIT)
    finally:
        await asyncio.to_thread(rt.stop, WAIT)
    assert [_price(r) for r in got] == ["71950", "71900", "72000"]
    assert threads == {"kisapi-realtime"}
    assert rt._thread is not None and not rt._thread.is_alive()
