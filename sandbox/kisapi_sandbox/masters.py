"""KIS master files made from the sandbox's own symbols, in KIS's layouts (``spec/masters``),
served under the same names as KIS's download host (``/common/master/kospi_code.mst.zip``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Final

from kisapi_runtime.symbols.layout import MasterLayout, layouts

from .values import STOCKS

MASTER_PATH: Final = "/common/master/"

OVERSEAS: Final = (
    ("NAS", "AAPL", "애플", "APPLE INC", "2", "USD"),
    ("NAS", "TSLA", "테슬라", "TESLA INC", "2", "USD"),
    ("NAS", "QQQ", "인베스코 QQQ", "INVESCO QQQ TRUST", "3", "USD"),
    ("NYS", "IBM", "IBM", "INTERNATIONAL BUSINESS MACHINES", "2", "USD"),
    ("AMS", "SPY", "SPDR S&P500 ETF", "SPDR S&P 500 ETF TRUST", "3", "USD"),
    ("HKS", "00700", "텐센트", "TENCENT HOLDINGS", "2", "HKD"),
    ("TSE", "7203", "도요타자동차", "TOYOTA MOTOR CORP", "2", "JPY"),
)
"""(quote exchange, symbol, Korean name, English name, security type, currency)."""

KOSPI200_FUTURES: Final = "01"


def isin(code: str, prefix: str = "KR7", suffix: str = "00") -> str:
    """An ISIN with its check digit: ``KR7`` + short code + ``00`` + check (KR7005930003)."""
    body = f"{prefix}{code}{suffix}"
    digits = "".join(str(int(ch, 36)) for ch in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return body + str((10 - total % 10) % 10)


def stock_rows() -> list[dict[str, object]]:
    """The sandbox's stocks (``values.STOCKS``) as KOSPI master records."""
    return [
        {
            "mksc_shrn_iscd": code,
            "stnd_iscd": isin(code),
            "hts_kor_isnm": name,
            "scrt_grp_cls_code": "ST",
            "avls_scal_cls_code": "1",
            "etp_prod_cls_code": "0",
            "frml_mrkt_deal_qty_unit": 1,
            "ovtm_mrkt_deal_qty_unit": 1,
            "trht_yn": False,
            "sltr_yn": False,
            "mang_issu_yn": False,
            "mrkt_alrm_cls_code": "00",
            "stck_fcam": 100 if code == "005930" else 5000,
            "stck_lstn_date": date(1975 + i, 6, 11),
            "stac_month": 12,
            "kospi_issu_yn": True,
        }
        for i, (code, name) in enumerate(STOCKS)
    ]


def futures_rows(today: date, layout: MasterLayout) -> list[dict[str, object]]:
    """KOSPI200 futures of the next four quarterly months (March, June, September, December)."""
    futures = layout.extra["futures"]
    letters = {year: letter for letter, year in futures["years"].items()}
    rows: list[dict[str, object]] = []
    year, month = today.year, today.month
    months: list[tuple[int, int]] = []
    while len(months) < 5:
        if month % 3 == 0:
            months.append((year, month))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    for rank, (y, m) in enumerate(months, start=1):
        letter = letters[y]
        code = f"1{KOSPI200_FUTURES}{letter}{m:02d}"
        rows.append(
            {
                "info_type": "1",
                "shrn_iscd": code,
                "stnd_iscd": isin(f"1{KOSPI200_FUTURES}{letter}{m:X}", "KR4", "000"),
                "kor_name": f"코스피200 F {y % 100:02d}{m:02d}",
                "atm_cls_code": "",
                "acpr": "0",
                "mmsc_cls_code": str(rank),
                "unas_shrn_iscd": "K2I",
                "unas_kor_name": "코스피200",
            }
        )
    return rows


def overseas_rows(market: str) -> list[dict[str, object]]:
    return [
        {
            "ncod": {"NAS": "US", "NYS": "US", "AMS": "US", "HKS": "HK", "TSE": "JP"}[ex],
            "exid": ex,
            "excd": ex,
            "exnm": ex,
            "symb": symbol,
            "rsym": f"D{ex}{symbol}",
            "knam": korean,
            "enam": english,
            "stis": kind,
            "curr": currency,
            "zdiv": 4,
            "base": "100.0000",
            "bnit": 1,
            "anit": 1,
            "mstm": "0930",
            "metm": "1600",
            "isdr": False,
            "etyp": "001" if kind == "3" else "",
        }
        for ex, symbol, korean, english, kind, currency in OVERSEAS
        if ex == market
    ]


def records(master: str, market: str, today: date) -> list[dict[str, object]]:
    layout = layouts()[master]
    if master == "kospi":
        return stock_rows()
    if master == "fo_idx":
        return futures_rows(today, layout)
    if master == "overseas":
        return overseas_rows(market)
    return []  # the other masters exist, empty


@cache
def _files() -> Mapping[str, tuple[str, str, str]]:
    """Download name -> (master id, market, member)."""
    return {f.file: (m.id, f.market, f.member) for m in layouts().values() for f in m.files}


def master_zip(name: str, today: date) -> bytes | None:
    """The zip KIS would serve as ``name`` (``kospi_code.mst.zip``), or None for an unknown name."""
    entry = _files().get(name)
    if entry is None:
        return None
    master, market, member = entry
    return layouts()[master].zip(member, records(master, market, today))
