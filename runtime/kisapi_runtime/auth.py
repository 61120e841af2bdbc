"""Access tokens, the WebSocket approval key and hashkeys (``/oauth2/*``, ``/uapi/hashkey``).

Every token issue sends the account holder a phone notification and KIS allows one a minute
per app key (``EGW00133``), so tokens are cached on disk per (app key, environment), shared by
all of the user's processes, refreshed ahead of expiry and never issued twice within a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import stat
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final, NamedTuple

import filelock
import httpx

from .config import KisConfig
from .errors import (
    KisApiError,
    KisAuthError,
    KisConnectionError,
    KisLimitStoreError,
    KisTimeoutError,
)
from .secret import REDACTOR, get_logger
from .token_store import SharedTokenStore, TokenEntry

__all__ = [
    "ISSUE_INTERVAL",
    "ApprovalKeyManager",
    "TokenManager",
    "ahashkey",
    "hashkey",
    "shared_token_manager",
    "token_cache_path",
]

log = get_logger("auth")

ISSUE_INTERVAL: Final = 60.0
"""KIS issues at most one access token a minute per app key."""
TOO_FREQUENT: Final = "EGW00133"
DEFAULT_LIFETIME: Final = 86400.0
KST: Final = timezone(timedelta(hours=9))
_JSON_HEADERS: Final = {"content-type": "application/json; charset=utf-8"}
CLOCK_SKEW: Final = 5.0
"""Seconds a cache's issue time may lie in the future before it is distrusted."""
# invalidate() may run on an event loop: never block it for long on another process's lock.
_INVALIDATE_LOCK_TIMEOUT: Final = 0.5


# Looked up on first async use: importing filelock's asyncio module costs ~15 ms at start-up.
def _async_file_lock() -> type[filelock.AsyncFileLock]:
    return filelock.AsyncFileLock


def token_cache_path(config: KisConfig) -> Path:
    """The token cache file for ``config``'s (app key, environment).

    A host other than KIS's own (a sandbox, a proxy) gets its own file, so its tokens are never
    sent to KIS and vice versa.
    """
    return config.token_cache_dir / f"token-{config.app_id}.json"


_Entry = TokenEntry


class _Backend(NamedTuple):
    """The token store a lock holder reads and writes: the disk cache or a shared store."""

    read: Callable[[], _Entry | None]
    write: Callable[[_Entry], None]


class _LoopLock:
    """An ``asyncio.Lock`` for the running loop (a manager may outlive a loop, e.g. in tests)."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None

    def get(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is None or self._loop() is not loop:
            self._lock = asyncio.Lock()
            self._loop = weakref.ref(loop)
        return self._lock

    def locked(self) -> bool:
        return self._lock is not None and self._lock.locked()


# --- HTTP helpers shared by tokens, approval keys and hashkeys ---------------------------


def _encode(payload: Mapping[str, str]) -> bytes:
    return json.dumps(dict(payload), ensure_ascii=False).encode("utf-8")


def _transport_error(path: str, exc: httpx.TransportError) -> KisConnectionError:
    cls = KisTimeoutError if isinstance(exc, httpx.TimeoutException) else KisConnectionError
    return cls(f"POST {path}: {type(exc).__name__}")


def _post(
    http: httpx.Client,
    config: KisConfig,
    path: str,
    payload: Mapping[str, str],
    headers: Mapping[str, str] = _JSON_HEADERS,
) -> httpx.Response:
    url = config.base_url + path
    try:
        return http.post(
            url, content=_encode(payload), headers=dict(headers), timeout=config.timeout
        )
    except httpx.TransportError as exc:
        raise _transport_error(path, exc) from None


async def _apost(
    http: httpx.AsyncClient,
    config: KisConfig,
    path: str,
    payload: Mapping[str, str],
    headers: Mapping[str, str] = _JSON_HEADERS,
) -> httpx.Response:
    url = config.base_url + path
    try:
        return await http.post(
            url, content=_encode(payload), headers=dict(headers), timeout=config.timeout
        )
    except httpx.TransportError as exc:
        raise _transport_error(path, exc) from None


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _error(
    what: str, response: httpx.Response, body: dict[str, Any] | None, cls: type[KisApiError]
) -> KisApiError:
    """The error for a failed auth call; KIS's token errors carry ``error_code`` and no rt_cd."""
    body = body or {}
    code = body.get("error_code") or body.get("msg_cd")
    text = body.get("error_description") or body.get("msg1")
    if not text:
        text = f"{what} failed (HTTP {response.status_code})"
    rt_cd = body.get("rt_cd")
    return cls(
        rt_cd=None if rt_cd is None else str(rt_cd),
        msg_cd=None if code is None else str(code),
        # The redactor knows the app key, secret and every token: none of them can leak here.
        msg1=REDACTOR.redact(str(text)),
        status_code=response.status_code,
    )


def _failed(response: httpx.Response, body: dict[str, Any] | None) -> bool:
    if response.status_code != 200 or body is None or "error_code" in body:
        return True
    return "rt_cd" in body and str(body["rt_cd"]) != "0"


# --- access tokens ------------------------------------------------------------------------


class TokenManager:
    """Hands out a valid access token: from memory, else the disk cache, else a new issue.

    One manager serves all threads and tasks of a client; the disk cache and its file lock
    extend that to every process using the same app key and environment, and a shared
    ``store`` (Redis, ``limits_url``) to every machine.
    """

    def __init__(
        self,
        config: KisConfig,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        refresh_margin: float = 600.0,
        store: SharedTokenStore | None = None,
    ) -> None:
        self._config = config
        self._shared = store
        self._shared_backend = None if store is None else _Backend(store.read, store.write)
        self._files = _Backend(self._read, self._write)
        self._clock = clock
        self._sleep = sleep
        self._asleep = asleep
        self._margin = refresh_margin
        self._path = token_cache_path(config)
        self._lock_path = str(self._path) + ".lock"
        # Long enough for a holder that waits out the 1/min rule and EGW00133 and issues twice.
        self._lock_timeout = 2 * ISSUE_INTERVAL + 4 * config.timeout + 30.0
        self._current: _Entry | None = None
        self._last_issue: float | None = None
        self._refused: dict[str, float] = {}  # token -> when KIS refused it
        self._disk: bool | None = None
        self._thread_lock = threading.Lock()
        self._loop_lock = _LoopLock()
        self._state_lock = threading.Lock()

    def __repr__(self) -> str:
        state = "none" if self._current is None else "cached"
        return f"TokenManager(env={self._config.env!r}, token={state})"

    @property
    def cache_path(self) -> Path:
        return self._path

    # -- public API --

    def get(self, http: httpx.Client) -> str:
        """A valid access token; may block while another caller or process issues one."""
        token = self._from_memory()
        if token is not None:
            return token
        with self._thread_lock:
            token = self._from_memory()
            if token is not None:
                return token
            with self._file_lock() as disk:
                entry = disk.read() if disk else None
                token = self._adopt(entry)
                if token is not None:
                    return token
                wait = self._wait_before_issue(entry)
                if wait > 0:
                    self._sleep(wait)
                for attempt in range(2):
                    issued_at = self._clock()
                    response = _post(http, self._config, "/oauth2/tokenP", self._issue_body())
                    try:
                        return self._accept(response, issued_at, disk)
                    except KisAuthError as exc:
                        if exc.msg_cd != TOO_FREQUENT or attempt:
                            raise
                    self._sleep(self._too_frequent())
        raise AssertionError("unreachable")

    async def aget(self, http: httpx.AsyncClient) -> str:
        """Like :meth:`get`, without blocking the event loop while waiting."""
        token = self._from_memory()
        if token is not None:
            return token
        async with self._loop_lock.get():
            token = self._from_memory()
            if token is not None:
                return token
            async with self._afile_lock() as disk:
                entry = disk.read() if disk else None
                token = self._adopt(entry)
                if token is not None:
                    return token
                wait = self._wait_before_issue(entry)
                if wait > 0:
                    await self._asleep(wait)
                for attempt in range(2):
                    issued_at = self._clock()
                    response = await _apost(
                        http, self._config, "/oauth2/tokenP", self._issue_body()
                    )
                    try:
                        return self._accept(response, issued_at, disk)
                    except KisAuthError as exc:
                        if exc.msg_cd != TOO_FREQUENT or attempt:
                            raise
                    await self._asleep(self._too_frequent())
        raise AssertionError("unreachable")

    def invalidate(self, token: str) -> None:
        """KIS refused ``token`` (EGW00121/EGW00123): forget it unless it was already replaced.

        The next :meth:`get` issues a new one, still no sooner than a minute after the last.
        """
        with self._state_lock:
            self._refused[token] = self._clock()
            if self._current is not None and self._current.token == token:
                self._current = None
        # While this process is issuing, the new token replaces the refused one on disk anyway.
        if self._thread_lock.locked() or self._loop_lock.locked():
            return
        if self._shared is not None:
            self._invalidate_shared(self._shared, token)
            return
        if not self._disk_ready():
            return
        lock = filelock.FileLock(self._lock_path, timeout=_INVALIDATE_LOCK_TIMEOUT, mode=0o600)
        try:
            with lock:
                entry = self._read()
                if entry is not None and entry.token == token:
                    self._write(_Entry("", 0.0, entry.issued_at))
        except OSError:  # filelock.Timeout included
            # Another process holds the cache; get() skips the refused token all the same.
            log.debug("token cache busy; the refused token stays on disk for now")

    def _invalidate_shared(self, store: SharedTokenStore, token: str) -> None:
        handle = store.try_acquire(_INVALIDATE_LOCK_TIMEOUT)
        if handle is None:
            log.debug("token store busy or unreachable; the refused token stays there for now")
            return
        try:
            entry = store.read()
            if entry is not None and entry.token == token:
                store.write(_Entry("", 0.0, entry.issued_at))
        except KisLimitStoreError:
            log.debug("token store unreachable; the refused token stays there for now")
        finally:
            store.release(handle)

    def revoke(self, http: httpx.Client) -> None:
        """Revoke the current token at KIS (``/oauth2/revokeP``) and drop it from the cache."""
        with self._thread_lock, self._file_lock() as disk:
            token = self._drop(disk)
            if token:
                response = _post(http, self._config, "/oauth2/revokeP", self._revoke_body(token))
                self._check_revoked(response)

    async def arevoke(self, http: httpx.AsyncClient) -> None:
        """Like :meth:`revoke`, for the async client."""
        async with self._loop_lock.get(), self._afile_lock() as disk:
            token = self._drop(disk)
            if token:
                response = await _apost(
                    http, self._config, "/oauth2/revokeP", self._revoke_body(token)
                )
                self._check_revoked(response)

    # -- decisions shared by the sync and async paths --

    def _usable(self, entry: _Entry) -> bool:
        if not entry.token:
            return False
        refused_at = self._refused.get(entry.token)
        # KIS may hand the same token out again; only a copy issued before the refusal is bad.
        if refused_at is not None and (entry.issued_at is None or entry.issued_at <= refused_at):
            return False
        margin = self._margin
        if entry.issued_at is not None:
            # A token that lives shorter than twice the margin would be refreshed at every call.
            margin = min(margin, (entry.expires_at - entry.issued_at) / 2)
        return entry.expires_at - self._clock() > margin

    def _from_memory(self) -> str | None:
        entry = self._current
        return entry.token if entry is not None and self._usable(entry) else None

    def _adopt(self, entry: _Entry | None) -> str | None:
        """Called under the locks: take a usable token from memory or ``entry`` (the disk)."""
        token = self._from_memory()
        if token is not None:
            return token
        if entry is not None and entry.issued_at is not None:
            if entry.issued_at > self._clock() + CLOCK_SKEW:
                log.warning(
                    "ignoring the token cache %s: it says the token was issued %.0f s in the "
                    "future (the clock stepped back?)",
                    self._path,
                    entry.issued_at - self._clock(),
                )
                return None
            self._last_issue = max(self._last_issue or 0.0, entry.issued_at)
        if entry is None or not self._usable(entry):
            return None
        REDACTOR.add(entry.token)
        self._set_current(entry)
        log.debug("using the access token cached in %s", self._path)
        return entry.token

    def _set_current(self, entry: _Entry | None) -> None:
        with self._state_lock:
            self._current = entry

    def _wait_before_issue(self, entry: _Entry | None) -> float:
        issued = [self._last_issue, None if entry is None else entry.issued_at]
        last = max((t for t in issued if t is not None), default=None)
        if last is None:
            return 0.0
        # Capped at KIS's rule: a last issue "in the future" (clock stepped back) never blocks
        # longer than a minute.
        wait = min(last + ISSUE_INTERVAL - self._clock(), ISSUE_INTERVAL)
        if wait > 0:
            log.warning(
                "KIS issues one access token a minute per app key: waiting %.1f s for a new one",
                wait,
            )
        return max(wait, 0.0)

    def _too_frequent(self) -> float:
        log.warning(
            "KIS refused to issue an access token (%s: once a minute); retrying in %.0f s",
            TOO_FREQUENT,
            ISSUE_INTERVAL,
        )
        return ISSUE_INTERVAL

    def _issue_body(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "appkey": self._config.appkey.reveal(),
            "appsecret": self._config.appsecret.reveal(),
        }

    def _revoke_body(self, token: str) -> dict[str, str]:
        return {
            "appkey": self._config.appkey.reveal(),
            "appsecret": self._config.appsecret.reveal(),
            "token": token,
        }

    def _accept(self, response: httpx.Response, issued_at: float, disk: _Backend | None) -> str:
        """Check an issue response, then remember the token in memory and on disk."""
        body = _json_object(response)
        if _failed(response, body) or body is None or not body.get("access_token"):
            raise _error("token issue", response, body, KisAuthError)
        token = str(body["access_token"])
        REDACTOR.add(token)
        entry = _Entry(token, _expiry(body, issued_at), issued_at)
        self._last_issue = issued_at
        self._set_current(entry)
        if disk:
            disk.write(entry)
        log.info(
            "issued a new KIS access token (%s), valid until %s KST",
            self._config.env,
            datetime.fromtimestamp(entry.expires_at, KST).strftime("%Y-%m-%d %H:%M:%S"),
        )
        return token

    def _drop(self, disk: _Backend | None) -> str:
        """Forget the current token (memory and store, keeping the issue time); return it."""
        entry = disk.read() if disk else None
        current = self._current
        token = current.token if current is not None and current.token else ""
        if not token and entry is not None:
            token = entry.token
        self._set_current(None)
        if disk and entry is not None and entry.token:
            disk.write(_Entry("", 0.0, entry.issued_at))
        return token

    def _check_revoked(self, response: httpx.Response) -> None:
        body = _json_object(response)
        if _failed(response, body):
            raise _error("token revoke", response, body, KisAuthError)
        log.info("revoked the KIS access token (%s)", self._config.env)

    # -- disk cache --

    def _disk_ready(self) -> bool:
        """Create the cache directory (0o700) once; without it tokens live in memory only."""
        if self._disk is None:
            directory = self._path.parent
            try:
                if not directory.is_dir():
                    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                    os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask
                else:
                    _tighten_directory(directory)
                self._disk = True
            except OSError as exc:
                log.warning(
                    "token cache directory %s is not usable (%s); tokens are kept in memory "
                    "only and other processes cannot share them",
                    directory,
                    type(exc).__name__,
                )
                self._disk = False
        return self._disk

    def _shared_failed(self, store: SharedTokenStore, exc: KisLimitStoreError) -> None:
        """Redis is unreachable: raise (``limits_fallback="fail"``) or go on with this
        machine's disk cache."""
        if self._config.limits_fallback != "local":
            raise exc
        log.warning(
            "the shared token store %s is unreachable: using this machine's token cache %s",
            store.where,
            self._path,
        )

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[_Backend | None]:
        """Hold the cross-process (or cross-machine) store lock; yields the store in use."""
        if self._shared is not None:
            try:
                handle = self._shared.acquire(self._lock_timeout)
            except KisLimitStoreError as exc:
                self._shared_failed(self._shared, exc)
            else:
                try:
                    yield self._shared_backend
                finally:
                    self._shared.release(handle)
                return
        if not self._disk_ready():
            yield None
            return
        lock = filelock.FileLock(self._lock_path, timeout=self._lock_timeout, mode=0o600)
        try:
            lock.acquire()
            held = True
        except filelock.Timeout:  # before OSError: Timeout is a TimeoutError
            raise self._lock_timeout_error() from None
        except OSError as exc:
            held = self._lock_failed(exc)
        try:
            yield self._files if held else None
        finally:
            if held:
                lock.release()

    @contextlib.asynccontextmanager
    async def _afile_lock(self) -> AsyncIterator[_Backend | None]:
        if self._shared is not None:
            try:
                handle = await self._shared.aacquire(self._lock_timeout)
            except KisLimitStoreError as exc:
                self._shared_failed(self._shared, exc)
            else:
                try:
                    yield self._shared_backend
                finally:
                    await self._shared.arelease(handle)
                return
        if not self._disk_ready():
            yield None
            return
        alock = _async_file_lock()(self._lock_path, timeout=self._lock_timeout, mode=0o600)
        try:
            await alock.acquire()
            held = True
        except filelock.Timeout:
            raise self._lock_timeout_error() from None
        except OSError as exc:
            held = self._lock_failed(exc)
        try:
            yield self._files if held else None
        finally:
            if held:
                await alock.release()

    def _lock_failed(self, exc: OSError) -> bool:
        log.warning(
            "cannot lock the token cache %s (%s); going without the disk cache this time",
            self._lock_path,
            type(exc).__name__,
        )
        return False

    def _lock_timeout_error(self) -> KisAuthError:
        return KisAuthError(
            rt_cd=None,
            msg_cd=None,
            msg1=f"timed out waiting for the token cache lock {self._lock_path}",
        )

    def _read(self) -> _Entry | None:
        if self._path.is_symlink():
            log.warning("ignoring the token cache %s: it is a symbolic link", self._path)
            return None
        try:
            raw = _read_private(self._path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read the token cache %s (%s)", self._path, type(exc).__name__)
            return None
        try:
            data = json.loads(raw)
            token = data.get("access_token") or ""
            issued_at = data.get("issued_at")
            if not isinstance(token, str):
                raise TypeError("access_token")
            entry = _Entry(
                token,
                float(data.get("expires_at") or 0.0),
                None if issued_at is None else float(issued_at),
            )
            if not all(math.isfinite(t) for t in entry[1:] if t is not None):
                raise ValueError("not a finite time")
            return entry
        except (ValueError, TypeError, AttributeError):
            log.warning("ignoring the unreadable token cache %s", self._path)
            return None

    def _write(self, entry: _Entry) -> None:
        data = {
            "access_token": entry.token,
            "expires_at": entry.expires_at,
            "issued_at": entry.issued_at,
        }
        try:
            # mkstemp creates the file readable and writable by its owner only (0o600).
            fd, tmp = tempfile.mkstemp(prefix=".token-", suffix=".tmp", dir=self._path.parent)
        except OSError as exc:
            log.warning("cannot write the token cache %s (%s)", self._path, type(exc).__name__)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            log.warning("cannot write the token cache %s (%s)", self._path, type(exc).__name__)


def _read_private(path: Path) -> bytes:
    """The file's bytes without following a symbolic link; a file others may read is made
    owner-only (with a warning) before it is trusted."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_IMODE(mode) & 0o077:
            log.warning("token cache %s was readable by others (%o); made it owner-only",
                        path, stat.S_IMODE(mode))  # fmt: skip
            os.fchmod(fd, 0o600)
        return f.read()


def _tighten_directory(directory: Path) -> None:
    """Make the user's own cache directory owner-only (with a warning); shared directories
    (sticky like /tmp, or owned by someone else) are left alone with a warning."""
    info = directory.stat()
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if not loose:
        return
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        os.chmod(directory, 0o700)
        log.warning("token cache directory %s was open to others (%o); made it owner-only",
                    directory, stat.S_IMODE(info.st_mode))  # fmt: skip
    else:
        log.warning("token cache directory %s is shared (%o); cache files stay owner-only",
                    directory, stat.S_IMODE(info.st_mode))  # fmt: skip


_managers: weakref.WeakValueDictionary[tuple[str, ...], TokenManager] = (
    weakref.WeakValueDictionary()
)
_managers_lock = threading.Lock()


def shared_token_manager(config: KisConfig) -> TokenManager:
    """One token manager per (app key, environment, host, cache file, shared store) in this
    process, so clients created side by side share one token even without a usable disk
    cache; with ``limits_url`` the token lives in Redis."""
    key = (
        config.appkey.reveal(),
        config.appsecret.reveal(),
        str(token_cache_path(config)),
        "" if config.limits_url is None else config.limits_url.reveal(),
        config.limits_fallback,
    )
    with _managers_lock:
        manager = _managers.get(key)
        if manager is None:
            store: SharedTokenStore | None = None
            if config.limits_url is not None:
                from .redis_limits import RedisTokenStore

                store = RedisTokenStore(config)
            manager = _managers[key] = TokenManager(config, store=store)
        return manager


def _expiry(body: Mapping[str, Any], issued_at: float) -> float:
    """Epoch seconds at which a token expires: ``expires_in`` after the issue, else the KST
    timestamp ``access_token_token_expired``, else KIS's usual 24 h."""
    with contextlib.suppress(TypeError, ValueError, KeyError):
        seconds = float(body["expires_in"])
        if seconds > 0:
            return issued_at + seconds
    with contextlib.suppress(TypeError, ValueError, KeyError):
        text = str(body["access_token_token_expired"]).strip()
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KST).timestamp()
    log.warning("token response has no usable expiry; assuming %.0f s", DEFAULT_LIFETIME)
    return issued_at + DEFAULT_LIFETIME


# --- WebSocket approval key ---------------------------------------------------------------


class ApprovalKeyManager:
    """The WebSocket approval key (``/oauth2/Approval``): issued once, kept in memory."""

    def __init__(self, config: KisConfig) -> None:
        self._config = config
        self._key: str | None = None
        self._thread_lock = threading.Lock()
        self._loop_lock = _LoopLock()

    def __repr__(self) -> str:
        state = "none" if self._key is None else "cached"
        return f"ApprovalKeyManager(env={self._config.env!r}, key={state})"

    def get(self, http: httpx.Client) -> str:
        key = self._key
        if key is not None:
            return key
        with self._thread_lock:
            if self._key is None:
                response = _post(http, self._config, "/oauth2/Approval", self._body())
                self._key = self._accept(response)
            return self._key

    async def aget(self, http: httpx.AsyncClient) -> str:
        key = self._key
        if key is not None:
            return key
        async with self._loop_lock.get():
            if self._key is None:
                response = await _apost(http, self._config, "/oauth2/Approval", self._body())
                self._key = self._accept(response)
            return self._key

    def invalidate(self) -> None:
        """Forget the key; the next :meth:`get` asks for a new one."""
        self._key = None

    def _body(self) -> dict[str, str]:
        # The approval endpoint names the secret "secretkey", unlike every other endpoint.
        return {
            "grant_type": "client_credentials",
            "appkey": self._config.appkey.reveal(),
            "secretkey": self._config.appsecret.reveal(),
        }

    @staticmethod
    def _accept(response: httpx.Response) -> str:
        body = _json_object(response)
        if _failed(response, body) or body is None or not body.get("approval_key"):
            raise _error("approval key", response, body, KisAuthError)
        key = str(body["approval_key"])
        REDACTOR.add(key)
        return key


# --- hashkey ------------------------------------------------------------------------------


def _hashkey_headers(config: KisConfig) -> dict[str, str]:
    return {
        **_JSON_HEADERS,
        "appkey": config.appkey.reveal(),
        "appsecret": config.appsecret.reveal(),
    }


def _hash_of(response: httpx.Response) -> str:
    body = _json_object(response)
    if _failed(response, body) or body is None or not body.get("HASH"):
        auth = response.status_code in (401, 403) or (body is not None and "error_code" in body)
        raise _error("hashkey", response, body, KisAuthError if auth else KisApiError)
    return str(body["HASH"])


def hashkey(http: httpx.Client, config: KisConfig, body: Mapping[str, str]) -> str:
    """The ``hashkey`` header value for an order ``body`` (``/uapi/hashkey``)."""
    response = _post(http, config, "/uapi/hashkey", body, _hashkey_headers(config))
    return _hash_of(response)


async def ahashkey(http: httpx.AsyncClient, config: KisConfig, body: Mapping[str, str]) -> str:
    """Like :func:`hashkey`, for the async client."""
    response = await _apost(http, config, "/uapi/hashkey", body, _hashkey_headers(config))
    return _hash_of(response)
