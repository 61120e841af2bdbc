"""Plausible, deterministic KIS-encoded values for a field, from its name and kind."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta
from enum import Enum

PRICE_SUFFIXES = (
    "prpr",
    "oprc",
    "hgpr",
    "lwpr",
    "clpr",
    "pric",
    "unpr",
    "mxpr",
    "llam",
    "sdpr",
    "prc",
    "askp",
    "bidp",
)
QTY_SUFFIXES = ("vol", "qty", "rsqn", "cnt")
AMOUNT_SUFFIXES = ("amt", "pbmn", "avls", "cptl", "psbl", "dnca", "evlu")


def rng(*parts: object) -> random.Random:
    """A random source seeded by the request, so equal requests get equal answers."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def tick(price: int) -> int:
    """KRX tick size for a price in won."""
    for limit, step in (
        (2000, 1),
        (5000, 5),
        (20000, 10),
        (50000, 50),
        (200000, 100),
        (500000, 500),
    ):
        if price < limit:
            return step
    return 1000


STOCKS = (("005930", "삼성전자"), ("000660", "SK하이닉스"), ("035420", "NAVER"), ("005380", "현대차"),
          ("051910", "LG화학"), ("035720", "카카오"), ("068270", "셀트리온"), ("105560", "KB금융"))  # fmt: skip
CODE_NAMES = ("pdno", "iscd", "shrn_iscd", "mksc_shrn_iscd", "stck_shrn_iscd")
NAME_NAMES = ("prdt_name", "hts_kor_isnm", "prdt_abrv_name", "kor_isnm")


def tidy(record: dict[str, str]) -> None:
    """Make one generated record internally consistent (OHLC order, sign matching change)."""
    keys = {k.lower(): k for k in record}
    ohlc = [
        keys[k]
        for k in ("stck_oprc", "stck_hgpr", "stck_lwpr", "stck_clpr", "stck_prpr")
        if k in keys
    ]
    prices = [int(record[k]) for k in ohlc if record[k].lstrip("-").isdigit()]
    if len(prices) >= 3:
        if "stck_hgpr" in keys:
            record[keys["stck_hgpr"]] = str(max(prices))
        if "stck_lwpr" in keys:
            record[keys["stck_lwpr"]] = str(min(prices))
    change = keys.get("prdy_vrss")
    sign = keys.get("prdy_vrss_sign")
    if change and sign and record[change].lstrip("-").isdigit():
        delta = int(record[change])
        record[sign] = "2" if delta > 0 else "5" if delta < 0 else "3"


def value(
    name: str,
    kind: str,
    enum: type[Enum] | None,
    r: random.Random,
    row: int,
    today: date,
    base: int,
) -> str:
    """One KIS string for field ``name`` of ``kind`` in row ``row``."""
    low = name.lower()
    if enum is not None:
        members = list(enum)
        return str(members[r.randrange(len(members))].value)
    if kind == "int":
        if low.endswith(PRICE_SUFFIXES) or "prpr" in low:
            price = max(base + r.randint(-base // 50, base // 50), 100)
            return str(price - price % tick(price))
        if low.endswith(QTY_SUFFIXES):
            return str(r.randint(0, 500_000))
        if low.endswith(AMOUNT_SUFFIXES) or "amt" in low:
            return str(r.randint(0, 10_000_000) * 100)
        if "vrss" in low:
            return str(r.randint(-base // 40, base // 40))
        return str(r.randint(0, 999))
    if kind == "decimal":
        if "rate" in low or "ctrt" in low or low.endswith("rt") or "ert" in low:
            return f"{r.uniform(-5, 5):.2f}"
        return f"{r.uniform(10, 400):.4f}"
    if kind == "date":
        return (today - timedelta(days=row)).strftime("%Y%m%d")
    if kind == "time":
        return (
            datetime(2000, 1, 1, 9, 0, 0) + timedelta(seconds=30 * row + r.randint(0, 29))
        ).strftime("%H%M%S")
    if kind == "datetime":
        return (datetime.combine(today, datetime.min.time()) + timedelta(hours=24)).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    if kind == "bool":
        return "Y" if r.random() < 0.5 else "N"
    if kind == "text":
        if low in NAME_NAMES:
            return STOCKS[(row + r.randint(0, 7)) % len(STOCKS)][1]
        return f"샘플{low[:6]}{row}"
    if low in CODE_NAMES or low.endswith("_iscd"):
        return STOCKS[(row + r.randint(0, 7)) % len(STOCKS)][0]
    return f"{r.randint(0, 99):02d}"
