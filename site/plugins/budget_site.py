"""Datasette plugin of the budget site (loaded with `--plugins-dir site/plugins`).

Self-contained on purpose: `datasette package` / `datasette publish` copy this folder into
the image, where the `pipeline` package is not installed. `pipeline/publish/site/config.py` imports
the tokenizer from here, so the index and the queries are segmented by the same code.

What it adds:

- Chinese full-text search. SQLite's FTS5 `unicode61` tokenizer treats a run of Chinese
  characters as one word, so 热线 would never match 便民热线平台. The index text is therefore
  pre-segmented (`index_terms`): each run of CJK characters becomes its overlapping character
  bigrams plus its last character (新乡市 -> 新乡 乡市 市); other words (12345, ASCII) stay
  whole; text is NFKC-normalized first, so full-width （１２３４５） equals (12345). A user's
  plain term is turned into the matching FTS5 phrase by `fts_query` (大数据 -> "大数 数据"; a
  single character becomes a prefix query, 热 -> "热"*), so every substring of two or more
  characters is found, and one-character terms too. SQL functions: `cjk_match(q)` (the
  query), `cjk_terms(text)` (the index form), and `escape_fts` is replaced by `cjk_match` so
  Datasette's own table search box (?_search=) works on these indexes as well.
- Amounts shown as people read them: 471725300.0 -> 471,725,300, and amounts in yuan to the
  fen at most (87267272.4399999976 -> 87,267,272.44) (HTML only; JSON is raw).
- /charts: server-rendered SVG charts (no JavaScript, no CDN) of one department's spending
  by function class, basic vs project spending, and 三公 expenses over the years.
- Template variables for the landing page (live counts from the database).
- Limits, so that no request takes the site down: SQLite's length and column limits and a
  cap on what one query returns, on every connection; a cap on a response; the serving
  process's memory; half the SQL threads for requests with their own SQL; 405 for any
  method but GET and HEAD; one short log line for a refused request (site/README.md).
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import sqlite3
import unicodedata
import weakref
from contextlib import closing
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qsl, quote

PLUGIN = "budget-site"
DEFAULT_DATABASE = "budgets"

# Han (basic, extension A, compatibility, extensions B-F), kana, hangul: characters that
# unicode61 glues into one token when they follow each other.
_CJK = ("\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        "\U00020000-\U0003134f")
_RUN_RE = re.compile(f"([{_CJK}]+)|((?:(?![{_CJK}])[^\\W_])+)")
_QUERY_TERM_RE = re.compile(r'"([^"]*)"|(\S+)')


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) for each run of CJK characters or of other letters/digits."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return [(bool(m.group(1)), m.group(0)) for m in _RUN_RE.finditer(text)]


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)] or [run]


def index_terms(text: str | None) -> str:
    """The text as FTS5 should index it: CJK runs as overlapping bigrams plus their last
    character, other words whole, separated by spaces."""
    tokens: list[str] = []
    for cjk, run in _runs(text or ""):
        if cjk and len(run) > 1:
            tokens += _bigrams(run) + [run[-1]]
        else:
            tokens.append(run)
    return " ".join(tokens)


def _phrase(term: str) -> str | None:
    runs = _runs(term)
    if not runs:
        return None
    tokens: list[str] = []
    for i, (cjk, run) in enumerate(runs):
        last = i == len(runs) - 1
        if cjk and len(run) > 1:
            tokens += _bigrams(run)
            if not last:  # the text's run ends here too, so its final character follows
                tokens.append(run[-1])
        else:
            tokens.append(run)
    prefix = runs[-1][0] and len(runs[-1][1]) == 1  # one character: any bigram starting with it
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def fts_query(query: str | None) -> str:
    """A user's plain search terms -> an FTS5 query over `index_terms` text.

    Terms separated by spaces must all match (AND); "quoted text" is one term. Characters
    that are neither letters nor digits only separate. An empty query matches nothing."""
    phrases = []
    for m in _QUERY_TERM_RE.finditer(query or ""):
        phrase = _phrase(m.group(1) if m.group(1) is not None else m.group(2))
        if phrase:
            phrases.append(phrase)
    return " ".join(phrases) if phrases else '""'


def format_number(value: float) -> str:
    """471725300.0 -> '471,725,300'; 115680.5 -> '115,680.5' (at most 6 decimals, so the
    noise of a float sum, 97.62000000001, does not show)."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_yuan(value) -> str:
    """An amount in yuan, to the fen at most: 87267272.4399999976 -> '87,267,272.44';
    471725300.0 -> '471,725,300'; 0.5 -> '0.50'."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    amount = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount:,.2f}"


def wan(value) -> str:
    """Yuan -> '1,453.47 万元' as budget documents print it."""
    if value is None:
        return "–"
    return f"{Decimal(str(value)) / 10000:,.2f} 万元"


# --------------------------------------------------------------------------------------
# SVG charts, rendered on the server.

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f")
OTHERS_COLOR = "#a0aec0"
TOP_DEPARTMENTS = 15  # bars of departments on the overview chart; the rest are one bar
TOP_CLASSES = 10  # bars of function classes


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _short(label: str, limit: int) -> str:
    """A label cut to `limit` characters with an ellipsis (the full text is in the tooltip)."""
    return label if len(label) <= limit else label[:limit - 1] + "…"


def hbar_chart(title: str, rows: list, *, label_width: int = 230,
               width: int = 760) -> str:
    """Horizontal bars, one per (label, yuan[, link[, kind]]) row, with the amount in 万元
    at the bar's end. A row whose kind is "others" (the rest, summed) is drawn grey; a row
    with a link is a link. Labels longer than the label column are shortened."""
    bar_h, gap, top = 22, 8, 34
    height = top + len(rows) * (bar_h + gap) + 10
    peak = max((r[1] for r in rows if r[1]), default=0) or 1
    span = width - label_width - 150
    limit = max(6, label_width // 14)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{_esc(title)}">',
             f'<title>{_esc(title)}</title>',
             f'<text x="0" y="20" class="chart-title">{_esc(title)}</text>']
    for i, row in enumerate(rows):
        label, value = row[0], row[1]
        link = row[2] if len(row) > 2 else None
        others = len(row) > 3 and row[3] == "others"
        y = top + i * (bar_h + gap)
        w = max(1.0, span * (value or 0) / peak)
        bar = (f'<g class="bar{" others" if others else ""}"><title>{_esc(label)}: '
               f'{_esc(wan(value))}</title>'
               f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" '
               f'class="bar-label">{_esc(_short(label, limit))}</text>'
               f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" '
               f'fill="{OTHERS_COLOR if others else PALETTE[0]}"></rect>'
               f'<text x="{label_width + w + 6:.1f}" y="{y + 16}" class="bar-value">'
               f'{_esc(wan(value))}</text></g>')
        parts.append(f'<a href="{_esc(link)}">{bar}</a>' if link else bar)
    parts.append("</svg>")
    return "".join(parts)


def top_n(rows: list, n: int, others_label) -> list:
    """The n largest (label, value, ...) rows, and the rest summed into one "others" row
    labelled others_label(count) (none when at most n + 1 rows: a lone rest is shown)."""
    rows = sorted(rows, key=lambda r: -(r[1] or 0))
    if len(rows) <= n + 1:
        return rows
    rest = rows[n:]
    return rows[:n] + [(others_label(len(rest)), sum(r[1] or 0 for r in rest), None, "others")]


def stacked_chart(title: str, columns: list[tuple[str, list[float | None], str | None]],
                  series: list[str], *, width: int | None = None, height: int = 300) -> str:
    """Vertical stacked bars: one column per (label, values per series, note), a legend,
    and the column's total in 万元 above it (or the note when there is nothing to draw)."""
    top, bottom, left = 64, 40, 20
    width = width or max(460, min(900, left + 150 * len(columns)))
    plot_h = height - top - bottom
    totals = [sum(v or 0 for v in values) for _, values, _ in columns]
    peak = max(totals, default=0) or 1
    slot = (width - left) / max(len(columns), 1)
    bar_w = min(90, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'aria-label="{_esc(title)}">',
             f'<title>{_esc(title)}</title>',
             f'<text x="0" y="20" class="chart-title">{_esc(title)}</text>']
    x = 0
    for s, name in enumerate(series):  # legend
        parts.append(f'<rect x="{x}" y="32" width="12" height="12" fill="{PALETTE[s]}"></rect>'
                     f'<text x="{x + 16}" y="43" class="legend">{_esc(name)}</text>')
        x += 24 + 14 * len(name)
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#999"></line>')
    for c, ((label, values, note), total) in enumerate(zip(columns, totals)):
        cx = left + slot * c + (slot - bar_w) / 2
        y = base
        for s, value in enumerate(values):
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(f'<rect x="{cx:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s]}"><title>{_esc(label)} {_esc(series[s])}: '
                         f'{_esc(wan(value))}</title></rect>')
        caption = wan(total) if total else (note or "–")
        parts.append(f'<text x="{cx + bar_w / 2:.1f}" y="{y - 6:.1f}" text-anchor="middle" '
                     f'class="bar-value">{_esc(caption)}</text>'
                     f'<text x="{cx + bar_w / 2:.1f}" y="{base + 18}" text-anchor="middle" '
                     f'class="bar-label">{_esc(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _data_table(columns, series, totals=None) -> dict:
    """The numbers of a stacked chart, for a table under it (万元)."""
    rows = []
    for i, (label, values, note) in enumerate(columns):
        total = totals[i] if totals else sum(v or 0 for v in values)
        if not total and note:
            rows.append([label] + [note] * (len(series) + 1))
        else:
            rows.append([label] + [wan(v) for v in values] + [wan(total)])
    return {"header": ["年度"] + series + ["合计"], "rows": rows}


# --------------------------------------------------------------------------------------
# Limits: no request, whatever its SQL, takes the site down (site/README.md, "Limits").

VALUE_LIMIT = 250_000  # bytes in one string or blob (SQLITE_LIMIT_LENGTH); the longest is 4 KB
COLUMN_LIMIT = 100  # columns of one result (SQLITE_LIMIT_COLUMN); the widest table has 34
RESULT_LIMIT = 10_000_000  # characters and bytes of the values one query returns
RESPONSE_LIMIT = 32 * 2**20  # bytes of one response body (streamed downloads excepted)
HEAP_LIMIT = 512 * 2**20  # SQLite's memory in the serving process (PRAGMA hard_heap_limit)
MEMORY_LIMIT_MB = 2048  # address space of the serving process, in MiB ...
MEMORY_ENV = "BUDGET_SITE_MEMORY_MB"  # ... unless this environment variable says otherwise
QUEUE_LIMIT = 8  # requests with their own SQL waiting for a free slot; more get a 503
# The server's own log (uvicorn's general logger), so that these lines read like its others.
LOG = logging.getLogger("uvicorn.error")


class ResultTooLarge(sqlite3.OperationalError):
    """A query returned more than RESULT_LIMIT (shown as the query's error, status 400)."""


def _budgeted_rows(limit: int):
    """A row factory making sqlite3.Row objects that raises ResultTooLarge once the values
    one cursor returned pass `limit` characters and bytes (a number or NULL counts 8)."""
    state = {"cursor": lambda: None, "size": 0}

    def factory(cursor, values):
        if state["cursor"]() is not cursor:
            state["cursor"], state["size"] = weakref.ref(cursor), 0
        state["size"] += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in values)
        if state["size"] > limit:
            raise ResultTooLarge(f"query result larger than {limit:,} characters: "
                                 "ask for fewer rows or shorter values")
        return sqlite3.Row(cursor, values)

    return factory


def limit_connection(conn: sqlite3.Connection) -> None:
    """SQLite's limits on one connection of the site: the length of a string or blob
    (VALUE_LIMIT), the columns of a result (COLUMN_LIMIT), and what one query may return
    (RESULT_LIMIT), so that no query holds more than about COLUMN_LIMIT x VALUE_LIMIT +
    RESULT_LIMIT bytes of values."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_LIMIT)
    conn.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, COLUMN_LIMIT)
    conn.row_factory = _budgeted_rows(RESULT_LIMIT)


def limit_process() -> int | None:
    """Limits of the whole serving process: SQLite's heap (HEAP_LIMIT) and the address
    space (MEMORY_LIMIT_MB MiB, or $BUDGET_SITE_MEMORY_MB), so that a request wanting more
    fails with MemoryError (a 503) instead of the kernel killing the site. Returns the
    address-space limit in bytes (None on a platform without one)."""
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute(f"pragma hard_heap_limit = {HEAP_LIMIT}")  # only ever lowers it
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    limit = int(os.environ.get(MEMORY_ENV) or MEMORY_LIMIT_MB) * 2**20
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY and soft <= limit:
        limit = soft
    else:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    LOG.info("budget-site: memory limited to %d MiB (address space), SQLite to %d MiB",
             limit // 2**20, HEAP_LIMIT // 2**20)
    return limit


def _target(scope: dict) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    target = scope.get("path", "") + (f"?{query}" if query else "")
    return target if len(target) <= 160 else target[:160] + "…"


def _log_refusal(status: int, method: str, target: str, message: str) -> None:
    """One short line for a refused request (a 404 is ordinary traffic: INFO)."""
    text = " ".join(re.sub(r"<[^>]*>", " ", str(message)).split()).split(". ")[0]
    LOG.log(logging.INFO if status == 404 else logging.WARNING, "budget-site: %s %s %s: %s",
            status, method, target, text if len(text) <= 200 else text[:200] + "…")


async def _refuse(scope: dict, send, status: int, message: str, headers=()) -> None:
    """Answer with `status` and `message` (JSON for a .json path, else text), logged."""
    _log_refusal(status, scope.get("method", ""), _target(scope), message)
    if scope.get("path", "").endswith(".json"):
        body = json.dumps({"ok": False, "error": message, "status": status}).encode()
        kind = b"application/json; charset=utf-8"
    else:
        body, kind = f"{status} {message}\n".encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), *headers]})
    await send({"type": "http.response.body", "body": body})


def _capped(scope: dict, send, headers: list):
    """`send` refusing (400) a response whose body, sent whole, is over RESPONSE_LIMIT. A
    stream (a CSV export, a download) passes: it is produced in bounded parts."""
    held = []

    async def capped(message):
        if message["type"] == "http.response.start":
            held.append(message)
            return
        if held and message["type"] == "http.response.body":
            start = held.pop()
            if not message.get("more_body") and len(message.get("body", b"")) > RESPONSE_LIMIT:
                await _refuse(scope, send, 400, f"response larger than "
                              f"{RESPONSE_LIMIT // 2**20} MiB: ask for fewer rows or "
                              "shorter values", headers)
                return
            await send(start)
        await send(message)

    return capped


def _own_sql(scope: dict) -> bool:
    """Whether a request brings its own SQL (?sql=, or a table's ?_where=)."""
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    return any(key in ("sql", "_where") for key, _ in query)


def guard(app, sql_threads: int, cors: bool = False):
    """The site's ASGI middleware: the process limits when the server starts (`lifespan`,
    which only a real server sends: `pipeline serve`, the image, every deploy target),
    405 for any method but GET and HEAD (the site is read-only), at most half the SQL
    threads (`num_sql_threads`) for requests that bring their own SQL, so that the pages
    stay quick while slow queries run (QUEUE_LIMIT may wait, more get a 503), and
    RESPONSE_LIMIT on every response. `cors`: refusals carry the CORS header too."""
    slots = asyncio.Semaphore(max(1, sql_threads // 2))
    waiting = 0
    extra = [(b"access-control-allow-origin", b"*")] if cors else []

    async def guarded(scope, receive, send):
        nonlocal waiting
        if scope["type"] == "lifespan":
            limit_process()
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD"):
            return await _refuse(scope, send, 405, f"{scope['method']} is not allowed: the "
                                 "site is read-only", [(b"allow", b"GET, HEAD"), *extra])
        if not _own_sql(scope):
            return await app(scope, receive, _capped(scope, send, extra))
        if slots.locked() and waiting >= QUEUE_LIMIT:
            return await _refuse(scope, send, 503, "too many queries at once: try again "
                                 "shortly", [(b"retry-after", b"10"), *extra])
        waiting += 1
        try:
            await slots.acquire()
        finally:
            waiting -= 1
        try:
            await app(scope, receive, _capped(scope, send, extra))
        finally:
            slots.release()

    return guarded


def error_page(datasette, request, exception):
    """Datasette's error page for `exception`, logged in one line (a fault of the site,
    status 500, with its traceback, but never Datasette's dump of every local variable,
    150 KB a request); a value too big is a 400, a request that ran out of memory a 503."""
    from datasette.utils import add_cors_headers
    from datasette.utils.asgi import Base400, Response
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    status, title, info, message = 500, None, {}, str(exception)
    if isinstance(exception, Base400):
        status, message = exception.status, exception.args[0] if exception.args else ""
    elif isinstance(exception, DatasetteError):
        status, title, info = exception.status, exception.title, dict(exception.error_dict)
        message = Markup(exception.message) if exception.message_is_html \
            else exception.message
    elif isinstance(exception, sqlite3.DataError):  # a value over VALUE_LIMIT, say
        status, title = 400, "Invalid SQL"
    elif isinstance(exception, MemoryError):
        status, message = 503, "not enough memory for this request: ask for less"
    if status == 500:
        LOG.error("budget-site: 500 %s %s", request.method, _target(request.scope),
                  exc_info=exception)
    else:
        _log_refusal(status, request.method, _target(request.scope), message)

    async def page():
        info.update({"ok": False, "error": message, "status": status, "title": title})
        headers = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        html_page = await datasette.render_template([f"{status}.html", "error.html"], info,
                                                    request=request)
        return Response.html(html_page, status=status, headers=headers)

    return page


# --------------------------------------------------------------------------------------
# Datasette hooks. Imported lazily so the tokenizer above is usable without Datasette.

try:
    from datasette import hookimpl
except ImportError:  # pragma: no cover - only the tokenizer is wanted
    hookimpl = None


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def _amount_columns(datasette) -> frozenset:
    cached = getattr(datasette, "_budget_amount_columns", None)
    if cached is None:
        cached = frozenset(_config(datasette).get("amount_columns") or ())
        datasette._budget_amount_columns = cached
    return cached


def _database(datasette):
    return datasette.get_database(_config(datasette).get("database", DEFAULT_DATABASE))


_DEPARTMENTS_SQL = (
    "select department_id, department_name, names, division_code, division_name, "
    "province_code, province_name, city_code, city_name, first_year, last_year, documents, "
    "years from departments "
    "order by province_code = '', province_code, province_name, city_code = '', city_code, "
    "city_name, division_code, department_name")


async def _departments(db) -> list[dict]:
    return [dict(r) for r in (await db.execute(_DEPARTMENTS_SQL)).rows]


def picker_json(departments: list[dict]) -> str:
    """The departments the picker searches, as JSON safe inside a <script> element."""
    data = [{"id": d["department_id"], "name": d["department_name"],
             "names": d["names"] if d["names"] != d["department_name"] else "",
             "division": d["division_name"], "province": d["province_name"],
             "city": d["city_name"], "years": _years(d)} for d in departments]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _years(d: dict) -> str:
    first, last = d.get("first_year"), d.get("last_year")
    return f"{first}" if first == last else f"{first}–{last}"


def group_regions(departments: list[dict], documents: list[dict] | None = None) -> list[dict]:
    """Departments grouped by province, then city (in the order given), with counts; each
    department with its documents (newest first) when `documents` is given."""
    docs: dict[str, list[dict]] = {}
    for doc in documents or []:
        docs.setdefault(doc["department_id"], []).append(doc)
    provinces: list[dict] = []
    for d in departments:
        if not provinces or provinces[-1]["name"] != d["province_name"]:
            provinces.append({"code": d["province_code"], "name": d["province_name"],
                              "cities": [], "departments": 0, "documents": 0})
        province = provinces[-1]
        if not province["cities"] or province["cities"][-1]["name"] != d["city_name"]:
            province["cities"].append({"code": d["city_code"], "name": d["city_name"],
                                       "departments": [], "documents": 0})
        city = province["cities"][-1]
        entry = dict(d, years_text=_years(d), document_list=docs.get(d["department_id"], []))
        city["departments"].append(entry)
        city["documents"] += d["documents"] or 0
        province["departments"] += 1
        province["documents"] += d["documents"] or 0
    for province in provinces:
        years = [y for c in province["cities"] for dep in c["departments"]
                 for y in (dep["first_year"], dep["last_year"]) if y]
        province["years"] = (f"{min(years)}" if min(years) == max(years)
                             else f"{min(years)}–{max(years)}") if years else ""
    return provinces


def _others(count: int) -> str:
    return f"其他 {count} 个 · {count} others"


async def _unit_filter(db) -> str:
    """SQL (`and document_id not in …`) leaving out a budget unit's own disclosure
    (documents.level = 'unit') where its department's disclosure of the same year is held:
    the unit's budget is part of the department's, and summing both counts it twice."""
    if "level" not in await db.table_columns("documents"):
        return ""
    return ("and document_id not in (select u.document_id from documents u "
            "where u.level = 'unit' and exists (select 1 from documents d "
            "where d.department_id = u.department_id and d.fiscal_year = u.fiscal_year "
            "and d.kind = u.kind and coalesce(d.level, '') != 'unit')) ")


async def _department_charts(db, department: dict) -> list[dict]:
    wanted = department["department_id"]
    units = await _unit_filter(db)
    charts = []
    years = [dict(r) for r in (await db.execute(
        "select * from document_summary where department_id = ? and kind = 'budget' "
        + units + "order by fiscal_year", [wanted])).rows]
    classes = [dict(r) for r in (await db.execute(
        "select fiscal_year, function_class, function_class_name, amount "
        "from function_class_spending where department_id = ? and kind = 'budget' "
        + units + "order by fiscal_year desc, amount desc", [wanted])).rows]
    three = [dict(r) for r in (await db.execute(
        "select * from three_public_by_document where department_id = ? and kind = 'budget' "
        + units + "order by fiscal_year", [wanted])).rows]
    for i, year in enumerate(sorted({r["fiscal_year"] for r in classes}, reverse=True)):
        rows = [(f'{r["function_class"]} {r["function_class_name"]}', r["amount"])
                for r in classes if r["fiscal_year"] == year]
        charts.append({"id": f"function-classes-{year}",
                       "folded": f"{year}年 支出功能分类 · spending by function class" if i else None,
                       "svg": hbar_chart(f"{year}年 支出功能分类（类）· spending by "
                                         f"function class",
                                         top_n(rows, TOP_CLASSES, _others))})
    if years:
        series = ["基本支出 basic", "项目支出 project"]
        columns = [(f'{r["fiscal_year"]}年', [r["basic"], r["project"]], None) for r in years]
        charts.append({"id": "basic-project", "svg": stacked_chart(
            "基本支出与项目支出 · basic and project spending by year", columns, series),
            "table": _data_table(columns, series)})
    if three:
        notes = {"empty": "空表 (none)", "absent": "未公开 (not printed)"}
        series = ["因公出国（境）费", "公务用车购置及运行费", "公务接待费"]
        columns = [(f'{r["fiscal_year"]}年', [r["travel_abroad"], r["vehicles"], r["reception"]],
                    notes.get(r["three_public_table"])) for r in three]
        charts.append({"id": "three-public", "svg": stacked_chart(
            "“三公”经费 · the three public expenses by year", columns, series),
            "table": _data_table(columns, series, [r["total"] for r in three])})
    return charts


def _list_table(header: list[str], rows: list[list]) -> dict:
    return {"header": header, "rows": rows}


async def _overview_charts(datasette, db, departments: list[dict], scope: dict) -> dict:
    """Charts over many departments: for one year (or each department's latest, year
    "latest"), each department's spending (the largest TOP_DEPARTMENTS, the rest as one
    bar), spending by province or city, and by function class; within a province or city
    when one is chosen."""
    chosen = [d for d in departments
              if (not scope["province"] or d["province_name"] == scope["province"])
              and (not scope["city"] or d["city_name"] == scope["city"])]
    by_id = {d["department_id"]: d for d in chosen}
    units = await _unit_filter(db)
    summary = [dict(r) for r in (await db.execute(
        "select department_id, fiscal_year, spending_total, basic, project "
        "from document_summary where kind = 'budget' and spending_total is not null "
        + units)).rows]
    summary = [r for r in summary if r["department_id"] in by_id]
    counts: dict[int, int] = {}
    for r in summary:
        counts[r["fiscal_year"]] = counts.get(r["fiscal_year"], 0) + 1
    years = sorted(counts, reverse=True)
    latest: dict[str, int] = {}
    for r in summary:
        latest[r["department_id"]] = max(latest.get(r["department_id"], 0), r["fiscal_year"])
    if scope["year"] == "latest" and counts:
        year = "latest"
    else:
        year = scope["year"] if scope["year"] in counts else (
            max(counts, key=lambda y: (counts[y], y)) if counts else None)
    result = {"years": [(y, counts[y]) for y in years], "year": year, "charts": [],
              "departments_in_scope": len(chosen), "departments_with_budgets": len(latest)}
    if year is None:
        return result
    # (department, year) pairs drawn: that year's, or each department's latest
    wanted = ({(i, y) for i, y in latest.items()} if year == "latest"
              else {(r["department_id"], year) for r in summary if r["fiscal_year"] == year})
    rows = {}
    for r in summary:  # one row per department (a department's documents of one year summed)
        if (r["department_id"], r["fiscal_year"]) in wanted:
            rows[r["department_id"]] = rows.get(r["department_id"], 0) + (r["spending_total"] or 0)
    result["departments_in_year"] = len(rows)
    label = "最近年度 (latest budgets)" if year == "latest" else f"{year}年"
    shown_year = {i: y for i, y in wanted}
    charts_url = datasette.urls.path("/charts")
    where = scope["city"] or scope["province"] or "全部 all"
    ranked = sorted(rows.items(), key=lambda kv: -kv[1])
    bars = [(by_id[i]["department_name"] + (f" ({shown_year[i]})" if year == "latest" else ""),
             v, f"{charts_url}?department_id={quote(i)}") for i, v in ranked]
    result["charts"].append({
        "id": "departments", "svg": hbar_chart(
            f"{label} 各部门支出合计 · spending by department ({where}, "
            f"{len(rows)} departments)", top_n(bars, TOP_DEPARTMENTS, _others),
            label_width=340, width=860),
        "table": _list_table(["部门 Department", "省份 Province", "城市 City", "年度 Year",
                              "支出合计 Spending"],
                             [[by_id[i]["department_name"], by_id[i]["province_name"],
                               by_id[i]["city_name"], shown_year[i], wan(v)]
                              for i, v in ranked])})
    # by province, or by city within a province
    level = "city_name" if scope["province"] or scope["city"] else "province_name"
    if not scope["city"]:
        groups: dict[str, list] = {}
        for i, v in rows.items():
            g = groups.setdefault(by_id[i][level], [0, 0])
            g[0] += v
            g[1] += 1
        key = "city" if level == "city_name" else "province"
        group_bars = []
        for name, (total, n) in sorted(groups.items(), key=lambda kv: -kv[1][0]):
            province = scope["province"] if key == "city" else name
            link = f"{charts_url}?province={quote(province)}&year={year}"
            if key == "city":
                link += f"&city={quote(name)}"
            group_bars.append((f"{name} ({n})", total, link))
        title = ("各城市支出合计 · spending by city" if key == "city"
                 else "各省份支出合计 · spending by province")
        result["charts"].append({
            "id": f"by-{key}", "svg": hbar_chart(
                f"{label} {title} (部门数 departments)", group_bars, label_width=220),
            "table": _list_table(["城市 City" if key == "city" else "省份 Province",
                                  "部门 Departments", "支出合计 Spending"],
                                 [[name, n, wan(total)] for name, (total, n) in
                                  sorted(groups.items(), key=lambda kv: -kv[1][0])])})
    classes: dict[tuple, float] = {}
    for r in (await db.execute(
            "select department_id, fiscal_year, function_class, function_class_name, amount "
            "from function_class_spending where kind = 'budget' " + units)).rows:
        if (r["department_id"], r["fiscal_year"]) in wanted and r["department_id"] in by_id \
                and r["amount"]:
            k = (r["function_class"], r["function_class_name"])
            classes[k] = classes.get(k, 0) + r["amount"]
    if classes:
        ranked_classes = sorted(classes.items(), key=lambda kv: -kv[1])
        result["charts"].append({
            "id": "function-classes", "svg": hbar_chart(
                f"{label} 支出功能分类（类）合计 · spending by function class ({where})",
                top_n([(f"{c} {n}", v) for (c, n), v in ranked_classes], TOP_CLASSES, _others)),
            "table": _list_table(["功能分类 Function class", "支出 Spending"],
                                 [[f"{c} {n}", wan(v)] for (c, n), v in ranked_classes])})
    return result


async def _charts(datasette, request):
    from datasette.utils.asgi import Response

    db = _database(datasette)
    departments = await _departments(db)
    wanted = request.args.get("department_id")
    department = next((d for d in departments if d["department_id"] == wanted), None)
    province, city = request.args.get("province", ""), request.args.get("city", "")
    if city and not province:  # a city names its province
        province = next((d["province_name"] for d in departments if d["city_name"] == city), "")
    year = request.args.get("year", "")
    scope = {"province": province, "city": city,
             "year": int(year) if year.isdigit() else ("latest" if year == "latest" else None)}
    context = {"departments": departments, "department": department, "charts": [],
               "database": db.name, "wanted": wanted, "scope": scope,
               "regions": group_regions(departments),
               "picker_departments": picker_json(departments), "overview": None}
    if department:
        context["charts"] = await _department_charts(db, department)
    elif not wanted:
        context["overview"] = await _overview_charts(datasette, db, departments, scope)
        context["charts"] = context["overview"]["charts"]
    return Response.html(await datasette.render_template("charts.html", context,
                                                         request=request))


if hookimpl:

    @hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours replaces it
    def prepare_connection(conn):
        conn.create_function("cjk_match", 1, fts_query, deterministic=True)
        conn.create_function("cjk_terms", 1, index_terms, deterministic=True)
        conn.create_function("escape_fts", 1, fts_query, deterministic=True)
        limit_connection(conn)

    @hookimpl
    def asgi_wrapper(datasette):
        return lambda app: guard(app, datasette.setting("num_sql_threads"), datasette.cors)

    @hookimpl(wrapper=True)
    def handle_exception(datasette, request, exception):
        yield  # Datasette's own handler is called, but its page (and dump) never awaited
        return [error_page(datasette, request, exception)]

    @hookimpl
    def render_cell(value, column, datasette):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                column in _amount_columns(datasette):
            return format_yuan(value)
        if isinstance(value, float):
            return format_number(value)
        return None

    @hookimpl
    def register_routes():
        return [(r"^/charts$", _charts)]

    @hookimpl
    def menu_links(datasette):
        db = _config(datasette).get("database", DEFAULT_DATABASE)
        return [
            {"href": datasette.urls.path("/"), "label": "首页 Home"},
            {"href": datasette.urls.path("/charts"), "label": "图表 Charts"},
            {"href": datasette.urls.path(f"/{db}/search_everything"), "label": "搜索 Search"},
            {"href": datasette.urls.path("/datapackage/datapackage.json"),
             "label": "数据包 datapackage.json"},
        ]

    @hookimpl
    def extra_template_vars(view_name, datasette):
        config = _config(datasette)

        async def inner():
            site = dict(config)
            if view_name == "index":
                db = _database(datasette)
                documents = [dict(r) for r in (await db.execute(
                    "select * from documents order by fiscal_year desc, document_id")).rows]
                departments = await _departments(db)
                site["regions"] = group_regions(departments, documents)
                site["picker_departments"] = picker_json(departments)
            return {"site": site}

        return inner
