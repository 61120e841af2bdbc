"""How a user builds a client: keyword settings, a KisConfig, or the KIS_* environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from kisapi import AsyncKis, Kis, KisConfig, KisConfigError


def test_keyword_settings(tmp_path: Path) -> None:
    with Kis(
        appkey="PSkw123456", appsecret="kwsecret123", env="mock", token_cache_dir=tmp_path
    ) as kis:
        assert kis.config.env == "mock" and kis.is_mock
        assert kis.config.calls_per_second == 2.0


def test_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIS_APPKEY", "PSenv123456")
    monkeypatch.setenv("KIS_APPSECRET", "envsecret123")
    monkeypatch.setenv("KIS_ACCOUNT", "12345678-01")
    monkeypatch.setenv("KIS_TOKEN_CACHE_DIR", str(tmp_path))
    with Kis.from_env(rate_limit=7) as kis:
        assert kis.config.appkey.reveal() == "PSenv123456"
        assert kis.config.account is not None and kis.config.account.cano == "12345678"
        assert kis.config.calls_per_second == 7
    with Kis() as bare:  # no arguments: the environment too
        assert bare.config.appsecret.reveal() == "envsecret123"


async def test_async_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIS_APPKEY", "PSenv123456")
    monkeypatch.setenv("KIS_APPSECRET", "envsecret123")
    async with AsyncKis.from_env(env="mock", token_cache_dir=tmp_path) as kis:
        assert kis.config.env == "mock"


def test_config_object_and_conflicts(tmp_path: Path) -> None:
    config = KisConfig(appkey="PScfg123456", appsecret="cfgsecret123", token_cache_dir=tmp_path)
    with Kis(config) as kis:
        assert kis.config is config
    with pytest.raises(TypeError, match="either a KisConfig or keyword settings"):
        Kis(config, env="mock")


def test_missing_credentials_say_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIS_APPKEY", raising=False)
    monkeypatch.delenv("KIS_APPSECRET", raising=False)
    monkeypatch.delenv("KIS_CONFIG", raising=False)
    with pytest.raises(KisConfigError, match="KIS_APPKEY"):
        Kis()
