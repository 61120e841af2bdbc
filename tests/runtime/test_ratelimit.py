"""RateLimiter: slot spacing, bursts, and no more than the rate under concurrency."""

from __future__ import annotations

import asyncio
import bisect
import math
import threading
import time
from contextvars import ContextVar

import pytest

from kisapi_runtime.ratelimit import RateLimiter


class FakeMonotonic:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def max_in_window(stamps: list[float], window: float) -> int:
    """The largest number of timestamps in any half-open interval ``[t, t + window)``."""
    ordered = sorted(stamps)
    return max(bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered))


def join_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join()


_clock_read: ContextVar[float] = ContextVar("clock_read")
_slot: ContextVar[float] = ContextVar("slot")


def _recording_monotonic() -> float:
    now = time.monotonic()
    _clock_read.set(now)
    return now


class RecordingLimiter(RateLimiter):
    """A real-time limiter that remembers, per thread or task, the slot it last handed out."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        super().__init__(rate, burst=burst, clock=_recording_monotonic)

    def reserve(self) -> float:
        wait = super().reserve()
        _slot.set(_clock_read.get() + wait)
        return wait


class Calls:
    """Slot and actual send time of every call, from any thread or task."""

    def __init__(self) -> None:
        self.slots: list[float] = []
        self.sent: list[float] = []
        self._lock = threading.Lock()

    def record(self) -> None:
        sent = time.monotonic()
        with self._lock:
            self.slots.append(_slot.get())
            self.sent.append(sent)


def assert_within_rate(calls: Calls, rate: float, burst: int) -> None:
    """No window of ``n`` slot lengths holds more than ``n + burst`` calls.

    The slots the limiter hands out obey that exactly. Real send times can only be later than
    their slot; a sleeper that wakes late bunches up with the next callers (asyncio wakes up
    to ~1.5 ms late: epoll timeouts are whole milliseconds), so the bound on send times grows
    by the slots that the worst lateness spans. With slots longer than that lateness, which the
    rates below ensure unless the machine is overloaded, it is exactly ``n + burst``.
    """
    interval = 1.0 / rate
    eps = 1e-9
    lateness = [sent - slot for sent, slot in zip(calls.sent, calls.slots, strict=True)]
    assert min(lateness) >= -eps, "a call went before its slot"
    late_slots = math.ceil(max(lateness) / interval)
    for n in (1, 2, 5, 20, 50):
        window = n * interval - 1e-6
        assert max_in_window(calls.slots, window) <= n + burst - 1, n
        assert max_in_window(calls.sent, window) <= n + burst - 1 + max(late_slots, 1), (
            n,
            max(lateness),
        )


def test_reservations_are_spaced_one_interval_apart() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(4.0, clock=clock)
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, 0.25, 0.5, 0.75])
    clock.now += 2.0  # idle time does not bank extra calls beyond the burst
    assert [limiter.reserve() for _ in range(2)] == pytest.approx([0.0, 0.25])


def test_acquire_sleeps_for_the_reserved_wait() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(10.0, clock=clock)
    start = clock.now
    for _ in range(5):
        limiter.acquire(clock.sleep)
    assert clock.now - start == pytest.approx(0.4)


def test_burst_allows_back_to_back_calls_then_spaces_them() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(2.0, burst=3, clock=clock)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])
    clock.now += 10.0
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.5])


def test_burst_refills_at_the_rate() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(2.0, burst=3, clock=clock)
    for _ in range(3):
        assert limiter.reserve() == 0.0
    clock.now += 0.5  # one slot's worth of time frees exactly one slot
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(0.5)


@pytest.mark.parametrize("rate", [0.0, -1.0])
async def test_non_positive_rate_disables(rate: float) -> None:
    limiter = RateLimiter(rate, clock=lambda: pytest.fail("clock must not be read"))
    assert not limiter.enabled
    assert limiter.rate == rate
    assert all(limiter.reserve() == 0.0 for _ in range(1000))
    limiter.acquire(lambda s: pytest.fail("must not sleep"))
    await limiter.aacquire()


def test_invalid_burst() -> None:
    with pytest.raises(ValueError):
        RateLimiter(1.0, burst=0)


def test_repr_and_properties() -> None:
    limiter = RateLimiter(20.0, burst=2)
    assert limiter.rate == 20.0 and limiter.burst == 2 and limiter.enabled
    assert repr(limiter) == "RateLimiter(rate=20.0, burst=2)"


def test_concurrent_reservations_get_distinct_slots() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(100.0, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = [limiter.reserve() for _ in range(50)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots = sorted(round(w * 100) for w in waits)
    assert slots == list(range(400))


async def test_many_tasks_never_exceed_the_rate() -> None:
    rate, burst = 500.0, 1
    limiter = RecordingLimiter(rate, burst)
    calls = Calls()

    async def call() -> None:
        await limiter.aacquire()
        calls.record()

    await asyncio.gather(*(call() for _ in range(200)))
    assert len(calls.sent) == 200
    # All reserved at once: the slots run back to back, none wasted.
    assert max(calls.slots) - min(calls.slots) == pytest.approx(199 / rate, abs=1e-6)
    assert_within_rate(calls, rate, burst)


def test_many_threads_never_exceed_the_rate() -> None:
    rate, burst = 500.0, 2
    limiter = RecordingLimiter(rate, burst)
    calls = Calls()

    def worker() -> None:
        for _ in range(25):
            limiter.acquire()
            calls.record()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    join_all(threads)
    assert len(calls.sent) == 200
    assert max(calls.slots) - min(calls.slots) >= (200 - burst) / rate - 1e-6
    assert_within_rate(calls, rate, burst)


async def test_sync_and_async_callers_share_one_limiter() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(10.0, clock=clock)
    sync_waits: list[float] = []
    limiter.acquire(sync_waits.append)  # first slot: no wait
    limiter.acquire(sync_waits.append)
    assert sync_waits == pytest.approx([0.1])
    # The async caller queues behind both sync reservations.
    assert limiter.reserve() == pytest.approx(0.2)
    clock.now += 0.3
    await limiter.aacquire()  # its slot is due now: returns at once
    assert limiter.reserve() == pytest.approx(0.1)


async def test_sync_threads_and_async_tasks_together_stay_within_rate() -> None:
    rate = 500.0
    limiter = RecordingLimiter(rate)
    calls = Calls()

    def thread_worker() -> None:
        for _ in range(20):
            limiter.acquire()
            calls.record()

    async def task() -> None:
        await limiter.aacquire()
        calls.record()

    threads = [threading.Thread(target=thread_worker) for _ in range(3)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task() for _ in range(60)))
    await asyncio.to_thread(join_all, threads)
    assert len(calls.sent) == 120
    assert_within_rate(calls, rate, 1)
