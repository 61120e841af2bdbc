"""The shared fixture really starts a redis-server that answers, and restarts after stop()."""

from __future__ import annotations

import redis

from tests.redis_server import RedisServer


def test_server_answers_and_is_clean(redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url)
    assert r.ping() is True
    assert r.dbsize() == 0
    r.set("k", "v")
    assert r.get("k") == b"v"


def test_outage_then_back(redis_server: RedisServer, redis_url: str) -> None:
    r = redis.Redis.from_url(redis_url, socket_connect_timeout=0.5)
    redis_server.stop()
    try:
        r.ping()
        raise AssertionError("a stopped server answered")
    except redis.ConnectionError:
        pass
    redis_server.start()
    assert redis.Redis.from_url(redis_url).ping() is True
