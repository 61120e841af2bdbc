"""``make demo``: the SDK against the embedded sandbox — no account, no network.

Gets a quote and a daily chart, places and cancels a paper order, reads the balance across
pages, and shows how bad input is stopped before anything is sent.
Set ``KIS_DEMO_REAL=1`` with ``KIS_*`` credentials to run the same calls against KIS itself.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from typing import Any

from kisapi import Kis, KisMockUnsupportedError, KisValidationError

from .responder import Sandbox


def client() -> Kis:
    if os.environ.get("KIS_DEMO_REAL") == "1":
        return Kis.from_env()
    sandbox = Sandbox()
    return Kis(
        appkey="sandbox-appkey",
        appsecret="sandbox-appsecret",
        account="50000000-01",
        env="mock",
        rate_limit=20,
        token_cache_dir=tempfile.mkdtemp(prefix="kisapi-demo-"),
        transport=sandbox.transport(),
    )


def main() -> None:
    with client() as kis:
        print(f"client: {kis!r}")
        stock = kis.domestic_stock

        quote = stock.inquire_price(fid_input_iscd="005930")
        out = quote.output
        assert out is not None
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
        for row in chart.output2[:5]:
            print(f"  {row.stck_bsop_date}  open {row.stck_oprc:>8,}  high {row.stck_hgpr:>8,}"
                  f"  low {row.stck_lwpr:>8,}  close {row.stck_clpr:>8,}  vol {row.acml_vol:>9,}")  # fmt: skip

        order = stock.order_cash(
            side="buy", pdno="005930", ord_dvsn="00", ord_qty=1, ord_unpr=70_000
        )
        assert order.output is not None
        print(
            f"\n[paper order] buy 1 x 005930 @ 70,000 -> order no {order.output.odno} at {order.output.ord_tmd}"
        )
        cancel = stock.order_rvsecncl(
            krx_fwdg_ord_orgno=order.output.krx_fwdg_ord_orgno or "",
            orgn_odno=order.output.odno or "",
            ord_dvsn="00",
            rvse_cncl_dvsn_cd="02",
            ord_qty=0,
            ord_unpr=0,
            qty_all_ord_yn=True,
            excg_id_dvsn_cd="KRX",
        )
        print(f"[cancel] {cancel.msg1} (msg_cd {cancel.msg_cd})")

        balance = stock.inquire_balance.pages(
            afhr_flpr_yn="N", inqr_dvsn="02", unpr_dvsn="01", fund_sttl_icld_yn=False,
            fncg_amt_auto_rdpt_yn=False, prcs_dvsn="00",
        ).collect()  # fmt: skip
        print(
            f"\n[balance] {len(balance.pages)} pages, {len(balance.rows)} holdings, complete={balance.complete}"
        )
        for holding in balance.rows[:3]:
            print(f"  {holding.pdno} {holding.prdt_name}: {holding.hldg_qty} shares,"
                  f" P/L {holding.evlu_pfls_amt or 0:,} won")  # fmt: skip

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
