"""Scenario 5: every holding of the account (all pages of ``inquire_balance``)."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        balance = kis.domestic_stock.inquire_balance.pages().collect()
        for row in balance.rows:
            print(row.pdno, row.prdt_name, row.hldg_qty, row.evlu_amt, row.evlu_pfls_amt)
        print(f"{len(balance.rows)} holdings, complete={balance.complete}")


if __name__ == "__main__":
    with sandbox():
        main()
