"""The gateway's configuration file and command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kisapi_gateway.config import GatewayConfig
from kisapi_runtime.errors import KisConfigError

TOML = """
redis = "redis://127.0.0.1:6390/2"
consumer_timeout = 5
env = "mock"
ws_url = "ws://127.0.0.1:31000"

[[appkeys]]
appkey = "PSfirstGatewayKey01"
appsecret = "first-gateway-secret"
account = "12345678-01"
hts_id = "htsFirst"

[[appkeys]]
appkey = "PSsecondGatewayKey2"
appsecret = "second-gateway-secret"
"""


def test_a_file_lists_app_keys_sharing_the_top_level_settings(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(TOML + f'token_cache_dir = "{tmp_path}"\n'.replace("\\", "/"))
    config = GatewayConfig.load(path, environ={"KIS_GATEWAY_PREFIX": "team:gw"})
    assert [c.appkey.reveal() for c in config.app_keys] == [
        "PSfirstGatewayKey01",
        "PSsecondGatewayKey2",
    ]
    assert {c.env for c in config.app_keys} == {"mock"}
    assert config.app_keys[0].account is not None and config.app_keys[1].account is None
    assert (config.redis, config.prefix, config.consumer_timeout) == (
        "redis://127.0.0.1:6390/2",
        "team:gw",
        5,
    )
    assert "first-gateway-secret" not in repr(config)


def test_bad_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(TOML.replace("PSsecondGatewayKey2", "PSfirstGatewayKey01"))
    with pytest.raises(KisConfigError, match="listed twice"):
        GatewayConfig.load(path)
    path.write_text("maxlenn = 3\n" + TOML)
    with pytest.raises(KisConfigError, match="unknown settings maxlenn"):
        GatewayConfig.load(path)
    path.write_text(TOML + "\nappkeyy = 3\n")  # inside the last [[appkeys]] table
    with pytest.raises(KisConfigError, match="an \\[\\[appkeys\\]\\] table has an unknown setting"):
        GatewayConfig.load(path)
    path.write_text('redis = "redis://x"\n')
    with pytest.raises(KisConfigError, match=r"\[\[appkeys\]\] tables are required"):
        GatewayConfig.load(path)


def test_without_a_file_the_kis_environment_is_the_one_app_key(tmp_path: Path) -> None:
    env = {"KIS_APPKEY": "PSenvGatewayKey0001", "KIS_APPSECRET": "env-secret-0001",
           "KIS_TOKEN_CACHE_DIR": str(tmp_path), "KIS_GATEWAY_REDIS": "redis://h:1/0",
           "KIS_ENV": "mock"}  # fmt: skip
    config = GatewayConfig.load(None, environ=env)
    assert len(config.app_keys) == 1 and config.redis == "redis://h:1/0"


def test_the_command_line_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kisapi_gateway", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "--config" in out.stdout and "--redis" in out.stdout
