"""Turn typed responses into JSON, CSV or rich tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

from kisapi_runtime.registry import ApiInfo, BlockInfo


def plain(value: Any) -> Any:
    """A JSON-ready value: Decimal and dates as text (no precision lost), enums as KIS codes."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if attrs.has(type(value)):
        out = {}
        for a in attrs.fields(type(value)):
            item = getattr(value, a.name)
            if a.name == "extra" and not item:
                continue
            out[a.name] = plain(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def to_json(value: Any) -> str:
    return json.dumps(plain(value), ensure_ascii=False, indent=2)


def rows_of(
    info: ApiInfo, data: Mapping[str, Any]
) -> tuple[BlockInfo | None, list[Mapping[str, Any]]]:
    """The main table of a response: the first array block, else the first object block."""
    blocks = [b for b in info.blocks if b.key]
    for block in sorted(blocks, key=lambda b: b.shape != "array"):
        value = data.get(block.key.lower())
        if block.shape == "array" and isinstance(value, list):
            return block, value
        if block.shape == "object" and isinstance(value, Mapping):
            return block, [value]
    return None, []


def to_csv(info: ApiInfo, data: Mapping[str, Any]) -> str:
    block, rows = rows_of(info, data)
    names = [f.py for f in block.fields] if block else sorted({k for r in rows for k in r})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def label(en: str, ko: str) -> str:
    return f"{en} / {ko}" if en else ko


def print_tables(console: Console, info: ApiInfo, data: Mapping[str, Any]) -> None:
    """One table per block: objects as field/label/value, arrays as one row per record."""
    console.print(f"[bold]{info.title}[/] ({info.id}): {data.get('msg1') or ''}".rstrip(": "))
    for block in info.blocks:
        key = block.key.lower()
        value = data if not block.key else data.get(key)
        if block.shape == "object" and isinstance(value, Mapping):
            table = Table(title=block.key or "response", show_lines=False)
            table.add_column("field")
            table.add_column("label")
            table.add_column("value", overflow="fold")
            for f in block.fields:
                item = value.get(f.py)
                if item is not None:
                    table.add_row(f.py, label(f.en, f.label), str(item))
            console.print(table)
        elif isinstance(value, list):
            _print_rows(console, block, value)


def _print_rows(console: Console, block: BlockInfo, rows: Sequence[Mapping[str, Any]]) -> None:
    used = [f for f in block.fields if any(r.get(f.py) is not None for r in rows)]
    table = Table(title=f"{block.key} ({len(rows)} rows)")
    for f in used:
        table.add_column(f.py, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(f.py) is None else str(row.get(f.py)) for f in used))
    console.print(table)
