"""What the simulated market trades: one :class:`Instrument` per market key, with the price
scale, tick size, price band, currency, multiplier, session and name its kind has.

A market key is a domestic stock's code as it is (``005930``), else ``KIND:CODE``:
``F:101W09`` (KOSPI200 futures), ``O:201W09340`` (KOSPI200 option), ``W:57J001`` (ELW),
``B:KR103502GE97`` (bond), ``I:0001`` (domestic index), ``X:NAS:AAPL`` (overseas stock),
``XF:CLZ25`` (overseas futures), ``XI:.DJI`` (overseas index, FX, bond yield).
Prices are whole numbers of the instrument's smallest unit (won, 1/100 point, 1/10000 USD):
``units / scale`` is the price KIS shows, with ``places`` decimals.
"""

from __future__ import annotations

from datetime import date, time
from functools import cache
from typing import Final, Literal

import attrs

from .values import STOCKS, rng, tick

Kind = Literal["stock", "future", "option", "elw", "bond", "index", "overseas", "ofuture", "oindex"]

KRX_OPEN: Final = time(9, 0)
KRX_MINUTES: Final = 390  # 09:00-15:30
FUTURES_MINUTES: Final = 405  # 08:45-15:45
KOSPI200_MULTIPLIER: Final = 250_000
"""Won per KOSPI200 futures point (the contract multiplier)."""
KOSPI200_OPTION_MULTIPLIER: Final = 250_000
NAMES: Final = dict(STOCKS)
# overseas exchange code -> (currency, time zone, decimals on the wire)
EXCHANGES: Final[dict[str, tuple[str, str, int]]] = {
    **{x: ("USD", "America/New_York", 4) for x in ("NAS", "NYS", "AMS", "BAQ", "BAY", "BAA")},
    **{x: ("HKD", "Asia/Hong_Kong", 3) for x in ("HKS", "BEH")},
    **{x: ("JPY", "Asia/Tokyo", 1) for x in ("TSE", "BET")},
    **{x: ("CNY", "Asia/Shanghai", 2) for x in ("SHS", "SZS", "SHI", "SZI", "BEU", "BES")},
    **{x: ("VND", "Asia/Ho_Chi_Minh", 0) for x in ("HNX", "HSX", "BEA", "BEN")},
}
SESSIONS: Final[dict[str, tuple[time, int]]] = {
    # time zone -> (local open, session minutes), lunch breaks left out
    "America/New_York": (time(9, 30), 390),
    "Asia/Hong_Kong": (time(9, 30), 390),
    "Asia/Tokyo": (time(9, 0), 330),
    "Asia/Shanghai": (time(9, 30), 330),
    "Asia/Ho_Chi_Minh": (time(9, 0), 360),
    "Asia/Seoul": (KRX_OPEN, KRX_MINUTES),
}


@attrs.frozen
class Instrument:
    key: str
    kind: Kind
    code: str
    name: str
    base: int
    """Long-run price level in units."""
    scale: int
    """Units per shown price unit (1 for won)."""
    places: int
    """Decimals KIS writes the price with."""
    currency: str
    multiplier: int
    """Currency per price point for derivatives (1 for cash products)."""
    band: float | None
    """Daily price limit as a fraction of the reference (None: no limit)."""
    volatility: float
    """Daily log-price volatility."""
    zone: str
    """The exchange's time zone (its dates and times are local)."""
    open: time
    minutes: int
    """Session length in minutes."""
    listed: date
    """First trading day: no bars before it."""
    volume: int
    """A typical day's volume."""

    def tick(self, units: int) -> int:
        """The price step (in units) at ``units``."""
        kind = self.kind
        if kind in ("stock", "elw"):
            return tick(units) if kind == "stock" else 5
        if kind == "future":
            return 5  # 0.05 point
        if kind == "option":
            return 5 if units >= 10 * self.scale else 1  # 0.05 from 10 points, else 0.01
        if kind == "overseas" and self.currency == "USD":
            return 100 if units >= self.scale else 1  # cents from $1, else 1/10000
        if kind == "overseas" and self.currency == "VND":
            return 100
        return 1

    def align(self, units: float) -> int:
        """The nearest price on the tick grid (never below one tick)."""
        whole = max(round(units), 1)
        step = self.tick(whole)
        return max(round(whole / step) * step, step)

    def shown(self, units: int) -> str:
        """``units`` as KIS writes this instrument's prices."""
        if self.places == 0:
            return str(units // self.scale if self.scale > 1 else units)
        return f"{units / self.scale:.{self.places}f}"


def key_for(kind: Kind, code: str, exchange: str = "") -> str:
    """The market key of ``code`` of ``kind`` (a stock's code is its own key)."""
    if kind == "stock":
        return code
    prefix = {"future": "F", "option": "O", "elw": "W", "bond": "B", "index": "I",
              "overseas": "X", "ofuture": "XF", "oindex": "XI"}[kind]  # fmt: skip
    return f"{prefix}:{exchange}:{code}" if kind == "overseas" else f"{prefix}:{code}"


@cache
def instrument(key: str) -> Instrument:
    """The instrument behind a market key (made up deterministically from the key)."""
    prefix, _, rest = key.partition(":") if ":" in key else ("", "", key)
    r = rng("instrument", key)
    listed = date(1995 + r.randint(0, 20), r.randint(1, 12), r.randint(1, 28))

    def make(kind: Kind, name: str, base: int, scale: int, volatility: float, volume: int,
             *, code: str = rest, band: float | None = None, currency: str = "KRW",
             multiplier: int = 1, zone: str = "Asia/Seoul", open_: time = KRX_OPEN,
             minutes: int = KRX_MINUTES) -> Instrument:  # fmt: skip
        places = len(str(scale)) - 1
        return Instrument(key=key, kind=kind, code=code, name=name, base=base, scale=scale,
                          places=places, currency=currency, multiplier=multiplier, band=band,
                          volatility=volatility, zone=zone, open=open_, minutes=minutes,
                          listed=listed, volume=volume)  # fmt: skip

    if prefix == "":
        base = rng("base", rest).randint(2_000, 300_000)  # the spec-driven quotes' base
        return make("stock", NAMES.get(rest, f"모의종목{rest}"), base, 1, 0.02,
                    r.randint(100_000, 20_000_000), band=0.30)  # fmt: skip
    if prefix == "F":
        return make("future", f"KOSPI200 F {_month(rest)}", r.randint(30_000, 40_000), 100,
                    0.012, r.randint(100_000, 400_000), band=0.08,
                    multiplier=KOSPI200_MULTIPLIER, open_=time(8, 45),
                    minutes=FUTURES_MINUTES)  # fmt: skip
    if prefix == "O":
        side = "P" if rest[:1] in ("3", "C") else "C"
        strike = rest[6:] if len(rest) > 6 and rest[6:].isdigit() else ""
        name = f"KOSPI200 {side} {_month(rest)} {strike}".rstrip()
        return make("option", name, r.randint(50, 1_200), 100, 0.08, r.randint(1_000, 200_000),
                    multiplier=KOSPI200_OPTION_MULTIPLIER, open_=time(8, 45),
                    minutes=FUTURES_MINUTES)  # fmt: skip
    if prefix == "W":
        return make("elw", f"모의ELW{rest}", r.randint(50, 3_000), 1, 0.06,
                    r.randint(10_000, 2_000_000))  # fmt: skip
    if prefix == "B":
        return make("bond", f"모의채권{rest[-6:]}", r.randint(950_000, 1_050_000), 100, 0.001,
                    r.randint(1_000, 100_000))  # fmt: skip
    if prefix == "I":
        return make("index", f"업종지수{rest}", r.randint(80_000, 350_000), 100, 0.01,
                    r.randint(100_000_000, 900_000_000))  # fmt: skip
    if prefix == "X":
        exchange, _, symbol = rest.partition(":")
        currency, zone, places = EXCHANGES.get(exchange, EXCHANGES["NAS"])
        local_open, minutes = SESSIONS[zone]
        scale = 10**places
        low, high = {"USD": (5, 500), "HKD": (5, 400), "JPY": (500, 20_000),
                     "CNY": (5, 200), "VND": (10_000, 150_000)}[currency]  # fmt: skip
        return make("overseas", symbol, r.randint(low * scale, high * scale), scale, 0.02,
                    r.randint(100_000, 50_000_000), code=symbol, currency=currency, zone=zone,
                    open_=local_open, minutes=minutes)  # fmt: skip
    if prefix == "XF":
        return make("ofuture", rest, r.randint(5_000, 500_000), 100, 0.015,
                    r.randint(10_000, 500_000), currency="USD", zone="America/Chicago",
                    open_=time(8, 30), minutes=405, multiplier=1000)  # fmt: skip
    return make("oindex", rest, r.randint(100_000, 4_000_000), 100, 0.01,
                r.randint(1_000_000, 900_000_000), currency="USD", zone="America/New_York",
                open_=time(9, 30), minutes=390)  # fmt: skip


def _month(code: str) -> str:
    """The contract's expiry as KIS's short codes write it (year letter + month), else the code."""
    return code[3:6] if len(code) >= 6 else code
