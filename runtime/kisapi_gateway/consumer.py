"""The consumer side: today's realtime API, reading what a ``kisapi-gateway`` publishes.

``async with akis.realtime(gateway="redis://host") as rt:`` then ``rt.subscribe``,
``rt.records()``, ``rt.stream(tr_id, key)`` as with a direct session. A subscription is a
member of ``<p>:wants:<consumer id>`` kept alive by a heartbeat; the gateway registers it with
KIS (once for every consumer wanting it) and answers in ``<p>:status``.

Resuming: :meth:`GatewayConnection.checkpoint` returns the position of the last record each
subscription has yielded (a JSON text); persist it with your own state and pass it back as
``resume_from=`` after a restart to get every record after it, exactly once. Give the consumer
a ``name`` too: its subscriptions then outlive a crash (until the gateway's consumer timeout),
so the gateway keeps collecting for it while it restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Final

import attrs
from redis.asyncio import Redis
from redis.exceptions import RedisError

from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import KisConnectionError, KisError, KisTimeoutError, KisValidationError
from kisapi_runtime.realtime.connection import KisRealtimeLimitError
from kisapi_runtime.realtime.records import RealtimeRecord, RealtimeSpec
from kisapi_runtime.realtime.thread import ConnectionThread
from kisapi_runtime.secret import get_logger

from .names import (
    DEFAULT_PREFIX,
    NOTICE_KEY,
    RECORD_SEP,
    GatewayKeys,
    NoticeSeal,
    account_id,
    pair,
)

__all__ = ["GatewayConnection", "GatewayStats", "GatewayThread", "KisGatewayRefusedError"]

log = get_logger("gateway.consumer")

_MAX_KEY: Final = 32
_new = object.__new__
_HEARTBEAT: Final = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1])
return 1
"""

Position = tuple[str, int | None]
"""(stream entry id, records of it yielded; None: all of it)."""
_Item = tuple[str, str, list[RealtimeRecord], int]
"""(``TR|key``, entry id, records, index of the first one to yield)."""


class KisGatewayRefusedError(KisError):
    """The gateway could not register a subscription (KIS refused it, or no app key can)."""


@attrs.define
class GatewayStats:
    records: int = 0
    """Records read from the gateway's streams."""
    entries: int = 0
    trimmed: int = 0
    """Resumes that found older entries already trimmed (the stream's MAXLEN)."""


@attrs.define(eq=False)
class _Follow:
    """One subscription's stream and how far it has been read."""

    name: str
    tr_id: str
    record: type[RealtimeRecord]
    last_id: str
    seal: NoticeSeal | None

    def decode(self, fields: Mapping[str, str]) -> list[RealtimeRecord]:
        body = fields.get("r")
        if body is None:
            if self.seal is None:
                raise KisGatewayRefusedError(f"{self.tr_id}: a sealed entry and no account key")
            body = self.seal.open(fields.get("s", ""))
        record, width = self.record, self.record.WIDTH
        records: list[RealtimeRecord] = []
        for part in body.split(RECORD_SEP):
            values = part.split("^")
            if len(values) < width:  # an older, shorter layout, as the direct session pads it
                values += [""] * (width - len(values))
            one: RealtimeRecord = _new(record)
            one._v = values
            records.append(one)
        return records


def _parse_positions(resume_from: str | Mapping[str, str] | None) -> dict[str, Position]:
    if resume_from is None:
        return {}
    data = json.loads(resume_from) if isinstance(resume_from, str) else resume_from
    if not isinstance(data, Mapping):
        raise KisValidationError("realtime", "resume_from", "a checkpoint() text or mapping")
    positions: dict[str, Position] = {}
    for name, token in data.items():
        entry, _, count = str(token).partition(":")
        if not entry or not entry.replace("-", "").isdigit() or (count and not count.isdigit()):
            raise KisValidationError("realtime", "resume_from", f"bad position for {name!r}")
        positions[str(name)] = (entry, int(count) if count else None)
    return positions


def _entry_order(entry: str) -> tuple[int, int]:
    ms, _, seq = entry.partition("-")
    return int(ms), int(seq or 0)


class GatewayConnection:
    """Records of a ``kisapi-gateway`` over Redis: ``async with GatewayConnection(...) as rt:``.

    ``config`` is the consumer's own client configuration: its app secret and account are
    what entitle it to its account's execution notices. ``name`` (default: random) identifies
    the consumer to the gateway; ``resume_from`` takes a :meth:`checkpoint` text.
    """

    def __init__(
        self,
        config: KisConfig,
        registry: Mapping[str, RealtimeSpec],
        redis: str | Redis,
        *,
        name: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        resume_from: str | Mapping[str, str] | None = None,
        heartbeat: float = 2.0,
        reply_timeout: float = 10.0,
        queue_size: int = 1000,
        batch: int = 1000,
        block: float = 0.1,
    ) -> None:
        if name is not None and (not name or not name.isprintable() or " " in name):
            raise KisValidationError("realtime", "name", "printable characters without spaces")
        if queue_size < 1 or batch < 1 or heartbeat <= 0 or block <= 0:
            raise ValueError("queue_size, batch, heartbeat and block must be positive")
        self.consumer_id = name or uuid.uuid4().hex
        self.keys = GatewayKeys(prefix)
        self.stats = GatewayStats()
        self._config = config
        self._registry = registry
        # redis-py's annotations allow bytes everywhere; with decode_responses it is str.
        self._redis: Any = (
            Redis.from_url(redis, decode_responses=True) if isinstance(redis, str) else redis
        )
        self._own_redis = isinstance(redis, str)
        self._resume = _parse_positions(resume_from)
        self._heartbeat_s = heartbeat
        self._reply_timeout = reply_timeout
        self._queue_size = queue_size
        self._batch = batch
        self._block_ms = max(1, int(block * 1000))
        self._follow: dict[str, _Follow] = {}  # stream -> subscription
        self._names: dict[str, str] = {}  # TR|key -> stream
        self._positions: dict[str, Position] = {}
        self._inbox: asyncio.Queue[_Item | None] = asyncio.Queue(queue_size)
        self._streams: dict[str, list[asyncio.Queue[_Item | None]]] = {}
        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribing = asyncio.Lock()
        self._heartbeat_script = self._redis.register_script(_HEARTBEAT)
        self._seal: NoticeSeal | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"GatewayConnection(prefix={self.keys.prefix!r}, consumer={self.consumer_id!r}, "
            f"registrations={len(self._names)})"
        )

    @property
    def connected(self) -> bool:
        return bool(self._tasks) and not self._closed

    @property
    def registrations(self) -> tuple[tuple[str, str], ...]:
        """The (TR ID, key) pairs subscribed; a notice's key is ``@<account id>``."""
        return tuple((n.split("|", 1)[0], n.split("|", 1)[1]) for n in self._names)

    # -- lifecycle --

    async def __aenter__(self) -> GatewayConnection:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Announce the consumer (first heartbeat) and start reading."""
        if self._closed:
            raise KisConnectionError("the gateway connection is closed")
        if self._tasks:
            return
        try:
            await self._beat()
        except (RedisError, OSError) as exc:
            raise KisConnectionError(f"cannot reach the gateway's Redis: {exc}") from None
        self._tasks = [
            asyncio.create_task(self._heartbeat_loop(), name="kisapi-gateway-heartbeat"),
            asyncio.create_task(self._read_loop(), name="kisapi-gateway-read"),
        ]

    async def close(self, *, release: bool = True) -> None:
        """Stop reading and end every iterator; ``release`` drops the subscriptions now
        (otherwise the gateway drops them after its consumer timeout)."""
        if self._closed:
            return
        self._closed = True
        self._changed.set()
        self._stopping.set()
        for task in self._tasks:
            await finish(task, self._block_ms / 1000 + 2.0)
        if release:
            with contextlib.suppress(RedisError, OSError):
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.delete(self.keys.wants(self.consumer_id))
                    pipe.zrem(self.keys.consumers, self.consumer_id)
                    pipe.publish(self.keys.wake, "release")
                    await pipe.execute()
        for queue in [self._inbox, *(q for qs in self._streams.values() for q in qs)]:
            _end(queue)
        if self._own_redis:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.aclose()

    # -- subscriptions --

    async def subscribe(self, tr_id: str, key: str | None = None) -> None:
        """Ask the gateway for (``tr_id``, ``key``) and wait for its answer; a no-op if held.

        Execution notice TRs take no key: the consumer's account picks its notices.
        Raises :class:`KisRealtimeLimitError` when no app key of the gateway has room and
        :class:`KisGatewayRefusedError` when KIS (or the gateway) refused it.
        """
        key = self._key_for(tr_id, key)
        name = pair(tr_id, key)
        await self.connect()
        async with self._subscribing:
            if name in self._names:
                return
            stream = self.keys.stream(tr_id, key)
            r = self._redis
            resume = self._resume.get(name)
            if resume is None:  # from now on: what the stream holds already is not ours
                last = await r.xrevrange(stream, count=1)
                resume = (last[0][0] if last else "0-0", None)
            status = await r.hget(self.keys.status, name)
            async with r.pipeline(transaction=True) as pipe:
                if status and not status.startswith('{"ok"'):
                    pipe.hdel(self.keys.status, name)  # asked again: the gateway tries again
                pipe.sadd(self.keys.wants(self.consumer_id), name)
                pipe.publish(self.keys.wake, "subscribe")
                await pipe.execute()
            await self._wait_status(name)
            follow = _Follow(
                name,
                tr_id,
                self._registry[tr_id].record,
                resume[0],
                self._notice_seal() if key.startswith(NOTICE_KEY) else None,
            )
            await self._start_at(stream, follow, resume)
            self._follow[stream] = follow
            self._names[name] = stream
            self._changed.set()

    async def unsubscribe(self, tr_id: str, key: str | None = None) -> None:
        """Stop following (``tr_id``, ``key``); the gateway releases it if nobody else wants it."""
        key = self._key_for(tr_id, key)
        name = pair(tr_id, key)
        stream = self._names.pop(name, None)
        if stream is None:
            return
        self._follow.pop(stream, None)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(self.keys.wants(self.consumer_id), name)
            pipe.publish(self.keys.wake, "unsubscribe")
            await pipe.execute()

    def checkpoint(self) -> str:
        """Where every subscription stands (JSON): pass it as ``resume_from`` after a restart."""
        marks = {
            name: entry if count is None else f"{entry}:{count}"
            for name, (entry, count) in self._positions.items()
            if name in self._names
        }
        return json.dumps(marks, separators=(",", ":"), sort_keys=True)

    # -- consuming --

    def records(self) -> AsyncIterator[RealtimeRecord]:
        """Every record not claimed by a :meth:`stream`; ends when the connection closes."""
        return self._drain(self._inbox)

    async def stream(self, tr_id: str, key: str | None = None) -> AsyncIterator[RealtimeRecord]:
        """Subscribe and yield the records of ``tr_id``; unsubscribes on exit if it subscribed."""
        key = self._key_for(tr_id, key)
        queue: asyncio.Queue[_Item | None] = asyncio.Queue(self._queue_size)
        self._streams.setdefault(tr_id, []).append(queue)
        owned = pair(tr_id, key) not in self._names
        try:
            if owned:
                await self.subscribe(tr_id, key)
            async for record in self._drain(queue):
                yield record
        finally:
            self._streams[tr_id].remove(queue)
            if not self._streams[tr_id]:
                del self._streams[tr_id]
            if owned and not self._closed:
                with contextlib.suppress(KisError, RedisError, OSError):
                    await self.unsubscribe(tr_id, key)

    async def _drain(self, queue: asyncio.Queue[_Item | None]) -> AsyncIterator[RealtimeRecord]:
        positions = self._positions
        while (item := await queue.get()) is not None:
            name, entry, records, start = item
            for index in range(start, len(records)):
                positions[name] = (entry, index + 1)  # yielded counts as seen
                yield records[index]
        _end(queue)  # every other reader of this queue ends too

    # -- internals --

    def _key_for(self, tr_id: str, key: str | None) -> str:
        spec = self._registry.get(tr_id)
        if spec is None:
            raise KisValidationError("realtime", "tr_id", f"unknown realtime TR ID {tr_id!r}")
        if spec.key == "hts_id":
            account = self._config.account
            if account is None:
                raise KisValidationError(
                    "realtime", "account", f"{tr_id}: notices through the gateway need an account"
                )
            return NOTICE_KEY + account_id(self._config.appsecret.reveal(), account)
        if key is None:
            raise KisValidationError("realtime", "key", f"{tr_id} needs a {spec.key}")
        if not key or len(key) > _MAX_KEY or not key.isprintable() or key != key.strip():
            raise KisValidationError(
                "realtime", "key", f"{tr_id}: a key of 1 to {_MAX_KEY} printable characters"
            )
        if key.startswith(NOTICE_KEY) or "|" in key:
            raise KisValidationError("realtime", "key", f"{tr_id}: '@' and '|' are not allowed")
        return key

    def _notice_seal(self) -> NoticeSeal:
        if self._seal is None:
            account = self._config.account
            assert account is not None  # _key_for checked
            self._seal = NoticeSeal(self._config.appsecret.reveal(), account)
        return self._seal

    async def _wait_status(self, name: str) -> None:
        deadline = time.monotonic() + self._reply_timeout
        delay = 0.002
        while True:
            status = await self._redis.hget(self.keys.status, name)
            if status:
                answer = json.loads(status)
                if "ok" in answer:
                    return
                await self._redis.srem(self.keys.wants(self.consumer_id), name)
                tr_id = name.split("|", 1)[0]
                message = f"{tr_id}: the gateway could not subscribe: {answer.get('message')}"
                if answer.get("refused") == "limit":
                    raise KisRealtimeLimitError(message)
                raise KisGatewayRefusedError(message)
            if time.monotonic() > deadline:
                await self._redis.srem(self.keys.wants(self.consumer_id), name)
                running = await self._redis.exists(self.keys.alive)
                raise KisTimeoutError(
                    f"{name.split('|', 1)[0]}: the gateway did not answer in time"
                    if running
                    else f"no kisapi-gateway runs on Redis prefix {self.keys.prefix!r}"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _start_at(self, stream: str, follow: _Follow, resume: Position) -> None:
        entry, count = resume
        self._positions[follow.name] = resume
        if entry == "0-0":
            return
        first = await self._redis.xrange(stream, count=1)
        if first and _entry_order(first[0][0]) > _entry_order(entry):
            self.stats.trimmed += 1
            log.warning("gateway: %s was trimmed past the resume point", follow.tr_id)
        if count is None:
            return
        found = await self._redis.xrange(stream, entry, entry)
        if found:
            records = follow.decode(found[0][1])
            if count < len(records):
                await self._deliver(follow, entry, records, count)

    async def _deliver(
        self, follow: _Follow, entry: str, records: list[RealtimeRecord], start: int
    ) -> None:
        item = (follow.name, entry, records, start)
        for queue in self._streams.get(follow.tr_id) or (self._inbox,):
            await queue.put(item)  # a slow reader holds the rest in Redis, nothing drops

    async def _beat(self) -> None:
        await self._heartbeat_script(keys=[self.keys.consumers], args=[self.consumer_id])

    async def _heartbeat_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._heartbeat_s)
            if self._stopping.is_set():
                return
            try:
                await self._beat()
            except (RedisError, OSError) as exc:
                log.warning("gateway: heartbeat failed (%s)", type(exc).__name__)
            except Exception:
                log.exception("gateway: heartbeat failed")

    async def _read_loop(self) -> None:
        while not self._closed:
            if not self._follow:
                self._changed.clear()
                await self._changed.wait()
                continue
            streams: dict[Any, Any] = {s: f.last_id for s, f in self._follow.items()}
            try:
                reply = await self._redis.xread(streams, count=self._batch, block=self._block_ms)
            except (RedisError, OSError) as exc:
                log.warning("gateway: reading failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(0.5)
                continue
            for stream, entries in reply or ():
                follow = self._follow.get(stream)
                if follow is None:
                    continue  # unsubscribed meanwhile
                for entry, fields in entries:
                    if self._closed:
                        return
                    try:
                        records = follow.decode(fields)
                    except (KisError, ValueError, KeyError) as exc:
                        log.warning("gateway: entry of %s skipped: %s", follow.tr_id, exc)
                        follow.last_id = entry
                        continue
                    self.stats.entries += 1
                    self.stats.records += len(records)
                    await self._deliver(follow, entry, records, 0)
                    follow.last_id = entry


async def finish(task: asyncio.Task[None], timeout: float) -> None:
    """Wait for a task told to stop; cancel it only if it does not within ``timeout``.

    Tasks are not cancelled in the middle of a Redis command: redis-py can swallow the
    cancellation there and wait on a half-read connection for good.
    """
    with contextlib.suppress(TimeoutError, Exception):
        await asyncio.wait_for(asyncio.shield(task), timeout)
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 1.0)


def _end(queue: asyncio.Queue[_Item | None]) -> None:
    while queue.full():
        queue.get_nowait()
    queue.put_nowait(None)


class GatewayThread(ConnectionThread[GatewayConnection]):
    """A :class:`GatewayConnection` on a background thread calling ``on_record`` for every
    record (the gateway form of :class:`~kisapi_runtime.realtime.thread.RealtimeThread`)."""

    _name: ClassVar[str] = "kisapi-gateway"

    def __init__(
        self,
        config: KisConfig,
        registry: Mapping[str, RealtimeSpec],
        redis: str,
        on_record: Callable[[RealtimeRecord], object],
        **options: Any,
    ) -> None:
        super().__init__(on_record)
        self._args = (config, registry, redis)
        self._options = options

    @property
    def stats(self) -> GatewayStats:
        return self._running()[1].stats

    def checkpoint(self) -> str:
        """Safe from ``on_record``: the position includes the record being handled."""
        return self._running()[1].checkpoint()

    def _open(self) -> GatewayConnection:
        return GatewayConnection(*self._args, **self._options)
