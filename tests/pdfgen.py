"""Render budget-disclosure transcripts as PDFs that look like the published ones.

    python tests/pdfgen.py          # regenerate every PDF in tests/fixtures/generated/

A transcript (narrative lines; tables as tab-separated rows or markdown pipe tables, a blank
line ending a table) becomes an A4 document the way Word and Excel export one: narrative
paragraphs, then each table as a ruled grid under its title and its 部门名称/单位 line, with
its notes below. Header cells are merged the way the printed tables are: a label followed by
empty slots spans them when the row below subdivides them, and a label with empty slots below
it spans down. Text wraps inside cells (character by character in narrow columns); numbers
never wrap. Long tables run over pages with their header repeated; wide tables get landscape
pages; every page has a page number.

Variants, as options of `render`: landscape=True (every page), inner_rules=False (no rules
between body rows), repeat_header=False, split_cells=True (a row that does not fit at the
bottom of a page is split: its first lines stay there, the rest of its wrapped cell becomes a
row of its own on the next page, as in "其他社会保障缴" / "费").

Output is deterministic: reportlab runs with invariant=1 and the font is subset-embedded, so
the same input, font file and reportlab version give byte-identical files. The font is
WenQuanYi Micro Hei (Debian: apt-get install fonts-wqy-microhei); PDFGEN_FONT overrides it.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "generated"
SEEDS = ["xinxiang-city-zwfw-2024-budget", "xinxiang-hongqi-zwfw-2022-budget",
         "xuchang-city-zwfw-2024-budget"]
FONT_FILE = Path(os.environ.get("PDFGEN_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"))
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
REPORTLAB_VERSION = "5.1.0"  # the committed PDFs were made with this version and font file
FONT = "WenQuanYiMicroHei"

A4 = (595.28, 841.89)
MARGIN = 42.0
PAD = 2.5  # pt between a cell's rules and its text
NOTE = re.compile(r"^(注|备注|说明)\s*[:：]")
UNIT = re.compile(r"^单位\s*[:：]\s*(万元|元)\s*$")
DEPT = re.compile(r"^(部门|单位|编制部门|部门[(（]单位[)）])(名称)?\s*[:：]")
YEAR = re.compile(r"^[(（]?\d{4}\s*年度?[)）]?$")
DATA = re.compile(r"^[-−]?\d[\d,.]*\S{0,3}$")  # an amount or a code (pipeline: looks_like_data)
TOTAL = re.compile(r"^(合计|总计|小计|无)$")


# ---------------------------------------------------------------- transcript -> items


@dataclass
class Para:
    text: str


@dataclass
class Table:
    rows: list[list[str]]
    caption: list[str] = field(default_factory=list)  # title, (year), 部门名称 and 单位 lines
    notes: list[str] = field(default_factory=list)


def parse(text: str) -> list[Para | Table]:
    """Narrative lines and tables, each table with the caption lines above it and notes below."""
    items: list[Para | Table] = []
    rows: list[list[str]] = []
    kind = None

    def flush():
        nonlocal rows, kind
        if any(any(r) for r in rows):
            width = max(len(r) for r in rows)
            caption = []
            while items and isinstance(items[-1], Para) and _is_caption(items[-1].text) \
                    and len(caption) < 4:
                caption.insert(0, items.pop().text)
            items.append(Table([r + [""] * (width - len(r)) for r in rows], caption))
        rows, kind = [], None

    for line in text.splitlines():
        stripped = line.strip()
        row_kind = "pipe" if stripped.startswith("|") and stripped.endswith("|") \
            else "tab" if "\t" in line else None
        if row_kind != kind:
            flush()
            kind = row_kind
        if row_kind == "pipe" and all(re.fullmatch(r"\s*:?-+:?\s*", c)
                                      for c in stripped[1:-1].split("|")):
            continue  # a markdown separator line
        if row_kind == "pipe":
            rows.append([c.strip() for c in stripped[1:-1].split("|")])
        elif row_kind == "tab":
            rows.append([c.strip() for c in line.split("\t")])
        elif NOTE.match(stripped) and items and isinstance(items[-1], Table):
            items[-1].notes.append(stripped)
        elif stripped:
            items.append(Para(stripped))
    flush()
    return items


def _is_caption(text: str) -> bool:
    return bool(len(text) <= 40 and (text.endswith("表") or YEAR.match(text.replace(" ", ""))
                                     or DEPT.match(text) or UNIT.match(text)))


# ---------------------------------------------------------------- table structure


def header_count(rows: list[list[str]]) -> int:
    """Rows before the first data row (a number or code, or a lone 合计); 0 for a form whose
    labels run on for more than four rows (it has no header to merge or repeat)."""
    for i, row in enumerate(rows):
        cells = [c.replace(" ", "") for c in row if c]
        if any(DATA.match(c) for c in cells) or len(cells) == 1 and TOTAL.match(cells[0]):
            return i if i <= 4 else 0
    return len(rows) if len(rows) <= 4 else 0


def merges(rows: list[list[str]], n_header: int) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, col) of each header cell -> (rowspan, colspan); slots covered by another cell are
    left out. Spans run over empty slots only: first to the right, where both columns are
    subdivided further down, then down."""
    n = len(rows[0])

    def below(r: int, c: int) -> bool:
        return any(rows[k][c] for k in range(r + 1, n_header))

    spans: dict[tuple[int, int], list[int]] = {}
    covered: set[tuple[int, int]] = set()
    for r in range(n_header):
        for c in range(n):
            if rows[r][c]:
                k = c + 1
                while below(r, c) and k < n and not rows[r][k] and below(r, k):
                    k += 1
                covered.update((r, j) for j in range(c + 1, k))
                spans[(r, c)] = [1, k - c]
    for (r, c), span in sorted(spans.items()):
        def free(k: int) -> bool:
            return not rows[r + span[0]][k] and (r + span[0], k) not in covered
        while r + span[0] < n_header and all(free(k) for k in range(c, c + span[1])):
            covered.update((r + span[0], k) for k in range(c, c + span[1]))
            span[0] += 1
    for r in range(n_header):  # empty slots left over are empty cells
        for c in range(n):
            if (r, c) not in covered:
                spans.setdefault((r, c), [1, 1])
    return {slot: (rs, cs) for slot, (rs, cs) in spans.items()}


# ---------------------------------------------------------------- text


def width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, FONT, size)


_TOKEN = re.compile(r"[!-~]+|\s+|.")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’、，。：；！？《》【】≥≤]")


def _tokens(text: str) -> list[str]:
    """Chinese characters one by one, Latin words, and the spaces between them. A space is a
    line-break opportunity only where a reader can tell it was there: beside a Chinese
    character (where it means nothing) or between two Latin words; elsewhere ("; 2.", "0450
    01") it is glued to its neighbours."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        prev = out[-1] if out else ""
        if len(out) >= 2 and prev.isspace() and not _breakable(out[-2][-1], tok[0]):
            out[-2:] = [out[-2] + " " + tok]
        else:
            out.append(tok)
    return out


def _breakable(a: str, b: str) -> bool:
    latin = a.isascii() and a.isalnum() and b.isascii() and b.isalnum()
    return bool(_CJK.match(a) or _CJK.match(b)) or latin and not (a.isdigit() and b.isdigit())


def wrap(text: str, room: float, size: float) -> list[str]:
    """Greedy line breaking: between Chinese characters anywhere, between Latin words at
    spaces, inside a word only when it is wider than the line; spaces at breaks dropped."""
    lines, line = [], ""
    for tok in _tokens(text):
        if tok.isspace():
            line += " " if line else ""
            continue
        if width(line + tok, size) <= room + 0.01:
            line += tok
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        for ch in tok:  # a token wider than the line is broken anywhere
            if line and width(line + ch, size) > room + 0.01:
                lines.append(line)
                line = ""
            line += ch
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


# ---------------------------------------------------------------- the document


class Writer:
    """A canvas with a cursor: pages, paragraphs, and tables that run over pages."""

    def __init__(self, path: Path, landscape: bool, inner_rules: bool, repeat_header: bool,
                 split_cells: bool, widths: dict[int, list[float]]):
        from reportlab.pdfgen.canvas import Canvas
        self.c = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
        self.c.setAuthor("tests/pdfgen.py")
        self.c.setCreator("tests/pdfgen.py")
        self.landscape_all, self.inner_rules = landscape, inner_rules
        self.repeat_header, self.split_cells, self.widths = repeat_header, split_cells, widths
        self.page, self.landscape, self.y = 0, landscape, 0.0
        self.tables = 0
        self.log: list[str] = []  # what happened where: "table 2 page 3", "split row 14 ..."

    @property
    def size(self) -> tuple[float, float]:
        return (A4[1], A4[0]) if self.landscape else A4

    @property
    def frame(self) -> float:
        return self.size[0] - 2 * MARGIN

    def new_page(self, landscape: bool | None = None) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        self.landscape = self.landscape if landscape is None else landscape
        self.c.setPageSize(self.size)
        self.c.setFont(FONT, 9)
        self.c.drawCentredString(self.size[0] / 2, MARGIN / 2, f"- {self.page} -")
        self.y = self.size[1] - MARGIN

    def room(self) -> float:
        return self.y - MARGIN

    def line(self, text: str, size: float, align: str = "left", right: str = "") -> None:
        """One line of text across the frame; `right` is set flush right on the same line."""
        lead = size * 1.5
        if self.room() < lead:
            self.new_page()
        base = self.y - size * 1.1
        self.c.setFont(FONT, size)
        if align == "centre":
            self.c.drawCentredString(self.size[0] / 2, base, text)
        else:
            self.c.drawString(MARGIN, base, text)
        if right:
            self.c.drawRightString(MARGIN + self.frame, base, right)
        self.y -= lead

    def paragraph(self, text: str, size: float = 10.5) -> None:
        if not self.page:
            self.new_page(self.landscape_all)
        for piece in wrap(text, self.frame, size):
            self.line(piece, size)
        self.y -= size * 0.4

    def finish(self) -> None:
        self.c.showPage()
        self.c.save()

    # ------------------------------------------------------------ tables

    def table(self, t: Table) -> None:
        rows = t.rows  # a table without a caption continues the one before: no header
        n_header = header_count(rows) if t.caption else 0
        spans = merges(rows, n_header)
        landscape, size, widths = self._fit(rows, n_header, self.widths.get(self.tables))
        self.tables += 1
        xs = [MARGIN]
        for w in widths:
            xs.append(xs[-1] + w)
        lead = size * 1.25
        lines = {}  # (row, col) -> wrapped lines
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if r < n_header and (r, c) not in spans:
                    continue
                cs = spans.get((r, c), (1, 1))[1] if r < n_header else 1
                lines[(r, c)] = wrap(text, xs[c + cs] - xs[c] - 2 * PAD, size) if text else []
        heights = [max([len(lines.get((r, c), [])) for c in range(len(row))
                        if r >= n_header or spans.get((r, c), (1, 1))[0] == 1] + [1]) * lead
                   + 2 * PAD for r, row in enumerate(rows)]
        for (r, c), (rs, cs) in spans.items():  # a tall merged cell deepens its last row
            need = len(lines[(r, c)]) * lead + 2 * PAD
            heights[r + rs - 1] += max(0.0, need - sum(heights[r:r + rs]))
        head_h = sum(heights[:n_header])
        caption_h = sum(23 if i == 0 else 16 for i, _ in enumerate(self._caption_lines(t)))
        first = sum(heights[n_header:n_header + 2])
        if not self.page or landscape != self.landscape or \
                self.room() < caption_h + head_h + first + 6:
            self.new_page(landscape)
        self.y -= 6
        self.log.append(f"table {self.tables} page {self.page}")
        for i, (text, right) in enumerate(self._caption_lines(t)):
            if right or DEPT.match(text) or UNIT.match(text):
                self.line(text, 9, right=right)
            else:
                self.line(text, 15 if i == 0 else 10.5, "centre")
        self._header(rows, n_header, spans, lines, heights, xs, size)
        for r in range(n_header, len(rows)):
            cells = [lines[(r, c)] for c in range(len(xs) - 1)]
            if heights[r] > self.room():
                fit = int((self.room() - 2 * PAD) // lead)
                if self.split_cells and fit >= 1 and max(map(len, cells)) > fit:
                    self._row(rows[r], [ls[:fit] for ls in cells], fit * lead + 2 * PAD, xs,
                              size, top=True)
                    cells = [ls[fit:] for ls in cells]
                    self.log.append(f"split row {r} page {self.page}")
                self._close(xs)
                self.new_page()
                if self.repeat_header:
                    self._header(rows, n_header, spans, lines, heights, xs, size)
                else:
                    self._rule(xs[0], self.y, xs[-1], self.y)
                self.log.append(f"row {r} page {self.page}")
                if not any(cells):
                    continue
            self._row(rows[r], cells, max(map(len, cells)) * lead + 2 * PAD, xs, size)
        self._close(xs)
        for note in t.notes:
            self.y -= 3
            for piece in wrap(note, self.frame, 9):
                self.line(piece, 9)
        self.y -= 10

    @staticmethod
    def _caption_lines(t: Table) -> list[tuple[str, str]]:
        """The caption as printed: a 部门名称 line and the 单位 line after it share a line."""
        out: list[tuple[str, str]] = []
        for text in t.caption:
            if UNIT.match(text) and out and DEPT.match(out[-1][0]) and not out[-1][1]:
                out[-1] = (out[-1][0], text)
            else:
                out.append((text, ""))
        return out

    def _fit(self, rows, n_header, fixed) -> tuple[bool, float, list[float]]:
        """Orientation, font size and column widths: portrait at the largest size that fits,
        else landscape; columns as wide as their numbers and up to 10 em of text (squeezed
        on a landscape page if need be), then stretched to the frame."""
        choices = [(False, 9), (False, 8), (True, 8), (True, 7), (True, 6)]
        for landscape, size in [ch for ch in choices if ch[0] or not self.landscape_all]:
            frame = (A4[1] if landscape else A4[0]) - 2 * MARGIN
            if fixed:
                widths = [w * size + 2 * PAD for w in fixed]
                if sum(widths) <= frame:
                    return landscape, size, widths
                continue
            floor, want = [], []
            for c in range(len(rows[0])):
                body = [rows[r][c] for r in range(n_header, len(rows)) if rows[r][c]]
                numbers = [width(x, size) for x in body if DATA.match(x.replace(" ", ""))]
                texts = [min(width(x, size), 10 * size) for x in body]
                floor.append(max(numbers + [2 * size]) + 2 * PAD)
                want.append(max(texts + [floor[-1] - 2 * PAD]) + 2 * PAD)
            if sum(floor) > frame or sum(want) > frame and not landscape:
                continue
            if sum(want) > frame:  # squeeze the text columns, never the numbers
                slack = sum(want) - sum(floor)
                want = [f + (w - f) * (frame - sum(floor)) / slack for w, f in zip(want, floor)]
            return landscape, size, [w * frame / sum(want) for w in want]
        raise ValueError("table too wide for a landscape A4 page")

    def _cell(self, text_lines, x0, x1, top, height, size, align, top_align=False) -> None:
        lead = size * 1.25
        block = len(text_lines) * lead
        y = top - PAD if top_align else top - (height - block) / 2
        self.c.setFont(FONT, size)
        for piece in text_lines:
            base = y - lead / 2 - size * 0.32
            if align == "centre":
                self.c.drawCentredString((x0 + x1) / 2, base, piece)
            elif align == "right":
                self.c.drawRightString(x1 - PAD, base, piece)
            else:
                self.c.drawString(x0 + PAD, base, piece)
            y -= lead

    def _rule(self, x0, y0, x1, y1) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(x0, y0, x1, y1)

    def _box(self, x0, x1, top, bottom, sides="tblr") -> None:
        for side, seg in zip("tblr", [(x0, top, x1, top), (x0, bottom, x1, bottom),
                                      (x0, top, x0, bottom), (x1, top, x1, bottom)]):
            if side in sides:
                self._rule(*seg)

    def _header(self, rows, n_header, spans, lines, heights, xs, size) -> None:
        tops = [self.y]
        for h in heights[:n_header]:
            tops.append(tops[-1] - h)
        for (r, c), (rs, cs) in sorted(spans.items()):
            self._box(xs[c], xs[c + cs], tops[r], tops[r + rs])
            self._cell(lines[(r, c)], xs[c], xs[c + cs], tops[r], tops[r] - tops[r + rs],
                       size, "centre")
        self.y = tops[-1]

    def _row(self, row, cells, height, xs, size, top=False) -> None:
        bottom = self.y - height
        for c, text_lines in enumerate(cells):
            number = DATA.match(row[c].replace(" ", "")) is not None
            sides = "tblr" if self.inner_rules else "lr"
            self._box(xs[c], xs[c + 1], self.y, bottom, sides)
            self._cell(text_lines, xs[c], xs[c + 1], self.y, height, size,
                       "right" if number else "left", top_align=top)
        self.y = bottom

    def _close(self, xs) -> None:
        self._rule(xs[0], self.y, xs[-1], self.y)


def render(items: list[Para | Table], path: Path, *, landscape: bool = False,
           inner_rules: bool = True, repeat_header: bool = True, split_cells: bool = False,
           widths: dict[int, list[float]] | None = None) -> list[str]:
    """Write the items as a PDF; returns the layout log (which table and row went where).
    `widths` fixes the column widths (in ems, text only) of the tables with those indexes."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    writer = Writer(path, landscape, inner_rules, repeat_header, split_cells, widths or {})
    for item in items:
        if isinstance(item, Table):
            writer.table(item)
        else:
            writer.paragraph(item.text)
    writer.finish()
    return writer.log


# ---------------------------------------------------------------- the minimal PDFs of the tests


DEPT_LINES = "部门名称：示例市政务服务和大数据管理局\n单位：万元\n"
EXPENDITURE_HEAD = """\
| 科目编码 | | | 单位代码 | 单位（科目名称） | 合计 | 基本支出 | | | | | 项目支出 | | |
| | | | | | | 小计 | 人员经费 | | 公用经费 | | 小计 | 其他运转类 | 特定目标类 |
| 类 | 款 | 项 | | | | | 工资福利支出 | 对个人和家庭的补助 | 商品和服务支出 | 资本性支出 | | | |
"""
BASIC_HEAD = """\
| 部门预算支出经济分类科目 | | 政府预算支出经济分类科目编码 | | 本年一般公共预算基本支出 | | |
| 科目编码 | 科目名称 | 科目编码 | 科目名称 | 合计 | 人员经费 | 公用经费 |
"""
SANGONG = """2024年一般公共预算“三公”经费支出情况表
{dept}
| “三公”经费合计 | 因公出国（境）费 | 公务用车购置及运行费 | | | 公务接待费 |
| | | 小计 | 公务用车购置费 | 公务用车运行费 | |
| 2.60 | | 2.10 | | 2.10 | 0.50 |
注：按照党中央、国务院有关规定及部门预算管理有关规定，“三公”经费包括因公出国（境）费、公务用车购置\
及运行费和公务接待费。（1）因公出国（境）费，指单位工作人员公务出国（境）的住宿费、旅费、伙食补助费、杂费、\
培训费等支出。（2）公务用车购置及运行费，指单位公务用车购置费及租用费、燃料费、维修费等支出。
""".format(dept=DEPT_LINES)


def narrative() -> str:
    """Part one and the start of part two of the 新乡 seed: duties, units, headline figures."""
    text = (ROOT / "sources" / SEEDS[0] / "transcript.txt").read_text(encoding="utf-8-sig")
    start = text.index("第一部分", text.index("第一部分") + 1)
    return text[start:text.index("四、财政拨款收入支出总体情况说明")]


def pipe(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |\n"


def long_rows(n: int) -> list[tuple[str, str, str, str, str, str, str]]:
    """Rows of a long expenditure table: (类, 款, 项, name, total, basic wages, project)."""
    rows = []
    for i in range(n):
        wages, project = f"{(i * 37) % 500 + 10}.{i % 100:02d}", f"{(i * 53) % 900}.50"
        total = f"{float(wages) + float(project):.2f}"
        rows.append((str(201 + i // 90), f"{i // 9 % 10 + 1:02d}", f"{i % 9 + 1:02d}",
                     f"支出项目{i + 1}", total, wages, project))
    return rows


def _long_table(n: int) -> str:
    text = "2024年部门支出总体情况表\n" + DEPT_LINES + EXPENDITURE_HEAD
    for code1, code2, code3, name, total, wages, project in long_rows(n):
        text += pipe(code1, code2, code3, "", name, total, wages, wages, "", "", "", project,
                     project, "")
    return text


def _split_cell(filler: int) -> str:
    """A basic-expenditure table whose row 其他社会保障缴费 wraps as 其他社会保障缴 / 费
    after `filler` one-line rows."""
    text = "2024年一般公共预算基本支出表\n" + DEPT_LINES + BASIC_HEAD
    for i in range(filler):
        text += pipe(f"302{i % 90 + 1:02d}", "办公费", "50201", "办公经费", "1.00", "", "1.00")
    return text + pipe("30112", "其他社会保障缴费", "50102", "社会保障缴费", "0.54", "0.54", "") \
        + pipe("30113", "住房公积金", "50103", "住房公积金", "37.87", "37.87", "")


def _performance(filler: int) -> str:
    """A project performance table whose one project has `filler` text-valued indicators,
    then repeated groups of three text values and one number."""
    text = ("2024年部门预算项目绩效目标汇总表\n" + DEPT_LINES
            + pipe("单位编码（项目编码）", "项目单位（项目名称）", "项目金额（万元）", "", "", "",
                   "绩效目标", "", "", "", "", "", "", "")
            + pipe("", "", "资金总额", "政府预算资金", "财政专户管理资金", "单位资金",
                   "成本指标", "", "产出指标", "", "效益指标", "", "满意度指标", "")
            + pipe("", "", "", "", "", "", *["三级指标", "指标值"] * 4)
            + pipe("709", "", "84.80", "84.80", "", "", *[""] * 8)
            + pipe("410700240000000006031", "大厅运行经费", "84.80", "84.80", "", "",
                   "大厅运行经费预算", "≤84.8万元", "办理服务事项", "≥2113项", "提高行政效益",
                   "提高", "服务对象满意度", "≥95%"))
    values = ["按时完成"] * filler + ["按时完成", "按时完成", "按时完成", "100%"] * 12
    for i, value in enumerate(values):
        text += pipe("", "", "", "", "", "", "", "", f"产出指标{i + 1}", value, "", "", "", "")
    return text


# name -> (transcript, render options)
CASES: dict[str, tuple[str, dict]] = {
    "merged-header": ("2024年部门支出总体情况表\n" + DEPT_LINES + EXPENDITURE_HEAD
                      + pipe("", "", "", "", "合计", "1,000.00", "600.00", "450.00", "50.00",
                             "100.00", "", "400.00", "150.00", "250.00")
                      + pipe("201", "03", "01", "", "行政运行", "600.00", "600.00", "450.00",
                             "50.00", "100.00", "", "", "", "")
                      + pipe("201", "03", "02", "", "一般行政管理事务", "400.00", "", "", "",
                             "", "", "400.00", "150.00", "250.00"), {}),
    "narrow-header": ("2024年部门收入总体情况表\n" + DEPT_LINES
                      + pipe("部门（单位）代码", "部门（单位）名称", "总计", "一般公共预算",
                             "政府性基金", "国有资本经营预算", "事业收入", "上年结转")
                      + pipe("709", "示例市政务服务和大数据管理局", "47,172.53", "6,655.15", "8",
                             "", "9", "40,500.38"),
                      {"widths": {0: [3, 8, 5, 5, 1.2, 1.2, 1.2, 5]}}),
    "wrapped-body": ("2024年部门支出总体情况表\n" + DEPT_LINES + EXPENDITURE_HEAD
                     + pipe("208", "05", "05", "", "机关事业单位基本养老保险缴费支出", "84.85",
                            "84.85", "84.85", "", "", "", "", "", "")
                     + pipe("210", "11", "01", "", "行政单位医疗", "17.57", "17.57", "17.57",
                            "", "", "", "", "", "")
                     + pipe("229", "04", "02", "", "其他地方自行试点项目收益专项债券收入安排的支出",
                            "40,517.38", "", "", "", "", "", "40,517.38", "", "40,517.38"),
                     {"widths": {0: [1.8, 1.2, 1.2, 2.5, 6, 5, 5, 3, 3, 3, 3, 5, 4, 5]}}),
    "wrapped-two-cells": ("2024年项目支出表\n" + DEPT_LINES
                          + pipe("类型", "项目名称", "项目单位", "合计", "本年拨款", "", "")
                          + pipe("", "", "", "", "一般公共预算", "政府性基金预算", "国有资本经营预算")
                          + pipe("其他运转类", "新乡市12345政务服务便民热线平台经费",
                                 "示例市政务服务和大数据管理局", "70.40", "70.40", "", "")
                          + pipe("其他运转类", "大厅运行经费", "示例市政务服务和大数据管理局",
                                 "84.80", "84.80", "", ""),
                          {"widths": {0: [5, 8, 5, 5, 6, 6, 7]}}),
    "long-table": (_long_table(110), {}),
    "long-table-no-repeat": (_long_table(110), {"repeat_header": False}),
    "landscape": ("2024年部门收入总体情况表\n" + DEPT_LINES
                  + pipe("部门（单位）代码", "部门（单位）名称", "总计", "本年收入", *[""] * 10,
                         "上年结转结余", *[""] * 5)
                  + pipe("", "", "", "合计", "一般公共预算", "", "政府性基金", "国有资本经营预算",
                         "财政专户管理资金收入", "事业收入", "事业单位经营收入", "上级补助收入",
                         "附属单位上缴收入", "其他收入", "合计", "一般公共预算", "政府性基金",
                         "国有资本经营预算", "财政专户管理资金", "单位资金")
                  + pipe("", "", "", "", "小计", "其中：财政拨款", *[""] * 14)
                  + pipe("", "合计", "47,172.53", "6,655.15", "6,655.15", "6,655.15", *[""] * 8,
                         "40,517.38", "", "40,517.38", "", "", "")
                  + pipe("709001", "示例市政务服务和大数据管理局", "47,172.53", "6,655.15",
                         "6,655.15", "6,655.15", *[""] * 8, "40,517.38", "", "40,517.38", "",
                         "", ""), {"landscape": True}),
    "missing-rules": ("2024年一般公共预算基本支出表\n" + DEPT_LINES + BASIC_HEAD
                      + pipe("合计", "", "", "", "276.33", "270.18", "6.15")
                      + pipe("30101", "基本工资", "50101", "工资奖金津补贴", "112.79", "112.79", "")
                      + pipe("30102", "津贴补贴", "50101", "工资奖金津补贴", "75.30", "75.30", "")
                      + pipe("30201", "办公费", "50201", "办公经费", "6.16", "", "6.16")
                      + pipe("30103", "奖金", "50101", "工资奖金津补贴", "82.09", "82.09", ""),
                      {"inner_rules": False}),
    "empty-table": ("2024年政府性基金预算支出情况表\n" + DEPT_LINES + EXPENDITURE_HEAD
                    + pipe("", "", "", "", "合计", *[""] * 9) + "注：此表为空表。\n", {}),
    "two-tables": (SANGONG + "\n2024年政府性基金预算支出情况表\n" + DEPT_LINES + EXPENDITURE_HEAD
                   + pipe("", "", "", "", "合计", *[""] * 9) + "注：我单位没有政府性基金支出，故此表无数据。\n",
                   {}),
    "narrative": (narrative() + SANGONG, {}),
    "header-wrapped-rowspan": ("2024年财政拨款收支总体情况表\n" + DEPT_LINES
                               + pipe("收入", "", "支出", "", "", "", "", "")
                               + pipe("项 目", "金 额", "项 目", "合计", "一般公共预算", "",
                                      "政府性基金", "国有资本经营预算")
                               + pipe("", "", "", "", "小计", "其中：财政拨款", "", "")
                               + pipe("一、本年收入", "6,655.15", "一、本年支出", "47,172.53",
                                      "6,655.15", "6,655.15", "40,517.38", "")
                               + pipe("（一）一般公共预算拨款", "6,655.15", "（一）一般公共服务支出",
                                      "1,453.47", "1,453.47", "1,453.47", "", "")
                               + pipe("收入合计：", "47,172.53", "支出合计", "47,172.53",
                                      "6,655.15", "6,655.15", "40,517.38", ""),
                               {"widths": {0: [9, 4.5, 9, 4.5, 4.5, 4.5, 4.5, 2.2]}}),
}


def _searched(name: str, build, options: dict, wanted) -> tuple[str, dict]:
    """The first filler count whose layout puts the page break where the case needs it."""
    import tempfile
    for filler in range(60):
        text = build(filler)
        with tempfile.TemporaryDirectory() as tmp:
            log = render(parse(text), Path(tmp) / "probe.pdf", **options)
        if wanted(text, log):
            return text, options
    raise RuntimeError(f"{name}: no layout puts the page break where it is needed")


def _split_at(text: str, log: list[str]) -> bool:
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    target = next(i for i, ln in enumerate(rows) if "其他社会保障缴费" in ln)
    return f"split row {target} page 1" in log


def _breaks_after_number(text: str, log: list[str]) -> bool:
    """The second page starts with three text-valued indicators, then a number."""
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    first = next((int(e.split()[1]) for e in log if e.startswith("row ") and e.endswith("page 2")),
                 None)
    values = [r.split("|")[10].strip() for r in rows]
    return first is not None and first + 3 < len(rows) and \
        all(not DATA.match(v) for v in values[first:first + 3]) and DATA.match(values[first + 3])


def build_cases() -> dict[str, tuple[str, dict]]:
    cases = dict(CASES)
    for name, repeat in [("split-cell", True), ("split-cell-no-repeat", False)]:
        options = {"split_cells": True, "repeat_header": repeat,
                   "widths": {0: [3, 7, 3, 6, 4, 4, 4]}}
        cases[name] = _searched(name, _split_cell, options, _split_at)
    cases["performance-no-repeat"] = _searched("performance-no-repeat", _performance,
                                               {"repeat_header": False}, _breaks_after_number)
    return cases


def same_tools() -> bool:
    """Are the font file and reportlab version those the committed PDFs were made with?"""
    try:
        import reportlab
    except ImportError:
        return False
    return FONT_FILE.exists() and reportlab.Version == REPORTLAB_VERSION and \
        hashlib.sha256(FONT_FILE.read_bytes()).hexdigest() == FONT_SHA256


def generate(out: Path = OUT, quiet: bool = False) -> None:
    """Write the seed PDFs and the minimal PDFs (with their transcripts) to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        text = (ROOT / "sources" / seed / "transcript.txt").read_text(encoding="utf-8-sig")
        log = render(parse(text), out / f"{seed}.pdf")
        quiet or print(f"{seed}.pdf: {sum(e.startswith('table') for e in log)} tables")
    for name, (text, options) in build_cases().items():
        (out / f"case-{name}.txt").write_text(text, encoding="utf-8")
        log = render(parse(text), out / f"case-{name}.pdf", **options)
        quiet or print(f"case-{name}.pdf: {'; '.join(log)}")


def main() -> None:
    if not FONT_FILE.exists():
        raise SystemExit(f"font not found: {FONT_FILE} (apt-get install fonts-wqy-microhei, "
                         "or set PDFGEN_FONT)")
    if not same_tools():
        print(f"note: not the font file (sha256 {FONT_SHA256[:12]}…) or reportlab "
              f"{REPORTLAB_VERSION} the committed PDFs were made with: they will differ")
    generate()


if __name__ == "__main__":
    main()
