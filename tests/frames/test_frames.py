"""Array blocks and collected pages as Arrow, polars and pandas tables: dtypes by the documented
rule, labels, the extra column, empty blocks, any sequence of attrs records."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import attrs
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from kisapi import Kis
from kisapi.domestic_stock import inquire_daily_ccld as ccld
from kisapi.enum_labels import LABELS
from kisapi.enums import ExchangeIdDivision
from kisapi_runtime import decode
from kisapi_runtime.codecs import KST
from kisapi_runtime.frames import Rows, column_kinds, to_arrow, to_pandas, to_polars
from kisapi_sandbox import serve

FULL = {"ord_dt": "20260105", "ord_gno_brno": "00950", "odno": "0000000001", "orgn_odno": "",
        "ord_dvsn_name": "지정가", "sll_buy_dvsn_cd": "02", "sll_buy_dvsn_cd_name": "매수",
        "pdno": "005930", "prdt_name": "삼성전자", "ord_qty": "10", "ord_unpr": "70000",
        "ord_tmd": "091502", "tot_ccld_qty": "10", "avg_prvs": "70000.5", "cncl_yn": "N",
        "tot_ccld_amt": "700005", "loan_dt": "", "ordr_empno": "", "ord_dvsn_cd": "00",
        "cncl_cfrm_qty": "0", "rmn_qty": "0", "rjct_qty": "0", "ccld_cndt_name": "없음",
        "inqr_ip_addr": "", "cpbc_ordp_ord_rcit_dvsn_cd": "", "cpbc_ordp_infm_mthd_dvsn_cd": "",
        "infm_tmd": "", "ctac_tlno": "", "prdt_type_cd": "300", "excg_dvsn_cd": "01",
        "cpbc_ordp_mtrl_dvsn_cd": "", "ord_orgno": "", "rsvn_ord_end_dt": "",
        "excg_id_dvsn_cd": "KRX", "stpm_cndt_pric": "0", "stpm_efct_occr_dtmd": ""}  # fmt: skip
BLANKS = {**FULL, "odno": "0000000002", "ord_qty": "", "cncl_yn": "", "avg_prvs": "1.25",
          "excg_id_dvsn_cd": "NXT", "new_field": "kis added it"}  # fmt: skip


FIELDS = ccld._InquireDailyCcldOutput1_FIELDS
assert [wire for wire, *_ in FIELDS] == list(FULL)


def _rows(*rows: dict[str, str]) -> Any:
    body = {"rt_cd": "0", "msg_cd": "", "msg1": "", "output1": list(rows), "output2": {}}
    return ccld.API.decode(body, False).output1


def test_array_blocks_decode_to_rows_of_their_model() -> None:
    few = _rows(FULL, BLANKS)
    filler = {"date": "20260105", "time": "091502", "int": "1", "decimal": "1", "bool": "Y"}
    dense = {wire: value or filler.get(kind, "x")
             for (wire, _, kind, _), value in zip(FIELDS, FULL.values(), strict=True)}  # fmt: skip
    many = _rows(*[{**dense, "odno": f"{i:010d}"} for i in range(decode.ROWS_BY_COLUMN + 2)])
    empty = _rows()
    for block in (few, many, empty):
        assert isinstance(block, Rows) and isinstance(block, list)
        assert block.model is ccld.InquireDailyCcldOutput1
    assert len(many) == decode.ROWS_BY_COLUMN + 2 and many[3].odno == "0000000003"
    assert few == list(few)  # still compares as a list


def test_arrow_types_follow_the_rule() -> None:
    schema = _rows(FULL, BLANKS).to_arrow().schema
    assert schema.field("ord_qty").type == pa.int64()
    assert schema.field("avg_prvs").type == pa.float64()
    assert schema.field("ord_dt").type == pa.date32()
    assert schema.field("ord_tmd").type == pa.time64("us")
    assert schema.field("cncl_yn").type == pa.bool_()
    assert schema.field("pdno").type == pa.string()
    assert schema.field("excg_id_dvsn_cd").type == pa.dictionary(pa.int32(), pa.string())
    assert "extra" not in schema.names
    assert schema.names == [name for name, _, _ in column_kinds(ccld.InquireDailyCcldOutput1)]


def test_pandas_dtypes_nullable_ints_only_with_blanks() -> None:
    frame = _rows(FULL, BLANKS).to_pandas()
    assert str(frame["ord_qty"].dtype) == "Int64" and frame["ord_qty"].isna().tolist() == [
        False, True,
    ]  # fmt: skip
    assert frame["ord_unpr"].dtype == "int64"
    assert str(frame["cncl_yn"].dtype) == "boolean"
    assert frame["avg_prvs"].dtype == "float64" and frame["avg_prvs"].tolist() == [70000.5, 1.25]
    assert str(frame["ord_dt"].dtype).startswith("datetime64")
    assert frame["ord_tmd"].tolist()[0] == time(9, 15, 2)
    assert isinstance(frame["excg_id_dvsn_cd"].dtype, pd.CategoricalDtype)
    assert frame["excg_id_dvsn_cd"].tolist() == ["KRX", "NXT"]
    full = _rows(FULL).to_pandas()
    assert full["ord_qty"].dtype == "int64" and full["cncl_yn"].dtype == "bool"


def test_polars_dtypes_and_exact_decimals() -> None:
    frame = _rows(FULL, BLANKS).to_polars()
    assert frame.schema["ord_qty"] == pl.Int64 and frame["ord_qty"].to_list() == [10, None]
    assert frame.schema["ord_dt"] == pl.Date and frame.schema["ord_tmd"] == pl.Time
    assert frame.schema["excg_id_dvsn_cd"] == pl.Categorical
    assert frame.schema["avg_prvs"] == pl.Float64
    exact = _rows(FULL, BLANKS).to_arrow(decimals="decimal")
    assert exact.schema.field("avg_prvs").type == pa.decimal128(7, 2)
    assert exact["avg_prvs"].to_pylist() == [Decimal("70000.50"), Decimal("1.25")]
    assert _rows(FULL).to_polars(decimals="decimal").schema["avg_prvs"] == pl.Decimal(6, 1)
    names = _rows(FULL).to_polars(enums="name")["excg_id_dvsn_cd"].to_list()
    assert names == [ExchangeIdDivision.KRX.name]


def test_enum_labels_on_request() -> None:
    rows = _rows(FULL, BLANKS)
    labels = rows.to_pandas(enums="label")["excg_id_dvsn_cd"]
    assert isinstance(labels.dtype, pd.CategoricalDtype)
    assert labels.tolist() == [
        LABELS["ExchangeIdDivision"]["KRX"],
        LABELS["ExchangeIdDivision"]["NXT"],
    ]
    assert labels.tolist()[0] != "KRX"  # a Korean label, not the code
    blank = _rows({**FULL, "excg_id_dvsn_cd": ""}).to_arrow(enums="label")["excg_id_dvsn_cd"]
    assert blank.to_pylist() == [None]


def test_labels_korean_english_and_a_mapping() -> None:
    rows = _rows(FULL)
    ko = rows.to_polars(labels="ko").columns
    en = rows.to_polars(labels="en").columns
    assert "주문수량" in ko and "상품번호" in ko
    assert "Order quantity (shares)" in en
    assert len(set(ko)) == len(ko) and len(set(en)) == len(en)
    mapped = rows.to_pandas(labels={"pdno": "code"}).columns.tolist()
    assert mapped[:7] == ["ord_dt", "ord_gno_brno", "odno", "orgn_odno", "ord_dvsn_name",
                          "sll_buy_dvsn_cd", "sll_buy_dvsn_cd_name"]  # fmt: skip
    assert "code" in mapped and "pdno" not in mapped
    with pytest.raises(ValueError, match="labels must be"):
        rows.to_arrow(labels="fr")


def test_extra_column_only_when_asked() -> None:
    rows = _rows(FULL, BLANKS)
    assert "extra" not in rows.to_polars().columns
    extra = rows.to_polars(extra=True)["extra"].to_list()
    assert extra[0] is None and json.loads(extra[1]) == {"new_field": "kis added it"}


def test_empty_block_keeps_its_typed_columns() -> None:
    for frame in (_rows().to_polars(), to_polars([], model=ccld.InquireDailyCcldOutput1)):
        assert frame.height == 0 and frame.schema["ord_qty"] == pl.Int64
        assert frame.schema["ord_dt"] == pl.Date
    assert _rows().to_pandas().shape == (0, len(column_kinds(ccld.InquireDailyCcldOutput1)))
    assert to_arrow([]).num_columns == 0  # nothing to learn the columns from


@attrs.frozen
class Tick:
    at: datetime | None
    price: Decimal | None
    qty: int | None
    note: str | None = None
    extra: Any = attrs.field(factory=dict)


def test_any_sequence_of_attrs_records() -> None:
    """What ranged results (or user code) hold: plain lists and tuples of records."""
    when = datetime(2026, 1, 5, 9, 0, 1, tzinfo=KST)
    ticks = (Tick(when, Decimal("1.5"), 3), Tick(None, None, None, "x"))
    table = to_arrow(ticks)
    assert table.schema.field("at").type == pa.timestamp("us", tz="Asia/Seoul")
    assert table["at"].to_pylist()[0] == when
    frame = to_pandas(list(ticks))
    assert str(frame["qty"].dtype) == "Int64" and str(frame["at"].dtype).endswith("Asia/Seoul]")
    assert to_polars(ticks).schema["price"] == pl.Float64


@pytest.fixture
def kis() -> Iterator[Kis]:
    with serve() as server, Kis(
        appkey="PSframes0123456789abcdefghijklmnop", appsecret="frames-secret",
        account="50000123-01", env="mock", rest_url=server.mock_url,
        token_cache_dir=tempfile.mkdtemp(), rate_limit=1000,
    ) as client:  # fmt: skip
        yield client


def test_paginated_collect_to_polars_and_pandas(kis: Kis) -> None:
    today = date(2026, 1, 5)
    result = kis.domestic_stock.inquire_daily_ccld.pages(
        inqr_strt_dt=today, inqr_end_dt=today
    ).collect()
    assert len(result.pages) > 1 and result.complete
    assert isinstance(result.rows, Rows) and result.rows.model is ccld.InquireDailyCcldOutput1
    frame = result.to_polars()
    assert frame.height == len(result.rows) == sum(len(p.output1) for p in result.pages)
    assert frame.schema["ord_qty"] == pl.Int64 and frame.schema["ord_dt"] == pl.Date
    assert frame["odno"].to_list() == [r.odno for r in result.rows]
    assert result.to_pandas(labels="ko").shape == frame.shape
    assert result.to_arrow().num_rows == frame.height


def test_ranged_collect_to_polars(kis: Kis) -> None:
    """``.range()`` results (several pages of a date window) convert like ``collect()``."""
    chart = kis.domestic_stock.inquire_daily_itemchartprice
    result = chart.range(date(2025, 1, 1), date(2025, 12, 31), fid_input_iscd="005930",
                         fid_period_div_code="D").collect()  # fmt: skip
    assert len(result.pages) > 1 and isinstance(result.rows, Rows)
    frame = result.to_polars()
    assert frame.height == len(result.rows) > 100
    assert frame.schema["stck_bsop_date"] == pl.Date and frame.schema["stck_clpr"] == pl.Int64
    assert frame["stck_bsop_date"].is_sorted()  # oldest first, as the range gives them
    assert to_polars(list(result.rows)).equals(frame)  # a plain list converts the same
