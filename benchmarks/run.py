"""Benchmarks, measured as ratios against a baseline run in the same process/run.

- the decode paths (realtime frames, whole-record reads, batch columns, REST bodies) against
  their floor (``str.split``, ``json.loads``) and against the rivals installed beside kisapi
  (``pip install -e '.[bench]'``): one table of ratios, see ``decode_table.py``
- cold ``import kisapi`` (and import + first call through the sandbox) vs ``import httpx``
- one client call vs the same request through raw httpx, generate time, memory

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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import decode_table
import multiprocess_limits
import symbols_load

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


WITHOUT_HTTPX_CLI = """
import sys
class _Hide:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("click", "rich", "pygments"):
            raise ImportError(name)
sys.meta_path.insert(0, _Hide())
import kisapi; kisapi.Kis
"""
"""``import kisapi; kisapi.Kis`` as if httpx's optional CLI dependencies were not installed, as
after ``pip install kisapi``: ``import httpx`` loads its command line (click, rich, pygments)
whenever they are, and the ``cli`` extra (part of dev) installs them."""


def bench_import(runs: int) -> dict[str, float]:
    base = _wall("pass", runs)
    httpx_s = _wall("import httpx", runs) - base
    kisapi_s = _wall("import kisapi", runs) - base
    client_s = _wall("import kisapi; kisapi.Kis", runs) - base
    no_cli_s = _wall(WITHOUT_HTTPX_CLI, runs) - base
    first_call_s = _wall(FIRST_CALL, max(3, runs // 2)) - base
    return {
        "interpreter_s": base,
        "import_httpx_s": httpx_s,
        "import_kisapi_s": kisapi_s,
        "import_kisapi_ratio": kisapi_s / httpx_s,
        "import_client_s": client_s,
        "import_client_ratio": client_s / httpx_s,
        "import_client_without_httpx_cli_s": no_cli_s,
        "first_call_s": first_call_s,
        "first_call_ratio": first_call_s / httpx_s,
    }


MEMORY = """
import resource, sys, httpx
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import kisapi
from kisapi_sandbox import catalog
kis = kisapi.Kis(appkey="bench-appkey", appsecret="bench-secret", env="real", rate_limit=0)
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


def bench_client_overhead() -> dict[str, float]:
    """``kis.domestic_stock.inquire_price(...)`` vs the same GET + ``response.json()`` through
    raw httpx, both on an in-process transport answering the real inquire_price body."""
    import tempfile

    import httpx

    from kisapi import Kis

    body = decode_table.rest_body(decode_table.PRICE_API)
    token = json.dumps({"access_token": "bench-token", "token_type": "Bearer",
                        "expires_in": 86400, "access_token_token_expired": "2099-01-01 00:00:00"})  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        content = token.encode() if request.url.path == "/oauth2/tokenP" else body
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handle)
    path = "/uapi/domestic-stock/v1/quotations/inquire-price"
    headers = {"authorization": "Bearer bench-token", "appkey": "k", "appsecret": "s",
               "tr_id": "FHKST01010100", "custtype": "P"}  # fmt: skip
    params = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}
    with (
        Kis(appkey="bench-appkey", appsecret="bench-secret", env="real", rate_limit=0,
            token_cache_dir=tempfile.mkdtemp(), transport=transport) as kis,
        httpx.Client(base_url="https://bench.invalid", transport=transport) as http,
    ):  # fmt: skip
        kis.domestic_stock.inquire_price(fid_input_iscd="005930")  # token issued once here
        sdk = decode_table.ratio(
            lambda: kis.domestic_stock.inquire_price(fid_input_iscd="005930"),
            lambda: http.get(path, params=params, headers=headers).json(),
        )
        raw_s = (
            timeit.timeit(lambda: http.get(path, params=params, headers=headers).json(), number=200)
            / 200
        )
    return {"ratio": sdk, "httpx_us": raw_s * 1e6, "kisapi_us": raw_s * sdk * 1e6}


def bench_gateway() -> dict[str, Any] | None:
    """benchmarks/gateway.py in its own process: it starts redis-server, a KIS-format feed,
    the gateway and 8 consumer processes. None when redis-server is not installed."""
    script = Path(__file__).with_name("gateway.py")
    out = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True)
    if "redis-server is not installed" in out.stderr:
        return None
    if not out.stdout.strip():
        raise RuntimeError(f"benchmarks/gateway.py failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--decode-only", action="store_true", help="only the ratio table")
    parser.add_argument("--skip-limits", action="store_true", help="no multi-process run (~1 min)")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if not args.decode_only:
        # fresh interpreters first: a child forked from a process that has grown reports the
        # parent's peak RSS as its own
        results |= {
            "import": bench_import(args.runs),
            "generate": bench_generate(),
            "memory": bench_memory(),
        }
    table = decode_table.measure()
    results["decode"] = [row.as_json() for row in table]
    if not args.decode_only:
        results["client"] = bench_client_overhead()
        results["symbols"] = symbols_load.measure()
        results["gateway"] = bench_gateway()
    if not args.decode_only and not args.skip_limits:
        results["limits"] = multiprocess_limits.measure()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    decode_table.print_table(table)
    if args.decode_only:
        return 0
    imp, gen, mem, cli = (
        results["import"],
        results["generate"],
        results["memory"],
        results["client"],
    )
    print()
    print(f"cold import httpx            {imp['import_httpx_s'] * 1e3:8.1f} ms  (baseline)")
    print(
        f"cold import kisapi           {imp['import_kisapi_s'] * 1e3:8.1f} ms  {imp['import_kisapi_ratio']:.2f}x httpx (target <= 3x)"
    )
    print(
        f"import kisapi + Kis class    {imp['import_client_s'] * 1e3:8.1f} ms  {imp['import_client_ratio']:.2f}x httpx"
    )
    print(
        f"  same without httpx's CLI   {imp['import_client_without_httpx_cli_s'] * 1e3:8.1f} ms  (pip install kisapi: the CLI's click, rich, pygments come with kisapi[cli]; import httpx loads them when installed)"
    )
    print(
        f"import + first call (sandbox){imp['first_call_s'] * 1e3:8.1f} ms  {imp['first_call_ratio']:.2f}x httpx (target < 3x)"
    )
    print(
        f"client call (inquire_price)  {cli['kisapi_us']:8.1f} us  {cli['ratio']:.2f}x raw httpx + json ({cli['httpx_us']:.1f} us)"
    )
    print(f"make generate (all specs)    {gen['generate_s']:8.2f} s   (target < 10 s)")
    print(
        f"RSS, every API + realtime TR {mem['rss_all_loaded_mb']:8.1f} MB  (+{mem['rss_delta_mb']:.1f} MB "
        f"over httpx; {mem['apis']:.0f} APIs, {mem['realtime_trs']:.0f} TR IDs)"
    )
    print(*symbols_load.report(results["symbols"]), sep="\n")
    if "limits" in results:
        print()
        multiprocess_limits.report(results["limits"])
    print()
    if results["gateway"] is None:
        print("realtime gateway: skipped, redis-server is not installed")
    else:
        from gateway import report as gateway_report

        gateway_report(results["gateway"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
