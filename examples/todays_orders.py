"""Scenario 7: today's orders and their fills."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        today = kis.calendar.today()  # Korean date
        orders = kis.domestic_stock.inquire_daily_ccld.pages(
            inqr_strt_dt=today, inqr_end_dt=today
        ).collect()
        for o in orders.rows:
            print(o.odno, o.ord_tmd, o.sll_buy_dvsn_cd_name, o.pdno, o.ord_qty, o.tot_ccld_qty)
        print(f"{len(orders.rows)} orders today")


if __name__ == "__main__":
    with sandbox():
        main()
