"""``kisapi.apis()`` / ``kisapi.api()``: the public catalog generated from the specs."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import kisapi
from kisapi import AsyncKis, Kis

MANIFEST = json.loads((Path(kisapi.__file__).parent / "_manifest.json").read_text(encoding="utf-8"))


def test_every_api_and_realtime_tr_is_listed() -> None:
    assert sorted(a.id for a in kisapi.apis()) == sorted(MANIFEST["apis"])
    assert sorted(r.id for r in kisapi.realtime_trs()) == sorted(MANIFEST["realtime"])


def test_every_api_has_a_title_summary_and_module() -> None:
    for info in kisapi.apis():
        assert info.title and info.summary, info.id
        assert info.spec().id == info.id


@pytest.mark.parametrize(
    "key",
    [
        "FHKST01010100",
        "fhkst01010100",
        "domestic_stock.inquire_price",
        "domestic_stock/inquire_price",
    ],
)
def test_lookup_by_tr_id_or_id(key: str) -> None:
    assert kisapi.api(key).id == "domestic_stock.inquire_price"


def test_lookup_by_mock_tr_id_and_selector_rules() -> None:
    info = kisapi.api("VTTC0012U")
    assert info.id == "domestic_stock.order_cash"
    assert info.kind == "order"
    assert set(info.real_tr_ids) == {"TTTC0012U", "TTTC0011U"}
    assert info.mock == "yes"


def test_unknown_key_suggests_near_ids() -> None:
    with pytest.raises(KeyError, match=r"did you mean domestic_stock\.inquire_price"):
        kisapi.api("domestic_stock.inquire_prise")


def test_search_korean_and_english() -> None:
    korean = [a.id for a in kisapi.apis("주식현재가 시세")]
    assert korean[0] == "domestic_stock.inquire_price"
    english = [a.id for a in kisapi.apis("current price snapshot")]
    assert "domestic_stock.inquire_price" in english
    assert kisapi.apis("zzzz-no-such-thing") == ()


def test_mock_support_and_pagination_come_from_the_spec() -> None:
    by_mock = {a.mock for a in kisapi.apis()}
    assert by_mock <= {"yes", "partly", "no"}
    assert "no" in by_mock
    assert kisapi.api("domestic_stock.inquire_balance").paginated
    assert not kisapi.api("domestic_stock.inquire_price").paginated


def test_params_carry_types_labels_and_choices() -> None:
    params = {p.py: p for p in kisapi.api("domestic_stock.inquire_price").params}
    market = params["fid_cond_mrkt_div_code"]
    assert market.default == "J"
    assert ("J", "KRX") in market.choices
    side = {p.py: p for p in kisapi.api("domestic_stock.order_cash").params}["side"]
    assert side.selector and [c for c, _ in side.choices] == ["buy", "sell"]


def test_realtime_lookup() -> None:
    from kisapi.registry import registry

    rt = registry().get_realtime("H0STCNT0")
    assert rt.fields and rt.fields[0].wire


def test_endpoint_repr_says_what_it_is() -> None:
    kis = Kis(appkey="k" * 36, appsecret="s" * 40, env="mock", account="12345678-01")
    text = repr(kis.domestic_stock.inquire_price)
    assert "domestic_stock.inquire_price" in text
    assert "주식현재가 시세" in text
    assert "GET /uapi/domestic-stock/v1/quotations/inquire-price" in text
    assert "k" * 36 not in text


@pytest.mark.parametrize("cls", [Kis, AsyncKis])
def test_clients_have_typed_keyword_arguments(cls: type) -> None:
    params = inspect.signature(cls.__init__).parameters
    for name in ("appkey", "appsecret", "account", "env", "rest_url", "timeout", "token_cache_dir"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def test_keyword_settings_reach_the_config(tmp_path: Path) -> None:
    kis = Kis(
        appkey="k" * 36,
        appsecret="s" * 40,
        env="mock",
        account="12345678-01",
        timeout=3.5,
        token_cache_dir=tmp_path,
    )
    assert kis.config.timeout == 3.5
    assert kis.config.is_mock
    assert kis.config.token_cache_dir == tmp_path


SCRIPT = "import sys; sys.modules['uvicorn'] = None; sys.argv = ['x', *sys.argv[1:]]; "


def test_sandbox_without_uvicorn_names_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT + "import kisapi_sandbox.__main__"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "pip install 'kisapi[sandbox]'" in done.stderr


def test_cli_sandbox_without_uvicorn_names_the_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT + "from kisapi_cli.app import main; main(['sandbox'])"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 3
    assert "pip install 'kisapi[sandbox]'" in done.stderr


def test_missing_account_names_the_client_argument() -> None:
    kis = Kis(appkey="k" * 36, appsecret="s" * 40, env="mock")
    with pytest.raises(kisapi.KisValidationError, match=r"account=, KIS_ACCOUNT"):
        kis.domestic_stock.inquire_balance(
            afhr_flpr_yn="N", inqr_dvsn="02", unpr_dvsn="01", fund_sttl_icld_yn="N",
            fncg_amt_auto_rdpt_yn="N", prcs_dvsn="00",
        )  # fmt: skip
