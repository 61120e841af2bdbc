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
        return f"샘플{low[:6]}{row}"
    return f"{r.randint(0, 99):02d}"
