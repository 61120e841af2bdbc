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
    if orjson is None:
        return [int(t) if t else None for t in texts]
    joined = f"[{','.join(texts)}]"
    inner_blanks = ",," in joined
    if not (inner_blanks or joined[1] == "," or joined[-2] == "," or "n" in joined):
        # No blank, no null; without true and false (sum() counts them as integers) every
        # text reads as an integer, or as what sum() refuses (string, array, object) or turns
        # into a float (floats, integers beyond 64 bits), or orjson refuses it (leading
        # zeros, "+5", NaN): then int() decides.
        if not ("t" in joined or "f" in joined):
            try:
                parsed: list[Any] = orjson.loads(joined)
                if len(parsed) == len(texts) and type(sum(parsed)) is int:
                    return parsed
            except (orjson.JSONDecodeError, TypeError):
                pass
    # Blank texts read as null. What orjson could read as another type and write back as
    # read must not reach it: strings, arrays (a "[" past the first), objects, true, false,
    # floats.
    elif not (
        '"' in joined
        or joined.find("[", 1) > 0
        or "{" in joined
        or "t" in joined
        or "f" in joined
        or "." in joined
        or "e" in joined
        or "E" in joined
    ):
        if inner_blanks:
            joined = joined.replace(",,", ",null,")
            if ",," in joined:  # runs of blank texts
                joined = joined.replace(",,", ",null,")
        if joined[1] == ",":
            joined = "[null" + joined[1:]
        if joined[-2] == ",":
            joined = joined[:-1] + "null]"
        try:
            parsed = orjson.loads(joined)
        except orjson.JSONDecodeError:
            parsed = []  # leading zeros, "+5", non-ASCII digits: int() decides
        # one value per text (a text with a comma makes more), each written as orjson writes
        # it back: no float (orjson reads integers beyond 64 bits as floats)
        if len(parsed) == len(texts) and orjson.dumps(parsed) == joined.encode():
            return parsed
    return [int(t) if t else None for t in texts]
