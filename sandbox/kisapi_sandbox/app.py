"""The ASGI application: HTTP requests in, the :class:`~.responder.Sandbox`'s answers out,
with KIS's header casing (``Content-Type``, ``Content-Length``, ``Date`` capitalised; ``tr_id``,
``tr_cont``, ``gt_uid`` lower case) and a control endpoint for tests under ``/__sandbox__/``.

Each listening port has a personality: requests arriving on a ``real`` port are answered as
KIS's real server (openapi...:9443), on a ``mock`` port as its paper-trading server
(openapivts...:29443). Tokens, app keys, TR IDs and rate limits are per personality.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from email.utils import formatdate
from typing import Any, Final
from urllib.parse import parse_qsl

from .responder import MOCK_HOST_MARKERS, Env, Reply, Request, Sandbox, kis_error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONTROL: Final = "/__sandbox__/"
MAX_BODY: Final = 1 << 20
log = logging.getLogger("kisapi_sandbox")


class DroppedConnection(Exception):
    """Raised after the headers to make the server close the connection (a fault)."""


class _DropFilter(logging.Filter):
    """Keep injected drops out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnection)


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


class _Date:
    """The ``Date`` header, formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = b""

    def get(self) -> bytes:
        now = asyncio.get_running_loop().time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._text = formatdate(usegmt=True).encode()
        return self._text


class SandboxApp:
    """ASGI 3 application serving a :class:`Sandbox` (``ports`` maps port -> personality)."""

    def __init__(
        self,
        sandbox: Sandbox,
        ports: Mapping[int, Env] | None = None,
        *,
        control: bool = True,
    ) -> None:
        self.sandbox = sandbox
        self.ports: dict[int, Env] = dict(ports or {})
        self.control = control
        self._date = _Date()

    def env_of(self, scope: Scope) -> Env:
        """The personality of the port the request came to (else guessed from ``Host``)."""
        server = scope.get("server")
        if server and server[1] in self.ports:
            return self.ports[server[1]]
        host = _header(scope, b"host")
        return "mock" if any(m in host for m in MOCK_HOST_MARKERS) else "real"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":  # the realtime server (ws.py) has ports of its own
            await send({"type": "websocket.close", "code": 1008})
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        try:
            if body is None:
                reply = kis_error(413, "EGW00002", "요청 본문이 너무 큽니다.")
            elif self.control and scope["path"].startswith(CONTROL):
                reply = self._control(scope, body)
            else:
                reply = self.sandbox.respond(_request(scope, body, self.env_of(scope)))
        except Exception:
            # Never a stack trace on the wire: KIS's own "system error" answer instead.
            log.exception("sandbox failed on %s %s", scope["method"], scope["path"])
            reply = kis_error(500, "EGW00001", "일시적인 오류가 발생하였습니다.")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = [(name.encode(), value.encode()) for name, value in reply.headers]
        length = str(len(reply.body) + (1 if reply.drop else 0)).encode()
        headers += [(b"Content-Length", length), (b"Date", self._date.get())]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        if reply.drop:
            # Content-Length promises one byte more than is sent: the client sees a cut body.
            await send({"type": "http.response.body", "body": reply.body, "more_body": True})
            raise DroppedConnection(scope["path"])
        await send({"type": "http.response.body", "body": reply.body})

    def _control(self, scope: Scope, body: bytes) -> Reply:
        """``/__sandbox__/faults`` (GET lists, POST adds), ``limits``, ``clock``, ``reset``."""
        name = scope["path"][len(CONTROL) :].strip("/")
        method = scope["method"]
        try:
            data = json.loads(body) if body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("send a JSON object")
            sandbox = self.sandbox
            if name == "faults" and method == "GET":
                result: Any = [f.as_dict() for f in sandbox.faults.active()]
            elif name == "faults" and method == "POST":
                result = sandbox.faults.apply(data)
            elif name == "limits" and method == "GET":
                result = sandbox.limits.rates
            elif name == "limits" and method == "POST":
                sandbox.limits.configure(data)
                result = sandbox.limits.rates
            elif name == "clock" and method == "POST":
                sandbox.advance(float(data.get("advance", 0)))
                result = {"now": sandbox.now()}
            elif name == "reset" and method == "POST":
                sandbox.reset()
                result = {"reset": True}
            elif name == "counts" and method == "GET":
                result = dict(sandbox.counts)
            else:
                return _control_reply(404, {"error": f"no control {method} {name!r}"})
        except (ValueError, TypeError, RecursionError) as exc:
            return _control_reply(400, {"error": str(exc)[:200]})
        return _control_reply(200, result)


def _control_reply(status: int, data: Any) -> Reply:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Reply(status, body, (("Content-Type", "application/json; charset=UTF-8"),))


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None past MAX_BODY."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _request(scope: Scope, body: bytes, env: Env) -> Request:
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        headers[bytes(key).decode("latin-1").lower()] = bytes(value).decode("latin-1").strip()
    query_string = bytes(scope.get("query_string", b"")).decode("utf-8", "replace")
    return Request(
        method=scope["method"],
        path=scope["path"],
        headers=headers,
        query=tuple(parse_qsl(query_string, keep_blank_values=True)),
        body=body,
        env=env,
    )
