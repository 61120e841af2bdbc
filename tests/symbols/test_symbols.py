"""Symbols over master zips built from the committed rows, served by a MockTransport."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from kisapi_runtime.symbols import (
    MasterDownloadError,
    OverseasSymbol,
    Symbol,
    SymbolNotFoundError,
    Symbols,
)

from .masters import MasterServer


def _symbols(tmp_path: Path, server: MasterServer, today: date = date(2025, 10, 1)) -> Symbols:
    return Symbols(
        tmp_path,
        base_url="http://masters.test/m/",
        transport=server.transport(),
        today=lambda: today,
    )


@pytest.fixture
def server() -> MasterServer:
    return MasterServer()


@pytest.fixture
def symbols(tmp_path: Path, server: MasterServer) -> Symbols:
    return _symbols(tmp_path, server)


def test_get_by_short_code_gives_a_typed_symbol(symbols: Symbols) -> None:
    s = symbols.get("005930")
    assert isinstance(s, Symbol)
    assert (s.market, s.code, s.name, s.isin, s.kind) == (
        "KOSPI", "005930", "삼성전자", "KR7005930003", "stock",
    )  # fmt: skip
    assert s.listing_date == date(1975, 6, 11)
    assert s.par_value == 100
    assert s.base_price == 71200
    assert s.listed_shares == 5969783
    assert s.trading_halted is False
    assert s.is_etf is False and s.is_etn is False
    assert s.fields["roe"] == Decimal("9.03")
    assert s.fields["kospi_issu_yn"] is True


def test_get_by_isin_and_across_markets(symbols: Symbols) -> None:
    assert symbols.get("KR7247540008").name == "에코프로비엠"
    assert symbols.get("247540").market == "KOSDAQ"
    assert symbols.get("216400").market == "KONEX"
    assert symbols.get("263750").trading_halted is True
    assert symbols.get("101W12").market == "INDEX_FO"


def test_bonds_and_sectors_on_request(symbols: Symbols, server: MasterServer) -> None:
    with pytest.raises(SymbolNotFoundError, match="'KR103502GE97'"):
        symbols.get("KR103502GE97")
    assert "bond_code.mst.zip" not in server.requests
    bond = symbols.get("KR103502GE97", masters=["bond"])
    assert (bond.kind, bond.name, bond.listing_date) == (
        "bond",
        "국고채권 03125-2709(24-6)",
        date(2024, 9, 11),
    )
    assert bond.fields["rdmp_date"] == date(2027, 9, 10)
    assert symbols.get("0002", masters=["sector"]).name == "대형주"


def test_get_with_a_market_filter(symbols: Symbols) -> None:
    with pytest.raises(SymbolNotFoundError, match=r"'005930'.*KOSDAQ"):
        symbols.get("005930", market="KOSDAQ")


def test_unknown_code_is_a_clear_error(symbols: Symbols) -> None:
    with pytest.raises(SymbolNotFoundError, match=r"symbols.get.*'999999'"):
        symbols.get("999999")
    with pytest.raises(LookupError):
        symbols.get("999999")


def test_etf_and_etn_flags(symbols: Symbols) -> None:
    assert symbols.get("069500").is_etf is True
    assert symbols.get("069500").is_etn is False
    assert symbols.get("530036").is_etn is True


def test_find_exact_first_then_prefix_then_contains(symbols: Symbols) -> None:
    names = [s.name for s in symbols.find("삼성전자")]
    assert names[:2] == ["삼성전자", "삼성전자우"]
    names = [s.name for s in symbols.find("삼성")]
    # no exact match: names starting with it, shortest first (spaces ignored: the ETN too)
    assert names[0] == "삼성물산"
    assert set(names) >= {"삼성전자", "삼성전자우", "삼성바이오로직스"}
    assert [s.name for s in symbols.find("바이오")] == ["삼성바이오로직스"]


def test_find_ignores_case_and_spaces_and_matches_codes(symbols: Symbols) -> None:
    assert [s.code for s in symbols.find("kodex200")] == ["069500"]
    assert [s.code for s in symbols.find("sk하이닉스")] == ["000660"]
    assert [s.name for s in symbols.find("247540")] == ["에코프로비엠"]
    assert symbols.find("없는종목") == []
    with pytest.raises(ValueError, match="query"):
        symbols.find("  ")


def test_find_limit(symbols: Symbols) -> None:
    assert len(symbols.find("삼성", limit=2)) == 2
    assert len(symbols.find("삼성", limit=None)) == 5


def test_overseas_in_both_vocabularies(symbols: Symbols) -> None:
    aapl = symbols.overseas("aapl")
    assert isinstance(aapl, OverseasSymbol)  # quote_exchange typed str, not Optional
    assert (aapl.quote_exchange, aapl.order_exchange) == ("NAS", "NASD")
    assert symbols.get("005930").quote_exchange is None  # a domestic listing has none
    assert aapl.english_name == "APPLE INC" and aapl.currency == "USD"
    assert aapl.base_price == Decimal("229.8700")
    assert (symbols.overseas("IBM").quote_exchange, symbols.overseas("IBM").order_exchange) == (
        "NYS",
        "NYSE",
    )
    assert symbols.overseas("SPY").order_exchange == "AMEX"
    assert symbols.overseas("SPY").is_etf
    assert symbols.overseas("00700").order_exchange == "SEHK"
    assert symbols.overseas("AAPL", exchange="NASD").code == "AAPL"
    with pytest.raises(SymbolNotFoundError, match="'AAPL' on NYS"):
        symbols.overseas("AAPL", exchange="NYS")
    assert [s.code for s in symbols.find("apple", masters=["overseas"])] == ["AAPL"]


def test_front_month_is_the_nearest_unexpired_future(symbols: Symbols) -> None:
    # KOSPI200 September 2025 expires on the 2nd Thursday, 2025-09-11.
    assert symbols.front_month("KOSPI200", on=date(2025, 9, 11)).code == "101W09"
    assert symbols.front_month("KOSPI200", on=date(2025, 9, 12)).code == "101W12"
    assert symbols.front_month("kospi200", on=date(2025, 12, 12)).code == "101X03"
    assert symbols.front_month("KOSDAQ150", on=date(2025, 10, 1)).code == "106W12"
    # a datetime counts by its date in Korea: 11 Sep 2025 16:00 UTC is the 12th in Seoul
    from datetime import UTC, datetime

    assert symbols.front_month(on=datetime(2025, 9, 11, 16, 0, tzinfo=UTC)).code == "101W12"
    assert symbols.front_month(on=datetime(2025, 9, 11, 14, 0, tzinfo=UTC)).code == "101W09"


def test_front_month_moves_expiry_before_a_holiday(symbols: Symbols) -> None:
    # October 2025's 2nd Thursday (9th) is 한글날 and the days before are Chuseok: the mini
    # future expires on Thursday 2 October.
    assert symbols.front_month("MINI_KOSPI200", on=date(2025, 10, 2)).code == "105W10"
    assert symbols.front_month("MINI_KOSPI200", on=date(2025, 10, 3)).code == "105W11"


def test_front_month_of_a_stock(symbols: Symbols) -> None:
    assert symbols.front_month("005930", on=date(2025, 12, 1)).code == "111W12"
    assert symbols.front_month("삼성전자", on=date(2025, 12, 12)).code == "111X03"


def test_front_month_errors(symbols: Symbols) -> None:
    with pytest.raises(SymbolNotFoundError, match="expired before 2026-04-01"):
        symbols.front_month("KOSPI200", on=date(2026, 4, 1))
    with pytest.raises(SymbolNotFoundError, match="no futures"):
        symbols.front_month("000660", on=date(2025, 10, 1))
    with pytest.raises(ValueError, match="underlying: empty"):
        symbols.front_month(" ")


def test_unknown_master_is_refused(symbols: Symbols) -> None:
    with pytest.raises(ValueError, match="unknown master 'nope'"):
        symbols.load("nope")


def test_downloads_once_a_day_and_shares_the_cache(tmp_path: Path, server: MasterServer) -> None:
    first = _symbols(tmp_path, server)
    first.get("005930")
    assert server.requests == ["kospi_code.mst.zip"]
    _symbols(tmp_path, server).get("005930")  # same day, same folder: read from disk
    assert server.requests == ["kospi_code.mst.zip"]
    assert (tmp_path / "kospi_code.mst.zip").exists()
    _symbols(tmp_path, server, today=date(2099, 1, 2)).get("005930")  # a later day
    assert server.requests == ["kospi_code.mst.zip", "kospi_code.mst.zip"]


def test_a_long_lived_instance_reloads_on_a_new_day(tmp_path: Path, server: MasterServer) -> None:
    day = [date(2025, 10, 1)]
    symbols = Symbols(
        tmp_path, base_url="http://m/", transport=server.transport(), today=lambda: day[0]
    )
    symbols.get("005930")
    symbols.get("005930")
    assert len(server.requests) == 1
    day[0] = date(2099, 1, 1)
    symbols.get("005930")
    assert len(server.requests) == 2


def test_a_failed_download_uses_the_stale_copy(tmp_path: Path, server: MasterServer) -> None:
    _symbols(tmp_path, server).get("005930")
    server.fail = True
    later = _symbols(tmp_path, server, today=date(2099, 1, 2))
    assert later.get("005930").name == "삼성전자"
    assert server.requests[-1] == "kospi_code.mst.zip"


def test_a_failed_download_without_a_copy_raises(tmp_path: Path, server: MasterServer) -> None:
    server.fail = True
    with pytest.raises(MasterDownloadError, match=r"kospi_code.mst.zip.*HTTPStatusError"):
        _symbols(tmp_path, server).get("005930")


def test_base_url_from_the_environment(
    tmp_path: Path, server: MasterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return server(request)

    monkeypatch.setenv("KIS_MASTER_URL", "http://mirror.test/kis")
    Symbols(tmp_path, transport=httpx.MockTransport(handler)).load("kospi")
    assert seen == ["http://mirror.test/kis/kospi_code.mst.zip"]


def test_aload_downloads_with_an_async_client(tmp_path: Path, server: MasterServer) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return server(request)

    symbols = Symbols(tmp_path, base_url="http://m/", today=lambda: date(2025, 10, 1))

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            await symbols.aload("kospi", "overseas", http=http)

    asyncio.run(main())
    count = len(server.requests)
    assert symbols.get("005930").name == "삼성전자"  # no download: already loaded
    assert symbols.overseas("AAPL").order_exchange == "NASD"
    assert len(server.requests) == count == 12


def test_default_cache_dir_follows_the_token_cache_setting(
    tmp_path: Path, server: MasterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIS_TOKEN_CACHE_DIR", str(tmp_path / "tokens"))
    Symbols(base_url="http://m/", transport=server.transport()).load("kospi")
    assert (tmp_path / "tokens" / "masters" / "kospi_code.mst.zip").exists()
