"""The bytes on the wire, read from a raw socket: KIS's header casing (``Content-Type``,
``Content-Length``, ``Date`` capitalised; ``tr_id``, ``tr_cont``, ``gt_uid`` lower case) and
requests shaped like KIS's own sample client (empty ``tr_cont``, ``custtype``, ``Accept:
text/plain``, ``charset``, a browser User-Agent, UPPER_CASE query strings, JSON text bodies).

KIS's sample client turns every lower-case response header name into an attribute of a
namedtuple: a lower-case ``content-type`` (or any name with a hyphen) crashes it.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections import namedtuple
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest

from kisapi_sandbox.server import SandboxServer

from .conftest import APPSECRET, ORDER_BODY, ORDER_PATH, QUOTE_PARAMS, QUOTE_PATH, QUOTE_TR, RawKis

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"


class Wire:
    """One keep-alive connection speaking HTTP/1.1 by hand."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""

    def send(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""
    ) -> None:
        lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in headers]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def receive(self) -> tuple[str, list[tuple[str, str]], bytes]:
        """Status line, header (name, value) pairs exactly as sent, body."""
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *header_lines = head.decode("latin-1").split("\r\n")
        headers = [(n, v.strip()) for n, v in (line.split(":", 1) for line in header_lines)]
        length = int(dict(headers)["Content-Length"])
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def wire(sandbox_server: SandboxServer) -> Iterator[Callable[[str], Wire]]:
    opened: list[Wire] = []

    def connect(env: str = "real") -> Wire:
        opened.append(Wire(sandbox_server.port_of("mock" if env == "mock" else "real")))
        return opened[-1]

    yield connect
    for connection in opened:
        connection.close()


def sample_client_headers(kis: RawKis, tr_id: str) -> list[tuple[str, str]]:
    """What KIS's sample client sends (its spelling and order)."""
    return [
        ("Content-Type", "application/json"),
        ("Accept", "text/plain"),
        ("charset", "UTF-8"),
        ("User-Agent", BROWSER),
        ("authorization", f"Bearer {kis.token()}"),
        ("appkey", kis.appkey),
        ("appsecret", kis.appsecret),
        ("tr_id", tr_id),
        ("custtype", "P"),
        ("tr_cont", ""),
    ]


def assert_kis_casing(headers: list[tuple[str, str]], *, api: bool) -> None:
    names = [name for name, _ in headers]
    for name in ("Content-Type", "Content-Length", "Date"):
        assert names.count(name) == 1, names
    if api:
        for name in ("tr_id", "tr_cont", "gt_uid"):
            assert names.count(name) == 1, names
    lower = [n for n in names if n.islower()]
    assert all(n.isidentifier() for n in lower), f"the sample client would crash on {lower}"
    namedtuple("header", lower)  # what the sample client does with them
    assert len({n.lower() for n in names}) == len(names), f"duplicate headers {names}"


def test_quote_as_the_sample_client_sends_it(
    wire: Callable[[str], Wire], raw_kis: Callable[..., RawKis]
) -> None:
    kis = raw_kis()
    connection = wire("real")
    connection.send(
        "GET", f"{QUOTE_PATH}?{urlencode(QUOTE_PARAMS)}", sample_client_headers(kis, QUOTE_TR)
    )
    status, headers, body = connection.receive()
    assert status == "HTTP/1.1 200 OK"
    assert_kis_casing(headers, api=True)
    values = dict(headers)
    assert values["Content-Type"] == "application/json; charset=UTF-8"
    assert values["tr_id"] == QUOTE_TR
    assert values["tr_cont"] == "D"
    assert len(values["gt_uid"]) == 32
    assert int(values["Content-Length"]) == len(body)
    decoded = json.loads(body)
    assert (decoded["rt_cd"], decoded["msg_cd"]) == ("0", "MCA00000")
    assert all(isinstance(v, str) for v in decoded["output"].values())


def test_keep_alive_order_with_a_json_text_body(
    wire: Callable[[str], Wire], raw_kis: Callable[..., RawKis]
) -> None:
    kis = raw_kis("mock")
    connection = wire("mock")
    body = json.dumps(ORDER_BODY).encode()
    for _ in range(2):  # two answers on one connection
        connection.send("POST", ORDER_PATH, sample_client_headers(kis, "VTTC0012U"), body)
        status, headers, content = connection.receive()
        assert status == "HTTP/1.1 200 OK", content
        assert_kis_casing(headers, api=True)
        assert len(json.loads(content)["output"]["ODNO"]) == 10


def test_errors_and_auth_answers_have_the_same_casing(
    wire: Callable[[str], Wire], raw_kis: Callable[..., RawKis]
) -> None:
    kis = raw_kis()
    connection = wire("real")
    token_body = json.dumps({"grant_type": "client_credentials", "appkey": kis.appkey,
                             "appsecret": APPSECRET}).encode()  # fmt: skip
    connection.send("POST", "/oauth2/tokenP", [("content-type", "application/json")], token_body)
    status, headers, content = connection.receive()
    assert status == "HTTP/1.1 200 OK"
    assert_kis_casing(headers, api=False)
    assert "access_token" in json.loads(content)

    bad = sample_client_headers(kis, "TTTC8434R")  # a TR ID of another path
    connection.send("GET", f"{QUOTE_PATH}?{urlencode(QUOTE_PARAMS)}", bad)
    status, headers, content = connection.receive()
    assert status.startswith("HTTP/1.1 500 ")
    assert_kis_casing(headers, api=False)
    assert json.loads(content)["msg_cd"] == "EGW00002"

    connection.send("GET", "/uapi/hashkey", [])
    status, headers, _ = connection.receive()
    assert status.startswith("HTTP/1.1 405 ")
    assert_kis_casing(headers, api=False)


def test_http_client_sees_the_same_names(
    sandbox_server: SandboxServer, raw_kis: Callable[..., RawKis]
) -> None:
    """``http.client`` (under ``requests``, which the sample client uses) keeps names as sent."""
    kis = raw_kis()
    connection = http.client.HTTPConnection("127.0.0.1", sandbox_server.port_of("real"), timeout=5)
    try:
        headers = dict(sample_client_headers(kis, QUOTE_TR))
        connection.request("GET", f"{QUOTE_PATH}?{urlencode(QUOTE_PARAMS)}", headers=headers)
        response = connection.getresponse()
        names = [name for name, _ in response.getheaders()]
        response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert {"Content-Type", "Content-Length", "Date", "tr_id", "tr_cont", "gt_uid"} <= set(names)
    assert not {"content-type", "content-length", "date", "server"} & set(names)
