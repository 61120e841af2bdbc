"""Which rate limiter a client gets: per process, machine-wide (default) or through Redis.

KIS counts calls per app key, so every client of one app key in a process shares one limiter,
and by default every process of the machine shares its schedule (``shared_limits``);
``limits_url`` shares it between machines.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .config import KisConfig
from .ratelimit import RateLimiter
from .secret import get_logger

__all__ = ["build_limiter", "limits_path", "shared_limiter"]

log = get_logger("limits")

_limiters: dict[tuple[object, ...], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limits_path(config: KisConfig) -> Path:
    """The machine-wide schedule file of ``config``'s app key (named by a hash of it)."""
    folder = config.limits_dir or config.token_cache_dir
    return folder / f"ratelimit-{config.app_id}.gcra"


def machine_limiter(config: KisConfig, rate: float) -> RateLimiter:
    """A limiter shared by this machine's processes, else (no POSIX file lock, the folder
    unusable) one for this process, with a warning."""
    from .shared_limits import SharedRateLimiter

    path = limits_path(config)
    try:
        return SharedRateLimiter(rate, path)
    except OSError as exc:
        log.warning(
            "cannot share the rate limit with this machine's other processes (%s on %s); "
            "limiting this process alone",
            type(exc).__name__,
            path.parent,
        )
        return RateLimiter(rate)


def build_limiter(config: KisConfig) -> RateLimiter:
    """A new limiter for ``config`` (see :func:`shared_limiter` for the one clients use)."""
    rate = config.calls_per_second
    if rate <= 0:
        return RateLimiter(0.0)
    if config.limits_url is not None:
        from .redis_limits import RedisRateLimiter

        fallback = None
        if config.limits_fallback == "local":

            def fallback(share: float) -> RateLimiter:
                return machine_limiter(config, share)

        return RedisRateLimiter(config, rate, fallback=fallback)
    if config.shared_limits:
        return machine_limiter(config, rate)
    return RateLimiter(rate)


def shared_limiter(config: KisConfig) -> RateLimiter:
    """One limiter per (app key, environment, host, way of sharing) in this process."""
    key = (
        config.appkey.reveal(),
        config.app_id,
        config.calls_per_second,
        config.shared_limits,
        str(limits_path(config)),
        config.limits_url,
        config.limits_fallback,
    )
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = build_limiter(config)
        return limiter
