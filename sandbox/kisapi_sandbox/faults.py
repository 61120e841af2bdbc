"""Fault injection for tests: KIS error answers, slow answers, dropped connections, expired
tokens. Set them on ``server.faults`` (or ``Sandbox.faults``) or through the control endpoint
``POST /__sandbox__/faults``.

A fault matches API calls (``/uapi/...``, not the auth endpoints) unless it names a ``path``
prefix; ``tr_id`` narrows it further. ``times`` counts the calls it still applies to (None:
until cleared).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import attrs

FaultKind = Literal["error", "slow", "drop", "lose"]
API_PREFIX = "/uapi/"
SYSTEM_ERROR = "EGW00001"
SYSTEM_ERROR_MSG = "일시적인 오류가 발생하였습니다."


@attrs.define
class Fault:
    """One injected fault and what it still applies to."""

    kind: FaultKind
    times: int | None = 1
    path: str | None = None
    tr_id: str | None = None
    status: int = 500
    msg_cd: str = SYSTEM_ERROR
    msg1: str = SYSTEM_ERROR_MSG
    seconds: float = 0.0

    def matches(self, path: str, tr_id: str | None) -> bool:
        if self.path is None:
            if not path.startswith(API_PREFIX) or path == "/uapi/hashkey":
                return False
        elif not path.startswith(self.path):
            return False
        return self.tr_id is None or self.tr_id == tr_id

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class Injected:
    """What the faults decided for one request."""

    delay: float = 0.0
    drop: bool = False
    error: Fault | None = None
    lose: bool = False


NOTHING = Injected()


class Faults:
    """The faults in force, shared by the server's event loop and the test thread."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.tokens_expired_at: float | None = None
        """Tokens issued at or before this (server) time count as expired (EGW00123)."""

    def __repr__(self) -> str:
        return f"Faults({self.active()!r})"

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in ("error", "slow", "drop", "lose"):
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        if fault.seconds < 0 or not 100 <= fault.status <= 599:
            raise ValueError("seconds must be >= 0 and status a HTTP status")
        with self._lock:
            self._faults.append(fault)
        return fault

    def error(
        self,
        *,
        status: int = 500,
        msg_cd: str = SYSTEM_ERROR,
        msg1: str = SYSTEM_ERROR_MSG,
        times: int | None = 1,
        path: str | None = None,
        tr_id: str | None = None,
    ) -> Fault:
        """Answer with a KIS error body (``rt_cd`` "1") and HTTP ``status``."""
        return self.add(Fault("error", times, path, tr_id, status, msg_cd, msg1))

    def slow(
        self,
        seconds: float,
        *,
        times: int | None = None,
        path: str | None = None,
        tr_id: str | None = None,
    ) -> Fault:
        """Answer ``seconds`` late."""
        return self.add(Fault("slow", times, path, tr_id, seconds=seconds))

    def drop(
        self, *, times: int | None = 1, path: str | None = None, tr_id: str | None = None
    ) -> Fault:
        """Close the connection after the status line and headers, before the body."""
        return self.add(Fault("drop", times, path, tr_id))

    def lose(
        self, *, times: int | None = 1, path: str | None = None, tr_id: str | None = None
    ) -> Fault:
        """Lose the request before KIS processes it (nothing happens), then cut the connection
        as :meth:`drop` does: the client cannot tell this from a reply lost after processing."""
        return self.add(Fault("lose", times, path, tr_id))

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (API calls get EGW00123)."""
        with self._lock:
            self.tokens_expired_at = self._clock()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.tokens_expired_at = None

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str, tr_id: str | None) -> Injected:
        """The faults for this request, each matching one used up once."""
        with self._lock:
            if not self._faults:
                return NOTHING
            delay = 0.0
            drop = lose = False
            error: Fault | None = None
            for fault in list(self._faults):
                if not fault.matches(path, tr_id):
                    continue
                if fault.kind == "slow":
                    delay += fault.seconds
                elif fault.kind == "drop":
                    drop = True
                elif fault.kind == "lose":
                    lose = True
                elif error is None:
                    error = fault
                else:
                    continue  # one error per request; the others wait for the next ones
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
            return Injected(delay, drop, error, lose)

    def apply(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        """The control endpoint: ``{"kind": "error"|"slow"|"drop"|"expire_tokens"|"clear", ...}``."""
        options = dict(spec)
        kind = options.pop("kind", None)
        if kind == "clear":
            self.clear()
            return {"faults": []}
        if kind == "expire_tokens":
            self.expire_tokens()
            return {"expired_at": self.tokens_expired_at}
        if kind not in ("error", "slow", "drop", "lose"):
            raise ValueError("kind must be error, slow, drop, expire_tokens or clear")
        known = {a.name for a in attrs.fields(Fault)} - {"kind"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown fault options {unknown}")
        try:
            fault = Fault(kind, **options)
        except TypeError as exc:
            raise ValueError(str(exc)) from None
        if not isinstance(fault.times, int | None) or not isinstance(fault.seconds, int | float):
            raise ValueError("times must be an integer or null, seconds a number")
        return self.add(fault).as_dict()
