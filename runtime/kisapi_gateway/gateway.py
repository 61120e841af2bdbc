"""The gateway: KIS realtime sessions on one side, Redis Streams on the other.

It holds one :class:`RealtimeConnection` per app key and, every ``reconcile_interval`` (or as
soon as a consumer pings ``<p>:wake``), compares what live consumers want with what is
registered: one KIS registration per (TR, key) however many consumers want it, new pairs on
the session with the fewest, released when no live consumer wants them any more. Consumers
without a heartbeat for ``consumer_timeout`` seconds are dropped with their wants.

Decoded frames go to a buffer per stream; a publisher task writes the buffer with one pipelined
``XADD ... MAXLEN ~`` per stream while the previous round trip was in flight, so entries batch
themselves under load and stay single records when it is quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Final

import attrs
from redis.asyncio import Redis
from redis.exceptions import RedisError

from kisapi_runtime.errors import KisError
from kisapi_runtime.realtime.connection import RealtimeClient, RealtimeConnection
from kisapi_runtime.realtime.records import RealtimeRecord, RealtimeSpec
from kisapi_runtime.secret import get_logger

from .consumer import finish
from .names import (
    DEFAULT_PREFIX,
    NOTICE_KEY,
    RECORD_SEP,
    GatewayKeys,
    NoticeSeal,
    account_id,
    split_pair,
)

__all__ = ["CAPACITY", "Gateway", "GatewayBusyError", "GatewayStats"]

log = get_logger("gateway")

CAPACITY: Final = 40
"""Registrations per KIS session (one session per app key)."""

Registration = tuple[str, str]


class GatewayBusyError(KisError):
    """Another gateway already serves this Redis prefix."""


@attrs.define
class GatewayStats:
    frames: int = 0
    records: int = 0
    entries: int = 0
    """Stream entries written (one holds every record of its stream since the last write)."""
    unrouted: int = 0
    """Records of a TR whose key matched no registration (skipped)."""
    publish_errors: int = 0
    released_consumers: int = 0


@attrs.define(eq=False)
class _Session:
    """One app key: its KIS session and what is registered on it."""

    index: int
    client: RealtimeClient
    account: str | None
    """The account id (a hash) whose notices this app key receives."""
    seal: NoticeSeal | None
    connection: RealtimeConnection | None = None
    pairs: dict[str, Registration] = attrs.field(factory=dict)
    """``TR|key`` as consumers name it -> (TR ID, key sent to KIS)."""
    routes: dict[str, dict[str, str]] = attrs.field(factory=dict)
    """TR ID -> KIS key -> stream name: where a decoded record goes."""

    def __repr__(self) -> str:
        return f"_Session({self.index}, registrations={len(self.pairs)})"


class Gateway:
    """``async with Gateway(clients, registry, "redis://...") as gw: await gw.wait()``.

    ``clients`` are one realtime client per app key (an ``AsyncKis``); ``registry`` maps TR
    IDs to specs (``kisapi.realtime.registry()``). ``connection_options`` go to every
    :class:`RealtimeConnection` (``url``, reconnect timings...).
    """

    def __init__(
        self,
        clients: Sequence[RealtimeClient],
        registry: Mapping[str, RealtimeSpec],
        redis: str | Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        consumer_timeout: float = 15.0,
        reconcile_interval: float = 1.0,
        maxlen: int = 10_000,
        capacity: int = CAPACITY,
        connection_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not clients:
            raise ValueError("the gateway needs at least one app key")
        if consumer_timeout <= 0 or reconcile_interval <= 0 or maxlen < 1 or capacity < 1:
            raise ValueError("timeouts, maxlen and capacity must be positive")
        self.keys = GatewayKeys(prefix)
        self.stats = GatewayStats()
        self._registry = registry
        # redis-py's annotations allow bytes everywhere; with decode_responses it is str.
        self._redis: Any = (
            Redis.from_url(redis, decode_responses=True) if isinstance(redis, str) else redis
        )
        self._own_redis = isinstance(redis, str)
        self._timeout_ms = int(consumer_timeout * 1000)
        self._interval = reconcile_interval
        self._maxlen = maxlen
        self._capacity = capacity
        self._options = dict(connection_options or {})
        self._sessions = [_Session(i, c, *_notice_identity(c)) for i, c in enumerate(clients)]
        self._buffer: dict[str, list[str]] = {}
        self._seals: dict[str, NoticeSeal] = {}
        self._has_data = asyncio.Event()
        self._token = secrets.token_hex(8)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()
        self._refresh = asyncio.Event()

    def __repr__(self) -> str:
        return f"Gateway(prefix={self.keys.prefix!r}, app_keys={len(self._sessions)})"

    # -- what tests and operators look at --

    @property
    def registrations(self) -> dict[int, tuple[Registration, ...]]:
        """App key index -> (TR ID, key) pairs registered on its KIS session."""
        return {s.index: s.connection.registrations if s.connection else () for s in self._sessions}

    @property
    def connections(self) -> tuple[RealtimeConnection | None, ...]:
        """The KIS session of each app key (None until it gets its first registration)."""
        return tuple(s.connection for s in self._sessions)

    # -- lifecycle --

    async def __aenter__(self) -> Gateway:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Claim the prefix, forget stale statuses and start reconciling and publishing."""
        ttl = max(int(self._interval * 3000), 1000)
        if not await self._redis.set(self.keys.alive, self._token, nx=True, px=ttl):
            raise GatewayBusyError(f"another kisapi-gateway runs on prefix {self.keys.prefix!r}")
        await self._redis.delete(self.keys.status)  # nothing is registered yet
        self._tasks = [
            asyncio.create_task(self._reconcile_loop(), name="kisapi-gateway-reconcile"),
            asyncio.create_task(self._publish_loop(), name="kisapi-gateway-publish"),
        ]

    async def wait(self) -> None:
        """Until :meth:`stop`."""
        await self._stopped.wait()

    async def stop(self) -> None:
        """Close the KIS sessions, write what is buffered, release the prefix."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._has_data.set()
        for task in self._tasks:
            await finish(task, self._interval + 2.0)
        for session in self._sessions:
            if session.connection is not None:
                await session.connection.close()
        with contextlib.suppress(RedisError, OSError):
            await self._flush()
            await self._redis.delete(self.keys.status)
            if await self._redis.get(self.keys.alive) == self._token:
                await self._redis.delete(self.keys.alive)
        if self._own_redis:
            await self._redis.aclose()

    async def reconcile(self) -> None:
        """Bring the KIS registrations in line with what live consumers want (once)."""
        r = self._redis
        seconds, micros = await r.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        dead = await r.zrangebyscore(self.keys.consumers, "-inf", now_ms - self._timeout_ms)
        if dead:
            async with r.pipeline(transaction=True) as pipe:
                pipe.delete(*(self.keys.wants(c) for c in dead))
                pipe.zrem(self.keys.consumers, *dead)
                await pipe.execute()
            self.stats.released_consumers += len(dead)
            log.info("gateway: %d consumer(s) without heartbeat released", len(dead))
        live = await r.zrange(self.keys.consumers, 0, -1)
        wanted: set[str] = (
            set(await r.sunion([self.keys.wants(c) for c in live])) if live else set()
        )
        statuses: dict[str, str] = await r.hgetall(self.keys.status)
        await self._release(wanted, statuses)
        held = {p for s in self._sessions for p in s.pairs}
        todo = [p for p in sorted(wanted) if p not in held and p not in statuses]
        if todo:
            await self._register(todo)

    # -- internals: registrations --

    async def _release(self, wanted: set[str], statuses: dict[str, str]) -> None:
        forget = [p for p, v in statuses.items() if p not in wanted and not v.startswith('{"ok"')]
        for session in self._sessions:
            conn = session.connection
            live = set(conn.registrations) if conn is not None and conn.connected else None
            for name, registration in list(session.pairs.items()):
                if name not in wanted:
                    self._unroute(session, name)
                    forget.append(name)
                    if conn is not None:
                        try:
                            await conn.unsubscribe(*registration)
                        except KisError as exc:
                            log.warning("gateway: could not unsubscribe %s: %s", name, exc)
                elif live is not None and registration not in live:
                    # KIS refused it again after a reconnect: register it anew.
                    self._unroute(session, name)
                    forget.append(name)
        if forget:
            await self._redis.hdel(self.keys.status, *forget)

    async def _register(self, names: list[str]) -> None:
        plan: dict[int, list[tuple[str, Registration, str]]] = {}
        refused: dict[str, str] = {}
        load = [len(s.pairs) for s in self._sessions]
        for name in names:
            tr_id, key = split_pair(name)
            spec = self._registry.get(tr_id)
            if spec is None:
                refused[name] = _status("unknown", f"unknown realtime TR ID {tr_id!r}")
                continue
            session, kis_key, why = self._place(spec, key, load)
            if session is None or kis_key is None:
                refused[name] = why
                continue
            load[session.index] += 1
            stream = self.keys.stream(tr_id, key)
            plan.setdefault(session.index, []).append((name, (tr_id, kis_key), stream))
        if refused:
            await self._redis.hset(self.keys.status, mapping=refused)
        await asyncio.gather(*(self._register_on(self._sessions[i], p) for i, p in plan.items()))

    def _place(
        self, spec: RealtimeSpec, key: str, load: list[int]
    ) -> tuple[_Session | None, str | None, str]:
        """The session and KIS key for a pair, or why it cannot be registered."""
        if spec.key == "hts_id" or key.startswith(NOTICE_KEY):
            wanted = key[len(NOTICE_KEY) :] if key.startswith(NOTICE_KEY) else None
            for session in self._sessions:
                hts_id = session.client.config.hts_id
                if wanted and session.account == wanted and hts_id is not None:
                    if load[session.index] >= self._capacity:
                        break
                    return session, hts_id.reveal(), ""
            return (
                None,
                None,
                _status(
                    "account",
                    "no app key of this gateway serves that account with these credentials "
                    "(execution notices need the account's app secret, account number and HTS ID)",
                ),
            )
        room = [s for s in self._sessions if load[s.index] < self._capacity]
        if not room:
            return (
                None,
                None,
                _status(
                    "limit",
                    f"every app key of the gateway holds {self._capacity} registrations "
                    f"({len(self._sessions)} app keys); add an app key or unsubscribe",
                ),
            )
        return min(room, key=lambda s: load[s.index]), key, ""

    async def _register_on(
        self, session: _Session, plan: list[tuple[str, Registration, str]]
    ) -> None:
        statuses: dict[str, str] = {}
        try:
            conn = await self._connection(session)
        except KisError as exc:
            why = _status("kis", f"the KIS session did not open: {exc}")
            await self._redis.hset(self.keys.status, mapping={name: why for name, _, _ in plan})
            return
        for name, registration, stream in plan:
            self._route(session, name, registration, stream)  # frames may follow the reply
            try:
                await conn.subscribe(*registration)
            except KisError as exc:
                self._unroute(session, name)
                statuses[name] = _status("kis", str(exc))
                log.warning("gateway: %s refused: %s", registration[0], exc)
                continue
            statuses[name] = json.dumps({"ok": session.index})
        if statuses:
            await self._redis.hset(self.keys.status, mapping=statuses)

    def _route(self, session: _Session, name: str, registration: Registration, stream: str) -> None:
        session.pairs[name] = registration
        session.routes.setdefault(registration[0], {})[registration[1]] = stream
        if session.seal is not None and name.split("|", 1)[1].startswith(NOTICE_KEY):
            self._seals[stream] = session.seal

    def _unroute(self, session: _Session, name: str) -> None:
        tr_id, kis_key = session.pairs.pop(name)
        routes = session.routes.get(tr_id, {})
        routes.pop(kis_key, None)
        if not routes:
            session.routes.pop(tr_id, None)

    async def _connection(self, session: _Session) -> RealtimeConnection:
        if session.connection is None:
            conn = RealtimeConnection(
                session.client,
                self._registry,
                max_registrations=self._capacity,
                on_frame=partial(self._on_frame, session),
                **self._options,
            )
            await conn.connect()
            session.connection = conn
        return session.connection

    # -- internals: records --

    def _on_frame(self, session: _Session, tr_id: str, records: list[RealtimeRecord]) -> None:
        self.stats.frames += 1
        routes = session.routes.get(tr_id)
        if not routes:
            self.stats.unrouted += len(records)
            return
        only = next(iter(routes.values())) if len(routes) == 1 else None
        buffer = self._buffer
        for record in records:
            values: list[str] = record._v  # the split fields: joined back without conversion
            # KIS records start with their key; otherwise the TR's only key on this session.
            stream = routes.get(values[0]) or routes.get(values[0].strip(), only)
            if stream is None:
                self.stats.unrouted += 1
                continue
            joined = "^".join(values)
            items = buffer.get(stream)
            if items is None:
                buffer[stream] = [joined]
            else:
                items.append(joined)
        self.stats.records += len(records)
        self._has_data.set()

    async def _publish_loop(self) -> None:
        while True:
            await self._has_data.wait()
            if self._stopped.is_set():
                return  # stop() writes the rest
            self._has_data.clear()
            try:
                await self._flush()
            except (RedisError, OSError) as exc:
                self.stats.publish_errors += 1
                log.warning("gateway: publishing failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(0.5)
                self._has_data.set()

    async def _flush(self) -> None:
        batch, self._buffer = self._buffer, {}
        if not batch:
            return
        stamp = str(time.time_ns() // 1000)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream, items in batch.items():
                    body = RECORD_SEP.join(items)
                    seal = self._seals.get(stream)
                    fields = {"r": body, "t": stamp} if seal is None else {"s": seal.seal(body)}
                    pipe.xadd(stream, fields, maxlen=self._maxlen, approximate=True)
                await pipe.execute()
        except BaseException:
            for stream, items in self._buffer.items():  # keep the order: the failed batch first
                batch.setdefault(stream, []).extend(items)
            self._buffer = batch
            raise
        self.stats.entries += len(batch)

    async def _reconcile_loop(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self.keys.wake)
        ttl = max(int(self._interval * 3000), 1000)
        try:
            while not self._stopped.is_set():
                try:
                    await self._redis.set(self.keys.alive, self._token, px=ttl)
                    await self.reconcile()
                except (RedisError, OSError) as exc:
                    log.warning("gateway: Redis unavailable (%s); retrying", type(exc).__name__)
                except Exception:
                    log.exception("gateway: reconcile failed")
                with contextlib.suppress(RedisError, OSError):
                    # Any wake-up message, or the interval, starts the next round.
                    message = await pubsub.get_message(timeout=self._interval)
                    while message is not None:
                        message = await pubsub.get_message(timeout=0.01)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


def _status(kind: str, message: str) -> str:
    return json.dumps({"refused": kind, "message": message})


def _notice_identity(client: RealtimeClient) -> tuple[str | None, NoticeSeal | None]:
    config = client.config
    if config.account is None or config.hts_id is None:
        return None, None
    secret = config.appsecret.reveal()
    return account_id(secret, config.account), NoticeSeal(secret, config.account)
