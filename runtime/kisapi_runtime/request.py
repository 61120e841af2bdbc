"""Turn keyword arguments into a checked KIS request, or fail before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .api import ApiSpec, Field
from .codecs import encode
from .errors import KisMockUnsupportedError, KisValidationError
from .orders import check_order_amounts


@attrs.frozen(slots=True)
class Prepared:
    """A request ready to send: TR ID, wire parameters (query or JSON body)."""

    api: ApiSpec[Any]
    tr_id: str | None
    params: dict[str, str]

    def with_cursor(self, cursor: Mapping[str, str]) -> Prepared:
        return Prepared(self.api, self.tr_id, {**self.params, **cursor})


def prepare(
    api: ApiSpec[Any], values: Mapping[str, Any], fills: Mapping[str, str | None], *, mock: bool
) -> Prepared:
    """Validate ``values`` (Python parameter name -> user value) against ``api``.

    ``fills`` supplies configured values (``account_number``...) for fields declaring ``fill``.
    """
    params: dict[str, str] = {}
    for field in api.request:
        params[field.wire] = _encode_field(api, field, values.get(field.py), fills)
    if api.kind == "order":
        check_order_amounts(api, params)
    chosen: dict[str, str] = {}
    for selector in api.selectors:
        value = values.get(selector.py, selector.default)
        if value is None:
            raise KisValidationError(
                api.id, selector.py, f"required; one of {list(selector.values)}"
            )
        text = str(getattr(value, "value", value))
        if text not in selector.values:
            raise KisValidationError(
                api.id, selector.py, f"{text!r} is not one of {list(selector.values)}"
            )
        chosen[selector.py] = text
    _check_conditional(api, params, chosen)
    return Prepared(api, resolve_tr_id(api, params, chosen, mock=mock), params)


def _check_conditional(
    api: ApiSpec[Any], params: Mapping[str, str], chosen: Mapping[str, str]
) -> None:
    """Fields required only for some choices (a modify needs the new price; a cancel does not)."""
    by_py = {f.py: params[f.wire] for f in api.request}
    by_py.update(chosen)
    for field in api.request:
        if not field.required_when or params[field.wire] != "":
            continue
        if all(by_py.get(name) in allowed for name, allowed in field.required_when):
            when = ", ".join(f"{name}={by_py.get(name)}" for name, _ in field.required_when)
            raise KisValidationError(api.id, field.py, f"required when {when} ({field.label})")


# The client argument (and KIS_* variable) that supplies each ``fill``.
_SETTING = {
    "account_number": "account=, KIS_ACCOUNT",
    "account_product": "account=, KIS_ACCOUNT",
    "hts_id": "hts_id=, KIS_HTS_ID",
}


def _encode_field(
    api: ApiSpec[Any], field: Field, value: Any, fills: Mapping[str, str | None]
) -> str:
    if field.fixed is not None:
        return field.fixed
    if value is None and field.fill is not None:
        value = fills.get(field.fill)
    if value is None:
        if field.default is not None:
            return field.default
        if field.required:
            hint = (
                f" (set it on the client: {_SETTING.get(field.fill, field.fill)})"
                if field.fill
                else ""
            )
            raise KisValidationError(api.id, field.py, f"required ({field.label}){hint}")
        return ""
    try:
        text = encode(field.kind, value, field.enum)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise KisValidationError(api.id, field.py, str(exc)) from None
    if field.required and not text.strip():
        hint = f"; leave it out to use the client's {field.fill}" if field.fill else ""
        raise KisValidationError(
            api.id, field.py, f"required ({field.label}), got an empty value{hint}"
        )
    if field.max_length is not None and len(text.encode("utf-8")) > field.max_length:
        raise KisValidationError(
            api.id, field.py, f"longer than {field.max_length} bytes ({len(text.encode())})"
        )
    return text


def resolve_tr_id(
    api: ApiSpec[Any], params: Mapping[str, str], chosen: Mapping[str, str], *, mock: bool
) -> str | None:
    """The TR ID of the first rule whose conditions hold, for the client's environment."""
    if not api.tr_ids:
        return None
    by_py = {f.py: params[f.wire] for f in api.request}
    by_py.update(chosen)
    for rule in api.tr_ids:
        if all(by_py.get(name) in allowed for name, allowed in rule.when):
            tr_id = rule.mock if mock else rule.real
            if tr_id is None:
                if mock:
                    raise KisMockUnsupportedError(api.id)
                raise KisValidationError(
                    api.id, "tr_id", "no real-environment TR ID for this choice"
                )
            return tr_id
    conditions = sorted({name for rule in api.tr_ids for name, _ in rule.when})
    shown = {name: by_py.get(name) for name in conditions}
    raise KisValidationError(api.id, ", ".join(conditions), f"no TR ID matches {shown}")
