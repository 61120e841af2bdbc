"""chk_holiday answers are kept (memory and the cache folder) so KIS is asked about once a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from kisapi_runtime.calendar import Calendar
from kisapi_runtime.kis_days import KisDays

CLOSED = date(2026, 7, 17)  # open in the table; "KIS" says closed


class FakeKis:
    def __init__(self) -> None:
        self.calls: list[date] = []

    def __call__(self, start: date) -> Iterable[tuple[date, bool]]:
        self.calls.append(start)
        return [(start + timedelta(days=i), start + timedelta(days=i) != CLOSED) for i in range(23)]


def test_a_second_process_reads_the_answers_of_the_first(tmp_path: Path) -> None:
    path = tmp_path / "chk_holiday.json"
    kis = FakeKis()
    today = lambda: date(2026, 7, 10)  # noqa: E731
    first = Calendar(fetch=kis, days=KisDays(path), today=today)
    assert first.is_trading_day(CLOSED) is False
    assert kis.calls == [CLOSED]
    second = Calendar(fetch=kis, days=KisDays(path), today=today)  # a new store: reads the file
    assert second.is_trading_day(CLOSED) is False
    assert second.is_trading_day(date(2026, 7, 20)) is True
    assert kis.calls == [CLOSED]


def test_future_days_are_asked_again_on_a_later_day_past_ones_not(tmp_path: Path) -> None:
    path = tmp_path / "chk_holiday.json"
    kis = FakeKis()
    Calendar(fetch=kis, days=KisDays(path), today=lambda: date(2026, 7, 10)).is_trading_day(
        date(2026, 7, 10)
    )
    assert kis.calls == [date(2026, 7, 10)]
    later = Calendar(fetch=kis, days=KisDays(path), today=lambda: date(2026, 7, 15))
    assert later.is_trading_day(date(2026, 7, 13)) is True  # still ahead when asked: asked again
    assert later.is_trading_day(date(2026, 7, 9)) is True  # never asked about
    assert later.is_trading_day(CLOSED) is False
    assert kis.calls == [date(2026, 7, 10), date(2026, 7, 13), date(2026, 7, 9)]


def test_a_day_kis_did_not_answer_is_asked_once_a_day(tmp_path: Path) -> None:
    calls: list[date] = []

    def silent(start: date) -> list[tuple[date, bool]]:
        calls.append(start)
        return []

    calendar = Calendar(
        fetch=silent, days=KisDays(tmp_path / "f.json"), today=lambda: date(2026, 7, 10)
    )
    assert calendar.is_trading_day(CLOSED) is True  # the table
    assert calendar.is_trading_day(CLOSED) is True
    assert calls == [CLOSED]


def test_an_unreadable_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "chk_holiday.json"
    path.write_text("{not json", encoding="utf-8")
    kis = FakeKis()
    calendar = Calendar(fetch=kis, days=KisDays(path), today=lambda: date(2026, 7, 10))
    assert calendar.is_trading_day(CLOSED) is False
    assert kis.calls == [CLOSED]
    assert '"2026-07-17": [false, "2026-07-10"]' in path.read_text(encoding="utf-8")
