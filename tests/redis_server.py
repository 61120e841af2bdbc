"""A real ``redis-server`` for the tests: started on a free loopback port, no persistence.

The fixture ``redis_url`` starts one server per test session. Where the binary is missing the
tests that use it are skipped with the reason in the summary, unless ``KISAPI_REQUIRE_REDIS=1``
(set by ``.ci/run``): then a missing server is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

REQUIRED = os.environ.get("KISAPI_REQUIRE_REDIS") == "1"
STATUS: list[str] = []  # one line for the terminal summary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1; ``stop()`` / ``start()`` simulate an outage."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="kisapi-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--protected-mode",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _ping(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def version(self) -> str:
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout
        return out.split()[2] if len(out.split()) > 2 else out.strip()


def find_redis_server() -> str | None:
    return shutil.which("redis-server")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = find_redis_server()
    if binary is None:
        reason = "redis-server is not installed (apt-get install redis-server; make install does it as root)"
        if REQUIRED:
            pytest.fail(f"KISAPI_REQUIRE_REDIS=1 but {reason}")
        STATUS.append(f"redis tests skipped: {reason}")
        pytest.skip(reason)
    server = RedisServer(binary)
    server.start()
    STATUS.append(
        f"redis tests ran against a real redis-server {server.version()} on port {server.port}"
    )
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """A clean database on the session's server (FLUSHALL before each test)."""
    if redis_server.proc is None:
        redis_server.start()
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=2) as s:
        s.sendall(b"FLUSHALL\r\n")
        s.recv(16)
    yield redis_server.url
