"""What recording and replay share: cassette paths, the vcrpy configuration (matchers and
filters), the fake identity written into cassettes, and the calls made for each API.

Requests are matched on method, path, the ``tr_id`` header and the parameters (query string
or JSON body, compared as data). Secrets are masked before anything is written, and the same
masking runs on replayed requests before matching, so a client using the fake identity below
matches what a maintainer recorded with a real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import vcr
import yaml
from vcr.request import Request
from vcr.serializers import yamlserializer
from vcr.util import read_body

from ..endpoints import spec_model as sm

ROOT = Path(__file__).resolve().parents[2]
CASSETTE_DIR = ROOT / "tests" / "cassettes"

MASK = "FILTERED"
FAKE_CANO = "00000000"
FAKE_PRODUCT = "01"
FAKE_ACCOUNT = f"{FAKE_CANO}-{FAKE_PRODUCT}"
FAKE_HTS_ID = "filtered"
SANDBOX_ORIGIN = "http://sandbox"
REPLAY_URL = "http://replay.invalid"
ENVS = ("mock", "real")

# Header values replaced in recorded requests (vcrpy's filter_headers).
FILTER_HEADERS: tuple[tuple[str, str | None], ...] = (
    ("authorization", f"Bearer {MASK}"),
    ("appkey", MASK),
    ("appsecret", MASK),
    ("hashkey", MASK),
    ("approval_key", MASK),
    ("personalseckey", MASK),
    ("host", None),  # the sandbox's random port: noise
    ("content-length", None),  # of the unmasked body
    ("user-agent", None),
)
# Query and JSON keys (any case, any depth, request and response) -> the value written instead.
MASKED_KEYS: Mapping[str, str] = {
    **{key: MASK for key in ("appkey", "appsecret", "secretkey", "access_token",
                             "approval_key", "token", "hash", "hashkey", "personalseckey")},
    "cano": FAKE_CANO,
    "acnt_no": FAKE_CANO,
    "acnt_prdt_cd": FAKE_PRODUCT,
    "user_id": FAKE_HTS_ID,
    "hts_id": FAKE_HTS_ID,
}  # fmt: skip
# Response headers that change on every call (KIS's transaction id, the time): left out so a
# re-recording only shows what changed.
NOISY_HEADERS = frozenset({"date", "gt_uid"})
# KIS answers that are not part of the contract: retried by the SDK and left out of cassettes.
UNRECORDED_CODES = frozenset({"EGW00133", "EGW00201"})


@dataclass(frozen=True)
class Identity:
    """Who a client claims to be; every value is masked out of the cassettes."""

    appkey: str
    appsecret: str
    account: str | None = None
    hts_id: str | None = None

    def replacements(self) -> dict[str, str]:
        """Whole values that stand for this identity -> what cassettes hold instead."""
        table = {self.appkey: MASK, self.appsecret: MASK}
        if self.account:
            cano, product = self.account.replace("-", "")[:8], self.account.replace("-", "")[8:]
            table.update({cano: FAKE_CANO, cano + product: FAKE_CANO + FAKE_PRODUCT,
                          f"{cano}-{product}": FAKE_ACCOUNT})  # fmt: skip
        if self.hts_id:
            table[self.hts_id] = FAKE_HTS_ID
        return table


SANDBOX_IDENTITY = Identity(
    appkey="sandbox-recording-appkey-5b8e0c",
    appsecret="sandbox-recording-appsecret-9d41f7a2",
    account="50000000-01",
    hts_id="sandboxhts",
)
REPLAY_IDENTITY = Identity(
    appkey="replay-appkey", appsecret="replay-appsecret", account=FAKE_ACCOUNT, hts_id=FAKE_HTS_ID
)


# --- paths ------------------------------------------------------------------------------


def cassette_path(api_id: str) -> Path:
    """``tests/cassettes/<product>/<name>.yaml`` for API ``<product>.<name>``."""
    product, name = api_id.split(".", 1)
    return CASSETTE_DIR / product / f"{name}.yaml"


def api_ids() -> list[str]:
    return sm.api_ids()


# --- masking ----------------------------------------------------------------------------


def _mask(data: Any, whole: Mapping[str, str]) -> Any:
    """``data`` with masked keys replaced and identity values swapped, at any depth."""
    if isinstance(data, dict):
        return {k: _masked(k, v) if k.lower() in MASKED_KEYS else _mask(v, whole)
                for k, v in data.items()}  # fmt: skip
    if isinstance(data, list):
        return [_mask(item, whole) for item in data]
    if isinstance(data, str):
        return _scrub(whole.get(data.strip(), data), whole)
    return data


def _masked(key: str, value: Any) -> Any:
    """The stand-in for a masked key's value; an empty value stays empty."""
    return value if value in ("", None) else MASKED_KEYS[key.lower()]


def _scrub(text: str, whole: Mapping[str, str]) -> str:
    """Long secrets (app key and secret) wherever they occur inside ``text``."""
    for value, placeholder in whole.items():
        if len(value) >= 12 and value in text:
            text = text.replace(value, placeholder)
    return text


def _mask_json(raw: bytes, whole: Mapping[str, str]) -> bytes | None:
    """The masked JSON text, or None when ``raw`` is not JSON or nothing changed."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    masked = _mask(data, whole)
    if masked == data:
        return None
    return json.dumps(masked, ensure_ascii=False).encode("utf-8")


def _mask_uri(uri: str, whole: Mapping[str, str]) -> str:
    parts = urlsplit(uri)
    if parts.hostname in ("127.0.0.1", "localhost", "::1"):
        parts = urlsplit(SANDBOX_ORIGIN + urlunsplit(("", "", *parts[2:])))
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = [(k, _masked(k, v) if k.lower() in MASKED_KEYS else _mask(v, whole)) for k, v in pairs]
    # vcrpy's own query filter drops blank parameters, which KIS requires: rebuild here.
    query = urlencode(masked, quote_via=quote) if masked != pairs else parts.query
    return _scrub(urlunsplit((*parts[:3], query, parts.fragment)), whole)


def request_filter(identity: Identity) -> Callable[[Request], Request]:
    """vcrpy ``before_record_request``: mask the query string and the JSON body."""
    whole = identity.replacements()

    def before_record_request(request: Request) -> Request:
        request.uri = _mask_uri(request.uri, whole)
        body = read_body(request)
        if body:
            masked = _mask_json(body, whole)
            if masked is not None:
                request.body = masked
        return request

    return before_record_request


def response_filter(identity: Identity) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """vcrpy ``before_record_response``: mask the JSON body, drop noisy headers and whole
    throttling refusals."""
    whole = identity.replacements()

    def before_record_response(response: dict[str, Any]) -> dict[str, Any] | None:
        raw = response["body"]["string"]
        raw = raw.encode("utf-8") if isinstance(raw, str) else raw
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and UNRECORDED_CODES & {
            data.get("msg_cd"),
            data.get("error_code"),
        }:
            return None
        response["headers"] = {
            k: v for k, v in response["headers"].items() if k.lower() not in NOISY_HEADERS
        }
        masked = _mask_json(raw, whole)
        if masked is not None:
            response["body"]["string"] = masked
            for name in response["headers"]:
                if name.lower() == "content-length":
                    response["headers"][name] = [str(len(masked))]
        return response

    return before_record_response


# --- matchers ---------------------------------------------------------------------------


def tr_id_matcher(r1: Request, r2: Request) -> None:
    if r1.headers.get("tr_id") != r2.headers.get("tr_id"):
        raise AssertionError(f"tr_id {r1.headers.get('tr_id')} != {r2.headers.get('tr_id')}")


def wire_params(request: Request) -> tuple[list[tuple[str, str]], Any]:
    """(query pairs, JSON body) of a request; a body that is not JSON stays bytes."""
    query = sorted(parse_qsl(urlsplit(request.uri).query, keep_blank_values=True))
    raw = read_body(request)
    try:
        body: Any = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = raw
    return query, body


def params_matcher(r1: Request, r2: Request) -> None:
    p1, p2 = wire_params(r1), wire_params(r2)
    if p1 != p2:
        raise AssertionError(f"parameters differ: {p1} != {p2}")


class _Serializer:
    """vcrpy's YAML with Korean text kept readable (vcrpy's own escapes every character)."""

    @staticmethod
    def serialize(cassette: dict[str, Any]) -> str:
        return yaml.dump(cassette, Dumper=yaml.CSafeDumper, allow_unicode=True, width=100)

    @staticmethod
    def deserialize(text: str) -> Any:
        return yamlserializer.deserialize(text)


def make_vcr(identity: Identity, record_mode: str = "none") -> vcr.VCR:
    """The vcrpy configuration for recording (``all``) and replay (``none``, the default)."""
    config = vcr.VCR(
        serializer="kis-yaml",
        record_mode=record_mode,
        match_on=("method", "path", "tr_id", "params"),
        filter_headers=list(FILTER_HEADERS),
        before_record_request=request_filter(identity),
        before_record_response=response_filter(identity),
        decode_compressed_response=True,
    )
    config.register_serializer("kis-yaml", _Serializer)
    config.register_matcher("tr_id", tr_id_matcher)
    config.register_matcher("params", params_matcher)
    return config


# --- the calls --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call of an API: its keyword arguments and the TR ID the spec gives per env."""

    api_id: str
    label: str
    kwargs: Mapping[str, Any]
    tr_ids: Mapping[str, str | None]  # env -> TR ID; empty for the auth APIs

    def recording_env(self, preferred: str, *, any_env: bool) -> str | None:
        """The env to record in: ``preferred`` when the spec has a TR ID there, else (when
        ``any_env``, e.g. against the sandbox) the other one; None when it cannot be recorded."""
        if not self.tr_ids or self.tr_ids.get(preferred):
            return preferred
        others = [env for env in ENVS if env != preferred and self.tr_ids.get(env)]
        return others[0] if any_env and others else None

    def replay_env(self, recorded_tr_ids: set[str | None]) -> str | None:
        """The env whose TR ID the cassette holds (``mock`` first); None when it holds neither."""
        if not self.tr_ids:
            return "mock"
        return next(
            (env for env in ENVS if self.tr_ids.get(env) and self.tr_ids[env] in recorded_tr_ids),
            None,
        )


# Per-API argument overrides (keep them valid for KIS and the sandbox alike). The sandbox echoes
# a request value into the same-named response field, so a side filter of "%" (all) would come
# back as an order's side: ask for buys.
OVERRIDES: Mapping[str, Mapping[str, Any]] = {
    "domestic_bond.inquire_daily_ccld": {"sll_buy_dvsn_cd": "02"},
    "overseas_futureoption.inquire_ccld": {"sll_buy_dvsn_cd": "02"},
    "overseas_futureoption.inquire_daily_ccld": {"sll_buy_dvsn_cd": "02"},
    "overseas_futureoption.inquire_daily_order": {"sll_buy_dvsn_cd": "02"},
}


def calls(api_id: str) -> list[Call]:
    """Every TR ID rule of the API once, with argument values from the official examples
    (or generated); calls that leave a defaulted selector out are covered by the endpoint tests."""
    api = sm.load(api_id)
    result = []
    for case in sm.cases(api_id):
        if case.omitted_selectors:
            continue
        kwargs = {**sm.call_values(api, case, "real", full=False), **OVERRIDES.get(api_id, {})}
        choice = sm.choice_for_tr(api, case, kwargs)
        tr_ids = {} if not api.rules else {env: sm.expected_tr_id(api, env, choice) for env in ENVS}
        result.append(Call(api_id, case.label, kwargs, tr_ids))
    return result


def endpoint(client: Any, api_id: str) -> Any:
    """The generated endpoint object for ``api_id`` on a ``Kis``/``AsyncKis`` client."""
    namespace, method = api_id.split(".")
    return getattr(getattr(client, namespace), method)
