"""The gateway's settings: Redis, and the app keys whose KIS sessions it holds.

A TOML file (``--config``, or ``KIS_GATEWAY_CONFIG``)::

    redis = "redis://127.0.0.1:6379/0"
    prefix = "kisapi:gw"          # optional
    consumer_timeout = 15         # seconds without heartbeat before a consumer is released
    maxlen = 10000                # entries kept per stream (XADD MAXLEN ~)
    env = "real"                  # defaults for every app key below (also rest_url, ws_url...)

    [[appkeys]]
    appkey = "PS..."
    appsecret = "..."
    account = "12345678-01"       # optional: with hts_id, its execution notices are served
    hts_id = "..."

Without a file, the one app key of ``KIS_APPKEY``/``KIS_APPSECRET``/... is used;
``KIS_GATEWAY_REDIS`` and ``KIS_GATEWAY_PREFIX`` override the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import KisConfigError

from .names import DEFAULT_PREFIX

__all__ = ["GatewayConfig"]

_SHARED = ("env", "rest_url", "ws_url", "custtype", "timeout", "token_cache_dir")
_SETTINGS = ("redis", "prefix", "consumer_timeout", "maxlen", "appkeys")


@attrs.frozen(kw_only=True)
class GatewayConfig:
    app_keys: tuple[KisConfig, ...]
    redis: str = "redis://127.0.0.1:6379/0"
    prefix: str = DEFAULT_PREFIX
    consumer_timeout: float = 15.0
    maxlen: int = 10_000

    def __attrs_post_init__(self) -> None:
        if not self.app_keys:
            raise KisConfigError("the gateway needs at least one app key ([[appkeys]])")
        keys = [c.appkey.reveal() for c in self.app_keys]
        if len(set(keys)) != len(keys):
            raise KisConfigError("an app key is listed twice: KIS allows one session per app key")

    @classmethod
    def load(
        cls, path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> GatewayConfig:
        """From ``path`` (or ``KIS_GATEWAY_CONFIG``), else the ``KIS_*`` environment."""
        env = os.environ if environ is None else environ
        path = path or env.get("KIS_GATEWAY_CONFIG")
        values: dict[str, Any] = {}
        if path:
            values = _read(Path(path))
        else:
            values["app_keys"] = (KisConfig.from_env(env),)
        if env.get("KIS_GATEWAY_REDIS"):
            values["redis"] = env["KIS_GATEWAY_REDIS"]
        if env.get("KIS_GATEWAY_PREFIX"):
            values["prefix"] = env["KIS_GATEWAY_PREFIX"]
        return cls(**values)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KisConfigError(f"cannot read gateway config {path}: {type(exc).__name__}") from None
    unknown = sorted(k for k in data if k not in _SETTINGS and k not in _SHARED)
    if unknown:
        raise KisConfigError(f"{path}: unknown settings {', '.join(unknown)}")
    entries = data.get("appkeys")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise KisConfigError(f"{path}: [[appkeys]] tables are required")
    shared = {k: data[k] for k in _SHARED if k in data}
    values: dict[str, Any] = {k: data[k] for k in _SETTINGS if k in data and k != "appkeys"}
    try:
        values["app_keys"] = tuple(KisConfig(**{**shared, **entry}) for entry in entries)
    except TypeError:
        raise KisConfigError(f"{path}: an [[appkeys]] table has an unknown setting") from None
    return values
