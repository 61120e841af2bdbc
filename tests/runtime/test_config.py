"""Configuration from arguments, environment and TOML files; secrets never print."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from kisapi_runtime import config as config_module
from kisapi_runtime.config import Account, KisConfig
from kisapi_runtime.errors import KisConfigError

ENV = {
    "KIS_APPKEY": "PSenvappkey000001",
    "KIS_APPSECRET": "envsecret-abcdefgh",
    "KIS_ACCOUNT": "87654321-03",
    "KIS_ENV": "mock",
    "KIS_HTS_ID": "myhtsid",
    "KIS_REST_URL": "http://127.0.0.1:9999/",
}


def test_from_env() -> None:
    config = KisConfig.from_env(ENV)
    assert config.appkey.reveal() == "PSenvappkey000001"
    assert config.account == Account("87654321", "03")
    assert config.env == "mock" and config.is_mock
    assert config.base_url == "http://127.0.0.1:9999"
    assert config.calls_per_second == 2.0
    assert config.hts_id is not None and config.hts_id.reveal() == "myhtsid"


def test_from_env_overrides_and_defaults() -> None:
    creds = {"KIS_APPKEY": "k" * 10, "KIS_APPSECRET": "s" * 10}
    config = KisConfig.from_env({**creds, "KIS_ENV": "real"}, rate_limit=5)
    assert config.env == "real" and config.calls_per_second == 5
    assert config.base_url == "https://openapi.koreainvestment.com:9443"
    assert config.websocket_url == "ws://ops.koreainvestment.com:21000"


@pytest.fixture
def unwarned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The no-env warning is once per process: make this test the first to trigger it."""
    monkeypatch.setattr(config_module, "_MOCK_DEFAULT_WARNED", False)


@pytest.mark.usefixtures("unwarned")
def test_no_env_means_mock_with_one_warning() -> None:
    creds = {"KIS_APPKEY": "k" * 10, "KIS_APPSECRET": "s" * 10}
    with pytest.warns(UserWarning, match="mock \\(paper trading\\).*env='real'"):
        config = KisConfig.from_env(creds)
    assert config.env == "mock" and config.is_mock
    assert config.base_url == "https://openapivts.koreainvestment.com:29443"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process, not on every client
        assert KisConfig(appkey="a" * 8, appsecret="b" * 8).env == "mock"


@pytest.mark.usefixtures("unwarned")
def test_explicit_env_never_warns() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert KisConfig(appkey="a" * 8, appsecret="b" * 8, env="real").env == "real"
        assert KisConfig(appkey="a" * 8, appsecret="b" * 8, env="mock").env == "mock"


@pytest.mark.usefixtures("unwarned")
def test_toml_without_env_picks_the_mock_table(tmp_path: Path) -> None:
    path = tmp_path / "kis.toml"
    path.write_text(
        '[real]\nappkey = "realkey123"\nappsecret = "realsecret1"\n'
        '[mock]\nappkey = "mockkey123"\nappsecret = "mocksecret1"\n'
    )
    config = KisConfig.from_file(path)
    assert config.env == "mock" and config.appkey.reveal() == "mockkey123"
    top = tmp_path / "top.toml"
    top.write_text('appkey = "topkey1234"\nappsecret = "topsecret1"\n')
    with pytest.warns(UserWarning, match="mock"):
        assert KisConfig.from_file(top).env == "mock"
    top.write_text('env = "real"\nappkey = "topkey1234"\nappsecret = "topsecret1"\n')
    assert KisConfig.from_file(top).env == "real"


def test_missing_credentials_named() -> None:
    with pytest.raises(KisConfigError, match="KIS_APPKEY"):
        KisConfig.from_env({})


def test_toml_file_with_environment_tables(tmp_path: Path) -> None:
    path = tmp_path / "kis.toml"
    path.write_text(
        'env = "mock"\ntimeout = 3.5\n[real]\nappkey = "realkey123"\nappsecret = "realsecret1"\n'
        '[mock]\nappkey = "mockkey123"\nappsecret = "mocksecret1"\naccount = "50000000-01"\n'
    )
    mock = KisConfig.from_file(path)
    assert mock.env == "mock" and mock.appkey.reveal() == "mockkey123" and mock.timeout == 3.5
    real = KisConfig.from_file(path, env="real")
    assert real.env == "real" and real.appkey.reveal() == "realkey123" and real.account is None
    via_env = KisConfig.from_env(
        {"KIS_CONFIG": str(path), "KIS_ENV": "real", "KIS_APPKEY": "override1"}
    )
    assert via_env.appkey.reveal() == "override1" and via_env.appsecret.reveal() == "realsecret1"


def test_unknown_file_keys_rejected(tmp_path: Path) -> None:
    path = tmp_path / "kis.toml"
    path.write_text('appkey = "a1234"\nappsecret = "b1234"\napp_key = "typo"\n')
    with pytest.raises(KisConfigError, match="app_key"):
        KisConfig.from_file(path)


@pytest.mark.parametrize("bad", ["1234567801x", "123-45", "", "abcdefgh-01"])
def test_bad_account(bad: str) -> None:
    with pytest.raises(KisConfigError, match="12345678-01"):
        Account.parse(bad)


def test_bad_env() -> None:
    with pytest.raises(KisConfigError, match="real"):
        KisConfig(appkey="a" * 8, appsecret="b" * 8, env="paper")  # type: ignore[arg-type]


def test_repr_hides_secrets() -> None:
    config = KisConfig.from_env(ENV)
    text = repr(config) + str(config.account) + repr(config.appkey) + str(config.hts_id)
    for secret in ("PSenvappkey000001", "envsecret-abcdefgh", "87654321", "myhtsid"):
        assert secret not in text
    assert "8765****-03" in text


def test_import_is_lazy() -> None:
    code = (
        "import sys, kisapi; "
        "assert 'httpx' not in sys.modules and 'kisapi_runtime.client' not in sys.modules, sorted(sys.modules); "
        "kisapi.Kis; assert 'httpx' in sys.modules; "
        "assert not any(m.startswith('kisapi.domestic_stock') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
