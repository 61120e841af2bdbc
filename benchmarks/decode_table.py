"""One table of decode ratios to the floor, kisapi and its rivals measured in the same run.

Every figure is a ratio to a floor measured beside it: ``str.split`` of the same frame for
realtime paths, ``json.loads`` of the same bytes for REST bodies. Each ratio is the median of
interleaved rounds (floor, path, floor, path...), which keeps a busy machine's drift out of it.
A rival that rejects or mis-reads a real payload is reported as such instead of a number.
Realtime frames and REST bodies are the real ones in tests/fixtures/real_payloads.json.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import timeit
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import rivals

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = json.loads((ROOT / "tests" / "fixtures" / "real_payloads.json").read_text("utf-8"))
BATCH = 10_000
CHART_ROWS = 100
CHART_API = "domestic_stock.inquire_daily_itemchartprice"
PRICE_API = "domestic_stock.inquire_price"


@attrs.define
class Row:
    """One line of the table: a path, kisapi's ratios, the rivals' ratios or failures."""

    path: str
    floor: str
    target: str
    kisapi: dict[str, float] = attrs.field(factory=dict)
    rivals: dict[str, float | str] = attrs.field(factory=dict)

    def as_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


def ratio(fn: Callable[[], Any], floor: Callable[[], Any], rounds: int = 9) -> float:
    """Median over interleaved rounds of time(fn) / time(floor)."""

    def number(f: Callable[[], Any]) -> int:
        f()  # first-use costs (a record module imported on its first frame) are not the path
        once = timeit.timeit(f, number=10) / 10
        return max(1, int(0.02 / max(once, 1e-9)))

    n_fn, n_floor = number(fn), number(floor)
    ratios = []
    for _ in range(rounds):
        t_floor = timeit.timeit(floor, number=n_floor) / n_floor
        t_fn = timeit.timeit(fn, number=n_fn) / n_fn
        ratios.append(t_fn / t_floor)
    return statistics.median(ratios)


def _rival(
    row: Row,
    name: str,
    make: Callable[[], Callable[[Any], Any]],
    payload: Any,
    floor: Callable[[], Any],
    check: Callable[[Any], str | None] = lambda _: None,
) -> Callable[[Any], Any] | None:
    """Measure a rival on ``payload``; record 'not installed', its error, or a mis-read."""
    try:
        decode = make()
    except ImportError:
        row.rivals[name] = "not installed"
        return None
    try:
        wrong = check(decode(payload))
    except Exception as exc:
        row.rivals[name] = f"rejects it ({type(exc).__name__}: {str(exc).splitlines()[0][:60]})"
        return decode
    if wrong:
        row.rivals[name] = f"mis-reads it: {wrong}"
        return decode
    row.rivals[name] = ratio(lambda: decode(payload), floor)
    return decode


# --- payloads ------------------------------------------------------------------------------


def frames(tr_id: str) -> list[str]:
    return [e["frame"] for e in PAYLOADS["ws"] if e["tr_id"] == tr_id and e["frame"][:2] == "0|"]


def one_record(tr_id: str, fields: int | None = None) -> str:
    for frame in frames(tr_id):
        head = frame.split("|", 3)
        if head[2] == "001" and (fields is None or len(head[3].split("^")) == fields):
            return frame
    raise LookupError(f"no real one-record {tr_id} frame with {fields} fields")


def bare(frame: str) -> Callable[[], Any]:
    return lambda: frame.split("|", 3)[3].split("^")


def batch_frames(frame: str, count: int = BATCH) -> list[str]:
    """``count`` frames from one real frame, prices, volumes and times varied like a tick stream."""
    head, payload = frame.rsplit("|", 1)
    values = payload.split("^")
    rng = random.Random(13)
    price, volume, out = int(values[2]), int(values[13]), []
    for i in range(count):
        price += rng.choice((-100, 0, 0, 100))
        volume += rng.randint(1, 500)
        v = list(values)
        v[1] = f"{9 + i // 3600 % 6:02d}{i // 60 % 60:02d}{i % 60:02d}"
        v[2], v[13], v[12] = str(price), str(volume), str(rng.randint(1, 500))
        v[5] = f"{rng.uniform(-3, 3):.2f}"
        out.append(head + "|" + "^".join(v))
    return out


def rest_body(api_id: str) -> bytes:
    for entry in PAYLOADS["rest"]:
        if (
            api_id == PRICE_API
            and entry["path"] == "/uapi/domestic-stock/v1/quotations/inquire-price"
            and len(entry["body"].get("output", {})) >= 81
        ):
            return json.dumps(entry["body"], ensure_ascii=False).encode()
    raise LookupError(api_id)


def chart_body(rows: int = CHART_ROWS) -> bytes:
    """A daily-chart body shaped and encoded as KIS sends it (from the sandbox)."""
    from kisapi_sandbox.catalog import api_for
    from kisapi_sandbox.values import rng, value

    api = api_for(CHART_API)
    r = rng("bench")
    body: dict[str, Any] = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": "정상처리 되었습니다."}
    for block in api.response:
        n = 1 if block.shape == "object" else rows
        records = [
            {
                wire: value(wire, kind, enum, r, i, date(2026, 11, 24), 71_000)
                for wire, _p, kind, enum in block.fields
            }
            for i in range(n)
        ]
        body[block.key] = records[0] if block.shape == "object" else records
    return json.dumps(body, ensure_ascii=False).encode()


# --- rows ----------------------------------------------------------------------------------


def realtime_rows() -> list[Row]:
    from kisapi import realtime
    from kisapi_runtime.realtime.connection import RealtimeConnection

    class _Config:
        websocket_url = "ws://127.0.0.1:9/"

    class _Client:
        config = _Config()

    conn = RealtimeConnection(_Client(), realtime.registry())  # type: ignore[arg-type]
    decode = conn._decode  # the connection's own frame -> records path
    tick46 = one_record("H0STCNT0", 46)
    tick47 = one_record("H0STCNT0", 47)
    four = "0|H0STCNT0|004|" + "^".join([tick46.split("|", 3)[3]] * 4)
    rows = []
    for label, frame, count, target in (("1", tick46, 1, "<= 1.5x"), ("4", four, 4, "<= 1.3x")):
        row = Row(f"H0STCNT0 frame -> records, connection path, {label} record(s)",
                  "str.split", target)  # fmt: skip
        floor = bare(frame)
        row.kisapi["lazy"] = ratio(lambda f=frame: decode(f), floor)

        def rows_of(result: Any, n: int = count) -> str | None:
            got = len(result) if isinstance(result, list) else len(result.index)
            return None if got == n else f"{got} record(s) for {n}"

        _rival(row, "kis-trader", rivals.kis_trader_realtime, frame, floor, rows_of)
        if label == "1":  # it reads the 47-field layout only
            _rival(row, "kis-trader (47-field frame)", rivals.kis_trader_realtime, tick47,
                   bare(tick47), rows_of)  # fmt: skip
        _rival(row, "python-kis", rivals.python_kis_realtime, frame, floor, rows_of)
        if label == "1":
            _rival(row, "python-kis (47-field frame)", rivals.python_kis_realtime, tick47,
                   bare(tick47), rows_of)  # fmt: skip
        _rival(row, "pandas (KIS samples)", lambda: rivals.pandas_realtime(46), frame, floor,
               rows_of)  # fmt: skip
        rows.append(row)

    for tr_id in ("H0STCNT0", "H0STASP0"):
        frame = one_record(tr_id)
        row = Row(f"{tr_id} frame -> every field read, 1 record", "str.split", "<= 5x")
        floor = bare(frame)
        row.kisapi["as_tuple"] = ratio(lambda f=frame: decode(f)[1][0].as_tuple(), floor)
        row.kisapi["as_dict"] = ratio(lambda f=frame: decode(f)[1][0].as_dict(), floor)
        if tr_id == "H0STCNT0":
            # The frame above repeats, so its time texts always hit the time memo
            # (records.TIMES). Here each frame's tick time is one the memo no longer holds:
            # 8,192 ticks, twice the texts it keeps.
            ticks = batch_frames(frame, 8192)
            tick, split_tick = itertools.cycle(ticks).__next__, itertools.cycle(ticks).__next__
            row.kisapi["as_tuple (new tick times)"] = ratio(
                lambda t=tick: decode(t())[1][0].as_tuple(),
                lambda t=split_tick: t().split("|", 3)[3].split("^"),
            )
        _rival(row, "kis-trader (eager)", rivals.kis_trader_realtime, frame, floor)
        own = one_record(tr_id, {"H0STCNT0": 47, "H0STASP0": 63}[tr_id])  # the layout it reads
        _rival(row, f"kis-trader (eager, {len(own.split('^'))}-field frame)",
               rivals.kis_trader_realtime, own, bare(own))  # fmt: skip
        _rival(row, "python-kis (eager)", rivals.python_kis_realtime, frame, floor)
        rows.append(row)
    return rows


def batch_row() -> Row:
    from kisapi import realtime
    from kisapi_runtime.realtime.columns import decode_columns

    record = realtime.spec("H0STCNT0").record
    many = batch_frames(one_record("H0STCNT0", 46))
    row = Row(f"{BATCH:,} H0STCNT0 records -> typed columns", "str.split per frame", "<= 3x")

    def floor() -> None:
        for frame in many:
            frame.split("|", 3)[3].split("^")

    row.kisapi["lists"] = ratio(lambda: decode_columns(record, many), floor, rounds=5)
    try:
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        row.rivals["kisapi Arrow/polars"] = "arrow extra not installed"
    else:
        row.kisapi["arrow"] = ratio(lambda: decode_columns(record, many).to_arrow(), floor, 3)
        row.kisapi["polars"] = ratio(lambda: decode_columns(record, many).to_polars(), floor, 3)
    _rival(row, "pandas.read_csv (untyped dates/times/codes)", lambda: rivals.pandas_batch(46),
           many, floor)  # fmt: skip
    return row


def rest_rows() -> list[Row]:
    from kisapi_runtime import jsonlib
    from kisapi_sandbox.catalog import api_for

    rows = []
    for label, api_id, body in (
        ("inquire_price body (81 fields)", PRICE_API, rest_body(PRICE_API)),
        (f"{CHART_ROWS}-row daily chart body", CHART_API, chart_body()),
    ):
        api = api_for(api_id)
        api.decode(json.loads(body), True)  # strict: the body must fit the spec
        row = Row(f"{label}: bytes -> typed model", "json.loads", "<= 1.5x (fast), <= 2.5x (json)")

        def floor(b: bytes = body) -> Any:
            return json.loads(b)

        row.kisapi[jsonlib.PARSER] = ratio(lambda a=api, b=body: a.decode(jsonlib.loads(b), False), floor)  # fmt: skip
        row.kisapi["json"] = ratio(lambda a=api, b=body: a.decode(json.loads(b), False), floor)
        _rival(row, "pydantic v2", lambda a=api: rivals.pydantic_rest(a), body, floor)
        _rival(row, "python-kis", lambda i=api_id: rivals.python_kis_rest(i), body, floor)
        rows.append(row)
    return rows


def measure() -> list[Row]:
    return [*realtime_rows(), batch_row(), *rest_rows()]


def print_table(table: list[Row]) -> None:
    print("| path | kisapi | rivals | floor | target |")
    print("|---|---|---|---|---|")
    for row in table:
        ours = ", ".join(f"{k} {v:.2f}x" for k, v in row.kisapi.items())
        theirs = "; ".join(
            f"{k} {v:.1f}x" if isinstance(v, float) else f"{k}: {v}" for k, v in row.rivals.items()
        )
        print(f"| {row.path} | {ours} | {theirs or '-'} | {row.floor} | {row.target} |")
