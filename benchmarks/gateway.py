"""Realtime gateway end to end: a KIS-format feed -> kisapi-gateway -> Redis Streams -> consumers.

    python benchmarks/gateway.py [--consumers 8] [--pairs 200] [--app-keys 5] [--json]

Every part is its own process on 127.0.0.1: a real ``redis-server``, the numbered KIS-format
WebSocket feed of ``tests/gateway/feed.py`` (frames of 10 ``H0STCNT0`` records, each record
numbered per stock code and stamped with its send time), the gateway
(:class:`kisapi_gateway.gateway.Gateway` with ``--app-keys`` sandbox app keys) and
``--consumers`` consumer processes using ``GatewayConnection`` and the typed records, each
subscribing to an overlapping window of the ``--pairs`` codes.

1. Correctness, paced feed: one KIS session per app key and <= 40 registrations each; the feed
   closes every KIS session mid-stream (the gateway reconnects and resubscribes) and two
   consumers are killed (SIGKILL) and restarted from their last saved checkpoint. Every
   consumer must then hold exactly 1..N of every code it follows (0 lost, 0 duplicated).
2. Latency at a steady 20,000 records/s (p50/p99, send to consumer), then throughput with
   the feed flat out: records/s from the first frame sent until every consumer has its last
   record. The machine is shared, so the CPU time every process used is reported too, and the
   rate the pipeline would sustain on 2 cores of its own (for information only); the target
   (50,000 records/s) is judged on the measured rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PER_FRAME = 10
TARGET_RATE = 50_000


def codes_for(consumer: int, consumers: int, pairs: int) -> list[str]:
    """Overlapping windows: consumer i follows 2 * pairs / consumers codes from i * pairs / consumers."""
    step = pairs // consumers
    return [f"{(consumer * step + k) % pairs + 1:06d}" for k in range(2 * step)]


# -- the gateway process --


async def run_gateway(redis: str, feed: str, app_keys: int) -> None:
    from kisapi import realtime
    from kisapi_gateway.gateway import Gateway
    from tests.gateway.helpers import AppKeyClient

    cache = Path(tempfile.mkdtemp())
    clients = [AppKeyClient(n, feed, cache) for n in range(app_keys)]
    options = {"url": feed, "reconnect_initial": 0.05, "reconnect_max": 0.5, "ping_interval": None}
    gateway = Gateway(
        clients, realtime.registry(), redis, reconcile_interval=0.5, connection_options=options
    )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(gateway.stop()))
    async with gateway:
        print(json.dumps({"ready": True}), flush=True)
        await gateway.wait()


# -- a consumer process --


async def run_consumer(redis: str, name: str, codes: list[str], state_file: Path) -> None:
    from kisapi import realtime
    from kisapi_gateway.consumer import GatewayConnection
    from kisapi_runtime.config import KisConfig

    saved = json.loads(state_file.read_text()) if state_file.exists() else None
    # code -> [count, last number, duplicates, gaps]
    seen: dict[str, list[int]] = saved["seen"] if saved else {c: [0, 0, 0, 0] for c in codes}
    latencies: list[int] = []
    config = KisConfig(appkey="PSbenchConsumer01", appsecret="bench-consumer-secret",
                       env="real", token_cache_dir=Path(tempfile.mkdtemp()))  # fmt: skip
    rt = GatewayConnection(
        config, realtime.registry(), redis, name=name,
        resume_from=saved["checkpoint"] if saved else None, heartbeat=1.0,
    )  # fmt: skip

    def save() -> None:
        data = {"seen": seen, "checkpoint": rt.checkpoint(), "latency_us": _pcts(latencies)}
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, state_file)

    def reset_latency() -> None:
        latencies.clear()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, reset_latency)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    async def saver() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.1)
            save()

    async def consume() -> None:
        n = 0
        async for record in rt.records():
            code = record.mksc_shrn_iscd  # type: ignore[attr-defined]
            number = record.cntg_vol  # type: ignore[attr-defined]
            entry = seen[code]
            if number <= entry[1]:
                entry[2] += 1
                continue
            if number != entry[1] + 1:
                entry[3] += 1
            entry[0] += 1
            entry[1] = number
            n += 1
            if n % 8 == 0:
                latencies.append(time.time_ns() // 1000 - int(record.acml_tr_pbmn))  # type: ignore[attr-defined]

    async with rt:
        for code in codes:
            await rt.subscribe("H0STCNT0", code)
        save()
        print(json.dumps({"ready": name}), flush=True)
        tasks = [asyncio.create_task(saver()), asyncio.create_task(consume())]
        await stop.wait()
        for task in tasks:
            task.cancel()
        save()


def _pcts(values: list[int]) -> dict[str, float]:
    if len(values) < 2:
        return {}
    ordered = sorted(values)
    return {
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "n": len(ordered),
    }


# -- the coordinator --


class Proc:
    """A child process speaking JSON lines."""

    def __init__(self, *args: str) -> None:
        self.p = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    def read(self) -> dict[str, Any]:
        assert self.p.stdout is not None
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.p.args} ended (code {self.p.poll()})")
        return dict(json.loads(line))

    def ask(self, command: str) -> dict[str, Any]:
        assert self.p.stdin is not None
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return self.read()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--role", choices=["coordinator", "gateway", "consumer"], default="coordinator"
    )
    parser.add_argument("--redis")
    parser.add_argument("--feed")
    parser.add_argument("--name")
    parser.add_argument("--codes")
    parser.add_argument("--state")
    parser.add_argument("--consumers", type=int, default=8)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--app-keys", type=int, default=5)
    parser.add_argument("--records", type=int, default=600_000, help="throughput phase")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.role == "gateway":
        asyncio.run(run_gateway(args.redis, args.feed, args.app_keys))
        return 0
    if args.role == "consumer":
        asyncio.run(run_consumer(args.redis, args.name, args.codes.split(","), Path(args.state)))
        return 0
    results = coordinate(args)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results)
    return 0 if results["ok"] else 1


def coordinate(args: argparse.Namespace) -> dict[str, Any]:
    from tests.redis_server import RedisServer, find_redis_server

    binary = find_redis_server()
    if binary is None:
        raise SystemExit("redis-server is not installed (make install does it as root)")
    redis = RedisServer(binary)
    redis.start()
    work = Path(tempfile.mkdtemp(prefix="kisapi-gw-bench-"))
    procs: list[Proc] = []
    consumers: dict[int, Proc] = {}
    try:
        feed = Proc("-m", "tests.gateway.feed")
        procs.append(feed)
        feed_url = feed.read()["url"]
        gateway = Proc(__file__, "--role", "gateway", "--redis", redis.url, "--feed", feed_url,
                       "--app-keys", str(args.app_keys))  # fmt: skip
        procs.append(gateway)
        gateway.read()
        wants = {i: codes_for(i, args.consumers, args.pairs) for i in range(args.consumers)}

        def start(i: int) -> Proc:
            proc = Proc(__file__, "--role", "consumer", "--redis", redis.url, "--name", f"c{i}",
                        "--codes", ",".join(wants[i]), "--state", str(work / f"c{i}.json"))  # fmt: skip
            return proc

        started = time.perf_counter()
        consumers = {i: start(i) for i in range(args.consumers)}
        for proc in consumers.values():
            proc.read()
        subscribe_s = time.perf_counter() - started
        stats = feed.ask("stats")
        layout = {
            "open_kis_sessions": len(stats["registered"]),
            "registrations_per_session": sorted(stats["registered"]),
            "second_sessions_refused": stats["refused_in_use"],
            "subscribe_all_s": round(subscribe_s, 2),
        }

        # -- phase 1: paced feed, a forced KIS disconnect, two consumer crashes --
        rounds = 60
        feed.ask(f"pump {rounds} {PER_FRAME} 20000")
        time.sleep(0.8)
        dropped = feed.ask("drop")["dropped"]
        time.sleep(0.4)
        for i in (0, 1):
            consumers[i].stop(signal.SIGKILL)
        time.sleep(0.3)
        for i in (0, 1):
            consumers[i] = start(i)
            consumers[i].read()
        feed.ask("wait")
        sent = feed.ask("stats")["sent"]
        complete = wait_complete(work, wants, sent, timeout=60)
        phase1 = check(work, wants, sent)
        phase1.update(
            kis_sessions_dropped=dropped,
            records_sent=sum(sent.values()),
            complete=complete,
        )

        # -- latency at a steady 20,000 records/s, no faults --
        for proc in consumers.values():
            proc.p.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        feed.ask(f"pump 30 {PER_FRAME} 20000")
        feed.ask("wait")
        sent = feed.ask("stats")["sent"]
        wait_complete(work, wants, sent, timeout=60)
        time.sleep(0.2)
        phase1["paced_latency_us"] = merge_latency(work, wants)

        # -- phase 2: throughput --
        for proc in consumers.values():
            proc.p.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        before = dict(sent)
        per_round = args.pairs * PER_FRAME
        rounds = max(1, args.records // per_round)
        cpu0 = {"feed": cpu(feed), "gateway": cpu(gateway),
                "consumers": sum(cpu(p) for p in consumers.values()), "redis": redis_cpu(redis)}  # fmt: skip
        t0 = time.perf_counter()
        feed.ask(f"pump {rounds} {PER_FRAME}")
        feed.ask("wait")
        sent = feed.ask("stats")["sent"]
        complete2 = wait_complete(work, wants, sent, timeout=120, poll=0.02)
        elapsed = time.perf_counter() - t0
        cpu1 = {"feed": cpu(feed), "gateway": cpu(gateway),
                "consumers": sum(cpu(p) for p in consumers.values()), "redis": redis_cpu(redis)}  # fmt: skip
        ingested = sum(sent.values()) - sum(before.values())
        delivered = sum(sent[c] - before.get(c, 0) for i in wants for c in wants[i])
        phase2 = check(work, wants, sent)
        phase2.update(
            complete=complete2,
            records=ingested,
            seconds=round(elapsed, 3),
            records_per_s=round(ingested / elapsed),
            deliveries_per_s=round(delivered / elapsed),
            latency_us=merge_latency(work, wants),
            cpu_s={k: round(cpu1[k] - cpu0[k], 2) for k in cpu0},
        )
        pipeline_cpu = sum(cpu1.values()) - sum(cpu0.values())
        # The machine is shared: what the whole pipeline (feed, gateway, redis, consumers)
        # would sustain on 2 cores of its own, from the CPU time it used.
        phase2["cpu_bound_records_per_s"] = round(ingested / (pipeline_cpu / 2))
        phase2["load_average"] = round(os.getloadavg()[0], 1)
        ok = (
            layout["open_kis_sessions"] == args.app_keys
            and max(layout["registrations_per_session"]) <= 40
            and sum(layout["registrations_per_session"]) == args.pairs
            and layout["second_sessions_refused"] == 0
            and phase1["lost"] == 0 and phase1["duplicated"] == 0 and complete
            and phase2["lost"] == 0 and phase2["duplicated"] == 0 and complete2
            and phase2["records_per_s"] >= TARGET_RATE
        )  # fmt: skip
        return {"ok": ok, "layout": layout, "disconnect_and_restart": phase1, "throughput": phase2,
                "consumers": args.consumers, "pairs": args.pairs, "app_keys": args.app_keys,
                "records_per_frame": PER_FRAME}  # fmt: skip
    finally:
        for proc in consumers.values():
            proc.stop()
        for proc in reversed(procs):
            proc.stop()
        redis.stop()


def _ticks(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu(proc: Proc) -> float:
    """CPU seconds a child has used so far (Linux; 0 elsewhere)."""
    return _ticks(proc.p.pid)


def redis_cpu(server: Any) -> float:
    return _ticks(server.proc.pid) if server.proc is not None else 0.0


def _states(work: Path, wants: dict[int, list[str]]) -> dict[int, dict[str, Any]]:
    states = {}
    for i in wants:
        try:
            states[i] = json.loads((work / f"c{i}.json").read_text())
        except (OSError, ValueError):
            states[i] = {"seen": {}}
    return states


def wait_complete(
    work: Path, wants: dict[int, list[str]], sent: dict[str, int], timeout: float, poll: float = 0.1
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = _states(work, wants)
        if all(
            states[i]["seen"].get(c, [0, 0])[1] >= sent.get(c, 0) for i in wants for c in wants[i]
        ):
            return True
        time.sleep(poll)
    return False


def check(work: Path, wants: dict[int, list[str]], sent: dict[str, int]) -> dict[str, Any]:
    lost = duplicated = gaps = 0
    for i, state in _states(work, wants).items():
        for code in wants[i]:
            count, _last, dups, holes = state["seen"].get(code, [0, 0, 0, 0])
            lost += sent.get(code, 0) - count
            duplicated += dups
            gaps += holes
    return {"lost": lost, "duplicated": duplicated, "gaps": gaps}


def merge_latency(work: Path, wants: dict[int, list[str]]) -> dict[str, float]:
    parts = [s.get("latency_us") or {} for s in _states(work, wants).values()]
    parts = [p for p in parts if p]
    if not parts:
        return {}
    return {
        "p50_ms": round(statistics.median(p["p50"] for p in parts) / 1000, 2),
        "p99_ms": round(max(p["p99"] for p in parts) / 1000, 2),
    }


def report(r: dict[str, Any]) -> None:
    lay, p1, p2 = r["layout"], r["disconnect_and_restart"], r["throughput"]
    print(f"gateway: {r['consumers']} consumer processes, {r['pairs']} (TR, key) pairs, "
          f"{r['app_keys']} app keys, KIS frames of {r['records_per_frame']} records")  # fmt: skip
    print(f"  KIS sessions open             {lay['open_kis_sessions']} (one per app key; "
          f"second sessions refused: {lay['second_sessions_refused']})")  # fmt: skip
    print(f"  registrations per session     {lay['registrations_per_session']} (limit 40)")
    print(f"  all consumers subscribed in   {lay['subscribe_all_s']} s")
    print(f"  forced KIS disconnect + 2 consumer restarts: {p1['records_sent']} records sent, "
          f"lost {p1['lost']}, duplicated {p1['duplicated']}, gaps {p1['gaps']}, "
          f"latency at 20,000 records/s: p50 {p1['paced_latency_us'].get('p50_ms')} ms "
          f"p99 {p1['paced_latency_us'].get('p99_ms')} ms")  # fmt: skip
    print(f"  throughput: {p2['records']} records in {p2['seconds']} s = "
          f"{p2['records_per_s']:,} records/s through the gateway "
          f"({p2['deliveries_per_s']:,} deliveries/s to consumers; target >= {TARGET_RATE:,}); "
          f"lost {p2['lost']}, duplicated {p2['duplicated']}; latency p50 "
          f"{p2['latency_us'].get('p50_ms')} ms p99 {p2['latency_us'].get('p99_ms')} ms")  # fmt: skip
    print(f"  CPU seconds in the throughput phase: {p2['cpu_s']}; on 2 cores of its own the "
          f"pipeline would sustain {p2['cpu_bound_records_per_s']:,} records/s "
          f"(load average during the run: {p2['load_average']})")  # fmt: skip
    print(f"  {'PASS' if r['ok'] else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
