"""The other ways to decode KIS payloads, measured beside kisapi when they are installed.

Each ``*_realtime`` / ``*_rest`` function returns a callable taking what kisapi's path takes
(a frame string, or body bytes), or raises ImportError when the rival is not installed. The
callables do what the rival does on its own hot path (its frame parser and record builder, its
response model), without the network. ``pip install -e '.[bench]'`` installs all of them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any

from kisapi_runtime.api import ApiSpec


def kis_trader_realtime() -> Callable[[str], list[Any]]:
    """kis-trader: parse_frame -> registry lookup -> records(field_count) -> eager parser."""
    import kis_trader.realtime.parsers  # noqa: F401 (registers the TR parsers)
    from kis_trader.realtime import _registry
    from kis_trader.realtime._connection import RealtimeMessage, _record_key
    from kis_trader.realtime._protocol import parse_frame

    def decode(frame: str) -> list[Any]:
        parsed = parse_frame(frame)
        spec = _registry.lookup(parsed.tr_id)
        return [
            RealtimeMessage(parsed.tr_id, _record_key(r, spec.key_field), spec.parser(r))
            for r in parsed.records(spec.field_count)
        ]

    return decode


def python_kis_realtime() -> Callable[[str], list[Any]]:
    """python-kis: split the header, then KisWebsocketResponse.parse (eager, per field)."""
    from pykis.api.websocket import WEBSOCKET_RESPONSES_MAP
    from pykis.responses.websocket import KisWebsocketResponse

    def decode(frame: str) -> list[Any]:
        _, tr_id, count, body = frame.split("|", 3)
        response_type = WEBSOCKET_RESPONSES_MAP[tr_id]
        return list(KisWebsocketResponse.parse(body, count=int(count), response_type=response_type))

    return decode


def pandas_realtime(columns: int) -> Callable[[str], Any]:
    """KIS's own samples: ``pd.read_csv(StringIO(payload), sep="^", names=columns)``."""
    import pandas as pd

    names = list(range(columns))

    def decode(frame: str) -> Any:
        payload = frame.split("|", 3)[3]
        return pd.read_csv(io.StringIO(payload), header=None, sep="^", names=names)

    return decode


def pandas_batch(columns: int) -> Callable[[list[str]], Any]:
    """A collector's pandas path: one read_csv over every payload, a record a line."""
    import pandas as pd

    names = list(range(columns))

    def decode(frames: list[str]) -> Any:
        text = "\n".join(frame.split("|", 3)[3] for frame in frames)
        return pd.read_csv(io.StringIO(text), header=None, sep="^", names=names)

    return decode


def python_kis_rest(api_id: str) -> Callable[[bytes], Any]:
    """python-kis: ``response.json()`` then ``KisObject.transform_`` into its response class."""
    import requests
    from pykis.api.stock.daily_chart import KisDomesticDailyChart
    from pykis.api.stock.quote import KisDomesticQuote
    from pykis.responses.dynamic import KisObject

    def make() -> Any:
        if api_id == "domestic_stock.inquire_price":
            return KisDomesticQuote("005930", "KRX")
        if api_id == "domestic_stock.inquire_daily_itemchartprice":
            return KisDomesticDailyChart("005930")
        raise ImportError(f"python-kis has no model for {api_id}")

    make()

    def decode(body: bytes) -> Any:
        data = json.loads(body)
        data["__response__"] = requests.models.Response()  # what its fetch() attaches
        return KisObject.transform_(
            data=data, transform_type=make(), ignore_missing_fields={"__response__"}
        )

    return decode


_PYDANTIC_TYPES: dict[str, Any] = {
    "int": int, "decimal": Decimal, "date": date, "time": time, "bool": bool,
    "str": str, "text": str, "datetime": str,
}  # fmt: skip


def pydantic_rest(api: ApiSpec[Any]) -> Callable[[bytes], Any]:
    """pydantic v2 models built from the same spec (lax mode: "71200" -> 71200), with KIS's
    empty strings read as None and its compact dates and times rewritten for pydantic, parsed
    by ``model_validate_json`` straight from the bytes."""
    from typing import Annotated

    from pydantic import BaseModel, BeforeValidator, ConfigDict, create_model, field_validator

    def compact(value: Any) -> Any:  # pydantic reads "20261124" as a Unix timestamp
        if isinstance(value, str) and value.isdigit() and len(value) == 8:
            return f"{value[:4]}-{value[4:6]}-{value[6:]}"
        if isinstance(value, str) and value.isdigit() and len(value) == 6:
            return f"{value[:2]}:{value[2:4]}:{value[4:]}"
        return value

    special: dict[str, Any] = {
        "date": Annotated[date | None, BeforeValidator(compact)],
        "time": Annotated[time | None, BeforeValidator(compact)],
    }

    class Row(BaseModel):
        model_config = ConfigDict(extra="allow")

        @field_validator("*", mode="before")
        @classmethod
        def empty_is_none(cls, value: Any) -> Any:
            return None if value == "" else value

    body_fields: dict[str, Any] = {}
    for block in api.response:
        row_fields: dict[str, Any] = {}
        for wire, _py, kind, enum in block.fields:
            kind_type: Any = enum if isinstance(enum, type) and issubclass(enum, Enum) else None
            if kind_type is None and kind in special:
                row_fields[wire] = (special[kind], None)
            else:
                row_fields[wire] = ((kind_type or _PYDANTIC_TYPES[kind]) | None, None)
        model = create_model(f"{block.key}_row", __base__=Row, **row_fields)
        body_fields[block.key] = ((model if block.shape == "object" else list[model]) | None, None)
    body_model = create_model("Body", __base__=Row, rt_cd=(str | None, None), **body_fields)
    return body_model.model_validate_json
