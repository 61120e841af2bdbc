"""Realtime soak: a live local KIS-like WebSocket server, 40 registrations, ticks flowing, and
the connection cut every minute. Passes when no subscription is ever lost or duplicated.

    python benchmarks/soak_realtime.py --minutes 10 --drop-every 60

Traffic stays on 127.0.0.1; the run is bounded by --minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kisapi import realtime
from kisapi_runtime.realtime.connection import RealtimeConnection
from tests.realtime.fakes import FakeClient
from tests.realtime.wsserver import KisWsServer

CODES = [f"{n:06d}" for n in range(5930, 5930 + 40)]


def tick(code: str, seq: int) -> str:
    spec = realtime.spec("H0STCNT0")
    values = [code, f"{90000 + seq % 60000:06d}", str(70000 + seq % 100)] + ["1"] * (
        len(spec.record.FIELDS) - 3
    )
    return "0|H0STCNT0|001|" + "^".join(values)


async def soak(minutes: float, drop_every: float, rate: float) -> int:
    deadline = time.monotonic() + minutes * 60
    received: Counter[str] = Counter()
    problems: list[str] = []
    async with KisWsServer() as server:
        conn = RealtimeConnection(
            FakeClient(server.url, Path(tempfile.mkdtemp())), realtime.registry(), url=server.url
        )
        async with conn:
            for code in CODES:
                await conn.subscribe("H0STCNT0", code)

            async def consume() -> None:
                async for record in conn.records():
                    received[str(record.raw["MKSC_SHRN_ISCD"])] += 1

            consumer = asyncio.create_task(consume())
            seq, next_drop, drops = 0, time.monotonic() + drop_every, 0
            while time.monotonic() < deadline:
                if time.monotonic() >= next_drop:
                    before = len(server.sessions)
                    server.drop()
                    drops += 1
                    next_drop += drop_every
                    await server.wait_until(
                        lambda before=before: (
                            len(server.sessions) > before and bool(server.sessions[-1].open)
                        ),
                        30,
                    )
                    await server.wait_until(
                        lambda: len(server.current.registrations) == len(CODES), 30
                    )
                    session = server.current
                    dupes = [r for r, n in session.subscribes.items() if n > 1]
                    if session.registrations != {("H0STCNT0", c) for c in CODES} or dupes:
                        problems.append(
                            f"after drop {drops}: {len(session.registrations)} registrations, duplicates {dupes}"
                        )
                    counts_before = dict(received)
                    await server.push(*(tick(c, seq) for c in CODES))
                    await asyncio.sleep(0.5)
                    silent = [c for c in CODES if received[c] <= counts_before.get(c, 0)]
                    if silent:
                        problems.append(f"after drop {drops}: no ticks for {silent[:5]}")
                    print(f"drop {drops}: session {len(server.sessions)}, 40/40 registrations, "
                          f"{sum(received.values()):,} records so far", flush=True)  # fmt: skip
                # while a session is being replaced the push fails; the next round pushes again
                with contextlib.suppress(Exception):
                    await server.push(*(tick(c, seq) for c in CODES))
                seq += 1
                await asyncio.sleep(len(CODES) / rate)
            consumer.cancel()
        stats = conn.stats
    print(f"soak {minutes:g} min: {drops} forced drops, {stats.reconnects} reconnects, "
          f"{stats.frames:,} frames, {stats.records:,} records, {stats.bad_frames} bad, {stats.dropped} dropped; "
          f"subscriptions lost or duplicated: {len(problems)}")  # fmt: skip
    for problem in problems:
        print("  PROBLEM:", problem)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--drop-every", type=float, default=60)
    parser.add_argument("--rate", type=float, default=2000, help="frames per second")
    args = parser.parse_args()
    return asyncio.run(soak(args.minutes, args.drop_every, args.rate))


if __name__ == "__main__":
    sys.exit(main())
