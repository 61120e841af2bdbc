"""The client the CLI uses: configured exactly like the SDK (``KIS_*`` variables, ``KIS_CONFIG``)."""

from __future__ import annotations

import os
from typing import Any

from kisapi_runtime.config import KisConfig


def load_config(env: str | None = None, config_file: str | None = None) -> KisConfig:
    """``KIS_*`` from the environment; ``--env`` and ``--config`` act as KIS_ENV and KIS_CONFIG."""
    environ = dict(os.environ)
    if config_file:
        environ["KIS_CONFIG"] = config_file
    if env:
        environ["KIS_ENV"] = env
    return KisConfig.from_env(environ)


def make_client(env: str | None = None, config_file: str | None = None) -> Any:
    from kisapi import Kis

    return Kis(load_config(env, config_file))


def make_async_client(env: str | None = None, config_file: str | None = None) -> Any:
    from kisapi import AsyncKis

    return AsyncKis(load_config(env, config_file))
