"""kisapi_sandbox: a local KIS-compatible server driven by the same specs as the SDK.

``Sandbox().transport()`` plugs into ``Kis(transport=...)`` in-process; ``serve()`` runs the REST
and WebSocket server on loopback (``python -m kisapi_sandbox``); ``PaperBroker`` trades on paper.
Everything but ``Sandbox`` loads on first use (the server needs uvicorn: ``pip install kisapi[sandbox]``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .responder import Sandbox

if TYPE_CHECKING:
    from .paper import PaperBroker
    from .server import SandboxServer, serve
    from .ws import RealtimeSandbox

__all__ = ["PaperBroker", "RealtimeSandbox", "Sandbox", "SandboxServer", "serve"]

_LAZY = {
    "PaperBroker": ".paper",
    "RealtimeSandbox": ".ws",
    "SandboxServer": ".server",
    "serve": ".server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kisapi_sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
