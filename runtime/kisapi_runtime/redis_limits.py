"""Rate budget and access token shared by every machine through Redis (``limits_url``).

* Rate: the GCRA's theoretical arrival time in one key per app key, advanced by one Lua script
  (atomic, one round trip, Redis's own clock so machines' clocks never matter).
* Token: one key holding the token with its expiry and issue time; a new one is issued only by
  the holder of a ``SET NX PX`` lock, so all machines together issue at most one a minute and
  the others wait for it and read it.

Needs ``pip install 'kisapi[redis]'`` (redis-py).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any, Final

import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import KisConfig, describe_url
from .errors import KisLimitStoreError
from .ratelimit import RateLimiter
from .secret import get_logger
from .token_store import TokenEntry

__all__ = [
    "FALLBACK_SHARE",
    "GCRA_SCRIPT",
    "RedisRateLimiter",
    "RedisTokenStore",
    "store_keys",
]

log = get_logger("limits")

FALLBACK_SHARE: Final = 0.25
"""With ``limits_fallback="local"``, the share of the rate each machine keeps while Redis is
unreachable (machines do not know how many of them there are: a quarter is safe for four)."""
STORE_TIMEOUT: Final = 2.0
"""Seconds to connect to, or wait for an answer from, Redis before it counts as unreachable."""
RETRY_AFTER: Final = 1.0
"""While Redis is unreachable (local fallback), seconds between attempts to reach it again."""

GCRA_SCRIPT: Final = """
-- KEYS[1]: theoretical arrival time (microseconds, Redis clock)
-- ARGV[1]: interval, ARGV[2]: tolerance (burst - 1 intervals), both in microseconds
-- returns the microseconds the caller waits before using the slot it now holds
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local after = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', after), 'PX', math.ceil((after - now) / 1000) + 1000)
local wait = tat - tonumber(ARGV[2]) - now
if wait < 0 then wait = 0 end
return math.floor(wait)
"""

_RELEASE_SCRIPT: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def store_keys(config: KisConfig) -> dict[str, str]:
    """The Redis keys of ``config``'s app key: a hash of it, never the key itself."""
    base = f"kisapi:{config.app_id}"
    return {"rate": f"{base}:rate", "token": f"{base}:token", "lock": f"{base}:token-lock"}


def _url(config: KisConfig) -> str:
    if config.limits_url is None:
        raise ValueError("limits_url is not set")
    return config.limits_url.reveal()


def _client(url: str) -> redis.Redis:
    # One quick retry covers a pooled connection the server closed (a restart); no backoff:
    # an unreachable store must be known at once.
    return redis.Redis.from_url(
        url,
        socket_timeout=STORE_TIMEOUT,
        socket_connect_timeout=STORE_TIMEOUT,
        retry=Retry(NoBackoff(), 1),
    )


def _unreachable(where: str, exc: BaseException, what: str) -> KisLimitStoreError:
    return KisLimitStoreError(
        f"the shared {what} store {where} is unreachable ({type(exc).__name__}); set "
        "limits_fallback='local' (KIS_LIMITS_FALLBACK=local) to keep going on this machine's "
        "budget meanwhile"
    )


class RedisRateLimiter(RateLimiter):
    """:class:`RateLimiter` whose schedule lives in Redis, shared by every machine.

    ``fallback`` builds the limiter used while Redis is unreachable (``limits_fallback=
    "local"``); without one, an unreachable Redis raises :class:`KisLimitStoreError`.
    """

    def __init__(
        self,
        config: KisConfig,
        rate: float,
        *,
        burst: int = 1,
        fallback: Callable[[float], RateLimiter] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rate, burst=burst, clock=clock)
        url = _url(config)
        self.where = describe_url(url)
        self._url = url
        self._key = store_keys(config)["rate"]
        self._args = (round(self._interval * 1e6), round(self._tolerance * 1e6))
        self._client = _client(url)
        self._script = self._client.register_script(GCRA_SCRIPT)
        self._async: tuple[weakref.ref[asyncio.AbstractEventLoop], Any] | None = None
        self._fallback_factory = fallback
        self._fallback: RateLimiter | None = None
        self._down_until: float | None = None  # monotonic time of the next attempt
        self._state = threading.Lock()

    def __repr__(self) -> str:
        return f"RedisRateLimiter(rate={self._rate!r}, burst={self._burst!r}, store={self.where!r})"

    def reserve(self) -> float:
        """Take the next slot of the schedule shared through Redis; return the wait."""
        if self._rate <= 0:
            return 0.0
        if self._down_until is not None and self._stay_local():
            return self._local().reserve()
        try:
            wait = self._script(keys=[self._key], args=self._args)
        except (redis.RedisError, OSError) as exc:
            return self._on_error(exc).reserve()
        self._on_success()
        return int(wait) / 1e6

    async def aacquire(self) -> None:
        """Wait (without blocking the event loop) until the caller may send."""
        if self._rate <= 0:
            return
        if self._down_until is not None and self._stay_local():
            await self._local().aacquire()
            return
        try:
            wait = int(await self._async_script()(keys=[self._key], args=self._args)) / 1e6
        except (redis.RedisError, OSError) as exc:
            await self._on_error(exc).aacquire()
            return
        self._on_success()
        if wait > 0:
            await asyncio.sleep(wait)

    def _async_script(self) -> Any:
        """The script bound to an asyncio client of the running loop (redis.asyncio
        connections belong to the loop that made them)."""
        loop = asyncio.get_running_loop()
        current = self._async
        if current is None or current[0]() is not loop:
            client = aredis.Redis.from_url(
                self._url,
                socket_timeout=STORE_TIMEOUT,
                socket_connect_timeout=STORE_TIMEOUT,
                retry=AsyncRetry(NoBackoff(), 1),
            )
            current = self._async = (weakref.ref(loop), client.register_script(GCRA_SCRIPT))
        return current[1]

    def _stay_local(self) -> bool:
        """While Redis is down: whether this call uses the local budget. One caller at a time
        probes Redis again (RETRY_AFTER apart), so a store that hangs stalls only that one."""
        now = time.monotonic()
        with self._state:
            if self._down_until is None:
                return False
            if now < self._down_until:
                return True
            self._down_until = now + RETRY_AFTER + 2 * STORE_TIMEOUT
            return False

    def _local(self) -> RateLimiter:
        with self._state:
            if self._fallback is None:
                assert self._fallback_factory is not None
                self._fallback = self._fallback_factory(self._rate * FALLBACK_SHARE)
            return self._fallback

    def _on_error(self, exc: BaseException) -> RateLimiter:
        if self._fallback_factory is None:
            raise _unreachable(self.where, exc, "rate limit") from None
        with self._state:
            first = self._down_until is None
            self._down_until = time.monotonic() + RETRY_AFTER
        if first:
            log.warning(
                "the shared rate limit store %s is unreachable (%s): this machine keeps to "
                "%.3g calls/s of its own until it is back",
                self.where,
                type(exc).__name__,
                self._rate * FALLBACK_SHARE,
            )
        return self._local()

    def _on_success(self) -> None:
        if self._down_until is not None:
            with self._state:
                was_down, self._down_until = self._down_until is not None, None
            if was_down:
                log.warning("the shared rate limit store %s is back", self.where)


class RedisTokenStore:
    """Access tokens in Redis: one JSON value per app key, issued under a ``SET NX PX`` lock."""

    def __init__(self, config: KisConfig, *, poll: float = 0.05, max_poll: float = 0.5) -> None:
        url = _url(config)
        self.where = describe_url(url)
        keys = store_keys(config)
        self._key, self._lock_key = keys["token"], keys["lock"]
        self._client = _client(url)
        self._release = self._client.register_script(_RELEASE_SCRIPT)
        self._poll, self._max_poll = poll, max_poll

    def __repr__(self) -> str:
        return f"RedisTokenStore(store={self.where!r})"

    def read(self) -> TokenEntry | None:
        try:
            raw = self._client.get(self._key)
        except (redis.RedisError, OSError) as exc:
            raise _unreachable(self.where, exc, "token") from None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            issued_at = data.get("issued_at")
            entry = TokenEntry(
                str(data.get("access_token") or ""),
                float(data.get("expires_at") or 0.0),
                None if issued_at is None else float(issued_at),
            )
        except (ValueError, TypeError, AttributeError):
            log.warning("ignoring the unreadable token in %s", self.where)
            return None
        if not all(math.isfinite(t) for t in entry[1:] if t is not None):
            return None
        return entry

    def write(self, entry: TokenEntry) -> None:
        data = {
            "access_token": entry.token,
            "expires_at": entry.expires_at,
            "issued_at": entry.issued_at,
        }
        # Kept while the token is valid, and at least long enough to remember the issue time
        # for KIS's one-a-minute rule.
        ttl = max(entry.expires_at - time.time(), 300.0)
        try:
            self._client.set(self._key, json.dumps(data), px=math.ceil(ttl * 1000))
        except (redis.RedisError, OSError) as exc:
            raise _unreachable(self.where, exc, "token") from None

    def _try_set(self, handle: str, lock_ttl: float) -> bool:
        try:
            return bool(
                self._client.set(self._lock_key, handle, nx=True, px=math.ceil(lock_ttl * 1000))
            )
        except (redis.RedisError, OSError) as exc:
            raise _unreachable(self.where, exc, "token") from None

    def acquire(self, timeout: float) -> str:
        handle, deadline, poll = uuid.uuid4().hex, time.monotonic() + timeout, self._poll
        while not self._try_set(handle, timeout):
            if time.monotonic() >= deadline:
                raise self._timeout()
            time.sleep(poll)
            poll = min(poll * 2, self._max_poll)
        return handle

    async def aacquire(self, timeout: float) -> str:
        handle, deadline, poll = uuid.uuid4().hex, time.monotonic() + timeout, self._poll
        while not await asyncio.to_thread(self._try_set, handle, timeout):
            if time.monotonic() >= deadline:
                raise self._timeout()
            await asyncio.sleep(poll)
            poll = min(poll * 2, self._max_poll)
        return handle

    def try_acquire(self, timeout: float) -> str | None:
        try:
            return self.acquire(timeout)
        except KisLimitStoreError:
            return None

    def release(self, handle: str) -> None:
        try:
            self._release(keys=[self._lock_key], args=[handle])
        except (redis.RedisError, OSError):
            # The lock expires by itself; nothing else to do.
            log.warning("cannot release the token lock in %s; it expires by itself", self.where)

    async def arelease(self, handle: str) -> None:
        await asyncio.to_thread(self.release, handle)

    def _timeout(self) -> KisLimitStoreError:
        return KisLimitStoreError(f"timed out waiting for the token lock in {self.where}")
