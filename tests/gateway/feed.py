"""A fast KIS-format realtime server whose records are numbered, for the gateway tests and
benchmark: loss and duplication are visible in the numbers.

It answers subscribe/unsubscribe as KIS does (40 registrations a session, ``ALREADY IN USE
appkey`` for a second session with an approval key already in use), and :meth:`Feed.pump`
sends ``H0STCNT0`` frames of several records to every registration. Each (TR, key) has its
own counter: ``CNTG_VOL`` holds the record's number (1, 2, ...) and ``ACML_TR_PBMN`` the send
time in microseconds. A number is used only once a frame carrying it went out, so a consumer
must see exactly 1..``sent[pair]``.

``python -m tests.gateway.feed`` runs one in its own process, driven by lines on stdin
(``pump ROUNDS PER_FRAME [RATE]``, ``drop``, ``stats``, ``quit``), answering JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from typing import Any

import attrs
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from kisapi import realtime

TR_ID = "H0STCNT0"
_SPEC = realtime.spec(TR_ID)
FIELDS = _SPEC.record.FIELDS
SEQ = FIELDS.index("CNTG_VOL")
SENT_US = FIELDS.index("ACML_TR_PBMN")
MAX_REGISTRATIONS = 40
IN_USE = ("OPSP8996", "ALREADY IN USE appkey")


def _template(code: str) -> tuple[str, str, str]:
    """The record as three literal parts around the number and the send time."""
    values = [code, "093000", "70000", "2", "100", "0.14"] + ["1"] * (len(FIELDS) - 6)
    values[SEQ] = values[SENT_US] = "\x00"
    head, middle, tail = "^".join(values).split("\x00")
    return head, middle, tail


@attrs.define(eq=False)
class Session:
    ws: ServerConnection
    approval_key: str = ""
    registrations: dict[tuple[str, str], None] = attrs.field(factory=dict)
    open: bool = True


class Feed:
    """``async with Feed() as feed:`` then point the gateway's sessions at ``feed.url``."""

    def __init__(self, *, max_registrations: int = MAX_REGISTRATIONS) -> None:
        self.max_registrations = max_registrations
        self.sessions: list[Session] = []
        self.sent: Counter[str] = Counter()
        """Key -> the last number sent."""
        self.refused_in_use = 0
        self.url = ""
        self._server: Server | None = None
        self._templates: dict[str, tuple[str, str, str]] = {}

    async def __aenter__(self) -> Feed:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, ping_interval=None, compression=None
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 5)

    @property
    def open_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.open]

    def registered(self) -> dict[str, int]:
        """Approval key -> registrations of its open session."""
        return {s.approval_key: len(s.registrations) for s in self.open_sessions}

    async def drop(self) -> int:
        """Close every open session (its frames already sent arrive first); sessions closed."""
        sessions = self.open_sessions
        for session in sessions:
            session.open = False
            with contextlib.suppress(ConnectionClosed):
                await session.ws.close(1001, "going away")
        return len(sessions)

    async def pump(self, rounds: int, per_frame: int = 10, rate: float | None = None) -> int:
        """``rounds`` frames of ``per_frame`` records to every registration; records sent.

        ``rate`` (records per second) paces it; None sends as fast as the sockets take them.
        """
        total = 0
        started = time.perf_counter()
        for _ in range(rounds):
            for session in self.open_sessions:
                for tr_id, key in list(session.registrations):
                    if tr_id == TR_ID and session.open:
                        total += await self._send(session, key, per_frame)
            if rate:
                ahead = total / rate - (time.perf_counter() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            else:
                await asyncio.sleep(0)
        return total

    async def _send(self, session: Session, key: str, count: int) -> int:
        head, middle, tail = self._templates.get(key) or self._templates.setdefault(
            key, _template(key)
        )
        first = self.sent[key] + 1
        stamp = str(time.time_ns() // 1000)
        payload = "^".join(f"{head}{n}{middle}{stamp}{tail}" for n in range(first, first + count))
        try:
            await session.ws.send(f"0|{TR_ID}|{count:03d}|{payload}")
        except ConnectionClosed:
            return 0
        self.sent[key] = first + count - 1
        return count

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
            return
        request = message["body"]["input"]
        registration = (str(request["tr_id"]), str(request["tr_key"]))
        approval = str(header["approval_key"])
        if not session.approval_key:
            if any(s.approval_key == approval for s in self.open_sessions if s is not session):
                self.refused_in_use += 1
                await self._reply(session, registration, "1", *IN_USE)
                return
            session.approval_key = approval
        if header["tr_type"] == "2":
            session.registrations.pop(registration, None)
            await self._reply(session, registration, "0", "OPSP0001", "UNSUBSCRIBE SUCCESS")
        elif registration in session.registrations:
            await self._reply(session, registration, "1", "OPSP0002", "ALREADY IN SUBSCRIBE")
        elif len(session.registrations) >= self.max_registrations:
            await self._reply(session, registration, "1", "OPSP0008", "MAX SUBSCRIBE OVER")
        else:
            await self._reply(session, registration, "0", "OPSP0000", "SUBSCRIBE SUCCESS")
            session.registrations[registration] = None

    async def _reply(
        self, session: Session, registration: tuple[str, str], rt_cd: str, code: str, msg: str
    ) -> None:
        header = {"tr_id": registration[0], "tr_key": registration[1], "encrypt": "N"}
        body = {"rt_cd": rt_cd, "msg_cd": code, "msg1": msg}
        with contextlib.suppress(ConnectionClosed):
            await session.ws.send(json.dumps({"header": header, "body": body}))


async def _serve() -> None:
    """The stdin/stdout driven process (see the module docstring)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(data: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    async with Feed() as feed:
        answer({"url": feed.url})
        pumping: asyncio.Task[int] | None = None
        while line := (await reader.readline()).decode().split():
            command, args = line[0], line[1:]
            if command == "pump":
                rate = float(args[2]) if len(args) > 2 else None
                pumping = asyncio.create_task(feed.pump(int(args[0]), int(args[1]), rate))
                answer({"pumping": True})
            elif command == "wait":
                sent = await pumping if pumping is not None else 0
                answer({"records": sent})
            elif command == "drop":
                answer({"dropped": await feed.drop()})
            elif command == "stats":
                answer(
                    {
                        "sent": dict(feed.sent),
                        "registered": list(feed.registered().values()),
                        "sessions": len(feed.sessions),
                        "refused_in_use": feed.refused_in_use,
                    }
                )
            elif command == "quit":
                break


if __name__ == "__main__":
    asyncio.run(_serve())
