"""Several processes, one app key: the shared rate budget and token against the sandbox.

Scenarios (each: ``--processes`` processes x ``--calls`` inquire_price calls, started together,
against one sandbox that enforces KIS's 20/s per app key and answers EGW00201 beyond it):

* ``machine``: default settings, one token cache folder: the machine-wide budget.
* ``redis``: ``limits_url`` on a real redis-server started here on a free port, and each
  process with its own token cache folder, as if on separate machines.
* ``process`` (``--baseline``): ``shared_limits=False``, every process limiting itself alone
  (what the SDK did before): for comparison.

Targets: combined >= 90% of 20/s, 0 EGW00201 answered by the sandbox (counted server-side),
0 errors surfaced, each process within +-35% of the fair share, 1 token request.
Also the per-call cost of reserving a slot: in-process vs machine-wide vs Redis.

    python benchmarks/multiprocess_limits.py [--processes 4] [--calls 150] [--baseline] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

APPKEY, APPSECRET = "PSMULTIPROC000000000000000000000000000", "multiprocess-secret"
RATE = 20.0
TOKEN_PATH = "/oauth2/tokenP"


# --- worker (one process) -----------------------------------------------------------------


def worker(url: str, cache_dir: str, limits_url: str, shared: bool, calls: int) -> None:
    """Make the client, say ready, wait for "go" on stdin, make ``calls`` calls, print JSON."""
    from kisapi import Kis, KisError

    settings: dict[str, Any] = {"token_cache_dir": cache_dir, "shared_limits": shared}
    if limits_url:
        settings["limits_url"] = limits_url
    errors: list[str] = []
    with Kis(appkey=APPKEY, appsecret=APPSECRET, env="real", rest_url=url, **settings) as kis:
        print("ready", flush=True)
        sys.stdin.readline()
        start = time.time()
        for _ in range(calls):
            try:
                kis.domestic_stock.inquire_price(fid_input_iscd="005930")
            except KisError as exc:
                errors.append(f"{type(exc).__name__}: {getattr(exc, 'msg_cd', '')}")
        end = time.time()
    print(json.dumps({"start": start, "end": end, "calls": calls, "errors": errors}), flush=True)


# --- redis-server for the Redis scenario ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port, folder = free_port(), tempfile.mkdtemp(prefix="kisapi-bench-redis-")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", folder]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


# --- one scenario ---------------------------------------------------------------------------


def scenario(name: str, processes: int, calls: int, limits_url: str = "") -> dict[str, Any]:
    """Run ``processes`` workers against a fresh sandbox; figures from both ends."""
    from kisapi_sandbox import SandboxServer

    folder = tempfile.mkdtemp(prefix="kisapi-bench-limits-")
    try:
        with SandboxServer(mock_port=None) as server:
            url = server.rest_url
            procs = []
            for i in range(processes):
                # "machine": one token cache folder; "redis": one each, as on separate machines
                cache = os.path.join(folder, str(i) if name == "redis" else "shared")
                args = [sys.executable, __file__, "--worker", url, cache, limits_url,
                        "0" if name == "process" else "1", str(calls)]  # fmt: skip
                procs.append(
                    subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                )
            for proc in procs:
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "ready":
                    raise RuntimeError("a worker did not start")
            go = time.time()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            results = []
            for proc in procs:
                out, _ = proc.communicate(timeout=600)
                results.append(json.loads(out.strip().splitlines()[-1]))
            sandbox = server.sandbox
            answered_201 = sandbox.counts.get("EGW00201", 0)
            tokens = sum(1 for path, _ in sandbox.calls if path == TOKEN_PATH)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    total = sum(r["calls"] for r in results)
    elapsed = max(r["end"] for r in results) - go
    combined = total / elapsed
    fair = combined / processes
    rates = [r["calls"] / (r["end"] - go) for r in results]
    errors = [e for r in results for e in r["errors"]]
    return {
        "scenario": name,
        "processes": processes,
        "calls": total,
        "seconds": elapsed,
        "combined_per_second": combined,
        "of_limit": combined / RATE,
        "per_process": rates,
        "worst_vs_fair": max(abs(r / fair - 1) for r in rates),
        "egw00201_answered": answered_201,
        "errors_surfaced": len(errors),
        "error_kinds": sorted(set(errors)),
        "token_requests": tokens,
    }


def meets(row: dict[str, Any]) -> bool:
    return (
        row["of_limit"] >= 0.90
        and row["egw00201_answered"] == 0
        and row["errors_surfaced"] == 0
        and row["worst_vs_fair"] <= 0.35
        and row["token_requests"] == 1
    )


# --- per-call cost of reserving a slot --------------------------------------------------------


def reserve_cost(redis_url: str, n: int = 20_000) -> dict[str, float]:
    """Microseconds per ``reserve()`` at a rate that never waits: in-process, machine-wide,
    Redis (one loopback round trip)."""
    from kisapi_runtime.config import KisConfig
    from kisapi_runtime.ratelimit import RateLimiter
    from kisapi_runtime.redis_limits import RedisRateLimiter
    from kisapi_runtime.shared_limits import SharedRateLimiter

    folder = tempfile.mkdtemp(prefix="kisapi-bench-reserve-")
    config = KisConfig(appkey=APPKEY, appsecret=APPSECRET, env="real", limits_url=redis_url)
    limiters = {
        "process_us": RateLimiter(1e9),
        "machine_us": SharedRateLimiter(1e9, os.path.join(folder, "bench.gcra")),
        "redis_us": RedisRateLimiter(config, 1e9),
    }
    out: dict[str, float] = {}
    try:
        for key, limiter in limiters.items():
            count = n if key != "redis_us" else n // 10
            for _ in range(100):
                limiter.reserve()
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                for _ in range(count):
                    limiter.reserve()
                best = min(best, (time.perf_counter() - start) / count)
            out[key] = best * 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


# --- main -------------------------------------------------------------------------------------


def measure(processes: int = 4, calls: int = 150, baseline: bool = False) -> dict[str, Any]:
    rows = [scenario("machine", processes, calls)]
    with redis_server() as url:
        rows.append(scenario("redis", processes, calls, limits_url=url))
        cost = reserve_cost(url)
    if baseline:
        rows.append(scenario("process", processes, calls))
    return {"scenarios": rows, "reserve": cost}


def report(result: dict[str, Any]) -> None:
    print("several processes, one app key, sandbox at 20/s per app key (EGW00201 beyond):")
    for row in result["scenarios"]:
        rates = ", ".join(f"{r:.2f}" for r in row["per_process"])
        target = "" if row["scenario"] == "process" else (
            "  ok" if meets(row) else "  MISSED")  # fmt: skip
        print(f"  {row['scenario']:8} {row['processes']} x {row['calls'] // row['processes']} calls "
              f"in {row['seconds']:.1f} s = {row['combined_per_second']:.2f}/s "
              f"({row['of_limit']:.1%} of 20/s); per process {rates}/s "
              f"(worst {row['worst_vs_fair']:+.0%} off fair); EGW00201 answered "
              f"{row['egw00201_answered']}, errors surfaced {row['errors_surfaced']}"
              f"{' ' + str(row['error_kinds']) if row['error_kinds'] else ''}; "
              f"token requests {row['token_requests']}{target}")  # fmt: skip
    print("  (targets: >= 90% of 20/s, 0 EGW00201 answered, 0 surfaced, each within +-35% of "
          "fair, 1 token request)")  # fmt: skip
    cost = result["reserve"]
    print(f"  reserve() per call: in-process {cost['process_us']:.2f} us, machine-wide "
          f"{cost['machine_us']:.2f} us (+{cost['machine_us'] - cost['process_us']:.2f} us), "
          f"Redis {cost['redis_us']:.1f} us (one loopback round trip)")  # fmt: skip


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, cache, limits_url, shared, calls = sys.argv[2:7]
        worker(url, cache, limits_url, shared == "1", int(calls))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--calls", type=int, default=150, help="calls per process")
    parser.add_argument("--baseline", action="store_true", help="also per-process limits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.processes, args.calls, args.baseline)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    ok = all(meets(row) for row in result["scenarios"] if row["scenario"] != "process")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
