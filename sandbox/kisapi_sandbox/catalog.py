"""Find the generated API behind a request (path + TR ID) through the generated manifest."""

from __future__ import annotations

import importlib
import json
from functools import cache
from importlib import resources
from typing import Any

from kisapi_runtime.api import ApiSpec, Field


@cache
def manifest() -> dict[str, Any]:
    text = resources.files("kisapi").joinpath("_manifest.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def api_for(api_id: str) -> ApiSpec[Any]:
    module = importlib.import_module(manifest()["apis"][api_id]["module"])
    api: ApiSpec[Any] = module.API
    return api


@cache
def routes() -> dict[str, tuple[str, ...]]:
    """HTTP path -> ids of the APIs served there (several share one path)."""
    table: dict[str, list[str]] = {}
    for api_id, entry in manifest()["apis"].items():
        path = entry["http"].split(" ", 1)[1]
        table.setdefault(path, []).append(api_id)
    return {path: tuple(sorted(ids)) for path, ids in table.items()}


def find(path: str, tr_id: str | None) -> ApiSpec[Any] | None:
    """The API at ``path`` that owns ``tr_id`` (real, mock or deprecated)."""
    for api_id in routes().get(path, ()):
        entry = manifest()["apis"][api_id]
        if tr_id is None or tr_id in entry["tr_ids"] or not entry["tr_ids"]:
            return api_for(api_id)
    return None


def tr_env(api: ApiSpec[Any], tr_id: str) -> str | None:
    """``real`` or ``mock`` for a TR ID of ``api`` (None when it is only a deprecated alias)."""
    for rule in api.tr_ids:
        if rule.real == tr_id and rule.mock == tr_id:
            return "both"
        if rule.real == tr_id:
            return "real"
        if rule.mock == tr_id:
            return "mock"
    return None


def must_send(field: Field) -> bool:
    """Whether a caller must send ``field``, as its spec says: ``required: true`` and neither a
    ``default`` nor a ``fixed`` value to fall back on (the SDK sends those on its own, and KIS
    takes the default when the field is left out or blank)."""
    return field.required and field.default is None and field.fixed is None


def fallback(field: Field) -> str | None:
    """The value KIS acts on when ``field`` is left out or blank: its fixed or default value."""
    return field.fixed if field.fixed is not None else field.default
