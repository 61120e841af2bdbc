"""Click options for one API, built from its registry entry (types, help, choices)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from kisapi_runtime.registry import ParamInfo

if TYPE_CHECKING:  # click >= 8.3 types ParamType as generic; older releases are not
    _Base = click.ParamType[Any]
else:
    _Base = click.ParamType


class DecimalType(_Base):
    name = "decimal"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)


class DateType(_Base):
    """``2026-01-05`` or ``20260105``."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        try:
            if len(text) == 8 and text.isdigit():
                return datetime.strptime(text, "%Y%m%d").date()
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD or YYYYMMDD)", param, ctx)


class TimeType(_Base):
    """``09:30:00`` or ``093000``."""

    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        try:
            if len(text) == 6 and text.isdigit():
                return datetime.strptime(text, "%H%M%S").time()
            return time.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a time (HH:MM:SS or HHMMSS)", param, ctx)


TYPES: dict[str, _Base] = {
    "int": click.INT,
    "decimal": DecimalType(),
    "date": DateType(),
    "time": TimeType(),
    "datetime": click.STRING,
    "bool": click.BOOL,
    "str": click.STRING,
    "text": click.STRING,
}


def flag(py: str) -> str:
    return "--" + py.rstrip("_").replace("_", "-")


def help_text(p: ParamInfo) -> str:
    parts = [f"{p.en} / {p.label}" if p.en else p.label]
    if p.wire:
        parts.append(f"[{p.wire}, {p.kind}]")
    if p.selector:
        parts.append("chooses the TR ID, not sent")
    if p.required and p.fill is None and p.default is None:
        parts.append("required")
    if p.default is not None:
        parts.append(f"default {p.default!r}")
    if p.fill:
        parts.append(f"defaults to the configured {'account' if 'account' in p.fill else p.fill}")
    if p.choices:
        shown = ", ".join(f"{c}={lab}" if lab else c for c, lab in p.choices[:12])
        more = f", ... ({len(p.choices)} codes)" if len(p.choices) > 12 else ""
        parts.append(f"one of: {shown}{more}")
    return "; ".join(parts)


def option(p: ParamInfo) -> click.Option:
    kind: _Base = TYPES.get(p.kind, click.STRING)
    if p.choices:
        kind = click.Choice([c for c, _ in p.choices])
    return click.Option(
        [flag(p.py), p.py], type=kind, default=None, help=help_text(p), show_default=False
    )
