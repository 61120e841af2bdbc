"""The JSON parser for response bodies: orjson when it is installed, else the standard json.

orjson parses KIS's string-heavy bodies 2-3x faster than ``json`` and gives the same dicts,
lists and strings, so the generated converters work unchanged on either. It is a default
dependency on CPython; without it (PyPy, or removed) everything works on ``json``.
:func:`integers` converts many integer texts in one typed msgspec parse (also a dependency on
CPython; ``int()`` each without it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]
try:
    import msgspec
except ImportError:  # pragma: no cover - exercised by the fallback test with msgspec hidden
    msgspec = None  # type: ignore[assignment]

__all__ = ["PARSER", "JSONDecodeError", "integers", "loads", "orjson"]

JSONDecodeError: Final = json.JSONDecodeError
"""What :func:`loads` raises on malformed input (orjson's error is a subclass of it)."""

PARSER: Final = "orjson" if orjson is not None else "json"

_INT_LIST: msgspec.json.Decoder[list[int | None]] | None = (
    None if msgspec is None else msgspec.json.Decoder(list[int | None])
)
"""Reads a JSON array of integers and nulls, and nothing else."""


def loads(data: bytes | str) -> Any:
    """Parse a JSON document (bytes are read as UTF-8)."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)


def integers(texts: Sequence[str]) -> list[int | None]:
    """``[int(t) if t else None for t in texts]`` in one typed parse of the joined texts where
    msgspec is installed (``"null"`` reads as None too); :class:`ValueError` when a text is no
    integer, :class:`TypeError` when one is no string.

    msgspec checks in C that the joined texts are exactly a JSON array of integers and nulls,
    so a float, a boolean, a string, an array or a leading zero is refused, and a text holding a
    comma makes one value too many; then ``int()`` decides, text by text.
    """
    if _INT_LIST is not None:
        joined = ",".join(texts)
        if not all(texts):  # blank texts read as null
            if ",," in joined:  # two passes reach runs of them
                joined = joined.replace(",,", ",null,").replace(",,", ",null,")
            if joined.startswith(","):
                joined = "null" + joined
            if joined.endswith(",") or not joined:
                joined += "null"
        try:
            parsed = _INT_LIST.decode(f"[{joined}]")
        except msgspec.DecodeError:  # ValidationError is one too
            pass
        else:
            if len(parsed) == len(texts):
                return parsed
    return [int(t) if t else None for t in texts]
