"""Scenario 2: the order book of a domestic stock, best five levels each side."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        book = kis.domestic_stock.inquire_asking_price_exp_ccn(fid_input_iscd="005930").output1
        for level in range(5, 0, -1):
            print(f"ask {getattr(book, f'askp{level}')} x {getattr(book, f'askp_rsqn{level}')}")
        for level in range(1, 6):
            print(f"bid {getattr(book, f'bidp{level}')} x {getattr(book, f'bidp_rsqn{level}')}")


if __name__ == "__main__":
    with sandbox():
        main()
