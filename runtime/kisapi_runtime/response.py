"""The raw view of one call: HTTP status, headers, KIS codes, body and the typed result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import attrs
import httpx

T = TypeVar("T")


@attrs.frozen(slots=True)
class ApiResponse(Generic[T]):
    """What ``.raw(...)`` returns: the typed result plus everything KIS sent with it."""

    parsed: T
    status_code: int
    headers: httpx.Headers = attrs.field(repr=False)
    tr_id: str | None
    body: Mapping[str, Any] = attrs.field(repr=False)

    @property
    def tr_cont(self) -> str:
        """``F``/``M``: more pages follow; ``D``/``E``: last page."""
        return (self.headers.get("tr_cont") or "").strip()

    @property
    def has_next(self) -> bool:
        return self.tr_cont in ("F", "M")

    @property
    def rt_cd(self) -> str | None:
        value = self.body.get("rt_cd")
        return None if value is None else str(value)

    @property
    def msg_cd(self) -> str | None:
        value = self.body.get("msg_cd")
        return None if value is None else str(value)

    @property
    def msg1(self) -> str:
        return str(self.body.get("msg1") or "").strip()
