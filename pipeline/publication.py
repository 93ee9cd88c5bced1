"""Publication of the corpus and rejected tables, one version a run, switched atomically for readers.

A run writes its tables into a new folder, curated/versions/<version>/: the corpus a folder per language
(corpus/en/part-00000.parquet, as FineWeb-2 lays out its languages, the `language` column kept in every file),
the rejected table in rejected/. Nothing reads a version before it is current. It becomes current when one small
file is replaced, last: manifest.json, which names the version and its files. On this machine curated/corpus and
curated/rejected are links to the current version's folders, replaced the same way. An object store has neither
rename nor links, but an upload of one object is atomic: the version's files go up first, the manifest last
(pipeline.defs.resources.CorpusPaths), and a reader who reads the manifest first sees one version, whole.

The version before the current one is kept, for a reader who listed its files just before the switch; older
versions (and the folder of a run that died before its switch) are removed after it.

The two tables are split from the last stage's shards (published_parts). A corpus that fails the blocking tests
(Tally, problems) is not made current; the asset checks make them again on the files a reader reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import text as tx
from pipeline.corpus import CORPUS, PIPELINE_VERSION, REJECTED, SCHEMA_VERSION
from pipeline.executors import _ahead, _map
from pipeline.tables import Folder, read_shard, shards

MANIFEST = "manifest.json"
VERSIONS = "versions"
PART_ROWS = 100_000  # rows a Parquet file holds at most
GROUP_ROWS = 256  # rows a row group holds (but the last of a file), as a shard does: what a check reads at a time

# Columns that say which run wrote a row, not what it holds: left out of the content hash.
_RUN_COLUMNS = ("ingested_at", "run_id")
_FEW_VALUES = ("source_encoding", "decode_method", "language", "page_language", "stage", "pipeline_version", "run_id")
_FOLDER_NAME = re.compile(r"[^A-Za-z0-9_-]")


class _Part:
    """One Parquet file of a table; its footer records its rows and their content hash."""

    def __init__(self, path: Path, schema: pa.Schema):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.file = path, open(path, "wb")
        # Dictionaries for the columns of few values only: tried on texts, ids and paths, they are built and thrown away.
        dictionary = [name for name in _FEW_VALUES if name in schema.names]
        self.writer = pq.ParquetWriter(self.file, schema, compression="zstd", use_dictionary=dictionary)
        self.digest, self.rows, self.pending = hashlib.sha256(), 0, []

    def write(self, table: pa.Table) -> None:
        for batch in _hashed(table):
            self.digest.update(batch.serialize())
        self.rows += table.num_rows
        self.pending.append(table)
        if sum(t.num_rows for t in self.pending) >= GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        """The rows held as one row group: a shard's rows of one language are often a handful, and a row group
        each made the checks' reads ten times as many (359 row groups for 8,969 documents)."""
        if self.pending:
            self.writer.write_table(pa.concat_tables(self.pending))
            self.pending = []

    def close(self) -> dict:
        self._flush()
        self.writer.add_key_value_metadata({"content_hash": self.digest.hexdigest(), "row_count": str(self.rows)})
        self.writer.close()
        self.file.flush()
        os.fsync(self.file.fileno())  # on disk before the manifest names it
        self.file.close()
        return {"rows": self.rows, "bytes": self.path.stat().st_size, "content_hash": self.digest.hexdigest()}

    def abandon(self) -> None:
        if self.writer.is_open:
            try:
                self.writer.close()
            except (OSError, ValueError):  # the fault that brought us here may stop the footer too
                pass
        self.file.close()


def _hashed(table: pa.Table) -> list[pa.RecordBatch]:
    """The rows as the content hash reads them: Arrow IPC of every column but the run's own."""
    plain = table.drop_columns([c for c in _RUN_COLUMNS if c in table.column_names]).replace_schema_metadata(None)
    return plain.combine_chunks().to_batches()


class Table:
    """One table of a version, written a table at a time into Parquet files of PART_ROWS rows at most, in a
    folder per value of `split_by` when it is given. The content hash is SHA-256 of the rows (Arrow IPC, without
    the run's own columns) in the order they were written: equal for equal content whatever run wrote it, however
    the files are cut."""

    def __init__(self, root: Path, folder: str, schema: pa.Schema, metadata: dict[str, str], split_by: str | None = None):
        self.root, self.folder, self.split_by = root, folder, split_by
        self.schema = schema.with_metadata({
            **(schema.metadata or {}),
            b"pipeline_version": PIPELINE_VERSION.encode(),
            b"schema_version": SCHEMA_VERSION.encode(),
            b"written_at": dt.datetime.now(dt.UTC).isoformat().encode(),
            **{k.encode(): v.encode() for k, v in metadata.items()},
        })  # fmt: skip
        self.open: dict[str, _Part] = {}
        self.files: list[dict] = []
        self.digest, self.rows = hashlib.sha256(), 0

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        table = table.replace_schema_metadata(self.schema.metadata)
        for batch in _hashed(table):
            self.digest.update(batch.serialize())
        self.rows += table.num_rows
        if self.split_by:
            column = pc.fill_null(table[self.split_by], "und")  # a null compares to nothing: its rows would be lost
            groups = [(_FOLDER_NAME.sub("_", v), table.filter(pc.equal(column, v))) for v in pc.unique(column).to_pylist()]
        else:
            groups = [("", table)]
        for key, rows in groups:
            while rows.num_rows:  # into the key's open file, as far as it has room, then into the next
                part = self._part(key)
                room = PART_ROWS - part.rows
                part.write(rows.slice(0, room))
                rows = rows.slice(room)

    def _part(self, key: str) -> _Part:
        part = self.open.get(key)
        if part and part.rows >= PART_ROWS:
            self._finish(key)
            part = None
        if part is None:
            n = sum(1 for f in self.files if f["key"] == key)
            path = self.root / self.folder / key / f"part-{n:05d}.parquet"
            part = self.open[key] = _Part(path, self.schema)
        return part

    def _finish(self, key: str) -> None:
        part = self.open.pop(key)
        self.files.append({"path": part.path.relative_to(self.root).as_posix(), "key": key, **part.close()})

    def close(self) -> dict:
        """Finish every file; what the manifest says of the table. A table of no rows that is not split is one
        file of no rows, so that a reader gets its schema; a split one (an empty corpus) has no file."""
        if not self.split_by and not self.rows:
            self._part("")
        for key in list(self.open):
            self._finish(key)
        files = sorted(self.files, key=lambda f: f["path"])
        if self.split_by:
            files = [{"path": f["path"], self.split_by: f["key"], **_counts(f)} for f in files]
        else:
            files = [{"path": f["path"], **_counts(f)} for f in files]
        return {"rows": self.rows, "content_hash": self.digest.hexdigest(), "files": files}

    def abandon(self) -> None:
        for part in self.open.values():
            part.abandon()
        self.open.clear()


def _counts(file: dict) -> dict:
    return {k: file[k] for k in ("rows", "bytes", "content_hash")}


class Version:
    """The tables of one run under curated/versions/<version>/: written, closed, then made current by `commit`,
    or removed by `discard`. The version's name sorts by the time it was begun."""

    def __init__(self, curated: Path, run_id: str):
        self.curated, self.run_id = curated, run_id
        self.name = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{run_id[:8]}"
        self.folder = curated / VERSIONS / self.name
        metadata = {"run_id": run_id, "version": self.name}
        self.corpus = Table(curated, f"{VERSIONS}/{self.name}/corpus", CORPUS, metadata, split_by="language")
        self.rejected = Table(curated, f"{VERSIONS}/{self.name}/rejected", REJECTED, metadata)
        self.manifest: dict | None = None
        self.committed = False

    def close(self) -> dict:
        """Finish both tables; the manifest that will make them current."""
        self.manifest = {
            "version": self.name,
            "run_id": self.run_id,
            "written_at": dt.datetime.now(dt.UTC).isoformat(),
            "pipeline_version": PIPELINE_VERSION,
            "schema_version": SCHEMA_VERSION,
            "corpus": self.corpus.close(),
            "rejected": self.rejected.close(),
        }
        return self.manifest

    def files(self) -> list[Path]:
        """Every file of the version, the Parquet files of both tables."""
        return [self.curated / path for table in ("corpus", "rejected") for path in files(self.manifest, table)]

    def commit(self) -> Path:
        """Make this version current here: the links, then the manifest; then remove all versions but this one
        and the one it replaces. The manifest's path."""
        before = current(self.curated)
        for table in ("corpus", "rejected"):
            _replace_link(self.curated / table, Path(VERSIONS) / self.name / table)
        manifest = write_manifest(self.curated, self.manifest)
        self.committed = True
        keep = {self.name, before["version"] if before else None}
        for old in (self.curated / VERSIONS).iterdir():
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
        return manifest

    def discard(self) -> None:
        """Remove the version's folder unless it was made current."""
        self.corpus.abandon()
        self.rejected.abandon()
        if not self.committed:
            shutil.rmtree(self.folder, ignore_errors=True)


def write_manifest(curated: Path, manifest: dict) -> Path:
    """curated/manifest.json, replaced whole (a hidden file moved into place)."""
    target, part = curated / MANIFEST, curated / f".{MANIFEST}.part"
    part.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(part, target)
    return target


def _replace_link(link: Path, target: Path) -> None:
    """`link` pointing at `target` (relative to its folder), swapped in one rename. A folder of the layout before
    versions (curated/corpus/corpus.parquet) is removed first."""
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    part = link.with_name(f".{link.name}.link")
    part.unlink(missing_ok=True)
    part.symlink_to(target, target_is_directory=True)
    os.replace(part, link)


def current(curated: Path) -> dict | None:
    """The manifest of the current version in a local curated folder, None before the first publication."""
    try:
        return json.loads((curated / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def files(manifest: dict, table: str) -> list[str]:
    """The paths, relative to the curated folder, of a table's files in a manifest."""
    return [f["path"] for f in manifest[table]["files"]]


# --- the tables to publish, and the tests a corpus must pass to be published ------------------------------


def split_published(table: pa.Table, run_id: str) -> tuple[pa.Table, pa.Table]:
    """The corpus rows and the rejected rows, as published, of one shard of the final document table."""
    n = table.num_rows
    provenance = {
        "ingested_at": pa.array([dt.datetime.now(dt.UTC)] * n, pa.timestamp("us", tz="UTC")),
        "pipeline_version": pa.array([PIPELINE_VERSION] * n, pa.string()),
        "run_id": pa.array([run_id] * n, pa.string()),
    }
    table = table.drop_columns(["content"])
    for name, values in provenance.items():
        table = table.append_column(name, values)
    rejected = pc.is_valid(table["reject_stage"])
    kept = table.filter(pc.invert(rejected))
    kept = kept.append_column("n_chars", pc.utf8_length(kept["text"]).cast(pa.int32()))
    dropped = table.filter(rejected)
    dropped = dropped.append_column("stage", dropped["reject_stage"]).append_column("reason", dropped["reject_reason"])
    return kept.select(CORPUS.names).cast(CORPUS), dropped.select(REJECTED.names).cast(REJECTED)


def published_parts(source: Folder, run_id: str) -> Iterator[tuple[pa.Table, pa.Table]]:
    """split_published of each shard in order; the next shard is read while the caller writes this one (Arrow
    and the Parquet writer let go of the GIL)."""
    def split(part: Folder) -> tuple[pa.Table, pa.Table]:
        return split_published(read_shard(part), run_id)

    with ThreadPoolExecutor(1) as reader:
        yield from _ahead(reader, split, [(part,) for part in shards(source)], 1)


class Tally:
    """What makes a corpus fit to publish, counted a table (or batch) at a time: doc ids, source paths, empty
    texts. The publishing step counts what it writes; the checks count what a consumer reads back. The ids and
    paths go to a private SQLite database (a file in the temporary folder that is gone when it closes, a few MB
    of it cached), which finds the ones seen twice by sorting on disk: the process holds none of them, however
    many documents there are (a Counter of them took 1 GB at a million)."""

    SHOWN = 100  # problems of a kind listed at most (the UI shows 20)

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": private, on disk, deleted when closed (or when the process dies)
        # a row a document: its doc_id if it is in the corpus, its path, and for a record of an archive its doc_id
        # again (a file is accounted for once, a record of an archive once: a dump may give two records one id)
        self._db.executescript("CREATE TABLE rows (id TEXT, path TEXT, record TEXT); CREATE TABLE raw (path TEXT)")
        self.empty: list[str] = []

    def corpus(self, part: pa.Table | pa.RecordBatch) -> None:
        self._add(part, part["doc_id"])
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(part["text"])), 0)
        if len(self.empty) < self.SHOWN:
            self.empty += part.filter(blank)["source_path"].to_pylist()[: self.SHOWN - len(self.empty)]

    def rejected(self, part: pa.Table | pa.RecordBatch) -> None:
        self._add(part, pa.nulls(len(part), pa.string()))

    def _add(self, part: pa.Table | pa.RecordBatch, ids: pa.Array) -> None:
        records = pc.if_else(pc.is_null(part["source_record"]), pa.scalar(None, pa.string()), part["doc_id"])
        with self._db as db:
            db.executemany("INSERT INTO rows VALUES (?, ?, ?)", zip(ids.to_pylist(), part["source_path"].to_pylist(), records.to_pylist()))

    def problems(self, raw_files: Iterable[str]) -> dict[str, list[str]]:
        """What would make the corpus unfit to publish, by check name (at most SHOWN of a kind); every list empty
        when it is fit."""
        with self._db as db:
            db.executemany("INSERT INTO raw VALUES (?)", ((p,) for p in raw_files))

        def found(query: str) -> list[tuple]:
            return self._db.execute(f"{query} LIMIT {self.SHOWN}").fetchall()

        accounted = [f"missing: {p}" for p, in found("SELECT path FROM raw EXCEPT SELECT path FROM rows ORDER BY path")]
        accounted += [f"not in raw: {p}" for p, in found("SELECT path FROM rows EXCEPT SELECT path FROM raw ORDER BY path")]
        twice = "SELECT path, record FROM rows GROUP BY path, record HAVING count(*) > 1 ORDER BY path, record"
        accounted += [f"twice: {p}" + (f" doc {d}" if d else "") for p, d in found(twice)]
        try:
            return {
                "doc_id_unique": [i for i, in found("SELECT id FROM rows WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1")],
                "no_empty_text": self.empty,
                "every_raw_file_accounted_for": accounted[: self.SHOWN],
            }
        finally:
            self._db.close()


def problems(corpus: list[Path], rejected: list[Path], raw_files: Iterable[str]) -> dict[str, list[str]]:
    """Tally.problems of a published version's files, read a row group at a time."""
    tally = Tally()
    for part in _row_groups(corpus, ["doc_id", "source_path", "source_record", "text"]):
        tally.corpus(part)
    for part in _row_groups(rejected, ["doc_id", "source_path", "source_record"]):
        tally.rejected(part)
    return tally.problems(raw_files)


def _row_groups(paths: list[Path], columns: list[str]) -> Iterator[pa.Table]:
    """Published files a row group (a shard's part) at a time. Not iter_batches: reading ahead, it left the
    process 500 MB larger after a pass over 100,000 documents."""
    for path in paths:
        file = pq.ParquetFile(path)
        for k in range(file.num_row_groups):
            yield file.read_row_group(k, columns=columns)


def _mojibake_job(path: Path, group: int) -> list[str]:
    part = pq.ParquetFile(path).read_row_group(group, columns=["source_path", "text"])
    return [p for p, t in zip(part["source_path"].to_pylist(), part["text"].to_pylist()) if tx.has_mojibake(t)]


def mojibake_left(corpus: list[Path]) -> list[str]:
    """Source paths of published documents that still look like mojibake, a row group per worker job (the version's
    files are on this machine until they are uploaded: the local pool)."""
    calls = [(path, k) for path in corpus for k in range(pq.ParquetFile(path).num_row_groups)]
    return [path for found in _map(_mojibake_job, calls, local_files=True) for path in found]
