"""The machine-wide rate budget: one schedule in a file, shared by processes, fair, and free
while idle; the default way clients limit themselves."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import multiprocessing
import os
import struct
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kisapi import Kis
from kisapi_runtime import limits as limits_module
from kisapi_runtime.config import KisConfig
from kisapi_runtime.limits import build_limiter, limits_path, shared_limiter
from kisapi_runtime.ratelimit import RateLimiter
from kisapi_runtime.shared_limits import _LAYOUT, _MAGIC, SharedRateLimiter, boot_identity

APPKEY, APPSECRET = "PSsharedlimits000000000000000000000", "shared-limits-secret"
FROZEN_AT = 5000.0


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def frozen_clock() -> float:
    """A clock every process agrees on and that never moves: slots can only come from the file."""
    return FROZEN_AT


def _reserve_many(path: str, rate: float, count: int, start: Any, out: Any,
                  inherited: SharedRateLimiter | None) -> None:  # fmt: skip
    limiter = inherited or SharedRateLimiter(rate, path, clock=frozen_clock)
    start.wait(30)
    out.put([limiter.reserve() for _ in range(count)])


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_processes_never_share_a_slot(tmp_path: Path, method: str) -> None:
    """Processes hammering one file at once get every slot exactly once: the reserve is atomic
    across processes (fork: each child reopens the file, flock does not exclude a shared fd)."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    ctx = multiprocessing.get_context(method)
    path = str(tmp_path / "budget.gcra")
    rate, processes, count = 1000.0, 4, 20_000
    parent = SharedRateLimiter(rate, path, clock=frozen_clock)  # forked children inherit it
    start, out = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(
            target=_reserve_many,
            args=(path, rate, count, start, out, parent if method == "fork" else None),
        )
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    start.set()
    mine = [parent.reserve() for _ in range(count)]
    waits = mine + [wait for _ in workers for wait in out.get(timeout=60)]
    for w in workers:
        w.join(30)
        assert w.exitcode == 0
    slots = sorted(round(w * rate) for w in waits)
    assert slots == list(range((processes + 1) * count))


def simulate(limiters: list[RateLimiter], clock: FakeClock, slots: int, service: float,
             start_at: list[float]) -> list[tuple[float, int]]:  # fmt: skip
    """Each limiter is one busy process: it reserves, waits for its slot, spends ``service``
    seconds on the call and reserves again. Returns (slot time, process) in slot order."""
    ready = [(start_at[i], i) for i in range(len(limiters))]
    heapq.heapify(ready)
    taken: list[tuple[float, int]] = []
    while len(taken) < slots:
        at, i = heapq.heappop(ready)
        clock.now = at
        slot = at + limiters[i].reserve()
        taken.append((slot, i))
        heapq.heappush(ready, (slot + service, i))
    return sorted(taken)


def test_busy_processes_get_equal_shares(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "budget.gcra"
    limiters: list[RateLimiter] = [SharedRateLimiter(20.0, path, clock=clock) for _ in range(4)]
    taken = simulate(
        limiters, clock, 400, service=0.004, start_at=[1000.0, 1000.001, 1000.002, 1000.003]
    )
    gaps = {round(b[0] - a[0], 9) for a, b in itertools.pairwise(taken)}
    assert gaps == {0.05}  # the combined schedule is exactly 20/s
    shares = Counter(i for _, i in taken)
    assert max(shares.values()) - min(shares.values()) <= 1
    # FIFO: every window of four consecutive slots serves each process once.
    for k in range(0, 400, 4):
        assert {i for _, i in taken[k : k + 4]} == {0, 1, 2, 3}


def test_per_process_limiters_overrun_the_budget(tmp_path: Path) -> None:
    """The same four busy processes, each with its own limiter: 4x the rate (what the
    machine-wide budget prevents)."""
    clock = FakeClock()
    limiters = [RateLimiter(20.0, clock=clock) for _ in range(4)]
    taken = simulate(limiters, clock, 400, service=0.004, start_at=[1000.0] * 4)
    span = taken[-1][0] - taken[0][0]
    assert 399 / span == pytest.approx(80.0, rel=0.01)


def test_an_idle_process_costs_nothing(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "budget.gcra"
    idle = SharedRateLimiter(20.0, path, clock=clock)
    busy = SharedRateLimiter(20.0, path, clock=clock)
    assert idle.reserve() == 0.0  # used once, long ago
    threads_before = threading.active_count()
    clock.now += 10.0
    waits = [busy.reserve() for _ in range(40)]
    assert waits == pytest.approx([k * 0.05 for k in range(40)])  # the whole rate, at once
    assert threading.active_count() == threads_before  # no background work anywhere


def test_burst_and_rate_per_caller(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "budget.gcra"
    bursty = SharedRateLimiter(10.0, path, burst=3, clock=clock)
    assert [bursty.reserve() for _ in range(5)] == pytest.approx([0, 0, 0, 0.1, 0.2])
    # A slower process on the same file keeps its own spacing after the shared schedule.
    slow = SharedRateLimiter(2.0, path, clock=clock)
    assert slow.reserve() == pytest.approx(0.5)
    assert bursty.reserve() == pytest.approx(0.8)


def _write(path: Path, boot: bytes, epoch: float, tat: float, magic: bytes = _MAGIC) -> None:
    path.write_bytes(struct.pack("<8s16sdd", magic, boot, epoch, tat))


@pytest.mark.parametrize(
    "case", ["other boot", "far ahead", "not a number", "garbage", "short file"]
)
def test_a_stale_or_broken_schedule_is_ignored(tmp_path: Path, case: str) -> None:
    clock = FakeClock(1000.0)
    path = tmp_path / "budget.gcra"
    boot, epoch = boot_identity()
    if case == "other boot":
        other = bytes(b ^ 0xFF for b in boot) if boot != bytes(16) else boot
        _write(path, other, epoch + (0 if boot != bytes(16) else 1e5), 1500.0)
    elif case == "far ahead":
        _write(path, boot, epoch, 1000.0 + 7200.0)
    elif case == "not a number":
        _write(path, boot, epoch, float("nan"))
    elif case == "garbage":
        _write(path, boot, epoch, 1500.0, magic=b"NOTMINE!")
    else:
        path.write_bytes(b"\x01\x02")
    limiter = SharedRateLimiter(10.0, path, clock=clock)
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(0.1)
    assert _LAYOUT.unpack_from(path.read_bytes())[0] == _MAGIC


def test_a_schedule_of_this_boot_is_kept(tmp_path: Path) -> None:
    clock = FakeClock(1000.0)
    path = tmp_path / "budget.gcra"
    boot, epoch = boot_identity()
    _write(path, boot, epoch, 1002.0)  # another process queued callers up to 2 s ahead
    assert SharedRateLimiter(10.0, path, clock=clock).reserve() == pytest.approx(2.0)


def test_file_is_private_and_named_by_a_hash(tmp_path: Path) -> None:
    config = KisConfig(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path / "cache")
    limiter = build_limiter(config)
    assert isinstance(limiter, SharedRateLimiter)
    limiter.reserve()
    path = limits_path(config)
    assert path.parent == tmp_path / "cache" and path.exists()
    assert APPKEY not in str(path) and config.app_id in path.name
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    assert APPKEY not in repr(limiter)


def test_settings_choose_the_limiter(tmp_path: Path) -> None:
    base = {"appkey": APPKEY, "appsecret": APPSECRET, "token_cache_dir": tmp_path / "t"}
    assert type(build_limiter(KisConfig(**base, shared_limits=False))) is RateLimiter
    elsewhere = KisConfig(**base, limits_dir=tmp_path / "limits")
    assert limits_path(elsewhere).parent == tmp_path / "limits"
    assert isinstance(build_limiter(elsewhere), SharedRateLimiter)
    assert not build_limiter(KisConfig(**base, rate_limit=0)).enabled
    env = {"KIS_APPKEY": APPKEY, "KIS_APPSECRET": APPSECRET, "KIS_SHARED_LIMITS": "off",
           "KIS_LIMITS_DIR": str(tmp_path / "x")}  # fmt: skip
    config = KisConfig.from_env(env)
    assert config.shared_limits is False and config.limits_dir == tmp_path / "x"
    with pytest.raises(Exception, match="boolean"):
        KisConfig(**base, shared_limits="maybe")  # type: ignore[arg-type]


def test_clients_of_one_app_key_share_one_limiter(tmp_path: Path) -> None:
    with (
        Kis(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path) as a,
        Kis(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path) as b,
        Kis(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path, shared_limits=False) as c,
    ):  # fmt: skip
        assert a._limiter is b._limiter and isinstance(a._limiter, SharedRateLimiter)
        assert type(c._limiter) is RateLimiter


def test_unusable_folder_falls_back_to_this_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    config = KisConfig(appkey=APPKEY, appsecret=APPSECRET, limits_dir=blocker / "sub")
    with caplog.at_level(logging.WARNING, logger="kisapi.limits"):
        limiter = build_limiter(config)
    assert type(limiter) is RateLimiter and limiter.rate == config.calls_per_second
    assert "limiting this process alone" in caplog.text


def test_async_callers_wait_without_blocking_the_loop(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(50.0, tmp_path / "budget.gcra")
    ticks: list[int] = []

    async def ticker() -> None:
        for _ in range(20):
            ticks.append(1)
            await asyncio.sleep(0.005)

    async def main() -> None:
        tick = asyncio.create_task(ticker())
        await asyncio.gather(*(limiter.aacquire() for _ in range(5)))
        tick.cancel()

    asyncio.run(main())
    assert len(ticks) >= 3  # the loop ran while callers waited for their slots


def test_closed_limiter_refuses(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(10.0, tmp_path / "budget.gcra")
    limiter.close()
    limiter.close()
    with pytest.raises(ValueError, match="closed"):
        limiter.reserve()


def test_cache_is_per_config(tmp_path: Path) -> None:
    config = KisConfig(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path)
    assert shared_limiter(config) is shared_limiter(config)
    other = KisConfig(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=tmp_path, rate_limit=5)
    assert shared_limiter(other) is not shared_limiter(config)
    assert os.path.exists(limits_path(config))
    assert limits_module.shared_limiter is shared_limiter
