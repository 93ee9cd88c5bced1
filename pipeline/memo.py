"""What a per-document stage made of a document, kept between runs: the incremental part of re-ingestion.

A stage's result for a document depends only on the fields it reads and on its code, so it is stored under the
SHA-256 of both; an unchanged file with unchanged code is not processed again, a changed one is. Steps across
documents (repeated lines, deduplication) run every time on every document, so a run gives what a full rebuild
would. The store is SQLite under curated/.work/ (hidden from readers), written once per shard of each stage, and
after each stage it holds only what that run used: a schedule re-ingesting a changing folder does not grow it.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sqlite3
from importlib.metadata import version
from pathlib import Path

# The code behind each stage: a change to any of these files makes the stage process everything again.
_TEXT = Path(__file__).resolve().parent / "text"
STAGE_CODE = {
    "mojibake": ["mojibake.py", "decode.py", "compiled.py", "data/char_frequency.tsv", "data/bigram_frequency.tsv.gz"],
    "chrome": ["chrome.py", "html.py", "main_content.py", "decode.py", "dedup.py", "language.py", "compiled.py"],
    "language": ["language.py", "compiled.py"],
    "quality": ["quality.py", "pii.py", "compiled.py", "data/stop_words.json"],  # not quality_rules.toml: a threshold changed re-decides, no signal is computed again
}
# and for every stage, the row functions and _apply (pipeline/stages.py) and how a shard's rows are read (tables.py)
_ENGINE = ("stages.py", "tables.py")
# the libraries whose output a stage keeps: another version of one makes the stage process everything again
STAGE_LIBRARIES = {"mojibake": ("ftfy",), "chrome": ("trafilatura", "lxml"), "language": ("langdetect",)}


@functools.cache
def code_version(stage: str) -> str:
    digest = hashlib.sha256()
    for name in _ENGINE:
        digest.update((Path(__file__).parent / name).read_bytes())
    for name in STAGE_CODE[stage]:
        digest.update((_TEXT / name).read_bytes())
    for library in STAGE_LIBRARIES.get(stage, ()):
        digest.update(f"{library} {version(library)}".encode())
    return digest.hexdigest()[:16]


_LAYOUT = 2  # of the results table (PRAGMA user_version); 1 had no stage column


class Memo:
    """Results by stage, code version and input; `None` as a path keeps nothing (every run is a full one).
    Workers read it; the run's process writes what they computed (`add`): writers would wait on SQLite's lock (as
    runs of different batches at once do, briefly: a write is a shard's results)."""

    def __init__(self, path: Path | None):
        self.path = path

    def key(self, stage: str, inputs: tuple) -> str:
        return hashlib.sha256(pickle.dumps((stage, code_version(stage), inputs))).hexdigest()

    def get(self, keys: list[str]) -> dict[str, object]:
        if self.path is None or not self.path.exists() or not keys:
            return {}
        with self._connect() as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'results'").fetchone():
                return {}  # the writer has made the file, not yet its table
            found = {}
            for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
                chunk = keys[start : start + 500]
                rows = db.execute(f"SELECT key, value FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
                found.update((key, pickle.loads(value)) for key, value in rows)
        return found

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=120)
        db.execute("PRAGMA synchronous=NORMAL")  # a cache: a crash may lose the last results, never corrupt it
        return db

    @functools.cached_property
    def _writer(self) -> sqlite3.Connection:
        """The writer's connection, one for all its writes (a new one for each shard's results cost a third of
        writing them), to a table of this layout (one of an older layout is dropped: a cache)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        # Readers go on while it is written. The file keeps the mode: set here only, as a worker that set it on
        # connecting, while this process wrote, failed at once with "database is locked" (no busy wait for it).
        db.execute("PRAGMA journal_mode=WAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != _LAYOUT:
            db.execute("DROP TABLE IF EXISTS results")
            db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, stage TEXT, value BLOB)")
            db.execute(f"PRAGMA user_version = {_LAYOUT}")
        return db

    @staticmethod
    def entry(stage: str, key: str, value: object) -> tuple[str, str, bytes]:
        """A result as `add` takes it (pickled where it was computed)."""
        return key, stage, pickle.dumps(value)

    def add(self, entries: list[tuple[str, str, bytes]]) -> None:
        if self.path is None or not entries:
            return
        with self._writer as db:
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", entries)

    def used(self, keys: list[str]) -> None:
        """Note keys a run used, a shard's as its results come, in a table of SQLite's temporary store (on disk):
        the run process holds none of them, however many documents the stage reads."""
        if self.path is None:
            return
        with self._writer as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO used VALUES (?)", ((key,) for key in keys))

    def keep_only(self, stage: str) -> int:
        """Forget the stage's results whose keys were not `used` since the last call (results of files since changed
        or removed, of code since changed); returns how many. SQLite reuses the space they held."""
        if self.path is None or not self.path.exists():
            return 0
        with self._writer as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")  # a stage that used none
            gone = db.execute("DELETE FROM results WHERE stage = ? AND key NOT IN (SELECT key FROM used)", (stage,))
            db.execute("DROP TABLE used")  # the next stage notes its own
            return gone.rowcount

    def snapshot(self, target: Path) -> bool:
        """A copy of the memo as one file (what its write-ahead log holds included), to upload; False without one."""
        if self.path is None or not self.path.exists():
            return False
        with self._connect() as db, sqlite3.connect(target) as copy:
            db.backup(copy)
        copy.close()
        return True
