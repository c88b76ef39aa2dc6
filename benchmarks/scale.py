"""Scale benchmarks on a synthetic corpus (benchmarks/corpus.py): extraction speed, worker
speed-up, no-change rebuild, build and site at 10,000 documents, canned-query latency.

Run from the repository root (the venv active), one figure at a time or all of them:

    python benchmarks/scale.py extraction   # (a) pages/s per core vs pdfplumber extract_words
    python benchmarks/scale.py workers      # (b) build time, 1 vs 2 workers, speed-up
    python benchmarks/scale.py rebuild      # (c) no-change rebuild of 1,000 documents
    python benchmarks/scale.py scale        # (d) build + site for 1,000 and 10,000 documents:
                                            #     time and peak memory
    python benchmarks/scale.py queries      # (e) every canned query through Datasette on
                                            #     the 10,000-document database: median, p95
    python benchmarks/scale.py all          # all of them, in that order (about 30 min)
    python benchmarks/scale.py all --quick  # the same on tiny corpora: does it all run?
    python benchmarks/scale.py --workdir DIR corpus --docs 1000 10000   # corpora only

Options common to every command (put them before the command): --workdir DIR keeps the
generated corpora, packages and databases there and reuses them in later runs (default: a
temporary folder under /tmp, deleted at the end); --json FILE writes the figures as JSON;
--seed N changes the corpus. Each command prints a table; nothing here asserts a target.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402

MiB = 2**20


# ---------------------------------------------------------------- helpers


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    try:
        import psutil
        memory = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        memory = None
    versions = {}
    for package in ("pdfplumber", "pdfminer.six", "datasette", "sqlite-utils", "frictionless",
                    "pebble"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": memory,
            "python": platform.python_version(), "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version, "versions": versions,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d")}


def table(title: str, header: list[str], rows: list[list]) -> None:
    """Print an aligned table (Chinese characters count as two columns)."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for i, r in enumerate(cells):
        padded = []
        for j, (c, w) in enumerate(zip(r, widths)):
            pad = " " * (w - _width(c))
            padded.append(c + pad if j == 0 or not _numeric(c) else pad + c)
        print("  " + "  ".join(padded))
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace(",", "").replace("-", "", 1).isdigit() or text == "-"


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def maxrss_mib(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Workdir:
    """Where corpora, packages and databases go; a corpus is generated once and reused."""

    def __init__(self, path: Path | None, seed: int):
        self.keep = path is not None
        self.path = Path(path) if path else Path(tempfile.mkdtemp(prefix="budget-bench-"))
        self.path.mkdir(parents=True, exist_ok=True)
        self.seed = seed

    def corpus(self, n: int, pdf: bool = False) -> Path:
        """<workdir>/<pdf|txt>-<n>-s<seed>/ holding sources/ (generated if not complete)."""
        home = self.path / f"{'pdf' if pdf else 'txt'}-{n}-s{self.seed}"
        sources = home / "sources"
        marker = home / "complete.json"
        if not marker.exists():
            if sources.exists():
                shutil.rmtree(sources)
            start = time.perf_counter()
            print(f"generating {n} {'PDF' if pdf else 'transcript'} documents in {sources} …",
                  file=sys.stderr, flush=True)
            corpus.make_corpus(sources, n, pdf=pdf, seed=self.seed)
            marker.write_text(json.dumps({"n": n, "pdf": pdf, "seed": self.seed,
                                          "seconds": time.perf_counter() - start}))
        return home

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def _timed_build(sources: Path, out: Path, workers: int, cache: Path | None = None) -> float:
    from pipeline.publish.build import build
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    result = build(sources, out, progress=False, workers=workers, cache_dir=cache)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"build of {sources} failed: {list(result.failed.items())[:3]} "
                         f"{result.validation_errors[:3]}")
    return seconds


# ---------------------------------------------------------------- (a) extraction


def bench_extraction(args, wd: Workdir) -> dict:
    """Single-process seconds per page over a PDF corpus: the pipeline's reading of a PDF
    (read_pdf), its whole extraction (read + recognize + normalize), what a build worker does
    per document (validate source.yml, checksum, extract, run the checks), and pdfplumber's
    extract_words() / extract_tables() over every page, each file opened afresh."""
    import pdfplumber

    from pipeline.publish.build import process
    from pipeline.extract import extract_document
    from pipeline.read.pdf import read_pdf
    from pipeline.sources import load_source

    sources = wd.corpus(args.docs, pdf=True) / "sources"
    folders = sorted(p for p in sources.iterdir() if p.is_dir())

    def every_page(method):
        def run(folder):
            with pdfplumber.open(folder / "document.pdf") as pdf:
                for page in pdf.pages:
                    getattr(page, method)()
        return run

    def extract(folder):
        source = load_source(folder)
        extract_document(source.document, source.id, source.meta)

    methods = {
        "pdfplumber extract_words": every_page("extract_words"),
        "pdfplumber extract_tables": every_page("extract_tables"),
        "read_pdf": lambda folder: read_pdf(folder / "document.pdf"),
        "extract_document": extract,
        "worker (process)": process,
    }
    pages = {}
    for folder in folders:
        with pdfplumber.open(folder / "document.pdf") as pdf:
            pages[folder.name] = len(pdf.pages)
    for fn in methods.values():  # warm up imports and caches
        fn(folders[0])
    seconds = {m: 0.0 for m in methods}
    for folder in folders:
        for m, fn in methods.items():
            best = math.inf
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn(folder)
                best = min(best, time.perf_counter() - start)
            seconds[m] += best
    total_pages = sum(pages.values())
    base = seconds["pdfplumber extract_words"]
    rows, out = [], {"documents": len(folders), "pages": total_pages,
                     "pages_per_document": [min(pages.values()), max(pages.values())],
                     "methods": {}}
    for m, s in seconds.items():
        out["methods"][m] = {"seconds": round(s, 3), "pages_per_second": round(total_pages / s, 2),
                             "ms_per_page": round(1000 * s / total_pages, 2),
                             "vs_extract_words": round(s / base, 3)}
        rows.append([m, round(s, 2), total_pages / s, 1000 * s / total_pages, s / base])
    table(f"(a) extraction, one process (= one core): {len(folders)} PDFs, {total_pages} pages "
          f"({min(pages.values())}-{max(pages.values())} per document), best of {args.repeat}",
          ["method", "seconds", "pages/s", "ms/page", "× extract_words"], rows)
    return out


# ---------------------------------------------------------------- (b) workers


def bench_workers(args, wd: Workdir) -> dict:
    """Wall time of `build` (no cache) on the PDF corpus with 1 and 2 worker processes."""
    import pdfplumber

    home = wd.corpus(args.docs, pdf=True)
    sources = home / "sources"
    pages = 0
    for folder in sources.iterdir():
        with pdfplumber.open(folder / "document.pdf") as pdf:
            pages += len(pdf.pages)
    times: dict[int, float] = {}
    for workers in args.workers:
        times[workers] = min(_timed_build(sources, home / f"package-w{workers}", workers)
                             for _ in range(args.repeat))
    one = times[min(times)]
    rows, out = [], {"documents": args.docs, "pages": pages, "runs": {}}
    for workers, s in times.items():
        speedup = one / s
        out["runs"][workers] = {"seconds": round(s, 2), "speedup": round(speedup, 3),
                                "efficiency": round(speedup / workers * min(times), 3),
                                "pages_per_second": round(pages / s, 2),
                                "pages_per_second_per_worker": round(pages / s / workers, 2)}
        rows.append([workers, s, speedup, pages / s, pages / s / workers])
    table(f"(b) build of {args.docs} PDFs ({pages} pages), no cache, best of {args.repeat}",
          ["workers", "seconds", "speed-up", "pages/s", "pages/s/worker"], rows)
    return out


# ---------------------------------------------------------------- (c) no-change rebuild


def bench_rebuild(args, wd: Workdir) -> dict:
    """A first build of the transcript corpus with the cache, then builds where nothing
    changed (the cache answers)."""
    home = wd.corpus(args.docs)
    cache = home / "cache"
    if cache.exists():
        shutil.rmtree(cache)
    out_dir = home / "package-cached"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    from pipeline.publish.build import build

    def timed() -> float:
        start = time.perf_counter()
        result = build(home / "sources", out_dir, progress=False, cache_dir=cache)
        assert result.ok, (list(result.failed.items())[:3], result.validation_errors[:3])
        return time.perf_counter() - start

    first = timed()
    again = [timed() for _ in range(args.repeat)]
    out = {"documents": args.docs, "first_build_seconds": round(first, 2),
           "no_change_rebuild_seconds": round(statistics.median(again), 3),
           "no_change_rebuild_runs": [round(s, 3) for s in again],
           "cache_bytes": folder_bytes(cache)}
    table(f"(c) no-change rebuild, {args.docs} transcript documents, cache on",
          ["build", "seconds"],
          [["first (cold cache)", first],
           [f"no change (median of {args.repeat})", statistics.median(again)]])
    return out


# ---------------------------------------------------------------- (d) scale


def run_stage(argv: list[str]) -> dict:
    """Run `scale.py _stage …` in a subprocess, sampling the RSS of it and its workers."""
    import psutil

    cmd = [sys.executable, str(Path(__file__).resolve()), "_stage"] + argv
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    parent = psutil.Process(proc.pid)
    peak_parent = peak_total = peak_worker = 0
    while proc.poll() is None:
        try:
            rss = parent.memory_info().rss
            children = []
            for child in parent.children(recursive=True):
                try:
                    children.append(child.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            break
        peak_parent = max(peak_parent, rss)
        peak_worker = max([peak_worker] + children)
        peak_total = max(peak_total, rss + sum(children))
        time.sleep(0.1)
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"stage {argv} failed (exit {proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["sampled"] = {"wall_seconds": round(wall, 2),
                         "parent_peak_rss_mib": round(peak_parent / MiB, 1),
                         "worker_peak_rss_mib": round(peak_worker / MiB, 1),
                         "sum_peak_rss_mib": round(peak_total / MiB, 1)}
    return result


def bench_scale(args, wd: Workdir) -> dict:
    """For each corpus size: build the package (no cache) and the site database, each in a
    fresh process; wall time, phases and peak memory of the process and its workers."""
    out: dict = {}
    rows = []
    for n in args.sizes:
        home = wd.corpus(n)
        package, site = home / "datapackage", home / "site"
        b = run_stage(["build", "--sources", str(home / "sources"), "--out", str(package),
                       "--workers", str(args.jobs)])
        s = run_stage(["site", "--package", str(package), "--out", str(site)])
        out[n] = {"build": b, "site": s,
                  "package_bytes": folder_bytes(package),
                  "database_bytes": (site / "budgets.db").stat().st_size}
        rows.append([n, "build", b["seconds"], b["maxrss_mib"], b["children_maxrss_mib"],
                     b["sampled"]["sum_peak_rss_mib"], f"{folder_bytes(package) / MiB:.0f} MiB"])
        rows.append([n, "site", s["seconds"], s["maxrss_mib"], "-",
                     s["sampled"]["sum_peak_rss_mib"],
                     f"{out[n]['database_bytes'] / MiB:.0f} MiB"])
    table(f"(d) build ({args.jobs} workers, no cache) and site database; peak RSS in MiB",
          ["documents", "stage", "seconds", "parent peak", "worker peak", "sum peak",
           "output"], rows)
    phase_rows = []
    for n, r in out.items():
        for stage in ("build", "site"):
            for phase, p in r[stage]["phases"].items():
                phase_rows.append([n, stage, phase, p["seconds"], p["maxrss_after_mib"]])
    table("(d) phases (parent process): seconds, and peak RSS (MiB) reached by the end of each",
          ["documents", "stage", "phase", "seconds", "peak RSS so far"], phase_rows)
    if len(args.sizes) > 1:
        small, large = min(args.sizes), max(args.sizes)
        growth = []
        for stage, key in (("build", "maxrss_mib"), ("build", "children_maxrss_mib"),
                           ("site", "maxrss_mib")):
            a, b = out[small][stage][key], out[large][stage][key]
            growth.append([f"{stage} {key.replace('_mib', '')}", a, b, b / a])
        table(f"(d) peak memory, {small:,} vs {large:,} documents (MiB)",
              ["stage", f"{small:,}", f"{large:,}", "ratio"], growth)
    return {str(k): v for k, v in out.items()}


def _stage_timers(targets: list[tuple[object, str, str]]) -> dict:
    """Wrap functions (owner, attribute, phase name) to record their time and the peak RSS
    reached by their end."""
    phases: dict[str, dict] = {}

    def wrap(fn, name):
        def timed(*a, **k):
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                p = phases.setdefault(name, {"seconds": 0.0})
                p["seconds"] = round(p["seconds"] + time.perf_counter() - start, 3)
                p["maxrss_after_mib"] = round(maxrss_mib(), 1)
        return timed

    for owner, attr, name in targets:
        setattr(owner, attr, wrap(getattr(owner, attr), name))
    return phases


def stage_main(argv: list[str]) -> None:
    """The measured process of (d): `_stage build …` or `_stage site …`; prints JSON."""
    parser = argparse.ArgumentParser(prog="scale.py _stage")
    parser.add_argument("stage", choices=["build", "site"])
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--package", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--trace-memory", type=int, default=0, metavar="N",
                        help="tracemalloc (slow): print the N allocation sites holding most "
                             "memory at the end of the extraction loop, at the traced peak "
                             "(sampled each second) and at the end")
    a = parser.parse_args(argv)
    peak_sampler = _PeakSampler() if a.trace_memory else None
    result: dict = {"stage": a.stage}
    start = time.perf_counter()
    if a.stage == "build":
        import pipeline.publish.build as b
        import pipeline.publish.package as p
        phases = _stage_timers([(p.PackageWriter, "finish", "write classes + descriptor"),
                                (b, "validate_package", "validate (frictionless)"),
                                (p.PackageWriter, "publish", "publish")])
        loop_end = {}
        original_finish = p.PackageWriter.finish

        def finish(self):  # the extraction loop ends when the writer is finished
            loop_end["t"], loop_end["rss"] = time.perf_counter(), maxrss_mib()
            _trace(a.trace_memory, "end of extraction loop")
            return original_finish(self)
        p.PackageWriter.finish = finish
        if peak_sampler:  # trace the parent only: the workers are not the question
            initializer = b.limit_memory

            def untraced(limit):
                import tracemalloc
                tracemalloc.stop()
                initializer(limit)
            b.limit_memory = untraced
        if a.out.exists():
            shutil.rmtree(a.out)
        res = b.build(a.sources, a.out, progress=False, workers=a.workers)
        if not res.ok:
            raise SystemExit(f"build failed: {list(res.failed.items())[:3]} "
                             f"{res.validation_errors[:3]}")
        phases = {"extract + write rows": {"seconds": round(loop_end["t"] - start, 3),
                                           "maxrss_after_mib": round(loop_end["rss"], 1)},
                  **phases}
        result.update(documents=len(res.built), phases=phases)
    else:
        import sqlite_utils

        import pipeline.publish.site as s
        import pipeline.publish.site.database as sdb
        phases = _stage_timers([(sdb, "_check_foreign_keys", "check foreign keys"),
                                (sdb, "_build_fts", "full-text indexes"),
                                (sdb, "_check_queries", "check canned queries"),
                                (sqlite_utils.Database, "analyze", "analyze"),
                                (sqlite_utils.Database, "vacuum", "vacuum"),
                                (s, "build_metadata", "metadata")])
        if a.trace_memory:
            original_fts = sdb._build_fts

            def fts(*args, **kwargs):
                _trace(a.trace_memory, "before full-text indexes")
                return original_fts(*args, **kwargs)
            sdb._build_fts = fts
        site = s.build_site(a.package, a.out, repository="https://example.org/budgets")
        known = sum(p["seconds"] for p in phases.values())
        order = ["check foreign keys", "full-text indexes", "check canned queries", "analyze",
                 "vacuum", "metadata"]  # vacuum: also run by sqlite-utils on the empty tables
        result.update(tables=site.tables, phases={
            "create + insert rows + indexes": {
                "seconds": round(time.perf_counter() - start - known, 3),
                "maxrss_after_mib": None},
            **{name: phases[name] for name in order if name in phases}})
    result["seconds"] = round(time.perf_counter() - start, 2)
    result["maxrss_mib"] = round(maxrss_mib(), 1)
    result["children_maxrss_mib"] = round(maxrss_mib(resource.RUSAGE_CHILDREN), 1)
    if peak_sampler:
        peak_sampler.report(a.trace_memory)
    _trace(a.trace_memory, "end")
    print(json.dumps(result, ensure_ascii=False))


def _trace(n: int, label: str, snapshot=None) -> None:
    """Print the n allocation sites (tracebacks) holding most traced memory."""
    if not n:
        return
    import tracemalloc
    current, peak = tracemalloc.get_traced_memory()
    snapshot = snapshot or tracemalloc.take_snapshot()
    total = sum(stat.size for stat in snapshot.statistics("filename"))
    print(f"--- tracemalloc {label}: {total / MiB:.1f} MiB traced in this snapshot "
          f"(peak so far {peak / MiB:.1f} MiB)", file=sys.stderr)
    for stat in snapshot.statistics("traceback")[:n]:
        print(f"{stat.size / MiB:8.1f} MiB {stat.count:9d} blocks", file=sys.stderr)
        for line in stat.traceback.format()[-10:]:
            print("    " + line, file=sys.stderr)


class _PeakSampler:
    """tracemalloc, with a snapshot kept from the moment traced memory was highest (checked
    every second from a thread)."""

    def __init__(self):
        import threading
        import tracemalloc
        tracemalloc.start(16)
        self.best, self.snapshot = 0, None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        import tracemalloc
        while not self.stop.wait(1.0):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best * 1.05:
                self.best, self.snapshot = current, tracemalloc.take_snapshot()

    def report(self, n: int):
        self.stop.set()
        self.thread.join()
        if self.snapshot:
            _trace(n, f"at the sampled peak ({self.best / MiB:.1f} MiB traced)", self.snapshot)


# ---------------------------------------------------------------- (e) queries


def query_params(db: Path) -> dict[str, list[dict]]:
    """Representative parameters for each canned query: its `example`, every parameter
    empty ("all"), and specific values taken from the database."""
    import re

    import yaml

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    department = one("select department_id from departments order by documents desc, "
                     "department_id limit 1")
    body = one("select department_name from departments order by department_id limit 1")[-3:]
    year = one("select max(fiscal_year) from documents")
    code = one("select project_code from performance_targets where scope = 'project' and "
               "project_code is not null order by rowid limit 1")
    conn.close()
    specific = {
        "three_public_by_department": [{"department": department}, {"department": body}],
        "largest_projects": [{"year": str(year), "type": "其他运转类"}],
        "spending_by_function_class": [{"year": str(year), "class": "201"},
                                       {"year": "", "class": "社会保障"}],
        "function_class_totals": [{"year": str(year)}],
        "department_history": [{"department": department}, {"department": body}],
        "search_projects": [{"q": "运行经费"}, {"q": "大数据"}],
        "project_indicators": [{"project": code}, {"project": "运行"}],
        "search_everything": [{"q": "政务"}, {"q": "满意度"}],
    }
    queries = yaml.safe_load((ROOT / "site" / "queries.yml").read_text(encoding="utf-8"))
    out = {}
    for name, q in queries.items():
        names = sorted(set(re.findall(r":(\w+)", q["sql"])))
        variants = [q.get("example") or {}, {p: "" for p in names}] + specific.get(name, [])
        unique = []
        for v in variants:
            v = {p: str(v.get(p, "")) for p in names}
            if v not in unique:
                unique.append(v)
        out[name] = unique
    return out


def bench_queries(args, wd: Workdir) -> dict:
    """Each canned query's JSON API (and HTML page, for its example) through Datasette's own
    test client on the site database of the large corpus: median and p95 latency. Beside
    them, the same SQL alone on a plain sqlite3 connection (fetching at most the rows
    Datasette would), to tell the database's share from Datasette's (JSON, HTML)."""
    import yaml

    from pipeline.publish.site import make_datasette, register_functions, site_config

    home = wd.corpus(args.docs)
    db, metadata_path = home / "site" / "budgets.db", home / "site" / "metadata.json"
    if not db.exists():
        print(f"building the package and database of {args.docs} documents first …",
              file=sys.stderr, flush=True)
        run_stage(["build", "--sources", str(home / "sources"), "--out",
                   str(home / "datapackage"), "--workers", str(os.cpu_count())])
        run_stage(["site", "--package", str(home / "datapackage"), "--out", str(home / "site")])
    ds = make_datasette(db, metadata_path, home / "datapackage")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ds.invoke_startup())
    database = db.stem
    queries = yaml.safe_load((ROOT / "site" / "queries.yml").read_text(encoding="utf-8"))
    max_rows = int((site_config().get("settings") or {}).get("max_returned_rows", 1000))
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True,
                           check_same_thread=False)
    register_functions(conn)

    def get(path, params):
        start = time.perf_counter()
        response = loop.run_until_complete(ds.client.get(path, params=params))
        return time.perf_counter() - start, response

    def sql_alone(name, params):
        start = time.perf_counter()
        conn.execute(queries[name]["sql"], params).fetchmany(max_rows + 1)
        return time.perf_counter() - start

    def nearest_rank(times, q):
        return sorted(times)[max(0, math.ceil(q * len(times)) - 1)]

    results, rows, slow = [], [], []
    for name, variants in query_params(db).items():
        for i, params in enumerate(variants):
            sql_times = [sql_alone(name, params) for _ in range(args.runs)]
            for fmt in (["json", "html"] if i == 0 else ["json"]):
                path = f"/{database}/{name}" + (".json" if fmt == "json" else "")
                for _ in range(2):  # warm up (table counts, statement cache)
                    get(path, params)
                times, status, returned = [], None, None
                for _ in range(args.runs):
                    seconds, response = get(path, params)
                    times.append(seconds)
                    status = response.status_code
                if fmt == "json" and status == 200:
                    returned = len(response.json().get("rows", []))
                median, p95 = statistics.median(times), nearest_rank(times, 0.95)
                shown = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "-"
                over = 1000 * p95 > args.target_ms
                results.append({"query": name, "params": params, "format": fmt,
                                "status": status, "rows": returned,
                                "median_ms": round(1000 * median, 1),
                                "p95_ms": round(1000 * p95, 1),
                                "max_ms": round(1000 * max(times), 1),
                                "sql_median_ms": round(1000 * statistics.median(sql_times), 1),
                                "over_target": over})
                rows.append([name, fmt, shown, status, "-" if returned is None else returned,
                             1000 * statistics.median(sql_times), 1000 * median, 1000 * p95,
                             "OVER" if over else ""])
                if over and (name, shown) not in [(n, s) for n, s, _ in slow]:
                    slow.append((name, shown, params))
    loop.close()
    table(f"(e) canned queries through Datasette ({args.docs:,} documents, "
          f"{db.stat().st_size / MiB:.0f} MiB database), {args.runs} runs each; ms "
          f"(sql = the query alone in sqlite3; OVER = p95 over {args.target_ms:g} ms)",
          ["query", "format", "parameters", "status", "rows", "sql", "median", "p95", ""],
          rows)
    worst = max(results, key=lambda r: r["p95_ms"])
    print(f"  slowest p95: {worst['query']} {worst['format']} {worst['params']}: "
          f"{worst['p95_ms']} ms; {sum(r['over_target'] for r in results)} of {len(results)} "
          f"over {args.target_ms:g} ms")
    plans = {}
    if args.explain and slow:
        print("\n(e) query plans of the variants over the target")
        for name, shown, params in slow:
            plan = [row[3] for row in conn.execute("explain query plan " + queries[name]["sql"],
                                                   params)]
            plans[f"{name} {shown}"] = plan
            print(f"  {name} ({shown}):")
            for line in plan:
                print(f"      {line}")
    conn.close()
    return {"documents": args.docs, "runs": args.runs, "database_bytes": db.stat().st_size,
            "target_ms": args.target_ms, "queries": results, "max_p95_ms": worst["p95_ms"],
            "plans": plans}


# ---------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_stage":
        return stage_main(sys.argv[2:])
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path,
                        help="keep corpora, packages and databases here and reuse them "
                             "(default: a temporary folder, deleted at the end)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extraction", help="(a) pages/s per core vs pdfplumber extract_words",
                       description=bench_extraction.__doc__)
    p.add_argument("--docs", type=int, default=30, help="PDF documents (default 30)")
    p.add_argument("--repeat", type=int, default=2, help="best of N runs per file (default 2)")
    p = sub.add_parser("workers", help="(b) build time with 1 vs 2 workers, speed-up",
                       description=bench_workers.__doc__)
    p.add_argument("--docs", type=int, default=30, help="PDF documents (default 30)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                   help="worker counts to compare (default 1 2)")
    p.add_argument("--repeat", type=int, default=2, help="best of N builds (default 2)")
    p = sub.add_parser("rebuild", help="(c) no-change rebuild of 1,000 documents",
                       description=bench_rebuild.__doc__)
    p.add_argument("--docs", type=int, default=1000, help="transcript documents (default 1000)")
    p.add_argument("--repeat", type=int, default=5, help="no-change rebuilds (default 5)")
    p = sub.add_parser("scale", help="(d) build + site at 1,000 and 10,000 documents: time, "
                       "peak memory", description=bench_scale.__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000],
                   help="corpus sizes (default 1000 10000)")
    p.add_argument("--jobs", type=int, default=os.cpu_count(),
                   help="build workers (default: all cores)")
    p = sub.add_parser("queries", help="(e) canned-query latency on the 10,000-document site",
                       description=bench_queries.__doc__)
    p.add_argument("--docs", type=int, default=10000, help="corpus size (default 10000)")
    p.add_argument("--runs", type=int, default=20, help="timed runs per query (default 20)")
    p.add_argument("--target-ms", type=float, default=200,
                   help="flag variants whose p95 is over this (default 200)")
    p.add_argument("--explain", action="store_true",
                   help="print the query plan of each variant over the target")
    p = sub.add_parser("all", help="(a) to (e) with their defaults (about 30 minutes, 3 GB of "
                       "disk on a 2-core machine)")
    p.add_argument("--quick", action="store_true",
                   help="tiny corpora instead (4 PDFs, 50 and 100 transcripts): checks that "
                        "everything runs, in about two minutes; the figures mean little")
    p = sub.add_parser("corpus", help="only generate corpora into --workdir (for later runs)")
    p.add_argument("--docs", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--pdf", action="store_true")
    args = parser.parse_args()

    wd = Workdir(args.workdir, args.seed)
    figures: dict = {"machine": machine()}
    print(f"machine: {figures['machine']['cpu']}, {figures['machine']['cores']} cores, "
          f"{figures['machine']['memory_gib']} GiB, Python {figures['machine']['python']}; "
          f"workdir {wd.path}", flush=True)
    try:
        if args.command == "all":
            defaults = QUICK if args.quick else FULL
            for name, values in defaults.items():
                figures[name] = measured(name, argparse.Namespace(**values), wd)
        elif args.command == "corpus":
            for n in args.docs:
                wd.corpus(n, pdf=args.pdf)
        else:
            figures[args.command] = measured(args.command, args, wd)
    finally:
        wd.close()
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
        print(f"\nfigures written to {args.json}")


def measured(name: str, args, wd: Workdir) -> dict:
    """Run one benchmark; the load average before and after says whether the machine was
    busy with something else meanwhile."""
    before = os.getloadavg()
    figures = BENCHMARKS[name](args, wd)
    figures["load_average_before_after"] = [round(before[0], 2), round(os.getloadavg()[0], 2)]
    print(f"  (load average, 1 min: {before[0]:.2f} before, {os.getloadavg()[0]:.2f} after)")
    return figures


# `all` runs every benchmark with these options; --quick on tiny corpora, to see it all runs.
FULL = {"extraction": dict(docs=30, repeat=2),
        "workers": dict(docs=30, workers=[1, 2], repeat=2),
        "rebuild": dict(docs=1000, repeat=5),
        "scale": dict(sizes=[1000, 10000], jobs=os.cpu_count()),
        "queries": dict(docs=10000, runs=20, target_ms=200, explain=True)}
QUICK = {"extraction": dict(docs=4, repeat=1),
         "workers": dict(docs=4, workers=[1, 2], repeat=1),
         "rebuild": dict(docs=50, repeat=2),
         "scale": dict(sizes=[50, 100], jobs=os.cpu_count()),
         "queries": dict(docs=100, runs=3, target_ms=200, explain=True)}

BENCHMARKS = {"extraction": bench_extraction, "workers": bench_workers,
              "rebuild": bench_rebuild, "scale": bench_scale, "queries": bench_queries}

if __name__ == "__main__":
    main()
