"""A KIS-compatible responder: the auth endpoints plus every spec'd REST API, answered from
its spec with deterministic, plausible values in KIS's string encoding, after the checks KIS
makes (token, app key, TR ID for the path and environment, parameters, rate limit).

It is transport-neutral (:meth:`Sandbox.respond`); it also speaks httpx (``transport()`` /
``async_transport()``) so the SDK, its tests and the demo run offline without a socket, and the
HTTP server (``app.py``) serves the same answers on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from functools import cache
from typing import Any, Final, Literal, Protocol

import attrs
import httpx

from kisapi_runtime.api import ApiSpec, Block, Field
from kisapi_runtime.errors import KisValidationError
from kisapi_runtime.orders import check_order_amounts

from . import catalog, marketdata
from .faults import Fault, Faults
from .limits import RateLimits
from .market import Market, fixed_clock, system_clock
from .values import CODE_NAMES, NAME_NAMES, STOCKS, rng, tidy, value

Env = Literal["real", "mock"]

OK_MSG = "정상처리 되었습니다."
PAGES = 3
ROWS = 30
TOKEN_LIFETIME = 86_400
SAME_TOKEN_WITHIN = 6 * 3600
ISSUE_INTERVAL = 60
MOCK_HOST_MARKERS = ("openapivts", ":29443")
JSON_TYPE: Final = "application/json; charset=UTF-8"
KST: Final = timezone(timedelta(hours=9))
ANSWER_CACHE = 1024
CALLS_KEPT = 10_000
MAX_NUMBER_TEXT = 40
"""Characters of the longest number a request field may carry."""
MAX_CLOCK_OFFSET = 100 * 366 * 86_400
"""How far the control endpoint may move the clock (a century): datetimes stay representable."""

# KIS's own texts for the codes the sandbox answers with.
MESSAGES: Final[Mapping[str, str]] = {
    "EGW00002": "잘못된 요청입니다.",
    "EGW00103": "유효하지 않은 AppKey입니다.",
    "EGW00105": "유효하지 않은 AppSecret입니다.",
    "EGW00121": "유효하지 않은 token 입니다.",
    "EGW00123": "기간이 만료된 token 입니다.",
    "EGW00133": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)",
    "EGW00201": "초당 거래건수를 초과하였습니다.",
    "IGW00007": "MCA 전문바디 구성 중 오류가 발생하였습니다.",
}
_INT = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_CURSOR_WIDTH = re.compile(r"(\d+)$")


class Broker(Protocol):
    """The stateful paper-trading core (orders, balance, executions) plugged into the sandbox."""

    def handle(
        self, api_id: str, tr_id: str, params: Mapping[str, str], *, mock: bool
    ) -> Mapping[str, Any] | None:
        """A KIS body for the APIs it trades (errors included), None for every other API."""
        ...


@attrs.frozen
class Request:
    """One HTTP request as the sandbox sees it; header names lower-case."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: tuple[tuple[str, str], ...]
    body: bytes
    env: Env


@attrs.frozen
class Reply:
    """One answer: status, body and KIS's own headers (exact casing; the transport adds
    ``Content-Length`` and ``Date``), plus the injected delay / dropped connection."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    code: str = ""
    delay: float = 0.0
    drop: bool = False


@attrs.define
class _Token:
    value: str
    env: str
    appkey: str
    issued_at: float
    expires_at: float
    revoked: bool = False


class _Refusal(Exception):
    """A request KIS refuses: carries the reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.code)
        self.reply = reply


class Sandbox:
    """In-memory KIS fake.

    ``today`` fixes the calendar for reproducible answers; ``broker`` answers the order and
    account APIs statefully (the rest are answered from the specs); ``rate_limits`` maps
    ``real``/``mock`` to calls per second (None: no limit, the default in-process);
    ``clock`` is the wall clock tokens live by (:meth:`advance` moves it forward).

    Quotes, charts and order books come from one simulated ``market`` (``market.Market``):
    the broker's when it has one (so quotes and fills agree), else one on the wall clock, or
    standing at the close of ``today`` when ``today`` is given.
    """

    def __init__(
        self,
        *,
        today: date | None = None,
        broker: Broker | None = None,
        rate_limits: Mapping[str, float | None] | None = None,
        clock: Callable[[], float] = time.time,
        token_lifetime: float = TOKEN_LIFETIME,
        market: Market | None = None,
    ) -> None:
        self._today = today
        self.broker = broker
        if market is None:
            market = getattr(broker, "market", None)
        if not isinstance(market, Market):
            market = Market(clock=fixed_clock(today) if today is not None else system_clock)
        self.market = market
        self.token_lifetime = token_lifetime
        self.calls: deque[tuple[str, str | None]] = deque(maxlen=CALLS_KEPT)
        self.counts: Counter[str] = Counter()
        """Message codes answered (``msg_cd`` / ``error_code``), successes included."""
        self._clock = clock
        self._offset = 0.0
        self._rates: dict[str, float | None] = dict(
            rate_limits if rate_limits is not None else {"real": None, "mock": None}
        )
        self.limits = RateLimits(self._rates)
        self.faults = Faults(self.now)
        self._lock = threading.Lock()
        self._order_no = itertools.count(1)
        self._answers: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
        self._clear_auth()

    @property
    def today(self) -> date:
        """The calendar the answers' dates follow: ``today`` when fixed, else the market's."""
        return self._today or self.market.now().date()

    def _clear_auth(self) -> None:
        self._tokens: dict[str, _Token] = {}
        self._current: dict[tuple[str, str], _Token] = {}
        self._last_issue: dict[tuple[str, str], float] = {}
        self._secrets: dict[tuple[str, str], str] = {}
        self._approvals: dict[str, tuple[str, str]] = {}

    # --- test controls ---------------------------------------------------------------

    def now(self) -> float:
        """The sandbox's wall clock (epoch seconds), moved by :meth:`advance`."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock forward: tokens age, the 1/min issue rule relaxes."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the sandbox clock only moves forward, by a finite number of seconds")
        if self._offset + seconds > MAX_CLOCK_OFFSET:
            raise ValueError(f"the sandbox clock moves at most {MAX_CLOCK_OFFSET:.0f} s ahead")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Forget tokens, approval keys, faults, counts and clock moves; limits back to the
        configured rates."""
        with self._lock:
            self._clear_auth()
            self._offset = 0.0
            self.calls.clear()
            self.counts.clear()
        self.faults.clear()
        self.limits.configure(self._rates)

    def approval_env(self, approval_key: str) -> str | None:
        """``real``/``mock`` for an approval key this sandbox issued (for a WebSocket server)."""
        with self._lock:
            found = self._approvals.get(approval_key)
        return found[0] if found else None

    # --- transports ------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            await request.aread()
            reply = self.respond(_from_httpx(request))
            if reply.delay:
                await asyncio.sleep(reply.delay)
            return _to_httpx(reply, request)

        return httpx.MockTransport(handler)

    def handle(self, request: httpx.Request) -> httpx.Response:
        reply = self.respond(_from_httpx(request))
        if reply.delay:
            time.sleep(reply.delay)
        return _to_httpx(reply, request)

    # --- dispatch --------------------------------------------------------------------

    def respond(self, request: Request) -> Reply:
        """KIS's answer to ``request`` (faults included); never raises for a bad request."""
        path = request.path
        tr_id = request.headers.get("tr_id") or None
        self.calls.append((path, tr_id))
        injected = self.faults.take(path, tr_id)
        if injected.lose:
            # Never processed: any answer will do, it is cut before its body.
            reply = _injected_error(path, Fault("error"))
            injected = attrs.evolve(injected, drop=True)
        elif injected.error is not None:
            reply = _injected_error(path, injected.error)
        else:
            try:
                reply = self._dispatch(request)
            except _Refusal as refusal:
                reply = refusal.reply
        with self._lock:
            self.counts[reply.code] += 1
        if injected.delay or injected.drop:
            reply = attrs.evolve(reply, delay=injected.delay, drop=injected.drop)
        return reply

    def _dispatch(self, request: Request) -> Reply:
        path = request.path
        if path.startswith("/oauth2/"):
            handler = {
                "/oauth2/tokenP": self._token,
                "/oauth2/revokeP": self._revoke,
                "/oauth2/Approval": self._approval,
            }.get(path)
            if handler is None:
                return _oauth_error(404, "EGW00002", "존재하지 않는 URL 입니다.")
            if request.method != "POST":
                return _oauth_error(405, "EGW00002", f"{request.method} 은 지원하지 않습니다.")
            return handler(request.env, _oauth_body(request.body))
        if path == "/uapi/hashkey":
            return self._hashkey(request)
        return self._api(request)

    # --- auth ------------------------------------------------------------------------

    def _token(self, env: str, body: Mapping[str, Any]) -> Reply:
        appkey, appsecret = _auth_text(body, "appkey"), _auth_text(body, "appsecret")
        if body.get("grant_type") != "client_credentials":
            return _oauth_error(403, "EGW00002", "grant_type 이 올바르지 않습니다.")
        with self._lock:
            self._check_app(env, appkey, appsecret, oauth=True)
            key = (env, appkey)
            now = self.now()
            current = self._current.get(key)
            if (
                current is None
                or self._expired(current, now)
                or now - current.issued_at >= SAME_TOKEN_WITHIN
            ):
                last = self._last_issue.get(key)
                if last is not None and now - last < ISSUE_INTERVAL:
                    return _oauth_error(403, "EGW00133", MESSAGES["EGW00133"])
                current = self._issue(env, appkey, now)
        expires = datetime.fromtimestamp(current.expires_at, KST).strftime("%Y-%m-%d %H:%M:%S")
        return _json(200, {"access_token": current.value, "access_token_token_expired": expires,
                           "token_type": "Bearer",
                           "expires_in": max(int(current.expires_at - now), 0)})  # fmt: skip

    def _issue(self, env: str, appkey: str, now: float) -> _Token:
        for text, old in list(self._tokens.items()):
            if old.expires_at <= now or old.revoked:
                del self._tokens[text]
        token = _Token(_jwt_like(appkey, now), env, appkey, now, now + self.token_lifetime)
        self._tokens[token.value] = self._current[(env, appkey)] = token
        self._last_issue[(env, appkey)] = now
        return token

    def _revoke(self, env: str, body: Mapping[str, Any]) -> Reply:
        appkey, appsecret = _auth_text(body, "appkey"), _auth_text(body, "appsecret")
        with self._lock:
            self._check_app(env, appkey, appsecret, oauth=True)
            token = self._tokens.get(_auth_text(body, "token"))
            if token is None or token.revoked or (token.env, token.appkey) != (env, appkey):
                return _oauth_error(403, "EGW00121", MESSAGES["EGW00121"])
            token.revoked = True
            if self._current.get((env, appkey)) is token:
                del self._current[(env, appkey)]
        return _json(200, {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"})

    def _approval(self, env: str, body: Mapping[str, Any]) -> Reply:
        if body.get("grant_type") != "client_credentials":
            return _oauth_error(403, "EGW00002", "grant_type 이 올바르지 않습니다.")
        appkey, secret = _auth_text(body, "appkey"), _auth_text(body, "secretkey")
        with self._lock:
            self._check_app(env, appkey, secret, oauth=True)
            key = str(uuid.uuid4())
            self._approvals[key] = (env, appkey)
        return _json(200, {"approval_key": key})

    def _hashkey(self, request: Request) -> Reply:
        if request.method != "POST":
            return kis_error(405, "EGW00002", f"{request.method} 은 지원하지 않습니다.")
        headers = request.headers
        with self._lock:
            self._check_app(request.env, headers.get("appkey", ""), headers.get("appsecret", ""))
        body = _json_object(request.body)
        return _json(200, {"BODY": body, "HASH": _hash(body)})

    def _check_app(self, env: str, appkey: str, appsecret: str, *, oauth: bool = False) -> None:
        """Called under the lock: the first secret seen for an app key is its secret."""
        make = _oauth_error if oauth else kis_error
        if not appkey:
            raise _Refusal(make(403 if oauth else 500, "EGW00103", MESSAGES["EGW00103"]))
        known = self._secrets.setdefault((env, appkey), appsecret) if appsecret else None
        if not appsecret or known != appsecret:
            raise _Refusal(make(403 if oauth else 500, "EGW00105", MESSAGES["EGW00105"]))

    def _expired(self, token: _Token, now: float) -> bool:
        cutoff = self.faults.tokens_expired_at
        return token.expires_at <= now or (cutoff is not None and token.issued_at <= cutoff)

    def _authorise(self, request: Request) -> str:
        """The app key of a request carrying a valid token, else the KIS refusal."""
        headers = request.headers
        appkey = headers.get("appkey", "")
        scheme, _, presented = headers.get("authorization", "").strip().partition(" ")
        with self._lock:
            if not appkey:
                raise _Refusal(kis_error(500, "EGW00103", MESSAGES["EGW00103"]))
            token = self._tokens.get(presented.strip()) if scheme.lower() == "bearer" else None
            if token is None or token.revoked or (token.env, token.appkey) != (request.env, appkey):
                raise _Refusal(kis_error(500, "EGW00121", MESSAGES["EGW00121"]))
            if self._expired(token, self.now()):
                raise _Refusal(kis_error(500, "EGW00123", MESSAGES["EGW00123"]))
            self._check_app(request.env, appkey, headers.get("appsecret", ""))
        return appkey

    # --- API calls -------------------------------------------------------------------

    def _api(self, request: Request) -> Reply:
        path, headers, env = request.path, request.headers, request.env
        if path not in catalog.routes():
            return kis_error(404, "EGW00002", "존재하지 않는 URL 입니다.")
        appkey = self._authorise(request)
        if not self.limits.allow(env, appkey):
            return kis_error(500, "EGW00201", MESSAGES["EGW00201"])
        tr_id = headers.get("tr_id", "").strip()
        if not tr_id:
            return _header_error("tr_id")
        if headers.get("custtype", "P") not in ("P", "B"):
            return _header_error("custtype")
        tr_cont = headers.get("tr_cont", "").strip().upper()
        if tr_cont not in ("", "N", "F", "M", "D", "E"):
            return _header_error("tr_cont")
        api = catalog.find(path, tr_id)
        if api is None:
            return kis_error(500, "EGW00002", f"유효하지 않은 TR ID 입니다.({tr_id})")
        wrong_env = _wrong_env(api, tr_id, env)
        if wrong_env:
            return kis_error(500, "EGW00002", wrong_env)
        if request.method != api.method:
            return kis_error(
                405, "EGW00002", f"{request.method} 은 지원하지 않습니다.({api.method})"
            )
        if api.method == "GET":
            params = _checked(api, request.query)
        else:
            body = _json_object(request.body)
            params = _checked(api, body.items())
            if headers.get("hashkey", _hash(body)) != _hash(body):
                return kis_error(500, "EGW00002", "hashkey 가 요청 본문과 일치하지 않습니다.")
        if self.broker is not None:
            answer = self.broker.handle(api.id, tr_id, params, mock=env == "mock")
            if answer is not None:
                return _json(200, answer, tr_id=tr_id, tr_cont="D")
        return self._answer(api, tr_id, params, tr_cont)

    def _answer(
        self, api: ApiSpec[Any], tr_id: str, params: Mapping[str, str], tr_cont: str
    ) -> Reply:
        page = 1
        if api.pagination is not None and tr_cont == "N":
            for request_key, _ in api.pagination.cursor:
                marker = params.get(request_key, "").strip()
                if marker.startswith("P") and marker[1:].isdigit():
                    page = int(marker[1:])
        symbol = marketdata.key_of(api.id, params)
        moment = self.market.position(self.market.now(), symbol or "") if symbol else None
        key = (api.id, tr_id, tuple(sorted(params.items())), page, moment, self.today)
        cacheable = api.kind != "order"
        with self._lock:
            hit = self._answers.get(key) if cacheable else None
            if hit is not None:
                self._answers.move_to_end(key)
        if hit is None:
            out, tr_cont_out = self._generate(api, tr_id, params, page)
            hit = (_encode(out), tr_cont_out)
            if cacheable:
                with self._lock:
                    self._answers[key] = hit
                    if len(self._answers) > ANSWER_CACHE:
                        self._answers.popitem(last=False)
        return _reply(200, hit[0], "MCA00000", tr_id=tr_id, tr_cont=hit[1])

    def _generate(
        self, api: ApiSpec[Any], tr_id: str, params: Mapping[str, str], page: int
    ) -> tuple[dict[str, Any], str]:
        stock = next(
            (v for k, v in params.items() if k.upper().endswith(("ISCD", "PDNO", "SYMB")) and v),
            None,
        )
        symbol = marketdata.key_of(api.id, params)
        known = _Known.of(self.market, api, symbol, params, page)
        r = rng(tr_id, sorted(params.items()), page)
        out: dict[str, Any] = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": OK_MSG}
        for block in api.response:
            out[block.key] = self._block(api, block, r, known, params, stock)
        more = api.pagination is not None and bool(api.pagination.cursor) and page < PAGES
        overseas = api.id.startswith("overseas")
        scalars = {wire: value(wire, kind, enum, r, 0, self.today, known.base, overseas=overseas)
                   for wire, _py, kind, enum in api.scalars}  # fmt: skip
        enums = _enums(api.scalars)
        known.lay(scalars, enums)
        tidy(scalars, enums, price=known.base)
        known.lay(scalars, enums)
        out.update(scalars)
        if api.pagination is not None:
            for _, response_key in api.pagination.cursor:
                width = _CURSOR_WIDTH.search(response_key)
                out[response_key] = (f"P{page + 1}" if more else "").ljust(
                    int(width.group(1)) if width else 100
                )
        return out, ("F" if page == 1 else "M") if more else "D"

    def _block(
        self,
        api: ApiSpec[Any],
        block: Block,
        r: Any,
        known: _Known,
        params: Mapping[str, str],
        stock: str | None,
    ) -> Any:
        """One response block in its spec's shape: an object, or an array of records (a
        chart's rows, else ``ROWS`` records).

        A field named like a request field echoes the request's value when that value is one
        the field can hold; in an object block the stock code and name are the requested
        stock's; every other value comes from :func:`values.value`, then the market's facts
        (the quote, the order book, a chart row) are laid over it and :func:`values.tidy`
        makes the record agree with itself and with the quote's price.
        """
        single = block.shape == "object"
        rows = known.rows if known.chart_block == block.key else None
        count = 1 if single else len(rows) if rows is not None else ROWS
        overseas = api.id.startswith("overseas")
        enums = _enums(block.fields)
        records = []
        for row in range(count):
            record = {}
            # a chart row's own values depend on the row only: equal rows on two pages agree
            source = known.row_source(api, block, rows[row]) if rows is not None else r
            for wire, _py, kind, enum in block.fields:
                upper, low = wire.upper(), wire.lower()
                given = params.get(upper, "")
                if given and upper != "CANO" and _fits(kind, enum, given):
                    record[wire] = given
                elif upper == "ODNO" and api.kind == "order":
                    with self._lock:
                        record[wire] = f"{next(self._order_no):010d}"
                elif single and stock and low in CODE_NAMES and enum is None:
                    record[wire] = stock
                elif single and stock and low in NAME_NAMES and stock in _STOCK_NAMES:
                    record[wire] = _STOCK_NAMES[stock]
                else:
                    record[wire] = value(
                        wire,
                        kind,
                        enum,
                        source,
                        row if rows is None else 0,
                        self.today,
                        known.base,
                        overseas=overseas,
                    )
            if rows is not None:
                facts = known.row(block, rows[row])
                _lay(record, facts, enums)
                tidy(record, enums, price=known.base)
                _lay(record, facts, enums)
            else:
                if single:
                    known.lay(record, enums)
                tidy(record, enums, price=known.base)
                if single:
                    known.lay(record, enums)
            records.append(record)
        return records[0] if single else records


class _Known:
    """What the market knows for one request: the quote's facts, a chart's rows, and the base
    price spec-driven values are made around (won, or 1/1000 of a decimal price)."""

    def __init__(
        self,
        market: Market,
        symbol: str | None,
        facts: Mapping[str, str],
        chart: marketdata.Chart | None,
        base: int,
    ) -> None:
        self.market = market
        self.symbol = symbol
        self.facts = facts
        self.chart_block = chart.block if chart is not None else None
        self.rows = chart.rows if chart is not None else None
        self.intraday = chart.intraday if chart is not None else False
        self.base = base

    @classmethod
    def of(
        cls,
        market: Market,
        api: ApiSpec[Any],
        symbol: str | None,
        params: Mapping[str, str],
        page: int,
    ) -> _Known:
        if symbol is None:
            return cls(market, None, {}, None, rng("base", "005930").randint(2_000, 300_000))
        inst = market.instrument(symbol)
        price = market.price(symbol)
        base = price if inst.scale == 1 else price * 1000 // inst.scale
        window = api.window
        chart = marketdata.chart(api.id, market, symbol, params, window) if page == 1 else None
        facts = marketdata.quote_facts(market, symbol)
        if chart is not None:
            facts |= marketdata.chart_header(market, symbol, chart)
        return cls(market, symbol, facts, chart, max(base, 1))

    def lay(self, record: dict[str, str], enums: Mapping[str, type[Enum] | None]) -> None:
        _lay(record, self.facts, enums)

    def row_source(self, api: ApiSpec[Any], block: Block, row: Any) -> Any:
        return rng(api.id, block.key, self.symbol, row.day, row.at)

    def row(self, block: Block, row: Any) -> dict[str, str]:
        assert self.symbol is not None
        inst = self.market.instrument(self.symbol)
        found = marketdata.row_facts(block.fields, row, inst, self.market, intraday=self.intraday)
        return {wire.lower(): text for wire, text in found.items()}


def _lay(
    record: dict[str, str], facts: Mapping[str, str], enums: Mapping[str, type[Enum] | None]
) -> None:
    """Overwrite ``record``'s fields the market knows (keeping enum fields among their codes)."""
    if not facts:
        return
    for wire in record:
        low = wire.lower()
        fact = facts.get(low)
        if fact is None:
            continue
        enum = enums.get(low)
        if enum is None or fact in _enum_values(enum):
            record[wire] = fact


_STOCK_NAMES: Final[Mapping[str, str]] = dict(STOCKS)


def _enums(
    fields: Iterable[tuple[str, str, str, type[Enum] | None]],
) -> dict[str, type[Enum] | None]:
    return {wire.lower(): enum for wire, _py, _kind, enum in fields}


def _fits(kind: str, enum: type[Enum] | None, text: str) -> bool:
    """Whether a response field of ``kind`` / ``enum`` can carry ``text`` (an echoed value)."""
    if enum is not None:
        return text in _enum_values(enum)
    if kind == "bool":
        return text in ("Y", "N")
    if kind == "int":
        return _INT.fullmatch(text) is not None
    if kind == "decimal":
        return _DECIMAL.fullmatch(text) is not None
    if kind == "date":
        return len(text) == 8 and text.isdigit()
    if kind == "time":
        return len(text) == 6 and text.isdigit()
    return True


# --- request checks -----------------------------------------------------------------------


def _wrong_env(api: ApiSpec[Any], tr_id: str, env: str) -> str:
    """Why ``tr_id`` is refused in ``env`` ("" when it is fine)."""
    tr_env = catalog.tr_env(api, tr_id)
    if tr_env is None:  # a deprecated alias: mock TR IDs start with V
        tr_env = "mock" if tr_id.startswith("V") else "real"
    if tr_env in ("both", env):
        return ""
    if env == "mock" and all(rule.mock is None for rule in api.tr_ids):
        return "모의투자에서는 해당업무가 제공되지 않습니다."
    return "모의투자 TR 이 아닙니다." if env == "mock" else "실전투자 TR 이 아닙니다."


def _checked(api: ApiSpec[Any], raw: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Wire name -> value for the API's fields, or an OPSQ2001 refusal naming the field.

    Every rule comes from the spec (through the generated metadata): a field is needed only
    when :func:`catalog.must_send` says so; a value must fit the field's length, enum and kind.
    """
    fields = _fields_by_name(api)
    params: dict[str, str] = {}
    for name, given in raw:
        found = fields.get(str(name).upper())
        if found is None:
            raise _Refusal(_field_error(str(name)))
        text = _text(given)
        if text is None:
            raise _Refusal(_field_error(found.wire))
        params[found.wire] = text
    for found in api.request:
        text = params.get(found.wire, "")
        if text == "":
            # Left out or blank: refused only when the spec makes the caller send it; else KIS
            # acts on the spec's default (or fixed value).
            if catalog.must_send(found):
                raise _Refusal(_field_error(found.wire))
            fallback = catalog.fallback(found)
            if fallback:
                params[found.wire] = fallback
            continue
        if not _valid(found, text):
            raise _Refusal(_field_error(found.wire))
    if api.kind == "order":
        try:
            check_order_amounts(api, params)
        except KisValidationError as exc:
            wire = next((f.wire for f in api.request if f.py == exc.field), exc.field)
            raise _Refusal(_field_error(wire)) from None
    return params


@cache
def _fields_by_name(api: ApiSpec[Any]) -> dict[str, Field]:
    return {f.wire.upper(): f for f in api.request}


@cache
def _enum_values(enum: type[Enum]) -> frozenset[str]:
    return frozenset(str(member.value) for member in enum)


def _text(given: Any) -> str | None:
    """A JSON value as KIS reads it: strings as they are, numbers as their text."""
    if isinstance(given, str):
        return given
    if given is None:
        return ""
    if isinstance(given, int | float) and not isinstance(given, bool):
        return json.dumps(given)
    return None


def _valid(field: Field, text: str) -> bool:
    """Whether a non-blank ``text`` is a value of ``field`` (length, enum code, kind)."""
    if field.max_length is not None and len(text.encode("utf-8")) > field.max_length:
        return False
    if field.enum is not None:
        return text in _enum_values(field.enum)
    kind = field.kind
    if kind in ("int", "decimal") and len(text) > MAX_NUMBER_TEXT:
        return False  # 10**400 is no quantity or price KIS takes
    if kind == "int":
        return _INT.fullmatch(text) is not None
    if kind == "decimal":
        return _DECIMAL.fullmatch(text) is not None
    if kind == "bool":
        return text in ("Y", "N")
    if kind == "date":
        return len(text) == 8 and text.isdigit() and (text == "00000000" or _is_date(text))
    if kind == "time":
        return len(text) == 6 and text.isdigit() and _is_time(text)
    return True


def _is_date(text: str) -> bool:
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return False
    return True


def _is_time(text: str) -> bool:
    hour, minute, second = int(text[:2]), int(text[2:4]), int(text[4:])
    return (hour < 24 or text == "240000") and minute < 60 and second < 60


def _json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object (KIS's POST bodies)."""
    try:
        parsed = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested absurdly deep
        raise _Refusal(kis_error(500, "EGW00002", "잘못된 요청입니다.(JSON)")) from None
    if not isinstance(parsed, dict):
        raise _Refusal(kis_error(500, "EGW00002", "잘못된 요청입니다.(JSON)"))
    return parsed


def _auth_text(body: Mapping[str, Any], key: str) -> str:
    """A string field of an auth body; anything else (an object, a number) counts as missing."""
    value = body.get(key)
    return value if isinstance(value, str) else ""


def _oauth_body(body: bytes) -> dict[str, Any]:
    try:
        return _json_object(body)
    except _Refusal:
        raise _Refusal(_oauth_error(403, "EGW00002", "잘못된 요청입니다.(JSON)")) from None


def _hash(body: Mapping[str, Any]) -> str:
    """The hashkey of a body: of its content, whatever spacing the client used."""
    return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


def _jwt_like(appkey: str, now: float) -> str:
    """A token shaped like KIS's (a signed JWT); only this sandbox can tell it is valid."""

    def part(data: Mapping[str, Any]) -> str:
        text = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).rstrip(b"=").decode()

    claims = {"sub": "token", "aud": hashlib.sha256(appkey.encode()).hexdigest()[:36],
              "iss": "kisapi-sandbox", "iat": int(now), "jti": secrets.token_hex(8)}  # fmt: skip
    return ".".join((part({"typ": "JWT", "alg": "HS512"}), part(claims), secrets.token_urlsafe(64)))


# --- replies ------------------------------------------------------------------------------


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _reply(
    status: int, content: bytes, code: str, *, tr_id: str | None = None, tr_cont: str = ""
) -> Reply:
    headers: tuple[tuple[str, str], ...] = (("Content-Type", JSON_TYPE),)
    if tr_id:
        headers += (("tr_id", tr_id), ("tr_cont", tr_cont), ("gt_uid", secrets.token_hex(16)))
    return Reply(status, content, headers, code)


def _json(
    status: int, body: Mapping[str, Any], *, tr_id: str | None = None, tr_cont: str = ""
) -> Reply:
    code = str(body.get("msg_cd") or body.get("error_code") or "")
    return _reply(status, _encode(body), code, tr_id=tr_id, tr_cont=tr_cont)


def kis_error(status: int, msg_cd: str, msg1: str, *, rt_cd: str = "1") -> Reply:
    """KIS's error answer to an API call: ``{rt_cd, msg_cd, msg1}``."""
    return _json(status, {"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg1})


def _oauth_error(status: int, code: str, description: str) -> Reply:
    """The auth endpoints' error shape: no rt_cd."""
    return _json(status, {"error_code": code, "error_description": description})


def _header_error(name: str) -> Reply:
    return kis_error(500, "IGW00007", f"{MESSAGES['IGW00007']}({name})")


def _field_error(name: str) -> Reply:
    # KIS answers bad input fields with rt_cd "2"; it names the field, nothing more.
    return kis_error(500, "OPSQ2001", f"ERROR : INPUT_FIELD_NAME {name}", rt_cd="2")


def _injected_error(path: str, fault: Fault) -> Reply:
    if path.startswith("/oauth2/"):
        return _oauth_error(fault.status, fault.msg_cd, fault.msg1)
    return kis_error(fault.status, fault.msg_cd, fault.msg1)


# --- httpx adapters -----------------------------------------------------------------------


def _from_httpx(request: httpx.Request) -> Request:
    url = str(request.url)
    return Request(
        method=request.method,
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=tuple(request.url.params.multi_items()),
        body=request.content,
        env="mock" if any(m in url for m in MOCK_HOST_MARKERS) else "real",
    )


def _to_httpx(reply: Reply, request: httpx.Request) -> httpx.Response:
    if reply.drop:
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=request
        )
    return httpx.Response(reply.status, headers=list(reply.headers), content=reply.body)
