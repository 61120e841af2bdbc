"""The twelve scenario scripts of ``examples/`` run against the in-process sandbox, and the
line counts ``examples/README.md`` states are the ones ``examples.count`` computes."""

from __future__ import annotations

import re
import runpy
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from examples import count
from kisapi_runtime.calendar import next_trading_day

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIOS = [
    "current_price", "order_book", "daily_bars", "minute_bars", "holdings", "buy_modify_cancel",
    "todays_orders", "buying_power", "overseas_order", "futures_quote", "realtime_notice",
    "market_open",
]  # fmt: skip


def run(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """The output of ``python examples/<name>.py`` against the sandbox."""
    monkeypatch.delenv("KIS_APPKEY", raising=False)  # else the helper would go live
    monkeypatch.syspath_prepend(str(EXAMPLES))  # as `python examples/x.py` puts it first
    runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")
    return capsys.readouterr().out


@pytest.fixture
def out(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    """The output lines of the script the test is named after (test_holdings: holdings.py)."""
    name = request.node.name.removeprefix("test_").split("[")[0]
    return run(name, monkeypatch, capsys).splitlines()


def test_current_price(out: list[str]) -> None:
    match = re.fullmatch(r"005930 (\d+) won \(([+-]\d+) today\)", out[0])
    assert match and int(match[1]) > 0


def test_order_book(out: list[str]) -> None:
    asks = [int(line.split()[1]) for line in out if line.startswith("ask ")]
    bids = [int(line.split()[1]) for line in out if line.startswith("bid ")]
    assert len(asks) == len(bids) == 5
    assert asks == sorted(asks, reverse=True) and bids == sorted(bids, reverse=True)
    assert asks[-1] > bids[0]  # best ask above best bid
    assert all(int(line.split(" x ")[1]) > 0 for line in out)


def test_daily_bars(out: list[str]) -> None:
    *bars, summary = out
    days = [date.fromisoformat(line.split()[0]) for line in bars]
    assert summary == f"{len(bars)} bars, complete=True"
    assert days == sorted(set(days))  # oldest first, each once
    assert 230 <= len(days) <= 250 and (days[-1] - days[0]).days >= 350  # a year of KRX days
    for line in bars:
        o, h, low, c = map(int, line.split()[1:])
        assert low <= min(o, c) <= max(o, c) <= h


def test_minute_bars(out: list[str]) -> None:
    *bars, summary = out
    assert summary == f"{len(bars)} bars, complete=True"
    assert {line.split()[0] for line in bars} == {line.split()[0] for line in bars[:1]}
    times = [time.fromisoformat(line.split()[1]) for line in bars]
    assert times == sorted(set(times)) and times[0] == time(9, 0)
    assert len(times) >= 360  # the whole session, several pages of 120


def test_holdings(out: list[str]) -> None:
    # the sandbox account starts with 3 shares of 005930 bought at market
    assert out[0].startswith("005930 삼성전자 3 ") and int(out[0].split()[3]) > 0
    assert out[-1] == "1 holdings, complete=True"


def test_buy_modify_cancel(out: list[str]) -> None:
    placed = re.fullmatch(r"placed (\d{10}) at (\d+)", out[0])
    modified = re.fullmatch(r"modified (\d{10}) to (\d+)", out[1])
    cancelled = re.fullmatch(r"cancelled (\d{10}) \(was (\d{10})\)", out[2])
    assert placed and modified and cancelled
    assert int(modified[2]) > int(placed[2])  # from the 10th bid up to the 9th
    assert cancelled[2] == modified[1] != placed[1] != cancelled[1]


def test_todays_orders(out: list[str]) -> None:
    number, _, side, code, qty, filled = out[0].split()
    assert (side, code, qty, filled) == ("현금매수", "005930", "3", "3") and number.isdigit()
    assert out[-1] == "1 orders today"


def test_buying_power(out: list[str]) -> None:
    match = re.fullmatch(r"cash (\d+) won, (\d+) shares at (\d+)", out[0])
    assert match
    cash, shares, price = map(int, match.groups())
    assert shares > 0 and price > 0 and shares * price <= cash


def test_overseas_order(out: list[str]) -> None:
    quote = re.fullmatch(r"AAPL ([\d.]+) on NAS", out[0])
    assert quote and Decimal(quote[1]) > 0
    assert re.fullmatch(r"order \d{10} on NASD", out[1])  # the order exchange of the master


def test_futures_quote(out: list[str]) -> None:
    code, *_, price = out[0].split()
    assert re.fullmatch(r"101[A-Z]\d{2}", code) and Decimal(price) > 0


def test_realtime_notice(out: list[str]) -> None:
    heads = {line.split("]")[0] + "]" for line in out}
    assert {"[H0STCNT0 005930]", "[H0STCNT0 000660]", "[H0STCNT0 035720]"} <= heads
    notices = [line for line in out if line.startswith("[H0STCNI0 ")]
    assert len(notices) == 1 and "'oder_no': '" in notices[0]  # asked for on a mock client


def test_market_open(out: list[str]) -> None:
    assert out[0] in ("open now", "closed now")
    assert out[1] == f"next trading day {next_trading_day()}"


def test_readme_table_matches_the_computed_counts() -> None:
    readme = count.README.read_text(encoding="utf-8")
    rows = count.table(readme)
    assert [script for _, script, _, _ in rows] == SCENARIOS
    assert [n for n, _, _, _ in rows] == list(range(1, 13))
    pykis = count.pykis_counts(readme)
    for _, script, kisapi_lines, theirs in rows:
        assert kisapi_lines == count.kisapi_count(script), script
        if script in pykis:
            assert theirs.split()[0] == str(pykis[script]), script
        else:
            assert theirs.startswith("cannot"), script


def test_count_leaves_out_comments_docstrings_and_the_sandbox_runner() -> None:
    source = (
        '"""doc\nstring"""\n\nfrom _sandbox import sandbox\nimport os  # note\n\n# alone\n'
        'def f() -> None:\n    """doc"""\n    x = (\n        1,\n    )\n\n'
        'if __name__ == "__main__":\n    with sandbox():\n        f()\n'
    )
    assert count.code_lines(source, runner=True) == 5  # import os, def, x = ( 1, )
    assert count.code_lines(source) == 9
