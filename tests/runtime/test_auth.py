"""Token manager, approval key and hashkey against a fake KIS (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock
import httpx
import pytest

from kisapi_runtime import auth
from kisapi_runtime.auth import (
    ISSUE_INTERVAL,
    ApprovalKeyManager,
    TokenManager,
    ahashkey,
    hashkey,
    shared_token_manager,
    token_cache_path,
)
from kisapi_runtime.client import SyncClient
from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import KisApiError, KisAuthError, KisConnectionError, KisTimeoutError
from kisapi_runtime.secret import REDACTOR

APPKEY = "PSauthTestAppKey0123456789abcdef"
APPSECRET = "authTestAppSecret/+=0123456789abcdefghijklmnopqrstuvwxyz"
TOKEN_PATH = "/oauth2/tokenP"


class FakeClock:
    """Epoch clock that moves only when told to; its sleeps record the wait and advance it."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class FakeKis:
    """Answers the auth endpoints; ``script[path]`` queues canned responses or exceptions."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: defaultdict[str, list[httpx.Response | Exception]] = defaultdict(list)
        self.delay = 0.0
        self.issued = 0
        self._lock = threading.Lock()

    def count(self, path: str = TOKEN_PATH) -> int:
        return sum(1 for r in self.requests if r.url.path == path)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path]

    def _respond(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            path = request.url.path
            if self.script[path]:
                item = self.script[path].pop(0)
                if isinstance(item, Exception):
                    raise item
                return item
            if path == TOKEN_PATH:
                self.issued += 1
                return httpx.Response(200, json=token_body(f"eyJ0eXAi.token{self.issued}.sig"))
            if path == "/oauth2/revokeP":
                return httpx.Response(200, json={"code": 200, "message": "revoked"})
            if path == "/oauth2/Approval":
                return httpx.Response(200, json={"approval_key": f"approval-{len(self.requests)}"})
            if path == "/uapi/hashkey":
                body = json.loads(request.content)
                return httpx.Response(200, json={"BODY": body, "HASH": "hash-of-" + body["PDNO"]})
            return httpx.Response(404, json={"error_code": "NOPE", "error_description": path})

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            time.sleep(self.delay)
        return self._respond(request)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._respond(request)


def token_body(token: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": token,
        "access_token_token_expired": "2099-01-01 00:00:00",
        "token_type": "Bearer",
        "expires_in": 86400,
    }
    body.update(extra)
    return body


def kis_error(code: str, text: str, status: int = 403) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "error_description": text})


@pytest.fixture
def auth_config(tmp_path: Path) -> KisConfig:
    return KisConfig(
        appkey=APPKEY,
        appsecret=APPSECRET,
        env="mock",
        rest_url="https://kis.test",
        token_cache_dir=tmp_path / "cache" / "kisapi",
    )


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_kis() -> FakeKis:
    return FakeKis()


@pytest.fixture
def http(fake_kis: FakeKis) -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(fake_kis.handler)) as client:
        yield client


@pytest.fixture
async def ahttp(fake_kis: FakeKis) -> Any:
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake_kis.ahandler)) as client:
        yield client


def manager(config: KisConfig, clock: FakeClock, **kwargs: Any) -> TokenManager:
    kwargs.setdefault("sleep", clock.sleep)
    return TokenManager(config, clock=clock, asleep=clock.asleep, **kwargs)


def cache_content(config: KisConfig) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(token_cache_path(config).read_text())
    return data


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- issuing and reuse --------------------------------------------------------------------


def test_issues_once_then_reuses_from_memory(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    first = tokens.get(http)
    fake_clock.advance(3600)
    assert tokens.get(http) == first == "eyJ0eXAi.token1.sig"
    assert fake_kis.count() == 1
    request = fake_kis.requests[0]
    assert str(request.url) == "https://kis.test/oauth2/tokenP"
    assert request.headers["content-type"].startswith("application/json")
    assert json.loads(request.content) == {
        "grant_type": "client_credentials",
        "appkey": APPKEY,
        "appsecret": APPSECRET,
    }
    assert REDACTOR.redact(f"token={first}") == "token=***"
    assert fake_clock.sleeps == []


def test_second_manager_reuses_the_disk_cache(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    token = manager(auth_config, fake_clock).get(http)
    other_process = manager(auth_config, fake_clock)
    assert other_process.get(http) == token
    assert fake_kis.count() == 1


def test_cache_file_and_directory_are_private(
    auth_config: KisConfig, fake_clock: FakeClock, http: httpx.Client
) -> None:
    old_umask = os.umask(0)  # even a permissive umask must not widen the modes
    try:
        token = manager(auth_config, fake_clock).get(http)
    finally:
        os.umask(old_umask)
    path = token_cache_path(auth_config)
    assert path.parent == auth_config.token_cache_dir
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(Path(str(path) + ".lock")) == 0o600
    assert cache_content(auth_config) == {
        "access_token": token,
        "expires_at": fake_clock.now + 86400,
        "issued_at": fake_clock.now,
    }
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_cache_file_name_hides_the_appkey_and_separates_envs(auth_config: KisConfig) -> None:
    path = token_cache_path(auth_config)
    assert APPKEY not in str(path)
    real = KisConfig(appkey=APPKEY, appsecret=APPSECRET, env="real")
    mock = KisConfig(appkey=APPKEY, appsecret=APPSECRET, env="mock")
    other = KisConfig(appkey=APPKEY + "x", appsecret=APPSECRET, env="real")
    names = {token_cache_path(c).name for c in (auth_config, real, mock, other)}
    assert len(names) == 4


def test_refreshes_when_expiry_is_within_the_margin(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock, refresh_margin=600)
    first = tokens.get(http)
    fake_clock.advance(86400 - 601)
    assert tokens.get(http) == first
    fake_clock.advance(2)
    second = tokens.get(http)
    assert second != first
    assert fake_kis.count() == 2
    assert fake_clock.sleeps == []  # the last issue was a day ago
    # Another process sees the refreshed token, not the old one.
    assert manager(auth_config, fake_clock).get(http) == second


def test_expired_disk_token_is_not_used(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    first = manager(auth_config, fake_clock).get(http)
    fake_clock.advance(86400 + 1)
    assert manager(auth_config, fake_clock).get(http) != first
    assert fake_kis.count() == 2


def test_expiry_falls_back_to_the_kst_timestamp(
    auth_config: KisConfig, fake_kis: FakeKis, http: httpx.Client
) -> None:
    clock = FakeClock(datetime(2024, 1, 1, 0, 0, tzinfo=UTC).timestamp())
    body = token_body("eyJ0eXAi.kst.sig", access_token_token_expired="2024-01-02 09:00:00")
    del body["expires_in"]
    fake_kis.script[TOKEN_PATH].append(httpx.Response(200, json=body))
    manager(auth_config, clock).get(http)
    expected = datetime(2024, 1, 2, 0, 0, tzinfo=UTC).timestamp()  # 09:00 KST = 00:00 UTC
    assert cache_content(auth_config)["expires_at"] == expected


def test_corrupt_cache_file_is_replaced(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    path = token_cache_path(auth_config)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    token = manager(auth_config, fake_clock).get(http)
    assert cache_content(auth_config)["access_token"] == token
    assert fake_kis.count() == 1


def test_unusable_cache_dir_falls_back_to_memory(
    tmp_path: Path,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = KisConfig(appkey=APPKEY, appsecret=APPSECRET, token_cache_dir=blocker / "sub")
    tokens = manager(config, fake_clock)
    with caplog.at_level(logging.WARNING, logger="kisapi.auth"):
        first = tokens.get(http)
    assert "memory only" in caplog.text
    assert tokens.get(http) == first
    tokens.invalidate(first)
    tokens.get(http)  # the 1/min rule still holds without the disk
    assert fake_clock.sleeps == [pytest.approx(60)]
    assert fake_kis.count() == 2


class BrokenLock:
    """A file lock on a file system that refuses locks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def acquire(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("read-only file system")

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc: object) -> None:
        pass


class BrokenAsyncLock(BrokenLock):
    async def acquire(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        raise PermissionError("read-only file system")


async def test_unlockable_cache_still_issues(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    ahttp: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(filelock, "FileLock", BrokenLock)
    monkeypatch.setattr(auth, "_async_file_lock", lambda: BrokenAsyncLock)
    tokens = manager(auth_config, fake_clock)
    token = tokens.get(http)
    assert await tokens.aget(ahttp) == token
    tokens.invalidate(token)  # cannot lock either: memory only, no crash
    assert await tokens.aget(ahttp) != token
    assert "cannot lock the token cache" in caplog.text
    assert fake_kis.count() == 2


# --- the one-issue-a-minute rule ----------------------------------------------------------


def test_reissue_right_after_an_issue_waits_for_the_minute(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens = manager(auth_config, fake_clock)
    first = tokens.get(http)
    issued_at = fake_clock.now
    fake_clock.advance(5)
    tokens.invalidate(first)
    on_disk = cache_content(auth_config)
    assert on_disk["access_token"] == "" and on_disk["issued_at"] == issued_at
    with caplog.at_level(logging.WARNING, logger="kisapi.auth"):
        second = tokens.get(http)
    assert second != first
    assert fake_clock.sleeps == [pytest.approx(55)]
    assert fake_clock.now == pytest.approx(issued_at + 60)
    assert fake_kis.count() == 2
    assert any(r.levelno == logging.WARNING and "waiting" in r.getMessage() for r in caplog.records)


def test_one_issue_a_minute_holds_across_processes(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    first_process = manager(auth_config, fake_clock)
    token = first_process.get(http)
    first_process.invalidate(token)
    manager(auth_config, fake_clock).get(http)
    assert fake_clock.sleeps == [pytest.approx(60)]
    assert fake_kis.count() == 2


async def test_async_reissue_waits_with_asleep(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    tokens = manager(auth_config, fake_clock, sleep=pytest.fail)
    first = await tokens.aget(ahttp)
    tokens.invalidate(first)
    assert await tokens.aget(ahttp) != first
    assert fake_clock.sleeps == [pytest.approx(60)]
    assert fake_kis.count() == 2


def test_invalidate_leaves_a_newer_token_alone(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    current = tokens.get(http)
    tokens.invalidate("eyJ0eXAi.an-older-token.sig")
    assert tokens.get(http) == current
    assert cache_content(auth_config)["access_token"] == current
    assert fake_kis.count() == 1


def test_kis_may_hand_the_refused_token_out_again(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    token = tokens.get(http)
    tokens.invalidate(token)
    fake_kis.script[TOKEN_PATH].append(httpx.Response(200, json=token_body(token)))
    assert tokens.get(http) == token
    assert tokens.get(http) == token  # accepted, not refused again
    assert manager(auth_config, fake_clock).get(http) == token
    assert fake_kis.count() == 2


def test_egw00133_waits_a_minute_and_retries_once(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    fake_kis.script[TOKEN_PATH].append(
        kis_error("EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)")
    )
    token = manager(auth_config, fake_clock).get(http)
    assert token == "eyJ0eXAi.token1.sig"
    assert fake_clock.sleeps == [pytest.approx(60)]
    assert fake_kis.count() == 2


async def test_egw00133_twice_raises(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    fake_kis.script[TOKEN_PATH] += [kis_error("EGW00133", "1분당 1회")] * 2
    with pytest.raises(KisAuthError) as info:
        await manager(auth_config, fake_clock).aget(ahttp)
    assert info.value.msg_cd == "EGW00133"
    assert fake_clock.sleeps == [pytest.approx(60)]
    assert fake_kis.count() == 2


# --- errors -------------------------------------------------------------------------------


def test_403_raises_auth_error_without_secrets(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    token = tokens.get(http)
    fake_clock.advance(86400)
    # Even a description that echoes the credentials must not carry them into the message.
    echo = f"유효하지 않은 AppKey입니다. appkey={APPKEY} appsecret={APPSECRET} token={token}"
    fake_kis.script[TOKEN_PATH].append(kis_error("EGW00103", echo))
    with pytest.raises(KisAuthError) as info:
        tokens.get(http)
    error = info.value
    assert (error.rt_cd, error.msg_cd, error.status_code) == (None, "EGW00103", 403)
    assert "EGW00103" in str(error) and "AppKey" in str(error)
    for text in (str(error), repr(error), error.msg1):
        assert APPKEY not in text and APPSECRET not in text and token not in text
    assert fake_kis.count() == 2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>gateway</html>"),
        httpx.Response(200, json={"token_type": "Bearer"}),
        httpx.Response(500, json={"rt_cd": "1", "msg_cd": "EGW00001", "msg1": "system error"}),
    ],
)
def test_unusable_issue_responses_raise(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    response: httpx.Response,
) -> None:
    fake_kis.script[TOKEN_PATH].append(response)
    with pytest.raises(KisAuthError) as info:
        manager(auth_config, fake_clock).get(http)
    assert info.value.status_code == response.status_code
    assert not token_cache_path(auth_config).exists()


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), KisConnectionError),
        (httpx.ReadTimeout("slow"), KisTimeoutError),
    ],
)
def test_transport_errors_are_mapped(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    exc: Exception,
    expected: type[Exception],
) -> None:
    fake_kis.script[TOKEN_PATH].append(exc)
    with pytest.raises(expected) as info:
        manager(auth_config, fake_clock).get(http)
    assert "/oauth2/tokenP" in str(info.value)
    assert info.value.__cause__ is None


def test_repr_shows_no_secret(
    auth_config: KisConfig, fake_clock: FakeClock, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    approval = ApprovalKeyManager(auth_config)
    token = tokens.get(http)
    key = approval.get(http)
    for text in (repr(tokens), str(tokens), repr(approval)):
        for secret in (APPKEY, APPSECRET, token, key):
            assert secret not in text
    assert repr(tokens) == "TokenManager(env='mock', token=cached)"


# --- concurrency --------------------------------------------------------------------------


def join_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join()


def run_threads(count: int, target: Any) -> list[Any]:
    results: list[Any] = []
    barrier = threading.Barrier(count)

    def work() -> None:
        barrier.wait()
        results.append(target())

    threads = [threading.Thread(target=work) for _ in range(count)]
    for t in threads:
        t.start()
    join_all(threads)
    return results


def test_ten_threads_trigger_one_issue(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    fake_kis.delay = 0.05
    tokens = manager(auth_config, fake_clock)
    results = run_threads(10, lambda: tokens.get(http))
    assert len(results) == 10 and len(set(results)) == 1
    assert fake_kis.count() == 1


def test_two_processes_worth_of_threads_trigger_one_issue(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    fake_kis.delay = 0.05
    managers = [manager(auth_config, fake_clock) for _ in range(2)]
    counter = iter(range(10))
    lock = threading.Lock()

    def get() -> str:
        with lock:
            which = next(counter) % 2
        return managers[which].get(http)

    results = run_threads(10, get)
    assert len(set(results)) == 1
    assert fake_kis.count() == 1


async def test_ten_tasks_trigger_one_issue(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    fake_kis.delay = 0.05
    tokens = manager(auth_config, fake_clock)
    results = await asyncio.gather(*(tokens.aget(ahttp) for _ in range(10)))
    assert len(set(results)) == 1
    assert fake_kis.count() == 1


async def test_threads_and_tasks_together_trigger_one_issue(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    ahttp: httpx.AsyncClient,
) -> None:
    fake_kis.delay = 0.05
    tokens = manager(auth_config, fake_clock)
    from_threads: list[str] = []
    threads = [
        threading.Thread(target=lambda: from_threads.append(tokens.get(http))) for _ in range(10)
    ]
    for t in threads:
        t.start()
    from_tasks = await asyncio.gather(*(tokens.aget(ahttp) for _ in range(10)))
    await asyncio.to_thread(join_all, threads)
    assert len(from_threads) == 10
    assert len(set(from_threads) | set(from_tasks)) == 1
    assert fake_kis.count() == 1


# --- revoke -------------------------------------------------------------------------------


def test_revoke_sends_the_token_and_clears_the_cache(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    token = tokens.get(http)
    tokens.revoke(http)
    assert fake_kis.bodies("/oauth2/revokeP") == [
        {"appkey": APPKEY, "appsecret": APPSECRET, "token": token}
    ]
    assert cache_content(auth_config)["access_token"] == ""
    assert tokens.get(http) != token
    assert fake_clock.sleeps == [pytest.approx(60)]  # revoking does not lift the 1/min rule


async def test_arevoke_uses_the_disk_token_and_reports_errors(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    token = await manager(auth_config, fake_clock).aget(ahttp)
    fake_kis.script["/oauth2/revokeP"].append(kis_error("EGW00121", f"bad token {token}"))
    with pytest.raises(KisAuthError) as info:
        await manager(auth_config, fake_clock).arevoke(ahttp)
    assert info.value.msg_cd == "EGW00121" and token not in str(info.value)
    assert fake_kis.bodies("/oauth2/revokeP")[0]["token"] == token
    assert cache_content(auth_config)["access_token"] == ""


def test_revoke_without_a_token_sends_nothing(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    manager(auth_config, fake_clock).revoke(http)
    assert fake_kis.requests == []


# --- approval key -------------------------------------------------------------------------


def test_approval_key_is_issued_once_and_redacted(
    auth_config: KisConfig, fake_kis: FakeKis, http: httpx.Client
) -> None:
    approval = ApprovalKeyManager(auth_config)
    key = approval.get(http)
    assert approval.get(http) == key
    assert fake_kis.bodies("/oauth2/Approval") == [
        {"grant_type": "client_credentials", "appkey": APPKEY, "secretkey": APPSECRET}
    ]
    assert REDACTOR.redact(key) == "***"
    approval.invalidate()
    assert approval.get(http) != key
    assert fake_kis.count("/oauth2/Approval") == 2


async def test_approval_key_async_concurrent(
    auth_config: KisConfig, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    fake_kis.delay = 0.02
    approval = ApprovalKeyManager(auth_config)
    keys = await asyncio.gather(*(approval.aget(ahttp) for _ in range(5)))
    assert len(set(keys)) == 1
    assert fake_kis.count("/oauth2/Approval") == 1


def test_approval_key_error(auth_config: KisConfig, fake_kis: FakeKis, http: httpx.Client) -> None:
    fake_kis.script["/oauth2/Approval"].append(kis_error("EGW00105", f"invalid {APPSECRET}"))
    with pytest.raises(KisAuthError) as info:
        ApprovalKeyManager(auth_config).get(http)
    assert info.value.msg_cd == "EGW00105" and APPSECRET not in str(info.value)


# --- hashkey ------------------------------------------------------------------------------

ORDER = {"CANO": "50000000", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_QTY": "1"}


def test_hashkey_request_shape(
    auth_config: KisConfig, fake_kis: FakeKis, http: httpx.Client
) -> None:
    assert hashkey(http, auth_config, ORDER) == "hash-of-005930"
    request = fake_kis.requests[0]
    assert (request.method, str(request.url)) == ("POST", "https://kis.test/uapi/hashkey")
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["appkey"] == APPKEY
    assert request.headers["appsecret"] == APPSECRET
    assert "authorization" not in request.headers
    assert json.loads(request.content) == ORDER


async def test_ahashkey(
    auth_config: KisConfig, fake_kis: FakeKis, ahttp: httpx.AsyncClient
) -> None:
    assert await ahashkey(ahttp, auth_config, ORDER) == "hash-of-005930"
    assert json.loads(fake_kis.requests[0].content) == ORDER


def test_hashkey_errors(auth_config: KisConfig, fake_kis: FakeKis, http: httpx.Client) -> None:
    fake_kis.script["/uapi/hashkey"] += [
        kis_error("EGW00103", "invalid appkey"),
        httpx.Response(500, text="oops"),
    ]
    with pytest.raises(KisAuthError):
        hashkey(http, auth_config, ORDER)
    with pytest.raises(KisApiError) as info:
        hashkey(http, auth_config, ORDER)
    assert not isinstance(info.value, KisAuthError) and info.value.status_code == 500


# --- hardening: a stepped-back clock, symlinks, loose permissions, one manager per key ------


def write_cache(config: KisConfig, token: str, issued_at: float, expires_at: float) -> Path:
    path = token_cache_path(config)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {"access_token": token, "issued_at": issued_at, "expires_at": expires_at}
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)
    return path


def test_a_cache_from_the_future_is_ignored_and_the_wait_is_capped(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = fake_clock()
    write_cache(auth_config, "future-token-abcdef", now + 3600, now + 90_000)
    tokens = manager(auth_config, fake_clock)
    with caplog.at_level(logging.WARNING, logger="kisapi"):
        token = tokens.get(http)
    assert token == "eyJ0eXAi.token1.sig" and fake_kis.count() == 1
    assert sum(fake_clock.sleeps) <= ISSUE_INTERVAL
    assert "future" in caplog.text


def test_the_wait_before_an_issue_never_exceeds_a_minute(
    auth_config: KisConfig, fake_clock: FakeClock, fake_kis: FakeKis, http: httpx.Client
) -> None:
    tokens = manager(auth_config, fake_clock)
    tokens.get(http)
    tokens._last_issue = fake_clock() + 3600  # the clock stepped back an hour
    tokens.invalidate("eyJ0eXAi.token1.sig")
    tokens.get(http)
    assert fake_clock.sleeps and max(fake_clock.sleeps) <= ISSUE_INTERVAL
    assert fake_kis.count() == 2


def test_a_symlinked_cache_is_refused(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = fake_clock()
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(json.dumps({"access_token": "planted-token-xyz", "issued_at": now - 10,
                                     "expires_at": now + 80_000}))  # fmt: skip
    os.chmod(elsewhere, 0o600)
    path = token_cache_path(auth_config)
    path.parent.mkdir(parents=True, mode=0o700)
    path.symlink_to(elsewhere)
    with caplog.at_level(logging.WARNING, logger="kisapi"):
        token = manager(auth_config, fake_clock).get(http)
    assert token != "planted-token-xyz" and fake_kis.count() == 1
    assert "symbolic link" in caplog.text
    assert not path.is_symlink()  # the fresh token replaced the link, not the file behind it
    assert json.loads(elsewhere.read_text())["access_token"] == "planted-token-xyz"


def test_loose_permissions_are_tightened_with_a_warning(
    auth_config: KisConfig,
    fake_clock: FakeClock,
    fake_kis: FakeKis,
    http: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = fake_clock()
    path = write_cache(auth_config, "cached-token-abcdef", now - 10, now + 80_000)
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o777)
    with caplog.at_level(logging.WARNING, logger="kisapi"):
        token = manager(auth_config, fake_clock).get(http)
    assert token == "cached-token-abcdef" and fake_kis.count() == 0
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert "owner-only" in caplog.text


def test_clients_of_one_process_share_one_token_manager(tmp_path: Path) -> None:
    issued: list[int] = []

    def kis(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/tokenP":
            issued.append(1)
            return httpx.Response(200, json={"access_token": f"tok-{len(issued)}-abcdef",
                                             "expires_in": 86400})  # fmt: skip
        return httpx.Response(200, json={"rt_cd": "0"})

    # A cache directory that cannot be created: no disk cache to share through.
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = {"appkey": "PSshared0123456789", "appsecret": "shared-secret-0123456789",
                "env": "real", "token_cache_dir": blocker / "cache", "rate_limit": 0}  # fmt: skip
    one = SyncClient(KisConfig(**settings), transport=httpx.MockTransport(kis))
    two = SyncClient(KisConfig(**settings), transport=httpx.MockTransport(kis))
    assert one._tokens is two._tokens
    assert one._tokens.get(one._http) == two._tokens.get(two._http)
    assert len(issued) == 1
    other_env = KisConfig(**{**settings, "env": "mock"})
    assert shared_token_manager(other_env) is not one._tokens
