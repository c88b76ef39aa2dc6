"""Review a contribution: the same steps the pull-request workflow runs, runnable locally.

Only files under sources/ may change, and some must; each changed document is built alone
into a temporary package, validated, checked, and compared with the published package. A
table that could not be read (a gap, rule tables_read) fails the review until source.yml
acknowledges it, although the build on main publishes the rest of the document. The result
is a markdown report (the job summary and the pull-request comment), which lists each gap
with its reason and the lines that acknowledge it, and, when the contribution passes, the
data changes and the version a merge would publish. A PDF must say where its file came from
(published.url or retrieved_from), and a folder named by `add` before the division and year
were known must be renamed once they are filled in.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.check.engine import GAP_RULE
from pipeline.contribute.add import id_to_rename
from pipeline.errors import SourceError
from pipeline.publish.build import build, published_documents
from pipeline.publish.diff import diff_markdown, diff_packages
from pipeline.sources import SOURCE_FILE, parse_meta

SOURCES = "sources"
MAX_LISTED = 30  # files outside sources/ named one by one in the report


@dataclass
class Review:
    changed_files: list[str]
    documents: list[str]
    outside_sources: list[str] = field(default_factory=list)
    report: str = ""
    ok: bool = False
    gaps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # (subject, reason)
    problems: dict[str, list[str]] = field(default_factory=dict)  # besides the build's


def acknowledgement_yaml(gaps: list[tuple[str, str]]) -> str:
    """The source.yml lines that acknowledge tables not read: (subject as the checks name
    it, reason). The explanation starts as the reason; say more if you know it. Strings are
    written as JSON, which YAML reads as double-quoted scalars."""
    lines = ["acknowledged:   # already there? add only the items below it"]
    for subject, reason in gaps:
        lines += [f"  - rule: {GAP_RULE}",
                  f"    subject: {json.dumps(subject, ensure_ascii=False)}",
                  f"    explanation: {json.dumps('not read: ' + reason, ensure_ascii=False)}"]
    return "\n".join(lines)


_GAP = re.compile(r"^(?P<subject>.*? \(page \d+\)|[^:]*): (?P<reason>.*)$", re.S)


def split_gap(gap: str) -> tuple[str, str]:
    """A gap as BuildResult.gaps holds it ("<subject>: <reason>") -> (subject, reason)."""
    m = _GAP.match(gap)
    return (m.group("subject"), m.group("reason")) if m else (gap, "")


def changed_files(base: str, root: Path) -> list[str]:
    """Files the contribution changes (renames count twice): those committed since `base`,
    tracked files changed but not committed, and new files not yet added (what `add` just
    wrote), anywhere but what .gitignore leaves out: a change is seen the same way before
    and after it is committed, so a local run reviews what the pull request will hold."""
    def git(*args: str) -> set[str]:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                             check=True).stdout  # -z: names verbatim, not quoted
        return {name for name in out.split("\0") if name}

    return sorted(git("diff", "-z", "--name-only", "--no-renames", f"{base}...HEAD")
                  | git("diff", "-z", "--name-only", "--no-renames", "HEAD")
                  | git("ls-files", "-z", "--others", "--exclude-standard", "--full-name"))


def review(root: Path, files: list[str], published: Path) -> Review:
    """Build and check the documents touched by `files` (paths relative to `root`)."""
    under = [f for f in files if f.startswith(f"{SOURCES}/")]
    # a plain file directly in sources/ belongs to no document; a link there is one (git
    # records a linked folder as a single file), for the build to refuse
    loose = [f for f in under if f.count("/") == 1
             and not (root / f).is_symlink() and not (root / f).is_dir()]
    outside = [f for f in files if not f.startswith(f"{SOURCES}/")] + loose
    documents = sorted({f.split("/")[1] for f in under if f not in loose})
    result = Review(files, documents, outside)
    lines = ["# Contribution report", ""]
    if outside:
        package = [f for f in outside if f.startswith("datapackage/")]
        lines += ["**A contribution may only add or change files under `sources/`.** "
                  "These files are outside it (committed, changed or new):", ""]
        others = [f for f in outside if f not in package]
        lines += [f"- `{f}`" for f in others[:MAX_LISTED]]
        if len(others) > MAX_LISTED:
            lines += [f"- … and {len(others) - MAX_LISTED} more"]
        if package:
            lines += [f"- `datapackage/` ({len(package)} files): a contributor does not commit "
                      "it; the publish workflow on `main` rebuilds it from `sources/` after the "
                      "merge. `git restore datapackage` (and `git clean -fd datapackage` for "
                      "new files) undoes what `build` wrote"]
        lines += ["", "Take them out of the contribution: `git restore` a changed file, delete "
                  "a new one or move it out of the clone (a preview of `extract --out` too). "
                  "A change to the vocabulary (`pipeline/families/*.yml`) is a separate pull "
                  "request; in this one, acknowledge a table not read as a gap (`tables_read`): "
                  "see CONTRIBUTING.md.", ""]
    if not documents:
        lines += ["Nothing to review: no documents changed under `sources/` (committed, "
                  "changed or untracked).", "", "**Result: needs changes.**"]
        result.report = "\n".join(lines) + "\n"
        return result
    present = [d for d in documents
               if (root / SOURCES / d).is_dir() or (root / SOURCES / d).is_symlink()]
    removed = sorted(set(documents) - set(present))
    if removed:
        lines += [f"Documents removed: {', '.join(removed)}", ""]
    with tempfile.TemporaryDirectory() as tmp:
        temporary = {f"{Path(tmp)}/", f"{Path(tmp).resolve()}/"}  # reported as the root
        sources = Path(tmp) / SOURCES
        sources.mkdir()
        for d in present:  # links are copied as links, for the build to refuse
            source = root / SOURCES / d
            if source.is_symlink():
                (sources / d).symlink_to(os.readlink(source))
            else:
                shutil.copytree(source, sources / d, symlinks=True)
        built = build(sources, Path(tmp) / "datapackage", progress=False)
        if built.package:
            for d, other in published_twice(published, built.package, removed).items():
                built.failed[d] = (f"the same file as published document {other}: the build "
                                   "of every document refuses a file twice")
        for d in present:
            if d not in built.failed and (problems := source_problems(root, d)):
                result.problems[d] = problems
        for d in present:
            if d in built.failed:
                lines += [f"## ✗ {d}", "", f"```\n{built.failed[d]}\n```", ""]
            elif built.gaps.get(d):
                lines += [f"## ✗ {d}: tables not read", ""]
            elif d in result.problems:
                lines += [f"## ✗ {d}", ""]
            else:
                lines += [f"## ✓ {d}", ""]
            lines += [f"- **{problem}**" for problem in result.problems.get(d, [])]
            if d in result.problems:
                lines += [""]
            if d in built.check_reports:
                lines += ["```", built.check_reports[d], "```", ""]
            lines += [f"- warning: {w}" for w in built.warnings.get(d, [])
                      if not w.startswith("table not read: ")]
            if built.gaps.get(d):
                gaps = result.gaps[d] = [split_gap(g) for g in built.gaps[d]]
                many = "s" if len(gaps) > 1 else ""
                lines += ["", f"**{len(gaps)} table{many} not read, not acknowledged in "
                              "`source.yml`.** Merged, the document would be published "
                              "without them. A table the pipeline cannot read yet is a gap "
                              "to acknowledge (never a publisher error); the vocabulary it "
                              "lacks goes in a separate pull request (CONTRIBUTING.md).", ""]
                lines += [f"- {subject}: {reason}" for subject, reason in gaps]
                lines += ["", f"Add to `sources/{d}/source.yml`:", "", "```yaml",
                          acknowledgement_yaml(gaps), "```", ""]
        lines += [f"- invalid: {e}" for e in built.validation_errors]
        result.ok = not outside and not built.failed and not built.validation_errors \
            and not result.gaps and not result.problems
        # what a merge would publish, and as which version: only for a contribution that
        # passes (a failing one publishes nothing)
        if result.ok and built.package and (published / "datapackage.json").exists():
            d = _only(diff_packages(published, built.package), present)
            d.new_version = d.next_version() or d.old_version
            lines += ["", "What a merge would publish (the publish workflow on `main` rebuilds "
                          "`datapackage/` and releases this version):", "",
                      diff_markdown(d)]
        report = "\n".join(lines)
        for prefix in temporary:  # the build ran in a copy: name the contributor's files
            report = report.replace(prefix, "")
    lines = [report, "", "**Result: ready for review.**" if result.ok
             else "**Result: needs changes.**"]
    result.report = "\n".join(lines) + "\n"
    return result


def source_problems(root: Path, document: str) -> list[str]:
    """What the review refuses in a document's source.yml that the build accepts: a PDF
    that does not say where its file came from, a folder `add` named before the division
    and year were known. Nothing when source.yml does not load (the build says why)."""
    try:
        meta = parse_meta(root / SOURCES / document / SOURCE_FILE)
    except SourceError:
        return []
    problems = []
    if meta.format == "pdf" and not (meta.published.url or meta.retrieved_from):
        problems.append(f"`sources/{document}/{SOURCE_FILE}`: where the file came from is "
                        "missing: give `published.url` (the page that publishes it) or "
                        "`retrieved_from` (the public copy you downloaded)")
    if renamed := id_to_rename(document, meta):
        problems.append(f"`sources/{document}/` was named by `add` before the division and year "
                        f"were filled in: rename it to `sources/{renamed}/` "
                        f"(`git mv sources/{document} sources/{renamed}` once committed)")
    return problems


def published_twice(published: Path, package: Path, removed: list[str]) -> dict[str, str]:
    """Reviewed documents whose file is published under another id that stays: built alone
    they pass, but the build of every document would refuse them."""
    owner = {sha: d for d, shas in published_documents(published).items() if d not in removed
             for sha in shas.split("; ")}  # a disclosure of several files: each file's
    return {d: owner[sha] for d, shas in published_documents(package).items()
            for sha in shas.split("; ") if owner.get(sha, d) != d}


def _only(d, documents: list[str]):
    """Keep the diff of the reviewed documents only: others are absent from the temporary
    package, not removed."""
    for t in d.tables:
        t.removed = [r for r in t.removed if r.get("document_id") in documents]
        if t.name in ("function_classes", "economic_classes", "check_rules"):
            t.removed = []
    d.documents_removed = [x for x in d.documents_removed if x in documents]
    d.metadata = [k for k in d.metadata if k != "sources"]  # lists the reviewed ones only
    return d
