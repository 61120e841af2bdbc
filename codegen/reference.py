"""KIS's naming habits: first guesses at a field's type for drafts and the review lint."""

from __future__ import annotations

import re

NUMERIC_SUFFIXES = (
    "prpr", "oprc", "hgpr", "lwpr", "clpr", "pric", "unpr", "prc", "mxpr", "llam", "sdpr",
    "vol", "qty", "rsqn", "amt", "pbmn", "cnt", "ctrt", "rate", "ert", "vrss", "avls",
)  # fmt: skip
RATE_SUFFIXES = ("ctrt", "rate", "ert", "rt")
DATE_SUFFIXES = ("_dt", "_date", "_day")
TIME_SUFFIXES = ("_hour", "_tmd", "_time")


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
