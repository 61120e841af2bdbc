"""Data specs the runtime reads as JSON: master-file layouts (``spec/masters``) and the KRX
calendar (``spec/calendar``). Checked here, written into the package as ``_data/*.json``."""

from __future__ import annotations

import json
import re
from datetime import date, time
from pathlib import Path
from typing import Any

import yaml

from .load import SpecError

FIELD_TYPES = frozenset({"str", "int", "decimal", "bool", "date"})
FORMATS = frozenset({"fixed", "delimited"})
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TIME = re.compile(r"\d\d:\d\d(:\d\d)?")


def data_files(spec_dir: Path) -> dict[str, str]:
    """``{package-relative path: JSON text}`` for the data specs under ``spec_dir`` (none: {})."""
    out: dict[str, str] = {}
    masters = sorted((spec_dir / "masters").glob("*.yaml"))
    if masters:
        layouts = [_master(path) for path in masters]
        ids = [layout["id"] for layout in layouts]
        if len(set(ids)) != len(ids):
            raise SpecError(masters[0], None, "id", f"duplicate master ids: {ids}")
        out["_data/masters.json"] = _dump({"masters": layouts})
    calendar = spec_dir / "calendar" / "krx.yaml"
    if calendar.exists():
        out["_data/calendar.json"] = _dump(_calendar(calendar))
    return out


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SpecError(path, None, "", "expected a mapping")
    return data


def _fail(path: Path, where: str, why: str) -> SpecError:
    return SpecError(path, None, where, why)


def _master(path: Path) -> dict[str, Any]:
    spec = _read(path)
    for key in ("id", "title", "encoding", "format", "kind", "files", "keys"):
        if key not in spec:
            raise _fail(path, key, "required")
    if spec["id"] != path.stem:
        raise _fail(path, "id", f"must be the file name {path.stem!r}")
    if spec["format"] not in FORMATS:
        raise _fail(path, "format", f"one of {sorted(FORMATS)}")
    "".encode(spec["encoding"])  # an unknown codec raises LookupError here, not at run time
    if spec["format"] == "fixed":
        head = [_field(path, f"head[{i}]", f, fixed=True) for i, f in enumerate(spec["head"])]
        if head and "width" in head[-1]:
            del head[-1]["width"]  # the last head field takes what the tail leaves
        if any("width" not in f for f in head[:-1]):
            raise _fail(path, "head", "every head field but the last needs a width")
        tail = [_field(path, f"tail[{i}]", f, fixed=True) for i, f in enumerate(spec["tail"])]
        if any("width" not in f for f in tail):
            raise _fail(path, "tail", "every tail field needs a width")
        fields = head + tail
        layout = {"head": head, "tail": tail, "tail_width": sum(f["width"] for f in tail)}
    else:
        if not spec.get("separator"):
            raise _fail(path, "separator", "required for the delimited format")
        fields = [
            _field(path, f"fields[{i}]", f, fixed=False) for i, f in enumerate(spec["fields"])
        ]
        layout = {"fields": fields, "separator": spec["separator"]}
    names = [f["name"] for f in fields]
    if len(set(names)) != len(names):
        raise _fail(path, "fields", "field names must be unique")
    for role, name in spec["keys"].items():
        if name is not None and name not in names:
            raise _fail(path, f"keys.{role}", f"{name!r} is not a field")
    files = []
    for i, entry in enumerate(spec["files"]):
        if not {"market", "file", "member"} <= entry.keys():
            raise _fail(path, f"files[{i}]", "needs market, file and member")
        files.append(dict(entry))
    extra = {k: v for k, v in spec.items() if k not in {"head", "tail", "fields", "separator"}}
    return {**extra, **layout, "files": files}


def _field(path: Path, where: str, field: Any, *, fixed: bool) -> dict[str, Any]:
    if not isinstance(field, dict) or not _NAME.fullmatch(str(field.get("name", ""))):
        raise _fail(path, where, "a field needs a snake_case name")
    if field.get("type", "str") not in FIELD_TYPES:
        raise _fail(path, where, f"type must be one of {sorted(FIELD_TYPES)}")
    out = {"name": field["name"], "type": field.get("type", "str"), "label": field.get("label", "")}
    if fixed and "width" in field:
        if not isinstance(field["width"], int) or field["width"] <= 0:
            raise _fail(path, where, "width must be a positive integer")
        out["width"] = field["width"]
    return out


def _calendar(path: Path) -> dict[str, Any]:
    spec = _read(path)
    first, last = spec["years"]
    closed = {}
    for day, label in spec["closed"].items():
        if not isinstance(day, date) or not first <= day.year <= last:
            raise _fail(path, f"closed.{day}", f"a date within {first}-{last}")
        if day.weekday() >= 5:
            raise _fail(path, f"closed.{day}", "weekends are closed anyway; list weekdays only")
        closed[day.isoformat()] = str(label)
    venues = spec["venues"]
    kinds = spec["kinds"]
    for venue, entry in venues.items():
        for name, session in entry["sessions"].items():
            _session(path, f"venues.{venue}.{name}", session)
    for kind, entry in kinds.items():
        for venue, overrides in entry.items():
            if venue == "label":
                continue
            if venue not in venues:
                raise _fail(path, f"kinds.{kind}.{venue}", "unknown venue")
            for name, session in overrides.items():
                if name not in venues[venue]["sessions"]:
                    raise _fail(path, f"kinds.{kind}.{venue}.{name}", "unknown session")
                if session is not None:
                    _session(path, f"kinds.{kind}.{venue}.{name}", session)
    special = {}
    for day, kind in spec["special"].items():
        if kind not in kinds:
            raise _fail(path, f"special.{day}", f"unknown kind {kind!r}")
        special[day.isoformat()] = kind
    if spec["first_trading_day"] not in kinds:
        raise _fail(path, "first_trading_day", "unknown kind")
    return {
        "timezone": spec["timezone"],
        "years": [first, last],
        "closed": closed,
        "special": special,
        "first_trading_day": spec["first_trading_day"],
        "venues": venues,
        "kinds": kinds,
    }


def _session(path: Path, where: str, session: Any) -> None:
    start, end = str(session.get("start", "")), str(session.get("end", ""))
    if not (_TIME.fullmatch(start) and _TIME.fullmatch(end)):
        raise _fail(path, where, "start and end as HH:MM or HH:MM:SS")
    if time.fromisoformat(start) >= time.fromisoformat(end):
        raise _fail(path, where, "start must be before end")
