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
from typing import TYPE_CHECKING, Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import msgspec

__all__ = ["PARSER", "JSONDecodeError", "integers", "loads", "orjson"]

JSONDecodeError: Final = json.JSONDecodeError
"""What :func:`loads` raises on malformed input (orjson's error is a subclass of it)."""

PARSER: Final = "orjson" if orjson is not None else "json"

_UNLOADED: Final[Any] = object()
_INT_LIST: msgspec.json.Decoder[list[int | None]] | None = _UNLOADED
"""Reads a JSON array of integers and nulls, and nothing else; ``None`` without msgspec.
Made on the first :func:`integers` call: importing msgspec costs ~5 ms that ``import kisapi``
need not pay."""
_INT_ERROR: type[Exception] = ValueError


def _load_int_list() -> msgspec.json.Decoder[list[int | None]] | None:
    global _INT_LIST, _INT_ERROR
    try:
        import msgspec.json
    except ImportError:  # pragma: no cover - exercised with _INT_LIST set to None
        _INT_LIST = None
    else:
        _INT_ERROR = msgspec.DecodeError  # ValidationError is one too
        _INT_LIST = msgspec.json.Decoder(list[int | None])
    return _INT_LIST


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
    parser = _INT_LIST if _INT_LIST is not _UNLOADED else _load_int_list()
    if parser is not None:
        joined = ",".join(texts)
        if not all(texts):  # blank texts read as null
            if ",," in joined:  # two passes reach runs of them
                joined = joined.replace(",,", ",null,").replace(",,", ",null,")
            if joined.startswith(","):
                joined = "null" + joined
            if joined.endswith(",") or not joined:
                joined += "null"
        try:
            parsed = parser.decode(f"[{joined}]")
        except _INT_ERROR:
            pass
        else:
            if len(parsed) == len(texts):
                return parsed
    return [int(t) if t else None for t in texts]
