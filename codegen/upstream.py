"""``python -m codegen upstream --from PATH``: the project's own snapshot of what KIS publishes.

Reads a checkout of github.com/koreainvestment/open-trading-api (the example code under
``examples_llm`` by ``ast``, the Postman collections under ``legacy/postman``) and, optionally,
a capture of the portal docs (``--portal FILE``: per-block response fields, request fields that
are optional or not, real and mock TR IDs). Writes facts only, one JSON file per product under
``spec/_upstream/``, stamped with the upstream commit. Every fact says where it came from: the
top level of an entry is the example code, ``portal`` holds the portal's facts, ``postman`` the
collections' request examples.

The snapshot is what ``make coverage`` compares the specs with; nothing at run time reads the
upstream checkout or the portal capture.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .upstream_code import NOT_CONTINUABLE, extract_function, iter_functions

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "spec" / "_upstream"
META = "_meta.json"
PORTAL_JUNK = frozenset({"method", "server", "customheader", "tr_id", "rt_cd", "msg_cd", "msg1"})
"""Rows the portal capture lists among response fields that are headers or the envelope."""
CODE_ITEM = re.compile(r"(?<![\w.])([0-9A-Z]{1,4})\s*:\s*([^\s:/,]+(?:\s[^\s:/,0-9]+)?)")


def dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _commit(root: Path, given: str | None) -> str:
    if given:
        return given
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- Postman -------------------------------------------------------------------------


def _postman_requests(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    folder = root / "legacy" / "postman"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "item" not in data:
            continue  # an environment file
        env = "mock" if "모의" in path.name else "real"
        for item in _walk(data["item"]):
            req = item.get("request") or {}
            url = req.get("url") or {}
            parts = url.get("path") if isinstance(url, dict) else None
            if not parts:
                continue
            headers = {h.get("key", "").lower(): h.get("value", "") for h in req.get("header", [])}
            query = {
                q["key"]: q.get("value") or ""
                for q in (url.get("query") or [])
                if q.get("key") and not q.get("disabled")
            }
            body: dict[str, Any] = {}
            raw = ((req.get("body") or {}).get("raw") or "").strip()
            if raw:
                try:
                    parsed = json.loads(raw)
                    body = parsed if isinstance(parsed, dict) else {}
                except ValueError:
                    body = {}
            params = {
                k: v for k, v in {**query, **body}.items() if isinstance(v, str) and "{{" not in v
            }
            out.append(
                {
                    "env": env,
                    "method": req.get("method", "GET"),
                    "path": "/" + "/".join(parts),
                    "tr_id": (headers.get("tr_id") or "").strip() or None,
                    "params": params,
                }
            )
    return out


def _walk(items: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from _walk(item["item"])
        else:
            yield item


# --- portal --------------------------------------------------------------------------


def _codes(doc: str) -> dict[str, str]:
    """A code table such as ``00 : 지정가 01 : 시장가`` as {code: label}; {} when unsure."""
    found = {m.group(1): m.group(2).strip() for m in CODE_ITEM.finditer(doc or "")}
    return found if len(found) >= 2 else {}


def _portal_facts(doc: dict[str, Any]) -> dict[str, Any]:
    mock = doc.get("tr_id_mock")
    facts: dict[str, Any] = {
        "tr_id_real": doc.get("tr_id_real"),
        "tr_id_mock": mock if mock and re.fullmatch(r"[A-Z0-9]+", mock) else None,
        "request": [],
        "blocks": [],
    }
    if mock and not facts["tr_id_mock"]:
        facts["mock_note"] = "unsupported" if "미지원" in mock else mock[:40]
    notes = [doc.get("summary") or "", *(f.get("doc") or "" for f in doc.get("request", []))]
    if any(NOT_CONTINUABLE.search(n) for n in notes):
        facts["continuable"] = False
    for f in doc.get("request", []):
        item: dict[str, Any] = {"name": f["name"], "required": not f.get("optional", False)}
        if codes := _codes(f.get("doc", "")):
            item["codes"] = codes
        facts["request"].append(item)
    for block in doc.get("response_blocks", []):
        if block["key"].lower() in PORTAL_JUNK:
            continue
        facts["blocks"].append(
            {
                "key": block["key"],
                "shape": block.get("shape") or "unknown",
                "fields": [
                    f["name"]
                    for f in block.get("fields", [])
                    if f["name"].lower() not in PORTAL_JUNK
                ],
            }
        )
    return facts


def _attach_portal(entries: list[dict[str, Any]], portal_path: Path) -> None:
    docs = [
        d
        for d in json.loads(portal_path.read_text(encoding="utf-8"))["apis"]
        if not d.get("websocket") and d.get("path")
    ]
    for entry in entries:
        if entry["kind"] != "rest":
            continue
        same_path = [d for d in docs if d["path"] == entry["path"]]
        tr_ids = {t["tr_id"] for t in entry["tr_ids"]}
        chosen = [d for d in same_path if d.get("tr_id_real") in tr_ids] or same_path[:1]
        if chosen:
            entry["portal"] = _portal_facts(chosen[0])


def _attach_postman(entries: list[dict[str, Any]], requests: list[dict[str, Any]]) -> None:
    """Examples go to the API of their path; where APIs share a path, to the one whose TR IDs
    match (the collections are older and may use a TR ID the example code has since renamed)."""
    rest = [e for e in entries if e["kind"] == "rest"]
    sharing: dict[str, int] = {}
    for entry in rest:
        sharing[entry["path"]] = sharing.get(entry["path"], 0) + 1
    for entry in rest:
        tr_ids = {t["tr_id"] for t in entry["tr_ids"]}
        found = [
            r
            for r in requests
            if r["path"] == entry["path"] and (r["tr_id"] in tr_ids or sharing[r["path"]] == 1)
        ]
        if found:
            entry["postman"] = [
                {k: v for k, v in r.items() if k != "path"}
                for r in sorted(
                    found, key=lambda r: (r["env"], r["tr_id"] or "", dump(r["params"]))
                )
            ]


# --- the snapshot --------------------------------------------------------------------


def build(root: Path, commit: str, portal: Path | None) -> dict[str, Any]:
    """The snapshot: {"_meta.json": meta, "<category>.json": {key: entry}}."""
    entries = [extract_function(path, category) for category, path in iter_functions(root)]
    if portal is not None:
        _attach_portal(entries, portal)
    _attach_postman(entries, _postman_requests(root))
    files: dict[str, Any] = {}
    for entry in entries:
        files.setdefault(f"{entry['category']}.json", {})[entry["key"]] = entry
    rest = [e for e in entries if e["kind"] == "rest"]
    files[META] = {
        "upstream": "github.com/koreainvestment/open-trading-api",
        "commit": commit,
        "sources": {
            "code": "examples_llm/<category>/<function>/<function>.py (+ chk_*.py COLUMN_MAPPING)",
            "postman": "legacy/postman collections" if any("postman" in e for e in rest) else None,
            "portal": f"portal docs capture ({portal.name})" if portal else None,
        },
        "counts": {
            "rest": len(rest),
            "websocket": len(entries) - len(rest),
            "request_fields": sum(len(e["request_fields"]) for e in rest),
            "ws_columns": sum(len(e.get("ws_columns", [])) for e in entries),
        },
    }
    return files


def write(files: dict[str, Any], out_dir: Path = SNAPSHOT_DIR) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, data in sorted(files.items()):
        target = out_dir / name
        text = dump(data)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
            changed.append(name)
    for stale in sorted(out_dir.glob("*.json")):
        if stale.name not in files:
            stale.unlink()
            changed.append(f"-{stale.name}")
    return changed


def portal_blocks(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The portal's response blocks of an entry by lower-cased key, aligned with the blocks the
    example code reads: a lone portal block takes the code's name for its lone block (the portal
    calls it output1 where the code and KIS say output, or back), and blocks the code does not
    read are left out when the code reads any."""
    found = {
        b["key"].lower(): b
        for b in (entry.get("portal") or {}).get("blocks", [])
        if b["key"].lower().startswith("output")
    }
    code = [o["key"].lower() for o in entry.get("outputs", [])]
    if len(found) == 1 and len(code) == 1:
        return {code[0]: next(iter(found.values()))}
    return {k: v for k, v in found.items() if k in code} if code else found


def load(snapshot_dir: Path = SNAPSHOT_DIR) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(meta, entries) of a snapshot written by :func:`write`."""
    meta = json.loads((snapshot_dir / META).read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = []
    for path in sorted(snapshot_dir.glob("*.json")):
        if path.name != META:
            entries.extend(json.loads(path.read_text(encoding="utf-8")).values())
    return meta, entries
