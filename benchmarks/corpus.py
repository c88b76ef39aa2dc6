"""A synthetic corpus of budget disclosures for the scale benchmarks.

    python benchmarks/corpus.py OUT_DIR -n 100 [--pdf] [--seed 0] [--verify]

`make_corpus(out_dir, n, pdf=False, seed=0)` writes n source folders (`<id>/transcript.txt`
or `<id>/document.pdf`, and a valid `source.yml` with the file's sha256) derived from the
three seed transcripts in sources/. Each document takes one seed's tables and narrative and
varies, deterministically from `seed`:

- the department: a real-looking GB/T 2260 division (a city for the city seeds, a district
  for the 红旗区 seed), a department name (division + a department such as 财政局) and a
  three-digit department code (never one that is also a classification code, such as 229);
  its budget units become <code>001, <code>002;
- the fiscal year (every year in the text, 二〇二二年 on a cover and the year digits of
  project codes shift with it); each department publishes several consecutive years;
- the size: the seed (445 to 645 lines; 14 to 20 pages as PDFs) and an integer factor
  (1 to 30) applied to every amount (table cells and "… 万元" in the narrative), so every
  accounting identity, share and growth rate of the seed holds as it did;
- project codes start with the new division code.

The 红旗区 seed's acknowledged publisher errors (a blank 基本支出 小计, 293.92 vs 295.42, the
11.568 printed beside 11.57) are kept, and its `acknowledged:` block is copied with the
amounts scaled the same way, so those documents build like their seed.

With pdf=True each document is rendered by tests/pdfgen.py (the test suite's PDF fixture
generator). The pipeline still misreads some layouts of these tables (tests/test_pdf_route.py
lists the known mis-reads: wrapped header labels split into rows, wrapped notes), and which
layout triggers one depends on the lengths of the names in the cells. So each seed has a
few layouts to try (page orientation, fixed widths for its widest tables), and each PDF is
read back with the pipeline (`pipeline.publish.build.process`, as `build` does) before it is kept:
the first layout under which every check passes is kept, and a document none passes is left
out in favour of the next one in the plan. Every document of the corpus therefore builds;
`--verify` builds the whole corpus to show it.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import re
import shutil
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"


@dataclass(frozen=True)
class Seed:
    """What a seed transcript says about itself, to be replaced in a synthetic copy."""

    folder: str
    department: str  # the full name as printed
    code: str  # department code (units are code + 001, 002, ...)
    division_code: str
    province: str
    city: str
    district: str | None  # a district-level seed prints its district
    year: int
    factors: tuple[int, ...]  # amount factors under which every check still passes
    layouts: tuple[dict, ...]  # tests/pdfgen.py render options to try, in order


# The factors: a seed's own rounding differences (尾差, e.g. a 合计 0.01 万元 off the sum of
# its rows) grow with the factor, and the checks allow 0.01 of the unit per summed term; so
# a seed with none takes any factor, the others only small ones (the largest that pass:
# 红旗区 5, its 11.568 beside 11.57; 许昌 2). Factors beyond these fail a check.
#
# The layouts: fixed column widths (in ems) for the department performance form (task names
# on one line) and the project performance table (header labels unwrapped), by table index.
_FORM = [6, 27, 26, 8, 24]
_PERFORMANCE = [12, 13, 4, 6, 8, 4, 8, 5, 8, 4, 8, 4, 7, 4]
SEEDS = [
    Seed("xinxiang-city-zwfw-2024-budget", "新乡市政务服务和大数据管理局", "709", "410700",
         "河南省", "新乡市", None, 2024, (1, 2, 3, 5, 10, 20, 30),
         ({"landscape": True, "widths": {10: _FORM, 11: _FORM, 12: _FORM}},
          {"widths": {10: _FORM, 11: _FORM, 12: _FORM}})),
    Seed("xinxiang-hongqi-zwfw-2022-budget", "新乡市红旗区政务服务和大数据管理局", "028",
         "410702", "河南省", "新乡市", "红旗区", 2022, (1, 2, 3, 4, 5),
         ({"landscape": True}, {})),
    Seed("xuchang-city-zwfw-2024-budget", "许昌市政务服务和大数据管理局", "070", "411000",
         "河南省", "许昌市", None, 2024, (1, 2),
         ({"widths": {14: _FORM, 15: _FORM, 16: _PERFORMANCE, 17: _PERFORMANCE}},
          {"landscape": True,
           "widths": {14: _FORM, 15: _FORM, 16: _PERFORMANCE, 17: _PERFORMANCE}})),
]

# GB/T 2260 codes: "province city-code city: district-code district, ..."
_DIVISIONS = """
河南省 410100 郑州市: 410102 中原区, 410103 二七区, 410105 金水区, 410108 惠济区
河南省 410200 开封市: 410202 龙亭区, 410203 顺河回族区, 410204 鼓楼区
河南省 410300 洛阳市: 410302 老城区, 410303 西工区, 410305 涧西区, 410311 洛龙区
河南省 410400 平顶山市: 410402 新华区, 410403 卫东区
河南省 410500 安阳市: 410502 文峰区, 410503 北关区, 410505 殷都区
河南省 410600 鹤壁市: 410602 鹤山区, 410603 山城区, 410611 淇滨区
河南省 410700 新乡市: 410702 红旗区, 410703 卫滨区, 410704 凤泉区, 410711 牧野区
河南省 410800 焦作市: 410802 解放区, 410803 中站区, 410811 山阳区
河南省 410900 濮阳市: 410902 华龙区
河南省 411000 许昌市: 411002 魏都区, 411003 建安区
河南省 411100 漯河市: 411102 源汇区, 411103 郾城区, 411104 召陵区
河南省 411200 三门峡市: 411202 湖滨区, 411203 陕州区
河南省 411300 南阳市: 411302 宛城区, 411303 卧龙区
河南省 411400 商丘市: 411402 梁园区, 411403 睢阳区
河南省 411500 信阳市: 411502 浉河区, 411503 平桥区
河南省 411600 周口市: 411602 川汇区, 411603 淮阳区
河南省 411700 驻马店市: 411702 驿城区
湖北省 420100 武汉市: 420102 江岸区, 420103 江汉区, 420106 武昌区, 420111 洪山区
湖北省 420500 宜昌市: 420502 西陵区, 420503 伍家岗区
湖北省 420600 襄阳市: 420602 襄城区, 420606 樊城区
湖南省 430100 长沙市: 430102 芙蓉区, 430103 天心区, 430104 岳麓区, 430105 开福区
湖南省 430200 株洲市: 430202 荷塘区, 430203 芦淞区
湖南省 430300 湘潭市: 430302 雨湖区, 430304 岳塘区
山东省 370100 济南市: 370102 历下区, 370103 市中区, 370104 槐荫区, 370105 天桥区
山东省 370200 青岛市: 370202 市南区, 370203 市北区, 370212 崂山区
山东省 370300 淄博市: 370302 淄川区, 370303 张店区
河北省 130100 石家庄市: 130102 长安区, 130104 桥西区, 130105 新华区, 130108 裕华区
河北省 130200 唐山市: 130202 路南区, 130203 路北区
河北省 130600 保定市: 130602 竞秀区, 130606 莲池区
安徽省 340100 合肥市: 340102 瑶海区, 340103 庐阳区, 340104 蜀山区, 340111 包河区
安徽省 340200 芜湖市: 340202 镜湖区
江西省 360100 南昌市: 360102 东湖区, 360103 西湖区, 360104 青云谱区
四川省 510100 成都市: 510104 锦江区, 510105 青羊区, 510106 金牛区, 510107 武侯区
陕西省 610100 西安市: 610102 新城区, 610103 碑林区, 610104 莲湖区, 610113 雁塔区
浙江省 330100 杭州市: 330102 上城区, 330105 拱墅区, 330106 西湖区, 330108 滨江区
江苏省 320100 南京市: 320102 玄武区, 320104 秦淮区, 320105 建邺区, 320106 鼓楼区
江苏省 320500 苏州市: 320505 虎丘区, 320506 吴中区, 320507 相城区, 320508 姑苏区
"""


def _divisions(text: str) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    out = []
    for line in text.strip().splitlines():
        head, districts = line.split(": ")
        province, code, city = head.split()
        out.append((province, code, city, [tuple(d.split()) for d in districts.split(", ")]))
    return out


DIVISIONS = _divisions(_DIVISIONS)

BODIES = ["政务服务和大数据管理局", "财政局", "教育局", "民政局", "司法局", "自然资源和规划局",
          "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局",
          "文化广电和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局",
          "统计局", "医疗保障局", "人力资源和社会保障局", "科学技术局", "工业和信息化局",
          "发展和改革委员会", "退役军人事务局", "城市管理局", "林业局", "体育局",
          "机关事务管理局", "信访局", "档案馆"]

YEARS = range(2019, 2027)
MAX_YEARS_PER_DEPARTMENT = 6

# Department codes that are also classification codes (function classes 201-2xx, economic
# classes 301-313/399 and 501-514/599) would make a department's row read as a class row
# (the pipeline cannot tell 229 the department from 229 其他支出); none is used.
RESERVED_CODES = set(range(200, 240)) | set(range(301, 314)) | {399} | set(range(501, 515)) | {599}

_CN_DIGITS = "〇一二三四五六七八九"
_YEAR = re.compile(r"(?<![\d.])(20\d\d)(?=\s*年)")
_CN_YEAR = re.compile(r"二〇[〇一二三四五六七八九]{2}(?=年)")
_WAN = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)(\s*万元)(?!以上)")
_NUMBER = re.compile(r"-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?")
_CODE_HEADER = re.compile(r"码|编号|^类$|^款$|^项$|指标")


@dataclass(frozen=True)
class Spec:
    """One synthetic document."""

    id: str
    seed: Seed
    province: str
    city: str
    district: str | None
    division_code: str
    body: str
    code: str
    year: int
    factor: int

    @property
    def department(self) -> str:
        return self.city + (self.district or "") + self.body

    @property
    def division_name(self) -> str:
        return self.province + self.city + (self.district or "")


# ---------------------------------------------------------------- the plan


def plan(n: int, seed: int = 0) -> list[Spec]:
    """n documents: departments with a few consecutive years each, deterministic in `seed`."""
    return list(itertools.islice(specs(seed), n))


def specs(seed: int = 0) -> Iterator[Spec]:
    """Documents without end, deterministic in `seed`."""
    rng = random.Random(seed)
    used: set[tuple[str, str]] = set()
    while True:
        s = rng.choice(SEEDS)
        province, city_code, city, districts = rng.choice(DIVISIONS)
        if s.district:
            division_code, district = rng.choice(districts)
        else:
            division_code, district = city_code, None
        code = rng.randint(1, 999)
        if code in RESERVED_CODES:
            code = 600 + code % 400
        code = f"{code:03d}"
        if (division_code, code) in used:
            continue
        used.add((division_code, code))
        body = rng.choice(BODIES)
        factor = rng.choice(s.factors)
        span = rng.randint(1, MAX_YEARS_PER_DEPARTMENT)
        first = rng.randint(YEARS.start, YEARS.stop - span)
        for year in range(first, first + span):
            yield Spec(f"syn-{division_code}-{code}-{year}-budget", s, province, city,
                       district, division_code, body, code, year, factor)


# ---------------------------------------------------------------- the text


def scale(text: str, factor: int) -> str:
    """An amount as printed ('6,655.15', '4310.2', '8'), times factor, printed alike."""
    value = Decimal(text.replace(",", "")) * factor
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:,.{decimals}f}" if "," in text else f"{value:.{decimals}f}"


def scale_wan(text: str, factor: int) -> str:
    """Every 'N 万元' in running text, scaled."""
    return _WAN.sub(lambda m: scale(m.group(1), factor) + m.group(2), text)


def _shift_years(text: str, base: int, delta: int) -> str:
    """Years near the seed's `base` year (2023年, 二〇二二年), shifted by delta; older ones
    (从2018年起) are history and stay."""
    def cn(m):
        year = int("".join(str(_CN_DIGITS.index(c)) for c in m.group(0))) + delta
        return "".join(_CN_DIGITS[int(d)] for d in str(year))
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + delta)
                     if abs(int(m.group(1)) - base) <= 3 else m.group(1), text)
    return _CN_YEAR.sub(cn, text)


def _rename(text: str, spec: Spec) -> str:
    s = spec.seed  # the name also where a transcript kept a line break as a space
    text = re.sub("[ ]?".join(map(re.escape, s.department)), spec.department, text)
    if s.district:
        text = text.replace(s.city + s.district, spec.city + spec.district)
        text = text.replace(s.district, spec.district)
    return text.replace(s.city, spec.city)


def _row_kind(line: str) -> str | None:
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|"):
        return "pipe"
    return "tab" if "\t" in line else None


def _split(line: str, kind: str) -> list[str]:
    return line.split("|") if kind == "pipe" else line.split("\t")


def _is_number(cell: str) -> bool:
    return bool(_NUMBER.fullmatch(cell))


def _table(lines: list[str], kind: str, spec: Spec) -> list[str]:
    """One table's lines with codes replaced and amounts scaled, cell by cell. A number with
    a decimal point or thousands separator is an amount; a plain integer is one unless its
    column's header names a code or an indicator (代码, 科目编码, 类/款/项, 指标值), or, in a
    continuation without a header, unless its column holds no decimal amount."""
    rows = [_split(line, kind) for line in lines]
    data_start = next((i for i, r in enumerate(rows) if any(_is_number(c.strip()) for c in r)),
                      len(rows))
    headers: dict[int, list[str]] = {}
    for r in rows[:data_start]:
        for j, c in enumerate(r):
            if c.strip() and not set(c.strip()) <= set("-: "):
                headers.setdefault(j, []).append(c.strip())
    decimal_columns = {j for r in rows for j, c in enumerate(r)
                       if _is_number(c.strip()) and ("." in c or "," in c)}
    s = spec.seed
    yy = f"{spec.year % 100:02d}"
    out = []
    for cells in rows:
        new = []
        for j, raw in enumerate(cells):
            cell = raw.strip()
            if not cell:
                new.append(raw)
                continue
            if cell.isdigit() and (cell == s.code or len(cell) == len(s.code) + 3
                                   and cell.startswith(s.code)):
                value = spec.code + cell[len(s.code):]  # department or budget unit code
            elif cell.isdigit() and len(cell) >= 15 and cell.startswith(s.division_code):
                value = spec.division_code + yy + cell[8:]  # project code
            elif _is_number(cell):
                amount = "." in cell or "," in cell or (
                    not any(_CODE_HEADER.search(h) for h in headers.get(j, []))
                    if j in headers else j in decimal_columns)
                value = scale(cell, spec.factor) if amount else cell
            else:
                value = scale_wan(cell, spec.factor)
            new.append(raw.replace(cell, value, 1))
        out.append(("|" if kind == "pipe" else "\t").join(new))
    return out


def transcript(spec: Spec) -> str:
    """The synthetic document's transcript."""
    text = (SOURCES / spec.seed.folder / "transcript.txt").read_text(encoding="utf-8-sig")
    text = _rename(_shift_years(text, spec.seed.year, spec.year - spec.seed.year), spec)
    out: list[str] = []
    block: list[str] = []
    kind = None
    prose: list[str] = []

    def flush():
        nonlocal block, prose
        if block:
            out.extend(_table(block, kind, spec))
        if prose:  # running text as one string: an amount and its 万元 may be lines apart
            out.extend(scale_wan("\n".join(prose), spec.factor).split("\n"))
        block, prose = [], []

    for line in text.split("\n"):
        k = _row_kind(line)
        if k != kind or (k is None and block):
            flush()
        kind = k
        (block if k else prose).append(line)
    flush()
    return "\n".join(out)


def source_meta(spec: Spec, file: str, fmt: str, sha256: str) -> dict:
    """source.yml for the synthetic document, from its seed's."""
    seed_meta = yaml.safe_load((SOURCES / spec.seed.folder / "source.yml").read_text(
        encoding="utf-8"))
    delta = spec.year - spec.seed.year
    date = seed_meta.get("published", {}).get("date")
    if date:
        date = str(int(date[:4]) + delta) + date[4:]
    meta = {
        "title": _rename(_shift_years(seed_meta["title"], spec.seed.year, delta), spec),
        "department": {"name": spec.department, "code": spec.code},
        "division": {"name": spec.division_name, "code": spec.division_code},
        "fiscal_year": spec.year,
        "kind": seed_meta["kind"],
        "consolidated": seed_meta.get("consolidated", False),
        "file": file,
        "format": fmt,
        "sha256": sha256,
        "published": {"url": None, "date": date},
        "licence": "Synthetic document for benchmarks (not a real disclosure), derived from "
                   "a public government disclosure.",
        "notes": f"Generated by benchmarks/corpus.py from {spec.seed.folder}: names, codes "
                 f"and years replaced, every amount ×{spec.factor}.",
    }
    acknowledged = []
    for a in seed_meta.get("acknowledged") or []:
        a = dict(a)
        a["explanation"] = scale_wan(_rename(a["explanation"], spec), spec.factor)
        if a.get("subject"):
            subject = _rename(_shift_years(a["subject"], spec.seed.year, delta), spec)
            subject = re.sub(rf"(?<!\d){re.escape(str(seed_meta['department']['code']))}(?!\d)",
                             spec.code, subject)  # a unit code in a row's subject
            a["subject"] = re.sub(r"(printed )(\d+\.\d+)", lambda m: m.group(1) + format(
                (Decimal(m.group(2)) * spec.factor).normalize(), "f"), subject)
        acknowledged.append(a)
    if acknowledged:
        meta["acknowledged"] = acknowledged
    return meta


# ---------------------------------------------------------------- writing


def _pdfgen():
    tests = str(ROOT / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    import pdfgen
    return pdfgen


def _write(folder: Path, spec: Spec, path: Path, fmt: str) -> None:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = source_meta(spec, path.name, fmt, sha)
    (folder / "source.yml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def _builds(folder: Path) -> bool:
    """Does the pipeline read the document with every check passing (as `build` would)?"""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pipeline.publish.build import process
    from pipeline.check.engine import unacknowledged_failures

    outcome = process(folder)
    return outcome.error is None and not unacknowledged_failures(outcome.checks)


def write_document(spec: Spec, out_dir: Path, pdf: bool = False) -> Path | None:
    """The document's source folder; for a PDF, None if no layout of its seed builds."""
    folder = out_dir / spec.id
    folder.mkdir(parents=True, exist_ok=True)
    text = transcript(spec)
    if not pdf:
        path = folder / "transcript.txt"
        path.write_text(text, encoding="utf-8")
        _write(folder, spec, path, "transcript")
        return folder
    pdfgen = _pdfgen()
    items = pdfgen.parse(text)
    path = folder / "document.pdf"
    for layout in spec.seed.layouts:
        pdfgen.render(items, path, **layout)
        _write(folder, spec, path, "pdf")
        if _builds(folder):
            return folder
    shutil.rmtree(folder)
    print(f"corpus: left out {spec.id} ({spec.seed.folder}): no layout builds", file=sys.stderr)
    return None


def make_corpus(out_dir: Path, n: int, pdf: bool = False, seed: int = 0) -> list[Path]:
    """Write n synthetic source folders under out_dir; returns them (sorted by id)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folders: list[Path] = []
    for spec in specs(seed):
        if len(folders) == n:
            break
        folder = write_document(spec, out_dir, pdf)
        if folder:
            folders.append(folder)
    return sorted(folders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder to write the source folders to")
    parser.add_argument("-n", type=int, default=100, help="number of documents (default 100)")
    parser.add_argument("--pdf", action="store_true", help="render PDFs instead of transcripts")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--verify", action="store_true",
                        help="then build the corpus with the pipeline; exit 1 if any fails")
    args = parser.parse_args()
    folders = make_corpus(args.out, args.n, args.pdf, args.seed)
    print(f"{len(folders)} documents in {args.out}")
    if args.verify:
        sys.exit(0 if verify(args.out) else 1)


def verify(sources: Path, workers: int | None = None) -> bool:
    """Build `sources` into a temporary package; report any failing document."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from pipeline.publish.build import build

    with tempfile.TemporaryDirectory() as tmp:
        result = build(Path(sources), Path(tmp) / "datapackage", progress=False,
                       workers=workers)
    for doc, error in sorted(result.failed.items()):
        print(f"FAILED {doc}: {error}")
        if doc in result.check_reports:
            print(result.check_reports[doc])
    print(f"built {len(result.built)}, failed {len(result.failed)}, validation errors "
          f"{len(result.validation_errors)}")
    for e in result.validation_errors[:10]:
        print("  ", e)
    return result.ok


if __name__ == "__main__":
    main()
