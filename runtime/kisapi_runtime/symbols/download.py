"""Master files downloaded on demand into a cache folder, refreshed once a (Korean) day."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Final

import httpx

from ..codecs import KST
from ..errors import KisConnectionError
from ..secret import get_logger

DEFAULT_MASTER_URL: Final = "https://new.real.download.dws.co.kr/common/master/"
"""Where KIS publishes its master files; ``KIS_MASTER_URL`` or ``base_url=`` replace it."""
DOWNLOAD_TIMEOUT: Final = 60.0

log = get_logger("symbols")


class MasterDownloadError(KisConnectionError):
    """A master file could not be downloaded and no earlier copy is cached."""


def master_url(base_url: str | None = None) -> str:
    url = base_url or os.environ.get("KIS_MASTER_URL") or DEFAULT_MASTER_URL
    return url if url.endswith("/") else url + "/"


def default_cache_dir() -> Path:
    """``$KIS_TOKEN_CACHE_DIR/masters``, else ``~/.cache/kisapi/masters`` (the token cache's
    default folder)."""
    base = os.environ.get("KIS_TOKEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "kisapi"
    )
    return Path(base) / "masters"


def today_kst() -> date:
    return datetime.now(KST).date()


class MasterCache:
    """``{cache_dir}/{file}``: fetched when missing or from before today's date in Korea."""

    def __init__(
        self,
        cache_dir: Path,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        today: Callable[[], date] = today_kst,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.base_url = master_url(base_url)
        self._http = http_client
        self._transport = transport
        self._today = today

    def path(self, file: str) -> Path:
        return self.cache_dir / file

    def is_fresh(self, file: str) -> bool:
        path = self.path(file)
        if not path.exists():
            return False
        saved = datetime.fromtimestamp(path.stat().st_mtime, KST).date()
        return saved >= self._today()

    def get(self, file: str) -> bytes:
        """The zip's bytes: from the cache when fresh, else downloaded (the stale copy when the
        download fails and one exists)."""
        if self.is_fresh(file):
            return self.path(file).read_bytes()
        url = self.base_url + file
        try:
            if self._http is not None:
                response = self._http.get(url, timeout=DOWNLOAD_TIMEOUT)
            else:
                with httpx.Client(transport=self._transport, timeout=DOWNLOAD_TIMEOUT) as http:
                    response = http.get(url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            return self._stale(file, url, exc)
        self.save(file, response.content)
        return response.content

    async def aget(self, file: str, http: httpx.AsyncClient) -> bytes:
        """Like :meth:`get`, downloading with an async client."""
        if self.is_fresh(file):
            return self.path(file).read_bytes()
        url = self.base_url + file
        try:
            response = await http.get(url, timeout=DOWNLOAD_TIMEOUT)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            return self._stale(file, url, exc)
        self.save(file, response.content)
        return response.content

    def _stale(self, file: str, url: str, exc: httpx.HTTPError) -> bytes:
        path = self.path(file)
        if path.exists():
            log.warning(
                "master %s: download failed (%s); using the copy cached", file, type(exc).__name__
            )
            return path.read_bytes()
        raise MasterDownloadError(
            f"master file {file}: {url}: {type(exc).__name__}: {exc}"
        ) from None

    def save(self, file: str, data: bytes) -> None:
        """Write atomically: readers in other processes see the old file or the new one."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{file}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.path(file))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
