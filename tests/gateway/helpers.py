"""App-key clients and small waits shared by the gateway tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from kisapi_runtime.config import KisConfig


class AppKeyClient:
    """One app key as the gateway needs it: a config and an approval-key source."""

    def __init__(
        self,
        n: int,
        url: str,
        cache: Path,
        *,
        account: str | None = None,
        hts_id: str | None = None,
    ) -> None:
        self.config = KisConfig(
            appkey=f"PSgwAppKey{n:03d}abcdefgh",
            appsecret=f"gwAppSecret{n:03d}-0123456789abcdef",
            account=account,
            hts_id=hts_id,
            env="real",  # the fake KIS speaks the real TR IDs (H0STCNI0)
            ws_url=url,
            token_cache_dir=cache,
        )
        self.n = n
        self.issued = 0
        self._key: str | None = None

    async def approval_key(self) -> str:
        if self._key is None:
            self.issued += 1
            self._key = f"gw-approval-{self.n}-{self.issued}-0a1b2c3d"
        return self._key

    def invalidate_approval_key(self) -> None:
        self._key = None


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
