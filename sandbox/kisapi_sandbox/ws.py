"""A KIS-like realtime (WebSocket) server on 127.0.0.1.

It answers subscribe/unsubscribe requests as KIS does (approval key check, per-session
registrations, ``ALREADY IN SUBSCRIBE``, ``MAX SUBSCRIBE OVER`` past 41, an iv/key pair in
every successful reply), streams generated ticks for every registered quote TR, sends
PINGPONG and drops sessions that do not echo it, and sends encrypted execution notices for
paper fills (:meth:`RealtimeSandbox.notify_fill`). :class:`Faults` makes it misbehave.

``async with RealtimeSandbox(approval_keys=keys) as ws:`` then connect to ``ws.url``;
:class:`RealtimeSandboxThread` runs one for code without asyncio;
``python -m kisapi_sandbox.ws --port 31000`` runs one standalone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import string
import threading
from collections import Counter, deque
from collections.abc import Callable, Collection, Coroutine, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from kisapi.realtime import TR_IDS
from kisapi.realtime import spec as realtime_spec
from kisapi_runtime.codecs import KST

from .ticks import MarketLike, TickStream, encrypted_frame, fill_notice
from .values import rng

__all__ = [
    "ApprovalKeys",
    "Faults",
    "RealtimeSandbox",
    "RealtimeSandboxThread",
    "Request",
    "Session",
    "main",
]

log = logging.getLogger("kisapi_sandbox.ws")

ApprovalKeys = Collection[str] | Callable[[str], bool] | None
"""Valid approval keys: a collection (kept by reference, so keys added later count), a
predicate, or None to accept any non-empty key."""
Registration = tuple[str, str]
"""(TR ID, tr_key)."""

PING: Final = "PINGPONG"
MAX_TR_KEY: Final = 32
"""Longest tr_key taken (stock codes, overseas symbols like DNASAAPL, HTS IDs are far shorter)."""
MAX_REGISTRATIONS: Final = 41
"""40 quote registrations plus the execution notice, per session."""
NOTICE_API: Final = "domestic_stock.ccnl_notice"

OK: Final = "0"
FAIL: Final = "1"
SUBSCRIBED: Final = ("OPSP0000", "SUBSCRIBE SUCCESS")
UNSUBSCRIBED: Final = ("OPSP0001", "UNSUBSCRIBE SUCCESS")
ALREADY: Final = ("OPSP0002", "ALREADY IN SUBSCRIBE")
NOT_FOUND: Final = ("OPSP0003", "UNSUBSCRIBE ERROR(not found!)")
MAX_OVER: Final = ("OPSP0008", "MAX SUBSCRIBE OVER")
BAD_APPROVAL: Final = ("OPSP0011", "invalid approval : NOT FOUND")
# Not codes seen from KIS: the sandbox's answer to requests KIS would reject some other way.
BAD_REQUEST: Final = "OPSP9999"


@attrs.define
class Faults:
    """Switches that make the server misbehave; flip them while it runs."""

    refuse_approval: bool = False
    """Refuse every approval key (``OPSP0011``)."""
    check_echo: bool = True
    """Drop a session that does not echo PINGPONG in time; False keeps it open."""
    drop_after_frames: int | None = None
    """Cut every session once it has been sent this many data frames."""


@attrs.frozen
class Request:
    """One subscribe (``tr_type`` 1) or unsubscribe (2) request as received."""

    session: int
    approval_key: str
    custtype: str
    tr_type: str
    tr_id: str
    tr_key: str


@attrs.define(eq=False)
class Session:
    """One client connection as the server sees it."""

    ws: ServerConnection
    number: int
    registrations: dict[Registration, None] = attrs.field(factory=dict)
    """Registered (TR ID, key) pairs in subscription order."""
    ciphers: dict[str, tuple[str, str]] = attrs.field(factory=dict)
    """TR ID -> (key, iv) sent in its subscribe replies and used for its encrypted frames."""
    subscribes: Counter[Registration] = attrs.field(factory=Counter)
    """Subscribe requests received per registration, duplicates included."""
    replies: list[str] = attrs.field(factory=list)
    """msg1 of every reply sent."""
    pings: int = 0
    echoes: deque[str] = attrs.field(factory=lambda: deque(maxlen=1000))
    """The latest PINGPONG echoes received."""
    frames: int = 0
    """Data frames sent (ticks and notices)."""
    notices: int = 0
    open: bool = True
    silent: bool = False
    """Gone silent (fault): sends nothing, answers nothing, and never closes."""
    echoed: asyncio.Event = attrs.field(factory=asyncio.Event)
    notice_order: asyncio.Lock = attrs.field(factory=asyncio.Lock)

    def abort(self) -> None:
        """Cut the connection without a closing handshake, as a network failure would."""
        self.ws.transport.abort()


def _cipher() -> tuple[str, str]:
    key = "".join(secrets.choice(string.ascii_lowercase) for _ in range(32))
    return key, secrets.token_hex(8)


def _ping_text() -> str:
    stamp = datetime.now(KST).strftime("%Y%m%d%H%M%S")
    return json.dumps({"header": {"tr_id": PING, "datetime": stamp}}, separators=(",", ":"))


class RealtimeSandbox:
    """The server: ``async with RealtimeSandbox(port=0) as ws: ws.url``.

    ``tick_interval`` seconds between frames of each registered quote TR (None: only
    :meth:`send_ticks`); a frame carries 2 or 3 records with probability ``multi_record``.
    PINGPONG goes out every ``ping_interval`` seconds (None: never) and must come back within
    ``echo_timeout``. ``market`` (the paper broker's) makes quotes agree with paper fills.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        approval_keys: ApprovalKeys = None,
        tick_interval: float | None = 0.5,
        multi_record: float = 0.2,
        ping_interval: float | None = 10.0,
        echo_timeout: float = 10.0,
        max_registrations: int = MAX_REGISTRATIONS,
        seed: object = 0,
        faults: Faults | None = None,
        market: MarketLike | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.approval_keys: ApprovalKeys = (
            {approval_keys} if isinstance(approval_keys, str) else approval_keys
        )
        self.tick_interval = tick_interval
        self.multi_record = multi_record
        self.ping_interval = ping_interval
        self.echo_timeout = echo_timeout
        self.max_registrations = max_registrations
        self.seed = seed
        self.faults = faults or Faults()
        self.market = market
        self.sessions: list[Session] = []
        self.requests: deque[Request] = deque(maxlen=10_000)
        self.notices_sent = 0
        self._streams: dict[Registration, TickStream] = {}
        self._numbers = itertools.count(1)
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        notice = realtime_spec(NOTICE_API)
        self._notice_record = notice.record
        self._notice_trs = tuple(t for t in (notice.real, notice.mock) if t)
        self._notice_mock = notice.mock

    def __repr__(self) -> str:
        return f"RealtimeSandbox(url={self.url!r}, sessions={len(self.open_sessions)})"

    # -- lifecycle --

    @property
    def url(self) -> str:
        """``ws://host:port`` once started (any path is accepted, ``/tryitout`` included)."""
        if self._server is None:
            return ""
        return f"ws://{self.host}:{self.port}"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            ping_interval=None,  # KIS keeps sessions alive with PINGPONG text frames only
            compression=None,
            close_timeout=1.0,
            logger=log,
        )
        self.port = next(iter(self._server.sockets)).getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5.0)
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> RealtimeSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- controls (tests, the HTTP sandbox, a broker) --

    @property
    def open_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.open]

    @property
    def current(self) -> Session:
        """The newest open session."""
        return next(s for s in reversed(self.sessions) if s.open)

    def notify_fill(self, hts_id: str | None, fill: object) -> None:
        """Send an encrypted execution notice for a paper ``fill``; callable from any thread.

        It goes to every session registered for the domestic stock notice TR with the HTS ID
        as its key, encrypted with that session's key and iv. The HTS ID is ``hts_id``, else
        ``fill.hts_id``; if both are None, every notice registration gets it. A ``fill.mock``
        flag picks the mock (H0STCNI9) or real (H0STCNI0) TR. :func:`ticks.fill_notice` says
        what else ``fill`` holds.
        """
        hts_id = hts_id if hts_id is not None else getattr(fill, "hts_id", None)
        self._in_loop(self._deliver_fill, hts_id, fill)

    def fill_listener(self, hts_id: str | None = None) -> Callable[[object], None]:
        """A callback for a broker's hook: ``broker.on_fill(ws.fill_listener())``."""
        return lambda fill: self.notify_fill(hts_id, fill)

    def drop_all(self) -> None:
        """Cut every open connection (clients see a network failure); callable from any thread."""
        self._in_loop(self._abort_all)

    def silence_all(self) -> None:
        """Every open session goes silent without closing (a dead link); new ones are normal."""
        for session in self.open_sessions:
            session.silent = True

    async def send_ticks(self, tr_id: str, key: str, count: int = 1) -> int:
        """Send one frame of ``count`` records to every session registered for it; sessions reached."""
        stream = self._stream((tr_id, key))
        sessions = [s for s in self.open_sessions if (tr_id, key) in s.registrations]
        if sessions:
            text = stream.frame(count)
            for session in sessions:
                await self._send_frame(session, text)
        return len(sessions)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        """Return once ``predicate()`` holds; TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.005)

    # -- internals: thread hand-over --

    def _in_loop(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or self._server is None:
            return  # not running: no session to reach
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _abort_all(self) -> None:
        for session in self.open_sessions:
            session.abort()

    def _deliver_fill(self, hts_id: str | None, fill: object) -> None:
        mock = getattr(fill, "mock", None)
        trs = self._notice_trs
        if isinstance(mock, bool):
            trs = tuple(t for t in trs if (t == self._notice_mock) == mock)
        for session in self.open_sessions:
            for tr_id, key in session.registrations:
                if tr_id in trs and (hts_id is None or key == hts_id):
                    fields = fill_notice(self._notice_record, key, fill, seed=self.seed)
                    cipher_key, iv = session.ciphers[tr_id]
                    text = encrypted_frame(tr_id, [fields], cipher_key, iv)
                    session.notices += 1
                    self.notices_sent += 1
                    self._spawn(self._send_notice(session, text))

    # -- internals: sessions --

    def _stream(self, registration: Registration) -> TickStream:
        stream = self._streams.get(registration)
        if stream is None:
            stream = self._streams[registration] = TickStream(
                *registration, seed=self.seed, market=self.market
            )
        return stream

    def _approved(self, key: str) -> bool:
        if self.faults.refuse_approval or not key:
            return False
        keys = self.approval_keys
        if keys is None:
            return True
        if callable(keys):
            return bool(keys(key))
        return key in keys

    async def _handle(self, ws: ServerConnection) -> None:
        session = Session(ws, next(self._numbers))
        if len(self.sessions) >= 200:  # a long-running server keeps the recent ones only
            self.sessions = [s for s in self.sessions if s.open][-100:]
        self.sessions.append(session)
        tasks: list[asyncio.Task[None]] = []
        if self.ping_interval is not None:
            tasks.append(asyncio.create_task(self._pings(session)))
        if self.tick_interval is not None:
            tasks.append(asyncio.create_task(self._ticks(session)))
        try:
            async for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                await self._on_message(session, text)
        except ConnectionClosed:
            pass
        finally:
            session.open = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _pings(self, session: Session) -> None:
        assert self.ping_interval is not None
        while session.open:
            await asyncio.sleep(self.ping_interval)
            if session.silent:
                continue
            session.echoed.clear()
            try:
                await session.ws.send(_ping_text())
            except ConnectionClosed:
                return
            session.pings += 1
            try:
                await asyncio.wait_for(session.echoed.wait(), self.echo_timeout)
            except TimeoutError:
                if self.faults.check_echo:
                    log.info("session %d: PINGPONG not echoed; closing", session.number)
                    # Not awaited here: ending the session cancels this task.
                    self._spawn(session.ws.close(1008, "PINGPONG not echoed"))
                    return

    async def _ticks(self, session: Session) -> None:
        assert self.tick_interval is not None
        r = rng("multi-record", self.seed, session.number)
        while session.open:
            await asyncio.sleep(self.tick_interval)
            for registration in list(session.registrations):
                if registration not in session.registrations:  # unsubscribed meanwhile
                    continue
                stream = self._stream(registration)
                if stream.spec.encrypted:
                    continue  # notices come from fills, not from the clock
                count = r.choice((2, 3)) if r.random() < self.multi_record else 1
                await self._send_frame(session, stream.frame(count))

    async def _send_notice(self, session: Session, text: str) -> None:
        async with session.notice_order:  # fills reach the client in the order they happened
            await self._send_frame(session, text)

    async def _send_frame(self, session: Session, text: str) -> None:
        if not session.open or session.silent:
            return
        try:
            await session.ws.send(text)
        except ConnectionClosed:
            return
        session.frames += 1
        limit = self.faults.drop_after_frames
        if limit is not None and session.frames >= limit:
            log.info("session %d: dropped after %d frames (fault)", session.number, limit)
            session.abort()

    # -- internals: protocol --

    async def _on_message(self, session: Session, text: str) -> None:
        if session.silent:
            return
        try:
            message = json.loads(text)
            header = message["header"]
            if header.get("tr_id") == PING:
                session.echoes.append(text)
                session.echoed.set()
                return
            request = message["body"]["input"]
            tr_id, tr_key = str(request["tr_id"]), str(request["tr_key"])
        except (ValueError, KeyError, TypeError, AttributeError):
            await self._reply(session, ("", ""), "9", BAD_REQUEST, "JSON PARSING ERROR : invalid json")  # fmt: skip
            return
        received = Request(
            session.number,
            str(header.get("approval_key") or ""),
            str(header.get("custtype") or ""),
            str(header.get("tr_type") or ""),
            tr_id,
            tr_key,
        )
        self.requests.append(received)
        registration = (tr_id, tr_key)
        if not self._approved(received.approval_key):
            await self._reply(session, registration, FAIL, *BAD_APPROVAL)
        elif tr_id not in TR_IDS:
            await self._reply(session, registration, FAIL, BAD_REQUEST, f"invalid tr_id : {tr_id}")
        elif not tr_key or len(tr_key) > MAX_TR_KEY or not tr_key.isprintable():
            await self._reply(session, (tr_id, ""), FAIL, BAD_REQUEST, "invalid tr_key")
        elif received.tr_type == "1":
            await self._subscribe(session, registration)
        elif received.tr_type == "2":
            await self._unsubscribe(session, registration)
        else:
            await self._reply(session, registration, FAIL, BAD_REQUEST, "invalid tr_type")

    async def _subscribe(self, session: Session, registration: Registration) -> None:
        session.subscribes[registration] += 1
        if registration in session.registrations:
            await self._reply(session, registration, FAIL, *ALREADY)
        elif len(session.registrations) >= self.max_registrations:
            await self._reply(session, registration, FAIL, *MAX_OVER)
        else:
            cipher = session.ciphers.setdefault(registration[0], _cipher())
            # The reply goes out before the registration counts, so no frame precedes it.
            await self._reply(session, registration, OK, *SUBSCRIBED, cipher=cipher)
            session.registrations[registration] = None

    async def _unsubscribe(self, session: Session, registration: Registration) -> None:
        if registration not in session.registrations:
            await self._reply(session, registration, FAIL, *NOT_FOUND)
            return
        del session.registrations[registration]
        cipher = session.ciphers.get(registration[0])
        await self._reply(session, registration, OK, *UNSUBSCRIBED, cipher=cipher)

    async def _reply(
        self,
        session: Session,
        registration: Registration,
        rt_cd: str,
        msg_cd: str,
        msg1: str,
        *,
        cipher: tuple[str, str] | None = None,
    ) -> None:
        tr_id, tr_key = registration
        encrypted = tr_id in TR_IDS and realtime_spec(tr_id).encrypted
        body: dict[str, Any] = {"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg1}
        if cipher is not None:
            body["output"] = {"iv": cipher[1], "key": cipher[0]}
        header = {"tr_id": tr_id, "tr_key": tr_key, "encrypt": "Y" if encrypted else "N"}
        session.replies.append(msg1)
        with contextlib.suppress(ConnectionClosed):
            await session.ws.send(
                json.dumps(
                    {"header": header, "body": body}, separators=(",", ":"), ensure_ascii=False
                )
            )


class RealtimeSandboxThread:
    """A :class:`RealtimeSandbox` on its own thread and event loop, for code without asyncio.

    ``with RealtimeSandboxThread(approval_keys=keys) as ws: ws.url``; :meth:`notify_fill` and
    :meth:`drop_all` may be called from any thread.
    """

    def __init__(self, **options: Any) -> None:
        self.sandbox = RealtimeSandbox(**options)
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return self.sandbox.url

    @property
    def faults(self) -> Faults:
        return self.sandbox.faults

    def start(self, timeout: float = 10.0) -> RealtimeSandboxThread:
        if self._thread is not None:
            raise RuntimeError("RealtimeSandboxThread.start() called twice")
        self._thread = threading.Thread(target=self._main, name="kisapi-sandbox-ws", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("the realtime sandbox did not start in time")
        if self._error is not None:
            raise self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        thread = self._thread
        if thread is None:
            return
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(timeout)

    def __enter__(self) -> RealtimeSandboxThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def notify_fill(self, hts_id: str | None, fill: object) -> None:
        self.sandbox.notify_fill(hts_id, fill)

    def fill_listener(self, hts_id: str | None = None) -> Callable[[object], None]:
        return self.sandbox.fill_listener(hts_id)

    def drop_all(self) -> None:
        self.sandbox.drop_all()

    def silence_all(self) -> None:
        self.sandbox.silence_all()

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.sandbox.start()
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self.sandbox.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m kisapi_sandbox.ws``: serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m kisapi_sandbox.ws", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=31000)
    parser.add_argument(
        "--approval-key", action="append", help="accept only these keys (default: any)"
    )
    parser.add_argument("--tick-interval", type=float, default=0.5)
    parser.add_argument("--ping-interval", type=float, default=10.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def serve_forever() -> None:
        async with RealtimeSandbox(
            host=args.host,
            port=args.port,
            approval_keys=set(args.approval_key) if args.approval_key else None,
            tick_interval=args.tick_interval,
            ping_interval=args.ping_interval,
        ) as ws:
            log.info("realtime sandbox on %s", ws.url)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever())


if __name__ == "__main__":
    main()
