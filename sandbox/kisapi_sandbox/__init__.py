"""kisapi_sandbox: a local KIS-compatible fake, driven by the same specs as the SDK.

``Sandbox().transport()`` plugs into ``Kis(transport=...)`` for offline use and tests.
"""

from __future__ import annotations

from .responder import Sandbox

__all__ = ["Sandbox"]
