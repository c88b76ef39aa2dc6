"""GB/T 2260 administrative divisions: the reference table (reference/divisions.csv, columns
code, name, level, parent_code), read once here for `add` (which names a document's division)
and the site (which groups departments by province and city, `region`).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DIVISIONS_CSV = Path(__file__).resolve().parent / "reference" / "divisions.csv"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str = ""  # province | city | county
    parent_code: str = ""  # '' for a province


def read_divisions(path: Path = DIVISIONS_CSV) -> dict[str, Division]:
    """code -> Division from a GB/T 2260 table (columns code, name, level, parent_code; the
    last two may be missing). Rows without a code or a name are skipped. Raises OSError if
    the file cannot be read, ValueError if it lacks the code or name column."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not {"code", "name"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: expected the columns code,name,level,parent_code")
        table = {}
        for r in reader:
            if r.get("code") and r.get("name"):
                code = r["code"].strip()
                table[code] = Division(code, r["name"].strip(), (r.get("level") or "").strip(),
                                       (r.get("parent_code") or "").strip())
        return table


@lru_cache(maxsize=1)
def divisions() -> dict[str, Division]:
    """The reference table of divisions (DIVISIONS_CSV), by code, read once."""
    return read_divisions(DIVISIONS_CSV)


def chain(code: str) -> list[Division]:
    """The division and its ancestors in the reference table, province first."""
    table, out = divisions(), []
    while code:
        d = table[code]
        out.append(d)
        code = d.parent_code
    return out[::-1]


def division_name(code: str) -> str:
    """The full name, as source.yml writes it: 河南省新乡市, 上海市普陀区, 北京市."""
    return "".join(d.name for d in chain(code))


# --------------------------------------------------------------------------------------
# Provinces and cities: the site's landing page and charts group departments by them.

_PROVINCE_RE = re.compile(r"^(北京市|天津市|上海市|重庆市|.+?(?:省|自治区|特别行政区))")
_CITY_RE = re.compile(r"^(.+?(?:自治州|市|盟|地区|州(?!市)))")


def region(code: str | None, division_name: str | None,
           divisions: dict[str, Division]) -> dict:
    """The province and city of a division: codes code[:2]+'0000' and code[:4]+'00', named
    from `divisions`, else read off the division's own name (河南省新乡市红旗区 -> 河南省,
    新乡市). A province-level department's city is the province itself (江苏省本级); the
    districts of a municipality are grouped as 上海市（市辖区）; a county-level city the
    province governs directly (济源市, 419001) is its own city."""
    name = (division_name or "").strip()
    m = _PROVINCE_RE.match(name)
    province_guess = m.group(1) if m else None
    c = _CITY_RE.match(name[m.end():] if m else name)
    city_guess = c.group(1) if c else None
    code = (code or "").strip()
    if not re.fullmatch(r"\d{6}", code) or code.startswith("00"):
        province = province_guess or name or "未知 unknown"
        if not name:
            return {"province_code": "", "province_name": province, "city_code": "",
                    "city_name": province}
        if province_guess and not city_guess and province.endswith("市") and name != province:
            city_guess = f"{province}（市辖区）"
        return {"province_code": "", "province_name": province, "city_code": "",
                "city_name": city_guess or (f"{province}本级" if province == name else name)}
    province_code, city_code = code[:2] + "0000", code[:4] + "00"
    known = divisions.get(province_code)
    province = known.name if known else (province_guess or name or province_code)
    if city_code == province_code:
        return {"province_code": province_code, "province_name": province,
                "city_code": province_code, "city_name": f"{province}本级"}
    city = divisions.get(city_code)
    own = divisions.get(code)
    if city and city.name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
        city_name = city.name
    elif province.endswith("市"):  # a municipality (北京市, 上海市 …): its districts
        city_name = f"{province}（市辖区）"
    elif own and own.parent_code == province_code:  # a city the province governs directly
        city_code, city_name = code, own.name
    else:
        city_name = city_guess or name or city_code
    return {"province_code": province_code, "province_name": province,
            "city_code": city_code, "city_name": city_name}
