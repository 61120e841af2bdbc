"""``python -m kisapi_sandbox --always-open --hts-id ID``: the paper broker takes orders at any
hour and sends execution notices to that HTS ID; the same from KISAPI_SANDBOX_* variables;
without --always-open, orders outside the session are refused as before."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import httpx
import pytest

from kisapi_runtime.codecs import KST
from kisapi_sandbox.__main__ import make_broker, parser
from kisapi_sandbox.market import ManualClock, Market
from kisapi_sandbox.paper import Fill, PaperBroker

pytestmark = pytest.mark.timeout(120)
SATURDAY = datetime(2026, 3, 7, 11, 0, tzinfo=KST)
ORDER = {"CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "01",
         "ORD_QTY": "1", "ORD_UNPR": "0"}  # fmt: skip


def broker_from(argv: list[str], environ: dict[str, str] | None = None) -> PaperBroker | None:
    broker = make_broker(parser(environ or {}).parse_args(argv),
                         Market(clock=ManualClock(SATURDAY)))  # fmt: skip
    assert broker is None or isinstance(broker, PaperBroker)
    return broker


def order(broker: PaperBroker) -> dict[str, Any]:
    answer = broker.handle("domestic_stock.order_cash", "TTTC0012U", ORDER, mock=False)
    assert answer is not None
    return dict(answer)


def test_always_open_takes_orders_outside_the_session() -> None:
    broker = broker_from(["--always-open"])
    assert broker is not None
    assert order(broker)["rt_cd"] == "0"
    refusing = broker_from(["--hts-id", "someone"])
    assert refusing is not None
    answer = order(refusing)
    assert (answer["rt_cd"], answer["msg_cd"]) == ("1", "OPSQ0019"), answer


def test_the_hts_id_reaches_the_fills() -> None:
    broker = broker_from(["--always-open", "--hts-id", "myhts"])
    assert broker is not None and broker.hts_id == "myhts"
    fills: list[Fill] = []
    broker.on_fill(fills.append)
    order(broker)
    assert [f.hts_id for f in fills] == ["myhts"]


def test_the_environment_sets_the_same() -> None:
    environ = {"KISAPI_SANDBOX_ALWAYS_OPEN": "1", "KISAPI_SANDBOX_HTS_ID": "envhts",
               "KISAPI_SANDBOX_SEED": "7"}  # fmt: skip
    args = parser(environ).parse_args([])
    assert (args.always_open, args.hts_id, args.seed) == (True, "envhts", 7)
    broker = broker_from([], environ)
    assert broker is not None and not broker.enforce_hours and broker.hts_id == "envhts"
    assert broker_from([]) is None  # nothing asked: orders answered from the specs


def serve_and_order(*flags: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "kisapi_sandbox",
        "--port",
        "0",
        "--mock-port",
        "0",
        "--rate-limit",
        "off",
        "--log-level",
        "warning",
        "--today",
        "2026-03-07",
        *flags,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                               env={"PATH": "", "PYTHONPATH": ":".join(sys.path)})  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split("real ", 1)[1].split()[0]
        with httpx.Client(base_url=url) as client:
            creds = {"appkey": "app", "appsecret": "secret"}
            token = client.post("/oauth2/tokenP", json={"grant_type": "client_credentials",
                                                       **creds}).json()["access_token"]  # fmt: skip
            headers = {"authorization": f"Bearer {token}", **creds, "tr_id": "TTTC0012U",
                       "custtype": "P"}  # fmt: skip
            response = client.post("/uapi/domestic-stock/v1/trading/order-cash",
                                    content=json.dumps(ORDER), headers=headers)  # fmt: skip
            answer: dict[str, Any] = response.json()
            return answer
    finally:
        process.terminate()
        process.wait(10)


def test_the_command_line_serves_orders_on_a_saturday_only_when_always_open() -> None:
    assert serve_and_order("--always-open", "--hts-id", "cli-hts")["rt_cd"] == "0"
    refused = serve_and_order("--hts-id", "cli-hts")
    assert refused["msg_cd"] == "OPSQ0019", refused
