"""Scenario 8: how much cash can buy, and how many shares at the current price."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        price = kis.domestic_stock.inquire_price(fid_input_iscd="005930").output.stck_prpr
        power = kis.domestic_stock.inquire_psbl_order(pdno="005930", ord_unpr=price).output
        print(f"cash {power.ord_psbl_cash} won, {power.nrcvb_buy_qty} shares at {price}")


if __name__ == "__main__":
    with sandbox():
        main()
