"""Rate budget and token in a REAL redis-server: the Lua GCRA, the issue lock, outages."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import httpx
import pytest
import redis

from kisapi_runtime import redis_limits
from kisapi_runtime.auth import TokenManager, shared_token_manager, token_cache_path
from kisapi_runtime.config import KisConfig
from kisapi_runtime.errors import KisConnectionError, KisLimitStoreError
from kisapi_runtime.limits import build_limiter
from kisapi_runtime.redis_limits import RedisRateLimiter, RedisTokenStore, store_keys
from kisapi_runtime.secret import REDACTOR
from kisapi_sandbox import Sandbox
from tests.redis_server import RedisServer

APPKEY, APPSECRET = "PSredislimits00000000000000000000000", "redis-limits-secret"
PASSWORD = "hunter2-redis-password"
TOKEN_PATH = "/oauth2/tokenP"


def config(url: str, tmp_path: Path, name: str = "m0", **more: object) -> KisConfig:
    return KisConfig(
        appkey=APPKEY,
        appsecret=APPSECRET,
        limits_url=url,
        token_cache_dir=tmp_path / name,
        **more,  # type: ignore[arg-type]
    )


def token_calls(sandbox: Sandbox) -> int:
    return sum(1 for path, _ in sandbox.calls if path == TOKEN_PATH)


# --- the rate budget ----------------------------------------------------------------------


def test_gcra_spaces_slots_at_the_rate(redis_url: str, tmp_path: Path) -> None:
    limiter = build_limiter(config(redis_url, tmp_path, rate_limit=10))
    assert isinstance(limiter, RedisRateLimiter)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4], abs=0.02)


def test_gcra_burst(redis_url: str, tmp_path: Path) -> None:
    limiter = RedisRateLimiter(config(redis_url, tmp_path), 10.0, burst=3)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2], abs=0.02)


def test_machines_never_share_a_slot(redis_url: str, tmp_path: Path) -> None:
    """Eight "machines" (own connections) reserving at once: every slot is taken exactly once.
    At 1/s the waits are whole seconds minus the few milliseconds the test takes."""
    cfg = config(redis_url, tmp_path)
    limiters = [RedisRateLimiter(cfg, 1.0) for _ in range(8)]
    barrier = threading.Barrier(len(limiters))
    waits: list[float] = []
    lock = threading.Lock()

    def run(limiter: RedisRateLimiter) -> None:
        barrier.wait()
        mine = [limiter.reserve() for _ in range(40)]
        with lock:
            waits.extend(mine)

    threads = [threading.Thread(target=run, args=(lim,)) for lim in limiters]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w) for w in waits) == list(range(320))


def test_keys_are_hashed_and_expire(redis_url: str, tmp_path: Path) -> None:
    cfg = config(redis_url, tmp_path)
    RedisRateLimiter(cfg, 5.0).reserve()
    r = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in r.keys("*")]
    assert keys == [store_keys(cfg)["rate"]]
    assert APPKEY not in keys[0] and cfg.app_id in keys[0]
    assert 0 < r.pttl(keys[0]) <= 1200 + 200  # the slot ahead plus a second: idle keys vanish


def test_async_callers_share_the_budget(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1/s, each slot is a whole second: the async path's sleeps show the slots it got."""
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(redis_limits.asyncio, "sleep", record)
    limiter = RedisRateLimiter(config(redis_url, tmp_path), 1.0)

    async def burst() -> None:
        await asyncio.gather(*(limiter.aacquire() for _ in range(5)))

    asyncio.run(burst())
    asyncio.run(burst())  # a second event loop gets its own connections
    assert sorted(round(s) for s in slept) == list(range(1, 10))
    assert round(limiter.reserve()) == 10  # the sync path continues the same schedule


# --- the token ----------------------------------------------------------------------------


def test_many_machines_one_token_request(redis_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox()
    machines = 8
    managers = [
        TokenManager(config(redis_url, tmp_path, f"m{i}"), store=RedisTokenStore(config(redis_url, tmp_path, f"m{i}")))
        for i in range(machines)
    ]  # fmt: skip
    barrier = threading.Barrier(machines)
    tokens: list[str] = []

    def run(manager: TokenManager) -> None:
        with httpx.Client(transport=sandbox.transport()) as http:
            barrier.wait()
            tokens.append(manager.get(http))

    threads = [threading.Thread(target=run, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert token_calls(sandbox) == 1
    assert len(tokens) == machines and len(set(tokens)) == 1
    stored = RedisTokenStore(config(redis_url, tmp_path)).read()
    assert stored is not None and stored.token == tokens[0] and stored.issued_at is not None
    # The token lives in Redis only: no machine wrote its disk cache.
    assert not any(
        token_cache_path(config(redis_url, tmp_path, f"m{i}")).exists() for i in range(machines)
    )
    assert not redis.Redis.from_url(redis_url).exists(
        store_keys(config(redis_url, tmp_path))["lock"]
    )


def test_async_issuers_one_token_request(redis_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox()
    cfgs = [config(redis_url, tmp_path, f"a{i}") for i in range(4)]
    managers = [TokenManager(c, store=RedisTokenStore(c)) for c in cfgs]

    async def main() -> list[str]:
        async with httpx.AsyncClient(transport=sandbox.async_transport()) as http:
            return await asyncio.gather(*(m.aget(http) for m in managers))

    tokens = asyncio.run(main())
    assert token_calls(sandbox) == 1 and len(set(tokens)) == 1


def test_invalidate_clears_the_shared_token(redis_url: str, tmp_path: Path) -> None:
    cfg = config(redis_url, tmp_path)
    store = RedisTokenStore(cfg)
    manager = TokenManager(cfg, store=store)
    with httpx.Client(transport=Sandbox().transport()) as http:
        token = manager.get(http)
    before = store.read()
    manager.invalidate(token)
    after = store.read()
    assert before is not None and after is not None
    assert after.token == "" and after.issued_at == before.issued_at  # the 1/min rule remembers


def test_client_uses_redis_for_both(redis_url: str, tmp_path: Path) -> None:
    from kisapi import Kis

    sandbox = Sandbox()
    with Kis(config(redis_url, tmp_path), transport=sandbox.transport()) as kis:
        kis.domestic_stock.inquire_price(fid_input_iscd="005930")
        assert isinstance(kis._limiter, RedisRateLimiter)
    keys = {k.decode() for k in redis.Redis.from_url(redis_url).keys("*")}
    assert keys == {store_keys(config(redis_url, tmp_path))[k] for k in ("rate", "token")}


# --- outages ------------------------------------------------------------------------------


def with_password(url: str) -> str:
    return url.replace("redis://", f"redis://:{PASSWORD}@")


def test_outage_fails_clearly_by_default(
    redis_server: RedisServer, redis_url: str, tmp_path: Path
) -> None:
    cfg = config(with_password(redis_url), tmp_path)
    assert cfg.limits_fallback == "fail"
    limiter = build_limiter(cfg)
    manager = shared_token_manager(cfg)
    redis_server.stop()
    try:
        with pytest.raises(KisLimitStoreError) as err:
            limiter.reserve()
        with pytest.raises(KisLimitStoreError) as aerr:
            asyncio.run(limiter.aacquire())
        with (
            httpx.Client(transport=Sandbox().transport()) as http,
            pytest.raises(KisConnectionError) as terr,
        ):
            manager.get(http)  # fmt: skip
    finally:
        redis_server.start()
    where = f"redis://127.0.0.1:{redis_server.port}/0"
    for exc in (err.value, aerr.value, terr.value):
        text = str(exc)
        assert where in text and PASSWORD not in text and "limits_fallback" in text
    assert PASSWORD not in repr(cfg) and REDACTOR.redact(with_password(redis_url)) == "***"


def test_outage_local_fallback_then_back(
    redis_server: RedisServer,
    redis_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(redis_limits, "RETRY_AFTER", 0.0)
    cfg = config(redis_url, tmp_path, rate_limit=20, limits_fallback="local")
    limiter = build_limiter(cfg)
    redis_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="kisapi.limits"):
            waits = [limiter.reserve() for _ in range(3)]
    finally:
        redis_server.start()
    # A quarter of the rate on this machine's own budget: 5/s.
    assert waits == pytest.approx([0.0, 0.2, 0.4], abs=0.05)
    assert "unreachable" in caplog.text and "5 calls/s" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kisapi.limits"):
        limiter.reserve()
    assert "is back" in caplog.text
    assert redis.Redis.from_url(redis_url).exists(store_keys(cfg)["rate"])


def test_token_outage_local_fallback_uses_the_disk_cache(
    redis_server: RedisServer, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(redis_url, tmp_path, limits_fallback="local")
    manager = TokenManager(cfg, store=RedisTokenStore(cfg))
    redis_server.stop()
    try:
        with (
            caplog.at_level(logging.WARNING, logger="kisapi.auth"),
            httpx.Client(transport=Sandbox().transport()) as http,
        ):
            token = manager.get(http)
    finally:
        redis_server.start()
    assert token and token_cache_path(cfg).exists()
    assert "token store" in caplog.text and "unreachable" in caplog.text


def test_limits_url_must_be_redis(tmp_path: Path) -> None:
    from kisapi_runtime.errors import KisConfigError

    with pytest.raises(KisConfigError, match="limits_url") as err:
        config(f"http://user:{PASSWORD}@example.com/", tmp_path)
    assert PASSWORD not in str(err.value)
    with pytest.raises(KisConfigError, match="limits_fallback"):
        config("redis://127.0.0.1:1/0", tmp_path, limits_fallback="sometimes")
    env = {"KIS_APPKEY": APPKEY, "KIS_APPSECRET": APPSECRET,
           "KIS_LIMITS_URL": "redis://127.0.0.1:1/2", "KIS_LIMITS_FALLBACK": "local"}  # fmt: skip
    from_env = KisConfig.from_env(env)
    assert from_env.limits_url is not None and from_env.limits_fallback == "local"
    toml = tmp_path / "kis.toml"
    toml.write_text(
        f'appkey = "{APPKEY}"\nappsecret = "{APPSECRET}"\n'
        f'limits_url = "redis://:{PASSWORD}@10.0.0.5:6380/3"\nshared_limits = false\n'
    )
    from_file = KisConfig.from_file(toml)
    assert from_file.limits_url is not None and from_file.shared_limits is False
    assert RedisTokenStore(from_file).where == "redis://10.0.0.5:6380/3"
    assert PASSWORD not in repr(from_file)
