"""A sandbox with a paper broker that takes orders at any hour, and clients on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kisapi import Kis
from kisapi_sandbox import PaperBroker, serve
from kisapi_sandbox.server import SandboxServer

STOCKS = "50000123-01"
FUTURES = "50000123-03"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve(broker=PaperBroker(enforce_hours=False)) as srv:
        yield srv


@pytest.fixture
def settings(server: SandboxServer, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def make(account: str = STOCKS, env: str = "mock") -> dict[str, Any]:
        url = server.mock_url if env == "mock" else server.rest_url
        return {"appkey": "PStrading0123456789abcdefghijklmn", "appsecret": "trading-secret",
                "account": account, "env": env, "rest_url": url, "token_cache_dir": tmp_path,
                "rate_limit": 1000, "master_url": f"{server.rest_url}/common/master/"}  # fmt: skip

    return make


@pytest.fixture
def kis(settings: Callable[..., dict[str, Any]]) -> Iterator[Kis]:
    with Kis(**settings()) as client:
        yield client


@pytest.fixture
def broker(server: SandboxServer) -> PaperBroker:
    found = server.sandbox.broker
    assert isinstance(found, PaperBroker)
    return found
