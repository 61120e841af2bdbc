"""One KIS realtime (WebSocket) session: subscriptions, decoding, PINGPONG and reconnects.

Subscribe and unsubscribe requests go out one at a time and each waits for its JSON reply.
A reader task echoes PINGPONG, routes replies and decodes data frames into records on a
bounded queue. When the socket drops, a supervisor reconnects with backoff and registers every
(TR ID, key) again, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Final, Literal, Protocol, Self
from urllib.parse import urlsplit

import attrs
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from ..config import KisConfig
from ..errors import (
    KisApiError,
    KisConnectionError,
    KisError,
    KisMockUnsupportedError,
    KisTimeoutError,
    KisValidationError,
)
from ..secret import REDACTOR, get_logger, guard_library_loggers
from .records import FrameDecoder, KisFrameError, RealtimeRecord, RealtimeSpec

__all__ = [
    "DEFAULT_PATH",
    "KisRealtimeError",
    "KisRealtimeLimitError",
    "KisRealtimeOverflowError",
    "Overflow",
    "RealtimeClient",
    "RealtimeConnection",
    "RealtimeStats",
    "TrOrRecord",
    "realtime_url",
]

log = get_logger("realtime")
# websockets logs every frame at DEBUG, subscribe requests (and so the approval key) included,
# truncated where the redactor cannot recognise it: its logger never goes below INFO.
_wire_log = get_logger("realtime.wire")
_wire_log.setLevel(logging.INFO)

Overflow = Literal["drop_oldest", "drop_newest", "error"]
DEFAULT_PATH: Final = "/tryitout"
"""Appended to a WebSocket URL without a path, as KIS's own samples do."""
_PING: Final = "PINGPONG"
_SUBSCRIBE: Final = "1"
_UNSUBSCRIBE: Final = "2"
_ALREADY: Final = "ALREADY IN SUBSCRIBE"
_APPROVAL_REFUSED: Final = "OPSP0011"
_MAX_CONTROL_PAYLOAD: Final = 125
_MAX_KEY: Final = 32
"""Longest realtime key sent (stock codes, overseas symbols and HTS IDs are far shorter)."""
"""Share of a record's spec fields a frame in an older KIS layout may lack at the end."""
_ATTEMPTS: Final = 3
"""Sends of one request across dropped sessions before giving up."""

Registration = tuple[str, str]
TrOrRecord = str | type[RealtimeRecord]
"""A TR ID (real or mock: the client's environment picks) or a generated record class."""


class KisRealtimeError(KisApiError):
    """KIS refused a realtime subscribe or unsubscribe request."""


class KisRealtimeLimitError(KisError):
    """A subscription would exceed the session's registration limit; nothing was sent."""


class KisRealtimeOverflowError(KisError):
    """Records were dropped because the consumer fell behind (``overflow="error"``)."""


class RealtimeClient(Protocol):
    """What the connection needs from a client (AsyncClient, or SyncClient in a thread)."""

    @property
    def config(self) -> KisConfig: ...

    def approval_key(self) -> Awaitable[str] | str: ...

    def invalidate_approval_key(self) -> None: ...


@attrs.define
class RealtimeStats:
    """Counters of one connection; ``frames`` counts every data frame, bad ones included."""

    frames: int = 0
    records: int = 0
    bad_frames: int = 0
    dropped: int = 0
    reconnects: int = 0
    oversized: int = 0
    """Sessions ended by a frame over ``max_frame_size`` (close code 1009), then resumed."""
    silences: int = 0
    """Sessions replaced after ``silence_timeout`` without data or PINGPONG."""


def realtime_url(base: str) -> str:
    """``base`` with :data:`DEFAULT_PATH` appended unless it already has a path."""
    if urlsplit(base).path not in ("", "/"):
        return base
    return base.rstrip("/") + DEFAULT_PATH


class _Dropped(KisConnectionError):
    """The session ended while a request waited for its reply."""


class _Inbox:
    """A bounded record queue applying the overflow policy; ``None`` marks the end."""

    def __init__(self, size: int, overflow: Overflow, stats: RealtimeStats) -> None:
        self._queue: asyncio.Queue[RealtimeRecord | None] = asyncio.Queue(size)
        self._overflow = overflow
        self._stats = stats
        self._overflowed = False
        self._closed = False

    def put(self, record: RealtimeRecord) -> None:
        if self._closed:
            return
        if self._queue.full():
            self._stats.dropped += 1
            if self._overflow != "drop_oldest":
                self._overflowed = self._overflow == "error"
                return
            self._queue.get_nowait()
        self._queue.put_nowait(record)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def get(self) -> RealtimeRecord | None:
        if self._overflowed:
            self._overflowed = False
            raise KisRealtimeOverflowError(
                "realtime records were dropped: the consumer is too slow"
            )
        record = await self._queue.get()
        if record is None:
            self._queue.put_nowait(None)  # every other consumer ends too
        return record


def _approval_refused(body: Mapping[str, Any]) -> bool:
    if str(body.get("rt_cd", "")) == "0":
        return False
    return body.get("msg_cd") == _APPROVAL_REFUSED or "approval" in str(body.get("msg1")).lower()


def _check(body: Mapping[str, Any], tr_id: str) -> None:
    """Raise unless the reply accepts the request ("ALREADY IN SUBSCRIBE" counts as accepted)."""
    msg1 = str(body.get("msg1") or "")
    if str(body.get("rt_cd", "")) == "0" or _ALREADY in msg1.upper():
        return
    msg_cd = body.get("msg_cd")
    raise KisRealtimeError(
        rt_cd=str(body.get("rt_cd")),
        msg_cd=None if msg_cd is None else str(msg_cd),
        msg1=msg1,
        tr_id=tr_id,
        api="realtime",
        body=body,
    )


class RealtimeConnection:
    """A KIS realtime session: ``async with RealtimeConnection(client, registry) as rt:``.

    ``registry`` maps each TR ID to its :class:`RealtimeSpec`. Records arrive on
    :meth:`records` (or :meth:`stream` for one TR); a full queue follows ``overflow``.
    """

    def __init__(
        self,
        client: RealtimeClient,
        registry: Mapping[str, RealtimeSpec],
        *,
        url: str | None = None,
        queue_size: int = 10_000,
        overflow: Overflow = "drop_oldest",
        reconnect_initial: float = 0.5,
        reconnect_max: float = 30.0,
        reconnect_jitter: float = 0.25,
        max_registrations: int = 40,
        reply_timeout: float = 10.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        max_frame_size: int | None = 1 << 20,
        silence_timeout: float | None = 60.0,
        on_frame: Callable[[str, list[RealtimeRecord]], object] | None = None,
    ) -> None:
        if overflow not in ("drop_oldest", "drop_newest", "error"):
            raise ValueError(
                f"overflow must be drop_oldest, drop_newest or error, not {overflow!r}"
            )
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        if max_frame_size is not None and max_frame_size < 1024:
            raise ValueError("max_frame_size must be at least 1024 bytes (or None: no limit)")
        if silence_timeout is not None and silence_timeout <= 0:
            raise ValueError("silence_timeout must be positive (or None: never)")
        self._client = client
        self._registry = registry
        self.url = url or realtime_url(client.config.websocket_url)
        self.stats = RealtimeStats()
        self._queue_size = queue_size
        self._overflow: Overflow = overflow
        self._backoff_initial = reconnect_initial
        self._backoff_max = reconnect_max
        self._jitter = reconnect_jitter
        self._max_registrations = max_registrations
        self._reply_timeout = reply_timeout
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._max_frame_size = max_frame_size
        self._silence_timeout = silence_timeout
        self._on_frame = on_frame
        """Takes every decoded frame instead of the queues (the gateway publishes them)."""
        self._inbox = _Inbox(queue_size, overflow, self.stats)
        self._streams: dict[str, list[_Inbox]] = {}
        self._stream_users: Counter[Registration] = Counter()
        self._stream_owned: set[Registration] = set()
        self._subs: dict[Registration, None] = {}  # ordered set
        self._ciphers: dict[str, tuple[str, str]] = {}  # TR ID -> (key, iv)
        self._decode = FrameDecoder(registry, self._ciphers).decode
        self._pending: tuple[str, str, asyncio.Future[Mapping[str, Any]]] | None = None
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()
        self._control = asyncio.Lock()
        self._opening = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"RealtimeConnection(url={self.url!r}, registrations={len(self._subs)}, "
            f"connected={self.connected})"
        )

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and not self._closed

    @property
    def registrations(self) -> tuple[Registration, ...]:
        """The (TR ID, key) pairs registered on the session, in subscription order."""
        return tuple(self._subs)

    # -- lifecycle --

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the session; raises :class:`KisConnectionError` if the first attempt fails."""
        async with self._opening:
            if self._closed:
                raise KisConnectionError("the realtime connection is closed")
            if self._task is None:
                ws = await self._open()
                self._task = asyncio.create_task(self._run(ws), name="kisapi-realtime")
        await self._wait_ready()

    async def close(self) -> None:
        """Stop reconnecting, close the socket and end every record iterator."""
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._ready.set()  # wake waiting requests: they see the connection is closed
        self._inbox.close()
        for inboxes in self._streams.values():
            for inbox in inboxes:
                inbox.close()

    # -- subscriptions --

    async def subscribe(self, tr_id: TrOrRecord, key: str | None = None) -> None:
        """Register (``tr_id``, ``key``); a no-op if already registered.

        ``tr_id`` is a TR ID or a record class; the client's environment picks the TR ID sent
        (``H0STCNI0`` becomes ``H0STCNI9`` on mock), and a TR KIS does not offer there is
        refused before anything is sent. ``key`` defaults to the configured HTS ID for TRs
        keyed by it (execution notices).
        """
        tr_id = self.tr_id_for(tr_id)
        key = self._key_for(tr_id, key)
        self._check_limit((tr_id, key))
        for attempt in range(_ATTEMPTS):
            ws = await self._wait_ready()
            async with self._control:
                if (tr_id, key) in self._subs:
                    return
                self._check_limit((tr_id, key))
                if not self._ready.is_set() or self._ws is not ws:
                    continue  # the session changed while waiting for the lock
                try:
                    body = await self._request(ws, _SUBSCRIBE, tr_id, key)
                except _Dropped:
                    if attempt + 1 < _ATTEMPTS:
                        continue
                    raise
                _check(body, tr_id)
                self._subs[(tr_id, key)] = None
                return
        raise KisConnectionError(f"could not subscribe to {tr_id}: the session keeps dropping")

    async def unsubscribe(self, tr_id: TrOrRecord, key: str | None = None) -> None:
        """Remove (``tr_id``, ``key``); a no-op if not registered."""
        tr_id = self.tr_id_for(tr_id)
        key = self._key_for(tr_id, key)
        async with self._control:
            ws = self._ws
            if (tr_id, key) not in self._subs:
                return
            if self._closed or not self._ready.is_set() or ws is None:
                # The next session simply does not register it again.
                del self._subs[(tr_id, key)]
                return
            try:
                body = await self._request(ws, _UNSUBSCRIBE, tr_id, key)
            except _Dropped:
                self._subs.pop((tr_id, key), None)
                return
            # Refused or not, it is not registered any more: KIS's error means "not found".
            self._subs.pop((tr_id, key), None)
            _check(body, tr_id)

    # -- consuming --

    async def records(self) -> AsyncIterator[RealtimeRecord]:
        """Every decoded record not claimed by a :meth:`stream`; ends when the connection closes."""
        while (record := await self._inbox.get()) is not None:
            yield record

    async def stream(
        self, tr_id: TrOrRecord, key: str | None = None
    ) -> AsyncIterator[RealtimeRecord]:
        """Subscribe and yield the records of ``tr_id`` (all its keys); unsubscribes on exit.

        ``tr_id`` is a TR ID or a record class, as for :meth:`subscribe`.
        """
        tr_id = self.tr_id_for(tr_id)
        key = self._key_for(tr_id, key)
        registration = (tr_id, key)
        inbox = _Inbox(self._queue_size, self._overflow, self.stats)
        self._streams.setdefault(tr_id, []).append(inbox)
        self._stream_users[registration] += 1
        try:
            if registration not in self._subs:
                await self.subscribe(tr_id, key)
                self._stream_owned.add(registration)
            while (record := await inbox.get()) is not None:
                yield record
        finally:
            self._streams[tr_id].remove(inbox)
            if not self._streams[tr_id]:
                del self._streams[tr_id]
            self._stream_users[registration] -= 1
            if self._stream_users[registration] <= 0:
                del self._stream_users[registration]
                if registration in self._stream_owned:
                    self._stream_owned.discard(registration)
                    if not self._closed:
                        with contextlib.suppress(KisError):
                            await self.unsubscribe(tr_id, key)

    # -- internals: requests --

    def tr_id_for(self, tr: TrOrRecord) -> str:
        """The TR ID this session's environment uses for ``tr`` (a TR ID of either environment,
        or a record class); refuses a TR that KIS does not offer in that environment."""
        name = tr if isinstance(tr, str) else tr.tr_id
        spec = self._registry.get(name)
        if spec is None:
            raise KisValidationError("realtime", "tr_id", f"unknown realtime TR ID {name!r}")
        if self._client.config.is_mock:
            if spec.mock is None:
                raise KisMockUnsupportedError(f"realtime {name} ({spec.id})")
            return spec.mock
        if spec.real is None:
            raise KisValidationError("realtime", "tr_id", f"{name} ({spec.id}) is mock-only")
        return spec.real

    def _key_for(self, tr_id: str, key: str | None) -> str:
        spec = self._registry.get(tr_id)
        if spec is None:
            raise KisValidationError("realtime", "tr_id", f"unknown realtime TR ID {tr_id!r}")
        if key is not None:
            if not key or len(key) > _MAX_KEY or not key.isprintable() or key != key.strip():
                raise KisValidationError(
                    "realtime", "key", f"{tr_id}: a key of 1 to {_MAX_KEY} printable characters"
                )
            return key
        hts_id = self._client.config.hts_id
        if spec.key != "hts_id" or hts_id is None:
            raise KisValidationError("realtime", "key", f"{tr_id} needs a {spec.key}")
        return hts_id.reveal()

    def _check_limit(self, registration: Registration) -> None:
        if registration not in self._subs and len(self._subs) >= self._max_registrations:
            raise KisRealtimeLimitError(
                f"a realtime session holds at most {self._max_registrations} registrations; "
                f"unsubscribe one before subscribing to {registration[0]} {registration[1]}"
            )

    async def _wait_ready(self) -> ClientConnection:
        if self._task is None and not self._closed:
            await self.connect()
        try:
            async with asyncio.timeout(self._reply_timeout):
                await self._ready.wait()
        except TimeoutError:
            raise KisTimeoutError("the realtime session did not reconnect in time") from None
        ws = self._ws
        if self._closed or ws is None:
            raise KisConnectionError("the realtime connection is closed")
        return ws

    async def _approval_key(self) -> str:
        result = self._client.approval_key()
        key = str(await result) if inspect.isawaitable(result) else result
        REDACTOR.add(key)
        return key

    def _invalidate_approval(self) -> None:
        self._client.invalidate_approval_key()

    def _message(self, approval: str, tr_type: str, tr_id: str, key: str) -> str:
        header = {
            "approval_key": approval,
            "custtype": self._client.config.custtype,
            "tr_type": tr_type,
            "content-type": "utf-8",
        }
        return json.dumps({"header": header, "body": {"input": {"tr_id": tr_id, "tr_key": key}}})

    async def _request(
        self, ws: ClientConnection, tr_type: str, tr_id: str, key: str
    ) -> Mapping[str, Any]:
        """Send one request and return KIS's reply body; a refused approval key is renewed once."""
        body: Mapping[str, Any] = {}
        for renewed in (False, True):
            approval = await self._approval_key()
            future: asyncio.Future[Mapping[str, Any]] = asyncio.get_running_loop().create_future()
            self._pending = (tr_id, key, future)
            try:
                async with asyncio.timeout(self._reply_timeout):
                    try:
                        await ws.send(self._message(approval, tr_type, tr_id, key))
                    except ConnectionClosed:
                        raise _Dropped("the realtime session ended before sending") from None
                    try:
                        body = await future
                    except _Dropped:
                        # KIS may end a session instead of answering a request with a bad key.
                        self._invalidate_approval()
                        raise
            except TimeoutError:
                raise KisTimeoutError(
                    f"KIS did not answer the realtime request for {tr_id}"
                ) from None
            finally:
                self._pending = None
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved, so asyncio does not warn about it
            if renewed or not _approval_refused(body):
                return body
            log.warning("realtime: the approval key was refused; getting a new one")
            self._invalidate_approval()
        return body

    async def _resubscribe(self, ws: ClientConnection) -> None:
        async with self._control:
            for tr_id, key in list(self._subs):
                body = await self._request(ws, _SUBSCRIBE, tr_id, key)
                if _approval_refused(body):  # even a fresh key: keep them all, retry later
                    raise KisConnectionError("KIS refused the approval key")
                try:
                    _check(body, tr_id)
                except KisRealtimeError as exc:
                    log.warning("realtime: %s %s not restored: %s", tr_id, key, exc)
                    del self._subs[(tr_id, key)]
            self._ready.set()

    # -- internals: the session --

    async def _open(self) -> ClientConnection:
        guard_library_loggers()
        try:
            return await connect(
                self.url,
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                max_size=self._max_frame_size,
                close_timeout=2.0,
                logger=_wire_log,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                self._invalidate_approval()
            raise KisConnectionError(f"realtime handshake refused: HTTP {status}") from None
        except TimeoutError:
            raise KisTimeoutError(f"realtime connection to {self.url} timed out") from None
        except (OSError, WebSocketException) as exc:
            raise KisConnectionError(
                f"cannot connect to {self.url}: {type(exc).__name__}"
            ) from None

    def _backoff(self, attempt: int) -> float:
        delay = min(self._backoff_initial * 2.0 ** min(attempt, 30), self._backoff_max)
        return delay * (1.0 - self._jitter * random.random())

    async def _run(self, ws: ClientConnection | None) -> None:
        """Keep a session open until :meth:`close`: read, and reconnect when it drops."""
        attempt = 0
        while True:
            if ws is None:
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                try:
                    ws = await self._open()
                except KisConnectionError as exc:
                    log.warning("realtime: reconnect failed: %s", exc)
                    continue
                self.stats.reconnects += 1
                log.info("realtime: reconnected to %s", self.url)
            reader = asyncio.create_task(self._read(ws))
            self._ws = ws
            try:
                await self._resubscribe(ws)
                attempt = 0
                await reader
                log.warning("realtime: the session ended; reconnecting")
            except KisConnectionError as exc:
                log.warning("realtime: the session failed: %s", exc)
            except Exception:
                log.exception("realtime: unexpected error; reconnecting")
            finally:
                self._ready.clear()
                self._ws = None
                self._fail_pending()
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                await ws.close()
            ws = None

    async def _read(self, ws: ClientConnection) -> None:
        try:
            while True:
                try:
                    async with asyncio.timeout(self._silence_timeout):
                        message = await ws.recv()
                except TimeoutError:
                    # KIS sessions can die without a close frame: silence means dead.
                    self.stats.silences += 1
                    log.warning(
                        "realtime: no data and no PINGPONG for %.0f s; replacing the session",
                        self._silence_timeout,
                    )
                    return
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                try:
                    await self._dispatch(ws, text)
                except ConnectionClosed:
                    raise
                except Exception:
                    # A frame must never end the session, whatever is wrong with it.
                    self.stats.bad_frames += 1
                    log.exception("realtime: could not handle a frame")
        except ConnectionClosed as exc:
            if exc.sent is not None and exc.sent.code == 1009:
                self.stats.oversized += 1
                log.warning(
                    "realtime: a frame exceeded max_frame_size (%s bytes); resuming the session",
                    self._max_frame_size,
                )
            else:
                log.warning("realtime: connection lost: %s", exc)
        finally:
            self._ready.clear()
            self._fail_pending()

    def _fail_pending(self) -> None:
        if self._pending is not None and not self._pending[2].done():
            self._pending[2].set_exception(_Dropped("the realtime session ended"))

    async def _dispatch(self, ws: ClientConnection, text: str) -> None:
        if text.startswith("{"):
            await self._on_json(ws, text)
            return
        self.stats.frames += 1
        try:
            tr_id, records = self._decode(text)
        except KisFrameError as exc:
            self.stats.bad_frames += 1
            log.warning("realtime: bad frame skipped: %s", exc)
            return
        self.stats.records += len(records)
        if self._on_frame is not None:
            self._on_frame(tr_id, records)
            return
        inboxes = self._streams.get(tr_id) or [self._inbox]
        for record in records:
            for inbox in inboxes:
                inbox.put(record)

    async def _on_json(self, ws: ClientConnection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        header = message.get("header") if isinstance(message, dict) else None
        if not isinstance(header, dict):
            self.stats.bad_frames += 1
            log.warning("realtime: bad control message skipped: %r", text[:40])
            return
        tr_id = str(header.get("tr_id") or "")
        if tr_id == _PING:
            # KIS drops sessions that do not echo it unchanged; its newer samples answer with
            # a pong frame instead, so send both (an unsolicited pong is always allowed).
            await ws.send(text)
            if len(text.encode()) <= _MAX_CONTROL_PAYLOAD:
                await ws.pong(text)
            return
        body = message.get("body")
        if isinstance(body, dict):
            self._on_reply(tr_id, str(header.get("tr_key") or ""), body)

    def _on_reply(self, tr_id: str, key: str, body: Mapping[str, Any]) -> None:
        output = body.get("output")
        if isinstance(output, dict) and output.get("key") and output.get("iv"):
            self._ciphers[tr_id] = (str(output["key"]), str(output["iv"]))
        log.debug("realtime: %s reply [%s] %s", tr_id, body.get("msg_cd"), body.get("msg1"))
        pending = self._pending
        if pending is None or pending[2].done():
            return
        if tr_id in ("", pending[0]) and key in ("", pending[1]):
            pending[2].set_result(body)
