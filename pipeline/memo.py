"""What a per-document stage made of a document, kept between runs: the incremental part of re-ingestion.

A stage's result for a document depends only on the fields it reads and on its code, so it is stored under the
SHA-256 of both; an unchanged file with unchanged code is not processed again, a changed one is. Steps across
documents (repeated lines, deduplication) run every time on every document, so a run gives what a full rebuild
would. The store is SQLite under curated/.work/ (hidden from readers), written once per shard of each stage.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sqlite3
from pathlib import Path

# The code behind each stage: a change to any of these files makes the stage process everything again.
_TEXT = Path(__file__).resolve().parent / "text"
STAGE_CODE = {
    "mojibake": ["mojibake.py", "decode.py", "data/char_frequency.tsv", "data/bigram_frequency.tsv.gz"],
    "chrome": ["chrome.py", "html.py", "dedup.py", "language.py", "compiled.py"],
    "language": ["language.py", "compiled.py"],
}


@functools.cache
def code_version(stage: str) -> str:
    digest = hashlib.sha256((Path(__file__).parent / "stages.py").read_bytes())
    for name in STAGE_CODE[stage]:
        digest.update((_TEXT / name).read_bytes())
    return digest.hexdigest()[:16]


class Memo:
    """Results by stage, code version and input; `None` as a path keeps nothing (every run is a full one).
    Workers read it; one process writes what they computed (`add`): writers would wait on SQLite's lock."""

    def __init__(self, path: Path | None):
        self.path = path

    def key(self, stage: str, inputs: tuple) -> str:
        return hashlib.sha256(pickle.dumps((stage, code_version(stage), inputs))).hexdigest()

    def get(self, keys: list[str]) -> dict[str, object]:
        if self.path is None or not self.path.exists() or not keys:
            return {}
        with self._connect() as db:
            found = {}
            for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
                chunk = keys[start : start + 500]
                rows = db.execute(f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((key, pickle.loads(value)) for key, value in rows)
        return found

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=120)
        db.execute("PRAGMA journal_mode=WAL")  # readers go on while it is written
        db.execute("PRAGMA synchronous=NORMAL")  # a cache: a crash may lose the last results, never corrupt it
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB)")
        return db

    @staticmethod
    def entry(key: str, value: object) -> tuple[str, bytes]:
        """A result as `add` takes it (pickled where it was computed)."""
        return key, pickle.dumps(value)

    def add(self, entries: list[tuple[str, bytes]]) -> None:
        if self.path is None or not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)", entries)
