"""Realtime TR IDs per environment, typed records: ``.tr_id``, ``.key`` and ``stream()``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kisapi import KisMockUnsupportedError, realtime
from kisapi.realtime.domestic_stock.ccnl_krx import CcnlKrx
from kisapi.realtime.domestic_stock.ccnl_notice import CcnlNotice
from kisapi.realtime.domestic_stock.market_status_total import MarketStatusTotal
from kisapi.realtime.session import RealtimeSession
from kisapi_runtime.realtime.connection import RealtimeConnection
from kisapi_runtime.realtime.records import FrameDecoder

from .fakes import HTS_ID, FakeClient
from .wsserver import CIPHER_IV, CIPHER_KEY, KisWsServer

SPECS = [realtime.spec(api_id) for api_id in realtime.MODULES]


def session(tmp_path: Path, env: str, url: str = "ws://127.0.0.1:9") -> RealtimeConnection:
    client = FakeClient(url, tmp_path, env=env)  # type: ignore[arg-type]
    return RealtimeSession(client, realtime.registry(), url=url, reply_timeout=2, open_timeout=2)


def test_the_environment_picks_the_tr_id(tmp_path: Path) -> None:
    mock, real = session(tmp_path, "mock"), session(tmp_path, "real")
    for given in ("H0STCNI0", "H0STCNI9", CcnlNotice):
        assert mock.tr_id_for(given) == "H0STCNI9"
        assert real.tr_id_for(given) == "H0STCNI0"
    assert mock.tr_id_for("H0GSCNI0") == "H0GSCNI9" and mock.tr_id_for("H0IFCNI0") == "H0IFCNI9"
    assert mock.tr_id_for(CcnlKrx) == real.tr_id_for("H0STCNT0") == "H0STCNT0"


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_tr_is_offered_or_refused_per_environment(
    spec: realtime.RealtimeSpec, tmp_path: Path
) -> None:
    mock, real = session(tmp_path, "mock"), session(tmp_path, "real")
    for name in {t for t in (spec.real, spec.mock) if t}:
        assert real.tr_id_for(name) == spec.real
        if spec.mock is None:
            with pytest.raises(KisMockUnsupportedError, match=f"{name}.*{spec.id}"):
                mock.tr_id_for(name)
        else:
            assert mock.tr_id_for(name) == spec.mock
    # the record class names its TR by the real TR ID, whatever the environment
    assert spec.record.tr_id == spec.real
    assert real.tr_id_for(spec.record) == spec.real


async def test_a_real_only_tr_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    async with KisWsServer() as server:
        rt = session(tmp_path, "mock", server.url)
        async with rt:
            with pytest.raises(KisMockUnsupportedError, match="H0UPCNT0"):
                await rt.subscribe("H0UPCNT0", "0001")
            with pytest.raises(KisMockUnsupportedError):
                async with asyncio.timeout(2):
                    async for _ in rt.stream("H0UPCNT0", "0001"):
                        pass
            await rt.subscribe("H0STCNT0", "005930")
        assert [(r.tr_id, r.tr_key) for r in server.received] == [("H0STCNT0", "005930")]


async def test_a_mock_client_subscribes_the_mock_notice(tmp_path: Path) -> None:
    from kisapi_runtime.realtime.crypto import encrypt

    async with KisWsServer(encrypted={"H0STCNI9"}) as server:
        rt = session(tmp_path, "mock", server.url)
        async with rt:
            stream = rt.stream(CcnlNotice)  # the class, keyed by the configured HTS ID
            task = asyncio.ensure_future(anext(stream))
            await server.wait_until(lambda: bool(server.received))
            assert (server.received[0].tr_id, server.received[0].tr_key) == ("H0STCNI9", HTS_ID)
            values = [HTS_ID, "5000000001", "0000012345", *[""] * (len(CcnlNotice.FIELDS) - 3)]
            await server.push("1|H0STCNI9|001|" + encrypt("^".join(values), CIPHER_KEY, CIPHER_IV))
            async with asyncio.timeout(3):
                notice = await task
            await stream.aclose()
    assert type(notice) is CcnlNotice and notice.tr_id == "H0STCNI0" and notice.key == HTS_ID


def test_records_carry_tr_id_and_key_without_per_record_work() -> None:
    decode = FrameDecoder(realtime.registry()).decode
    values = ["005930", "093000", "71200", *["0"] * (len(CcnlKrx.FIELDS) - 3)]
    _, (tick,) = decode("0|H0STCNT0|001|" + "^".join(values))
    assert isinstance(tick, CcnlKrx) and tick.tr_id == "H0STCNT0" and tick.key == "005930"
    assert "tr_id" not in CcnlKrx.__slots__ and CcnlKrx.__slots__ == ()  # nothing stored per record
    status = MarketStatusTotal([""] * len(MarketStatusTotal.FIELDS))
    assert status.key is None  # its frame has no key field
    assert status.tr_id == "H0UNMKO0"
