"""What the simulated market says in KIS's own field names: which instrument a request asks
about (:func:`key_of`), the facts of its current quote and order book (:func:`quote_facts`),
which rows a chart or trade API answers with (:func:`chart`) and the facts of one row
(:func:`row_facts`). The responder lays these facts over the spec-driven values, so every
value the market knows is the market's and the rest stays spec-driven.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Final

import attrs

from kisapi_runtime.api import Window
from kisapi_runtime.codecs import KST

from .bars import Bar, Trade, daily_bars, minute_bars, minute_bars_back, period_bars, trades
from .instruments import Instrument, Kind, key_for
from .market import Market
from .values import rng

BOOK_LEVELS: Final = 10
DAILY_PAGE: Final = 100
PERIOD_PAGE: Final = 30
MINUTE_PAGE: Final = 30
PAST_MINUTE_PAGE: Final = 120
FUTURES_MINUTE_PAGE: Final = 102
OVERSEAS_MINUTE_PAGE: Final = 120
OVERSEAS_FUTURES_PAGE: Final = 120
SERIES_PAGE: Final = 30
_INDEX_APIS: Final = re.compile(r"domestic_stock\.(inquire_index_\w+|inquire_daily_indexchartprice"
                                r"|inquire_time_indexchartprice)")  # fmt: skip
_OVERSEAS_INDEX_APIS: Final = frozenset(
    {"overseas_stock.inquire_daily_chartprice", "overseas_stock.inquire_time_indexchartprice"}
)


def key_of(api_id: str, params: Mapping[str, str]) -> str | None:
    """The market key a request asks about (None when it names no instrument)."""
    code = next((v.strip() for k, v in params.items()
                 if k.upper().endswith(("ISCD", "PDNO", "SYMB", "SRS_CD")) and v.strip()), "")  # fmt: skip
    if not code:
        return None
    family = api_id.split(".", 1)[0]
    kind: Kind = "stock"
    if _INDEX_APIS.fullmatch(api_id):
        kind = "index"
    elif api_id in _OVERSEAS_INDEX_APIS:
        kind = "oindex"
    elif family == "domestic_futureoption":
        kind = "option" if code[:1] in ("2", "3", "B", "C") else "future"
    elif family == "elw" or api_id == "domestic_stock.inquire_elw_price":
        kind = "elw"
    elif family == "domestic_bond":
        kind = "bond"
    elif family == "overseas_stock":
        kind = "overseas"
    elif family == "overseas_futureoption":
        kind = "ofuture"
    exchange = params.get("EXCD", "").strip() or params.get("OVRS_EXCG_CD", "").strip()
    return key_for(
        kind, code, {"NASD": "NAS", "NYSE": "NYS", "AMEX": "AMS"}.get(exchange, exchange or "NAS")
    )


# --- the quote -----------------------------------------------------------------------------


_PREFIXES: Final[Mapping[str, tuple[str, ...]]] = {
    "stock": ("stck_",), "elw": ("elw_",), "future": ("futs_", "optn_"), "option": ("futs_", "optn_"),
    "bond": ("bond_",), "index": ("bstp_nmix_",), "oindex": ("ovrs_nmix_", "ovrs_prod_"),
}  # fmt: skip


def sign(change: int, at_limit: int = 0) -> str:
    """KIS's change sign: 1 upper limit, 2 up, 3 flat, 4 lower limit, 5 down."""
    if change > 0:
        return "1" if at_limit > 0 else "2"
    if change < 0:
        return "4" if at_limit < 0 else "5"
    return "3"


def limits(inst: Instrument, reference: int) -> tuple[int, int]:
    """(upper, lower) price limit around ``reference`` (a wide band when the product has none)."""
    band = inst.band or 0.30
    step = inst.tick
    upper = int(reference * (1 + band))
    upper -= upper % step(upper)
    lower = int(reference * (1 - band)) + 1
    lower += -lower % step(lower)
    return upper, max(lower, step(1))


def book(
    inst: Instrument, price: int, seed: object
) -> tuple[list[int], list[int], list[int], list[int]]:
    """(asks, bids, ask sizes, bid sizes) of ``BOOK_LEVELS`` levels: asks climb from one tick
    above ``price``, bids fall from ``price``, each on the tick of its own level."""
    asks, bids = [], []
    level = price
    for _ in range(BOOK_LEVELS):
        level += inst.tick(level)
        asks.append(level)
    level = price
    for _ in range(BOOK_LEVELS):
        bids.append(level)
        below = level - inst.tick(max(level - 1, 1))
        level = below if below > 0 else level
    r = rng("book", seed)
    lot = max(inst.volume // 2000, 1)
    ask_sizes = [lot * r.randint(1, 40) for _ in asks]
    bid_sizes = [lot * r.randint(1, 40) for _ in bids]
    return asks, bids, ask_sizes, bid_sizes


def quote_facts(market: Market, key: str) -> dict[str, str]:
    """Lower-case field name -> KIS text for everything the market knows about ``key`` now:
    prices (current, open, high, low, previous close, limits), change, rate and sign,
    volumes, the order book, name, code, currency."""
    inst = market.instrument(key)
    q = market.quote(key)
    day, _ = market.position(market.now(), key)
    shown = inst.shown
    upper, lower = limits(inst, q.reference)
    change = q.price - q.reference
    rate = f"{100 * change / q.reference:.2f}"
    at_limit = 1 if q.price >= upper else -1 if q.price <= lower else 0
    previous = market.previous_day(key, day)
    prev_path = market.path(key, previous)
    prev_volume = sum(market.volumes(key, previous))
    amount = (
        q.amount // inst.scale * inst.multiplier
        if inst.kind in ("future", "option")
        else q.amount // inst.scale
    )
    asks, bids, ask_sizes, bid_sizes = book(inst, q.price, (key, q.at.isoformat()))
    facts = {
        "prdy_vrss": shown(change) if inst.places else str(change),
        "prdy_ctrt": rate,
        "prdy_vrss_sign": sign(change, at_limit),
        "acml_vol": str(q.volume),
        "acml_tr_pbmn": str(amount),
        "prdy_vol": str(prev_volume),
        "hts_kor_isnm": inst.name,
        "prdt_name": inst.name,
        "prdt_abrv_name": inst.name,
        "askp": shown(asks[0]),
        "bidp": shown(bids[0]),
        "total_askp_rsqn": str(sum(ask_sizes)),
        "total_bidp_rsqn": str(sum(bid_sizes)),
        "aspr_unit": shown(inst.tick(q.price)),
    }
    for n, (ask, bid, ask_qty, bid_qty) in enumerate(zip(asks, bids, ask_sizes, bid_sizes,
                                                         strict=True), 1):  # fmt: skip
        facts |= {f"askp{n}": shown(ask), f"bidp{n}": shown(bid), f"askp_rsqn{n}": str(ask_qty),
                  f"bidp_rsqn{n}": str(bid_qty)}  # fmt: skip
    for prefix in _PREFIXES.get(inst.kind, ()):
        facts |= {
            f"{prefix}prpr": shown(q.price), f"{prefix}oprc": shown(q.open),
            f"{prefix}hgpr": shown(q.high), f"{prefix}lwpr": shown(q.low),
            f"{prefix}sdpr": shown(q.reference), f"{prefix}prdy_clpr": shown(q.reference),
            f"{prefix}mxpr": shown(upper), f"{prefix}llam": shown(lower),
            f"{prefix}prdy_vrss": shown(change) if inst.places else str(change),
            f"{prefix}prdy_ctrt": rate, f"{prefix}shrn_iscd": inst.code,
            f"{prefix}prdy_oprc": shown(prev_path[0]), f"{prefix}prdy_hgpr": shown(max(prev_path)),
            f"{prefix}prdy_lwpr": shown(min(prev_path)),
            f"{prefix}askp": shown(asks[0]), f"{prefix}bidp": shown(bids[0]),
        }  # fmt: skip
        for n, (ask, bid) in enumerate(zip(asks, bids, strict=True), 1):
            facts |= {f"{prefix}askp{n}": shown(ask), f"{prefix}bidp{n}": shown(bid)}
    if inst.kind in ("stock", "elw"):
        facts |= {"stck_prdy_clpr": shown(q.reference), "stck_sdpr": shown(q.reference),
                  "mksc_shrn_iscd": inst.code, "stck_shrn_iscd": inst.code}  # fmt: skip
    if inst.kind in ("future", "option"):
        facts |= {"crbr_aply_mxpr": shown(upper), "crbr_aply_llam": shown(lower)}
    if inst.kind == "overseas":
        facts |= _overseas(inst, q.price, q.reference, q.open, q.high, q.low, q.volume, amount,
                           asks, bids, ask_sizes, bid_sizes)  # fmt: skip
        facts["prdy_vol"] = facts["pvol"] = str(prev_volume)
    if inst.kind == "ofuture":
        facts |= {"last_price": shown(q.price), "open_price": shown(q.open),
                  "high_price": shown(q.high), "low_price": shown(q.low),
                  "prev_price": shown(q.reference), "sttl_price": shown(q.reference),
                  "prev_diff_price": shown(abs(change)), "prev_diff_rate": rate,
                  "prev_diff_flag": sign(change), "bid_price": shown(bids[0]),
                  "ask_price": shown(asks[0]), "tick_size": shown(inst.tick(q.price)),
                  "crc_cd": inst.currency, "srs_cd": inst.code}  # fmt: skip
    return facts


def _overseas(
    inst: Instrument,
    price: int,
    ref: int,
    open_: int,
    high: int,
    low: int,
    volume: int,
    amount: int,
    asks: Sequence[int],
    bids: Sequence[int],
    ask_sizes: Sequence[int],
    bid_sizes: Sequence[int],
) -> dict[str, str]:
    shown = inst.shown
    change = price - ref
    facts = {
        "last": shown(price), "base": shown(ref), "open": shown(open_), "high": shown(high),
        "low": shown(low), "clos": shown(price), "diff": shown(abs(change)),
        "rate": f"{100 * change / ref:.2f}", "sign": sign(change), "tvol": str(volume),
        "tamt": str(amount), "curr": inst.currency, "crcy_cd": inst.currency,
        "zdiv": str(inst.places), "e_hogau": shown(inst.tick(price)),
        "uplp": shown(int(ref * 1.3)), "dnlp": shown(int(ref * 0.7)),
        "h52p": shown(max(high, int(ref * 1.25))), "l52p": shown(min(low, int(ref * 0.75))),
        "pbid": shown(bids[0]), "pask": shown(asks[0]), "vbid": str(bid_sizes[0]),
        "vask": str(ask_sizes[0]), "bvol": str(sum(bid_sizes)), "avol": str(sum(ask_sizes)),
        "t_xprc": shown(price), "p_xprc": shown(ref), "symb": inst.code,
        "rsym": f"D{inst.key.split(':')[1]}{inst.code}",
    }  # fmt: skip
    for n, (ask, bid, ask_qty, bid_qty) in enumerate(zip(asks, bids, ask_sizes, bid_sizes,
                                                         strict=True), 1):  # fmt: skip
        facts |= {f"pask{n}": shown(ask), f"pbid{n}": shown(bid), f"vask{n}": str(ask_qty),
                  f"vbid{n}": str(bid_qty)}  # fmt: skip
    return facts


# --- charts --------------------------------------------------------------------------------


@attrs.frozen
class Chart:
    """The rows a chart or trade API answers with."""

    block: str
    rows: Sequence[Bar | Trade]
    intraday: bool


def _date(text: str | None, default: date) -> date:
    text = (text or "").strip()[:8]
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text and text != "00000000" else default
    except ValueError:
        return default


def _time(text: str | None, default: time) -> time:
    digits = "".join(ch for ch in (text or "") if ch.isdigit())[:6]
    if len(digits) < 4:
        return default
    digits = digits.ljust(6, "0")
    hour, minute, second = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    if hour >= 24:
        return time(23, 59, 59)
    return time(hour, min(minute, 59), min(second, 59))


def _int(text: str | None, default: int, *, low: int = 1, high: int = 10**6) -> int:
    text = (text or "").strip()
    return min(max(int(text), low), high) if text.isdigit() else default


ChartFn = Callable[[Market, str, Mapping[str, str]], Chart]


def _window_chart(block: str, limit: int) -> ChartFn:
    def answer(market: Market, key: str, p: Mapping[str, str]) -> Chart:
        today = market.today(key)
        end = _date(p.get("FID_INPUT_DATE_2"), today)
        start = _date(p.get("FID_INPUT_DATE_1"), end - timedelta(days=365 * 5))
        period = (p.get("FID_PERIOD_DIV_CODE") or "D").strip() or "D"
        return Chart(block, period_bars(market, key, start, end, period, limit), False)

    return answer


def _recent_chart(block: str, limit: int) -> ChartFn:
    def answer(market: Market, key: str, p: Mapping[str, str]) -> Chart:
        today = market.today(key)
        period = (p.get("FID_PERIOD_DIV_CODE") or "D").strip() or "D"
        return Chart(block, period_bars(market, key, date.min, today, period, limit), False)

    return answer


def _minute_chart(block: str, limit: int, *, past: bool) -> ChartFn:
    def answer(market: Market, key: str, p: Mapping[str, str]) -> Chart:
        today = market.today(key)
        day = _date(p.get("FID_INPUT_DATE_1"), today) if past else today
        until = _time(p.get("FID_INPUT_HOUR_1"), time(23, 59, 59))
        seconds = _int(p.get("FID_HOUR_CLS_CODE"), 60, low=1, high=86_400)
        if past and (p.get("FID_PW_DATA_INCU_YN") or "").strip() == "Y":  # 과거 데이터 포함
            rows = minute_bars_back(market, key, day, until, limit, seconds=seconds)
            return Chart(block, rows, True)
        return Chart(block, minute_bars(market, key, day, until, limit, seconds=seconds), True)

    return answer


def _trade_chart(block: str, limit: int, *, at_hour: bool) -> ChartFn:
    def answer(market: Market, key: str, p: Mapping[str, str]) -> Chart:
        day, _ = market.position(market.now(), key)
        until = _time(p.get("FID_INPUT_HOUR_1"), time(23, 59, 59)) if at_hour else time(23, 59, 59)
        return Chart(block, trades(market, key, day, until, limit), True)

    return answer


def _overseas_daily(market: Market, key: str, p: Mapping[str, str]) -> Chart:
    today = market.today(key)
    end = _date(p.get("BYMD"), today)
    period = {"0": "D", "1": "W", "2": "M"}.get((p.get("GUBN") or "0").strip(), "D")
    return Chart("output2", period_bars(market, key, date.min, end, period, DAILY_PAGE), False)


def _overseas_minutes(market: Market, key: str, p: Mapping[str, str]) -> Chart:
    """Minute bars ending now, or at the ``KEYB`` (YYYYMMDDHHMMSS, local time, included) when
    ``NEXT`` is 1: KIS's callers send the last row's time minus one bar."""
    limit = _int(p.get("NREC"), OVERSEAS_MINUTE_PAGE, high=OVERSEAS_MINUTE_PAGE)
    minutes = _int(p.get("NMIN"), 1, high=390)
    day, until = market.today(key), time(23, 59, 59)
    keyb = "".join(ch for ch in p.get("KEYB", "") if ch.isdigit())
    if (p.get("NEXT") or "").strip() == "1" and len(keyb) >= 8:
        day = _date(keyb[:8], day)
        until = _time(keyb[8:14], time(23, 59, 59))
    rows = minute_bars_back(market, key, day, until, limit, minutes)
    return Chart("output2", rows, True)


def _before(stamp: str, default: date) -> tuple[date, time]:
    """The moment just before an ``INDEX_KEY`` (YYYYMMDD[HHMMSS]) a caller continues from."""
    day = _date(stamp[:8], default)
    if len(stamp) < 14:
        return day - timedelta(days=1), time(23, 59, 59)
    moment = datetime.combine(day, _time(stamp[8:14], time(0))) - timedelta(seconds=1)
    return moment.date(), moment.time()


def _ofutures(block: str, *, period: str = "D", intraday: bool = False,
              tick: bool = False) -> ChartFn:  # fmt: skip
    def answer(market: Market, key: str, p: Mapping[str, str]) -> Chart:
        """Rows up to ``CLOSE_DATE_TIME``; with ``QRY_TP`` P, before the ``INDEX_KEY`` the
        last answer's ``index_key`` gave (its oldest row)."""
        today = market.today(key)
        end, until = _date(p.get("CLOSE_DATE_TIME"), today), time(23, 59, 59)
        index = "".join(ch for ch in p.get("INDEX_KEY", "") if ch.isdigit())
        if (p.get("QRY_TP") or "").strip() == "P" and len(index) >= 8:
            moved, moved_until = _before(index if (intraday or tick) else index[:8], end)
            if moved <= end:
                end, until = moved, moved_until
        start = _date(p.get("START_DATE_TIME"), date.min)
        limit = _int(p.get("QRY_CNT"), 30, high=OVERSEAS_FUTURES_PAGE)
        if tick:
            day, _ = market.position(market.now(), key)
            day = min(day, end)
            if day < start:
                return Chart(block, [], True)
            return Chart(block, trades(market, key, day, until if day == end else time(23, 59, 59),
                                       limit), True)  # fmt: skip
        if intraday:
            gap = _int(p.get("QRY_GAP"), 1, high=1440)
            rows = minute_bars_back(market, key, end, until, limit, gap, earliest=start)
            return Chart(block, rows, True)
        return Chart(block, period_bars(market, key, start, end, period, limit), False)

    return answer


CHARTS: Final[Mapping[str, ChartFn]] = {
    "domestic_stock.inquire_daily_itemchartprice": _window_chart("output2", DAILY_PAGE),
    "domestic_stock.inquire_daily_indexchartprice": _window_chart("output2", DAILY_PAGE),
    "domestic_stock.inquire_daily_price": _recent_chart("output", PERIOD_PAGE),
    "domestic_stock.inquire_time_itemchartprice": _minute_chart("output2", MINUTE_PAGE, past=False),
    "domestic_stock.inquire_time_dailychartprice": _minute_chart(
        "output2", PAST_MINUTE_PAGE, past=True
    ),
    "domestic_stock.inquire_time_itemconclusion": _trade_chart(
        "output2", MINUTE_PAGE, at_hour=True
    ),
    "domestic_stock.inquire_ccnl": _trade_chart("output", MINUTE_PAGE, at_hour=False),
    "domestic_futureoption.inquire_daily_fuopchartprice": _window_chart("output2", DAILY_PAGE),
    "domestic_futureoption.inquire_time_fuopchartprice": _minute_chart(
        "output2", FUTURES_MINUTE_PAGE, past=True
    ),
    "domestic_bond.inquire_daily_itemchartprice": _recent_chart("output", PERIOD_PAGE),
    "domestic_bond.inquire_daily_price": _recent_chart("output", PERIOD_PAGE),
    "overseas_stock.dailyprice": _overseas_daily,
    "overseas_stock.inquire_time_itemchartprice": _overseas_minutes,
    "overseas_stock.inquire_daily_chartprice": _window_chart("output2", DAILY_PAGE),
    "overseas_futureoption.daily_ccnl": _ofutures("output2"),
    "overseas_futureoption.weekly_ccnl": _ofutures("output2", period="W"),
    "overseas_futureoption.monthly_ccnl": _ofutures("output2", period="M"),
    "overseas_futureoption.opt_daily_ccnl": _ofutures("output2"),
    "overseas_futureoption.opt_weekly_ccnl": _ofutures("output2", period="W"),
    "overseas_futureoption.opt_monthly_ccnl": _ofutures("output2", period="M"),
    "overseas_futureoption.inquire_time_futurechartprice": _ofutures("output1", intraday=True),
    "overseas_futureoption.inquire_time_optchartprice": _ofutures("output1", intraday=True),
    "overseas_futureoption.tick_ccnl": _ofutures("output2", tick=True),
    "overseas_futureoption.opt_tick_ccnl": _ofutures("output2", tick=True),
}


def chart(
    api_id: str, market: Market, key: str, params: Mapping[str, str], window: Window | None = None
) -> Chart | None:
    """The rows ``api_id`` answers with for ``params``; None for an API without a chart.

    A daily series the table does not know but whose spec declares a date ``window`` answers
    the trading days of the requested window (``SERIES_PAGE`` at most, newest first)."""
    found = CHARTS.get(api_id)
    if found is not None:
        return found(market, key, params)
    if window is None or len(window.key) != 1 or window.step == "minute" or window.carry:
        return None
    today = market.today(key)
    end = _date(params.get(window.end[0]), today)
    start = _date(params.get(window.start), date.min) if window.start else date.min
    return Chart(window.rows, daily_bars(market, key, start, end, SERIES_PAGE), False)


def chart_header(market: Market, key: str, found: Chart) -> dict[str, str]:
    """The header fields of a chart answer: row counts and the key of its oldest row (the
    ``index_key`` / ``KEYB`` a caller continues from)."""
    count = str(len(found.rows))
    oldest = found.rows[-1] if found.rows else None
    stamp = "" if oldest is None else f"{oldest.day:%Y%m%d}{oldest.at:%H%M%S}"
    return {"nrec": count, "ret_cnt": count, "tret_cnt": count, "last_n_cnt": count,
            "index_key": stamp, "next": "1" if found.rows else "0",
            "more": "Y" if found.rows else "N"}  # fmt: skip


# --- one row -------------------------------------------------------------------------------

_DATE_NAME = re.compile(r".*_(bsop_date|date)|[xkt]ymd")
_TIME_NAME = re.compile(r".*_(cntg_hour|hour|time)|[xk]hms")
_OPEN = re.compile(r".*oprc|open|open_price")
_HIGH = re.compile(r".*hgpr|high|high_price")
_LOW = re.compile(r".*lwpr|low|low_price")
_CLOSE = re.compile(r".*(clpr|prpr|pbpr)|clos|last|last_price")
_BAR_VOLUME = re.compile(r"cntg_vol|evol|tvol|vol|last_qntt|cnqn")
_AMOUNT = re.compile(r"acml_tr_pbmn|tamt|eamt")
_CHANGE = re.compile(r"(\w+_)?prdy_vrss|diff|prev_diff_price")
_RATE = re.compile(r"(\w+_)?prdy_ctrt|rate|prev_diff_rate")
_SIGN = re.compile(r"prdy_vrss_sign|sign|prev_diff_flag")


def row_facts(
    fields: Sequence[tuple[str, str, str, type[Enum] | None]],
    row: Bar | Trade,
    inst: Instrument,
    market: Market,
    *,
    intraday: bool,
) -> dict[str, str]:
    """Field name (as the spec writes it) -> KIS text for one chart or trade row."""
    shown = inst.shown
    if isinstance(row, Trade):
        o = h = lo = c = row.price
        volume, cumulative, amount = row.qty, row.volume, row.qty * row.price
    else:
        o, h, lo, c = row.open, row.high, row.low, row.close
        volume, cumulative, amount = row.volume, row.volume, row.amount
    change = c - row.reference
    local = datetime.combine(row.day, row.at, tzinfo=market.local(inst.key, market.now()).tzinfo)
    korean = local.astimezone(KST)
    out: dict[str, str] = {}
    for wire, _py, kind, _enum in fields:
        low = wire.lower()
        text: str | None = None
        if kind == "date" or _DATE_NAME.fullmatch(low):
            text = (korean if low.startswith("k") else local).strftime("%Y%m%d")
        elif kind == "time" or _TIME_NAME.fullmatch(low):
            text = (korean if low.startswith("k") else local).strftime("%H%M%S")
        elif "vrss" not in low and _OPEN.fullmatch(low):
            text = shown(o)
        elif "vrss" not in low and _HIGH.fullmatch(low):
            text = shown(h)
        elif "vrss" not in low and _LOW.fullmatch(low):
            text = shown(lo)
        elif "prdy_clpr" in low:
            text = shown(row.reference)
        elif low in ("askp", "bidp"):
            text = shown(c + inst.tick(c) if low == "askp" else c)
        elif "vrss" not in low and _CLOSE.fullmatch(low):
            text = shown(c)
        elif low == "acml_vol":
            text = str(cumulative if intraday else volume)
        elif _BAR_VOLUME.fullmatch(low):
            text = str(volume)
        elif _AMOUNT.fullmatch(low):
            text = str(amount // inst.scale)
        elif _SIGN.fullmatch(low):
            text = sign(change)
        elif _CHANGE.fullmatch(low):
            text = shown(abs(change)) if low in ("diff", "prev_diff_price") else (
                shown(change) if inst.places else str(change))  # fmt: skip
        elif _RATE.fullmatch(low):
            text = f"{100 * change / row.reference:.2f}"
        if text is not None:
            out[wire] = text
    return out
