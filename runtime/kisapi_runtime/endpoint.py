"""Base classes of the generated endpoint and namespace classes."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from .api import ApiSpec

C = TypeVar("C")


class Endpoint(Generic[C]):
    """One API bound to a client; generated subclasses add ``__call__``, ``raw`` and ``pages``."""

    __slots__ = ("_client",)
    api: ClassVar[ApiSpec[Any] | None] = None

    def __init__(self, client: C) -> None:
        self._client = client

    def __repr__(self) -> str:
        api = type(self).api
        if api is None:
            return f"<{type(self).__name__} endpoint>"
        tr = "/".join(dict.fromkeys(r.real for r in api.tr_ids if r.real)) or "-"
        return f"<{type(self).__name__} endpoint {api.id} {api.title!r}: {api.kind} {api.method} {api.path} tr={tr}>"


class Namespace(Generic[C]):
    """A product namespace (``kis.domestic_stock``); endpoints load lazily on first use."""

    def __init__(self, client: C) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} namespace>"
