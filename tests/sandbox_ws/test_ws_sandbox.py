"""The realtime sandbox (kisapi_sandbox.ws) against the SDK's own RealtimeConnection: typed
ticks (multi-record frames included), unsubscribe, PINGPONG, the registration limit, encrypted
execution notices for paper fills, reconnects with resubscription, approval keys, faults."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import datetime, time
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from kisapi.enums import SellBuyDivision
from kisapi.realtime import registry
from kisapi.realtime.domestic_stock.asking_price_krx import AskingPriceKrx
from kisapi.realtime.domestic_stock.ccnl_krx import CcnlKrx
from kisapi.realtime.domestic_stock.ccnl_notice import CcnlNotice
from kisapi_runtime.realtime.connection import (
    KisRealtimeError,
    KisRealtimeLimitError,
    RealtimeConnection,
)
from kisapi_runtime.realtime.records import RealtimeRecord, decode_records, split_frame
from kisapi_runtime.realtime.thread import RealtimeThread
from kisapi_sandbox.ticks import TickStream, field_kinds
from kisapi_sandbox.ws import Faults, RealtimeSandbox, RealtimeSandboxThread

from ..realtime.fakes import FakeClient

pytestmark = pytest.mark.timeout(10)

WAIT = 3.0
HTS_ID = "sandboxhts"
REGISTRY = registry()
TICK = CcnlKrx
BOOK = AskingPriceKrx
NOTICE = CcnlNotice
R = TypeVar("R", bound=RealtimeRecord)


@attrs.frozen
class Fill:
    """What the paper broker's on_fill hook delivers."""

    account: str
    order_no: str
    code: str
    side: str
    qty: int
    price: int
    time: time


FILL = Fill("12345678-01", "0000012345", "005930", "buy", 10, 71200, time(9, 30, 5))


KEYS = {f"approved-{i}" for i in range(1, 5)}


def fake_client(tmp_path: Path, url: str, prefix: str = "approved") -> FakeClient:
    return FakeClient(url, tmp_path, prefix=prefix, hts_id=HTS_ID)


@pytest.fixture
async def server() -> AsyncIterator[RealtimeSandbox]:
    async with RealtimeSandbox(
        approval_keys=KEYS, tick_interval=0.02, multi_record=0.0, ping_interval=None, seed=1
    ) as ws:
        yield ws


def _connection(server: RealtimeSandbox, tmp_path: Path, **options: Any) -> RealtimeConnection:
    options.setdefault("reply_timeout", WAIT)
    options.setdefault("reconnect_initial", 0.05)
    options.setdefault("reconnect_max", 0.2)
    return RealtimeConnection(fake_client(tmp_path, server.url), REGISTRY, **options)


def _only(cls: type[R], records: list[RealtimeRecord]) -> list[R]:
    assert [type(r) for r in records] == [cls] * len(records), records
    return [r for r in records if isinstance(r, cls)]


def _int(value: int | None) -> int:
    assert value is not None
    return value


async def _take(source: AsyncIterator[RealtimeRecord], n: int) -> list[RealtimeRecord]:
    got: list[RealtimeRecord] = []
    async with asyncio.timeout(WAIT):
        async for record in source:
            got.append(record)
            if len(got) == n:
                break
    return got


async def _raw_request(ws: ClientConnection, tr_type: str, tr_id: str, key: str) -> Any:
    header = {"approval_key": "approved-1", "custtype": "P", "tr_type": tr_type,
              "content-type": "utf-8"}  # fmt: skip
    await ws.send(json.dumps({"header": header, "body": {"input": {"tr_id": tr_id, "tr_key": key}}}))  # fmt: skip
    async with asyncio.timeout(WAIT):
        while True:
            text = await ws.recv()
            if isinstance(text, str) and text.startswith("{"):
                return json.loads(text)


# --- ticks --------------------------------------------------------------------------------


def test_every_tr_generates_frames_that_decode_typed() -> None:
    for tr_id, spec in REGISTRY.items():
        stream = TickStream(tr_id, "005930", seed=3)
        encrypted, frame_tr, count, payload = split_frame(stream.frame(3))
        records = decode_records(spec.record, count, payload)
        assert (encrypted, frame_tr, len(records)) == (False, tr_id, 3)
        for record in records:
            assert record.extra == ()
            for (wire, kind, _), name in zip(
                field_kinds(spec.record), spec.record.PY_NAMES, strict=True
            ):
                if kind not in ("code", "text"):
                    assert getattr(record, name) is not None, (tr_id, wire, record.raw[wire])


def test_tick_prices_are_consistent() -> None:
    stream = TickStream("H0STCNT0", "005930")
    for _ in range(20):
        tick = TICK(stream.record())
        assert tick.mksc_shrn_iscd == "005930"
        assert _int(tick.stck_lwpr) <= _int(tick.stck_prpr) <= _int(tick.stck_hgpr)
        assert tick.prdy_vrss == _int(tick.stck_prpr) - stream.close
    book = BOOK(TickStream("H0STASP0", "005930").record())
    assert _int(book.askp2) > _int(book.askp1) > _int(book.bidp1) > _int(book.bidp2)


# --- subscriptions and streams ------------------------------------------------------------


async def test_subscribe_streams_typed_ticks(server: RealtimeSandbox, tmp_path: Path) -> None:
    async with _connection(server, tmp_path) as rt:
        ticks = _only(TICK, await _take(rt.stream("H0STCNT0", "005930"), 3))
        assert all(t.mksc_shrn_iscd == "005930" and _int(t.stck_prpr) > 0 for t in ticks)
        assert server.current.replies == ["SUBSCRIBE SUCCESS"]


async def test_multi_record_frames_decode(tmp_path: Path) -> None:
    async with (
        RealtimeSandbox(tick_interval=None, ping_interval=None) as server,
        _connection(server, tmp_path) as rt,
    ):
        await rt.subscribe("H0STCNT0", "005930")
        async with asyncio.timeout(WAIT):
            assert await server.send_ticks("H0STCNT0", "005930", count=3) == 1
        assert len(_only(TICK, await _take(rt.records(), 3))) == 3
        assert (rt.stats.frames, rt.stats.records) == (1, 3)
    async with (
        RealtimeSandbox(tick_interval=0.01, multi_record=1.0, ping_interval=None) as server,
        _connection(server, tmp_path) as rt,
    ):
        await _take(rt.stream("H0STCNT0", "000660"), 12)
        assert rt.stats.records >= 2 * rt.stats.frames > 0


async def test_asking_price_stream(server: RealtimeSandbox, tmp_path: Path) -> None:
    async with _connection(server, tmp_path) as rt:
        (book,) = _only(BOOK, await _take(rt.stream("H0STASP0", "000660"), 1))
        assert book.mksc_shrn_iscd == "000660"
        assert _int(book.askp1) > _int(book.bidp1) > 0


async def test_unsubscribe_stops_the_stream(server: RealtimeSandbox, tmp_path: Path) -> None:
    async with _connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await _take(rt.records(), 2)
        await rt.unsubscribe("H0STCNT0", "005930")
        assert server.current.registrations == {}
        assert server.current.replies[-1] == "UNSUBSCRIBE SUCCESS"
        frames = rt.stats.frames
        await asyncio.sleep(0.2)  # ten tick intervals
        assert rt.stats.frames == frames


async def test_replies_are_kis_shaped(server: RealtimeSandbox) -> None:
    async with connect(server.url + "/tryitout") as ws:
        ok = await _raw_request(ws, "1", "H0STCNI9", HTS_ID)
        assert ok["header"] == {"tr_id": "H0STCNI9", "tr_key": HTS_ID, "encrypt": "Y"}
        assert {k: ok["body"][k] for k in ("rt_cd", "msg_cd", "msg1")} == {
            "rt_cd": "0", "msg_cd": "OPSP0000", "msg1": "SUBSCRIBE SUCCESS"}  # fmt: skip
        output = ok["body"]["output"]
        assert len(output["key"]) == 32 and len(output["iv"]) == 16
        quote = await _raw_request(ws, "1", "H0STCNT0", "005930")
        assert quote["header"]["encrypt"] == "N" and set(quote["body"]["output"]) == {"iv", "key"}
        again = await _raw_request(ws, "1", "H0STCNT0", "005930")
        assert (again["body"]["rt_cd"], again["body"]["msg1"]) == ("1", "ALREADY IN SUBSCRIBE")
        gone = await _raw_request(ws, "2", "H0STCNT0", "005930")
        assert (gone["body"]["rt_cd"], gone["body"]["msg1"]) == ("0", "UNSUBSCRIBE SUCCESS")
        missing = await _raw_request(ws, "2", "H0STCNT0", "005930")
        assert missing["body"]["rt_cd"] == "1"
        unknown = await _raw_request(ws, "1", "H0NOSUCH", "005930")
        assert unknown["body"]["rt_cd"] == "1"


# --- PINGPONG -----------------------------------------------------------------------------


async def test_pingpong_is_echoed_by_the_sdk(tmp_path: Path) -> None:
    async with (
        RealtimeSandbox(tick_interval=None, ping_interval=0.05, echo_timeout=1.0) as server,
        _connection(server, tmp_path) as rt,
    ):
        await server.wait_until(lambda: len(server.current.echoes) >= 3)
        session = server.current
        assert json.loads(session.echoes[0])["header"]["tr_id"] == "PINGPONG"
        assert session.open and rt.stats.reconnects == 0


async def test_missing_echo_drops_the_session_unless_checks_stop() -> None:
    faults = Faults()
    async with RealtimeSandbox(
        tick_interval=None, ping_interval=0.05, echo_timeout=0.1, faults=faults
    ) as server:
        async with connect(server.url) as ws:  # never echoes
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(WAIT):
                    while True:
                        await ws.recv()
        faults.check_echo = False
        async with connect(server.url) as ws:
            async with asyncio.timeout(WAIT):
                for _ in range(5):
                    assert "PINGPONG" in str(await ws.recv())
            assert server.current.open


# --- the registration limit ---------------------------------------------------------------


async def test_forty_registrations_then_limits(tmp_path: Path) -> None:
    async with RealtimeSandbox(tick_interval=None, ping_interval=None) as server:
        async with _connection(server, tmp_path) as rt:
            for i in range(40):
                await rt.subscribe("H0STCNT0", f"{i:06d}")
            with pytest.raises(KisRealtimeLimitError):
                await rt.subscribe("H0STCNT0", "999999")
            assert len(server.current.registrations) == 40
        async with _connection(server, tmp_path, max_registrations=50) as rt:
            for i in range(40):
                await rt.subscribe("H0STCNT0", f"{i:06d}")
            await rt.subscribe("H0STCNI9")  # the 41st: the notice
            with pytest.raises(KisRealtimeError) as caught:
                await rt.subscribe("H0STASP0", "005930")
            assert caught.value.msg1 == "MAX SUBSCRIBE OVER"
            assert len(server.current.registrations) == 41


# --- execution notices --------------------------------------------------------------------


async def test_fill_notice_is_encrypted_and_typed(server: RealtimeSandbox, tmp_path: Path) -> None:
    async with _connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNI9")
        server.notify_fill("someone-else", FILL)  # not this session's HTS ID
        await asyncio.to_thread(server.notify_fill, HTS_ID, FILL)  # a broker's thread
        (notice,) = _only(NOTICE, await _take(rt.records(), 1))
        assert notice.oder_no == "0000012345" and notice.cust_id == HTS_ID
        assert notice.acnt_no == "1234567801" and notice.stck_shrn_iscd == "005930"
        assert notice.seln_byov_cls is SellBuyDivision.BUY
        assert (notice.cntg_qty, notice.cntg_unpr, notice.cntg_yn) == (10, 71200, "2")
        assert notice.stck_cntg_hour == time(9, 30, 5)
        assert notice.extra == () and rt.stats.bad_frames == 0
        assert server.notices_sent == 1


async def test_fill_listener_for_a_broker_hook(server: RealtimeSandbox, tmp_path: Path) -> None:
    listener = server.fill_listener()  # what broker.on_fill(...) would keep
    async with _connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNI9")
        numbers = [f"{n:010d}" for n in range(770, 775)]
        for number in numbers:
            listener(attrs.evolve(FILL, order_no=number, side="sell"))
        notices = _only(NOTICE, await _take(rt.records(), len(numbers)))
        assert [n.oder_no for n in notices] == numbers  # in the order they filled
        assert {n.seln_byov_cls for n in notices} == {SellBuyDivision.SELL}


# --- reconnects and faults ----------------------------------------------------------------


async def test_drop_then_resubscribe_without_duplicates(
    server: RealtimeSandbox, tmp_path: Path
) -> None:
    async with _connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        await rt.subscribe("H0STASP0", "005930")
        await rt.subscribe("H0STCNI9")
        first = server.current
        server.drop_all()
        await server.wait_until(
            lambda: server.open_sessions != [] and server.current is not first
            and len(server.current.registrations) == 3
        )  # fmt: skip
        second = server.current
        assert list(second.registrations) == list(first.registrations)
        assert set(second.subscribes.values()) == {1}
        assert "ALREADY IN SUBSCRIBE" not in second.replies
        server.notify_fill(HTS_ID, FILL)  # encrypted with the new session's cipher
        assert (await _next_notice(rt)).oder_no == "0000012345"
        assert rt.stats.reconnects == 1 and rt.stats.bad_frames == 0


async def _next_notice(rt: RealtimeConnection) -> CcnlNotice:
    async with asyncio.timeout(WAIT):
        async for record in rt.records():
            if isinstance(record, NOTICE):
                return record
    raise AssertionError("the connection closed before a notice came")


async def test_drop_after_frames_fault(server: RealtimeSandbox, tmp_path: Path) -> None:
    async with _connection(server, tmp_path) as rt:
        await rt.subscribe("H0STCNT0", "005930")
        server.faults.drop_after_frames = 3
        await server.wait_until(lambda: rt.stats.reconnects >= 1)
        assert server.sessions[0].frames == 3 and not server.sessions[0].open
        server.faults.drop_after_frames = None
        await _take(rt.records(), 5)
        assert server.current.registrations == {("H0STCNT0", "005930"): None}


async def test_refused_approval_key(server: RealtimeSandbox, tmp_path: Path) -> None:
    client = fake_client(tmp_path, server.url, prefix="stranger")
    async with RealtimeConnection(client, REGISTRY, reply_timeout=WAIT) as rt:
        with pytest.raises(KisRealtimeError) as caught:
            await rt.subscribe("H0STCNT0", "005930")
        assert caught.value.msg_cd == "OPSP0011"
        assert caught.value.msg1 == "invalid approval : NOT FOUND"
        assert client.issued == 2  # the SDK asked for a fresh key once
        assert server.current.registrations == {}
    server.faults.refuse_approval = True
    async with _connection(server, tmp_path) as rt:
        with pytest.raises(KisRealtimeError):
            await rt.subscribe("H0STCNT0", "005930")


# --- the thread runner and the whole SDK --------------------------------------------------


def test_thread_runner_with_the_sync_sdk(tmp_path: Path) -> None:
    seen = {TICK: threading.Event(), NOTICE: threading.Event()}

    def on_record(record: RealtimeRecord) -> None:
        if type(record) in seen:
            seen[type(record)].set()

    class SyncClient(FakeClient):
        def approval_key(self) -> str:  # type: ignore[override]
            return "approved-1"

    with RealtimeSandboxThread(approval_keys=KEYS, tick_interval=0.02, ping_interval=None) as ws:
        client = SyncClient(ws.url, tmp_path, prefix="approved", hts_id=HTS_ID)
        with RealtimeThread(client, REGISTRY, on_record, reply_timeout=WAIT) as rt:
            rt.subscribe("H0STCNT0", "005930", timeout=WAIT)
            rt.subscribe("H0STCNI9", timeout=WAIT)
            ws.notify_fill(HTS_ID, FILL)
            assert seen[NOTICE].wait(WAIT) and seen[TICK].wait(WAIT)


async def test_async_kis_with_an_issued_approval_key(tmp_path: Path) -> None:
    from kisapi import AsyncKis
    from kisapi_sandbox import Sandbox

    issued: set[str] = set()
    async with (
        RealtimeSandbox(approval_keys=issued, tick_interval=0.02, ping_interval=None) as ws,
        AsyncKis(
            appkey="PSappkey-sandbox-ws-1", appsecret="secret-sandbox-ws-2",
            account="12345678-01", env="mock", hts_id=HTS_ID, ws_url=ws.url,
            token_cache_dir=tmp_path, transport=Sandbox().async_transport(),
        ) as akis,
    ):  # fmt: skip
        issued.add(await akis.approval_key())  # what the HTTP sandbox does on /oauth2/Approval
        async with akis.realtime(reply_timeout=WAIT) as rt:
            (tick,) = _only(TICK, await _take(rt.stream("H0STCNT0", "005930"), 1))
            assert tick.mksc_shrn_iscd == "005930"


async def test_paper_fill_reaches_the_notice_stream(tmp_path: Path) -> None:
    from kisapi import AsyncKis
    from kisapi_sandbox import Sandbox
    from kisapi_sandbox.market import ManualClock
    from kisapi_sandbox.paper import PaperBroker

    broker = PaperBroker(clock=ManualClock(datetime(2026, 11, 24, 10, 0)), hts_id=HTS_ID)
    sandbox = Sandbox(broker=broker)
    async with (
        RealtimeSandbox(
            approval_keys=lambda key: sandbox.approval_env(key) is not None,
            market=broker.market, tick_interval=None, ping_interval=None,
        ) as ws,
        AsyncKis(
            appkey="PSappkey-sandbox-ws-1", appsecret="secret-sandbox-ws-2",
            account="12345678-01", env="mock", hts_id=HTS_ID, ws_url=ws.url,
            token_cache_dir=tmp_path, transport=sandbox.async_transport(),
        ) as akis,
        akis.realtime(reply_timeout=WAIT) as rt,
    ):  # fmt: skip
        broker.on_fill(ws.fill_listener())
        await rt.subscribe("H0STCNI9")
        await rt.subscribe("H0STCNT0", "005930")
        await ws.send_ticks("H0STCNT0", "005930")
        (tick,) = _only(TICK, await _take(rt.records(), 1))
        assert tick.stck_prpr == broker.market.price("005930")
        order = await akis.domestic_stock.order_cash(
            side="buy", pdno="005930", ord_dvsn="01", ord_qty=3, ord_unpr=0
        )
        assert order.output is not None
        notice = await _next_notice(rt)
        assert notice.oder_no == order.output.odno and notice.cntg_qty == 3
        assert notice.cntg_unpr == tick.stck_prpr and notice.cust_id == HTS_ID
