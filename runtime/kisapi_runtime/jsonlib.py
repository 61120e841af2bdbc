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


_NULL_FOR_EMPTY: Final = {"": "null"}


def integers(texts: Sequence[str]) -> list[int | None]:
    """``[int(t) if t else None for t in texts]`` in one orjson parse of the joined texts where
    installed (``"null"`` reads as None too); :class:`ValueError` when a text is no integer."""
    if orjson is not None:
        joined = ",".join(texts)
        # what could parse as something else than an integer or null: strings, arrays,
        # objects, true, false (floats are caught below, NaN and Infinity orjson refuses)
        if (
            '"' not in joined
            and "[" not in joined
            and "{" not in joined
            and "t" not in joined
            and "f" not in joined
        ):
            parsed = _parse_integers(joined, texts)
            # one value per text (a text with a comma makes more), no float (orjson reads
            # integers beyond 64 bits as floats)
            if (
                parsed is not None
                and len(parsed) == len(texts)
                and type(sum(filter(None, parsed))) is int
            ):
                return parsed
    return [int(t) if t else None for t in texts]


def _parse_integers(joined: str, texts: Sequence[str]) -> list[Any] | None:
    if "" in texts:  # no value: null, as to_int reads it
        joined = ",".join(map(_NULL_FOR_EMPTY.get, texts, texts))
    try:
        parsed: list[Any] = orjson.loads("[" + joined + "]")
    except orjson.JSONDecodeError:
        return None  # leading zeros, "+5", non-ASCII digits: int() decides
    return parsed
