"""``python -m codegen draft KEY``: a first draft of a spec from the upstream snapshot.

The draft still gets curated by hand (summary, types, shapes, mock TR IDs) before it is committed;
every guess is marked ``TODO``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .load import load_shared
from .reference import clean_label, guess_type
from .upstream import SNAPSHOT_DIR, load, portal_blocks


@cache
def _shared_fields(spec_dir: Path) -> dict[str, Any]:
    return load_shared(spec_dir, "fields", "/$defs/Fields")


def _entry(key: str, snapshot: Path | None) -> dict[str, Any]:
    for entry in load(snapshot or SNAPSHOT_DIR)[1]:
        if entry["key"] == key:
            return entry
    raise KeyError(f"{key!r} is not in the upstream snapshot")


def _tr_id(entry: dict[str, Any]) -> dict[str, Any] | None:
    rules = entry.get("tr_ids", [])
    if not rules:
        return None
    selectors: dict[str, set[str]] = {}
    for rule in rules:
        for k, v in rule["when"].items():
            if k != "env_dv":
                selectors.setdefault(k, set()).update([v] if isinstance(v, str) else v)
    selectors = {k: v for k, v in selectors.items() if len(v) > 1}  # one value decides nothing
    table: dict[tuple[tuple[str, str], ...], dict[str, str | None]] = {}
    for rule in rules:
        when = {k: v for k, v in rule["when"].items() if k in selectors}
        env = rule["when"].get("env_dv", "real")
        cond = tuple(sorted((k, v if isinstance(v, str) else ",".join(v)) for k, v in when.items()))
        slot = table.setdefault(cond, {"real": None, "mock": None})
        slot["mock" if env == "demo" else "real"] = rule["tr_id"]
    if entry.get("demo_refused"):
        for pair in table.values():
            pair["mock"] = None
    if list(table) == [()]:
        pair = table[()]
        mock = pair["mock"] or (entry.get("portal") or {}).get("tr_id_mock")
        return {"real": pair["real"], "mock": mock}
    return {
        "select": [
            {"name": k, "values": sorted(v), "label": "TODO"} for k, v in sorted(selectors.items())
        ],
        "rules": [
            {"when": {k: (v.split(",") if "," in v else v) for k, v in cond}, **pair}
            for cond, pair in table.items()
        ],
    }


def _shape(*candidates: str | None) -> str:
    """The first definite shape; a list when nobody knows (decoders accept both anyway)."""
    return next((c for c in candidates if c in ("object", "array")), "array")


def draft(key: str, spec_dir: Path, snapshot: Path | None = None) -> tuple[str, str]:
    """(relative spec path, YAML text) for the upstream entry ``key``."""
    entry = _entry(key, snapshot)
    shared = _shared_fields(spec_dir)
    category, function = key.split("/")
    segment = entry["path"].split("/v1/")[1].split("/")[0] if "/v1/" in entry["path"] else "oauth"
    is_order = entry["method"] == "POST" and any(
        t["tr_id"].endswith("U") for t in entry.get("tr_ids", [])
    )

    def field(name: str, label: str, **extra: Any) -> dict[str, Any] | str:
        if name.lower() in shared and not extra:
            return name
        out: dict[str, Any] = {"name": name, **extra}
        if name.lower() not in shared:
            out["type"] = guess_type(name)
            out["label"] = clean_label(label) or "TODO"
        return out

    request = []
    for f in entry.get("request_fields", []):
        extra: dict[str, Any] = {}
        if "fixed" in f:
            extra["fixed"] = f["fixed"]
        elif f.get("required"):
            extra["required"] = True
        if f.get("default"):
            extra["default"] = f["default"]
        request.append(field(f["name"], f.get("label", ""), **extra))
    labels: Mapping[str, str] = entry.get("response_labels", {})
    blocks = []
    outputs = {o["key"].lower(): (o["key"], o["shape"]) for o in entry.get("outputs", [])}
    for low, block in portal_blocks(entry).items():
        bkey, code_shape = outputs.get(low, (block["key"], None))
        names = block["fields"]
        if names:
            blocks.append({"key": bkey, "shape": _shape(block["shape"], code_shape),
                           "fields": [field(n, labels.get(n, "")) for n in names]})  # fmt: skip
    if not blocks and entry.get("outputs"):
        first = entry["outputs"][0]
        shape = _shape(first["shape"], None)
        blocks.append(
            {
                "key": first["key"],
                "shape": shape,
                "fields": [field(n, lbl) for n, lbl in labels.items()],
            }
        )
    spec: dict[str, Any] = {
        "id": f"{category}.{function}",
        "catalog_key": key,
        "title": entry.get("title", function),
        "doc_id": entry.get("doc_id", ""),
        "group": entry.get("group", ""),
        "summary": "TODO: say in your own words what this returns or does.",
        "method": entry["method"],
        "path": entry["path"],
        "kind": "order" if is_order else "query",
    }
    if is_order:
        spec["hashkey"] = True
    elif entry["method"] == "GET" and segment == "quotations":
        spec["cache"] = True
    spec["tr_id"] = _tr_id(entry)
    spec["request"] = request
    cursor = entry.get("cursor", [])
    response: dict[str, Any] = {"blocks": blocks}
    if cursor:
        response["scalars"] = [c["response"].lower() for c in cursor]
    spec["response"] = response
    if entry.get("paginated") and entry.get("continuable") is not False:
        rows = next(
            (b["key"] for b in blocks if b["shape"] == "array"),
            blocks[0]["key"] if blocks else "output",
        )
        spec["pagination"] = {
            "cursor": [
                {"request": c["request"], "response": c["response"].lower()} for c in cursor
            ],
            "rows": rows,
        }
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=120)
    header = "# DRAFT from the upstream snapshot: curate every TODO, types, shapes and mock TR IDs before committing.\n"
    return f"{category}/{segment}/{function}.yaml", header + text
