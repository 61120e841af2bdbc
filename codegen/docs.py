"""The reference site: one page per API and realtime TR, generated from the specs, plus the
hand-written guide in ``docs/``. ``python -m codegen docs`` builds it with mkdocs-material into
``build/site`` (strict: a broken link fails) and checks that every API and TR has a page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from . import ir
from .render import REPO

BUILD = REPO / "build"
SRC = BUILD / "docs"
SITE = BUILD / "site"
GUIDE = REPO / "docs"
CASSETTES = REPO / "tests" / "cassettes"
PRODUCT_TITLES = {
    "auth": "Authentication",
    "domestic_stock": "Domestic stock",
    "domestic_bond": "Domestic bonds",
    "domestic_futureoption": "Domestic futures and options",
    "overseas_stock": "Overseas stock",
    "overseas_futureoption": "Overseas futures and options",
    "elw": "ELW",
    "etfetn": "ETF / ETN",
}
MAX_ROWS = 3


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def recorded(api: ir.Api) -> tuple[dict[str, str], str | None, Any]:
    """(request values by wire name, TR ID, response body) of the API's cassette, if any."""
    path = CASSETTES / api.product / f"{api.name}.yaml"
    if not path.exists():
        return {}, None, None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in data.get("interactions", []):
        request, response = item["request"], item["response"]
        if urlsplit(request["uri"]).path != api.path:
            continue
        if request["method"] == "GET":
            values = dict(parse_qsl(urlsplit(request["uri"]).query, keep_blank_values=True))
        else:
            values = json.loads(request.get("body") or "{}")
        tr = (request.get("headers") or {}).get("tr_id") or [None]
        try:
            body = json.loads(response["body"]["string"])
        except (KeyError, json.JSONDecodeError):
            body = None
        return {k: str(v) for k, v in values.items()}, tr[0], body
    return {}, None, None


def _trim(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _trim(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_trim(v) for v in body[:MAX_ROWS]]
    return body


def py_value(api: ir.Api, name: str, value: str) -> str:
    """A Python literal for the example: ints unquoted, everything else as a string."""
    field = next((f for f in api.params if f.py == name), None)
    if (
        field is not None
        and field.kind == "int"
        and field.enum is None
        and value.lstrip("-").isdigit()
    ):
        return str(int(value))
    return json.dumps(value, ensure_ascii=False)


def example_args(api: ir.Api, values: dict[str, str], tr_id: str | None) -> list[tuple[str, str]]:
    """(python name, value) for the example: required fields and those the recording set."""
    args: list[tuple[str, str]] = []
    for s in api.selectors:
        chosen = s.default
        for rule in api.tr_rules:
            if tr_id and tr_id in (rule.real, rule.mock):
                chosen = next((v[0] for k, v in rule.when if k == s.name), chosen)
        args.append((s.name, chosen or s.values[0]))
    for f in api.params:
        if f.fill or f.secret:
            continue
        value = values.get(f.wire, "")
        if value and value != (f.default or ""):
            args.append((f.py, value))
        elif f.required and f.default is None:
            args.append((f.py, value or "..."))
    return args


_RANGE_EXAMPLE = {
    "date": '"20250101", "20251231"',
    "time": '"090000", "153000"',
    "datetime": '"20260105", "20260105"',
}


def api_page(api: ir.Api, enums: dict[str, ir.EnumDef]) -> str:
    values, tr_id, body = recorded(api)
    args = example_args(api, values, tr_id)
    out = [f"# {api.title}", "", f"`{api.id}` · {api.summary}", ""]
    out += [
        "| API | `" + api.id + "` |",
        "|---|---|",
        f"| HTTP | `{api.method} {api.path}` |",
        f"| kind | {api.kind} |",
    ]
    if api.doc_id:
        out.append(f"| KIS doc | {api.doc_id} |")
    out.append(f"| paginated | {'yes' if api.cursor is not None else 'no'} |")
    if api.window is not None:
        out.append(f"| date/time window | `.range(start, end)` over {api.window.moment}s of `{api.window.rows}` |")  # fmt: skip
    for r in api.tr_rules:
        when = ", ".join(f"{k}={'|'.join(v)}" for k, v in r.when)
        label = f"TR ID ({when})" if when else "TR ID"
        out.append(f"| {label} | real `{r.real or '-'}`, mock `{r.mock or 'not offered'}` |")
    out.append("")
    if api.selectors or api.params:
        out += ["## Parameters", "", "| name | type | label | notes |", "|---|---|---|---|"]
        for s in api.selectors:
            choices = ", ".join(f"`{v}`" for v in s.values)
            out.append(f"| `{s.name}` | choice | {_cell(s.label)} | one of {choices}; chooses the TR ID, not sent |")  # fmt: skip
        for f in api.params:
            notes = []
            if f.required and f.fill is None and f.default is None:
                notes.append("**required**")
            if f.default is not None:
                notes.append(f"default `{f.default or chr(34) * 2}`")
            if f.fill:
                notes.append(
                    "from the client's account"
                    if "account" in f.fill
                    else f"from the client's {f.fill}"
                )
            if f.enum:
                notes.append(
                    ", ".join(f"`{v.code}` {_cell(v.label)}" for v in enums[f.enum].values[:15])
                )
            kind = f.enum or f.kind
            out.append(f"| `{f.py}`<br>`{f.wire}` | {kind} | {_cell(f.en)}<br>{_cell(f.label)} | {'; '.join(notes)} |")  # fmt: skip
        out.append("")
    out += ["## Response", ""]
    for b in api.blocks:
        shape = "one record" if b.shape == "object" else "rows"
        out += [
            f"### `{b.key}` ({shape})",
            "",
            "| field | type | English | Korean |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{f.py}` | {f.enum or f.kind} | {_cell(f.en)} | {_cell(f.label)} |"
            for f in b.fields
        ]
        out.append("")
    if api.scalars:
        out += [
            "### top-level fields",
            "",
            "| field | type | English | Korean |",
            "|---|---|---|---|",
        ]
        out += [
            f"| `{f.py}` | {f.enum or f.kind} | {_cell(f.en)} | {_cell(f.label)} |"
            for f in api.scalars
        ]
        out.append("")
    call = ", ".join(f"{k}={py_value(api, k, v)}" for k, v in args)
    method = f"kis.{api.product}.{api.name}"
    out += ["## Python", "", "```python", "from kisapi import Kis", "", "kis = Kis.from_env()"]
    if api.window is not None:
        wires = api.window.wires
        rest = ", ".join(
            f"{k}={py_value(api, k, v)}"
            for k, v in args
            if k not in {f.py for f in api.request if f.wire in wires}
        )
        bounds = _RANGE_EXAMPLE[api.window.moment]
        out += [
            f"result = {method}.range({bounds}{', ' + rest if rest else ''}).collect()",
            "result.rows, result.complete  # oldest first",
        ]
    elif api.cursor is not None:
        out += [f"result = {method}.pages({call}).collect()", "result.rows, result.complete"]
    else:
        out.append(f"response = {method}({call})")
    out += ["```", "", "## Command line", "", "```bash"]
    flags = " ".join(f"--{k.rstrip('_').replace('_', '-')} {json.dumps(v, ensure_ascii=False) if ' ' in v or not v else v}" for k, v in args)  # fmt: skip
    extra = "" if api.kind == "order" else " --json"
    out.append(f"kisapi call {api.id} {flags}{extra}".replace("  ", " ").rstrip())
    out.append("```")
    if api.kind == "order":
        out += ["", "Prints the request (secrets masked); add `--execute` to send the order."]
    if body is not None:
        out += ["", "## Example response", "", "From the recorded cassette (sandbox values; arrays cut to three rows).", ""]  # fmt: skip
        out += ["```json", json.dumps(_trim(body), ensure_ascii=False, indent=2), "```"]
    return "\n".join(out) + "\n"


def realtime_page(rt: ir.RealtimeApi, enums: dict[str, ir.EnumDef]) -> str:
    out = [f"# {rt.title}", "", f"`{rt.id}` · {rt.summary}", ""]
    out += ["| TR ID | real `" + rt.real + f"`, mock `{rt.mock or 'not offered'}` |", "|---|---|"]
    out += [f"| key | {_cell(rt.key_label)} ({rt.key_kind}) |", f"| encrypted | {'yes' if rt.encrypted else 'no'} |", ""]  # fmt: skip
    out += ["## Fields", "", "Caret-separated, in this order.", "", "| # | field | type | English | Korean |", "|---|---|---|---|---|"]  # fmt: skip
    out += [f"| {i} | `{f.py}` | {f.enum or f.kind} | {_cell(f.en)} | {_cell(f.label)} |" for i, f in enumerate(rt.fields)]  # fmt: skip
    key = {"stock_code": "005930", "index_code": "0001", "hts_id": "HTS_ID", "symbol": "DNASAAPL"}.get(rt.key_kind, "CODE")  # fmt: skip
    out += ["", "## Python", "", "```python", "from kisapi import AsyncKis", "", "async with AsyncKis.from_env() as kis, kis.realtime() as rt:"]  # fmt: skip
    out += [f'    async for record in rt.stream("{rt.real}", "{key}"):', "        print(record.as_dict())", "```"]  # fmt: skip
    out += [
        "",
        "## Command line",
        "",
        "```bash",
        f"kisapi stream {rt.real} {key} --count 10",
        "```",
    ]
    return "\n".join(out) + "\n"


def index_page(project: ir.Project) -> str:
    out = ["# API reference", "", f"{len(project.apis)} REST APIs; search them with `kisapi apis WORDS` or `kisapi.apis(\"...\")`.", ""]  # fmt: skip
    for p in project.products:
        out += [f"## {PRODUCT_TITLES.get(p.name, p.name)}", "", "| API | title | kind | TR ID (real) | mock |", "|---|---|---|---|---|"]  # fmt: skip
        for a in p.apis:
            trs = " ".join(sorted({r.real for r in a.tr_rules if r.real})) or "-"
            mock = "yes" if all(r.mock for r in a.tr_rules) else "some" if any(r.mock for r in a.tr_rules) else "no"  # fmt: skip
            out.append(f"| [{a.name}]({p.name}/{a.name}.md) | {_cell(a.title)} | {a.kind} | {trs} | {mock} |")  # fmt: skip
        out.append("")
    return "\n".join(out)


def realtime_index(project: ir.Project) -> str:
    out = ["# Realtime TRs", "", "| TR ID | id | title | mock |", "|---|---|---|---|"]
    for rt in project.realtime:
        out.append(f"| {rt.real} | [{rt.id}]({rt.product}/{rt.name}.md) | {_cell(rt.title)} | {rt.mock or '-'} |")  # fmt: skip
    return "\n".join(out) + "\n"


def write_sources(project: ir.Project) -> None:
    """Guide (docs/), CHANGELOG and every generated page under build/docs, plus mkdocs.yml."""
    if SRC.exists():
        shutil.rmtree(SRC)
    shutil.copytree(GUIDE, SRC)
    shutil.copy(REPO / "CHANGELOG.md", SRC / "changelog.md")
    enums = {e.name: e for e in project.enums}
    (SRC / "apis").mkdir()
    (SRC / "apis" / "index.md").write_text(index_page(project), encoding="utf-8")
    for api in project.apis:
        page = SRC / "apis" / api.product / f"{api.name}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(api_page(api, enums), encoding="utf-8")
    (SRC / "realtime").mkdir()
    (SRC / "realtime" / "index.md").write_text(realtime_index(project), encoding="utf-8")
    for rt in project.realtime:
        page = SRC / "realtime" / rt.product / f"{rt.name}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(realtime_page(rt, enums), encoding="utf-8")
    order = ["quickstart", "sandbox", "environments", "pagination", "errors", "realtime", "processes", "cli"]  # fmt: skip
    found = {p.stem for p in (GUIDE / "guide").glob("*.md")}
    guide = [f"{n}.md" for n in order if n in found] + sorted(f"{n}.md" for n in found - set(order))
    config = {
        "site_name": "kisapi",
        "site_description": "Typed Python SDK, CLI and API reference for the KIS Developers Open API",
        "docs_dir": "docs",
        "site_dir": "site",
        "theme": {"name": "material", "features": ["navigation.sections", "search.suggest"]},
        "markdown_extensions": [
            "tables",
            "admonition",
            "pymdownx.highlight",
            "pymdownx.superfences",
        ],
        "validation": {
            "links": {"not_found": "warn", "anchors": "warn", "unrecognized_links": "warn"}
        },
        "nav": [
            {"Home": "index.md"},
            {"Guide": [f"guide/{name}" for name in guide]},
            {"API reference": "apis/index.md"},
            {"Realtime": "realtime/index.md"},
            {"Recording": "recording.md"},
            {"Changelog": "changelog.md"},
        ],
    }
    (BUILD / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")  # fmt: skip


def build(project: ir.Project) -> list[str]:
    """Build the site strictly; returns problems (missing pages), empty when all is well."""
    write_sources(project)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(BUILD / "mkdocs.yml")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return [f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"]
    missing = [a.id for a in project.apis if not (SITE / "apis" / a.product / a.name / "index.html").exists()]  # fmt: skip
    missing += [r.id for r in project.realtime if not (SITE / "realtime" / r.product / r.name / "index.html").exists()]  # fmt: skip
    return [f"no page for {name}" for name in missing]
