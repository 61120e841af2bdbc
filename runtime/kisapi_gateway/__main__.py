"""``kisapi-gateway [--config gateway.toml] [--redis URL]``: run the gateway until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

from kisapi_runtime.secret import get_logger

from .config import GatewayConfig

log = get_logger("gateway")


async def serve(config: GatewayConfig) -> None:
    """Run the gateway for ``config`` until SIGINT/SIGTERM."""
    from kisapi import AsyncKis
    from kisapi.realtime import registry

    from .gateway import Gateway

    clients = [AsyncKis(c) for c in config.app_keys]
    gateway = Gateway(
        clients,
        registry(),
        config.redis,
        prefix=config.prefix,
        consumer_timeout=config.consumer_timeout,
        maxlen=config.maxlen,
    )
    loop = asyncio.get_running_loop()
    try:
        async with gateway:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(gateway.stop()))
            log.info(
                "gateway: %d app key(s), prefix %r, serving", len(clients), gateway.keys.prefix
            )
            await gateway.wait()
    finally:
        for client in clients:
            await client.aclose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kisapi-gateway", description=__doc__)
    parser.add_argument("--config", help="gateway TOML (default: KIS_GATEWAY_CONFIG or KIS_*)")
    parser.add_argument("--redis", help="Redis URL (overrides the config)")
    parser.add_argument("--prefix", help="Redis key prefix (overrides the config)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    config = GatewayConfig.load(args.config)
    if args.redis or args.prefix:
        import attrs

        config = attrs.evolve(
            config, redis=args.redis or config.redis, prefix=args.prefix or config.prefix
        )
    asyncio.run(serve(config))


if __name__ == "__main__":
    main()
