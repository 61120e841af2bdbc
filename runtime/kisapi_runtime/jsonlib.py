"""The JSON parser for response bodies: orjson when it is installed, else the standard json.

orjson parses KIS's string-heavy bodies 2-3x faster than ``json`` and gives the same dicts,
lists and strings, so the generated converters work unchanged on either. It is a default
dependency on CPython; without it (PyPy, or removed) everything works on ``json``.
"""

from __future__ import annotations

import json
from typing import Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]

__all__ = ["PARSER", "JSONDecodeError", "loads", "orjson"]

JSONDecodeError: Final = json.JSONDecodeError
"""What :func:`loads` raises on malformed input (orjson's error is a subclass of it)."""

PARSER: Final = "orjson" if orjson is not None else "json"


def loads(data: bytes | str) -> Any:
    """Parse a JSON document (bytes are read as UTF-8)."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)
