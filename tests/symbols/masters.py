"""Builds master zips in KIS's layouts from the committed rows (rows.yaml): the test fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from kisapi_runtime.symbols.layout import layouts

ROWS = Path(__file__).with_name("rows.yaml")


def rows() -> dict[str, dict[str, list[dict[str, Any]]]]:
    data: dict[str, dict[str, list[dict[str, Any]]]] = yaml.safe_load(ROWS.read_text("utf-8"))
    return data


def zips() -> dict[str, bytes]:
    """Download name -> zip bytes, for every file of every master (empty when no rows)."""
    data = rows()
    out = {}
    for layout in layouts().values():
        for file in layout.files:
            out[file.file] = layout.zip(file.member, data.get(layout.id, {}).get(file.market, []))
    return out


class MasterServer:
    """A MockTransport handler serving the zips under any base URL; counts requests."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = zips() if files is None else files
        self.requests: list[str] = []
        self.fail = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        self.requests.append(name)
        if self.fail:
            return httpx.Response(503)
        data = self.files.get(name)
        return httpx.Response(404) if data is None else httpx.Response(200, content=data)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
