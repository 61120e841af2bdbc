"""Scenario 6: a limit buy below the market, its price changed, then cancelled."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        book = kis.domestic_stock.inquire_asking_price_exp_ccn(fid_input_iscd="005930").output1
        order = kis.domestic_stock.buy("005930", qty=1, price=book.bidp10)
        print(f"placed {order.number} at {order.price}")
        order = order.modify(price=book.bidp9)
        print(f"modified {order.number} to {order.price}")
        cancelled = order.cancel()
        print(f"cancelled {cancelled.number} (was {cancelled.original})")


if __name__ == "__main__":
    with sandbox():
        main()
