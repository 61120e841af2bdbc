"""The client core shared by every generated endpoint: send, retry, map errors, decode.

The retry policy is written once, as a generator that yields I/O actions; a sync and an async
driver carry them out, so both clients behave identically.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable, Generator, Mapping
from datetime import datetime
from typing import Any, ClassVar, Final, TypeVar

import httpx

from .api import ApiSpec
from .auth import ApprovalKeyManager, ahashkey, hashkey, shared_token_manager
from .cache import TtlCache
from .codecs import KST
from .config import KisConfig
from .decode import CONVERT_ERRORS
from .errors import (
    ErrorRule,
    KisApiError,
    KisConfigError,
    KisConnectionError,
    KisDecodeError,
    KisError,
    KisOrderStateUnknownError,
    KisServerError,
    KisTimeoutError,
    classify,
)
from .jsonlib import loads as parse_json
from .limits import shared_limiter
from .orders import body_text, masked_request, order_number
from .reconcile import Reconciliation, choices, judge, plan
from .request import Prepared, prepare
from .response import ApiResponse
from .secret import get_logger, guard_library_loggers

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S", bound="SyncClient")
A = TypeVar("A", bound="AsyncClient")
log = get_logger("http")

INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
# Failures raised before any byte of the request left the machine: safe to retry, orders too.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# httpx/h11 refused to write the request (an illegal header, a bad URL): nothing was sent.
_REFUSED: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
# Bytes HTTP allows in a header value (visible ASCII, space, tab).
_HEADER_OK: Final = re.compile(r"[\t\x20-\x7e]*")
# What a body that is not JSON makes json() raise (RecursionError: absurdly deep nesting).
_NOT_JSON: Final = (ValueError, RecursionError)

# --- actions the retry plan yields ------------------------------------------------------


class _Acquire:
    """Wait for the rate limiter."""

    __slots__ = ()


class _Token:
    """Get a valid access token."""

    __slots__ = ()


class _Invalidate:
    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


class _HashKey:
    __slots__ = ("body",)

    def __init__(self, body: Mapping[str, str]) -> None:
        self.body = body


class _Sleep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class _Send:
    __slots__ = ("request",)

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


_Action = _Acquire | _Token | _Invalidate | _HashKey | _Sleep | _Send
_Plan = Generator[_Action, Any, ApiResponse[Any]]
_ACQUIRE: Final = _Acquire()
_TOKEN: Final = _Token()


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... capped at 8 s."""
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1.0 - 0.25 * random.random())


class BaseClient:
    """Configuration, limiter, tokens and the request plan; no I/O of its own."""

    error_table: ClassVar[Mapping[str, ErrorRule]] = {}

    def __init__(self, config: KisConfig) -> None:
        self.config = config
        guard_library_loggers()
        self._limiter = shared_limiter(config)
        self._tokens = shared_token_manager(config)
        self._approval = ApprovalKeyManager(config)
        self._cache: TtlCache[ApiResponse[Any]] = TtlCache(config.cache_ttl)
        account = config.account
        self._fills: dict[str, str | None] = {
            "account_number": account.cano if account else None,
            "account_product": account.product if account else None,
            "hts_id": config.hts_id.reveal() if config.hts_id else None,
            "appkey": config.appkey.reveal(),
            "appsecret": config.appsecret.reveal(),
            "secretkey": config.appsecret.reveal(),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(env={self.config.env!r}, account={self.config.account!r})"

    @property
    def is_mock(self) -> bool:
        return self.config.is_mock

    def prepare(self, api: ApiSpec[Any], values: Mapping[str, Any]) -> Prepared:
        """Check arguments and pick the TR ID; raises before anything is sent."""
        return prepare(api, values, self._fills, mock=self.config.is_mock)

    def _headers(self, prepared: Prepared, tr_cont: str, token: str | None) -> dict[str, str]:
        headers = {"content-type": "application/json; charset=utf-8"}
        if prepared.api.kind == "auth":
            return headers
        headers["authorization"] = f"Bearer {token}"
        headers["appkey"] = self.config.appkey.reveal()
        headers["appsecret"] = self.config.appsecret.reveal()
        if prepared.tr_id:
            headers["tr_id"] = prepared.tr_id
        headers["custtype"] = self.config.custtype
        headers["tr_cont"] = tr_cont
        return headers

    def _build(self, prepared: Prepared, headers: dict[str, str]) -> httpx.Request:
        for name, value in headers.items():
            if not _HEADER_OK.fullmatch(value):
                raise KisConfigError(
                    f"{prepared.api.id}: header {name} holds a character HTTP forbids "
                    "(control, CR/LF or non-ASCII); nothing was sent"
                )
        url = self.config.base_url + prepared.api.path
        if prepared.api.method == "GET":
            return httpx.Request("GET", url, params=prepared.params, headers=headers)
        content = json.dumps(prepared.params, ensure_ascii=False).encode("utf-8")
        return httpx.Request("POST", url, content=content, headers=headers)

    def _cache_key(self, prepared: Prepared, tr_cont: str) -> tuple[Any, ...] | None:
        if not (prepared.api.cacheable and self._cache.enabled):
            return None
        return (prepared.tr_id, prepared.api.path, tr_cont, tuple(sorted(prepared.params.items())))

    def _plan(self, prepared: Prepared, tr_cont: str) -> _Plan:
        api = prepared.api
        is_order = api.kind == "order"
        attempt = 0
        reissued = False
        hash_value: str | None = None
        while True:
            yield _ACQUIRE
            token: str | None = None if api.kind == "auth" else (yield _TOKEN)
            headers = self._headers(prepared, tr_cont, token)
            if api.hashkey and self.config.use_hashkey and api.method == "POST":
                if hash_value is None:
                    hash_value = yield _HashKey(prepared.params)
                headers["hashkey"] = str(hash_value)
            request = self._build(prepared, headers)
            started = time.perf_counter()
            sent_at = datetime.now(KST)
            result = yield _Send(request)
            if isinstance(result, httpx.TransportError):
                log.warning("%s %s: %s", api.id, prepared.tr_id, type(result).__name__)
                if isinstance(result, _REFUSED):
                    raise KisConfigError(
                        f"{api.id}: httpx refused to send the request "
                        f"({type(result).__name__}); nothing was sent"
                    ) from None
                if is_order and not isinstance(result, _NOT_SENT):
                    raise KisOrderStateUnknownError(
                        api.id,
                        prepared.tr_id or "",
                        type(result).__name__,
                        request=masked_request(api, prepared.params),
                        choices=choices(api, prepared.tr_id),
                        sent_at=sent_at,
                    ) from None
                if attempt >= self.config.max_retries:
                    cls = (
                        KisTimeoutError
                        if isinstance(result, httpx.TimeoutException)
                        else KisConnectionError
                    )
                    raise cls(
                        f"{api.id}: {type(result).__name__} after {attempt + 1} attempts"
                    ) from None
                yield _Sleep(retry_delay(attempt))
                attempt += 1
                continue
            response: httpx.Response = result
            log.debug(
                "%s %s tr_id=%s -> %s in %.3fs",
                api.method, api.path, prepared.tr_id, response.status_code,
                time.perf_counter() - started,
            )  # fmt: skip
            outcome = self._interpret(prepared, response)
            if isinstance(outcome, ApiResponse):
                return outcome
            error, rule, retry_safe = outcome
            if isinstance(error, KisOrderStateUnknownError):
                error.sent_at = sent_at
            if rule is not None and rule.reissue_token and token is not None and not reissued:
                reissued = True
                yield _Invalidate(token)
                continue
            if retry_safe and attempt < self.config.max_retries:
                yield _Sleep(retry_delay(attempt))
                attempt += 1
                continue
            raise error

    def _interpret(
        self, prepared: Prepared, response: httpx.Response
    ) -> ApiResponse[Any] | tuple[KisError, ErrorRule | None, bool]:
        """A typed result, or (error, its rule, whether a retry is safe)."""
        if prepared.api.kind == "order":
            return self._interpret_order(prepared, response)
        api = prepared.api
        status = response.status_code
        body = _json_object(response)
        if body is None:
            if status >= 500:
                return KisServerError(rt_cd=None, msg_cd=None, msg1=f"HTTP {status} without a KIS body", tr_id=prepared.tr_id, api=api.id, status_code=status), None, True  # fmt: skip
            return (
                KisDecodeError(f"{api.id}: HTTP {status}, body is not a JSON object"),
                None,
                False,
            )
        code = body.get("msg_cd") or body.get("error_code")
        failed = ("rt_cd" in body and str(body["rt_cd"]) != "0") or "error_code" in body
        if failed or status >= 400:
            cls, rule = classify(str(code) if code else None, self.error_table, is_order=False)
            error = _api_error(cls, prepared, status, body, code)
            retry_safe = rule.retry if rule is not None else status >= 500
            return error, rule, retry_safe
        parsed = api.decode(body, self.config.strict)
        return ApiResponse(parsed, status, response.headers, prepared.tr_id, body)

    def _interpret_order(
        self, prepared: Prepared, response: httpx.Response
    ) -> ApiResponse[Any] | tuple[KisError, ErrorRule | None, bool]:
        """Accepted (an order number in a parsable success), rejected (a KIS refusal code), or
        :class:`KisOrderStateUnknownError` for everything in between; never retried unless KIS
        refused before processing."""
        api = prepared.api
        status = response.status_code
        body = _json_object(response)

        def unknown(
            cause: str, msg_cd: str | None = None, number: str | None = None
        ) -> tuple[KisError, None, bool]:
            error = KisOrderStateUnknownError(
                api.id,
                prepared.tr_id or "",
                cause,
                request=masked_request(api, prepared.params),
                status_code=status,
                body=body if body is not None else body_text(response.content),
                msg_cd=msg_cd,
                order_number=number,
                choices=choices(api, prepared.tr_id),
            )
            return error, None, False

        if body is None:
            return unknown(f"HTTP {status} with a body that is not a JSON object")
        code = body.get("msg_cd") or body.get("error_code")
        rt_cd = body.get("rt_cd")
        if (rt_cd is not None and str(rt_cd) != "0") or "error_code" in body:
            if not code:
                return unknown(f"HTTP {status}, rt_cd {rt_cd!r} without a message code")
            cls, rule = classify(str(code), self.error_table, is_order=True)
            if rule is not None and rule.order_state_unknown:
                return unknown(f"HTTP {status} [{code}] (KIS: check the previous order)", str(code))
            error = _api_error(cls, prepared, status, body, code)
            return error, rule, rule.retry if rule is not None else False
        if status >= 400 or rt_cd is None:
            return unknown(f"HTTP {status} with rt_cd {rt_cd!r}", str(code) if code else None)
        number = order_number(api, body)
        if number is None:
            return unknown(f"HTTP {status}, a success without an order number")
        try:
            parsed = api.decode(body, self.config.strict)
        except (KisDecodeError, *CONVERT_ERRORS) as exc:
            cause = f"a success that did not decode ({type(exc).__name__})"
            return unknown(cause, str(code) if code else None, number)
        return ApiResponse(parsed, status, response.headers, prepared.tr_id, body)


def _endpoint(client: BaseClient, api_id: str) -> Any:
    """The generated endpoint ``namespace.method`` of a ``Kis``/``AsyncKis`` client."""
    namespace, method = api_id.split(".")
    return getattr(getattr(client, namespace), method)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` (empty, truncated, not UTF-8, array, too deep)."""
    try:
        body = parse_json(response.content)  # orjson when installed
    except _NOT_JSON:
        return None
    return body if isinstance(body, dict) else None


def _api_error(
    cls: type[KisApiError],
    prepared: Prepared,
    status: int,
    body: Mapping[str, Any],
    code: object,
) -> KisApiError:
    return cls(
        rt_cd=None if body.get("rt_cd") is None else str(body["rt_cd"]),
        msg_cd=str(code) if code else None,
        msg1=str(body.get("msg1") or body.get("error_description") or ""),
        tr_id=prepared.tr_id,
        api=prepared.api.id,
        status_code=status,
        body=body,
    )


def make_config(config: KisConfig | None, settings: Mapping[str, Any]) -> KisConfig:
    """``config`` as given, else one from keyword settings, else from the ``KIS_*`` environment."""
    if config is not None:
        if settings:
            raise TypeError("pass either a KisConfig or keyword settings, not both")
        return config
    if "appkey" in settings or "appsecret" in settings:
        return KisConfig(**settings)
    return KisConfig.from_env(**settings)


class SyncClient(BaseClient):
    """Blocking client (httpx.Client); share one across threads.

    ``Kis(appkey=..., appsecret=..., account="12345678-01", env="mock")``, ``Kis(config)`` or
    ``Kis()`` (reads ``KIS_*`` from the environment).
    """

    def __init__(
        self,
        config: KisConfig | None = None,
        *,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **settings: Any,
    ) -> None:
        config = make_config(config, settings)
        super().__init__(config)
        self._sleep = sleep
        self._http = http_client or httpx.Client(
            timeout=config.timeout,
            transport=transport or httpx.HTTPTransport(retries=config.max_retries),
        )

    @classmethod
    def from_env(cls: type[S], **settings: Any) -> S:
        """A client configured from ``KIS_*`` variables (keyword settings override them)."""
        transport = settings.pop("transport", None)
        return cls(KisConfig.from_env(**settings), transport=transport)

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, api: ApiSpec[R], values: Mapping[str, Any]) -> R:
        """Send one request and return the typed result."""
        return self.call_raw(api, values).parsed

    def call_raw(self, api: ApiSpec[R], values: Mapping[str, Any]) -> ApiResponse[R]:
        result: ApiResponse[R] = self.send(self.prepare(api, values))
        return result

    def send(self, prepared: Prepared, tr_cont: str = "") -> ApiResponse[Any]:
        key = self._cache_key(prepared, tr_cont)
        if key is not None and (hit := self._cache.get(key)) is not None:
            return hit
        result = self._drive(self._plan(prepared, tr_cont))
        if key is not None:
            self._cache.put(key, result)
        return result

    def _drive(self, plan: _Plan) -> ApiResponse[Any]:
        value: Any = None
        try:
            while True:
                action = plan.send(value)
                value = None
                if isinstance(action, _Send):
                    try:
                        value = self._http.send(action.request)
                    except httpx.TransportError as exc:
                        value = exc
                elif isinstance(action, _Acquire):
                    self._limiter.acquire(self._sleep)
                elif isinstance(action, _Token):
                    value = self._tokens.get(self._http)
                elif isinstance(action, _Sleep):
                    self._sleep(action.seconds)
                elif isinstance(action, _Invalidate):
                    self._tokens.invalidate(action.token)
                else:
                    value = hashkey(self._http, self.config, action.body)
        except StopIteration as stop:
            result: ApiResponse[Any] = stop.value
            return result

    def approval_key(self) -> str:
        """The WebSocket approval key (issued once, then reused)."""
        return self._approval.get(self._http)

    def reconcile(self, error: KisOrderStateUnknownError) -> Reconciliation:
        """What became of an order whose state is unknown: looked up in the day's orders.

        ``placed`` (with its order number), ``not_placed`` or ``unknown`` (several candidates).
        """
        planned = plan(error)
        if isinstance(planned, Reconciliation):
            return planned
        lookup, args, code = planned
        endpoint = _endpoint(self, lookup.query)
        rows = endpoint.pages(**args).collect().rows
        return judge(lookup, error, code, rows)

    def invalidate_approval_key(self) -> None:
        """Forget the approval key (KIS refused it); the next call issues a fresh one."""
        self._approval.invalidate()


class AsyncClient(BaseClient):
    """asyncio client (httpx.AsyncClient); share one across tasks. Configured like SyncClient."""

    def __init__(
        self,
        config: KisConfig | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **settings: Any,
    ) -> None:
        config = make_config(config, settings)
        super().__init__(config)
        self._http = http_client or httpx.AsyncClient(
            timeout=config.timeout,
            transport=transport or httpx.AsyncHTTPTransport(retries=config.max_retries),
        )

    @classmethod
    def from_env(cls: type[A], **settings: Any) -> A:
        """A client configured from ``KIS_*`` variables (keyword settings override them)."""
        transport = settings.pop("transport", None)
        return cls(KisConfig.from_env(**settings), transport=transport)

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, api: ApiSpec[R], values: Mapping[str, Any]) -> R:
        """Send one request and return the typed result."""
        return (await self.call_raw(api, values)).parsed

    async def call_raw(self, api: ApiSpec[R], values: Mapping[str, Any]) -> ApiResponse[R]:
        result: ApiResponse[R] = await self.send(self.prepare(api, values))
        return result

    async def send(self, prepared: Prepared, tr_cont: str = "") -> ApiResponse[Any]:
        key = self._cache_key(prepared, tr_cont)
        if key is not None and (hit := self._cache.get(key)) is not None:
            return hit
        result = await self._drive(self._plan(prepared, tr_cont))
        if key is not None:
            self._cache.put(key, result)
        return result

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _drive(self, plan: _Plan) -> ApiResponse[Any]:
        value: Any = None
        try:
            while True:
                action = plan.send(value)
                value = None
                if isinstance(action, _Send):
                    try:
                        value = await self._http.send(action.request)
                    except httpx.TransportError as exc:
                        value = exc
                elif isinstance(action, _Acquire):
                    await self._limiter.aacquire()
                elif isinstance(action, _Token):
                    value = await self._tokens.aget(self._http)
                elif isinstance(action, _Sleep):
                    await self._sleep(action.seconds)
                elif isinstance(action, _Invalidate):
                    self._tokens.invalidate(action.token)
                else:
                    value = await ahashkey(self._http, self.config, action.body)
        except StopIteration as stop:
            result: ApiResponse[Any] = stop.value
            return result

    async def approval_key(self) -> str:
        """The WebSocket approval key (issued once, then reused)."""
        return await self._approval.aget(self._http)

    async def reconcile(self, error: KisOrderStateUnknownError) -> Reconciliation:
        """What became of an order whose state is unknown: looked up in the day's orders.

        ``placed`` (with its order number), ``not_placed`` or ``unknown`` (several candidates).
        """
        planned = plan(error)
        if isinstance(planned, Reconciliation):
            return planned
        lookup, args, code = planned
        endpoint = _endpoint(self, lookup.query)
        rows = (await endpoint.pages(**args).collect()).rows
        return judge(lookup, error, code, rows)

    def invalidate_approval_key(self) -> None:
        """Forget the approval key (KIS refused it); the next call issues a fresh one."""
        self._approval.invalidate()
