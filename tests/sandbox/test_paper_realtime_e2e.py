"""End to end over real sockets: the SDK trades on the sandbox server's paper broker (REST) and
receives the fill as an AES-encrypted execution notice plus ticks (WebSocket)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kisapi import AsyncKis
from kisapi_sandbox import PaperBroker, serve

HTS_ID = "e2e-hts"


async def test_paper_order_fill_arrives_as_notice_and_shows_in_balance(tmp_path: Path) -> None:
    broker = PaperBroker(enforce_hours=False, hts_id=HTS_ID)
    with serve(ws_mock_port=0, broker=broker, realtime={"tick_interval": 0.05}) as server:
        async with AsyncKis(
            appkey="e2e-appkey-0001", appsecret="e2e-secret-0001", account="50000001-01",
            hts_id=HTS_ID, env="mock", rest_url=server.mock_url, ws_url=server.ws_url("mock"),
            token_cache_dir=tmp_path, rate_limit=0,
        ) as kis:  # fmt: skip
            async with kis.realtime(reply_timeout=5) as rt:
                await rt.subscribe("H0STCNI9", HTS_ID)
                await rt.subscribe("H0STCNT0", "005930")
                order = await kis.domestic_stock.order_cash(
                    side="buy", pdno="005930", ord_dvsn="01", ord_qty=2, ord_unpr=0
                )
                assert order.rt_cd == "0" and order.output is not None and order.output.odno
                notice = ticks = None
                async with asyncio.timeout(10):
                    async for record in rt.records():
                        fields = record.as_dict()
                        if "oder_no" in fields and notice is None:
                            notice = fields
                        elif "stck_prpr" in fields and ticks is None:
                            ticks = fields
                        if notice is not None and ticks is not None:
                            break
                assert rt.stats.bad_frames == 0
            balance = await kis.domestic_stock.inquire_balance(
                afhr_flpr_yn="N", inqr_dvsn="02", unpr_dvsn="01", fund_sttl_icld_yn=False,
                fncg_amt_auto_rdpt_yn=False, prcs_dvsn="00",
            )  # fmt: skip
    assert notice is not None and notice["oder_no"] == order.output.odno
    assert notice["stck_shrn_iscd"] == "005930" and notice["cntg_qty"] == 2
    assert ticks is not None and ticks["mksc_shrn_iscd"] == "005930" and ticks["stck_prpr"] > 0
    (holding,) = balance.output1
    assert holding.pdno == "005930" and holding.hldg_qty == 2
