"""Incremental builds: each document's outcome is cached under a key made of its source.yml,
the files beside it and the pipeline's own code, so a build re-extracts only what changed.
The document's checksum is verified whenever it is read; between builds the size and
modification time of each file in the folder stand in for it. The cache is local (pickles:
never load a cache from someone else); deleting it only costs time.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path

CODE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the pipeline's code and template data: any change invalidates every entry.
    The package's own metadata (package.yml: version, licences) shapes no document's
    outcome, so a version bump keeps the cache."""
    digest = hashlib.sha256()
    for path in sorted(CODE.rglob("*")):
        if path.suffix in (".py", ".yml", ".csv") and "__pycache__" not in path.parts \
                and path.name != "package.yml":
            digest.update(path.relative_to(CODE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Cache:
    """Outcomes by document, in `folder` (one pickle per document and key)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def key(self, source_folder: Path) -> str | None:
        """The document's cache key, or None if its source.yml cannot be read. Made of the
        bytes of source.yml and the name, size and time of every other file in the folder:
        no YAML parse, so a no-change build of thousands of documents stays fast."""
        try:
            digest = hashlib.sha256((source_folder / "source.yml").read_bytes())
            for entry in sorted(os.scandir(source_folder), key=lambda e: e.name):
                stat = entry.stat()
                digest.update(f"|{entry.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        except OSError:
            return None
        digest.update(f"|{source_folder.name}|{code_fingerprint()}".encode())
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
        for old in self.folder.glob(f"{name}.*.pickle"):
            old.unlink()
        tmp = self._path(name, key).with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(self._path(name, key))

    def last_build(self) -> dict:
        path = self.folder / "last-build.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def remember_build(self, record: dict) -> None:
        (self.folder / "last-build.json").write_text(json.dumps(record, ensure_ascii=False),
                                                     encoding="utf-8")
