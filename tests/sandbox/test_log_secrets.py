"""Every logger of the process at DEBUG across a realistic session: no secret in any record.

Token, approval key, a paper order, its encrypted notice over the WebSocket, a paginated
balance, a query with a fault and a state-unknown order: httpx's own ``HTTP Request: ...?CANO=``
lines, httpcore's and websockets' debug lines included. The user configures nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from kisapi import AsyncKis, KisOrderStateUnknownError
from kisapi_sandbox import PaperBroker, serve

APPKEY = "PSlogtest0123456789abcdefghijklmnop"
APPSECRET = "log-test-app-secret-0123456789abcdefghijklmnopqrstuvwxyz"
ACCOUNT = "50000777-01"
HTS_ID = "loghtsid7"


class Everything(logging.Handler):
    """Keeps every record any logger emits, formatted as a handler would see it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.texts.append(self.format(record))


@pytest.fixture
def everything() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    saved = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    touched = []
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if logger.level not in (logging.NOTSET, logging.DEBUG) or not logger.propagate:
            touched.append((logger, logger.level, logger.propagate))
            logger.setLevel(logging.DEBUG)
            logger.propagate = True
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)
        for logger, level, propagate in touched:
            logger.setLevel(level)
            logger.propagate = propagate


async def test_no_secret_in_any_log_record_at_debug(tmp_path: Path, everything: Everything) -> None:
    broker = PaperBroker(enforce_hours=False, hts_id=HTS_ID)
    with serve(ws_mock_port=0, broker=broker, realtime={"tick_interval": 0.05}) as server:
        async with AsyncKis(
            appkey=APPKEY, appsecret=APPSECRET, account=ACCOUNT, hts_id=HTS_ID, env="mock",
            rest_url=server.mock_url, ws_url=server.ws_url("mock"), token_cache_dir=tmp_path,
            rate_limit=0,
        ) as kis:  # fmt: skip
            async with kis.realtime(reply_timeout=5) as rt:
                await rt.subscribe("H0STCNI9", HTS_ID)
                order = await kis.domestic_stock.order_cash(
                    side="buy", pdno="005930", ord_dvsn="01", ord_qty=2, ord_unpr=0
                )
                async with asyncio.timeout(10):
                    async for record in rt.records():
                        if "oder_no" in record.as_dict():
                            break
            balance = await kis.domestic_stock.inquire_balance.pages(
                afhr_flpr_yn="N", inqr_dvsn="02", unpr_dvsn="01", fund_sttl_icld_yn=False,
                fncg_amt_auto_rdpt_yn=False, prcs_dvsn="00",
            ).collect()  # fmt: skip
            server.faults.drop(path="/uapi/domestic-stock/v1/trading/order-cash")
            with pytest.raises(KisOrderStateUnknownError) as unknown:
                await kis.domestic_stock.order_cash(
                    side="buy", pdno="005930", ord_dvsn="01", ord_qty=1, ord_unpr=0
                )
            token = kis._tokens._current.token  # type: ignore[union-attr]
            approval = kis._approval._key
    assert order.output is not None and balance.rows
    secrets = {"appkey": APPKEY, "appsecret": APPSECRET, "account": ACCOUNT[:8],
               "hts_id": HTS_ID, "token": token, "approval key": approval}  # fmt: skip
    assert all(secrets.values())
    texts = [*everything.texts, str(unknown.value), repr(unknown.value.request)]
    names = {r.name.split(".")[0] for r in everything.records}
    assert {"kisapi", "httpx", "httpcore"} <= names, names
    assert any("CANO=" in t for t in texts), "httpx's request lines were captured"
    leaks = [(what, t) for t in texts for what, value in secrets.items() if value in t]
    assert leaks == [], leaks[:5]
    assert len(everything.records) > 50
