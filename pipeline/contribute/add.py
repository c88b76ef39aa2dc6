"""Scaffold a new source folder from a document: copy it, write source.yml with what the
document itself says, and mark what the contributor must fill in or check.

What is read where:
- the cover (the first page's lines before the table of contents or the first table): the
  title, the department (the name around the year, or a `预算主管部门：`/`预算单位：` line), the
  fiscal year (2026年, 2026年度, 二〇二六年) and a printed date (二〇二二年五月);
- the division: the longest chain of GB/T 2260 division names printed in the department name
  or the cover (上海市普陀区, 福州市鼓楼…, 江苏省…), resolved to a code with
  `metadata/reference/divisions.csv`, the parent chain telling apart names that repeat (鼓楼区 is in
  南京, 徐州, 福州 and 开封);
- the department code: the department row of the income table, where printed.

A value read where the document prints it is written as is. A value found elsewhere (the
department from table headers, the year as the most frequent one, the division from project
codes or an ambiguous name, a date printed on the cover) is written as `"TODO check: <value>"`,
so the build refuses the file until the contributor has confirmed it; what was not found at
all is `"TODO"`. The folder name is made only of what was read: never a placeholder code.
"""
from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.errors import RecognitionError, SourceError
from pipeline.extract import Extraction, extract_document
from pipeline.metadata.divisions import Division, chain, division_name, divisions
from pipeline.model import Grid, TextBlock
from pipeline.sources import DOCUMENT_KINDS, SOURCE_FILE, SourceMeta, sha256_of
from pipeline.values import clean

TODO = "TODO"
CHECK = "TODO check: "  # prefix of a guessed value: the contributor confirms it and removes it
LICENCE = ("Public government information published by the department under the Regulations "
           "on Open Government Information (政府信息公开条例).")


# ---------------------------------------------------------------------------------------------
# GB/T 2260 divisions (the table, `chain` and `division_name`: pipeline/metadata/divisions.py)


_SUFFIX = re.compile(r"^(.{2,}?)((?:[^族]{1,4}族)*自治[州县旗]|林区|特区|地区|新区|矿区|区|县|市|旗|盟|省)$")
_PROVINCE_SUFFIX = re.compile(r"^(.{2,}?)(?:(?:壮族|回族|维吾尔)?自治区|特别行政区|省|市)$")


def _short(d: Division) -> str | None:
    """The name without its kind (福州市 → 福州, 鼓楼区 → 鼓楼), if that leaves 2 characters."""
    m = (_PROVINCE_SUFFIX if d.level == "province" else _SUFFIX).match(d.name)
    return m.group(1) if m else None


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, dict[str, str]]]:
    """Full names → codes (names printed on their own), province short names → codes, and per
    division its children's names, full and short (matched right after the parent's name)."""
    full: dict[str, list[str]] = {}
    short_province: dict[str, list[str]] = {}
    children: dict[str, dict[str, str]] = {}
    for d in divisions().values():
        # a county named with two characters (城区, 郊区, 新县) is a common word: only after
        # its parent's name
        if not (d.level == "county" and len(d.name) <= 2):
            full.setdefault(d.name, []).append(d.code)
        s = _short(d)
        if d.level == "province" and s:
            short_province.setdefault(s, []).append(d.code)
        if d.parent_code:
            kids = children.setdefault(d.parent_code, {})
            kids[d.name] = d.code
            if s:
                kids.setdefault(s, d.code)
    return full, short_province, children


@dataclass
class DivisionMatch:
    """The division a text names: code (None if not found or ambiguous), how it was printed,
    and the codes it could be when a name repeats without its parent."""

    code: str | None
    printed: str | None = None
    candidates: list[str] = field(default_factory=list)

    @property
    def name(self) -> str | None:
        return division_name(self.code) if self.code else None


def find_division(text: str) -> DivisionMatch:
    """The longest chain of division names printed in `text`.

    Full names count anywhere (江苏省, 烟台市, 普陀区); a province's short name (北京, 江苏) too;
    a child's short name only right after its parent's (福州市鼓楼 → 鼓楼区 of 福州市). A name
    that repeats (鼓楼区, 普陀区) is resolved by the ancestors printed with it.
    """
    full, short_province, children = _indexes()
    found: list[tuple[int, int, list[str]]] = []  # (start, end, codes) of each occurrence
    for names in (full, short_province):
        for name, codes in names.items():
            for m in re.finditer(re.escape(name), text):
                found.append((m.start(), m.end(), codes))
    # follow chains: a child's name (full or short) right after its parent's
    todo = [(end, code) for _, end, codes in found for code in codes]
    while todo:
        end, code = todo.pop()
        for name, child in children.get(code, {}).items():
            if text.startswith(name, end):
                found.append((end - len(divisions()[code].name), end + len(name), [child]))
                todo.append((end + len(name), child))
    if not found:
        return DivisionMatch(None)
    named = {c for _, _, codes in found for c in codes}

    def support(code: str) -> int:  # ancestors printed too
        return sum(1 for d in chain(code)[:-1] if d.code in named)

    resolved: list[tuple[str, str]] = []  # (code, printed)
    ambiguous: list[list[str]] = []
    for start, end, codes in found:
        best = max(support(c) for c in codes)
        top = [c for c in codes if support(c) == best]
        if len(top) == 1:
            resolved.append((top[0], text[start:end]))
        else:
            ambiguous.append(sorted(top))
    if not resolved:
        return DivisionMatch(None, None, sorted({c for a in ambiguous for c in a}))
    depth = max(len(chain(c)) for c, _ in resolved)
    deepest = {c for c, _ in resolved if len(chain(c)) == depth}
    # the deepest must agree with everything else resolved (be a descendant of it)
    lines = {c: {d.code for d in chain(c)} for c in deepest}
    agreeing = [c for c in deepest if all(o in lines[c] or c in {d.code for d in chain(o)}
                                          for o, _ in resolved)]
    if len(agreeing) != 1:
        return DivisionMatch(None, None, sorted(deepest))
    code = agreeing[0]
    printed = max((p for c, p in resolved if c == code), key=len)
    # an ambiguous name deeper than what was resolved leaves the choice to the contributor
    deeper = [a for a in ambiguous if any(code in {d.code for d in chain(c)[:-1]} for c in a)]
    if deeper:
        return DivisionMatch(None, printed, sorted({c for a in deeper for c in a}))
    return DivisionMatch(code, printed)


# ---------------------------------------------------------------------------------------------
# The cover

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3,
              "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇○零Ｏ一二三四五六七八九"
_YEAR = re.compile(rf"((?:19|20)\d{{2}}|[二一][{_CN}]{{3}})年度?")
_CN_MONTHS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10, "十一": 11, "十二": 12}
_DATE = re.compile(rf"^((?:19|20)\d{{2}}|[二一][{_CN}]{{3}})年(\d{{1,2}}|十[一二]?|[一二三四五六七八九])月"
                   rf"(?:(\d{{1,2}})日)?$")
_EXPLICIT = re.compile(r"^(?:预算主管部门|主管部门|预算单位|部门名称|单位名称|部门|单位)[:：]\s*(.+?)$")
_KIND_WORDS = re.compile(r"(?:[区市省县]级)?(?:部门|单位)?(?:预算|决算)(?:信息)?(?:公开)?(?:表)?$")
_TOC = re.compile(r"^目\s*录|^第[一二三四五六七八九十]部分|\.{4}|…{2}")
_TABLE_TITLE = re.compile(r"表$|^(?:预算|公开)?\d{1,2}表|^表[一二三四五六七八九十\d]|金额单位|单位[:：]\s*(?:万?元)")


def _year(text: str) -> int:
    if text.isdigit():
        return int(text)
    return int("".join(str(_CN_DIGITS[c]) for c in text))


@dataclass
class Cover:
    """What a cover prints. `lines` are the cover's lines as read."""

    lines: list[str]
    title: str | None = None
    department: str | None = None
    fiscal_year: int | None = None
    date: str | None = None  # YYYY-MM(-DD) printed on the cover
    date_printed: str | None = None


def cover_lines(blocks: list[str]) -> list[str]:
    """The cover: the first lines before the table of contents (or anything after it)."""
    out = []
    for text in blocks:
        for line in text.split("\n"):
            line = re.sub(r"\s+", "", clean(line) or "")
            if not line:
                continue
            if _TOC.search(line) or len(out) >= 8:
                return out
            out.append(line)
    return out


def read_cover(lines: list[str]) -> Cover:
    """Title, department, year and date from a cover's lines (see cover_lines).

    >>> c = read_cover(["上海市普陀区2026年区级部门预算", "预算主管部门：上海市普陀区司法局"])
    >>> c.title, c.department, c.fiscal_year
    ('上海市普陀区2026年区级部门预算（上海市普陀区司法局）', '上海市普陀区司法局', 2026)
    """
    lines = [re.sub(r"\s+", "", clean(line) or "") for line in lines]
    lines = [line for line in lines if line]
    cover = Cover(lines)
    if not lines or any(_TABLE_TITLE.search(line) for line in lines):
        return cover  # a table's first page, not a cover
    explicit, parts = None, []
    for line in lines:
        if m := _EXPLICIT.match(line):
            explicit = explicit or m.group(1)
        elif m := _DATE.match(line):
            cover.date_printed = line
            month = m.group(2)
            month = int(month) if month.isdigit() else _CN_MONTHS[month]
            cover.date = f"{_year(m.group(1))}-{month:02d}" + (f"-{int(m.group(3)):02d}"
                                                                if m.group(3) else "")
        elif not re.fullmatch(r"\d{1,3}", line):  # not a page number
            parts.append(line)
    # a year printed apart (江苏省人民检察院 / 年部门预算 / 2017) goes before the line
    # that starts with 年
    for i, part in enumerate(parts):
        if re.fullmatch(r"(?:19|20)\d{2}", part):
            j = next((j for j, p in enumerate(parts) if p.startswith("年")), None)
            if j is not None:
                parts[j] = part + parts[j]
                parts[i] = ""
    parts = [p for p in parts if p]
    # the title runs to the line where its last 预算/决算/公开 ends (a word may wrap: 部门预 / 算)
    words = list(re.finditer("预算|决算|公开", "".join(parts)))
    if not words:
        return cover
    ends = [sum(len(p) for p in parts[:i + 1]) for i in range(len(parts))]
    last = next(i for i, end in enumerate(ends) if end >= words[-1].end())
    title = "".join(parts[:last + 1])
    m = re.search(r"^(.*(?:预算|决算)(?:信息)?(?:公开)?)[(（]([^()（）]+)[)）]$", title)
    if m and not re.fullmatch("汇总|本级", m.group(2)):  # 上海市普陀区2026年区级部门预算（上海市普陀区司法局）
        explicit = explicit or m.group(2)
    elif explicit:
        title += f"（{explicit}）"
    cover.title = title
    year = _YEAR.search(title)
    if year:
        cover.fiscal_year = _year(year.group(1))
        before = title[:year.start()]
        after = _KIND_WORDS.sub("", title[year.end():])
        if m:
            after = _KIND_WORDS.sub("", title[year.end():m.start(2) - 1])
        candidates = [p for p in (before, after) if p]
    else:
        candidates = [_KIND_WORDS.sub("", title)]
    department = explicit
    if not department and len(candidates) == 1:
        department = re.sub(r"部门$", "", candidates[0])
    if department:
        department = re.sub(r"[(（]汇总[)）]", "", department)
        whole = find_division(department)
        if whole.printed == department:  # a division's name alone (上海市普陀区) is not a department
            department = None
    cover.department = _full_width(department) or None
    cover.title = _full_width(title)
    return cover


def _full_width(text: str | None) -> str | None:
    """Brackets as Chinese text prints them (clean() made them half-width)."""
    return text.replace("(", "（").replace(")", "）") if text else text


# ---------------------------------------------------------------------------------------------
# source.yml


@dataclass
class Value:
    """A value for source.yml: read where the document prints it, or guessed (to be checked)."""

    value: object
    guessed: bool = False
    note: str = ""


@dataclass
class Guess:
    """What could be read off the document for source.yml (value None: not found)."""

    title: Value
    department: Value
    department_code: Value
    division_code: Value
    division_name: Value
    fiscal_year: Value
    kind: str
    consolidated: bool
    level: str = "department"
    date: Value = field(default_factory=lambda: Value(None))


def _first_blocks(extraction: Extraction) -> list[str]:
    """The text of the first pages, up to the first table (grid)."""
    out = []
    for page in extraction.document.pages[:3]:
        for item in page.items:
            if isinstance(item, Grid):
                return out
            if isinstance(item, TextBlock):
                out.append(item.text)
    return out


def guess_metadata(extraction: Extraction) -> Guess:
    """Department, year, kind, division and title as the document prints them."""
    cover = read_cover(cover_lines(_first_blocks(extraction)))
    texts = [clean(b) for b in extraction.document.text().split("\n")[:40] if clean(b)]
    head = " ".join(texts)

    # department: the cover, a 部门：X line over a table, or the names the tables print
    if cover.department:
        department = Value(cover.department, note="as printed on the cover")
    else:
        explicit = next((m.group(1) for t in texts
                         if (m := re.search(r"(?:预算主管部门|预算单位|部门名称|部门)[:：]\s*(\S+?)"
                                            r"(?:\s|单位[:：]|$)", t))), None)
        departments = Counter(extraction.department_names)
        if not explicit and len(departments) == 1:  # one name over every table
            explicit = next(iter(departments))
        if explicit:
            department = Value(explicit, note="as printed over the tables (部门：)")
        elif departments:  # several names (a department and its units): the most frequent
            department = Value(departments.most_common(1)[0][0], guessed=True,
                               note="guessed from the tables' unit names")
        else:
            department = Value(None)

    # year: the cover's title, else the year printed most often
    if cover.fiscal_year:
        year = Value(cover.fiscal_year, note="as printed on the cover")
    else:
        years = re.findall(r"((?:19|20)\d{2})\s*年", head)
        year = (Value(int(Counter(years).most_common(1)[0][0]), guessed=True,
                      note="guessed: the year printed most often on the first pages")
                if years else Value(None))

    # division: names printed in the department name and the cover, checked against the
    # project codes (which begin with the division's code)
    match = find_division(" ".join(str(v) for v in (department.value, cover.title) if v))
    codes = Counter(r["project_code"][:6] for r in extraction.rows.get("performance_budgets", [])
                    if r.get("project_code"))
    from_projects = codes.most_common(1)[0][0] if codes else None
    if from_projects not in divisions():
        from_projects = None
    if match.code:
        guessed = department.guessed
        note = f"from {match.printed!r} in the department name or title"
        if from_projects and from_projects != match.code:
            guessed = True
            note += f"; but the project codes begin with {from_projects} ({division_name(from_projects)})"
        elif from_projects:
            note += " and the project codes"
        code = Value(match.code, guessed, note)
        name = Value(match.name, guessed)
    elif from_projects:
        code = Value(from_projects, True, "guessed from the project codes")
        name = Value(division_name(from_projects), True)
    else:
        note = ""
        if match.candidates:
            note = "could be " + ", ".join(f"{c} {division_name(c)}" for c in match.candidates[:6])
        code = Value(None, note=note or "GB/T 2260 six-digit code, see pipeline/metadata/reference/divisions.csv")
        name = Value(None, note="e.g. 河南省新乡市")

    dept_rows = [r for rows in extraction.rows.values() for r in rows
                 if r.get("line_type") == "department" and r.get("unit_code")]
    title = (Value(cover.title, note="as printed on the cover") if cover.title else
             Value(None, note="the document's title as its cover prints it"))
    kind_text = cover.title or head
    return Guess(
        title=title,
        department=department,
        department_code=Value(dept_rows[0]["unit_code"] if dept_rows else None),
        division_code=code,
        division_name=name,
        fiscal_year=year,
        kind="final_accounts" if "决算" in (cover.title or "") or (
            not cover.title and "决算" in kind_text and "预算" not in kind_text) else "budget",
        consolidated=bool(re.search(r"[(（]汇总[)）]", head)),
        level="unit" if re.search(r"单位(预算|决算)", cover.title or "") else "department",
        date=(Value(cover.date, True, f"the cover says {cover.date_printed}") if cover.date
              else Value(None)),
    )


def _q(v: Value, quote: bool = True) -> str:
    """A YAML scalar: the value, "TODO check: value" when guessed, "TODO" when missing."""
    if v.value is None:
        return json.dumps(TODO)
    if v.guessed:
        return json.dumps(f"{CHECK}{v.value}", ensure_ascii=False)
    return json.dumps(v.value, ensure_ascii=False) if quote else str(v.value)


def _c(v: Value, default: str = "") -> str:
    """The comment after a value: where it came from, and what to do when it is guessed."""
    note = v.note or default
    if v.guessed:
        note = f"{note}; confirm, then remove 'TODO check: '" if note else "confirm, then remove 'TODO check: '"
    return f"   # {note}" if note else ""


def source_yml(guess: Guess, file: str, fmt: str, sha256: str, folder: str | None = None) -> str:
    """source.yml text: values read from the document, TODO where a person must look.
    `folder`: the folder's name, when it was made without the division or the year."""
    rename = ""
    level = (f"level: {guess.level}   # department (部门预算) or unit (单位预算 of one budget unit)\n"
             if "level" in SourceMeta.model_fields else "")
    missing = [what for what, v in (("division code", guess.division_code),
                                    ("year", guess.fiscal_year)) if v.value is None or v.guessed]
    if folder and folder == make_document_id(guess, sha256) and missing:
        rename = (f"# The folder name ({folder}) lacks the {' and '.join(missing)}, not read from the\n"
                  f"# document: once they are filled in, rename the folder to\n"
                  f"# <division code>-<year>-{guess.kind.replace('_', '-')}-{sha256[:8]}\n"
                  f"# (`review` refuses the contribution until then).\n")
    dept_code = (f"{_q(guess.department_code)}   # from the income table's department row"
                 if guess.department_code.value else
                 'null  # the department code, if printed (e.g. "709")')
    return f"""# Written by `python -m pipeline add`. Check every value against the document: values
# marked "TODO check: …" were guessed, confirm them (then remove "TODO check: "); replace each
# "TODO". The build rejects this file until no TODO is left.
{rename}title: {_q(guess.title)}{_c(guess.title)}
department:
  name: {_q(guess.department)}{_c(guess.department)}
  code: {dept_code}
division:
  name: {_q(guess.division_name)}{_c(guess.division_name)}
  code: {_q(guess.division_code)}{_c(guess.division_code)}
fiscal_year: {_q(guess.fiscal_year, quote=False)}{_c(guess.fiscal_year)}
kind: {guess.kind}   # budget or final_accounts
consolidated: {'true' if guess.consolidated else 'false'}   # true for a 汇总 department
{level}file: {file}
format: {fmt}
sha256: {sha256}
published:
  url: "{TODO}"   # the page on the department's (or finance bureau's) site that publishes the document; null if you do not know it, then give retrieved_from
  date: {_q(guess.date)}{_c(guess.date, "the date the document or that page prints: YYYY-MM-DD (or YYYY-MM); null if none")}
retrieved_from: null   # where you downloaded the file, if not from that page (a public copy's URL); a PDF needs published.url or this
licence: "{LICENCE}"
"""


def make_document_id(guess: Guess, sha256: str) -> str:
    """<division code>-<year>-<kind>-<first 8 of sha256>, of what was read (not guessed)."""
    parts = [v.value for v in (guess.division_code, guess.fiscal_year)
             if v.value is not None and not v.guessed]
    return "-".join(str(p) for p in (*parts, guess.kind.replace("_", "-"), sha256[:8]))


ADDED_ID = re.compile(r"(?:\d{6}-)?(?:(?:19|20)\d{2}-)?(?:budget|final-accounts)-[0-9a-f]{8}")


def id_to_rename(folder_name: str, meta: SourceMeta) -> str | None:
    """The name a folder that `add` named (make_document_id: only what it read) takes once
    source.yml gives the division and year; None if it has that name, or was named by hand."""
    if not ADDED_ID.fullmatch(folder_name):
        return None
    name = (f"{meta.division.code}-{meta.fiscal_year}-{meta.kind.replace('_', '-')}-"
            f"{folder_name[-8:]}")
    return None if name == folder_name else name


def already_added(sources_dir: Path, sha256: str) -> Path | None:
    """The folder under `sources_dir` that already holds a file with this sha256, if any."""
    if not sources_dir.is_dir():
        return None
    for folder in sorted(p for p in sources_dir.iterdir() if p.is_dir()):
        try:
            data = yaml.safe_load((folder / SOURCE_FILE).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            data = None
        shas: set = set()
        if isinstance(data, dict):
            shas.add(data.get("sha256"))
            if isinstance(data.get("files"), list):
                shas |= {f.get("sha256") for f in data["files"] if isinstance(f, dict)}
        shas.discard(None)
        if not shas:  # no readable source.yml: look at the files themselves
            shas = {sha256_of(f) for f in folder.iterdir()
                    if f.is_file() and f.name != SOURCE_FILE and f.stat().st_size < 2**28}
        if sha256 in shas:
            return folder
    return None


def extract_by_its_family(file: Path, document_id: str) -> Extraction:
    """Extract a document whose kind is not yet known by each kind's family (budget first),
    keeping the extraction that delivers the most tables: a final account's tables are
    refused as a budget's, and read as a final account's. When no family recognizes a
    table, the budget family's error is raised; an unreadable file fails at once."""
    best, refused = None, None
    for kind in DOCUMENT_KINDS:
        try:
            extraction = extract_document(file, document_id, kind=kind)
        except RecognitionError as exc:
            refused = refused or exc
            continue
        delivered = sum(t.status in ("extracted", "empty") for t in extraction.tables)
        if best is None or delivered > best[0]:
            best = (delivered, extraction)
    if best is None:
        raise refused
    return best[1]


def add_document(file: Path, sources_dir: Path, document_id: str | None = None) -> tuple[Path, Extraction]:
    """Copy `file` into a new sources/<id>/ folder with a scaffolded source.yml."""
    sha = sha256_of(file)
    existing = already_added(sources_dir, sha)
    if existing is not None:
        raise SourceError(existing, f"already holds this file ({file.name}, sha256 {sha[:16]}…): "
                                    "it was added before; edit that folder instead of adding it again")
    extraction = extract_by_its_family(file, document_id or "new-document")
    guess = guess_metadata(extraction)
    document_id = document_id or make_document_id(guess, sha)
    folder = sources_dir / document_id
    if folder.exists():
        raise SourceError(folder, "already exists; choose another --id")
    fmt = extraction.document.format
    name = "document.pdf" if fmt == "pdf" else "transcript.txt"
    folder.mkdir(parents=True)
    shutil.copyfile(file, folder / name)
    (folder / SOURCE_FILE).write_text(source_yml(guess, name, fmt, sha, folder.name), encoding="utf-8")
    return folder, extraction
