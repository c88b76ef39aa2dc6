"""Cell-level parsing: text cleanup, exact amounts, classification codes, indicator values."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

UNIT_FACTORS = {"万元": Decimal(10000), "元": Decimal(1)}

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’、，。：；！？《》【】≥≤"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """Normalize printed text: NFKC (full-width ASCII and brackets to half-width), join
    text wrapped inside a cell (no spaces next to Chinese characters), trim."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_NEAR_CJK.sub("", text)


def is_page_number(text: str) -> bool:
    """A page's number as printed in its footer: '- 22 -', '22', '第3页 共9页'."""
    return bool(re.fullmatch(r"[-—－]?\s*\d{1,4}\s*[-—－]?|第\s*\d+\s*页(\s*共\s*\d+\s*页)?", text))


def label(text: str | None) -> str:
    """A header label for matching: cleaned, with no spaces at all."""
    return _SPACES.sub("", clean(text))


class AmountError(ValueError):
    """A cell that should hold an amount holds something else."""


_AMOUNT = re.compile(r"^[-−]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
_BLANKS = {"", "-", "—", "--", "——", "－"}


def parse_amount(text: str | None) -> Decimal | None:
    """'6,655.15' -> Decimal('6655.15'); blank or a dash -> None (not zero)."""
    t = clean(text).replace(" ", "").replace("，", ",")
    if t in _BLANKS:
        return None
    if not _AMOUNT.match(t):
        raise AmountError(f"not an amount: {text!r}")
    try:
        return Decimal(t.replace(",", "").replace("−", "-"))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise AmountError(f"not an amount: {text!r}") from None


def looks_numeric(text: str | None) -> bool:
    t = clean(text).replace(" ", "")
    return bool(t) and bool(_AMOUNT.match(t))


_AMOUNTISH = re.compile(r"^[-−]?\d[\d,.]*[^\s]{0,3}$")
_YEAR = re.compile(r"^\d{4}年\D*$")  # 2026年, 2026年度, 2026年预算: a header label


def looks_like_data(text: str | None) -> bool:
    """A cell meant to hold a number, even a malformed one ('1.0O', '12.3万'); not a year."""
    t = clean(text).replace(" ", "")
    return bool(_AMOUNTISH.match(t)) and not _YEAR.match(t)


def to_yuan(amount: Decimal | None, unit: str) -> Decimal | None:
    return None if amount is None else amount * UNIT_FACTORS[unit]


def format_decimal(value: Decimal | None) -> str:
    """Exact, canonical text for a decimal: no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


_CODE_GROUPS = re.compile(r"^(\d{3})((?:\s+\d{1,2})+)$")


def digits(text: str | None) -> str:
    """The digits of a code cell ('201 03' -> '20103'); '' if the cell is not a code.

    A classification code printed in groups (类 3 digits, then 款 and 项 of 2 digits each)
    may print a group without its leading zero: '301 2' is 类 301, 款 02 -> '30102', not
    3012 (no classification code has 4 digits). Any other grouping is a wrapped cell and
    joins as printed ('0450 01' -> '045001')."""
    t = clean(text)
    m = _CODE_GROUPS.match(t)
    if m:
        return m.group(1) + "".join(g.zfill(2) for g in m.group(2).split())
    t = t.replace(" ", "")
    return t if t.isdigit() else ""


def join_code(parts: list[str]) -> str:
    """Join code parts printed over 类/款/项 columns: ['201', '03', '01'] -> '2010301'.
    款 and 项 are 2 digits: a part printed without its leading zero is padded
    (['301', '2'] -> '30102')."""
    out = ""
    for part in parts:
        d = digits(part)
        if not d:
            break
        out += d.zfill(2) if out else d
    return out


_NUMBERING = re.compile(
    r"^\s*(?:(?P<l1>[一二三四五六七八九十百]+[、.．]|、)"  # 、 alone: a scan lost a pale 一
    r"|(?P<l2>[(（][一二三四五六七八九十百]+[)）])"
    r"|(?P<l3>\d+\s*[.、．](?!\d))"
    r"|(?P<sub>其中\s*[:：]))\s*"
)


def split_numbering(text: str) -> tuple[int, str]:
    """'一、一般公共预算' -> (1, '一般公共预算'), as is '、一般公共预算' (OCR lost the 一);
    '（一）…' -> 2; '1. …' -> 3; '其中：…' -> 9; unnumbered -> 0."""
    t = clean(text)
    m = _NUMBERING.match(t)
    if not m:
        return 0, t
    level = {"l1": 1, "l2": 2, "l3": 3, "sub": 9}[m.lastgroup]
    return level, t[m.end():].strip(" :：")


_VALUE = re.compile(
    r"^(?P<op>≥|≤|>=|<=|>|<|=|大于等于|小于等于|不低于|不高于|不少于|不超过|大于|小于|低于|高于)?\s*"
    r"(?P<n1>\d+(?:\.\d+)?)\s*(?:(?:-|~|～|至|—)\s*(?P<n2>\d+(?:\.\d+)?))?\s*(?P<unit>[^\d\s].*)?$"
)
_OPS = {">=": "≥", "<=": "≤", "大于等于": "≥", "不低于": "≥", "不少于": "≥", "小于等于": "≤",
        "不高于": "≤", "不超过": "≤", "大于": ">", "高于": ">", "小于": "<", "低于": "<"}


def parse_indicator_value(text: str) -> tuple[str | None, Decimal | None, Decimal | None, str | None]:
    """'≥95%' -> ('≥', 95, None, '%'); '15-21个' -> ('range', 15, 21, '个'); '相关' -> all None."""
    t = clean(text).replace(" ", "")
    m = _VALUE.match(t)
    if not m:
        return None, None, None, None
    op = m.group("op")
    op = _OPS.get(op, op) if op else None
    n1 = Decimal(m.group("n1"))
    n2 = Decimal(m.group("n2")) if m.group("n2") else None
    if n2 is not None:
        op = "range"
    unit = m.group("unit") or None
    if unit and len(unit) > 6:  # prose, not a unit ("1分钟内响应" style texts stay unparsed)
        return None, None, None, None
    return op or ("=" if unit or n2 is None else None), n1, n2, unit
