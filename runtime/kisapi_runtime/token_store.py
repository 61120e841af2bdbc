"""Where access tokens are shared: the interface a token store offers the token manager.

The default store is the owner-only file cache of this machine (kept in ``auth``); with
``limits_url`` it is Redis (``redis_limits.RedisTokenStore``), shared by every machine.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

__all__ = ["SharedTokenStore", "TokenEntry"]


class TokenEntry(NamedTuple):
    """A token as kept in memory and in a store; ``token`` is ``""`` once dropped."""

    token: str
    expires_at: float
    issued_at: float | None


class SharedTokenStore(Protocol):
    """A token store shared beyond this machine, with a lock that spans its users.

    ``acquire`` / ``aacquire`` return a handle for ``release`` (or ``None`` from
    ``try_acquire`` when the lock is busy) and raise :class:`~kisapi_runtime.errors.
    KisLimitStoreError` when the store is unreachable.
    """

    where: str
    """The store's ``scheme://host:port/db``, for messages (no password)."""

    def read(self) -> TokenEntry | None: ...

    def write(self, entry: TokenEntry) -> None: ...

    def acquire(self, timeout: float) -> str: ...

    async def aacquire(self, timeout: float) -> str: ...

    def try_acquire(self, timeout: float) -> str | None: ...

    def release(self, handle: str) -> None: ...

    async def arelease(self, handle: str) -> None: ...
