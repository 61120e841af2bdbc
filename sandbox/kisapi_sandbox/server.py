"""Run the sandbox as a real HTTP server on loopback (uvicorn, h11), on a background thread
(``serve()``, tests) or in the foreground (``python -m kisapi_sandbox``).

uvicorn's h11 protocol is used on purpose: h11 writes header names exactly as the application
gives them, while uvicorn's httptools protocol lower-cases them, which breaks KIS's own sample
client (it reads lower-case names as attributes and chokes on ``content-type``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import uvicorn

from .app import SandboxApp
from .faults import Faults
from .limits import DEFAULT_RATES, RateLimits
from .responder import Broker, Env, Sandbox

START_TIMEOUT: Final = 10.0
STOP_TIMEOUT: Final = 5.0


class SandboxServer:
    """The sandbox on loopback ports: ``port`` answers as KIS real, ``mock_port`` as KIS mock
    (0 picks a free port). ``rate_limits`` maps ``real``/``mock`` to calls a second per app key
    (KIS's 20 and 2 by default; None switches one off). ``ws_port``/``ws_mock_port`` also start
    the realtime (WebSocket) sandbox there, accepting the approval keys this server issued;
    ``realtime`` holds its further options.

    ``with SandboxServer() as server: Kis(..., rest_url=server.rest_url)``
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        mock_port: int | None = 0,
        ws_port: int | None = None,
        ws_mock_port: int | None = None,
        sandbox: Sandbox | None = None,
        rate_limits: Mapping[str, float | None] | None = None,
        broker: Broker | None = None,
        realtime: Mapping[str, Any] | None = None,
        control: bool = True,
        log_level: str = "warning",
        **sandbox_options: Any,
    ) -> None:
        if sandbox is None:
            rates = DEFAULT_RATES if rate_limits is None else rate_limits
            sandbox = Sandbox(broker=broker, rate_limits=rates, **sandbox_options)
        elif rate_limits is not None or broker is not None or sandbox_options:
            raise TypeError("pass either a Sandbox or the options to make one, not both")
        self.sandbox = sandbox
        self.host = host
        self._wanted: dict[Env, int] = {"real": port}
        if mock_port is not None:
            self._wanted["mock"] = mock_port
        self._ws_wanted: dict[Env, int] = {}
        if ws_port is not None:
            self._ws_wanted["real"] = ws_port
        if ws_mock_port is not None:
            self._ws_wanted["mock"] = ws_mock_port
        self._realtime_options = dict(realtime or {})
        self.realtime: dict[Env, Any] = {}
        """The running realtime servers (``ws.RealtimeSandboxThread``) by personality."""
        self._bound: dict[Env, int] = {}
        self._sockets: list[socket.socket] = []
        self.app = SandboxApp(sandbox, control=control)
        self._config = uvicorn.Config(
            self.app,
            http="h11",
            ws="none",
            lifespan="on",
            server_header=False,
            date_header=False,
            access_log=False,
            log_config=None,
            log_level=log_level,
            timeout_graceful_shutdown=1,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"SandboxServer({self.rest_url if self._bound else 'not started'})"

    # --- addresses -------------------------------------------------------------------

    def port_of(self, env: Env = "real") -> int:
        """The REST port answering as ``env``."""
        try:
            return self._bound[env]
        except KeyError:
            raise RuntimeError(f"no {env} listener (not started, or not asked for)") from None

    def url(self, env: Env = "real") -> str:
        """``http://127.0.0.1:PORT`` of the REST personality ``env``."""
        return f"http://{self._netloc_host}:{self.port_of(env)}"

    @property
    def _netloc_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def rest_url(self) -> str:
        """The KIS-real REST URL."""
        return self.url("real")

    @property
    def mock_url(self) -> str:
        """The KIS-mock (paper trading) REST URL."""
        return self.url("mock")

    def ws_url(self, env: Env = "real") -> str:
        """``ws://127.0.0.1:PORT`` of the realtime server for ``env`` (``ws_port`` / ``ws_mock_port``)."""
        if env not in self.realtime:
            raise RuntimeError(f"no {env} realtime server (not started, or not asked for)")
        return str(self.realtime[env].url)

    @property
    def faults(self) -> Faults:
        return self.sandbox.faults

    @property
    def limits(self) -> RateLimits:
        return self.sandbox.limits

    def reset(self) -> None:
        """Back to a fresh server: no tokens, faults, clock moves; default limits."""
        self.sandbox.reset()

    # --- life cycle ------------------------------------------------------------------

    def bind(self) -> None:
        """Open the listening sockets (ports are known from here on)."""
        if self._sockets:
            return
        try:
            for env, wanted in self._wanted.items():
                sock = _listen(self.host, wanted)
                self._sockets.append(sock)
                port = int(sock.getsockname()[1])
                self._bound[env] = port
                self.app.ports[port] = env
        except OSError:
            self._close_sockets()
            raise

    def start(self) -> SandboxServer:
        """Serve on a background thread; returns once the server accepts connections."""
        if self._thread is not None:
            return self
        self.bind()
        server = self._server = uvicorn.Server(self._config)
        thread = self._thread = threading.Thread(
            target=asyncio.run,
            args=(server.serve(sockets=self._sockets),),
            name="kisapi-sandbox",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        try:
            self._start_realtime()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving and close the ports (idempotent)."""
        self._stop_realtime()
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(STOP_TIMEOUT)
            if thread.is_alive():
                server.force_exit = True
                thread.join(STOP_TIMEOUT)
        self._server = self._thread = None
        self._close_sockets()

    def run(self, ready: Callable[[SandboxServer], object] | None = None) -> None:
        """Serve in the foreground until interrupted (Ctrl-C / SIGTERM); ``ready(self)`` is
        called once every port listens."""
        self.bind()
        self._server = uvicorn.Server(self._config)
        try:
            self._start_realtime()
            if ready is not None:
                ready(self)
            asyncio.run(self._server.serve(sockets=self._sockets))
        finally:
            self._stop_realtime()
            self._server = None
            self._close_sockets()

    def _start_realtime(self) -> None:
        if not self._ws_wanted:
            return
        from .ws import RealtimeSandboxThread  # websockets is only needed with a WS port

        broker = self.sandbox.broker
        for env, port in self._ws_wanted.items():
            options: dict[str, Any] = {
                "host": self.host,
                "port": port,
                "approval_keys": self._approval_check(env),
                "market": self.sandbox.market,
                **self._realtime_options,
            }
            realtime = self.realtime[env] = RealtimeSandboxThread(**options).start()
            on_fill = getattr(broker, "on_fill", None)
            if callable(on_fill):  # the paper broker's fills become execution notices
                on_fill(realtime.fill_listener())

    def _approval_check(self, env: Env) -> Callable[[str], bool]:
        def issued_here(key: str) -> bool:
            return self.sandbox.approval_env(key) == env

        return issued_here

    def _stop_realtime(self) -> None:
        for realtime in self.realtime.values():
            realtime.stop()
        self.realtime.clear()

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets.clear()
        self._bound.clear()
        self.app.ports.clear()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Made with an explicit IPPROTO_TCP: asyncio only switches Nagle
    off (TCP_NODELAY) on sockets whose protocol says TCP, and with Nagle on every keep-alive
    answer (headers and body are two writes) waits ~40 ms for the client's delayed ACK."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def serve(port: int = 0, **options: Any) -> Iterator[SandboxServer]:
    """A running sandbox server for the ``with`` block: ``.rest_url`` (KIS real),
    ``.mock_url`` (KIS mock), ``.faults``, ``.limits``, ``.sandbox``."""
    server = SandboxServer(port=port, **options)
    with server:
        yield server
