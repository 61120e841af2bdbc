"""MCP tool definitions from the API registry: name, JSON schema, bilingual description."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from kisapi_runtime.registry import ApiInfo, ParamInfo

JSON_TYPES = {"int": "integer", "decimal": "number", "bool": "boolean"}
CONFIRM = "confirm"
TOKEN_TTL = 300.0


def tool_name(info: ApiInfo) -> str:
    """``domestic_stock.inquire_price`` -> ``domestic_stock__inquire_price`` (MCP names allow no dots)."""
    return info.id.replace(".", "__")


def param_schema(p: ParamInfo) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": JSON_TYPES.get(p.kind, "string")}
    text = f"{p.en} / {p.label}" if p.en else p.label
    if p.kind in ("date", "time", "datetime"):
        text += f" ({p.kind}: {'YYYYMMDD' if p.kind == 'date' else 'HHMMSS' if p.kind == 'time' else 'YYYYMMDDHHMMSS'})"
    if p.choices:
        schema["enum"] = [c for c, _ in p.choices]
        text += "; " + ", ".join(f"{c}={lab}" if lab else c for c, lab in p.choices)
    if p.default is not None:
        schema["default"] = p.default
    if p.fill:
        text += (
            "; defaults to the configured account"
            if "account" in p.fill
            else f"; defaults to {p.fill}"
        )
    schema["description"] = text
    return schema


def input_schema(info: ApiInfo, *, order: bool) -> dict[str, Any]:
    props = {p.py: param_schema(p) for p in info.params}
    required = [p.py for p in info.params if p.required and p.fill is None and p.default is None]
    if order:
        props[CONFIRM] = {
            "type": "string",
            "description": "confirmation token from this tool's dry run; without it nothing is sent",
        }
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def description(info: ApiInfo) -> str:
    trs = ", ".join(f"{t.real or '-'} (mock {t.mock or 'none'})" for t in info.tr_ids) or "-"
    text = f"{info.summary}\n\n{info.title} ({info.id}); {info.method} {info.path}; TR ID {trs}; mock: {info.mock}."
    if info.paginated:
        text += " Returns the first page."
    if info.kind == "order":
        text += (
            " ORDER: the first call returns the exact request and a confirmation token; call again"
            " with the same arguments and confirm=<token> to send it."
        )
    return text


class Confirmations:
    """Tokens binding a dry run to its exact arguments, valid for a few minutes."""

    def __init__(self, clock: Any = time.time) -> None:
        self._key = secrets.token_bytes(32)
        self._clock = clock

    def _mac(self, name: str, args: Mapping[str, Any], issued: int) -> str:
        body = json.dumps(
            [name, dict(sorted(args.items())), issued], default=str, ensure_ascii=False
        )
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, name: str, args: Mapping[str, Any]) -> str:
        issued = int(self._clock())
        return f"{issued}.{self._mac(name, args, issued)}"

    def check(self, name: str, args: Mapping[str, Any], token: str) -> bool:
        issued_text, _, mac = token.partition(".")
        if not issued_text.isdigit():
            return False
        issued = int(issued_text)
        if self._clock() - issued > TOKEN_TTL:
            return False
        return hmac.compare_digest(mac, self._mac(name, args, issued))
