"""The local KIS sandbox for the examples: ``with sandbox(): main()``.

Starts the sandbox in-process (a simulated market with a paper broker that is always open,
REST and WebSocket on free loopback ports) and points ``Kis.from_env()`` at it through the
``KIS_*`` variables, as a user's own environment would. The paper account starts with one
filled market buy of 3 shares of 005930, so holdings and today's orders have a row to show. With ``KIS_APPKEY`` already set it
does nothing, so the same script talks to KIS itself.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from kisapi import Kis
from kisapi_sandbox.paper import PaperBroker
from kisapi_sandbox.server import serve

HTS_ID = "example-hts"


@contextmanager
def sandbox(env: Literal["mock", "real"] = "mock") -> Iterator[None]:
    """Run the body against the sandbox unless ``KIS_APPKEY`` is set; ``env`` picks which KIS
    server it plays (``real`` for the APIs KIS offers real accounts only; no money either way)."""
    if os.environ.get("KIS_APPKEY"):
        yield
        return
    broker = PaperBroker(enforce_hours=False, hts_id=HTS_ID)
    with (
        serve(
            port=0, ws_port=0, ws_mock_port=0, broker=broker, realtime={"tick_interval": 0.1}
        ) as server,
        tempfile.TemporaryDirectory() as tokens,
    ):
        rest_url = server.mock_url if env == "mock" else server.rest_url
        settings = {
            "KIS_APPKEY": "sandbox-appkey",
            "KIS_APPSECRET": "sandbox-appsecret",
            "KIS_ACCOUNT": "50000000-01",
            "KIS_HTS_ID": HTS_ID,
            "KIS_ENV": env,
            "KIS_REST_URL": rest_url,
            "KIS_WS_URL": server.ws_url(env),
            "KIS_MASTER_URL": rest_url + "/common/master/",
            "KIS_TOKEN_CACHE_DIR": tokens,
        }
        saved = {name: os.environ.get(name) for name in settings}
        os.environ.update(settings)
        try:
            with Kis.from_env() as kis:
                kis.domestic_stock.buy("005930", qty=3)
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
