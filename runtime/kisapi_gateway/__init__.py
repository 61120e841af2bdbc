"""``kisapi-gateway``: one KIS realtime session per app key, shared by many processes.

The gateway registers each (TR, key) once, however many consumers want it, and publishes the
records to Redis Streams; consumers use the usual realtime API with
``akis.realtime(gateway="redis://...")``. Needs the ``kisapi[redis]`` extra.
"""

from __future__ import annotations

__all__ = ["GatewayConfig", "GatewayConnection", "GatewayThread", "KisGatewayRefusedError"]

from .config import GatewayConfig
from .consumer import GatewayConnection, GatewayThread, KisGatewayRefusedError
