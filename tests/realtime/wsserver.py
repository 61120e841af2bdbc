"""A small KIS-like realtime server on 127.0.0.1 for the connection tests.

It answers subscribe/unsubscribe like KIS (per-session registrations, ``ALREADY IN SUBSCRIBE``,
``MAX SUBSCRIBE OVER`` past 41, ``invalid approval`` for refused keys), pushes frames, sends
PINGPONG and records the echo, and drops or refuses connections on demand.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import attrs
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

CIPHER_KEY = "tgwamzheswuhrijydnzkvsjaymxcecgx"
CIPHER_IV = "80e85b05c1899390"
PING = '{"header":{"tr_id":"PINGPONG","datetime":"20241011121818"}}'


@attrs.define(eq=False)
class Session:
    """One client connection as the server sees it."""

    ws: ServerConnection
    registrations: set[tuple[str, str]] = attrs.field(factory=set)
    subscribes: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    replies: list[str] = attrs.field(factory=list)
    """msg1 of every reply sent."""
    echoes: list[str] = attrs.field(factory=list)
    open: bool = True


@attrs.define
class Received:
    approval_key: str
    custtype: str
    tr_type: str
    content_type: str
    tr_id: str
    tr_key: str


class KisWsServer:
    """``async with KisWsServer() as server:`` then connect to ``server.url``."""

    def __init__(
        self,
        *,
        encrypted: Iterable[str] = (),
        refused_keys: Iterable[str] = (),
        refuse_by_closing: bool = False,
        max_registrations: int = 41,
    ) -> None:
        self.encrypted = set(encrypted)
        self.refused_keys = set(refused_keys)
        self.refuse_by_closing = refuse_by_closing
        self.max_registrations = max_registrations
        self.reject_handshakes = 0
        """Answer this many next handshakes with HTTP 503."""
        self.sessions: list[Session] = []
        self.received: list[Received] = []
        self.url = ""
        self._server: Server | None = None

    async def __aenter__(self) -> KisWsServer:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._process_request
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)

    # -- test controls --

    @property
    def current(self) -> Session:
        """The newest open session."""
        return next(s for s in reversed(self.sessions) if s.open)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.005)

    async def push(self, *frames: str) -> None:
        for frame in frames:
            await self.current.ws.send(frame)

    async def ping(self, timeout: float = 2.0) -> str:
        """Send PINGPONG and return what the client echoed."""
        session = self.current
        seen = len(session.echoes)
        await session.ws.send(PING)
        await self.wait_until(lambda: len(session.echoes) > seen, timeout)
        return session.echoes[seen]

    def drop(self) -> None:
        """Cut the newest session without a closing handshake."""
        self.current.ws.transport.abort()

    # -- protocol --

    def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        if self.reject_handshakes > 0:
            self.reject_handshakes -= 1
            return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        session = Session(ws)
        self.sessions.append(session)
        try:
            async for message in ws:
                await self._on_message(session, str(message))
        except ConnectionClosed:
            pass
        finally:
            session.open = False

    async def _on_message(self, session: Session, text: str) -> None:
        message = json.loads(text)
        header = message["header"]
        if header.get("tr_id") == "PINGPONG":
            session.echoes.append(text)
            return
        request = message["body"]["input"]
        received = Received(
            header["approval_key"], header["custtype"], header["tr_type"],
            header["content-type"], request["tr_id"], request["tr_key"],
        )  # fmt: skip
        self.received.append(received)
        registration = (received.tr_id, received.tr_key)
        if received.approval_key in self.refused_keys:
            if self.refuse_by_closing:
                await session.ws.close(1008, "invalid approval")
            else:
                await self._reply(session, registration, "1", "OPSP0011", "invalid approval : NOT FOUND")  # fmt: skip
            return
        if received.tr_type == "2":
            if registration in session.registrations:
                session.registrations.discard(registration)
                await self._reply(session, registration, "0", "OPSP0001", "UNSUBSCRIBE SUCCESS")
            else:
                await self._reply(session, registration, "1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)")  # fmt: skip
            return
        session.subscribes[registration] += 1
        if registration in session.registrations:
            await self._reply(session, registration, "1", "OPSP0002", "ALREADY IN SUBSCRIBE")
        elif len(session.registrations) >= self.max_registrations:
            await self._reply(session, registration, "1", "OPSP0008", "MAX SUBSCRIBE OVER")
        else:
            session.registrations.add(registration)
            output = {"iv": CIPHER_IV, "key": CIPHER_KEY}
            await self._reply(session, registration, "0", "OPSP0000", "SUBSCRIBE SUCCESS", output)

    async def _reply(
        self,
        session: Session,
        registration: tuple[str, str],
        rt_cd: str,
        msg_cd: str,
        msg1: str,
        output: dict[str, str] | None = None,
    ) -> None:
        tr_id, tr_key = registration
        encrypt = "Y" if tr_id in self.encrypted else "N"
        body: dict[str, Any] = {"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg1}
        if output is not None:
            body["output"] = output
        header = {"tr_id": tr_id, "tr_key": tr_key, "encrypt": encrypt}
        session.replies.append(msg1)
        await session.ws.send(json.dumps({"header": header, "body": body}))
