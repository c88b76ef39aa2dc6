"""Incremental builds: each document's outcome is cached under a key made of its source.yml,
the files beside it and the pipeline's own code, so a build re-extracts only what changed.
The document's checksum is verified whenever it is read; between builds the size and
modification time of each file in the folder stand in for it. The cache is local (pickles:
never load a cache from someone else); deleting it only costs time. Every file of it is
written whole or not at all (a temporary file renamed over it), and an entry that cannot
be read (truncated by a kill, from another version) is recomputed, never an error.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path

from pipeline.read.ocr import version as ocr_version

CODE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the pipeline's code and template data: any change invalidates every entry.
    The package's own metadata (package.yml: version, licences) shapes no document's
    outcome, so a version bump keeps the cache. The OCR engine (or its absence) is part of
    the code: a scanned page reads otherwise with it."""
    digest = hashlib.sha256()
    for path in sorted(CODE.rglob("*")):
        if path.suffix in (".py", ".yml", ".csv") and "__pycache__" not in path.parts \
                and path.name != "package.yml":
            digest.update(path.relative_to(CODE).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(f"|{ocr_version()}".encode())
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a kill or a full disk midway leaves the old file
    (or none), never a truncated one. The temporary file is unique, so two builds sharing
    a cache do not write into each other's."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class Cache:
    """Outcomes by document, in `folder` (one pickle per document and key)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def key(self, source_folder: Path, ocr: bool = False) -> str | None:
        """The document's cache key, or None if its source.yml cannot be read. Made of the
        bytes of source.yml and the name, size and time of every other file in the folder:
        no YAML parse, so a no-change build of thousands of documents stays fast; `ocr`
        (every page read by OCR) keys another outcome."""
        try:
            digest = hashlib.sha256((source_folder / "source.yml").read_bytes())
            for entry in sorted(os.scandir(source_folder), key=lambda e: e.name):
                stat = entry.stat()
                digest.update(f"|{entry.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        except OSError:
            return None
        digest.update(f"|{source_folder.name}|{code_fingerprint()}".encode())
        if ocr:
            digest.update(b"|ocr")
        return digest.hexdigest()

    def _path(self, name: str, key: str) -> Path:
        return self.folder / f"{name}.{key[:32]}.pickle"

    def get(self, name: str, key: str | None):
        if key is None:
            return None
        path = self._path(name, key)
        if not path.exists():
            return None
        try:
            return pickle.loads(path.read_bytes())
        except Exception:  # a truncated or stale entry: recompute
            return None

    def put(self, name: str, key: str | None, outcome) -> None:
        if key is None:
            return
        path = self._path(name, key)
        for old in self.folder.glob(f"{glob.escape(name)}.*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
        write_atomically(path, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))

    def last_build(self) -> dict:
        """What `remember_build` stored, or nothing if it is missing or unreadable."""
        try:
            record = json.loads((self.folder / "last-build.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, truncated by a kill, not UTF-8
            return {}
        return record if isinstance(record, dict) else {}

    def remember_build(self, record: dict) -> None:
        """Keep what a build gave, for a later build with the same inputs to return."""
        write_atomically(self.folder / "last-build.json",
                         json.dumps(record, ensure_ascii=False).encode("utf-8"))
