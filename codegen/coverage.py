"""``python -m codegen coverage``: what the specs cover of the KIS catalog, and where they differ.

Exit status 1 when a REST API of the catalog has no spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import ir
from .reference import catalog, looks_numeric, portal_for


def _catalog_tr_ids(entry: dict[str, Any]) -> set[str]:
    return {t["tr_id"] for t in entry.get("tr_ids", []) if t.get("tr_id")}


def report(project: ir.Project, *, verbose: bool = False) -> tuple[list[str], bool]:
    """Lines to print, and whether every catalog REST API has a spec."""
    by_key = {api.catalog_key: api for api in project.apis if api.catalog_key}
    entries = catalog()
    rest = [e for e in entries if e.get("kind") == "rest"]
    realtime = [e for e in entries if e.get("kind") != "rest"]
    lines: list[str] = []
    missing = [e["key"] for e in rest if e["key"] not in by_key]
    mismatches: list[str] = []
    field_mismatches = 0
    for entry in rest:
        api = by_key.get(entry["key"])
        if api is None:
            continue
        where = f"{api.id} ({api.spec_path})"
        if api.path != entry["path"]:
            mismatches.append(f"{where}: path {api.path} != catalog {entry['path']}")
        if api.method != entry["method"] and api.kind != "auth":
            mismatches.append(f"{where}: method {api.method} != catalog {entry['method']}")
        missing_tr = _catalog_tr_ids(entry) - set(api.all_tr_ids)
        if missing_tr:
            mismatches.append(f"{where}: catalog TR IDs not in the spec: {sorted(missing_tr)}")
        catalog_fields = [f["name"] for f in entry.get("request_fields", [])]
        spec_fields = [f.wire for f in api.request]
        if catalog_fields and catalog_fields != spec_fields:
            field_mismatches += 1
            only_cat = [n for n in catalog_fields if n not in spec_fields]
            only_spec = [n for n in spec_fields if n not in catalog_fields]
            detail = f"missing {only_cat} " if only_cat else ""
            detail += f"extra {only_spec} " if only_spec else ""
            mismatches.append(
                f"{where}: request fields differ from the catalog: {detail or 'order'}"
            )
        for doc in portal_for(api.path):
            if verbose and doc.get("tr_id_mock") and doc["tr_id_mock"] not in api.all_tr_ids:
                mismatches.append(
                    f"{where}: portal mock TR ID {doc['tr_id_mock']} not in the spec (info)"
                )
    extra = sorted(
        api.id for api in project.apis if api.catalog_key not in {e["key"] for e in rest}
    )
    suspicious = _suspicious_str_fields(project.apis)

    lines.append(f"REST APIs with a spec: {len(rest) - len(missing)} of {len(rest)}")
    rt_by_key = {rt.catalog_key: rt for rt in project.realtime if rt.catalog_key}
    rt_missing = [e["key"] for e in realtime if e["key"] not in rt_by_key]
    missing += rt_missing
    for entry in realtime:
        rt = rt_by_key.get(entry["key"])
        if rt is None:
            continue
        missing_tr = _catalog_tr_ids(entry) - set(rt.tr_ids)
        if missing_tr:
            mismatches.append(
                f"{rt.id} ({rt.spec_path}): catalog TR IDs not in the spec: {sorted(missing_tr)}"
            )
        columns = [c.lower() for c in entry.get("ws_columns", [])]
        fields = [f.wire.lower() for f in rt.fields]
        if columns and fields[: len(columns)] != columns:
            mismatches.append(
                f"{rt.id} ({rt.spec_path}): frame fields differ from the catalog's ws_columns (info)"
            )
    lines.append(f"realtime TRs with a spec: {len(realtime) - len(rt_missing)} of {len(realtime)}")
    lines.append(f"request-field mismatches against the catalog: {field_mismatches}")
    lines.append(f"fields typed str that look numeric/date/time: {len(suspicious)}")
    lines.append(f"specs not in the catalog: {len(extra)} {extra if extra else ''}".rstrip())
    if missing:
        lines.append("missing:")
        lines.extend(f"  {key}" for key in missing)
    if mismatches:
        lines.append("inconsistent:")
        lines.extend(f"  {m}" for m in mismatches)
    if suspicious and verbose:
        lines.append("str fields to review:")
        lines.extend(f"  {s}" for s in suspicious)
    return lines, not missing


def _suspicious_str_fields(apis: Sequence[ir.Api]) -> list[str]:
    found = []
    for api in apis:
        fields = [*api.request, *api.scalars, *(f for b in api.blocks for f in b.fields)]
        for f in fields:
            if (
                f.kind == "str"
                and not f.enum
                and f.fixed is None
                and looks_numeric(f.wire, f.label)
                and not f.wire.lower().startswith("ctx_area")
            ):
                found.append(f"{api.id}: {f.wire}")
    return sorted(set(found))
