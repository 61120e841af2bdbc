"""Benchmarks, measured as ratios against a baseline run in the same process/run.

- cold ``import kisapi`` (and import + first call through the sandbox) vs ``import httpx``
- typed decode of a 100-row daily chart vs ``json.loads`` of the same body

Run: ``make bench`` (prints a table; ``--json`` for machine-readable output).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import timeit
from datetime import date
from pathlib import Path
from typing import Any

ROWS = 100
CHART_API = "domestic_stock.inquire_daily_itemchartprice"

FIRST_CALL = """
import tempfile
from kisapi import Kis
from kisapi_sandbox import Sandbox
with Kis(appkey="bench-appkey", appsecret="bench-secret", env="real", rate_limit=0,
         token_cache_dir=tempfile.mkdtemp(), transport=Sandbox().transport()) as kis:
    kis.domestic_stock.inquire_price(fid_input_iscd="005930")
"""


def _wall(code: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running ``code``."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_import(runs: int) -> dict[str, float]:
    base = _wall("pass", runs)
    httpx_s = _wall("import httpx", runs) - base
    kisapi_s = _wall("import kisapi", runs) - base
    client_s = _wall("import kisapi; kisapi.Kis", runs) - base
    first_call_s = _wall(FIRST_CALL, max(3, runs // 2)) - base
    return {
        "interpreter_s": base,
        "import_httpx_s": httpx_s,
        "import_kisapi_s": kisapi_s,
        "import_kisapi_ratio": kisapi_s / httpx_s,
        "import_client_s": client_s,
        "import_client_ratio": client_s / httpx_s,
        "first_call_s": first_call_s,
        "first_call_ratio": first_call_s / httpx_s,
    }


def chart_body(rows: int = ROWS) -> bytes:
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


def bench_decode(seconds: float = 1.0) -> dict[str, float]:
    from kisapi_sandbox.catalog import api_for

    api = api_for(CHART_API)
    body = chart_body()
    decoded = api.decode(json.loads(body), True)  # strict: the body must fit the spec
    assert len(decoded.output2) == ROWS

    def per_call(fn: Any) -> float:
        number = max(1, int(seconds / max(timeit.timeit(fn, number=20) / 20, 1e-9)))
        return min(timeit.repeat(fn, number=number, repeat=5)) / number

    loads_s = per_call(lambda: json.loads(body))
    typed_s = per_call(lambda: api.decode(json.loads(body), False))
    return {
        "body_bytes": len(body),
        "json_loads_us": loads_s * 1e6,
        "typed_decode_us": typed_s * 1e6,
        "decode_ratio": typed_s / loads_s,
        "rows_per_s": ROWS / typed_s,
    }


MEMORY = """
import resource, sys, httpx
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import kisapi
from kisapi_sandbox import catalog
kis = kisapi.Kis(appkey="bench-appkey", appsecret="bench-secret", rate_limit=0)
count = 0
for api_id in catalog.manifest()["apis"]:
    product, name = api_id.split(".")
    getattr(getattr(kis, product), name)
    count += 1
from kisapi import realtime
specs = realtime.registry()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(count, len(specs), before, after)
"""


def bench_generate(runs: int = 3) -> dict[str, float]:
    """Wall time of ``python -m codegen check`` (a full generation into a temp dir + compare)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "codegen", "check"], check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return {"generate_s": statistics.median(samples)}


def bench_memory() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEMORY], check=True, capture_output=True, text=True)
    apis, streams, before, after = (int(x) for x in out.stdout.split())
    return {"apis": apis, "realtime_trs": streams, "rss_after_httpx_mb": before / 1024,
            "rss_all_loaded_mb": after / 1024, "rss_delta_mb": (after - before) / 1024}  # fmt: skip


def bench_realtime(seconds: float = 0.5) -> dict[str, float]:
    """H0STCNT0 frames (1 and 4 records) -> typed records, against str.split and pandas.read_csv."""
    import io

    from kisapi import realtime
    from kisapi_runtime.realtime.records import decode_records, split_frame

    record = realtime.spec("H0STCNT0").record
    path = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real_payloads.json"
    frames = [
        e["frame"]
        for e in json.loads(path.read_text(encoding="utf-8"))["ws"]
        if e["tr_id"] == "H0STCNT0" and e["frame"][:2] == "0|"
    ]
    one = next(f for f in frames if f.split("|")[2] == "001")
    payload1 = one.split("|", 3)[3]
    four = "0|H0STCNT0|004|" + "^".join([payload1] * 4)

    def typed(frame: str) -> list[Any]:
        _, _, count, payload = split_frame(frame)
        records = decode_records(record, count, payload)
        for r in records:  # read every field: the conversion is part of the cost
            r.as_dict()
        return records

    def typed_lazy(frame: str) -> list[Any]:
        _, _, count, payload = split_frame(frame)
        return decode_records(record, count, payload)

    def bare(frame: str) -> list[str]:
        return frame.split("|", 3)[3].split("^")

    def pandas_path(frame: str) -> Any:
        import pandas as pd

        payload = frame.split("|", 3)[3]
        width = len(record.FIELDS) - 1  # the official samples know 46 columns
        return pd.read_csv(io.StringIO(payload), header=None, sep="^", names=list(range(width)))

    def per_call(fn: Any, arg: str) -> float:
        number = max(1, int(seconds / max(timeit.timeit(lambda: fn(arg), number=20) / 20, 1e-9)))
        return min(timeit.repeat(lambda: fn(arg), number=number, repeat=5)) / number

    out: dict[str, float] = {}
    for label, frame, n in (("1", one, 1), ("4", four, 4)):
        bare_s = per_call(bare, frame)
        lazy_s = per_call(typed_lazy, frame)
        full_s = per_call(typed, frame)
        out[f"bare_split_{label}_us"] = bare_s * 1e6
        out[f"decode_{label}_us"] = lazy_s * 1e6
        out[f"decode_read_all_{label}_us"] = full_s * 1e6
        out[f"decode_vs_split_{label}"] = lazy_s / bare_s
        out[f"records_per_s_{label}"] = n / lazy_s
        out[f"records_read_all_per_s_{label}"] = n / full_s
        try:
            pandas_s = per_call(pandas_path, frame)
        except ImportError:
            continue
        out[f"pandas_{label}_us"] = pandas_s * 1e6
        out[f"pandas_vs_decode_{label}"] = pandas_s / lazy_s
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {
        "import": bench_import(args.runs),
        "decode": bench_decode(),
        "generate": bench_generate(),
        "memory": bench_memory(),
        "realtime": bench_realtime(),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    imp, dec = results["import"], results["decode"]
    print(f"cold import httpx            {imp['import_httpx_s'] * 1e3:8.1f} ms  (baseline)")
    print(
        f"cold import kisapi           {imp['import_kisapi_s'] * 1e3:8.1f} ms  {imp['import_kisapi_ratio']:.2f}x httpx (target <= 3x)"
    )
    print(
        f"import kisapi + Kis class    {imp['import_client_s'] * 1e3:8.1f} ms  {imp['import_client_ratio']:.2f}x httpx"
    )
    print(
        f"import + first call (sandbox){imp['first_call_s'] * 1e3:8.1f} ms  {imp['first_call_ratio']:.2f}x httpx (target < 3x)"
    )
    print(
        f"json.loads 100-row chart     {dec['json_loads_us']:8.1f} us  (baseline, {dec['body_bytes']} bytes)"
    )
    print(
        f"typed decode 100-row chart   {dec['typed_decode_us']:8.1f} us  {dec['decode_ratio']:.2f}x json.loads (target <= 3x)"
    )
    gen, mem, rt = results["generate"], results["memory"], results["realtime"]
    print(f"make generate (all specs)    {gen['generate_s']:8.2f} s   (target < 10 s)")
    print(
        f"RSS, every API + realtime TR {mem['rss_all_loaded_mb']:8.1f} MB  (+{mem['rss_delta_mb']:.1f} MB "
        f"over httpx; {mem['apis']:.0f} APIs, {mem['realtime_trs']:.0f} TR IDs)"
    )
    for n in ("1", "4"):
        print(
            f"H0STCNT0 {n}-record frame      {rt[f'decode_{n}_us']:8.2f} us  "
            f"{rt[f'decode_vs_split_{n}']:.2f}x str.split (target <= 4x); "
            f"{rt[f'records_per_s_{n}']:,.0f} records/s (target >= 300,000); "
            f"reading every field: {rt[f'records_read_all_per_s_{n}']:,.0f}/s"
        )
        if f"pandas_vs_decode_{n}" in rt:
            print(
                f"  pandas.read_csv path        {rt[f'pandas_{n}_us']:8.1f} us  "
                f"{rt[f'pandas_vs_decode_{n}']:.0f}x the typed decode (target >= 300x)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
