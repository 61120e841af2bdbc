"""``python -m codegen coverage``: the specs against the upstream snapshot (``spec/_upstream``).

Compared per API: present, path, method, real and mock TR IDs, mock refused, every request
parameter and whether it is required, response blocks and their shapes, response fields the
portal lists, pagination; per realtime TR: TR IDs and the column list. A spec that differs on
purpose says so in ``upstream: {accept: {<difference id>: <reason>}}``; such a difference is
counted as accepted. Undeclared differences, and declarations that no longer match a
difference, fail (exit status 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import ir
from .reference import looks_numeric
from .upstream import SNAPSHOT_DIR, load
from .upstream import portal_blocks as upstream_portal_blocks


@dataclass(frozen=True)
class Difference:
    owner: str
    """spec id, or the upstream key when no spec has it"""
    id: str
    """stable difference id: ``kind`` or ``kind:NAME`` (what ``upstream.accept`` names)"""
    detail: str


@dataclass
class Report:
    commit: str
    counts: Counter[str] = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)
    accepted: list[tuple[Difference, str]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.stale

    def lines(self, *, verbose: bool = False) -> list[str]:
        c = self.counts
        out = [
            f"upstream snapshot: open-trading-api @ {self.commit}",
            f"REST APIs: {c['rest_matched']} of {c['rest_upstream']} upstream have a spec"
            f" ({c['rest_specs']} specs)",
            f"realtime TRs: {c['ws_matched']} of {c['ws_upstream']} upstream have a spec",
            f"request parameters compared: {c['params']}; realtime columns compared: {c['columns']}",
            f"accepted differences: {len(self.accepted)}",
        ]
        by_kind = Counter(d.id.split(":", 1)[0] for d, _ in self.accepted)
        out += [f"  {kind}: {n}" for kind, n in sorted(by_kind.items())]
        out.append(f"undeclared differences: {len(self.differences)}")
        out += [f"  {d.owner}: [{d.id}] {d.detail}" for d in self.differences]
        if self.stale:
            out.append(f"declared but no longer different: {len(self.stale)}")
            out += [f"  {s}" for s in self.stale]
        if verbose:
            out.append("accepted:")
            out += [f"  {d.owner}: [{d.id}] {reason}" for d, reason in self.accepted]
        return out


def _tr_sets(entry: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(real, demo) TR IDs of an upstream entry; an entry without ``env_dv`` is real-only."""
    real: set[str] = set()
    demo: set[str] = set()
    for row in entry.get("tr_ids", []):
        env = row["when"].get("env_dv")
        (demo if env == "demo" else real).add(row["tr_id"])
    return real, demo


def _real_only(entry: dict[str, Any]) -> set[str]:
    """Real TR IDs of branches (side, session, exchange...) that have no demo branch."""
    rows = entry.get("tr_ids", [])
    demo = {
        tuple(sorted((k, str(v)) for k, v in r["when"].items() if k != "env_dv"))
        for r in rows
        if r["when"].get("env_dv") == "demo"
    }
    return {
        r["tr_id"]
        for r in rows
        if r["when"].get("env_dv") == "real"
        and tuple(sorted((k, str(v)) for k, v in r["when"].items() if k != "env_dv")) not in demo
    }


def _spec_tr_sets(api: ir.Api) -> tuple[set[str], set[str], set[str]]:
    """(real, mock, deprecated) TR IDs of a spec."""
    real = {r.real for r in api.tr_rules if r.real}
    mock = {r.mock for r in api.tr_rules if r.mock}
    return real, mock, {t for r in api.tr_rules for t in r.deprecated}


def _rest(api: ir.Api, entry: dict[str, Any], report: Report) -> list[Difference]:
    diffs: list[Difference] = []

    def diff(kind: str, detail: str) -> None:
        diffs.append(Difference(api.id, kind, detail))

    if api.path != entry["path"]:
        diff("path", f"{api.path} != upstream {entry['path']}")
    if api.kind != "auth" and api.method != entry["method"]:
        diff("method", f"{api.method} != upstream {entry['method']}")
    up_real, up_demo = _tr_sets(entry)
    spec_real, spec_mock, deprecated = _spec_tr_sets(api)
    for tr in sorted(up_real - spec_real - spec_mock):
        diff(f"tr_id:{tr}", "upstream real TR ID the spec does not have")
    for tr in sorted(spec_real - up_real - up_demo - deprecated):
        if up_real:
            diff(f"tr_id:{tr}", "spec TR ID the upstream code does not use")
    refused = bool(entry.get("demo_refused"))
    if up_demo and not refused:
        for tr in sorted(up_demo - spec_mock):
            diff(f"mock:{tr}", "upstream runs this TR ID in demo; the spec does not")
    if refused and spec_mock:
        diff("mock", "upstream refuses demo; the spec has a mock TR ID")
    if "env_dv" in entry.get("selectors", []) and not refused:
        for tr in sorted(_real_only(entry)):
            if any(r.real == tr and r.mock for r in api.tr_rules):
                diff(f"mock:{tr}", "upstream runs this branch on real accounts only")
    if "env_dv" not in entry.get("selectors", []):
        portal_mock = (entry.get("portal") or {}).get("tr_id_mock")
        if portal_mock and portal_mock not in spec_mock:
            diff(f"mock:{portal_mock}", "the portal lists this mock TR ID; the spec has none")

    spec_fields = {f.wire.upper(): f for f in api.request}
    upstream_fields = {f["name"].upper(): f for f in entry.get("request_fields", [])}
    report.counts["params"] += len(upstream_fields)
    for name, uf in upstream_fields.items():
        sf = spec_fields.get(name)
        if sf is None:
            diff(f"param:{name}", "upstream sends it; the spec has no such parameter")
            continue
        if uf.get("fixed") is not None and sf.fixed is not None and uf["fixed"] != sf.fixed:
            diff(f"fixed:{name}", f"fixed {sf.fixed!r} != upstream {uf['fixed']!r}")
        supplied = sf.required or sf.default is not None or sf.fixed is not None or sf.fill
        if uf.get("required") and not supplied:
            diff(f"required:{name}", "upstream requires it; the spec makes it optional")
        elif sf.required and not uf.get("required") and not sf.fill:
            diff(f"optional:{name}", "the spec requires it; upstream does not")
    for name in spec_fields:
        if name not in upstream_fields and upstream_fields:
            diff(f"param_extra:{name}", "the spec sends it; upstream does not")

    blocks = {b.key.lower(): b for b in api.blocks}
    scalars = {f.wire.lower() for f in api.scalars}
    for b in (entry.get("portal") or {}).get("blocks", []):
        low = b["key"].lower()
        if not low.startswith("output") and low not in scalars:
            diff(f"scalar:{low}", "the portal lists this top-level value; the spec does not")
    code_shapes = {o["key"].lower(): o["shape"] for o in entry.get("outputs", [])}
    portal_blocks = upstream_portal_blocks(entry)
    for key in sorted(set(portal_blocks) | set(code_shapes)):
        block = blocks.get(key)
        if block is None:
            where = (
                "the portal and the example code"
                if key in portal_blocks and key in code_shapes
                else ("the portal" if key in portal_blocks else "the example code")
            )
            diff(f"block:{key}", f"{where} read(s) this response block; the spec has none")
            continue
        shape = portal_blocks[key]["shape"] if key in portal_blocks else code_shapes[key]
        if shape in ("object", "array") and block.shape != shape:
            diff(f"shape:{key}", f"{block.shape} != upstream {shape}")
        if key in portal_blocks:
            have = {f.wire.lower() for f in block.fields}
            for name in portal_blocks[key]["fields"]:
                low = name.lower()
                if low not in have:
                    diff(f"field:{key}.{name.lower()}", "the portal lists it; the spec does not")
    cursor = [(c["request"].upper(), c["response"].lower()) for c in entry.get("cursor", [])]
    spec_cursor = [(r.upper(), s.lower()) for r, s in api.cursor or ()]
    if cursor and sorted(cursor) != sorted(spec_cursor):
        diff("cursor", f"{spec_cursor} != upstream {cursor}")
    portal_says = (entry.get("portal") or {}).get("continuable")
    if api.cursor is not None and False in (entry.get("continuable"), portal_says):
        who = "the example code" if entry.get("continuable") is False else "the portal"
        diff("paginated", f"{who} says it cannot be continued; the spec paginates")
    return diffs


def _realtime(rt: ir.RealtimeApi, entry: dict[str, Any], report: Report) -> list[Difference]:
    diffs: list[Difference] = []
    up_real, up_demo = _tr_sets(entry)
    for tr in sorted(up_real - {rt.real}):
        diffs.append(Difference(rt.id, f"tr_id:{tr}", "upstream real TR ID the spec lacks"))
    for tr in sorted(up_demo - {t for t in (rt.mock,) if t}):
        diffs.append(Difference(rt.id, f"mock:{tr}", "upstream runs this TR ID in demo"))
    if rt.mock is not None and rt.mock not in up_demo:
        diffs.append(
            Difference(
                rt.id, f"mock:{rt.mock}", "the spec has a mock TR ID upstream does not run in demo"
            )
        )
    columns = [c.lower() for c in entry.get("ws_columns", [])]
    fields = [f.wire.lower() for f in rt.fields]
    report.counts["columns"] += len(columns)
    if columns and fields != columns:
        first = next(
            (i for i, (a, b) in enumerate(zip(fields, columns, strict=False)) if a != b),
            min(len(fields), len(columns)),
        )
        diffs.append(
            Difference(
                rt.id,
                "columns",
                f"{len(fields)} fields != upstream {len(columns)} columns (first difference at {first})",
            )
        )
    return diffs


def compare(project: ir.Project, snapshot: Path = SNAPSHOT_DIR) -> Report:
    meta, entries = load(snapshot)
    report = Report(commit=meta.get("commit", "unknown"))
    rest = {e["key"]: e for e in entries if e["kind"] == "rest"}
    ws = {e["key"]: e for e in entries if e["kind"] != "rest"}
    report.counts["rest_upstream"] = len(rest)
    report.counts["ws_upstream"] = len(ws)
    report.counts["rest_specs"] = len(project.apis)
    found: list[Difference] = []
    owners: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for api in project.apis:
        owners.append((api.id, api.accepted))
        entry = rest.get(api.catalog_key or "")
        if entry is None:
            found.append(Difference(api.id, "unlisted", "no upstream example has this API"))
            continue
        report.counts["rest_matched"] += 1
        found += _rest(api, entry, report)
    for rt in project.realtime:
        owners.append((rt.id, rt.accepted))
        entry = ws.get(rt.catalog_key or "")
        if entry is None:
            found.append(Difference(rt.id, "unlisted", "no upstream example has this TR"))
            continue
        report.counts["ws_matched"] += 1
        found += _realtime(rt, entry, report)
    covered = {a.catalog_key for a in project.apis} | {r.catalog_key for r in project.realtime}
    for key in sorted(set(rest) | set(ws)):
        if key not in covered:
            found.append(Difference(key, "missing", "upstream has it; no spec does"))
    accepted = {(owner, k): reason for owner, acc in owners for k, reason in acc}
    used: set[tuple[str, str]] = set()
    for d in found:
        reason = accepted.get((d.owner, d.id))
        if reason is None:
            report.differences.append(d)
        else:
            report.accepted.append((d, reason))
            used.add((d.owner, d.id))
    report.stale = sorted(f"{o}: [{k}]" for o, k in accepted if (o, k) not in used)
    return report


def suspicious_str_fields(apis: Sequence[ir.Api]) -> list[str]:
    """Fields typed ``str`` whose names look numeric, date or time (a review list)."""
    found = []
    for api in apis:
        fields: Iterable[ir.Field] = [
            *api.request,
            *api.scalars,
            *(f for b in api.blocks for f in b.fields),
        ]
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
