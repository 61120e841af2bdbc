"""Plausible, deterministic KIS-encoded values for a field, from its name and kind, and the
fix-ups that make one record agree with itself (:func:`tidy`: highs above lows, price limits
around the reference price, an order book around the current price, change and sign).

Code fields are only ever filled with codes KIS uses: an enum-typed field with one of its
enum's codes, a ``_yn`` field with Y/N, and a code field without an enum with one fixed,
plausible code (never random digits a client could not map).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Final, NamedTuple

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
    "cnpr",
)
QTY_SUFFIXES = ("vol", "qty", "rsqn", "cnt")
AMOUNT_SUFFIXES = ("amt", "pbmn", "avls", "cptl", "psbl", "dnca", "evlu")
PRICE_LIMIT: Final = 0.30
"""KRX daily price band: ±30 % of the reference (previous close)."""
DECIMAL_SCALE: Final = 1000
"""Prices KIS sends with decimals (futures, options, bonds, overseas) sit at base / 1000."""


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


def snap(price: int) -> int:
    """``price`` rounded down onto the KRX tick grid (never below one tick)."""
    price = max(price, 1)
    return max(price - price % tick(price), tick(price))


def quote_price(base: int) -> int:
    """The current price the sandbox quotes for a stock whose base price is ``base``: the same
    in every quote, order book and chart of that stock (and where its realtime ticks start)."""
    return snap(base)


STOCKS = (("005930", "삼성전자"), ("000660", "SK하이닉스"), ("035420", "NAVER"), ("005380", "현대차"),
          ("051910", "LG화학"), ("035720", "카카오"), ("068270", "셀트리온"), ("105560", "KB금융"))  # fmt: skip
CODE_NAMES = ("pdno", "iscd", "shrn_iscd", "mksc_shrn_iscd", "stck_shrn_iscd", "sht_cd",
              "jong_code")  # fmt: skip
NAME_NAMES = ("prdt_name", "hts_kor_isnm", "prdt_abrv_name", "kor_isnm")

FIXED_CODES: Final[Mapping[str, str]] = {
    # KIS's common answer for code fields no enum covers (real payloads), by field name.
    "mrkt_warn_cls_code": "00",  # 00 none, 01 caution, 02 warning, 03 risk
    "iscd_stat_cls_code": "55",  # normal trading
    "vi_cls_code": "N",
    "ovtm_vi_cls_code": "N",
    "mang_issu_cls_code": "N",
    "lp_oder_able_cls_code": "N",
    "vlnt_fin_cls_code": "N",
    "bond_tr_stop_dvsn_cd": "N",
    "rsvn_dvsn": "N",
    "new_hgpr_lwpr_cls_code": "",  # "신고가"/"신저가" on the day it happens, else blank
    "stac_month": "12",
    "setl_mmdd": "12",
    "stac_month_cls_code": "0",
    "cntg_cls_code": "0",
    "hour_cls_code": "0",
    "fid_mrkt_cls_code": "J",
    "exch_code": "KRX",
    "mket_id_cd": "STK",
    "prdt_type_cd": "300",  # stock
    "excg_dvsn_cd": "02",
    "acnt_prdt_cd": "01",
    "ord_orgno": "00000",
    "ordr_empno": "OpnAPI",
    "token_type": "Bearer",
}
SIGN_NAMES = ("sign", "daebi", "expdaebi", "t_xsgn", "p_xsng")
FLAT_SIGN: Final = "3"
CURRENCY_NAMES = ("crc_cd", "crcd", "curr", "tr_crcy")
_CODE = re.compile(r".*(_cd|_code|_dvsn|_cls|_gb|_tp|_type|_kind)\d*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_PRICE_PART = re.compile(r"(.*?)(oprc|hgpr|lwpr|clpr|prpr|mxpr|llam|sdpr)")
_BOOK = re.compile(r"(.*?)(askp|bidp|pask|pbid)(\d+)")


def is_code_name(name: str) -> bool:
    """Whether a text field named ``name`` carries a code (``_cls_code``, ``_dvsn_cd``...)."""
    return _CODE.fullmatch(name.lower()) is not None


def _is_price(low: str) -> bool:
    return "vrss" not in low and (low.endswith(PRICE_SUFFIXES) or "prpr" in low)


def value(
    name: str,
    kind: str,
    enum: type[Enum] | None,
    r: random.Random,
    row: int,
    today: date,
    base: int,
    *,
    overseas: bool = False,
) -> str:
    """One KIS string for field ``name`` of ``kind`` in row ``row``."""
    low = name.lower()
    if enum is not None:
        codes = _codes(enum)
        return codes[r.randrange(len(codes))]
    if kind == "int":
        if "vrss" in low:
            return str(r.randint(-base // 40, base // 40))
        if _is_price(low):
            if row == 0 and low.endswith("prpr"):
                return str(quote_price(base))
            return str(snap(max(base + r.randint(-base // 50, base // 50), 100)))
        if low.endswith(QTY_SUFFIXES):
            return str(r.randint(0, 500_000))
        if low.endswith(AMOUNT_SUFFIXES) or "amt" in low:
            return str(r.randint(0, 10_000_000) * 100)
        return str(r.randint(0, 999))
    if kind == "decimal":
        if "rate" in low or "ctrt" in low or low.endswith("rt") or "ert" in low:
            return f"{r.uniform(-5, 5):.2f}"
        if _is_price(low):
            if row == 0 and low.endswith("prpr"):
                price = quote_price(base)
            else:
                price = snap(max(base + r.randint(-base // 50, base // 50), 100))
            return f"{Decimal(price) / _scale(low):.2f}"
        return f"{r.uniform(10, 400):.4f}"
    if kind == "date":
        return (today - timedelta(days=row)).strftime("%Y%m%d")
    if kind == "time":
        return _moment(today, row, r).strftime("%H%M%S")
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
    return _code(low, r, row, today, overseas)


@cache
def _codes(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)


def _scale(name: str) -> int:
    """How far below won a decimal price sits: stock prices with decimals (``..._stck_prc``)
    are won; futures, options, bond and overseas prices are base / 1000."""
    return 1 if "stck" in name else DECIMAL_SCALE


def _moment(today: date, row: int, r: random.Random) -> datetime:
    start = datetime.combine(today, datetime.min.time()) + timedelta(hours=9)
    return start + timedelta(seconds=30 * row + r.randint(0, 29))


def _code(low: str, r: random.Random, row: int, today: date, overseas: bool) -> str:
    """A text field that is no name: a code, a flag, a number KIS formats as text."""
    fixed = FIXED_CODES.get(low)
    if fixed is not None:
        return fixed
    if low.endswith("_yn"):
        return "Y" if r.random() < 0.5 else "N"
    if low in SIGN_NAMES or low.endswith("_sign"):
        return FLAT_SIGN
    if "crcy" in low or low in CURRENCY_NAMES:
        return "USD" if overseas else "KRW"
    if low.endswith("odno"):
        return f"{r.randint(1, 99_999):010d}"
    if "yymm" in low:
        return today.strftime("%Y%m")
    if low.endswith("dtime"):
        return _moment(today, row, r).strftime("%Y%m%d%H%M%S") + "000"
    if low.endswith(("_hour", "_tmd", "_btwn")):
        return _moment(today, row, r).strftime("%H%M%S")
    if is_code_name(low):
        return "00"
    return f"{r.randint(0, 99):02d}"


# --- one record agreeing with itself ------------------------------------------------------


def _number(text: str) -> Decimal | None:
    text = text.strip()
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _places(template: str) -> int | None:
    """Decimals of a KIS number (None: a whole number)."""
    text = template.strip()
    return len(text.split(".", 1)[1]) if "." in text else None


def _as_price(number: Decimal, template: str, *, up: bool = False) -> str:
    """A price written like ``template``: as many decimals, or whole won on the tick grid
    (rounded down, or up with ``up``)."""
    places = _places(template)
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places)):f}"
    whole = snap(int(number))
    if up and whole < number:
        whole += tick(whole)
    return str(whole)


def _as_number(number: Decimal, template: str) -> str:
    """A change written like ``template`` (no tick grid)."""
    places = _places(template)
    if places is None:
        return str(int(number))
    return f"{number.quantize(Decimal(1).scaleb(-places)):f}"


def _step(level: Decimal, template: str) -> Decimal:
    """One price step at ``level``: the KRX tick for won, 0.05 / 0.01 for decimal prices."""
    if _places(template) is not None:
        return Decimal("0.05") if level >= 10 else Decimal("0.01")
    return Decimal(tick(max(int(level), 1)))


class _Layout(NamedTuple):
    """What a record's field names say, worked out once per set of names."""

    parts: tuple[tuple[str, str, str], ...]
    """(name, family, part) of every price field: ``stck_hgpr`` -> (.., ``stck_``, ``hgpr``)."""
    book: tuple[tuple[str, str, str, int], ...]
    """(name, family, ``ask``/``bid``, depth) of every order book level."""
    signs: tuple[tuple[str, str], ...]
    """(sign name, change name) of every ``..prdy_vrss_sign`` with a change to follow."""


@cache
def _layout(names: tuple[str, ...]) -> _Layout:
    parts = []
    book = []
    for low in names:
        found = None if "vrss" in low else _PRICE_PART.fullmatch(low)
        if found:
            parts.append((low, found[1], found[2]))
        level = _BOOK.fullmatch(low)
        if level:
            side = "ask" if level[2] in ("askp", "pask") else "bid"
            book.append((low, level[1], side, int(level[3])))
    signs = []
    changes = [k for k in names if k.endswith("_prdy_vrss")]
    for low in names:
        if low.endswith("prdy_vrss_sign"):
            source = low.removesuffix("_sign")
            if source in names:
                signs.append((low, source))
            elif len(changes) == 1:  # futs_prdy_vrss signed by prdy_vrss_sign
                signs.append((low, changes[0]))
    return _Layout(tuple(parts), tuple(book), tuple(signs))


class _Tidy:
    """One record's numeric fields, grouped into price families by name prefix."""

    def __init__(
        self,
        record: MutableMapping[str, str],
        enums: Mapping[str, type[Enum] | None] | None,
        price: int | None,
    ) -> None:
        self.record = record
        self.enums = enums or {}
        self.price = price
        self.keys = {k.lower(): k for k in record}
        self.layout = _layout(tuple(self.keys))
        self.numbers: dict[str, Decimal] = {}
        self.families: dict[str, dict[str, str]] = {}
        for low, family, part in self.layout.parts:
            number = _number(record[self.keys[low]])
            if number is not None:
                self.numbers[low] = number
                self.families.setdefault(family, {})[part] = low
        self.primary = next(
            (p["prpr"] for f, p in sorted(self.families.items(), key=_stock_first) if "prpr" in p),
            None,
        )

    def text(self, low: str) -> str:
        return self.record[self.keys[low]]

    def put(self, low: str, text: str) -> None:
        self.record[self.keys[low]] = text
        self.numbers[low] = Decimal(text)

    def current(self, family: str, template: str) -> Decimal | None:
        """The family's own current price, else the record's, else the quote's (``price``),
        in the same form as ``template`` (won or decimal)."""
        decimal = _places(template) is not None
        for own in (self.families.get(family, {}).get("prpr"), self.primary):
            if own is not None and (_places(self.text(own)) is not None) == decimal:
                return self.numbers[own]
        if self.price is None:
            return None
        return Decimal(self.price) / _scale(family) if decimal else Decimal(self.price)

    def reference(self, family: str) -> Decimal | None:
        """The family's reference price (standard price, else previous close)."""
        for low in (f"{family}sdpr", f"{family}prdy_clpr"):
            if low in self.numbers and self.numbers[low] > 0:
                return self.numbers[low]
        return None

    def run(self) -> None:
        for family, parts in self.families.items():
            self.range(family, parts)
            self.limits(family, parts)
            self.change(family, parts)
        self.signs()
        self.book()

    def range(self, family: str, parts: Mapping[str, str]) -> None:
        """High at least every price of the family, low at most (a period's high and low,
        ``w52_``/``d250_``, bracket the current price too)."""
        if "hgpr" not in parts and "lwpr" not in parts:
            return
        seen = [self.numbers[parts[p]] for p in ("oprc", "hgpr", "lwpr", "clpr", "prpr")
                if p in parts]  # fmt: skip
        if "prpr" not in parts and "clpr" not in parts:
            now = self.current(family, self.text(next(iter(parts.values()))))
            seen += [now] if now is not None and self.primary is not None else []
        if "hgpr" in parts:
            self.put(parts["hgpr"], _as_price(max(seen), self.text(parts["hgpr"]), up=True))
        if "lwpr" in parts:
            self.put(parts["lwpr"], _as_price(min(seen), self.text(parts["lwpr"])))

    def limits(self, family: str, parts: Mapping[str, str]) -> None:
        """Upper and lower limit ±30 % around the reference: the upper above the lower."""
        if "mxpr" not in parts or "llam" not in parts:
            return
        upper, lower = parts["mxpr"], parts["llam"]
        reference = self.reference(family) or self.current(family, self.text(upper))
        if reference is not None and reference > 0:
            self.put(upper, _as_price(reference * Decimal(1 + PRICE_LIMIT), self.text(upper)))
            self.put(
                lower, _as_price(reference * Decimal(1 - PRICE_LIMIT), self.text(lower), up=True)
            )
        if self.numbers[upper] <= self.numbers[lower]:
            high = self.numbers[lower] + _step(self.numbers[lower], self.text(upper))
            self.put(upper, _as_price(high, self.text(upper), up=True))

    def change(self, family: str, parts: Mapping[str, str]) -> None:
        """Change and rate of the family's current price against its reference."""
        reference = self.reference(family)
        if "prpr" not in parts or reference is None:
            return
        plain = family == "stck_"
        change = self._named(f"{family}prdy_vrss", "prdy_vrss" if plain else None)
        if change is None or _number(self.text(change)) is None:
            return
        delta = self.numbers[parts["prpr"]] - reference
        self.record[self.keys[change]] = _as_number(delta, self.text(change))
        rate = self._named(f"{family}prdy_ctrt", "prdy_ctrt" if plain else None)
        if rate is not None and _number(self.text(rate)) is not None:
            self.record[self.keys[rate]] = f"{delta * 100 / reference:.2f}"

    def signs(self) -> None:
        """Every ``..prdy_vrss_sign`` follows its change (``prdy_vrss``, or the one family's
        change when the record has no plain one: ``futs_prdy_vrss``)."""
        for low, source in self.layout.signs:
            delta = _number(self.text(source))
            if delta is None:
                continue
            code = "2" if delta > 0 else "5" if delta < 0 else "3"
            enum = self.enums.get(low)
            if enum is None or code in _codes(enum):
                self.record[self.keys[low]] = code

    def book(self) -> None:
        """Asks climb one step at a time from just above the current price; bids fall from
        it (bid 1 is the current price)."""
        books: dict[str, dict[str, dict[int, str]]] = {}
        for low, family, side, depth in self.layout.book:
            if _number(self.text(low)) is not None:
                books.setdefault(family, {}).setdefault(side, {})[depth] = low
        for family, sides in books.items():
            template = self.text(next(iter(next(iter(sides.values())).values())))
            anchor = self.current(family, template)
            if anchor is None or anchor <= 0:
                continue
            if _places(template) is None:
                anchor = Decimal(snap(int(anchor)))
            level = anchor
            for depth in sorted(sides.get("ask", {})):
                level += _step(level, template)
                self.put(sides["ask"][depth], _as_price(level, template))
            level = anchor
            for n, depth in enumerate(sorted(sides.get("bid", {}))):
                if n:
                    below = level - _step(level - _step(level, template) / 2, template)
                    level = below if below > 0 else level
                self.put(sides["bid"][depth], _as_price(level, template))

    def _named(self, *names: str | None) -> str | None:
        return next((n for n in names if n is not None and n in self.keys), None)


def _stock_first(item: tuple[str, Mapping[str, str]]) -> tuple[int, str]:
    return (item[0] != "stck_", item[0])


def tidy(
    record: MutableMapping[str, str],
    enums: Mapping[str, type[Enum] | None] | None = None,
    *,
    price: int | None = None,
) -> None:
    """Make one generated record internally consistent.

    Per price family (the prefix before ``prpr``/``hgpr``/``mxpr``...: ``stck_``, ``futs_``,
    ``ovtm_untp_``, ``w52_``): the high is the highest and the low the lowest of its prices;
    the upper and lower limits are ±30 % of the reference price; change and rate follow price
    and reference; every ``prdy_vrss_sign`` follows its change; ask levels climb and bid
    levels fall from the current price. ``price`` is the quote's current price (won) for a
    record that has none itself (an order book block); ``enums`` (lower-case wire name ->
    enum) keeps a recomputed sign among its field's codes.
    """
    _Tidy(record, enums, price).run()
