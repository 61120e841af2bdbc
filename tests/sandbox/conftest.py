"""Fixtures for tests against the sandbox as a real HTTP server on loopback.

``sandbox_server``: a running :class:`SandboxServer` (``.rest_url`` answers as KIS real,
``.mock_url`` as KIS mock), reset to a fresh state for each test; one server serves the whole
session. ``sandbox_client``: a ``Kis`` (real environment) against it, with its own app key and
token cache. ``sandbox_kis``: a factory for more clients (``sandbox_kis(env="mock", ...)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi import Kis
from kisapi_sandbox.server import SandboxServer, serve

ACCOUNT = "12345678-01"
APPSECRET = "sandbox-appsecret"


@pytest.fixture(scope="session")
def sandbox_session_server() -> Iterator[SandboxServer]:
    with serve() as server:
        yield server


@pytest.fixture
def sandbox_server(sandbox_session_server: SandboxServer) -> SandboxServer:
    """The session's server with no tokens, faults or clock moves, and KIS's rate limits."""
    sandbox_session_server.reset()
    return sandbox_session_server


QUOTE_PATH = "/uapi/domestic-stock/v1/quotations/inquire-price"
QUOTE_TR = "FHKST01010100"
QUOTE_PARAMS = {"FID_COND_MRKT_DIV_CODE": "J", "FID_INPUT_ISCD": "005930"}
BALANCE_PATH = "/uapi/domestic-stock/v1/trading/inquire-balance"
BALANCE_PARAMS = {
    "CANO": "12345678", "ACNT_PRDT_CD": "01", "AFHR_FLPR_YN": "N", "OFL_YN": "",
    "INQR_DVSN": "02", "UNPR_DVSN": "01", "FUND_STTL_ICLD_YN": "N",
    "FNCG_AMT_AUTO_RDPT_YN": "N", "PRCS_DVSN": "00", "CTX_AREA_FK100": "", "CTX_AREA_NK100": "",
}  # fmt: skip
ORDER_PATH = "/uapi/domestic-stock/v1/trading/order-cash"
ORDER_BODY = {
    "CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00",
    "ORD_QTY": "1", "ORD_UNPR": "70000", "EXCG_ID_DVSN_CD": "KRX", "SLL_TYPE": "", "CNDT_PRIC": "",
}  # fmt: skip


def new_appkey() -> str:
    """An app key of KIS's length (36), different for every caller."""
    return ("PS" + uuid.uuid4().hex + "SANDBOX")[:36]


@pytest.fixture
def sandbox_kis(sandbox_server: SandboxServer, tmp_path: Path) -> Iterator[Callable[..., Kis]]:
    """``sandbox_kis(env="real", **settings) -> Kis`` against the server; closed after the test."""
    made: list[Kis] = []

    def make(env: str = "real", **settings: Any) -> Kis:
        options: dict[str, Any] = {
            "appkey": new_appkey(),
            "appsecret": APPSECRET,
            "account": ACCOUNT,
            "hts_id": "sandbox01",
            "env": env,
            "rest_url": sandbox_server.url("mock" if env == "mock" else "real"),
            "token_cache_dir": tmp_path / f"tokens-{len(made)}",
        }
        options.update(settings)
        kis = Kis(**options)
        made.append(kis)
        return kis

    yield make
    for kis in made:
        kis.close()


@pytest.fixture
def sandbox_client(sandbox_kis: Callable[..., Kis]) -> Kis:
    """A ``Kis`` for the real environment against ``sandbox_server`` (KIS's 20 calls/s)."""
    return sandbox_kis()


class RawKis:
    """KIS calls straight over HTTP (httpx, no SDK), as one app key of one environment."""

    def __init__(self, server: SandboxServer, env: str = "real") -> None:
        self.server = server
        self.env = env
        self.appkey = new_appkey()
        self.appsecret = APPSECRET
        self.http = httpx.Client(
            base_url=server.url("mock" if env == "mock" else "real"), timeout=5
        )
        self._token: str | None = None

    def issue(self, **body: str) -> httpx.Response:
        payload = {"grant_type": "client_credentials", "appkey": self.appkey,
                   "appsecret": self.appsecret, **body}  # fmt: skip
        return self.http.post("/oauth2/tokenP", json=payload)

    def token(self) -> str:
        if self._token is None:
            response = self.issue()
            assert response.status_code == 200, response.text
            self._token = str(response.json()["access_token"])
        return self._token

    def headers(self, tr_id: str | None, **extra: str) -> dict[str, str]:
        headers = {
            "content-type": "application/json; charset=utf-8",
            "authorization": f"Bearer {self.token()}",
            "appkey": self.appkey,
            "appsecret": self.appsecret,
            "custtype": "P",
            "tr_cont": "",
        }
        if tr_id is not None:
            headers["tr_id"] = tr_id
        headers.update(extra)
        return headers

    def get(
        self, path: str = QUOTE_PATH, params: dict[str, str] | None = None,
        tr_id: str | None = QUOTE_TR, **headers: str,
    ) -> httpx.Response:  # fmt: skip
        query = QUOTE_PARAMS if params is None else params
        return self.http.get(path, params=query, headers=self.headers(tr_id, **headers))

    def post(
        self, path: str, content: bytes | str, tr_id: str | None, **headers: str
    ) -> httpx.Response:
        return self.http.post(path, content=content, headers=self.headers(tr_id, **headers))

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def raw_kis(sandbox_server: SandboxServer) -> Iterator[Callable[..., RawKis]]:
    """``raw_kis(env="real") -> RawKis``: plain HTTP calls with a fresh app key."""
    made: list[RawKis] = []

    def make(env: str = "real") -> RawKis:
        made.append(RawKis(sandbox_server, env))
        return made[-1]

    yield make
    for client in made:
        client.close()
