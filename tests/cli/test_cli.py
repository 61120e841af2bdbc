"""``kisapi`` as a user runs it: a subprocess with KIS_* variables, against the sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kisapi_sandbox.server import SandboxServer, serve

ACCOUNT = "12345678-01"


def kisapi(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KIS_")}
    return subprocess.run(
        [sys.executable, "-m", "kisapi", *args],
        capture_output=True, text=True, env={**base, **(env or {})}, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve(ws_port=0, realtime={"tick_interval": 0.05}) as s:
        yield s


@pytest.fixture
def kis_env(server: SandboxServer, tmp_path: Path) -> dict[str, str]:
    return {
        "KIS_APPKEY": ("PS" + uuid.uuid4().hex + "SANDBOX")[:36],
        "KIS_APPSECRET": "sandbox-appsecret",
        "KIS_ACCOUNT": ACCOUNT,
        "KIS_ENV": "real",
        "KIS_REST_URL": server.rest_url,
        "KIS_WS_URL": server.ws_url("real"),
        "KIS_TOKEN_CACHE_DIR": str(tmp_path / "tokens"),
    }


def test_help_lists_the_commands_and_exit_codes() -> None:
    done = kisapi("--help")
    assert done.returncode == 0, done.stderr
    for word in ("apis", "call", "stream", "sandbox", "Exit codes"):
        assert word in done.stdout


def test_apis_finds_by_korean_title_and_fails_on_nothing() -> None:
    done = kisapi("apis", "주식현재가", "--json")
    assert done.returncode == 0, done.stderr
    ids = [row["id"] for row in json.loads(done.stdout)]
    assert "domestic_stock.inquire_price" in ids
    assert kisapi("apis", "no-such-api-anywhere").returncode == 2


def test_call_help_comes_from_the_spec() -> None:
    done = kisapi("call", "domestic_stock.inquire_price", "--help")
    assert done.returncode == 0, done.stderr
    assert "--fid-input-iscd" in done.stdout
    assert "FHKST01010100" in done.stdout
    assert "J=KRX" in done.stdout


def test_call_quote_against_the_sandbox_as_json(kis_env: dict[str, str]) -> None:
    done = kisapi(
        "call", "domestic_stock.inquire_price", "--fid-input-iscd", "005930", "--json", env=kis_env
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["rt_cd"] == "0"
    assert isinstance(body["output"]["stck_prpr"], int)


def test_call_by_tr_id_as_csv(kis_env: dict[str, str]) -> None:
    done = kisapi(
        "call", "FHKST03010100", "--fid-input-iscd", "005930", "--fid-input-date-1", "2026-01-01",
        "--fid-input-date-2", "20260130", "--fid-period-div-code", "D", "--fid-org-adj-prc", "0",
        "--csv", env=kis_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("stck_bsop_date,stck_clpr")
    assert len(lines) > 1


def test_order_is_a_dry_run_without_execute(kis_env: dict[str, str]) -> None:
    # nothing listens on port 9: a request that left the machine would fail with exit code 6
    env = {**kis_env, "KIS_REST_URL": "http://127.0.0.1:9"}
    args = ("call", "domestic_stock.order_cash", "--side", "buy", "--pdno", "005930",
            "--ord-dvsn", "00", "--ord-qty", "1", "--ord-unpr", "70000", "--json")  # fmt: skip
    done = kisapi(*args, env=env)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["dry_run"] is True
    request = shown["request"]
    assert request["method"] == "POST"
    assert request["url"].endswith("/uapi/domestic-stock/v1/trading/order-cash")
    assert request["headers"]["tr_id"] == "TTTC0012U"
    assert request["body"]["ORD_QTY"] == "1"
    for secret in (kis_env["KIS_APPKEY"], kis_env["KIS_APPSECRET"], "12345678"):
        assert secret not in done.stdout + done.stderr


def test_order_is_sent_with_execute(kis_env: dict[str, str]) -> None:
    args = ("call", "domestic_stock.order_cash", "--side", "buy", "--pdno", "005930",
            "--ord-dvsn", "00", "--ord-qty", "1", "--ord-unpr", "70000", "--json", "--execute")  # fmt: skip
    done = kisapi(*args, env=kis_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output"]["odno"]


@pytest.mark.parametrize(
    ("args", "env_change", "code"),
    [
        (("--ord-qty", "x"), {}, 2),  # click: not an integer
        (("--ord-qty", "1", "--ord-dvsn", "99"), {}, 2),  # not an order division code
        (("--ord-qty", "1"), {"KIS_APPKEY": ""}, 3),  # no configuration
    ],
)
def test_exit_codes(
    kis_env: dict[str, str], args: tuple[str, ...], env_change: dict[str, str], code: int
) -> None:
    base = ("call", "domestic_stock.order_cash", "--pdno", "005930", "--ord-unpr", "70000")
    done = kisapi(*base, *args, env={**kis_env, **env_change})
    assert done.returncode == code, done.stdout + done.stderr


def test_missing_required_field_names_api_and_field(kis_env: dict[str, str]) -> None:
    done = kisapi("call", "domestic_stock.inquire_price", env=kis_env)
    assert done.returncode == 2
    assert "domestic_stock.inquire_price" in done.stderr
    assert "fid_input_iscd" in done.stderr


def test_rejected_by_kis_is_exit_code_4(server: SandboxServer, kis_env: dict[str, str]) -> None:
    server.faults.error(
        status=200,
        msg_cd="40240000",
        msg1="모의투자 잔고내역이 없습니다",
        path="/uapi/domestic-stock/v1/trading/order-cash",
    )
    args = ("call", "domestic_stock.order_cash", "--side", "sell", "--pdno", "005930",
            "--ord-dvsn", "00", "--ord-qty", "1", "--ord-unpr", "70000", "--execute")  # fmt: skip
    done = kisapi(*args, env=kis_env)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "KisOrderRejectedError" in done.stderr


def test_network_failure_is_exit_code_6(kis_env: dict[str, str]) -> None:
    env = {**kis_env, "KIS_REST_URL": "http://127.0.0.1:9"}
    done = kisapi("call", "domestic_stock.inquire_price", "--fid-input-iscd", "005930", env=env)
    assert done.returncode == 6, done.stdout + done.stderr


def test_stream_prints_records(kis_env: dict[str, str]) -> None:
    done = kisapi("stream", "H0STCNT0", "005930", "--count", "2", env=kis_env, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 2
    assert all(line["tr_id"] == "H0STCNT0" for line in lines)
    assert lines[0]["mksc_shrn_iscd"] == "005930"


def test_config_from_a_toml_file(kis_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "kis.toml"
    path.write_text(
        f'appkey = "{kis_env["KIS_APPKEY"]}"\nappsecret = "sandbox-appsecret"\nenv = "real"\n'
        f'rest_url = "{kis_env["KIS_REST_URL"]}"\ntoken_cache_dir = "{tmp_path / "t"}"\n',
        encoding="utf-8",
    )
    done = kisapi(
        "call",
        "domestic_stock.inquire_price",
        "--fid-input-iscd",
        "005930",
        "--json",
        "--config",
        str(path),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rt_cd"] == "0"
