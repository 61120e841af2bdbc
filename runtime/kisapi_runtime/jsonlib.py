"""The JSON parser for response bodies: orjson when it is installed, else the standard json.

orjson parses KIS's string-heavy bodies 2-3x faster than ``json`` and gives the same dicts,
lists and strings, so the generated converters work unchanged on either. It is a default
dependency on CPython; without it (PyPy, or removed) everything works on ``json``.
:func:`integers` converts many integer texts in one typed msgspec parse (also a dependency on
CPython; ``int()`` each without it); :func:`fixed_integers` is that parse for a known count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the fallback test with orjson hidden
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import msgspec

__all__ = ["PARSER", "JSONDecodeError", "fixed_integers", "integers", "loads", "orjson"]

JSONDecodeError: Final = json.JSONDecodeError
"""What :func:`loads` raises on malformed input (orjson's error is a subclass of it)."""

PARSER: Final = "orjson" if orjson is not None else "json"

_UNLOADED: Final[Any] = object()
_INT_LIST: msgspec.json.Decoder[list[int | None]] | None = _UNLOADED
"""Reads a JSON array of integers and nulls, and nothing else; ``None`` without msgspec.
Made on the first :func:`integers` call: importing msgspec costs ~5 ms that ``import kisapi``
need not pay."""


def _msgspec_decoder(of: Any) -> msgspec.json.Decoder[Any] | None:
    """A msgspec JSON decoder of type ``of`` (its errors are :class:`ValueError`), or
    ``None`` without msgspec."""
    try:
        import msgspec.json
    except ImportError:  # pragma: no cover - exercised with _INT_LIST set to None
        return None
    return msgspec.json.Decoder(of)


def _load_int_list() -> msgspec.json.Decoder[list[int | None]] | None:
    global _INT_LIST
    _INT_LIST = _msgspec_decoder(list[int | None])
    return _INT_LIST


def _blanks_as_null(
    parser: msgspec.json.Decoder[list[int | None]], joined: str
) -> list[int | None] | None:
    """The parse of joined texts where blank ones (two commas, or a comma at an end) read as
    null; ``None`` when they still are no array of integers and nulls."""
    if ",," in joined:  # two passes reach runs of them
        joined = joined.replace(",,", ",null,").replace(",,", ",null,")
    if joined[:1] == ",":
        joined = "null" + joined
    if joined[-1:] == ",":
        joined += "null"
    try:
        return parser.decode(f"[{joined}]")
    except ValueError:
        return None


def _refuse(text: str) -> tuple[int | None, ...]:
    raise ValueError("msgspec is not installed")


def fixed_integers(count: int) -> Callable[[str], tuple[int | None, ...]]:
    """The parse of a JSON array of exactly ``count`` integers and nulls (:class:`ValueError`
    on anything else), for callers that join their integer texts themselves and fall back to
    :func:`integers` on an error; without msgspec, every text is refused.

    Imports msgspec: call it where its ~5 ms import is paid once, not on ``import kisapi``.
    """
    item = int | None
    parser = _msgspec_decoder(tuple[(item,) * count])  # type: ignore[misc]
    return _refuse if parser is None else parser.decode


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
        # Blank texts read as null. Looking for them costs more than a parse that finds
        # none, but a failed parse costs more still; they come mostly from a frame of an
        # older, shorter layout padded at the end, so a blank last text is looked at first.
        if texts and not texts[-1]:
            parsed = _blanks_as_null(parser, joined)
        else:
            try:
                parsed = parser.decode(f"[{joined}]")
            except ValueError:
                parsed = _blanks_as_null(parser, joined)
        if parsed is not None and len(parsed) == len(texts):
            return parsed
    return [int(t) if t else None for t in texts]
