"""Scenario 10: the KOSPI200 front-month future's price."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        front = kis.symbols.front_month("KOSPI200")
        quote = kis.domestic_futureoption.inquire_price(fid_input_iscd=front.code).output1
        print(f"{front.code} {front.name} {quote.futs_prpr}")


if __name__ == "__main__":
    with sandbox():
        main()
