"""Scenario 12: is the Korean market open now, and the next trading day."""

from _sandbox import sandbox

from kisapi import Kis


def main() -> None:
    with Kis.from_env() as kis:
        print("open now" if kis.calendar.is_open() else "closed now")
        print(f"next trading day {kis.calendar.next_trading_day()}")


if __name__ == "__main__":
    with sandbox():
        main()
