"""``make demo``: the SDK against the local KIS sandbox — no account, no network.

Starts the sandbox server (REST + WebSocket + paper trading) on loopback, then gets a quote and
a daily chart, places and cancels a paper order, buys at market, reads the balance, prints a few
realtime ticks and the (AES-encrypted) execution notice, and shows bad input stopped before
sending. Set ``KIS_DEMO_REAL=1`` with ``KIS_*`` credentials to aim the same calls at KIS itself.
"""

from __future__ import annotations

import os
import queue
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from kisapi import Kis, KisMockUnsupportedError, KisValidationError
from kisapi_runtime.realtime.records import RealtimeRecord

ACCOUNT = "50000000-01"
HTS_ID = "demo-hts"


@contextmanager
def client() -> Iterator[Kis]:
    if os.environ.get("KIS_DEMO_REAL") == "1":
        with Kis.from_env() as kis:
            yield kis
        return
    from .paper import PaperBroker
    from .server import serve

    broker = PaperBroker(enforce_hours=False, hts_id=HTS_ID)
    with serve(port=0, ws_mock_port=0, broker=broker, realtime={"tick_interval": 0.2}) as server:
        print(
            f"sandbox: REST {server.mock_url}  WebSocket {server.ws_url('mock')}  (KIS mock personality)"
        )
        with Kis(
            appkey="sandbox-appkey",
            appsecret="sandbox-appsecret",
            account=ACCOUNT,
            hts_id=HTS_ID,
            env="mock",
            rest_url=server.mock_url,
            ws_url=server.ws_url("mock"),
            token_cache_dir=tempfile.mkdtemp(prefix="kisapi-demo-"),
        ) as kis:
            yield kis


def main() -> None:
    with client() as kis:
        print(f"client: {kis!r} (mock: 2 calls/s, paced by the SDK)")
        stock = kis.domestic_stock

        quote = stock.inquire_price(fid_input_iscd="005930")
        out = quote.output
        print(f"\n[quote] 005930 price={out.stck_prpr:,} won  change={out.prdy_vrss} ({out.prdy_ctrt}%)"
              f"  sign={out.prdy_vrss_sign!r}  volume={out.acml_vol:,}")  # fmt: skip

        today = date.today()
        chart = stock.inquire_daily_itemchartprice(
            fid_input_iscd="005930",
            fid_input_date_1=today - timedelta(days=30),
            fid_input_date_2=today,
            fid_period_div_code="D",
            fid_org_adj_prc="0",
        )
        print(f"\n[daily chart] {len(chart.output2)} rows, newest first:")
        for row in chart.output2[:3]:
            print(f"  {row.stck_bsop_date}  open {row.stck_oprc:>8,}  high {row.stck_hgpr:>8,}"
                  f"  low {row.stck_lwpr:>8,}  close {row.stck_clpr:>8,}  vol {row.acml_vol:>9,}")  # fmt: skip

        ticks: queue.Queue[RealtimeRecord] = queue.Queue()
        with kis.realtime_thread(ticks.put) as rt:
            rt.subscribe("H0STCNT0", "005930")
            rt.subscribe("H0STCNI0", HTS_ID)  # execution notices (encrypted); H0STCNI9 on mock

            limit = stock.order_cash(
                side="buy", pdno="005930", ord_dvsn="00", ord_qty=1, ord_unpr=1_000
            )
            print(
                f"\n[paper order] buy 1 x 005930 @ 1,000 (far below market) -> order {limit.output.odno}"
            )
            cancel = stock.order_rvsecncl(
                krx_fwdg_ord_orgno=limit.output.krx_fwdg_ord_orgno,
                orgn_odno=limit.output.odno,
                ord_dvsn="00",
                rvse_cncl_dvsn_cd="02",
                ord_qty=0,
                ord_unpr=0,
                qty_all_ord_yn=True,
                excg_id_dvsn_cd="KRX",
            )
            print(f"[cancel] {(cancel.msg1 or '').strip()} (msg_cd {cancel.msg_cd})")

            market = stock.order_cash(
                side="buy", pdno="005930", ord_dvsn="01", ord_qty=3, ord_unpr=0
            )
            print(f"[paper order] buy 3 x 005930 at market -> order {market.output.odno}")

            shown_ticks, notices = 0, 0
            while shown_ticks < 3 or notices < 1:
                try:
                    record = ticks.get(timeout=5)
                except queue.Empty:
                    break
                fields: dict[str, Any] = record.as_dict()
                if "stck_prpr" in fields:
                    shown_ticks += 1
                    if shown_ticks <= 3:
                        print(f"  [tick] {fields['mksc_shrn_iscd']} {fields['stck_cntg_hour']} "
                              f"price {fields['stck_prpr']:,} volume {fields['cntg_vol']}")  # fmt: skip
                else:
                    notices += 1
                    print(f"  [execution notice, decrypted] order {fields.get('oder_no')} "
                          f"{fields.get('stck_shrn_iscd')} qty {fields.get('cntg_qty')} @ {fields.get('cntg_unpr')}")  # fmt: skip

        balance = stock.inquire_balance.pages(
            afhr_flpr_yn="N", inqr_dvsn="02", unpr_dvsn="01", fund_sttl_icld_yn=False,
            fncg_amt_auto_rdpt_yn=False, prcs_dvsn="00",
        ).collect()  # fmt: skip
        print(f"\n[balance] {len(balance.rows)} holding(s), complete={balance.complete}")
        for holding in balance.rows:
            print(f"  {holding.pdno} {holding.prdt_name}: {holding.hldg_qty} shares,"
                  f" avg {holding.pchs_avg_pric} won")  # fmt: skip

        try:
            typo: Any = "ten"  # what a user might pass by mistake
            stock.order_cash(
                side="buy", pdno="005930", ord_dvsn="00", ord_qty=typo, ord_unpr=70_000
            )
        except KisValidationError as exc:
            print(f"\n[bad input stopped before sending] {exc}")
        try:
            stock.chk_holiday(bass_dt=today)
        except KisMockUnsupportedError as exc:
            print(f"[mock not offered by KIS] {exc}")


if __name__ == "__main__":
    main()
