"""What a document says it prints: the tables its table of contents (目录) lists, and the
numbers it prints on its tables (预算01表, 预算表12, 公开01表, 公开表一, 表1).

Both are read from the intermediate form, with the words of the family at hand
(`families.current()`: its `contents` section), and are used twice: by the checks
(check/completeness.py: a table the document says it prints and that was not delivered
fails) and by the corpus report (contribute/corpus.py: how many tables a document prints).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, Iterator

from pipeline import families
from pipeline.model import Document, Grid
from pipeline.values import clean, split_numbering

MAX_CONTENTS_LINE = 60  # a longer line is narrative: the table of contents has ended
CONTENTS_PAGES = 3  # pages after the one printing 目录 that may still hold its entries
CLOSE_TITLE = 0.75  # share of a contents title's characters a differently worded title holds
CLOSE_ENTRY = 0.7  # similarity of an entry's title to the table's it is taken to list

_LEADER = re.compile(r"…|\.{3,}|·{2,}|-{3,}|_{3,}")
_YEAR = re.compile(r"\d{4}\s*年度?")
_NUMERALS = "一二三四五六七八九"


def _words(name: str) -> re.Pattern:
    return families.current().pattern_at("contents", name)


def lines(doc: Document) -> Iterator[tuple[int | None, str | Grid]]:
    """The document in reading order as (page number, a line of text or a grid)."""
    for page in doc.pages:
        for item in page.items:
            if isinstance(item, Grid):
                yield page.number, item
            else:
                for line in item.text.splitlines():
                    yield page.number, line


def _entry_text(line: str) -> str:
    """A line of the contents without its bullet, dotted leader, page number and closing
    punctuation."""
    text = clean(line)
    text = re.sub(r"^[-*•]\s*", "", text)
    text = _LEADER.split(text)[0]
    text = re.sub(r"\s+\d+$", "", text)
    return text.strip().rstrip("；;。，,").strip()


def contents_titles(doc: Document) -> list[str] | None:
    """The tables listed in the document's table of contents (目录), as printed; None when it
    prints no contents (or lists no table in them).

    Entries are the numbered lines (一、 1. （一）) of the contents whose text ends as a
    table's name does (the family's `contents.entry`: …表, or …表（按功能分类科目）); a title
    wrapped onto the next, unnumbered line is joined; a numbered heading over entries
    numbered another way (五、部门预算表 over 1. … 9. …) is a heading, not a table. The
    contents end at a line too long for a title, at a line or part heading (第一部分) seen
    twice (the body starts), at a grid, or a few pages after the 目录 page."""
    return contents(doc)[0] or None


def contents(doc: Document) -> tuple[list[str], range]:
    """(the table titles of the contents, the positions in `lines` from 目录 to its last
    entry: the rest is the body, which may also come before it, in an earlier file)."""
    heading, part_heading, entry = _words("heading"), _words("part"), _words("entry")
    started, start_page, start, last = False, None, 0, -1
    seen: set[str] = set()
    parts: set[str] = set()
    entries: list[tuple[int, str]] = []  # (numbering level, text)
    pending: tuple[int, str] | None = None
    for pos, (number, line) in enumerate(lines(doc)):
        if started and number is not None and start_page is not None \
                and number > start_page + CONTENTS_PAGES:
            break
        if isinstance(line, Grid):
            if started and entries:
                break
            continue
        if not started:
            if heading.search(re.sub(r"\s", "", line)):
                started, start_page, start = True, number, pos
            continue
        text = _entry_text(line)
        if not text:
            continue
        part = part_heading.match(text)
        level, rest = _numbering(text)
        is_heading = bool(part) or level in (1, 2, 3)  # not the tail of a wrapped title
        if len(text) > MAX_CONTENTS_LINE or (is_heading and text in seen):
            break
        seen.add(text)
        if part:
            if part.group(0) in parts:
                break
            parts.add(part.group(0))
        if level in (1, 2, 3):
            if pending:
                entries.append(pending)
            pending, last = (level, rest), pos
        elif pending and not part and not entry.search(pending[1]) \
                and len(pending[1] + text) <= MAX_CONTENTS_LINE:
            pending, last = (pending[0], pending[1] + text), pos  # a wrapped title
        else:
            if pending:
                entries.append(pending)
            pending = None
    if pending:
        entries.append(pending)
    titles = []
    for i, (level, text) in enumerate(entries):
        after = entries[i + 1] if i + 1 < len(entries) else None
        if not entry.search(text):
            continue
        if after and after[0] != level and entry.search(after[1]):
            continue  # a heading over the tables below it, numbered another way
        titles.append(text)
    return titles, range(start, last + 1)


def _numbering(text: str) -> tuple[int, str]:
    """split_numbering, also for "4．2026年…" (a number then the year, no space)."""
    level, rest = split_numbering(text)
    if level == 0:
        m = re.match(r"^\d{1,2}\s*[.、]\s*", text)
        if m:
            return 3, text[m.end():]
    return level, rest


def _title_key(title: str) -> str:
    _, text = _numbering(clean(title))
    return re.sub(r"\s", "", _YEAR.sub("", text))


def _kind(title: str) -> str | None:
    kind = families.current().kind_for_title(title)
    return kind.id if kind else None


def match_contents(listed: list[str], recognized: list[str], kinds: list[str] | None = None
                   ) -> tuple[list[str], list[str]]:
    """(the contents entries that no recognized table answers, the recognized tables that no
    entry lists), one table per entry: the same title (without numbering and year), else a
    table of the kind the entry's title names (`kinds`: the recognized tables' kinds;
    政府采购支出预算表 answers 江苏省…政府采购预算表), else one title containing the other,
    else a close one."""
    keys = [_title_key(t) for t in recognized]
    named = [{k, _kind(t)} - {None} for k, t in zip(kinds or [None] * len(recognized),
                                                     recognized)]
    free = list(range(len(recognized)))
    rounds: list[Callable[[str, str, int], bool]] = [
        lambda title, key, i: bool(key) and keys[i] == key,
        lambda title, key, i: _kind(title) in named[i],
        lambda title, key, i: bool(key and keys[i]) and (keys[i].endswith(key) or key in keys[i]
                                                         or key.endswith(keys[i])),
    ]
    left = list(listed)
    for same in rounds:
        still = []
        for title in left:
            key = _title_key(title)
            i = next((i for i in free if same(title, key, i)), None)
            if i is None:
                still.append(title)
            else:
                free.remove(i)
        left = still
    out = []
    for title in left:
        key = _title_key(title)
        close = max(free, key=lambda i: SequenceMatcher(None, key, keys[i]).ratio(), default=None)
        if close is not None and SequenceMatcher(None, key, keys[close]).ratio() >= CLOSE_ENTRY:
            free.remove(close)
        else:
            out.append(title)
    return out, [recognized[i] for i in free]


def body_prints(doc: Document, title: str) -> bool:
    """Whether the document prints a contents entry's title outside its contents: a line (or
    two lines joined, or a grid cell) that contains the title (numbering, year, 部门 and the
    like removed), names the same standard table, or is a title holding most of its words
    in order and naming no other standard table (年度项目支出绩效表 for 项目支出绩效目标表,
    not 收支预算表 for 收入预算表)."""
    tpl = families.current()
    key = re.sub(r"\s", "", tpl.normalize_title(title))
    kind = _kind(title)
    span = contents(doc)[1]
    texts: list[str] = []
    for i, (_, line) in enumerate(lines(doc)):
        if i not in span:
            texts += [c.text for c in line.cells] if isinstance(line, Grid) else [line]
    texts = [clean(t) for t in texts]
    for text in texts + [a + b for a, b in zip(texts, texts[1:])]:
        if not key or not text or len(text) > MAX_CONTENTS_LINE:
            continue
        other = re.sub(r"\s", "", tpl.normalize_title(text))
        if key in other or (kind is not None and _kind(text) == kind):
            return True
        common = sum(b.size for b in SequenceMatcher(None, key, other).get_matching_blocks())
        if other.endswith("表") and common >= CLOSE_TITLE * len(key) \
                and None in (kind, _kind(text)):
            return True
    return False


# --- table numbers ------------------------------------------------------------------------

@dataclass(frozen=True)
class TableNumber:
    """A table number as the document prints it: `label` (公开表5, as first printed), its
    `scheme` (the prefix: 公开, 预算, or none), the number, and the pages it is printed on
    (a table's each page may repeat it; none in a transcript)."""

    label: str
    scheme: str
    number: int
    pages: tuple[int, ...] = ()

    def named(self, number: int) -> str:
        """The label the same scheme gives another number: 公开05表 -> 公开06表, 表1 -> 表2,
        表五 -> 表六."""
        digits = re.search(r"\d+", self.label)
        if digits:
            width = len(digits.group(0)) if digits.group(0).startswith("0") else 1
            return (self.label[:digits.start()] + str(number).zfill(width)
                    + self.label[digits.end():])
        return re.sub(f"[十{_NUMERALS}]+", chinese_numeral(number), self.label, count=1)


def chinese_numeral(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 99 -> 九十九 (1 to 99)."""
    tens, ones = divmod(number, 10)
    text = ("" if tens < 2 else _NUMERALS[tens - 1]) + ("十" if tens else "")
    return text + (_NUMERALS[ones - 1] if ones else "")


def _parse_numeral(text: str) -> int:
    """'12' -> 12, '十二' -> 12, '二十' -> 20; 0 for what is not a number (一二)."""
    if text.isdigit():
        return int(text)

    def digit(s: str) -> int:
        return _NUMERALS.index(s) + 1 if s else 0

    tens, ten, ones = text.rpartition("十")
    if len(tens) > 1 or len(ones) > 1 or any(c not in _NUMERALS for c in tens + ones):
        return 0
    return (digit(tens) or 1) * 10 + digit(ones) if ten else digit(ones)


def table_numbers(doc: Document) -> list[TableNumber]:
    """Every table number the document prints outside its contents, once each with the
    pages it is printed on, in order of scheme and number: a line that is the family's
    `contents.number` alone, or followed by a title (预算01表收支总表); none in a line too
    long for a title (a sentence citing 公开06表)."""
    number = _words("number")
    span = contents(doc)[1]
    found: dict[tuple[str, int], TableNumber] = {}
    for i, (page, line) in enumerate(lines(doc)):
        if i in span or isinstance(line, Grid):
            continue
        text = " ".join(unicodedata.normalize("NFKC", line).split())  # spaces kept: 表一 收支总表
        m = number.match(text) if len(text) <= MAX_CONTENTS_LINE else None
        if m is None:
            continue
        n = _parse_numeral(next(v for k, v in m.groupdict().items() if k != "scheme" and v))
        if n:
            scheme = m.group("scheme") or ""
            seen = found.get((scheme, n)) or TableNumber(re.sub(r"\s", "", m.group(0)), scheme, n)
            pages = seen.pages + ((page,) if page is not None and page not in seen.pages else ())
            found[scheme, n] = TableNumber(seen.label, scheme, n, pages)
    return [found[k] for k in sorted(found)]
