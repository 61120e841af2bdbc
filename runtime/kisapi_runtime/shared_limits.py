"""A rate budget shared by every process of this machine that uses one app key.

KIS counts calls per app key, not per process. The whole shared state is the GCRA's
theoretical arrival time (TAT) in a 40-byte memory-mapped file next to the token cache. A
caller takes the next slot under an OS file lock held for a few microseconds, then waits for it
outside the lock: processes are served in the order they asked, and an idle process costs
nothing (it holds no slot and runs nothing in the background).
"""

from __future__ import annotations

import math
import mmap
import os
import struct
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Final, cast

from .ratelimit import RateLimiter
from .secret import get_logger

try:
    import fcntl
except ImportError:  # Windows: no flock; the factory falls back to a per-process limiter.
    fcntl = None  # type: ignore[assignment]

__all__ = ["SHARED_LIMITS_SUPPORTED", "SharedRateLimiter", "boot_identity"]

log = get_logger("limits")

SHARED_LIMITS_SUPPORTED: Final = fcntl is not None
_MAGIC: Final = b"KISGCRA1"
# magic, boot id (16 bytes, zeros where unknown), boot epoch (wall - monotonic), TAT
_LAYOUT: Final = struct.Struct("<8s16sdd")
# Where the boot id is unknown (not Linux), the boot epoch tells boots apart: processes of one
# boot agree on it to within NTP's slewing (the file keeps its first writer's value, so this
# does not creep), while a reboot moves it by the reboot's duration.
_NO_BOOT_ID: Final = bytes(16)
_EPOCH_TOLERANCE: Final = 30.0
# A TAT further ahead than this is from another clock, not a queue (it would take 36,000
# waiting callers at 10/s).
_MAX_AHEAD: Final = 3600.0
_BOOT_ID_FILE: Final = Path("/proc/sys/kernel/random/boot_id")

_open_limiters: weakref.WeakSet[SharedRateLimiter] = weakref.WeakSet()


def boot_identity() -> tuple[bytes, float]:
    """This boot's id (Linux; zeros elsewhere) and epoch: ``time.monotonic`` is only comparable
    between processes of one boot, so a TAT written before a reboot is ignored."""
    try:
        boot = bytes.fromhex(_BOOT_ID_FILE.read_text().strip().replace("-", ""))[:16]
    except (OSError, ValueError):
        boot = b""
    return boot.ljust(16, b"\0")[:16], time.time() - time.monotonic()


class SharedRateLimiter(RateLimiter):
    """:class:`RateLimiter` whose schedule lives in ``path``, shared by every process (and
    thread, and task) that opens the same file. POSIX only (``fcntl.flock``).

    The clock must be one all processes share: ``time.monotonic`` (the default) is, on one
    boot. Processes with different rates may share a file: each spaces its own calls by its
    own interval.
    """

    def __init__(
        self,
        rate: float,
        path: str | os.PathLike[str],
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if fcntl is None:
            raise OSError("machine-wide rate limits need fcntl.flock (POSIX)")
        super().__init__(rate, burst=burst, clock=clock)
        self._path = Path(path)
        self._boot, self._epoch = boot_identity()
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._open()
        _open_limiters.add(self)

    @property
    def path(self) -> Path:
        return self._path

    def __repr__(self) -> str:
        return f"SharedRateLimiter(rate={self._rate!r}, burst={self._burst!r})"

    def _open(self) -> None:
        directory = self._path.parent
        if not directory.is_dir():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(self._path, flags, 0o600)
        try:
            if os.fstat(fd).st_size < _LAYOUT.size:
                # Extending with zeros is harmless if another process does it too.
                os.ftruncate(fd, _LAYOUT.size)
            self._map = mmap.mmap(fd, _LAYOUT.size)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._closer = weakref.finalize(self, _close, self._map, fd)

    def _reopen_after_fork(self) -> None:
        # A forked child shares the parent's open file description, and flock does not exclude
        # holders of one description: the child needs its own.
        self._lock = threading.Lock()
        if self._map is not None:
            self._closer()
            self._open()

    def close(self) -> None:
        """Unmap and close the file (the schedule stays on disk for the other processes)."""
        with self._lock:
            self._closer()
            self._map = None
            self._fd = -1

    def reserve(self) -> float:
        """Take the next slot of the machine-wide schedule; return the seconds to wait."""
        if self._rate <= 0:
            return 0.0
        with self._lock:
            shared = self._map
            if shared is None:
                raise ValueError("the shared rate limiter is closed")
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                now = self._clock()
                magic, boot, epoch, tat = cast(
                    "tuple[bytes, bytes, float, float]", _LAYOUT.unpack_from(shared)
                )
                if not self._valid(magic, boot, epoch, tat, now):
                    tat, epoch = now, self._epoch
                elif tat < now:
                    tat = now
                _LAYOUT.pack_into(shared, 0, _MAGIC, self._boot, epoch, tat + self._interval)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        return max(0.0, tat - self._tolerance - now)

    def _valid(self, magic: bytes, boot: bytes, epoch: float, tat: float, now: float) -> bool:
        """Whether the stored TAT was written on this boot (same monotonic clock) and is sane."""
        if magic != _MAGIC or boot != self._boot or not math.isfinite(tat):
            return False
        if boot == _NO_BOOT_ID and abs(epoch - self._epoch) > _EPOCH_TOLERANCE:
            return False
        return tat - now <= _MAX_AHEAD


def _close(shared: mmap.mmap, fd: int) -> None:
    shared.close()
    os.close(fd)


def _after_fork_in_child() -> None:
    for limiter in list(_open_limiters):
        try:
            limiter._reopen_after_fork()
        except OSError as exc:
            log.warning("cannot reopen the shared rate limit file (%s)", type(exc).__name__)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
