"""Scenario 4: every minute bar of the last trading day, all pages read by ``.range``.

KIS serves past days' minutes to real accounts only (a mock client has today's so far).
"""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        day = kis.calendar.previous_trading_day()
        bars = kis.domestic_stock.inquire_time_dailychartprice.range(
            day, day, fid_input_iscd="005930"
        ).collect()
        for bar in bars.rows:
            print(bar.stck_bsop_date, bar.stck_cntg_hour, bar.stck_prpr, bar.cntg_vol)
        print(f"{len(bars.rows)} bars, complete={bars.complete}")


if __name__ == "__main__":
    with sandbox(env="real"):
        main()
