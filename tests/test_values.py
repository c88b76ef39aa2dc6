"""Cell-level parsing: exact amounts, codes, names, indicator values."""
from decimal import Decimal

import pytest

from pipeline.values import (AmountError, clean, digits, format_decimal, join_code, parse_amount,
                             parse_indicator_value, split_numbering, to_yuan)


@pytest.mark.parametrize("text, expected", [
    ("6,655.15", Decimal("6655.15")), ("5971.12", Decimal("5971.12")), ("3000", Decimal("3000")),
    ("11.568", Decimal("11.568")), (" 47,172.53 ", Decimal("47172.53")), ("-1.5", Decimal("-1.5")),
    ("96,282,213.44", Decimal("96282213.44")),
])
def test_amounts_parse_exactly(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("blank", ["", "  ", "-", "—"])
def test_blank_is_none_not_zero(blank):
    assert parse_amount(blank) is None


@pytest.mark.parametrize("bad", ["12.3万", "1,2,3", "abc", "6,655.15元"])
def test_stray_characters_are_errors(bad):
    with pytest.raises(AmountError, match="not an amount"):
        parse_amount(bad)


def test_units_convert_to_yuan_without_float_noise():
    assert format_decimal(to_yuan(parse_amount("6,655.15"), "万元")) == "66551500"
    assert format_decimal(to_yuan(parse_amount("11.568"), "万元")) == "115680"
    assert format_decimal(to_yuan(parse_amount("96,282,213.44"), "元")) == "96282213.44"
    assert format_decimal(to_yuan(parse_amount("0.1"), "万元") + to_yuan(parse_amount("0.2"), "万元")) == "3000"
    assert format_decimal(Decimal("0.00")) == "0"


def test_codes_split_over_columns_join():
    assert join_code(["201", "03", "01"]) == "2010301"
    assert join_code(["208", "05", ""]) == "20805"
    assert join_code(["0450 01"]) == "045001"


def test_names_join_wrapped_text_and_normalize_width():
    assert clean("机关事业单位基本养老保险 缴费支出") == "机关事业单位基本养老保险缴费支出"
    assert clean("新乡市政务服务和大数据管 理局") == "新乡市政务服务和大数据管理局"
    assert clean("维修（护）费") == "维修(护)费"
    assert clean("政 府 性 基 金") == "政府性基金"
    assert clean("Wi Fi  router") == "Wi Fi router"


def test_list_numbering():
    assert split_numbering("一、一般公共预算") == (1, "一般公共预算")
    assert split_numbering("、一般公共预算") == (1, "一般公共预算")  # a scan lost the pale 一
    assert split_numbering("（二）政府性基金预算拨款") == (2, "政府性基金预算拨款")
    assert split_numbering("1. 一般公共预算") == (3, "一般公共预算")
    assert split_numbering("其中：财政拨款") == (9, "财政拨款")
    assert split_numbering("收入总计") == (0, "收入总计")


@pytest.mark.parametrize("text, parsed", [
    ("≥95%", ("≥", Decimal(95), None, "%")),
    ("≤70.4万元", ("≤", Decimal("70.4"), None, "万元")),
    ("15-21个", ("range", Decimal(15), Decimal(21), "个")),
    ("≤10 万元", ("≤", Decimal(10), None, "万元")),
    ("100%", ("=", Decimal(100), None, "%")),
    ("相关", (None, None, None, None)),
    ("7*24小时畅通", (None, None, None, None)),
])
def test_indicator_values(text, parsed):
    assert parse_indicator_value(text) == parsed


@pytest.mark.parametrize("parts, code", [
    (["301 2"], "30102"),  # 类 301 and 款 2 printed apart in one cell: 款 is 2 digits
    (["301", "2"], "30102"),  # 款 printed without its leading zero in its own column
    (["201 3 1"], "2010301"),
    (["201", "3", "1"], "2010301"),
    (["301 02"], "30102"),
    (["3010 2"], "30102"),  # a wrapped cell, not 类/款 groups: joined as printed
    (["2040 501"], "2040501"),
])
def test_split_kuan_is_zero_padded(parts, code):
    assert join_code(parts) == code


def test_digits_of_code_cells():
    assert digits("301 2") == "30102"
    assert digits("0450 01") == "045001"  # not a 类 group: a wrapped code
    assert digits("行政运行") == ""
