"""A quote, typed: the current price of Samsung Electronics and its move against the base price.

Runs against the local KIS sandbox started in-process (no account, no network):
``python examples/quote.py``. With ``KIS_*`` set and ``--live`` it asks KIS itself.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from kisapi import Kis
from kisapi_sandbox.server import serve


@contextmanager
def client(live: bool) -> Iterator[Kis]:
    if live:
        with Kis.from_env() as kis:
            yield kis
        return
    with (
        serve(port=0) as server,
        tempfile.TemporaryDirectory() as tokens,
        Kis(
            appkey="sandbox-appkey",
            appsecret="sandbox-appsecret",
            env="mock",
            rest_url=server.mock_url,
            token_cache_dir=tokens,
        ) as kis,
    ):
        yield kis


def main(live: bool = False) -> None:
    with client(live) as kis:
        quote = kis.domestic_stock.inquire_price(fid_input_iscd="005930").output
        # `output` is never None on success, and the fields KIS always fills are plain ints.
        move = quote.stck_prpr - quote.stck_sdpr
        print(f"005930 {quote.stck_prpr:,} won ({move:+,} vs base {quote.stck_sdpr:,})")
        print(f"day range {quote.stck_lwpr:,} - {quote.stck_hgpr:,}, volume {quote.acml_vol:,}")
        # Fields KIS may leave blank stay Optional: say what a blank means.
        per = quote.per if quote.per is not None else "n/a"
        print(f"PER {per}")


if __name__ == "__main__":
    main(live="--live" in sys.argv[1:])
