"""Sandbox server throughput on loopback, and the SDK's achieved rate against its rate limit.

1. Rate limit off: simple quote requests (inquire-price) over keep-alive httpx connections,
   from worker threads sharing one ``httpx.Client`` and from asyncio tasks sharing one
   ``httpx.AsyncClient``. Target: >= 1,000 requests/s. The server runs in its own process
   (``python -m kisapi_sandbox``); its CPU time per request is read from /proc.
2. Rate limit on (KIS's 20/s real): ``--calls`` quotes through ``Kis`` and its own limiter from
   4 threads. Target: >= 95% of 20/s and no EGW00201 reaching the caller.

    python benchmarks/sandbox_throughput.py [--calls 1000] [--requests 5000] [--json]

Traffic stays on 127.0.0.1; every loop is bounded by a request count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kisapi import Kis, KisRateLimitError

QUOTE_PATH = "/uapi/domestic-stock/v1/quotations/inquire-price"
QUOTE_PARAMS = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}
APPKEY, APPSECRET = "PSBENCHMARK0000000000000000000000000", "benchmark-secret"
SDK_RATE = 20.0


@contextmanager
def server(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m kisapi_sandbox`` on free ports; yields (process, real REST URL)."""
    command = [sys.executable, "-m", "kisapi_sandbox", "--port", "0", "--mock-port", "0",
               "--log-level", "warning", *args]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        found = re.search(r"real (http://\S+)", line)
        if not found:
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        yield proc, found.group(1)
    finally:
        proc.terminate()
        proc.wait(10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def token_headers(url: str) -> dict[str, str]:
    body = {"grant_type": "client_credentials", "appkey": APPKEY, "appsecret": APPSECRET}
    token = httpx.post(url + "/oauth2/tokenP", json=body).json()["access_token"]
    return {"authorization": f"Bearer {token}", "appkey": APPKEY, "appsecret": APPSECRET,
            "tr_id": "FHKST01010100", "custtype": "P", "tr_cont": ""}  # fmt: skip


def measure(pid: int, run: Callable[[], int]) -> dict[str, float]:
    """Requests/s of ``run`` (which returns how many requests it made) and server CPU/request."""
    cpu0, start = cpu_seconds(pid) if pid else 0.0, time.perf_counter()
    count = run()
    elapsed = time.perf_counter() - start
    cpu = (cpu_seconds(pid) - cpu0) if pid else 0.0
    return {"requests": count, "seconds": elapsed, "per_second": count / elapsed,
            "server_cpu_ms": cpu / count * 1000}  # fmt: skip


def threaded(url: str, headers: dict[str, str], requests: int, workers: int) -> int:
    left = [requests]
    lock = threading.Lock()
    failures: list[int] = []
    with httpx.Client(base_url=url, limits=httpx.Limits(max_connections=workers)) as http:
        http.get(QUOTE_PATH, params=QUOTE_PARAMS, headers=headers)  # connection + warm cache

        def work() -> None:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                response = http.get(QUOTE_PATH, params=QUOTE_PARAMS, headers=headers)
                if response.status_code != 200:
                    failures.append(response.status_code)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {set(failures)}")
    return requests


def tasks(url: str, headers: dict[str, str], requests: int, concurrency: int) -> int:
    async def main() -> int:
        left = requests
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits) as http:

            async def work() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    response = await http.get(QUOTE_PATH, params=QUOTE_PARAMS, headers=headers)
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text}")

            await asyncio.gather(*(work() for _ in range(concurrency)))
        return requests

    return asyncio.run(main())


def bench_server(requests: int, workers: int, concurrency: int) -> dict[str, Any]:
    with server("--rate-limit", "off") as (proc, url):
        headers = token_headers(url)
        threads = measure(proc.pid, lambda: threaded(url, headers, requests, workers))
        async_ = measure(proc.pid, lambda: tasks(url, headers, requests, concurrency))
    return {"threads": {**threads, "workers": workers},
            "asyncio": {**async_, "tasks": concurrency}}  # fmt: skip


def bench_sdk(calls: int, workers: int = 4) -> dict[str, Any]:
    with server() as (_proc, url), tempfile.TemporaryDirectory() as cache:
        surfaced: list[str] = []
        with Kis(appkey=APPKEY, appsecret=APPSECRET, env="real", rest_url=url,
                 token_cache_dir=cache, rate_limit=SDK_RATE) as kis:  # fmt: skip
            kis.domestic_stock.inquire_price(fid_input_iscd="005930")  # the token, first
            left = [calls]
            lock = threading.Lock()

            def work() -> None:
                while True:
                    with lock:
                        if left[0] <= 0:
                            return
                        left[0] -= 1
                    try:
                        kis.domestic_stock.inquire_price(fid_input_iscd="005930")
                    except KisRateLimitError as exc:
                        surfaced.append(str(exc.msg_cd))

            threads = [threading.Thread(target=work) for _ in range(workers)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
        counts = httpx.get(url + "/__sandbox__/counts").json()
    return {"calls": calls, "seconds": elapsed, "per_second": calls / elapsed,
            "of_limit": calls / elapsed / SDK_RATE, "egw00201_surfaced": len(surfaced),
            "egw00201_answered": counts.get("EGW00201", 0)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="SDK calls at 20/s (1000)")
    parser.add_argument("--requests", type=int, default=5000, help="requests per client kind")
    parser.add_argument("--workers", type=int, default=4, help="threads sharing httpx.Client")
    parser.add_argument("--tasks", type=int, default=8, help="asyncio tasks sharing AsyncClient")
    parser.add_argument("--skip-sdk", action="store_true", help="only the throughput part")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    result: dict[str, Any] = {"server": bench_server(args.requests, args.workers, args.tasks)}
    if not args.skip_sdk:
        result["sdk"] = bench_sdk(args.calls)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    best = max(result["server"]["threads"]["per_second"], result["server"]["asyncio"]["per_second"])
    print("sandbox server on loopback, rate limit off (inquire-price, keep-alive):")
    for kind, label in (("threads", "workers"), ("asyncio", "tasks")):
        row = result["server"][kind]
        print(f"  {kind:8} {row[label]:2} {label:7} {row['per_second']:8,.0f} req/s"
              f"  ({row['requests']:,} in {row['seconds']:.2f} s; server CPU {row['server_cpu_ms']:.2f} ms/req)")  # fmt: skip
    cpu_ms = result["server"]["threads"]["server_cpu_ms"]
    print(f"  best {best:,.0f} req/s  (target >= 1,000: {'ok' if best >= 1000 else 'MISSED'}); "
          f"server alone ~{1000 / cpu_ms:,.0f} req/s per core (the clients share the 2 cores)")  # fmt: skip
    if "sdk" in result:
        sdk = result["sdk"]
        ok = sdk["of_limit"] >= 0.95 and sdk["egw00201_surfaced"] == 0
        print(f"SDK against the 20/s limit: {sdk['calls']:,} calls in {sdk['seconds']:.1f} s = "
              f"{sdk['per_second']:.2f}/s ({sdk['of_limit']:.1%} of 20/s); EGW00201 surfaced "
              f"{sdk['egw00201_surfaced']}, answered by the server {sdk['egw00201_answered']}  "
              f"(target >= 95%, 0 surfaced: {'ok' if ok else 'MISSED'})")  # fmt: skip


if __name__ == "__main__":
    main()
