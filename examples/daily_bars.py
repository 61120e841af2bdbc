"""Scenario 3: a year of daily bars, every page read by ``.range``, oldest first."""

from datetime import timedelta

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        start = kis.calendar.today() - timedelta(days=365)
        year = kis.domestic_stock.inquire_daily_itemchartprice.range(
            start, fid_input_iscd="005930"
        ).collect()
        for bar in year.rows:
            print(bar.stck_bsop_date, bar.stck_oprc, bar.stck_hgpr, bar.stck_lwpr, bar.stck_clpr)
        print(f"{len(year.rows)} bars, complete={year.complete}")


if __name__ == "__main__":
    with sandbox():
        main()
