"""The sandbox follows the specs, over every REST spec (read independently: ``spec_files``):

* a request carrying only the fields the spec makes the caller send (``required: true``, no
  ``default``/``fixed``) is answered; leaving out any one of them is refused with KIS's error
  shape naming the field;
* every block comes in the spec's shape (object or array) with every spec field;
* an enum-typed field carries one of its enum's codes, a bool field Y or N, a text ``_yn``
  field Y or N, and a code field without an enum one fixed code (not random digits);
* values that must agree do: highs over lows, upper limits over lower limits, an order book
  climbing away from the quote's price.

Each test runs against the spec-driven sandbox and again with the paper broker answering the
account and order APIs it trades; one test checks that the generated code the sandbox runs on
matches the specs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from kisapi_runtime.codecs import KST
from kisapi_sandbox import Sandbox
from kisapi_sandbox.market import ManualClock
from kisapi_sandbox.paper import PaperBroker

from .spec_files import RestSpec, SpecField, enum_codes, rest_specs

pytestmark = pytest.mark.timeout(120)

TODAY = date(2026, 1, 5)  # a Monday
HOSTS = {"real": "https://openapi.koreainvestment.com:9443",
         "mock": "https://openapivts.koreainvestment.com:29443"}  # fmt: skip
APPKEY = "PS" + "0" * 30 + "TEST"
APPSECRET = "spec-conformance-secret"
ACCOUNT = ("12345678", "01")
SPECS = rest_specs()
APIS = [s for s in SPECS if s.kind != "auth"]
AUTH = [s for s in SPECS if s.kind == "auth"]
KIS_ERROR_KEYS = {"rt_cd", "msg_cd", "msg1"}
OAUTH_ERROR_KEYS = {"error_code", "error_description"}
MISSING = re.compile(r"ERROR : INPUT_FIELD_NAME (\S+)")
BOOK = re.compile(r"(.*?)(askp|bidp|pask|pbid)(\d+)")
CODE_FIELD = re.compile(r".*(_cls_code|_dvsn_cd)")
"""Text fields that carry a code: without an enum the sandbox sends one fixed code."""


class Caller:
    """KIS calls over httpx into one in-process sandbox, with a token per environment."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.clients = {env: httpx.Client(base_url=url, transport=sandbox.transport())
                        for env, url in HOSTS.items()}  # fmt: skip
        self.tokens: dict[str, str] = {}
        self.answers: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = {}
        self.originals: dict[str, str] = {}
        """API id -> the ORGN_ODNO its samples modify (an order the paper broker booked)."""

    def token(self, env: str) -> str:
        if env not in self.tokens:
            body = {"grant_type": "client_credentials", "appkey": APPKEY, "appsecret": APPSECRET}
            response = self.clients[env].post("/oauth2/tokenP", json=body)
            assert response.status_code == 200, response.text
            self.tokens[env] = response.json()["access_token"]
        return self.tokens[env]

    def call(self, spec: RestSpec, params: Mapping[str, str]) -> httpx.Response:
        env, tr_id = tr_id_of(spec)
        headers = {"authorization": f"Bearer {self.token(env)}", "appkey": APPKEY,
                   "appsecret": APPSECRET, "tr_id": tr_id, "custtype": "P"}  # fmt: skip
        client = self.clients[env]
        if spec.method == "GET":
            return client.get(spec.path, params=dict(params), headers=headers)
        return client.post(spec.path, content=json.dumps(dict(params)), headers=headers)

    def minimal(self, spec: RestSpec) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, body, request) of the request with only the fields the caller must send."""
        if spec.id not in self.answers:
            params = {f.wire: sample(f) for f in spec.request if f.must_send}
            if spec.id in self.originals:
                params["ORGN_ODNO"] = self.originals[spec.id]
            response = self.call(spec, params)
            self.answers[spec.id] = (response.status_code, response.json(), params)
        return self.answers[spec.id]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="module", params=["specs", "paper"])
def kis(request: pytest.FixtureRequest) -> Iterator[Caller]:
    broker = None
    if request.param == "paper":
        broker = PaperBroker(clock=ManualClock(datetime(2026, 1, 5, 10, 0, tzinfo=KST)))
        # a working order (no. 1, which a correction with sample values targets) and a filled
        # one, so balances, fills and open orders have rows
        account = {"CANO": ACCOUNT[0], "ACNT_PRDT_CD": ACCOUNT[1], "PDNO": "005930"}
        for dvsn, qty, price in (("00", "1", "1000"), ("01", "2", "0")):
            order = {**account, "ORD_DVSN": dvsn, "ORD_QTY": qty, "ORD_UNPR": price}
            answer = broker.handle("domestic_stock.order_cash", "TTTC0012U", order, mock=False)
            assert answer is not None and answer["rt_cd"] == "0", answer
    caller = Caller(Sandbox(today=TODAY, broker=broker))
    if broker is not None:  # booked overseas and futures orders for their corrections
        account = {"CANO": ACCOUNT[0], "ACNT_PRDT_CD": ACCOUNT[1], "ORD_QTY": "5"}
        for api, tr_id, order, amend in (
            ("overseas_stock.order", "TTTT1002U",
             {"OVRS_EXCG_CD": "NASD", "PDNO": "AAPL", "OVRS_ORD_UNPR": "1"},
             "overseas_stock.order_rvsecncl"),
            ("domestic_futureoption.order", "TTTO1101U",
             {"SLL_BUY_DVSN_CD": "02", "SHTN_PDNO": "101W09", "UNIT_PRICE": "1"},
             "domestic_futureoption.order_rvsecncl"),
        ):  # fmt: skip
            answer = broker.handle(api, tr_id, {**account, **order}, mock=False)
            assert answer is not None and answer["rt_cd"] == "0", answer
            caller.originals[amend] = answer["output"]["ODNO"]
    yield caller
    caller.close()
    if broker is not None:
        broker.close()


@cache
def _codes() -> dict[str, frozenset[str]]:
    return enum_codes()  # read once per test run


@pytest.fixture
def codes() -> dict[str, frozenset[str]]:
    return _codes()


def test_the_sandbox_runs_on_generated_code_that_matches_the_specs() -> None:
    """The sandbox answers from the generated metadata: it must say what spec/ says."""
    from codegen.render import generate
    from codegen.resolve import load_project

    root = Path(__file__).resolve().parents[2]
    stale = generate(load_project(root / "spec"), root / "generated", write=False)
    assert stale == [], f"generated/ is behind spec/ (run `make generate`): {stale}"


def tr_id_of(spec: RestSpec) -> tuple[str, str]:
    """(environment, TR ID) to call ``spec`` with: its first real TR ID, else its first mock."""
    for real, _mock in spec.tr_ids:
        if real:
            return "real", real
    return "mock", next(mock for _real, mock in spec.tr_ids if mock)


def sample(field: SpecField) -> str:
    """A valid value for a request field, from its spec type and length."""
    if field.enum is not None:
        return sorted(_codes()[field.enum])[0]
    by_kind = {"int": "1", "decimal": "1", "date": TODAY.strftime("%Y%m%d"), "time": "090000",
               "datetime": TODAY.strftime("%Y%m%d") + "090000", "bool": "N"}  # fmt: skip
    if field.type in by_kind:
        return by_kind[field.type]
    name = field.wire.upper()
    text = {"CANO": ACCOUNT[0], "ACNT_PRDT_CD": ACCOUNT[1]}.get(name)
    if text is None:
        text = "005930" if name.endswith(("ISCD", "PDNO", "SYMB")) else "1"
    return text[: field.max_length] if field.max_length else text


def refused_for(response: httpx.Response, field: str) -> None:
    """KIS's refusal of a missing input field: HTTP 500, rt_cd 2, OPSQ2001 naming it."""
    assert response.status_code == 500, (field, response.status_code, response.text)
    body = response.json()
    assert set(body) == KIS_ERROR_KEYS, body
    assert (body["rt_cd"], body["msg_cd"]) == ("2", "OPSQ2001"), body
    assert body["msg1"] == f"ERROR : INPUT_FIELD_NAME {field}", body


def records(body: Mapping[str, Any], spec: RestSpec) -> Iterator[tuple[str, dict[str, Any]]]:
    """(block key, record) for every record of every spec'd block, then the scalars."""
    for block in spec.blocks:
        answer = body.get(block.key)
        for record in answer if isinstance(answer, list) else [answer]:
            if isinstance(record, dict):
                yield block.key, record
    yield "", {f.wire: body[f.wire] for f in spec.scalars if f.wire in body}


def answered(kis: Caller, spec: RestSpec) -> dict[str, Any]:
    status, body, params = kis.minimal(spec)
    if status != 200 or body.get("rt_cd") != "0":
        pytest.fail(f"{spec.id} did not answer {params}: {body}")
    return body


# --- 1. required fields ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", APIS, ids=str)
def test_required_fields_are_enough_and_each_is_needed(kis: Caller, spec: RestSpec) -> None:
    status, body, params = kis.minimal(spec)
    assert "rt_cd" in body and "msg_cd" in body, body
    missing = MISSING.fullmatch(str(body.get("msg1", "")).strip())
    if spec.kind == "order" and body["rt_cd"] != "0":
        # an order may be refused for business reasons (no such original order...), never
        # because a field the spec lets the caller leave out was left out
        assert missing is None or missing[1] in params, (spec.id, params, body)
    else:
        assert (status, body["rt_cd"]) == (200, "0"), (spec.id, params, body)
    for field in spec.request:
        if field.must_send:
            rest = {k: v for k, v in params.items() if k != field.wire}
            refused_for(kis.call(spec, rest), field.wire)
            refused_for(kis.call(spec, {**rest, field.wire: ""}), field.wire)


@pytest.mark.parametrize("spec", AUTH, ids=str)
def test_auth_endpoints_need_their_required_fields(spec: RestSpec) -> None:
    sandbox = Sandbox(today=TODAY)
    with httpx.Client(base_url=HOSTS["real"], transport=sandbox.transport()) as client:
        values = {f.wire: f.fixed if f.fixed is not None else APPSECRET if "secret" in f.wire
                  else APPKEY for f in spec.request if f.required}  # fmt: skip
        response = client.post(spec.path, json=values)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {f.wire for f in spec.scalars} <= set(body), body
        for field in spec.request:
            if field.required:
                rest = {k: v for k, v in values.items() if k != field.wire}
                response = client.post(spec.path, json=rest)
                assert response.status_code == 403, (field.wire, response.text)
                assert set(response.json()) == OAUTH_ERROR_KEYS, response.text


# --- 2. codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", APIS, ids=str)
def test_code_fields_carry_codes_of_their_enum(
    kis: Caller,
    spec: RestSpec,
    codes: Mapping[str, frozenset[str]],
) -> None:
    body = answered(kis, spec)
    types = {(block.key, f.wire): f for block in spec.blocks for f in block.fields}
    types |= {("", f.wire): f for f in spec.scalars}
    broker = kis.sandbox.broker is not None and body.get("msg_cd") != "MCA00000"
    wrong = []
    fixed: dict[tuple[str, str], set[str]] = {}
    for key, record in records(body, spec):
        for wire, text in record.items():
            field = types.get((key, wire))
            if field is None or not isinstance(text, str):
                continue
            yes_no = field.type == "bool" or (field.type == "str" and wire.lower().endswith("_yn"))
            if field.enum is not None and text not in codes[field.enum]:
                wrong.append(
                    f"{key}.{wire}={text!r} not in {field.enum} {sorted(codes[field.enum])}"
                )
            elif yes_no and text not in ("Y", "N") and not (broker and text == ""):
                # the paper broker leaves a flag it does not track blank, as KIS does (its
                # order lists send cncl_yn "" for orders that are no cancels)
                wrong.append(f"{key}.{wire}={text!r} is not Y/N")
            elif field.type == "str" and CODE_FIELD.fullmatch(wire.lower()):
                fixed.setdefault((key, wire), set()).add(text)
    assert not wrong, (spec.id, wrong)
    random = {f"{k}.{w}": sorted(v) for (k, w), v in fixed.items() if len(v) > 1 and not broker}
    assert not random, (spec.id, "code fields without an enum got invented codes", random)


def test_the_quote_warning_code_is_one_kis_sends(kis: Caller) -> None:
    """KIS's market warning codes are 00-03; a sandbox "12" crashed a third-party client."""
    spec = spec_with("domestic_stock.inquire_price", "mrkt_warn_cls_code")
    body = answered(kis, spec)
    block = next(b.key for b in spec.blocks if "mrkt_warn_cls_code" in {f.wire for f in b.fields})
    rows = body[block] if isinstance(body[block], list) else [body[block]]
    assert {row["mrkt_warn_cls_code"] for row in rows} <= {"00", "01", "02", "03"}


def spec_with(api_id: str, *wires: str) -> RestSpec:
    """The spec of ``api_id`` as it reads now; fails when it no longer has ``wires``."""
    spec = next((s for s in APIS if s.id == api_id), None)
    if spec is None:
        pytest.fail(f"no spec {api_id}")
    names = {f.wire.lower() for block in spec.blocks for f in block.fields}
    names |= {f.wire.lower() for f in spec.request}
    if not {w.lower() for w in wires} <= names:
        pytest.fail(f"{api_id} no longer has all of {wires}")
    return spec


def minimal_request(spec: RestSpec, **values: str) -> dict[str, str]:
    """The fields the caller must send, with ``values`` instead of the samples."""
    params = {f.wire: sample(f) for f in spec.request if f.must_send}
    return params | {k: v for k, v in values.items() if k in {f.wire for f in spec.request}}


# --- 3. shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", APIS, ids=str)
def test_blocks_come_in_the_spec_shape(kis: Caller, spec: RestSpec) -> None:
    body = answered(kis, spec)
    for block in spec.blocks:
        assert block.key in body, (spec.id, block.key, sorted(body))
        answer = body[block.key]
        if block.shape == "object":
            assert isinstance(answer, dict), (spec.id, block.key, type(answer).__name__)
            rows = [answer]
        else:
            assert isinstance(answer, list), (spec.id, block.key, type(answer).__name__)
            assert all(isinstance(row, dict) for row in answer), (spec.id, block.key)
            rows = answer
        wires = {f.wire for f in block.fields}
        for row in rows:
            assert set(row) == wires, (spec.id, block.key, sorted(set(row) ^ wires))
            assert all(isinstance(v, str) for v in row.values()), (spec.id, block.key)
    for field in spec.scalars:
        assert isinstance(body.get(field.wire), str), (spec.id, field.wire)


# --- 4. values that agree -------------------------------------------------------------------


def _numbers(record: Mapping[str, Any]) -> dict[str, Decimal]:
    out = {}
    for wire, text in record.items():
        if isinstance(text, str) and re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
            out[wire.lower()] = Decimal(text.strip())
    return out


@pytest.mark.parametrize("spec", APIS, ids=str)
def test_highs_limits_and_order_books_agree(kis: Caller, spec: RestSpec) -> None:
    body = answered(kis, spec)
    if kis.sandbox.broker is not None and body.get("msg_cd") != "MCA00000":
        # the paper broker's own numbers (balances, fills) are checked in tests/sandbox_paper;
        # here it must at least have answered in KIS's shape
        assert body.get("rt_cd") == "0" and "msg1" in body, body
        return
    for key, record in records(body, spec):
        numbers = _numbers(record)
        for name, number in numbers.items():
            if name.endswith("mxpr") and name.removesuffix("mxpr") + "llam" in numbers:
                lower = numbers[name.removesuffix("mxpr") + "llam"]
                assert number > lower, (spec.id, key, name, number, lower)
            if name.endswith("hgpr") and "vrss" not in name:
                low = numbers.get(name.removesuffix("hgpr") + "lwpr")
                assert low is None or number >= low, (spec.id, key, name, number, low)
        books: dict[str, dict[str, list[tuple[int, Decimal]]]] = {}
        for name, number in numbers.items():
            found = BOOK.fullmatch(name)
            if found:
                side = "ask" if found[2] in ("askp", "pask") else "bid"
                books.setdefault(found[1], {}).setdefault(side, []).append((int(found[3]), number))
        for family, sides in books.items():
            asks = [p for _, p in sorted(sides.get("ask", []))]
            bids = [p for _, p in sorted(sides.get("bid", []))]
            assert asks == sorted(asks) and len(set(asks)) == len(asks), (spec.id, family, asks)
            assert bids == sorted(bids, reverse=True), (spec.id, family, bids)
            if asks and bids:
                assert bids[0] < asks[0], (spec.id, family, bids[0], asks[0])
            price = numbers.get(f"{family}prpr") or numbers.get("stck_prpr")
            if price is not None and asks and bids:
                assert bids[-1] <= price <= asks[-1], (spec.id, family, price, bids, asks)


def test_the_order_book_sits_around_the_quote(kis: Caller) -> None:
    quote_spec = spec_with("domestic_stock.inquire_price", "stck_prpr", "FID_INPUT_ISCD")
    book_spec = spec_with(
        "domestic_stock.inquire_asking_price_exp_ccn", "askp1", "bidp1", "FID_INPUT_ISCD"
    )
    quote = kis.call(quote_spec, minimal_request(quote_spec, FID_INPUT_ISCD="005930")).json()
    book = kis.call(book_spec, minimal_request(book_spec, FID_INPUT_ISCD="005930")).json()
    quoted = next(r for _k, r in records(quote, quote_spec) if "stck_prpr" in r)
    price = Decimal(quoted["stck_prpr"])
    levels: dict[str, Decimal] = {}
    for _key, record in records(book, book_spec):
        levels |= _numbers(record)
    asks = [levels[f"askp{n}"] for n in range(1, 11) if f"askp{n}" in levels]
    bids = [levels[f"bidp{n}"] for n in range(1, 11) if f"bidp{n}" in levels]
    assert bids[0] <= price < asks[0], (price, bids, asks)
    assert asks[-1] <= price * Decimal("1.05") and bids[-1] >= price * Decimal("0.95"), (
        price, bids, asks,
    )  # fmt: skip
    if "stck_prpr" in levels:  # the book's own quote block
        assert levels["stck_prpr"] == price
    if "stck_shrn_iscd" in quoted:
        assert quoted["stck_shrn_iscd"] == "005930"


def test_a_futures_quote_has_its_upper_limit_above_its_lower(kis: Caller) -> None:
    fields = ("futs_prpr", "futs_mxpr", "futs_llam", "futs_hgpr", "futs_lwpr")
    spec = spec_with("domestic_futureoption.inquire_price", *fields, "FID_INPUT_ISCD")
    answer = kis.call(spec, minimal_request(spec, FID_INPUT_ISCD="101W09")).json()
    numbers: dict[str, Decimal] = {}
    for _key, record in records(answer, spec):
        if "futs_prpr" in record:
            numbers = _numbers(record)
    assert numbers["futs_mxpr"] > numbers["futs_prpr"] > numbers["futs_llam"], numbers
    assert numbers["futs_hgpr"] >= numbers["futs_prpr"] >= numbers["futs_lwpr"], numbers
