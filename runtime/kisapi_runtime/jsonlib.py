"""The JSON parser for response bodies: orjson when it is installed, else the standard json.

orjson parses KIS's string-heavy bodies 2-3x faster than ``json`` and gives the same dicts,
lists and strings, so the generated converters work unchanged on either. It is a default
dependency on CPython; without it (PyPy, or removed) everything works on ``json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]

__all__ = ["PARSER", "JSONDecodeError", "integers", "loads", "orjson"]

JSONDecodeError: Final = json.JSONDecodeError
"""What :func:`loads` raises on malformed input (orjson's error is a subclass of it)."""

PARSER: Final = "orjson" if orjson is not None else "json"


def loads(data: bytes | str) -> Any:
    """Parse a JSON document (bytes are read as UTF-8)."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)


def integers(texts: Sequence[str]) -> list[int | None]:
    """``[int(t) if t else None for t in texts]`` in one orjson parse of the joined texts where
    installed (``"null"`` reads as None too); :class:`ValueError` when a text is no integer."""
    if orjson is not None:
        joined = "," + ",".join(texts) + ","
        # what could parse as something else than an integer or null: strings, arrays,
        # objects, true, false, floats (NaN and Infinity orjson refuses)
        if not (
            '"' in joined
            or "[" in joined
            or "{" in joined
            or "t" in joined
            or "f" in joined
            or "." in joined
            or "e" in joined
            or "E" in joined
        ):
            blank = ",," in joined
            if blank:  # an empty text is no value: null
                joined = joined.replace(",,", ",null,")
                if ",," in joined:  # runs of empty texts
                    joined = joined.replace(",,", ",null,")
            try:
                parsed: list[Any] = orjson.loads("[" + joined[1:-1] + "]")
            except orjson.JSONDecodeError:
                parsed = []  # leading zeros, "+5", non-ASCII digits: int() decides
            # one value per text (a text with a comma makes more), no float (orjson reads
            # integers beyond 64 bits as floats)
            if len(parsed) == len(texts) and (
                type(sum(filter(None, parsed) if blank or "n" in joined else parsed)) is int
            ):
                return parsed
    return [int(t) if t else None for t in texts]
