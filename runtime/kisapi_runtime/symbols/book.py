"""``Symbols``: look codes and names up in KIS's master files."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import attrs
import httpx

from ..codecs import KST
from ..errors import KisError
from .download import MasterCache, default_cache_dir, today_kst
from .layout import EXTRA, MasterFile, MasterLayout, convert, layouts, read_zip, records
from .models import OverseasSymbol, Symbol

STOCK_MASTERS: Final = ("kospi", "kosdaq", "konex")
DERIVATIVE_MASTERS: Final = ("fo_idx", "fo_stk")
OVERSEAS_MASTER: Final = "overseas"


class SymbolNotFoundError(KisError, LookupError):
    """No master record matches the code, name or underlying asked for."""


@attrs.frozen
class _Row:
    """One record, indexed by its keys; the other fields are converted when asked for."""

    layout: MasterLayout
    file: MasterFile
    code: str
    isin: str | None
    name: str
    line: bytes = attrs.field(repr=False)
    norm: str = attrs.field(repr=False, default="")
    """The name as :meth:`Symbols.find` compares it (case folded, no spaces)."""
    english: str = attrs.field(repr=False, default="")

    def symbol(self) -> Symbol:
        return Symbol(**self._attributes())

    def _attributes(self) -> dict[str, Any]:
        layout = self.layout
        text = layout.split(self.line)
        fields: dict[str, Any] = {f.name: convert(f.type, text[f.name]) for f in layout.all_fields}
        if EXTRA in text:
            fields[EXTRA] = text[EXTRA]
        return {
            "market": self.file.market,
            "code": self.code,
            "name": self.name,
            "isin": self.isin,
            "kind": layout.kind,
            "fields": fields,
            "order_exchange": self.file.order,
        }


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace(" ", "")


class Symbols:
    """Codes, names and listings from KIS's master files (downloaded when first needed, cached
    under ``cache_dir`` (default ``~/.cache/kisapi/masters``, or ``$KIS_TOKEN_CACHE_DIR/masters``)
    and fetched again on a later day in Korea).

    ``symbols.get("005930")``, ``symbols.find("삼성전자")``, ``symbols.front_month("KOSPI200")``,
    ``symbols.overseas("AAPL")``. Blocking; ``await symbols.aload(...)`` downloads without
    blocking an event loop, after which lookups only read memory.
    """

    def __init__(
        self,
        cache_dir: str | Path | None = None,
        *,
        base_url: str | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        async_http: httpx.AsyncClient | None = None,
        today: Callable[[], date] = today_kst,
    ) -> None:
        self._async_http = async_http
        self.cache = MasterCache(
            Path(cache_dir) if cache_dir is not None else default_cache_dir(),
            base_url,
            http_client=http_client,
            transport=transport,
            today=today,
        )
        self._today = today
        self._lock = threading.RLock()
        self._rows: dict[str, list[_Row]] = {}  # master id -> rows, in file order
        self._by_code: dict[str, dict[str, _Row]] = {}  # master id -> code / ISIN -> row
        self._loaded_on: dict[str, date] = {}

    def __repr__(self) -> str:
        return f"Symbols(cache_dir={str(self.cache.cache_dir)!r}, loaded={sorted(self._rows)})"

    # --- loading -----------------------------------------------------------------------

    def load(self, *masters: str) -> None:
        """Download (if needed) and index these masters now (default: the stock masters)."""
        for master in masters or STOCK_MASTERS:
            self._ensure(master)

    async def aload(self, *masters: str, http: httpx.AsyncClient | None = None) -> None:
        """:meth:`load` with async downloads."""
        http = http or self._async_http
        own = http is None
        client = http or httpx.AsyncClient()
        try:
            for master in masters or STOCK_MASTERS:
                layout = _layout(master)
                blobs = [await self.cache.aget(f.file, client) for f in layout.files]
                self._index(layout, blobs)
        finally:
            if own:
                await client.aclose()

    def refresh(self) -> None:
        """Forget what is loaded: the next lookup reads the files again (downloading if stale)."""
        with self._lock:
            self._rows.clear()
            self._by_code.clear()
            self._loaded_on.clear()

    def _ensure(self, master: str) -> list[_Row]:
        with self._lock:
            rows = self._rows.get(master)
            if rows is not None and self._loaded_on.get(master) == self._today():
                return rows
            layout = _layout(master)
            blobs = [self.cache.get(f.file) for f in layout.files]
            return self._index(layout, blobs)

    def _index(self, layout: MasterLayout, blobs: Sequence[bytes]) -> list[_Row]:
        keys = layout.keys
        code_of = layout.slicer(str(keys["code"]))
        name_of = layout.slicer(str(keys["name"]))
        isin_name = keys.get("isin")
        isin_of = layout.slicer(isin_name) if isin_name else None
        english_of = _english_slicer(layout)
        rows: list[_Row] = []
        by_code: dict[str, _Row] = {}
        for file, blob in zip(layout.files, blobs, strict=True):
            for line in records(read_zip(blob, file.member)):
                code = code_of(line)
                if not code:
                    continue
                isin = isin_of(line) or None if isin_of else None
                name = name_of(line)
                english = _norm(english_of(line)) if english_of else ""
                row = _Row(layout, file, code, isin, name, line, _norm(name), english)
                rows.append(row)
                for key in (code.upper(), isin):
                    if key and key not in by_code:  # the first file listing it wins
                        by_code[key] = row
        with self._lock:
            self._rows[layout.id] = rows
            self._by_code[layout.id] = by_code
            self._loaded_on[layout.id] = self._today()
        return rows

    def _code_index(self, master: str) -> dict[str, _Row]:
        self._ensure(master)
        return self._by_code[master]

    # --- lookups -----------------------------------------------------------------------

    def get(
        self,
        code: str,
        *,
        market: str | None = None,
        masters: Iterable[str] = (*STOCK_MASTERS, *DERIVATIVE_MASTERS),
    ) -> Symbol:
        """The symbol with this short code (``005930``) or standard code (``KR7005930003``);
        stocks first (KOSPI, KOSDAQ, KONEX), then index and stock derivatives (``masters=``
        to look elsewhere: ``["bond"]``, ``["sector"]``)."""
        wanted = code.strip().upper()
        for master in masters:
            row = self._code_index(master).get(wanted)
            if row is not None and market in (None, row.file.market):
                return row.symbol()
        raise SymbolNotFoundError(
            f"symbols.get: no master of {list(masters)} lists {code!r}"
            + (f" in market {market}" if market else "")
        )

    def find(
        self,
        query: str,
        *,
        masters: Iterable[str] = STOCK_MASTERS,
        limit: int | None = 20,
    ) -> list[Symbol]:
        """Symbols whose name matches ``query``: exact names first, then names starting with it,
        then names containing it (case and spaces ignored); codes match exactly too."""
        wanted = _norm(query)
        if not wanted:
            raise ValueError("symbols.find: query: empty")
        exact: list[_Row] = []
        prefix: list[_Row] = []
        contains: list[_Row] = []
        for master in masters:
            for row in self._ensure(master):
                name, english = row.norm, row.english
                if wanted in (name, english, row.code.casefold()):
                    exact.append(row)
                elif name.startswith(wanted) or english.startswith(wanted):
                    prefix.append(row)
                elif wanted in name or wanted in english:
                    contains.append(row)
        prefix.sort(key=lambda r: (len(r.name), r.name))
        contains.sort(key=lambda r: (len(r.name), r.name))
        found = [*exact, *prefix, *contains]
        return [r.symbol() for r in (found if limit is None else found[:limit])]

    def overseas(self, symbol: str, *, exchange: str | None = None) -> OverseasSymbol:
        """An overseas listing by ticker (``AAPL``): ``.quote_exchange`` (``NAS``, for quotes)
        and ``.order_exchange`` (``NASD``, for orders). US exchanges are searched first."""
        wanted = symbol.strip().upper()
        want_exchange = exchange.upper() if exchange else None
        for row in self._ensure(OVERSEAS_MASTER):
            if row.code.upper() != wanted:
                continue
            if want_exchange in (None, row.file.market, row.file.order):
                return OverseasSymbol(**row._attributes())
        raise SymbolNotFoundError(
            f"symbols.overseas: no overseas master lists {symbol!r}"
            + (f" on {exchange}" if exchange else "")
        )

    def front_month(self, underlying: str = "KOSPI200", *, on: date | None = None) -> Symbol:
        """The futures contract of ``underlying`` with the nearest expiry not yet passed on
        ``on`` (default today in Korea): ``KOSPI200``, ``MINI_KOSPI200``, ``KOSDAQ150`` (index
        futures) or a stock's short code / name (stock futures)."""
        if not underlying.strip():
            raise ValueError("symbols.front_month: underlying: empty")
        if isinstance(on, datetime):  # its date in Korea
            on = (on.astimezone(KST) if on.tzinfo else on).date()
        day = on or self._today()
        layout = _layout("fo_idx")
        futures: dict[str, Any] = dict(layout.extra.get("futures", {}))
        products = {k.upper(): v["code"] for k, v in futures.get("products", {}).items()}
        key = underlying.strip().upper().replace(" ", "_")
        if key in products:
            rows = [r for r in self._ensure("fo_idx") if _product(r.code) == products[key]]
        else:
            stock = self._stock_code(underlying)
            rows = [
                r
                for r in self._ensure("fo_stk")
                if r.layout.split(r.line).get("unas_shrn_iscd") in (stock, "A" + stock)
            ]
        rows = [r for r in rows if r.code[:1] == futures.get("kind", "1")]
        if not rows:
            raise SymbolNotFoundError(f"symbols.front_month: no futures on {underlying!r}")
        dated = [(expiry, r) for r in rows if (expiry := self._expiry(r.code, futures)) is not None]
        live = [(e, r) for e, r in dated if e >= day]
        if live:
            return min(live, key=lambda item: (item[0], item[1].code))[1].symbol()
        marked = [r for r in rows if r.layout.split(r.line).get("mmsc_cls_code") == "1"]
        if marked and not dated:
            return marked[0].symbol()
        raise SymbolNotFoundError(
            f"symbols.front_month: every {underlying!r} future listed expired before {day}"
        )

    def _stock_code(self, underlying: str) -> str:
        text = underlying.strip()
        if text.isdigit():
            return text
        found = self.find(text, limit=1)
        if not found:
            raise SymbolNotFoundError(f"symbols.front_month: unknown underlying {underlying!r}")
        return found[0].code

    @staticmethod
    def _expiry(code: str, futures: dict[str, Any]) -> date | None:
        """Expiry from the short code (year letter, month), on the rule of the spec."""
        years: dict[str, int] = futures.get("years", {})
        year = years.get(code[3:4])
        month = code[4:6]
        if year is None or not month.isdigit() or not 1 <= int(month) <= 12:
            return None
        rule = futures.get("expiry", {"weekday": 3, "nth": 2})
        return _expiry_day(year, int(month), rule["weekday"], rule["nth"])


def _english_slicer(layout: MasterLayout) -> Callable[[bytes], str] | None:
    english = layout.keys.get("english")
    return layout.slicer(english) if english else None


def _product(code: str) -> str:
    return code[1:3]


def _layout(master: str) -> MasterLayout:
    try:
        return layouts()[master]
    except KeyError:
        raise ValueError(
            f"symbols: unknown master {master!r}; known: {sorted(layouts())}"
        ) from None


def _expiry_day(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` ``weekday`` of the month; the trading day before when the market is closed."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    from ..calendar import CalendarRangeError, default_calendar

    calendar = default_calendar()
    try:
        while not calendar.is_trading_day(day):
            day -= timedelta(days=1)
    except CalendarRangeError:
        pass  # outside the holiday table: the nominal day
    return day
