"""Scenario 1: the current price of a domestic stock (Samsung Electronics)."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        quote = kis.domestic_stock.inquire_price(fid_input_iscd="005930").output
        print(f"005930 {quote.stck_prpr} won ({quote.prdy_vrss:+} today)")


if __name__ == "__main__":
    with sandbox():
        main()
