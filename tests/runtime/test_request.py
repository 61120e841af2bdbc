"""Request preparation: validation before sending, account filling, TR ID selection."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

import pytest

from kisapi_runtime.api import ApiSpec, Field, Selector, TrIdRule
from kisapi_runtime.errors import KisMockUnsupportedError, KisValidationError
from kisapi_runtime.request import prepare


class OrderDivision(StrEnum):
    LIMIT = "00"
    MARKET = "01"


def _decode(body: Any, strict: bool) -> Any:
    return body


ORDER = ApiSpec(
    id="demo.order",
    title="주문",
    method="POST",
    path="/order",
    kind="order",
    tr_ids=(
        TrIdRule(when=(("side", ("buy",)),), real="TTTC0012U", mock="VTTC0012U"),
        TrIdRule(when=(("side", ("sell",)),), real="TTTC0011U", mock=None),
    ),
    request=(
        Field(
            "CANO",
            "cano",
            "str",
            label="종합계좌번호",
            required=True,
            max_length=8,
            fill="account_number",
        ),
        Field(
            "ACNT_PRDT_CD",
            "acnt_prdt_cd",
            "str",
            label="계좌상품코드",
            required=True,
            fill="account_product",
        ),
        Field("PDNO", "pdno", "str", label="상품번호", required=True, max_length=12),
        Field("ORD_DVSN", "ord_dvsn", "str", label="주문구분", required=True, enum=OrderDivision),
        Field("ORD_QTY", "ord_qty", "int", label="주문수량", required=True),
        Field("ORD_UNPR", "ord_unpr", "int", label="주문단가", default="0"),
        Field("INQR_DT", "inqr_dt", "date", label="조회일자"),
        Field("OFL_YN", "ofl_yn", "str", label="오프라인여부", fixed=""),
    ),
    decode=_decode,
    selectors=(Selector("side", ("buy", "sell")),),
)
FILLS = {"account_number": "12345678", "account_product": "01"}


def test_prepare_fills_account_encodes_values_and_picks_tr_id() -> None:
    prepared = prepare(
        ORDER,
        {"side": "buy", "pdno": "005930", "ord_dvsn": OrderDivision.LIMIT, "ord_qty": 10,
         "inqr_dt": date(2026, 1, 5)},
        FILLS,
        mock=False,
    )  # fmt: skip
    assert prepared.tr_id == "TTTC0012U"
    assert prepared.params == {
        "CANO": "12345678", "ACNT_PRDT_CD": "01", "PDNO": "005930", "ORD_DVSN": "00",
        "ORD_QTY": "10", "ORD_UNPR": "0", "INQR_DT": "20260105", "OFL_YN": "",
    }  # fmt: skip


def test_mock_tr_id_and_unsupported_mock() -> None:
    values = {"side": "buy", "pdno": "005930", "ord_dvsn": "01", "ord_qty": 1}
    assert prepare(ORDER, values, FILLS, mock=True).tr_id == "VTTC0012U"
    with pytest.raises(KisMockUnsupportedError, match=r"demo\.order"):
        prepare(ORDER, {**values, "side": "sell"}, FILLS, mock=True)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"pdno": None}, "pdno", "required"),
        ({"pdno": "0059301234567"}, "pdno", "longer than 12"),
        ({"ord_dvsn": "99"}, "ord_dvsn", "unknown OrderDivision code '99'"),
        ({"ord_qty": "ten"}, "ord_qty", "expected an integer"),
        ({"ord_qty": True}, "ord_qty", "bool"),
        ({"inqr_dt": "2026-01-05"}, "inqr_dt", "YYYYMMDD"),
        ({"side": "short"}, "side", "not one of"),
        ({"side": None}, "side", "required"),
    ],
)
def test_bad_input_names_api_field_and_reason(
    change: dict[str, Any], field: str, reason: str
) -> None:
    values = {"side": "buy", "pdno": "005930", "ord_dvsn": "00", "ord_qty": 1, **change}
    with pytest.raises(KisValidationError) as err:
        prepare(ORDER, values, FILLS, mock=False)
    assert err.value.api == "demo.order"
    assert err.value.field == field
    assert reason in err.value.reason
    assert str(err.value).startswith(f"demo.order: {field}: ")


def test_missing_account_says_where_to_set_it() -> None:
    with pytest.raises(KisValidationError, match=r"set it on the client: account=, KIS_ACCOUNT"):
        prepare(ORDER, {"side": "buy", "pdno": "1", "ord_dvsn": "00", "ord_qty": 1}, {}, mock=False)


def test_fixed_field_cannot_be_overridden() -> None:
    values = {"side": "buy", "pdno": "1", "ord_dvsn": "00", "ord_qty": 1, "ofl_yn": "Y"}
    assert prepare(ORDER, values, FILLS, mock=False).params["OFL_YN"] == ""


def test_rule_on_a_request_field_value() -> None:
    api = ApiSpec(
        id="demo.overseas",
        title="해외주문",
        method="POST",
        path="/o",
        kind="order",
        tr_ids=(
            TrIdRule(
                when=(("ovrs_excg_cd", ("NASD", "NYSE")),), real="TTTT1002U", mock="VTTT1002U"
            ),
            TrIdRule(when=(("ovrs_excg_cd", ("SEHK",)),), real="TTTS1002U", mock=None),
        ),
        request=(Field("OVRS_EXCG_CD", "ovrs_excg_cd", "str", label="거래소", required=True),),
        decode=_decode,
    )
    assert prepare(api, {"ovrs_excg_cd": "NYSE"}, {}, mock=False).tr_id == "TTTT1002U"
    assert prepare(api, {"ovrs_excg_cd": "SEHK"}, {}, mock=False).tr_id == "TTTS1002U"
    with pytest.raises(KisValidationError, match="no TR ID matches"):
        prepare(api, {"ovrs_excg_cd": "TKSE"}, {}, mock=False)


MODIFY = ApiSpec(
    id="demo.resv_rvsecncl",
    title="예약주문정정취소",
    method="POST",
    path="/resv",
    kind="order",
    tr_ids=(
        TrIdRule(when=(("action", ("cancel",)),), real="CTSC0009U", mock=None),
        TrIdRule(when=(("action", ("modify",)),), real="CTSC0013U", mock=None),
    ),
    request=(
        Field("RSVN_ORD_SEQ", "rsvn_ord_seq", "str", label="예약주문순번", required=True),
        Field(
            "ORD_QTY", "ord_qty", "int", label="주문수량", required_when=(("action", ("modify",)),)
        ),
    ),
    decode=_decode,
    selectors=(Selector("action", ("cancel", "modify")),),
)


def test_a_field_required_for_one_choice_only() -> None:
    cancel = prepare(MODIFY, {"action": "cancel", "rsvn_ord_seq": "88"}, FILLS, mock=False)
    assert cancel.params == {"RSVN_ORD_SEQ": "88", "ORD_QTY": ""}
    with pytest.raises(KisValidationError) as err:
        prepare(MODIFY, {"action": "modify", "rsvn_ord_seq": "88"}, FILLS, mock=False)
    assert (err.value.api, err.value.field) == ("demo.resv_rvsecncl", "ord_qty")
    assert "required when action=modify" in err.value.reason
    modify = prepare(
        MODIFY, {"action": "modify", "rsvn_ord_seq": "88", "ord_qty": 3}, FILLS, mock=False
    )
    assert (modify.tr_id, modify.params["ORD_QTY"]) == ("CTSC0013U", "3")
