"""Export the specs as OpenAPI 3.1 (REST) and AsyncAPI 3.0 (realtime), for other languages.

``python -m codegen openapi`` writes ``openapi/kisapi.openapi.json`` and
``openapi/kisapi.asyncapi.json``; ``--check`` fails when they are stale or invalid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import ir
from .render import REPO, project_version

OUT_DIR = REPO / "openapi"
OPENAPI_FILE = "kisapi.openapi.json"
ASYNCAPI_FILE = "kisapi.asyncapi.json"
ASYNCAPI_SCHEMA = Path(__file__).resolve().parent / "schemas" / "asyncapi-3.0.0.json"

REST_SERVERS = {
    "real": "https://openapi.koreainvestment.com:9443",
    "mock": "https://openapivts.koreainvestment.com:29443",
}
WS_SERVERS = {"real": "ops.koreainvestment.com:21000", "mock": "ops.koreainvestment.com:31000"}

# What a wire value looks like per kind. Requests are checked strictly; responses allow the
# blanks and padding KIS sends (the SDK decodes both).
REQUEST_PATTERNS = {  # empty: not given (KIS takes "" for every optional field)
    "int": r"^(-?[0-9]+)?$",
    "decimal": r"^(-?[0-9]+(\.[0-9]+)?)?$",
    "date": r"^([0-9]{8})?$",
    "time": r"^([0-9]{6})?$",
    "datetime": r"^([0-9]{14})?$",
}
RESPONSE_PATTERNS = {
    "int": r"^\s*[-+]?[0-9]*(\.0*)?\s*$",
    "decimal": r"^\s*[-+]?[0-9]*(\.[0-9]*)?\s*$",
    "date": r"^\s*([0-9]{4}[-./]?[0-9]{2}[-./]?[0-9]{2}|0+)?\s*$",
    "time": r"^\s*([0-9]{4,6}|[0-9]{2}:[0-9]{2}(:[0-9]{2})?)?\s*$",
}
FORMATS = {"int": "int64", "decimal": "decimal", "date": "yyyymmdd", "time": "hhmmss"}


def label_of(field: ir.Field) -> str:
    return f"{field.en} / {field.label}" if field.en else field.label


def field_schema(
    field: ir.Field, enums: Mapping[str, ir.EnumDef], *, response: bool
) -> dict[str, Any]:
    """One KIS value: always a string on the wire, with a pattern or the list of codes."""
    schema: dict[str, Any] = {"type": "string", "description": f"{label_of(field)} ({field.kind})"}
    if response and field.kind in ("int", "decimal"):
        schema["type"] = ["string", "number"]  # a few answers (OAuth) carry JSON numbers
    if field.enum:
        enum = enums[field.enum]
        codes = [v.code for v in enum.values]
        schema["description"] += " - " + ", ".join(f"{v.code}: {v.label}" for v in enum.values)
        schema["x-kis-enum"] = field.enum
        if not response:
            schema["enum"] = list(dict.fromkeys(codes if field.required else ["", *codes]))
    elif field.kind == "bool":
        if not response:
            schema["enum"] = ["Y", "N"] if field.required else ["", "Y", "N"]
        schema["x-kis-kind"] = "bool"
    elif field.kind in REQUEST_PATTERNS:
        patterns = RESPONSE_PATTERNS if response else REQUEST_PATTERNS
        if field.kind in patterns:
            schema["pattern"] = patterns[field.kind]
        if field.kind in FORMATS:
            schema["format"] = FORMATS[field.kind]
        schema["x-kis-kind"] = field.kind
    if field.max_length and not response:
        schema["maxLength"] = field.max_length
    if field.default is not None and not response:
        schema["default"] = field.default
    if field.fixed is not None and not response:
        schema["const"] = field.fixed
    if field.fill:
        schema["x-kis-fill"] = field.fill
    if field.secret:
        schema["x-kis-secret"] = True
    return schema


def _object(fields: tuple[ir.Field, ...], enums: Mapping[str, ir.EnumDef]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {f.wire: field_schema(f, enums, response=True) for f in fields},
        "additionalProperties": {"type": "string"},
    }


def _tr_table(api: ir.Api) -> str:
    rows = []
    for r in api.tr_rules:
        when = ", ".join(f"{k}={'|'.join(v)}" for k, v in r.when) or "always"
        rows.append(f"| {when} | {r.real or '-'} | {r.mock or 'not offered'} |")
    if not rows:
        return ""
    return "\n\n| when | real | mock |\n|---|---|---|\n" + "\n".join(rows)


def _request_required(field: ir.Field) -> bool:
    return field.required and field.fill is None and field.default is None and field.fixed is None


def operation(api: ir.Api, enums: Mapping[str, ir.EnumDef]) -> dict[str, Any]:
    """One REST API as an OpenAPI operation."""
    params: list[dict[str, Any]] = []
    if api.kind != "auth":
        tr_ids = sorted({t for r in api.tr_rules for t in (r.real, r.mock) if t})
        params += [
            {"$ref": "#/components/parameters/appkey"},
            {"$ref": "#/components/parameters/appsecret"},
            {"$ref": "#/components/parameters/custtype"},
            {"$ref": "#/components/parameters/tr_cont"},
            {
                "name": "tr_id",
                "in": "header",
                "required": True,
                "description": "TR ID: per environment and choice (see the table above)",
                "schema": {"type": "string", "enum": tr_ids},
            },
        ]
    sent = [f for f in api.request if f.fixed is None or api.method == "GET"]
    selectors = [
        {"name": s.name, "values": list(s.values), "label": s.label} for s in api.selectors
    ]
    op: dict[str, Any] = {
        "operationId": api.id.replace(".", "__"),
        "summary": api.title,
        "description": api.summary + _tr_table(api),
        "tags": [api.product],
        "x-kis-id": api.id,
        "x-kis-kind": api.kind,
        "x-kis-paginated": api.cursor is not None,
        "x-kis-tr-ids": [
            {"when": {k: list(v) for k, v in r.when}, "real": r.real, "mock": r.mock}
            for r in api.tr_rules
        ],
    }
    if api.doc_id:
        op["x-kis-doc-id"] = api.doc_id
    if selectors:
        op["x-kis-selectors"] = selectors
    if api.cursor is not None:
        op["x-kis-cursor"] = {"request": [c[0] for c in api.cursor], "rows": api.rows}
    if api.window is not None:
        w = api.window
        op["x-kis-window"] = {
            "rows": w.rows,
            "key": list(w.key_wires),
            "end": list(w.end),
            **({"start": w.start} if w.start else {}),
            "step": w.step,
            **({"carry": dict(w.carry)} if w.carry else {}),
            **({"fixed": dict(w.fixed)} if w.fixed else {}),
        }
    if api.method == "GET":
        params += [
            {
                "name": f.wire,
                "in": "query",
                "required": _request_required(f),
                "description": label_of(f),
                "schema": field_schema(f, enums, response=False),
            }
            for f in sent
        ]
    else:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            f.wire: field_schema(f, enums, response=False) for f in api.request
                        },
                        "required": [f.wire for f in api.request if _request_required(f)],
                    }
                }
            },
        }
    if params:
        op["parameters"] = params
    if api.kind != "auth":
        op["security"] = [{"bearer": []}]
    body: dict[str, Any] = {
        "type": "object",
        "properties": {
            "rt_cd": {"type": "string", "description": "0: success"},
            "msg_cd": {"type": "string"},
            "msg1": {"type": "string"},
        },
    }
    for b in api.blocks:
        block = _object(b.fields, enums)
        if b.shape == "object":
            body["properties"][b.key] = block
        else:  # KIS sends a lone object (or "") instead of a list at times; clients accept both
            many = {"type": "array", "items": block}
            body["properties"][b.key] = {"anyOf": [many, block, {"const": ""}]}
    for f in api.scalars:
        body["properties"][f.wire] = field_schema(f, enums, response=True)
    op["responses"] = {
        "200": {
            "description": "KIS answered; rt_cd 0 is success, anything else an error (see KisError)",
            "headers": {"tr_cont": {"$ref": "#/components/headers/tr_cont"}},
            "content": {"application/json": {"schema": body}},
        },
        "default": {"$ref": "#/components/responses/KisError"},
    }
    return op


def openapi(project: ir.Project) -> dict[str, Any]:
    enums = {e.name: e for e in project.enums}
    paths: dict[str, dict[str, Any]] = {}
    for api in sorted(project.apis, key=lambda a: a.path):
        paths.setdefault(api.path, {})[api.method.lower()] = operation(api, enums)
    errors = [
        {"msg_cd": e.code, "error": e.error, "retry": e.retry, "meaning": e.meaning}
        for e in project.errors
    ]
    error_text = "\n".join(f"- `{e.code}` {e.error}: {e.meaning}" for e in project.errors)
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KIS Developers Open API (kisapi)",
            "version": project_version(),
            "summary": "Korea Investment & Securities REST API, from the kisapi specs",
            "description": (
                "Every REST API of KIS Developers as curated in the kisapi specs. KIS sends "
                "numbers, dates and flags as strings: schemas give their pattern and x-kis-kind. "
                "Each operation's tr_id header depends on the environment (real or mock server) "
                "and on choices such as buy/sell (x-kis-tr-ids)."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [
            {"url": REST_SERVERS["real"], "description": "real (실전투자)"},
            {"url": REST_SERVERS["mock"], "description": "mock / paper trading (모의투자)"},
        ],
        "tags": [{"name": p.name} for p in project.products],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "access token from POST /oauth2/tokenP",
                }
            },
            "parameters": {
                "appkey": {**header, "name": "appkey", "description": "app key"},
                "appsecret": {**header, "name": "appsecret", "description": "app secret"},
                "custtype": {
                    "name": "custtype",
                    "in": "header",
                    "required": False,
                    "description": "P: individual, B: corporate",
                    "schema": {"type": "string", "enum": ["P", "B"], "default": "P"},
                },
                "tr_cont": {
                    "name": "tr_cont",
                    "in": "header",
                    "required": False,
                    "description": "empty for the first page, N for the next (paginated APIs)",
                    "schema": {"type": "string", "enum": ["", "N"]},
                },
            },
            "headers": {
                "tr_cont": {
                    "description": "F or M: more pages follow; D or E: last page",
                    "schema": {"type": "string"},
                }
            },
            "responses": {
                "KisError": {
                    "description": "KIS error (rt_cd != 0, or an OAuth error):\n" + error_text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/KisError"}}
                    },
                }
            },
            "schemas": {
                "KisError": {
                    "type": "object",
                    "properties": {
                        "rt_cd": {"type": "string"},
                        "msg_cd": {
                            "type": "string",
                            "examples": [e.code for e in project.errors[:3]],
                        },
                        "msg1": {"type": "string"},
                        "error_code": {"type": "string"},
                        "error_description": {"type": "string"},
                    },
                    "x-kis-errors": errors,
                }
            },
        },
    }


def asyncapi(project: ir.Project) -> dict[str, Any]:
    enums = {e.name: e for e in project.enums}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for rt in project.realtime:
        key = rt.id.replace(".", "__")
        columns = "^".join(f.wire for f in rt.fields)
        fields = [
            {"index": i, "wire": f.wire, "kind": f.kind, "label": f.label, "en": f.en or None,
             "enum": f.enum, "description": field_schema(f, enums, response=True)["description"]}
            for i, f in enumerate(rt.fields)
        ]  # fmt: skip
        tr_ids = [t for t in (rt.real, rt.mock) if t]
        messages[f"{key}__data"] = {
            "name": f"{rt.id} data",
            "title": rt.title,
            "summary": rt.summary,
            "contentType": "text/plain",
            "payload": {
                "type": "string",
                "description": (
                    "0|TR_ID|count|fields... (1| when encrypted): each record is "
                    f"{len(rt.fields)} caret-separated fields, in this order: {columns}. Older "
                    "servers send fewer trailing fields and newer ones may add some: read by "
                    "position and keep what is unknown"
                ),
                "pattern": "^[01]\\|(" + "|".join(tr_ids) + ")\\|[0-9]{3}\\|",
            },
            "x-kis-fields": fields,
            "x-kis-encrypted": rt.encrypted,
        }
        messages[f"{key}__subscribe"] = {
            "name": f"{rt.id} subscribe",
            "title": f"{rt.title} subscribe/unsubscribe",
            "contentType": "application/json",
            "payload": {"$ref": "#/components/schemas/SubscribeRequest"},
            "examples": [
                {
                    "payload": {
                        "header": {"approval_key": "...", "custtype": "P", "tr_type": "1",
                                   "content-type": "utf-8"},
                        "body": {"input": {"tr_id": rt.real, "tr_key": "005930"}},
                    }
                }
            ],
        }  # fmt: skip
        channels[key] = {
            "address": f"/tryitout/{rt.real}",
            "title": rt.title,
            "summary": f"{rt.real} (mock {rt.mock or 'not offered'}): {rt.summary}",
            "description": f"Key: {rt.key_label} ({rt.key_kind}).",
            "messages": {
                "data": {"$ref": f"#/components/messages/{key}__data"},
                "subscribe": {"$ref": f"#/components/messages/{key}__subscribe"},
            },
            "x-kis-id": rt.id,
            "x-kis-tr-ids": {"real": rt.real, "mock": rt.mock},
        }
        operations[f"{key}__subscribe"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"subscribe to {rt.real}",
            "messages": [{"$ref": f"#/channels/{key}/messages/subscribe"}],
        }
        operations[f"{key}__receive"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"{rt.title} records",
            "messages": [{"$ref": f"#/channels/{key}/messages/data"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "KIS Developers realtime (WebSocket) API (kisapi)",
            "version": project_version(),
            "description": (
                "Every realtime TR: subscribe with a JSON request carrying the approval key "
                "(POST /oauth2/Approval); records arrive as text frames, caret-separated."
            ),
        },
        "servers": {
            env: {"host": host, "protocol": "ws", "description": f"KIS {env}"}
            for env, host in WS_SERVERS.items()
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {
                "SubscribeRequest": {
                    "type": "object",
                    "required": ["header", "body"],
                    "properties": {
                        "header": {
                            "type": "object",
                            "properties": {
                                "approval_key": {"type": "string"},
                                "custtype": {"type": "string", "enum": ["P", "B"]},
                                "tr_type": {
                                    "type": "string",
                                    "enum": ["1", "2"],
                                    "description": "1 subscribe, 2 unsubscribe",
                                },
                                "content-type": {"type": "string", "const": "utf-8"},
                            },
                        },
                        "body": {
                            "type": "object",
                            "properties": {
                                "input": {
                                    "type": "object",
                                    "properties": {
                                        "tr_id": {"type": "string"},
                                        "tr_key": {"type": "string"},
                                    },
                                }
                            },
                        },
                    },
                }
            },
        },
    }


def dump(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def documents(project: ir.Project) -> dict[str, str]:
    return {OPENAPI_FILE: dump(openapi(project)), ASYNCAPI_FILE: dump(asyncapi(project))}


def validate(texts: Mapping[str, str]) -> None:
    """Raise when a document breaks its specification (openapi-spec-validator, AsyncAPI schema)."""
    import jsonschema
    from openapi_spec_validator import validate as validate_openapi

    validate_openapi(json.loads(texts[OPENAPI_FILE]))
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(json.loads(texts[ASYNCAPI_FILE]))


def write(project: ir.Project, out: Path = OUT_DIR, *, check: bool = False) -> list[str]:
    """Write (or with ``check`` compare) the documents; returns the stale file names."""
    texts = documents(project)
    validate(texts)
    stale = []
    for name, text in texts.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
            if not check:
                out.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
    return stale
