"""Realtime, typed per TR: a few ticks of 005930 and the execution notice of a paper order.

Runs against the local KIS sandbox started in-process (no account, no network):
``python examples/realtime_ticks.py``. ``rt.stream("H0STCNT0", ...)`` yields ``CcnlKrx``
records; the execution notice is subscribed by its real TR ID (``H0STCNI0``) and the mock
client sends ``H0STCNI9``, the ID KIS uses for paper trading.
"""

from __future__ import annotations

import asyncio
import tempfile

from kisapi import AsyncKis
from kisapi.realtime.domestic_stock.ccnl_notice import CcnlNotice
from kisapi_sandbox.paper import PaperBroker
from kisapi_sandbox.server import serve

HTS_ID = "example-hts"


async def run(rest_url: str, ws_url: str, tokens: str) -> None:
    async with (
        AsyncKis(
            appkey="sandbox-appkey",
            appsecret="sandbox-appsecret",
            account="50000000-01",
            hts_id=HTS_ID,
            env="mock",
            rest_url=rest_url,
            ws_url=ws_url,
            token_cache_dir=tokens,
        ) as kis,
        kis.realtime() as rt,
    ):
        shown = 0
        async for tick in rt.stream("H0STCNT0", "005930"):
            # tick is a CcnlKrx: stck_prpr is an int (or None when KIS sends a blank)
            print(f"[{tick.tr_id} {tick.key}] {tick.stck_cntg_hour} price {tick.stck_prpr}")
            shown += 1
            if shown == 3:
                break
        await rt.subscribe(CcnlNotice)  # keyed by the client's HTS ID
        await kis.domestic_stock.order_cash(
            side="buy", pdno="005930", ord_dvsn="01", ord_qty=1, ord_unpr=0
        )
        async for record in rt.records():
            if isinstance(record, CcnlNotice):
                print(f"[{record.tr_id}] order {record.oder_no}: {record.cntg_qty} shares")
                break


def main() -> None:
    broker = PaperBroker(enforce_hours=False, hts_id=HTS_ID)
    realtime = {"tick_interval": 0.1}
    with (
        serve(port=0, ws_mock_port=0, broker=broker, realtime=realtime) as server,
        tempfile.TemporaryDirectory() as tokens,
    ):
        asyncio.run(run(server.mock_url, server.ws_url("mock"), tokens))


if __name__ == "__main__":
    main()
