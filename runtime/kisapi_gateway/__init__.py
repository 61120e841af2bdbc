"""``kisapi-gateway``: one KIS realtime session per app key, shared by many processes.

The gateway registers each (TR, key) once, however many consumers want it, and publishes the
records to Redis Streams; consumers use the usual realtime API with
``akis.realtime(gateway="redis://...")``. Needs the ``kisapi[redis]`` extra.
"""

from __future__ import annotations

try:
    import redis  # noqa: F401
except ImportError as exc:  # pragma: no cover (the dev install has it)
    raise ImportError("kisapi_gateway needs Redis support: pip install 'kisapi[redis]'") from exc

__all__ = ["GatewayConfig", "GatewayConnection", "GatewayThread", "KisGatewayRefusedError"]

from .config import GatewayConfig
from .consumer import GatewayConnection, GatewayThread, KisGatewayRefusedError
