"""Base classes of the generated endpoint and namespace classes."""

from __future__ import annotations

from typing import Generic, TypeVar

C = TypeVar("C")


class Endpoint(Generic[C]):
    """One API bound to a client; generated subclasses add ``__call__``, ``raw`` and ``pages``."""

    __slots__ = ("_client",)

    def __init__(self, client: C) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} endpoint>"


class Namespace(Generic[C]):
    """A product namespace (``kis.domestic_stock``); endpoints load lazily on first use."""

    def __init__(self, client: C) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} namespace>"
