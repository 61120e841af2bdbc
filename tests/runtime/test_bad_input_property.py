"""Bad input never reaches the network: every generated method, every parameter, bad values.

Each (API, parameter, bad value) pair is called through ``Kis`` with valid values everywhere
else and a transport that records every send. The only acceptable outcome is a
``KisValidationError`` naming the API and the parameter, with nothing sent. A sweep over fixed
bad values per type and a hypothesis search over generated ones both count pairs
tried / rejected / sent / crashed.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kisapi import Kis
from kisapi_runtime.errors import KisValidationError

from ..endpoints import spec_model as sm

CONTROLS = ["\r", "\n", "\r\n", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u202e", "\t"]
NOT_SCALARS: list[Any] = [object(), [1], {"a": 1}, b"005930", (1,)]
NON_FINITE = [Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"), Decimal("sNaN"),
              float("inf"), float("nan")]  # fmt: skip
BAD_BY_TYPE: dict[str, list[Any]] = {
    "int": [*NON_FINITE, Decimal("1.5"), Decimal("1e400"), 10**400, "12a", "", " ", "1e3",
            1.0, True, "1\n"],
    "decimal": [*NON_FINITE, Decimal("1e400"), Decimal("1e-400"), "1e400", "abc", "", True,
                "1.5\r\n"],
    "date": ["20261341", "2026-01-05", 20260105, "", "2026010\n", True],
    "time": ["256000", 93015, "", "0930\r\n", True],
    "datetime": ["x", 1, True],
    "bool": ["yes", 1, "Y\n", "", "y"],
}  # fmt: skip
SENT_PATHS: list[str] = []


def _is_futures(api_id: str) -> bool:
    return api_id.split(".")[0].endswith("futureoption")


def _amends(api: sm.SpecApi) -> bool:
    return any(f.wire in ("ORGN_ODNO", "RSVN_ORD_SEQ", "OVRS_RSVN_ODNO") and f.required
               for f in api.request)  # fmt: skip


def bad_values(api: sm.SpecApi, f: sm.ReqField) -> list[Any]:
    """Values that must be refused for ``f`` (whatever its other checks)."""
    values: list[Any] = list(NOT_SCALARS)
    if f.is_enum or f.type in ("str", "text"):
        values += [f"00{c}59" for c in CONTROLS if c != "\t" or not f.is_enum]
        values += [f"005930{c}" for c in ("\r\n", "\x00")]
        if not f.is_enum:
            values += [5930, 0]  # an int for a code loses its leading zeros
        else:
            values += ["NOT-A-CODE"]
        if f.required:
            values += ["", "   "]
        if f.max_length is not None:
            values += ["9" * (f.max_length + 1)]
    else:
        values += BAD_BY_TYPE.get(f.type, [])
    if api.kind == "order" and f.type in ("int", "decimal"):
        if "QTY" in f.wire or not _is_futures(api.id):
            values += [-1, Decimal("-0.5"), "-3"]
        if "QTY" in f.wire and not _amends(api):
            values += [0, "0", Decimal("0")]
    return values


@functools.cache
def base_values(api_id: str) -> dict[str, Any]:
    api = sm.load(api_id)
    case = next(sm.cases(api_id))
    return sm.call_values(api, case, "real", full=False)


def pairs() -> Iterator[tuple[str, str, Any]]:
    for api_id in sm.api_ids():
        api = sm.load(api_id)
        if api.kind == "auth":
            continue
        for f in api.request:
            if f.fixed is not None:
                continue
            for value in bad_values(api, f):
                yield api_id, f.py, value
        for sel in api.selectors:
            for value in ["", "BUY\r\n", "\x00", 1, None if sel.default is None else "x"]:
                if value is not None:
                    yield api_id, sel.name, value


def _record(request: httpx.Request) -> httpx.Response:
    SENT_PATHS.append(request.url.path)
    return httpx.Response(599)


@functools.cache
def client(cache_dir: str) -> Kis:
    return Kis(appkey=sm.APPKEY, appsecret=sm.APPSECRET, account=sm.ACCOUNT, hts_id=sm.HTS_ID,
               env="real", rate_limit=0, token_cache_dir=Path(cache_dir), max_retries=0,
               transport=httpx.MockTransport(_record))  # fmt: skip


def attempt(kis: Kis, api_id: str, name: str, value: Any) -> str:
    """``rejected`` (KisValidationError naming the API and parameter, nothing sent), ``sent``
    (anything reached the transport) or ``crashed: ...`` (any other outcome)."""
    namespace, method = api_id.split(".")
    values = {**base_values(api_id), name: value}
    before = len(SENT_PATHS)
    try:
        getattr(getattr(kis, namespace), method)(**values)
        outcome = "accepted"
    except KisValidationError as exc:
        outcome = "rejected" if exc.api == api_id and name in exc.field else f"wrong field {exc}"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    if len(SENT_PATHS) != before:
        return "sent"
    return outcome if outcome == "rejected" else f"crashed: {outcome}"


def test_every_bad_value_of_every_parameter_is_refused_before_sending(tmp_path: Path) -> None:
    kis = client(str(tmp_path))
    tally: Counter[str] = Counter()
    failures: list[str] = []
    for api_id, name, value in pairs():
        outcome = attempt(kis, api_id, name, value)
        tally["tried"] += 1
        tally[outcome.split(":")[0]] += 1
        if outcome != "rejected":
            failures.append(f"{api_id} {name}={value!r}: {outcome}")
    assert tally["tried"] > 20_000
    assert failures == [], f"{tally}: {failures[:20]}"
    assert tally["sent"] == tally["crashed"] == 0


def test_valid_base_values_are_accepted(tmp_path: Path) -> None:
    """The sweep means something only if the same call with good values does go out."""
    kis = client(str(tmp_path))
    api_id = "domestic_stock.order_cash"
    before = len(SENT_PATHS)
    with pytest.raises(Exception):  # noqa: B017 - the fake transport answers 599
        kis.domestic_stock.order_cash(**base_values(api_id))
    assert len(SENT_PATHS) > before


API_IDS = [
    i
    for i in sm.api_ids()
    if sm.load(i).kind != "auth" and any(f.fixed is None for f in sm.load(i).request)
]
TEXT_WITH_CONTROL = st.builds(
    lambda a, c, b: a + c + b,
    st.text(alphabet="0123456789ABCabc가", max_size=4),
    st.characters(categories=["Cc", "Zl", "Zp"]) | st.sampled_from(CONTROLS[:-1]),
    st.text(alphabet="0123456789ABCabc가", max_size=4),
)
NUMBERS_OUT_OF_RANGE = st.one_of(
    st.sampled_from(NON_FINITE),
    st.integers(min_value=10**31, max_value=10**400),
    st.decimals(allow_nan=True, allow_infinity=True).filter(
        lambda d: not d.is_finite() or abs(d.adjusted()) > 31
    ),
)


@st.composite
def bad_pair(draw: st.DrawFn) -> tuple[str, str, Any]:
    api_id = draw(st.sampled_from(API_IDS))
    api = sm.load(api_id)
    fields = [f for f in api.request if f.fixed is None]
    f = draw(st.sampled_from(fields))
    if f.is_enum or f.type in ("str", "text"):
        value = draw(TEXT_WITH_CONTROL | st.integers(min_value=0, max_value=10**9))
    elif f.type in ("int", "decimal"):
        value = draw(NUMBERS_OUT_OF_RANGE)
    else:
        value = draw(TEXT_WITH_CONTROL | st.sampled_from(NOT_SCALARS))
    return api_id, f.py, value


@settings(max_examples=1500, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(bad_pair())
def test_generated_bad_values_are_refused_before_sending(
    tmp_path: Path, pair: tuple[str, str, Any]
) -> None:
    api_id, name, value = pair
    assert attempt(client(str(tmp_path)), api_id, name, value) == "rejected"
