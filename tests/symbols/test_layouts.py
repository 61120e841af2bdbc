"""The layouts in spec/masters against KIS's own parsers, and the record codec."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kisapi_runtime.symbols.layout import convert, layouts, read_zip, records

# KIS's stocks_info/kis_kospi_code_mst.py: the tail is row[-228:] (with the newline) and these
# widths, the listing date being the 50th field.
KIS_KOSPI_WIDTHS = [
    2, 1, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 9, 5, 5, 1, 1, 1, 2, 1, 1, 1, 2, 2, 2, 3, 1, 3, 12, 12, 8, 15, 21, 2, 7, 1, 1, 1, 1, 1,
    9, 9, 9, 5, 9, 8, 9, 3, 1, 1, 1,
]  # fmt: skip


def test_tail_widths_match_kis_parsers() -> None:
    masters = layouts()
    assert masters["kospi"].tail_width == 228 - 1
    assert masters["kosdaq"].tail_width == 222 - 1
    assert masters["konex"].tail_width == 184
    assert [f.width for f in masters["kospi"].tail] == KIS_KOSPI_WIDTHS


def test_a_kospi_record_built_by_hand_reads_right() -> None:
    layout = layouts()["kospi"]
    tail = [" " * w for w in KIS_KOSPI_WIDTHS]
    tail[0] = "EF"
    tail[48] = "000000000100"  # par value
    tail[49] = "20021014"  # listing date
    line = b"069500   KR7069500007" + "KODEX 200".encode("cp949") + "".join(tail).encode()
    fields = layout.split(line)
    assert fields["mksc_shrn_iscd"] == "069500"
    assert fields["stnd_iscd"] == "KR7069500007"
    assert fields["hts_kor_isnm"] == "KODEX 200"
    assert fields["scrt_grp_cls_code"] == "EF"
    assert convert("int", fields["stck_fcam"]) == 100
    assert convert("date", fields["stck_lstn_date"]) == date(2002, 10, 14)


@pytest.mark.parametrize("master", sorted(layouts()))
def test_encode_then_split_gives_the_values_back(master: str) -> None:
    layout = layouts()[master]
    values = {f.name: f"v{i}"[: f.width or 9] for i, f in enumerate(layout.all_fields)}
    values[str(layout.keys["name"])] = "한글 이름"[: 40 // 2]
    fields = layout.split(layout.encode(values))
    assert fields == {name: value.strip() for name, value in values.items()}


def test_fixed_fields_count_bytes_not_characters() -> None:
    layout = layouts()["sector"]  # idx_name is 40 bytes of cp949: 20 Hangul syllables fit
    line = layout.encode({"idx_div": "0", "idx_code": "0002", "idx_name": "대형주"})
    assert len(line) == 45
    assert layout.split(line) == {"idx_div": "0", "idx_code": "0002", "idx_name": "대형주"}
    with pytest.raises(ValueError, match="idx_name"):
        layout.encode({"idx_name": "가" * 21})


def test_slicer_reads_one_field_like_split() -> None:
    layout = layouts()["kospi"]
    line = layout.encode({"mksc_shrn_iscd": "005930", "stnd_iscd": "KR7005930003",
                          "hts_kor_isnm": "삼성전자", "stck_lstn_date": "19750611",
                          "stln_able_yn": "Y"})  # fmt: skip
    for name in ("mksc_shrn_iscd", "hts_kor_isnm", "stck_lstn_date", "stln_able_yn"):
        assert layout.slicer(name)(line) == layout.split(line)[name]


def test_convert_keeps_what_does_not_parse() -> None:
    assert convert("int", "") is None
    assert convert("int", "1,234") == 1234
    assert convert("decimal", "  ") == "  " or convert("decimal", "") is None
    assert convert("decimal", "12.5") == Decimal("12.5")
    assert convert("int", "12억") == "12억"
    assert convert("bool", "Y") is True and convert("bool", "N") is False
    assert convert("date", "00000000") is None
    assert convert("date", "20251399") == "20251399"


def test_records_skip_blank_lines_and_crlf() -> None:
    assert list(records(b"a\r\nb\n\n  \nc")) == [b"a", b"b", b"c"]


def test_read_zip_takes_the_only_member_whatever_its_name() -> None:
    layout = layouts()["sector"]
    data = layout.zip("IDXCODE.MST", [{"idx_code": "0001", "idx_name": "종합"}])
    assert read_zip(data, "idxcode.mst").startswith(b" 0001")


def test_delimited_fields_kis_adds_are_kept() -> None:
    layout = layouts()["fo_idx"]
    line = layout.encode({"shrn_iscd": "101W12", "kor_name": "코스피200 F 202512"}) + b"|X|Y"
    fields = layout.split(line)
    assert fields["shrn_iscd"] == "101W12"
    assert fields["extra"] == "X|Y"
    assert "extra" not in layout.split(layout.encode({"shrn_iscd": "101W12"}))
