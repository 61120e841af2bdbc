"""A KIS-compatible responder: auth endpoints plus every spec'd REST API, answered from its
spec with deterministic, plausible values in KIS's string encoding.

It speaks httpx (``transport()`` / ``async_transport()``) so the SDK, its tests and the demo
run offline without a socket.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

import httpx

from kisapi_runtime.api import ApiSpec, Block

from . import catalog
from .values import rng, tidy, value

OK_MSG = "정상처리 되었습니다."
PAGES = 3
ROWS = 30
TOKEN_LIFETIME = 86_400
SAME_TOKEN_WITHIN = 6 * 3600
MOCK_HOST_MARKERS = ("openapivts", ":29443")


class Broker(Protocol):
    """The stateful paper-trading core (orders, balance, executions) plugged into the sandbox."""

    def handle(
        self, api_id: str, tr_id: str, params: Mapping[str, str], *, mock: bool
    ) -> Mapping[str, Any] | None:
        """A KIS body for the APIs it trades (errors included), None for every other API."""
        ...


class Sandbox:
    """In-memory KIS fake. ``today`` fixes the calendar for reproducible answers; ``broker``
    answers the order and account APIs statefully (the rest are answered from the specs)."""

    def __init__(self, *, today: date | None = None, broker: Broker | None = None) -> None:
        self.today = today or date.today()
        self.broker = broker
        self.calls: list[tuple[str, str | None]] = []
        self._tokens: dict[str, tuple[str, float]] = {}
        self._order_no = itertools.count(1)
        self._lock = threading.Lock()

    # --- transports ------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def async_transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            await request.aread()
            return self.handle(request)

        return httpx.MockTransport(handler)

    # --- dispatch --------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self._lock:
            self.calls.append((path, request.headers.get("tr_id")))
        try:
            body = json.loads(request.content) if request.content else {}
        except json.JSONDecodeError:
            return _error(500, "EGW00002", "잘못된 요청입니다. (JSON)")
        if path == "/oauth2/tokenP":
            return self._token(body)
        if path == "/oauth2/revokeP":
            return _json(200, {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"})
        if path == "/oauth2/Approval":
            if not body.get("appkey") or not body.get("secretkey"):
                return _json(
                    403,
                    {"error_code": "EGW00103", "error_description": "유효하지 않은 AppKey입니다."},
                )
            digest = hashlib.sha256(f"approval|{body['appkey']}".encode()).hexdigest()
            return _json(
                200,
                {"approval_key": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:28]}"},
            )
        if path == "/uapi/hashkey":
            return _json(200, {"BODY": body, "HASH": hashlib.sha256(request.content).hexdigest()})
        return self._api(request, path, body)

    def _token(self, body: Mapping[str, Any]) -> httpx.Response:
        appkey = str(body.get("appkey") or "")
        if (
            body.get("grant_type") != "client_credentials"
            or not appkey
            or not body.get("appsecret")
        ):
            return _json(
                403, {"error_code": "EGW00103", "error_description": "유효하지 않은 AppKey입니다."}
            )
        now = time.time()
        with self._lock:
            current = self._tokens.get(appkey)
            if current is None or now - current[1] > SAME_TOKEN_WITHIN:
                current = self._tokens[appkey] = (secrets.token_urlsafe(48), now)
        expires = datetime.fromtimestamp(current[1] + TOKEN_LIFETIME).strftime("%Y-%m-%d %H:%M:%S")
        return _json(200, {"access_token": current[0], "access_token_token_expired": expires,
                           "token_type": "Bearer", "expires_in": TOKEN_LIFETIME})  # fmt: skip

    def _authorised(self, request: httpx.Request) -> bool:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip()
        appkey = request.headers.get("appkey", "")
        current = self._tokens.get(appkey)
        return bool(current and current[0] == token and request.headers.get("appsecret"))

    def _api(self, request: httpx.Request, path: str, body: Mapping[str, Any]) -> httpx.Response:
        tr_id = request.headers.get("tr_id")
        if not self._authorised(request):
            return _error(500, "EGW00121", "유효하지 않은 token 입니다.")
        if not tr_id:
            return _error(500, "EGW00002", "tr_id 헤더가 없습니다.")
        api = catalog.find(path, tr_id)
        if api is None:
            return _error(500, "EGW00002", f"{tr_id}: 이 경로에서 지원하지 않는 거래ID입니다.")
        env = catalog.tr_env(api, tr_id)
        mock_host = any(m in str(request.url) for m in MOCK_HOST_MARKERS)
        if env is not None and env != "both" and (env == "mock") != mock_host:
            return _error(
                500, "EGW00002", f"{tr_id}: 이 서버(실전/모의)에서 사용할 수 없는 거래ID입니다."
            )
        params: dict[str, str] = (
            dict(request.url.params)
            if api.method == "GET"
            else {str(k): str(v) for k, v in body.items()}
        )
        known = {f.wire for f in api.request}
        unknown = sorted(set(params) - known)
        if unknown:
            return _error(200, "OPSQ2001", f"입력 필드 오류: {unknown[0]}", rt_cd="2")
        missing = [
            f.wire for f in api.request if f.required and f.fixed is None and not params.get(f.wire)
        ]
        if missing:
            return _error(200, "OPSQ2001", f"필수 입력값 누락: {missing[0]}", rt_cd="2")
        if self.broker is not None:
            answer = self.broker.handle(api.id, tr_id, params, mock=mock_host)
            if answer is not None:
                return _json(200, answer, tr_id=tr_id, tr_cont="D")
        return self._answer(api, tr_id, params, request.headers.get("tr_cont", ""))

    def _answer(
        self, api: ApiSpec[Any], tr_id: str, params: Mapping[str, str], tr_cont: str
    ) -> httpx.Response:
        page = 1
        if api.pagination is not None and tr_cont == "N":
            for request_key, _ in api.pagination.cursor:
                marker = params.get(request_key, "").strip()
                if marker.startswith("P") and marker[1:].isdigit():
                    page = int(marker[1:])
        stock = next(
            (v for k, v in params.items() if k.endswith(("ISCD", "PDNO", "SYMB")) and v), "005930"
        )
        base = rng("base", stock).randint(2_000, 300_000)
        r = rng(tr_id, sorted(params.items()), page)
        out: dict[str, Any] = {"rt_cd": "0", "msg_cd": "MCA00000", "msg1": OK_MSG}
        for block in api.response:
            out[block.key] = self._block(api, block, r, base, params)
        more = api.pagination is not None and bool(api.pagination.cursor) and page < PAGES
        for wire, _py, kind, enum in api.scalars:
            out[wire] = value(wire, kind, enum, r, 0, self.today, base)
        if api.pagination is not None:
            for _, response_key in api.pagination.cursor:
                out[response_key] = (f"P{page + 1}" if more else "").ljust(100)
        tr_cont_out = ("F" if page == 1 else "M") if more else "D"
        return _json(200, out, tr_id=tr_id, tr_cont=tr_cont_out)

    def _block(
        self, api: ApiSpec[Any], block: Block, r: Any, base: int, params: Mapping[str, str]
    ) -> Any:
        rows = 1 if block.shape == "object" else ROWS
        records = []
        for row in range(rows):
            record = {}
            for wire, _py, kind, enum in block.fields:
                upper = wire.upper()
                if upper in params and params[upper] and upper not in ("CANO",):
                    record[wire] = params[upper]
                elif upper == "ODNO" and api.kind == "order":
                    with self._lock:
                        record[wire] = f"{next(self._order_no):010d}"
                else:
                    record[wire] = value(wire, kind, enum, r, row, self.today, base)
            tidy(record)
            records.append(record)
        return records[0] if block.shape == "object" else records


def _json(
    status: int, body: Mapping[str, Any], *, tr_id: str | None = None, tr_cont: str = ""
) -> httpx.Response:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    if tr_id:
        headers.update({"tr_id": tr_id, "tr_cont": tr_cont, "gt_uid": secrets.token_hex(16)})
    return httpx.Response(
        status, headers=headers, content=json.dumps(body, ensure_ascii=False).encode()
    )


def _error(status: int, msg_cd: str, msg1: str, *, rt_cd: str = "1") -> httpx.Response:
    return _json(status, {"rt_cd": rt_cd, "msg_cd": msg_cd, "msg1": msg1})
