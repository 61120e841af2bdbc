"""``python -m kisapi_sandbox`` (``kisapi-sandbox``): the KIS sandbox server on loopback.

Requests to ``--port`` are answered as KIS's real server, requests to ``--mock-port`` as its
paper-trading (mock) server: point a client at ``http://127.0.0.1:PORT`` with ``env="real"``
or at the mock port with ``env="mock"``. ``--ws-port`` / ``--ws-mock-port`` add the realtime
(WebSocket) server, which accepts the approval keys issued on the matching REST port; ``--db``
keeps paper-trading state in a file. The first line printed says where everything listens.

Orders go to the paper broker (``paper.PaperBroker``) when ``--db``, ``--broker``,
``--always-open`` or ``--hts-id`` is given; it refuses orders outside KRX hours unless
``--always-open`` (``KISAPI_SANDBOX_ALWAYS_OPEN=1``), and sends execution notices to the
``--hts-id`` (``KISAPI_SANDBOX_HTS_ID``). ``--seed`` (``KISAPI_SANDBOX_SEED``) picks the
simulated market every quote, chart and fill comes from.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from kisapi_runtime.codecs import KST

from .limits import parse_rates
from .market import Clock, Market, system_clock
from .responder import Broker

try:
    from .server import SandboxServer
except ImportError as exc:  # uvicorn is an optional dependency
    raise SystemExit(
        f"kisapi-sandbox needs uvicorn ({exc}): pip install 'kisapi[sandbox]'"
    ) from None

DEFAULT_BROKER = "kisapi_sandbox.paper:open_broker"
ENV_ALWAYS_OPEN = "KISAPI_SANDBOX_ALWAYS_OPEN"
ENV_HTS_ID = "KISAPI_SANDBOX_HTS_ID"
ENV_SEED = "KISAPI_SANDBOX_SEED"
_TRUE = frozenset({"1", "true", "yes", "on", "y"})


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in _TRUE


def _rates(text: str) -> dict[str, float | None]:
    try:
        return parse_rates(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text}: not a TCP port")
    return port


def parser(environ: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The command line; ``environ`` (``os.environ``) supplies the KISAPI_SANDBOX_* defaults."""
    env = os.environ if environ is None else environ
    p = argparse.ArgumentParser(
        prog="kisapi-sandbox",
        description="A local KIS Developers Open API server built from the kisapi specs.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=9443, help="REST port answering as KIS real (9443)"
    )
    p.add_argument("--mock-port", type=_port, default=29443,
                   help="REST port answering as KIS mock / paper trading (29443)")  # fmt: skip
    p.add_argument("--ws-port", type=_port, help="also serve realtime (WebSocket) as KIS real here")
    p.add_argument("--ws-mock-port", type=_port, help="also serve realtime as KIS mock here")
    p.add_argument("--rate-limit", type=_rates, default=None, metavar="off|N|REAL,MOCK",
                   help="calls per second per app key (KIS: 20,2); off switches it off")  # fmt: skip
    p.add_argument("--db", help="paper-trading state file for the broker")
    p.add_argument("--broker", help=f"broker factory MODULE:CALLABLE, called with db=FILE "
                                    f"(default with --db: {DEFAULT_BROKER})")  # fmt: skip
    p.add_argument(
        "--always-open",
        action="store_true",
        default=_flag(env, ENV_ALWAYS_OPEN),
        help=f"paper broker: take orders at any hour ({ENV_ALWAYS_OPEN}=1)",
    )
    p.add_argument(
        "--hts-id",
        default=env.get(ENV_HTS_ID) or None,
        metavar="ID",
        help=f"paper broker: the HTS ID execution notices go to ({ENV_HTS_ID})",
    )
    p.add_argument("--seed", type=int, default=int(env.get(ENV_SEED) or 0),
                   help=f"seed of the simulated market ({ENV_SEED}, 0)")  # fmt: skip
    p.add_argument("--today", type=date.fromisoformat, help="fix the calendar (YYYY-MM-DD)")
    p.add_argument("--no-control", action="store_true", help="disable /__sandbox__/ controls")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return p


def load_broker(spec: str, db: str | None, **options: Any) -> Broker:
    """Import ``module:callable`` and call it with ``db=`` and ``options``."""
    module_name, _, attr = spec.partition(":")
    try:
        factory: Any = getattr(importlib.import_module(module_name), attr or "open_broker")
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"kisapi-sandbox: cannot load the broker {spec!r}: {exc}") from None
    broker: Broker = factory(db=db, **options)
    return broker


def market_clock(today: date | None) -> Clock:
    """The wall clock, moved to ``today`` when the calendar is fixed (same time of day)."""
    if today is None:
        return system_clock
    return lambda: datetime.combine(today, datetime.now(KST).time(), tzinfo=KST)


def make_broker(args: argparse.Namespace, market: Market) -> Broker | None:
    """The paper broker the options ask for (None: orders answered from the specs)."""
    if not (args.broker or args.db or args.always_open or args.hts_id):
        return None
    options: dict[str, Any] = {}
    if args.always_open:
        options["enforce_hours"] = False
    if args.hts_id:
        options["hts_id"] = args.hts_id
    if args.broker is None:
        options["market"] = market
    return load_broker(args.broker or DEFAULT_BROKER, args.db, **options)


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    market = Market(seed=args.seed, clock=market_clock(args.today))
    broker = make_broker(args, market)
    server = SandboxServer(
        host=args.host,
        port=args.port,
        mock_port=args.mock_port,
        ws_port=args.ws_port,
        ws_mock_port=args.ws_mock_port,
        rate_limits=args.rate_limit,
        broker=broker,
        control=not args.no_control,
        log_level=args.log_level,
        today=args.today,
        market=getattr(broker, "market", market),
    )
    try:
        server.bind()
    except OSError as exc:
        raise SystemExit(f"kisapi-sandbox: cannot listen: {exc}") from None
    server.run(ready=_announce)


def _announce(server: SandboxServer) -> None:
    """The first line on stdout: where to connect (scripts read it when ports are 0)."""
    rates = server.limits.rates
    parts = [f"real {server.rest_url}", f"mock {server.mock_url}"]
    parts += [f"ws-{env} {server.ws_url(env)}" for env in server.realtime]
    parts.append(f"rate limit real={rates['real'] or 'off'} mock={rates['mock'] or 'off'}")
    print("kisapi-sandbox: " + "  ".join(parts), flush=True)


if __name__ == "__main__":
    main()
