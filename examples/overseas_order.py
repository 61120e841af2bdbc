"""Scenario 9: an AAPL quote, then a limit buy; both exchanges read from the master file."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        aapl = kis.symbols.overseas("AAPL")
        quote = kis.overseas_stock.price(excd=aapl.quote_exchange, symb="AAPL").output
        print(f"AAPL {quote.last} on {aapl.quote_exchange}")
        order = kis.overseas_stock.buy("AAPL", qty=1, price=quote.last)
        print(f"order {order.number} on {order.exchange}")


if __name__ == "__main__":
    with sandbox():
        main()
