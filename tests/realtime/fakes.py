"""A stand-in for the SDK client in realtime tests: a config and a counting approval-key source."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from kisapi_runtime.config import KisConfig

HTS_ID = "testhts01"


class FakeClient:
    """What RealtimeConnection needs from a client; approval keys are ``<prefix>-1``, ``-2``..."""

    def __init__(
        self,
        url: str,
        tmp_path: Path,
        *,
        prefix: str = "approval-key",
        hts_id: str = HTS_ID,
        env: Literal["real", "mock"] = "mock",
    ) -> None:
        self.config = KisConfig(
            appkey="PSappkey-realtime-1234",
            appsecret="secret-realtime-5678",
            env=env,
            hts_id=hts_id,
            ws_url=url,
            token_cache_dir=tmp_path,
        )
        self.prefix = prefix
        self.issued = 0
        self.invalidated = 0
        self._key: str | None = None

    async def approval_key(self) -> str:
        if self._key is None:
            self.issued += 1
            self._key = f"{self.prefix}-{self.issued}"
        return self._key

    def invalidate_approval_key(self) -> None:
        self.invalidated += 1
        self._key = None
