"""A realtime connection on a background thread, for programs without asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from ..errors import KisConnectionError, KisTimeoutError
from ..secret import get_logger
from .connection import (
    KisRealtimeOverflowError,
    RealtimeClient,
    RealtimeConnection,
    RealtimeStats,
    TrOrRecord,
)
from .records import RealtimeRecord, RealtimeSpec

log = get_logger("realtime")


class ThreadedConnection(Protocol):
    """What a background thread drives: a realtime connection or a gateway consumer."""

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    # tr_id: a TR ID, or (realtime connections) a record class
    async def subscribe(self, tr_id: Any, key: str | None = None) -> None: ...
    async def unsubscribe(self, tr_id: Any, key: str | None = None) -> None: ...
    def records(self) -> AsyncIterator[RealtimeRecord]: ...


C = TypeVar("C", bound=ThreadedConnection)


class ConnectionThread(Generic[C]):
    """A connection (made by :meth:`_open`) on a background thread, for programs without
    asyncio. ``on_record(record)`` runs on that thread for every record; an exception it
    raises is logged and the stream goes on."""

    _name: ClassVar[str] = "kisapi-realtime"

    def __init__(self, on_record: Callable[[RealtimeRecord], object]) -> None:
        self._on_record = on_record
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: C | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> C:
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> None:
        """Start the thread and connect; raises what connecting raised."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__}.start() called twice")
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise KisTimeoutError(f"the {self._name} thread did not connect in time")
        if self._error is not None:
            raise self._error

    def subscribe(self, tr_id: TrOrRecord, key: str | None = None, timeout: float = 30.0) -> None:
        loop, connection = self._running()
        asyncio.run_coroutine_threadsafe(connection.subscribe(tr_id, key), loop).result(timeout)

    def unsubscribe(self, tr_id: TrOrRecord, key: str | None = None, timeout: float = 30.0) -> None:
        loop, connection = self._running()
        asyncio.run_coroutine_threadsafe(connection.unsubscribe(tr_id, key), loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection and wait for the thread to end."""
        thread = self._thread
        if thread is None:
            return
        if self._loop is not None and self._connection is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(self._connection.close(), self._loop)
            with contextlib.suppress(Exception):
                future.result(timeout)
        thread.join(timeout)

    def _running(self) -> tuple[asyncio.AbstractEventLoop, C]:
        if self._loop is None or self._connection is None:
            raise KisConnectionError(f"the {self._name} thread is not running; call start()")
        return self._loop, self._connection

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        connection = self._open()
        try:
            await connection.connect()
        except BaseException as exc:
            self._error = exc
            await connection.close()
            self._started.set()
            return
        self._loop = asyncio.get_running_loop()
        self._connection = connection
        self._started.set()
        while True:
            try:
                async for record in connection.records():
                    try:
                        self._on_record(record)
                    except Exception:
                        log.exception("%s: on_record raised", self._name)
                return
            except KisRealtimeOverflowError as exc:
                log.warning("%s: %s", self._name, exc)


class RealtimeThread(ConnectionThread[RealtimeConnection]):
    """A :class:`RealtimeConnection` on a background thread, for programs without asyncio.

    ``on_record(record)`` runs on that thread for every record; an exception it raises is
    logged and the stream goes on. Pass a client whose ``approval_key()`` works there (a
    SyncClient, whose call briefly blocks that thread's loop while a key is issued).
    """

    def __init__(
        self,
        client: RealtimeClient,
        registry: Mapping[str, RealtimeSpec],
        on_record: Callable[[RealtimeRecord], object],
        **options: Any,
    ) -> None:
        super().__init__(on_record)
        self._client = client
        self._registry = registry
        self._options = options

    @property
    def stats(self) -> RealtimeStats:
        return self._running()[1].stats

    def _open(self) -> RealtimeConnection:
        return RealtimeConnection(self._client, self._registry, **self._options)
