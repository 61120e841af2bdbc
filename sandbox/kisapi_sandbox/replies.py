"""KIS's reply shapes for the paper broker: records with every field the spec declares,
query and error bodies, continuation keys."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from . import catalog


class Reject(Exception):
    """An order or query KIS would refuse; becomes an error body."""

    def __init__(self, msg_cd: str, msg1: str, *, rt_cd: str = "1") -> None:
        super().__init__(f"{msg_cd} {msg1}")
        self.msg_cd, self.msg1, self.rt_cd = msg_cd, msg1, rt_cd

    def body(self, mock: bool) -> dict[str, Any]:
        text = f"모의투자 {self.msg1}" if mock and self.rt_cd == "1" else self.msg1
        return {"rt_cd": self.rt_cd, "msg_cd": self.msg_cd, "msg1": text}


def bad_field(name: str) -> Reject:
    return Reject("OPSQ2001", f"ERROR : INPUT_FIELD_NAME {name}", rt_cd="2")


@cache
def fields_of(api_id: str, block: str) -> tuple[tuple[str, str], ...]:
    for b in catalog.api_for(api_id).response:
        if b.key == block:
            return tuple((wire, kind) for wire, _py, kind, _enum in b.fields)
    raise KeyError(f"{api_id} has no response block {block}")


def spec_record(api_id: str, block: str, values: Mapping[str, object]) -> dict[str, str]:
    """One response record with every field the spec declares, in its wire spelling."""
    fields = fields_of(api_id, block)
    unknown = set(values) - {wire for wire, _ in fields}
    if unknown:
        raise KeyError(f"{api_id}.{block}: fields not in the spec: {sorted(unknown)}")
    return {
        wire: wire_text(values[wire]) if wire in values else ("0" if kind == "int" else "")
        for wire, kind in fields
    }


def wire_text(value: object) -> str:
    if isinstance(value, bool):
        return "Y" if value else "N"
    return "" if value is None else str(value)


def ratio(numerator: int, denominator: int, places: int, scale: int = 100) -> str:
    """``numerator / denominator`` (times ``scale``, 100 for a percentage) in KIS's fixed
    decimals; zero when the denominator is."""
    quantum = Decimal(1).scaleb(-places)
    value = Decimal(numerator) * scale / Decimal(denominator) if denominator else Decimal(0)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):f}"


def pad(text: str) -> str:
    """KIS pads account-API messages with spaces to 80 bytes of EUC-KR."""
    return text + " " * max(80 - len(text.encode("euc-kr")), 0)


def query_body(
    mock: bool,
    blocks: Mapping[str, Any],
    *,
    real: tuple[str, str] = ("KIOK0510", "조회가 완료되었습니다"),
) -> dict[str, Any]:
    msg_cd, msg1 = ("20310000", "모의투자 조회가 완료되었습니다.") if mock else real
    return {**blocks, "rt_cd": "0", "msg_cd": msg_cd, "msg1": pad(msg1)}


def cursor(account: str = "", *parts: str) -> str:
    """A 100-character continuation key (the sandbox answers every query in one page)."""
    keys = [*account.split("-"), *parts] if account else []
    return "".join(f"{k}^" for k in keys).ljust(100)


def to_int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None
