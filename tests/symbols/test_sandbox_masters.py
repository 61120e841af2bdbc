"""The sandbox serves master files made from its own symbols, under KIS's file names."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx

from kisapi import Kis
from kisapi_runtime.symbols import Symbols
from kisapi_sandbox import Sandbox
from kisapi_sandbox.masters import isin
from kisapi_sandbox.server import serve
from kisapi_sandbox.values import STOCKS


def _kis(tmp_path: Path, sandbox: Sandbox, env: str = "mock") -> Kis:
    return Kis(appkey="A" * 36, appsecret="S" * 180, account="12345678-01", env=env,  # type: ignore[arg-type]
               transport=sandbox.transport(), token_cache_dir=tmp_path)  # fmt: skip


def test_kis_symbols_agree_with_the_sandbox_quotes(tmp_path: Path) -> None:
    sandbox = Sandbox(today=date(2026, 3, 4))
    kis = _kis(tmp_path, sandbox, "real")
    for code, name in STOCKS:
        symbol = kis.symbols.get(code)
        assert (symbol.name, symbol.market, symbol.isin) == (name, "KOSPI", isin(code))
        assert kis.symbols.find(name)[0].code == code
        quote = kis.domestic_stock.search_stock_info(prdt_type_cd="300", pdno=code)
        assert quote.output.prdt_name == name
    assert (tmp_path / "masters" / "kospi_code.mst.zip").exists()  # the token cache folder


def test_isin_check_digits() -> None:
    assert isin("005930") == "KR7005930003"
    assert isin("000660") == "KR7000660001"
    assert isin("035420") == "KR7035420009"


def test_sandbox_futures_front_month(tmp_path: Path) -> None:
    kis = _kis(tmp_path, Sandbox(today=date(2026, 3, 4)))
    assert kis.symbols.front_month("KOSPI200", on=date(2026, 3, 4)).code == "101X03"
    assert kis.symbols.front_month("KOSPI200", on=date(2026, 3, 13)).code == "101X06"


def test_sandbox_overseas(tmp_path: Path) -> None:
    kis = _kis(tmp_path, Sandbox(today=date(2026, 3, 4)))
    aapl = kis.symbols.overseas("AAPL")
    assert (aapl.quote_exchange, aapl.order_exchange) == ("NAS", "NASD")


def test_the_sandbox_server_serves_masters_over_http(tmp_path: Path) -> None:
    with serve() as server:
        base = server.rest_url + "/common/master/"
        symbols = Symbols(tmp_path, base_url=base)
        assert symbols.get("005930").name == "삼성전자"
        missing = httpx.get(base + "nope.mst.zip")
        assert missing.status_code == 404


def test_import_kisapi_does_not_load_symbols_or_calendar() -> None:
    code = (
        "import sys, kisapi\n"
        "print(sorted(m for m in sys.modules if m.startswith(('kisapi_runtime.symbols', 'kisapi_runtime.calendar'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
