"""Generated realtime data in KIS's frame format, for every TR of the generated registry.

A record follows its TR's ``FIELDS``; each value is made for the type the generated property
returns (int, Decimal, date, time, bool, an enum, text), so generated frames decode into typed
records. Prices follow the paper market when one is given, else walk from the REST sandbox's
base price for the code. Execution notices are built from a paper fill (:func:`fill_notice`).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, Final, Protocol

from kisapi.realtime import spec as realtime_spec
from kisapi_runtime.codecs import KST
from kisapi_runtime.realtime.crypto import encrypt
from kisapi_runtime.realtime.records import RealtimeRecord, RealtimeSpec

from .market import Market
from .marketdata import key_of, quote_facts
from .values import STOCKS, rng, tick, tidy, value

__all__ = [
    "FieldKind",
    "MarketLike",
    "QuoteLike",
    "TickStream",
    "encrypted_frame",
    "field_kinds",
    "fill_notice",
    "frame",
]

FieldKind = tuple[str, str, type[Enum] | None]
"""(wire name, kind as :func:`values.value` knows it, enum class or None)."""

_SCALARS: Final[tuple[tuple[type, str], ...]] = (
    (bool, "bool"),  # before int: bool is an int
    (int, "int"),
    (Decimal, "decimal"),
    (datetime, "datetime"),  # before date: datetime is a date
    (date, "date"),
    (time, "time"),
)
_NAME_PARTS: Final = ("isnm", "name", "_nm")
_BOOK: Final = re.compile(r"(askp|bidp)(\d+)")
_DIGITS: Final = "0123456789"


def _kind(hint: Any, wire: str) -> tuple[str, type[Enum] | None]:
    for arg in typing.get_args(hint) or (hint,):
        if not isinstance(arg, type):
            continue
        if issubclass(arg, Enum):
            return "enum", arg
        for scalar, kind in _SCALARS:
            if issubclass(arg, scalar):
                return kind, None
    low = wire.lower()
    return ("text" if any(p in low for p in _NAME_PARTS) else "code"), None


_KINDS: dict[type[RealtimeRecord], tuple[FieldKind, ...]] = {}


def field_kinds(record: type[RealtimeRecord]) -> tuple[FieldKind, ...]:
    """Every field of ``record`` with the kind of value its typed property expects."""
    known = _KINDS.get(record)
    if known is not None:
        return known
    kinds: list[FieldKind] = []
    for wire, py_name in zip(record.FIELDS, record.PY_NAMES, strict=False):
        prop = getattr(record, py_name, None)
        hint: Any = None
        if isinstance(prop, property) and prop.fget is not None:
            hint = typing.get_type_hints(prop.fget).get("return")
        kinds.append((wire, *_kind(hint, wire)))
    known = _KINDS[record] = tuple(kinds)
    return known


def frame(tr_id: str, records: Sequence[Sequence[str]]) -> str:
    """A plain data frame: ``0|TR|NNN|`` and the records' fields joined with ``^``."""
    payload = "^".join("^".join(r) for r in records)
    return f"0|{tr_id}|{len(records):03d}|{payload}"


def encrypted_frame(tr_id: str, records: Sequence[Sequence[str]], key: str, iv: str) -> str:
    """An encrypted data frame (``1|...``), AES-256-CBC with the subscribe reply's key and iv."""
    payload = "^".join("^".join(r) for r in records)
    return f"1|{tr_id}|{len(records):03d}|{encrypt(payload, key, iv)}"


class QuoteLike(Protocol):
    """A stock's state at one moment (``market.Quote``)."""

    @property
    def price(self) -> int: ...
    @property
    def reference(self) -> int: ...
    @property
    def open(self) -> int: ...
    @property
    def high(self) -> int: ...
    @property
    def low(self) -> int: ...
    @property
    def at(self) -> datetime: ...


class MarketLike(Protocol):
    """Where prices come from when ticks must agree with paper fills (``market.Market``)."""

    def quote(self, code: str) -> QuoteLike: ...


class TickStream:
    """Successive plausible records for one (TR ID, key) registration.

    The first field carries the key when it is a code (as KIS frames do); change and sign
    follow the current price, accumulated volume only grows. The price, open, high, low and
    time come from ``market`` when given (so quotes agree with the paper broker's fills);
    otherwise the price walks by KRX ticks from the REST sandbox's base price for the code.
    """

    def __init__(
        self,
        tr_id: str,
        key: str,
        *,
        seed: object = 0,
        spec: RealtimeSpec | None = None,
        today: date | None = None,
        market: MarketLike | None = None,
    ) -> None:
        self.tr_id = tr_id
        self.key = key
        self.spec = spec or realtime_spec(tr_id)
        self.kinds = field_kinds(self.spec.record)
        self._r = rng("ticks", tr_id, key, seed)
        self._today = today
        self._market = market
        self._symbol = _market_key(self.spec.id, key)
        self.close = rng("base", key).randint(2_000, 300_000)
        """Yesterday's close: the REST sandbox's base price for the same code."""
        self.price = self.close - self.close % tick(self.close)
        self.volume = 0
        self.sent = 0

    def record(self) -> list[str]:
        """The next record's fields, as strings in frame order."""
        r = self._r
        ohlc: dict[str, int] = {}
        if self._market is not None:
            quote = self._market.quote(self._symbol)
            self.price, self.close, now = quote.price, quote.reference, quote.at
            ohlc = {"stck_oprc": quote.open, "stck_hgpr": quote.high, "stck_lwpr": quote.low}
        else:
            step = tick(self.price)
            self.price = max(self.price + step * r.randint(-3, 3), step)
            now = datetime.now(KST)
        step = tick(self.price)
        volume = r.randint(1, 500)
        self.volume += volume
        today = self._today or now.date()
        values: list[str] = []
        for i, (wire, kind, enum) in enumerate(self.kinds):
            low = wire.lower()
            if i == 0 and kind in ("code", "text"):
                text = self.key
            elif kind == "time":
                text = now.strftime("%H%M%S")
            elif kind == "date":
                text = today.strftime("%Y%m%d")
            elif kind == "int" and low.endswith("prpr") and "vrss" not in low:
                text = str(self.price)
            elif kind == "int" and low in ohlc:
                text = str(ohlc[low])
            elif kind == "int" and low == "cntg_vol":
                text = str(volume)
            elif kind == "int" and low == "acml_vol":
                text = str(self.volume)
            elif kind == "int" and low == "prdy_vrss":
                text = str(self.price - self.close)
            elif kind == "decimal" and low == "prdy_ctrt":
                text = f"{(self.price - self.close) * 100 / self.close:.2f}"
            elif kind == "int" and (level := _BOOK.fullmatch(low)):
                depth = int(level[2])
                asks, bids = _levels(self.price, depth)
                text = str(asks[-1] if level[1] == "askp" else bids[-1])
            else:
                # "askp_rsqn3" is a quantity like "askp_rsqn": the level number says nothing.
                text = value(wire.rstrip(_DIGITS), kind, enum, r, self.sent, today, self.price)
            values.append(text)
        names = [wire for wire, _, _ in self.kinds]
        if len(set(names)) == len(names):  # unique names: OHLC order and sign can be fixed
            by_name = dict(zip(names, values, strict=True))
            facts = self._facts()
            _lay(by_name, facts, self.kinds)
            tidy(by_name)
            _lay(by_name, facts, self.kinds)
            values = list(by_name.values())
        self.sent += 1
        return values

    def _facts(self) -> dict[str, str]:
        """The market's quote facts (prices, limits, book, name) when a full market is given."""
        if not isinstance(self._market, Market):
            return {}
        facts = quote_facts(self._market, self._symbol)
        return {k: v for k, v in facts.items() if "vol" not in k and "rsqn" not in k}

    def frame(self, count: int = 1) -> str:
        """A data frame of ``count`` records (KIS batches records when ticks come fast)."""
        return frame(self.tr_id, [self.record() for _ in range(count)])


def _levels(price: int, depth: int) -> tuple[list[int], list[int]]:
    """``depth`` ask levels climbing from one tick above ``price`` and bid levels falling from
    it, each on the KRX tick of its own level (as the REST order book)."""
    asks, bids = [], []
    level = price
    for _ in range(depth):
        level += tick(level)
        asks.append(level)
    level = price
    for _ in range(depth):
        bids.append(level)
        level = max(level - tick(max(level - 1, 1)), 1)
    return asks, bids


_FITS: Final = {"int": re.compile(r"-?\d+"), "decimal": re.compile(r"-?\d+(\.\d+)?")}


def _market_key(spec_id: str, key: str) -> str:
    """The market key of a realtime registration: overseas keys are ``D``/``R`` + exchange +
    symbol (``DNASAAPL``); every other key is the instrument's code."""
    if spec_id.startswith("overseas_stock") and len(key) > 4 and key[0] in "DR":
        return key_of(spec_id, {"EXCD": key[1:4], "SYMB": key[4:]}) or key
    return key_of(spec_id, {"FID_INPUT_ISCD": key}) or key


def _lay(record: dict[str, str], facts: Mapping[str, str], kinds: Sequence[FieldKind]) -> None:
    """Overwrite fields the market knows with its facts, where the fact fits the field."""
    if not facts:
        return
    for wire, kind, enum in kinds:
        fact = facts.get(wire.lower())
        if fact is None or wire not in record:
            continue
        pattern = _FITS.get(kind)
        if enum is not None:
            fits = fact in {str(m.value) for m in enum}
        elif pattern is not None:
            fits = pattern.fullmatch(fact) is not None
        else:
            fits = kind in ("text", "code")
        if fits:
            record[wire] = fact


# --- execution notices ----------------------------------------------------------------------


def _attr(fill: object, *names: str, default: object = None) -> Any:
    for name in names:
        found = getattr(fill, name, None)
        if found is not None:
            return found
    return default


def _side(raw: object) -> str:
    text = str(getattr(raw, "value", raw)).strip().lower()
    if text in ("01", "1", "sell", "s", "매도"):
        return "01"
    if text in ("02", "2", "buy", "b", "매수"):
        return "02"
    return text


def _hhmmss(raw: object) -> str:
    if isinstance(raw, datetime):
        raw = (raw.astimezone(KST) if raw.tzinfo else raw).time()
    if isinstance(raw, time):
        return raw.strftime("%H%M%S")
    if raw is None:
        return datetime.now(KST).strftime("%H%M%S")
    return "".join(ch for ch in str(raw) if ch.isdigit())[:6]


def _number(raw: object) -> str:
    if isinstance(raw, Decimal) and raw == raw.to_integral_value():
        return str(int(raw))
    return str(raw)


def fill_notice(
    record: type[RealtimeRecord], hts_id: str, fill: object, *, seed: object = 0
) -> list[str]:
    """The fields of a domestic stock execution notice (``CNTG_YN`` 2: a fill) for ``fill``.

    ``fill`` is any object with ``account``, ``order_no``, ``code``, ``side`` (buy/sell or
    01/02), ``qty``, ``price`` and ``time`` (a ``paper.Fill`` does); ``name``, ``branch``,
    ``order_qty``, ``order_price``, ``ord_dvsn``, ``original_order_no`` and ``account_name``
    are used when present. Fields the notice spec
    has and this function does not know get a plausible value for their type.
    """
    code = str(_attr(fill, "code", "pdno", "symbol", default=""))
    qty = _number(_attr(fill, "qty", "quantity", "filled_qty", default=0))
    price = _number(_attr(fill, "price", "fill_price", "unit_price", default=0))
    name = _attr(fill, "name", "stock_name")
    if name is None:
        name = next((n for c, n in STOCKS if c == code), code)
    known = {
        "CUST_ID": hts_id,
        "ACNT_NO": str(_attr(fill, "account", "cano", "acnt_no", default="")).replace("-", ""),
        "ODER_NO": str(_attr(fill, "order_no", "odno", default="")),
        "OODER_NO": str(_attr(fill, "original_order_no", "orgn_odno", default="")),
        "SELN_BYOV_CLS": _side(_attr(fill, "side", "sll_buy_dvsn_cd", default="")),
        "RCTF_CLS": "0",
        "ODER_KIND": str(_attr(fill, "ord_dvsn", "order_kind", default="00")),
        "ODER_COND": "0",
        "STCK_SHRN_ISCD": code,
        "CNTG_QTY": qty,
        "CNTG_UNPR": price,
        "STCK_CNTG_HOUR": _hhmmss(_attr(fill, "time", "filled_at", "at")),
        "RFUS_YN": "0",
        "CNTG_YN": "2",
        "ACPT_YN": "2",
        "BRNC_NO": str(_attr(fill, "branch", "brnc_no", default="00950")),
        "ODER_QTY": _number(_attr(fill, "order_qty", "ord_qty", default=qty)),
        "ACNT_NAME": str(_attr(fill, "account_name", default="모의투자")),
        "ORD_COND_PRC": "0",
        "ORD_EXG_GB": "1",
        "POPUP_YN": "Y",
        "FILLER": "",
        "CRDT_CLS": "10",
        "CRDT_LOAN_DATE": "",
        "CNTG_ISNM40": str(name),
        "ODER_PRC": _number(_attr(fill, "order_price", "ord_unpr", default=price)),
    }
    r = rng("notice", hts_id, known["ODER_NO"], seed)
    today = datetime.now(KST).date()
    return [
        known[wire] if wire in known else value(wire, kind, enum, r, 0, today, 10_000)
        for wire, kind, enum in field_kinds(record)
    ]
