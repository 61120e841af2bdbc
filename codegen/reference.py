"""Read the KIS reference data (catalog, portal docs) kept beside the repository.

The data lives in ``../shared/reference`` (override with ``KIS_REFERENCE_DIR``); it is read by
tools only and never copied into the project.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from .render import REPO

NUMERIC_SUFFIXES = (
    "prpr", "oprc", "hgpr", "lwpr", "clpr", "pric", "unpr", "prc", "mxpr", "llam", "sdpr",
    "vol", "qty", "rsqn", "amt", "pbmn", "cnt", "ctrt", "rate", "ert", "vrss", "avls",
)  # fmt: skip
RATE_SUFFIXES = ("ctrt", "rate", "ert", "rt")
DATE_SUFFIXES = ("_dt", "_date", "_day")
TIME_SUFFIXES = ("_hour", "_tmd", "_time")


def reference_dir() -> Path:
    return Path(os.environ.get("KIS_REFERENCE_DIR") or REPO.parent / "shared" / "reference")


@cache
def catalog(path: Path | None = None) -> list[dict[str, Any]]:
    data = json.loads((path or reference_dir() / "kis_catalog.json").read_text(encoding="utf-8"))
    apis: list[dict[str, Any]] = data["apis"]
    return apis


@cache
def portal() -> list[dict[str, Any]]:
    path = reference_dir() / "kis_portal_docs.json"
    if not path.exists():
        return []
    apis: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["apis"]
    return apis


def portal_for(path: str) -> list[dict[str, Any]]:
    return [p for p in portal() if p.get("path") == path and not p.get("websocket")]


def guess_type(name: str) -> str:
    """A first guess at a field's type from KIS's naming habits (drafts and lint only)."""
    low = name.lower()
    if low.endswith("_yn"):
        return "bool"
    if low.endswith(DATE_SUFFIXES) or low in ("bass_dt", "inqr_strt_dt", "inqr_end_dt"):
        return "date"
    if low.endswith(TIME_SUFFIXES):
        return "time"
    if low.endswith(RATE_SUFFIXES) or low in ("per", "pbr", "eps", "bps"):
        return "decimal"
    if low.endswith(NUMERIC_SUFFIXES):
        return "int"
    if low.endswith(("_name", "_nm", "isnm", "_cntt", "_text")):
        return "text"
    return "str"


CODE_LABEL_WORDS = ("코드", "구분", "년월", "번호")
"""A label with one of these says the field is a code even when its name looks numeric."""


def looks_numeric(name: str, label: str = "") -> bool:
    """True when a field typed ``str`` is named like a number, date or time (a likely mistype)."""
    if any(word in label for word in CODE_LABEL_WORDS):
        return False
    return guess_type(name) in ("int", "decimal", "date", "time")


def clean_label(label: str) -> str:
    return re.split(r" \(|\(", label or "", maxsplit=1)[0].strip()
