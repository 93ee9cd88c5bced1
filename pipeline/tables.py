"""A stage's document table as it is kept between stages: a folder of Arrow IPC shards (part-<batch>-<k>.arrow)
of at most SHARD_DOCS documents each, by batch of raw files, then in the order of their paths. A shard is what a
worker holds at a time, so memory stays flat however large the corpus grows. Here: the batches, the shards' names
and lists, and reading and writing one shard; rewrite.py replaces a whole table, executors.py runs the jobs.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from pipeline import storage
from pipeline.corpus import DOCUMENTS

# Read as tables.SHARD_DOCS, when it is used (not imported by name): a test makes shards of two documents.
SHARD_DOCS = 256
SHARD_BYTES = 128 * 2**20  # and a raw shard is written once it holds this many bytes: a worker's memory stays bounded
# The raw files fall into BATCHES batches by a hash of their path (the ingest stages' Dagster partitions): a file
# stays in its batch from run to run, and a batch's shards are named part-<batch>-<k>.arrow in every stage after.
BATCHES = 8
BATCH_NAMES = tuple(f"{k:02d}" for k in range(BATCHES))

Row = dict  # a document of a shard, the fields a job reads
Stats = Counter  # what a job counted, summed over a stage's shards as they come


# A folder of shards: local, or a prefix of object storage (storage.ObjectPath), where the stage's list of shards
# (name to object) is written last, as a rename would switch a local folder: one list for a table written whole
# (SHARD_LIST), one a batch for an ingest stage's (batch_list), so that runs of different batches at once each
# write only their own.
Folder = Path | storage.ObjectPath
SHARD_LIST = "shards.json"


def batch_list(folder: storage.ObjectPath, batch: str) -> storage.ObjectPath:
    return folder / f"shards-{batch}.json"


def shards(folder: Folder, batches: Collection[str] | None = None) -> list[Path] | list[storage.ObjectPath]:
    """A stage's shards in order (of batch, then of path), or those of `batches` only."""
    if isinstance(folder, storage.ObjectPath):
        found = [storage.ObjectPath(uri) for _, uri in sorted(_listed(folder, batches).items())]
    else:
        found = sorted(folder.glob("part-*.arrow"))
    return found if batches is None else [part for part in found if shard_batch(part) in batches]


def _listed(folder: storage.ObjectPath, batches: Collection[str] | None = None) -> dict[str, str]:
    """A remote stage's shards, by name (none before its first run): its list, else the lists of `batches` (all)."""
    whole = storage.read_text((folder / SHARD_LIST).uri) if batches is None else None
    if whole is not None:
        return json.loads(whole)
    listed = {}
    for batch in BATCH_NAMES if batches is None else batches:
        listed.update(json.loads(storage.read_text(batch_list(folder, batch).uri) or "{}"))
    return listed


def shard_path(folder: Folder, batch: str, k: int, sub: int = 0) -> Folder:
    """Shard k of a batch, or the sub-th more of an archive's (part-00-00003_0001 sorts after part-00-00003, before
    part-00-00004)."""
    return folder / (f"part-{batch}-{k:05d}.arrow" if not sub else f"part-{batch}-{k:05d}_{sub:04d}.arrow")


def shard_batch(part: Folder) -> str:
    """The batch a shard belongs to, from its name (of a shard named before batches: none of BATCH_NAMES)."""
    return part.name.split("-")[1]


def batch_of(source_path: str) -> str:
    """The batch of a raw file: a hash of its path, the same in every run."""
    digest = hashlib.sha256(source_path.encode("utf-8", "surrogatepass")).digest()
    return BATCH_NAMES[int.from_bytes(digest[:8], "big") % BATCHES]


def batch_counts(folder: Folder, batches: Collection[str]) -> dict[str, tuple[int, int]]:
    """Documents and, of them, rejected ones in each of `batches` of a stage's table."""
    counts = {batch: (0, 0) for batch in batches}
    for part in shards(folder, batches):
        rejected = read_shard(part, ["reject_stage"])["reject_stage"]
        n, r = counts[shard_batch(part)]
        counts[shard_batch(part)] = (n + len(rejected), r + len(rejected) - rejected.null_count)
    return counts


def read_shard(path: Folder, columns: list[str] | None = None) -> pa.Table:
    """A shard of a stage's table (Arrow IPC), memory-mapped: nothing is copied or decoded until it is used. An
    object is read whole in one request, or, for some `columns`, only their buffers (ranged requests): the run
    process counts and previews shards it must not download."""
    if not isinstance(path, storage.ObjectPath):
        with _opened(path) as source:
            table = ipc.open_file(source).read_all()
    elif columns is None:
        return ipc.open_file(pa.BufferReader(storage.read_bytes(path.uri))).read_all()
    else:
        fields = sorted(DOCUMENTS.get_field_index(name) for name in columns)  # every stage's shards have its schema
        with _opened(path) as source:
            table = ipc.open_file(source, options=ipc.IpcReadOptions(included_fields=fields)).read_all()
    return table.select(columns) if columns else table


def _opened(path: Folder) -> pa.NativeFile:
    """An Arrow IPC file to read parts of: memory-mapped, or an object read by ranged requests (what is asked only)."""
    if isinstance(path, storage.ObjectPath):
        fs, key = storage.filesystem(path.uri)
        return fs.open_input_file(key)
    return pa.memory_map(str(path))


def _created(path: Folder) -> pa.NativeFile:
    """A file to write an Arrow IPC file into: an object is there once the stream is closed, whole."""
    if isinstance(path, storage.ObjectPath):
        fs, key = storage.filesystem(path.uri)
        return fs.open_output_stream(key)
    return pa.OSFile(str(path), "wb")


def _row_count(path: Folder) -> int:
    """The documents of a shard, from one narrow column."""
    return read_shard(path, ["reject_stage"]).num_rows


def _rows(table: pa.Table, fields: tuple[str, ...]) -> list[Row]:
    """The documents of a shard as rows of the fields a job reads (and those every job may: whether a document is
    rejected, and what it is). The other columns stay as they were read: turning them into Python and back cost
    up to 0.017 ms a document a stage (most in the later stages, whose documents carry lists of posts and languages)."""
    return table.select(list(dict.fromkeys(("doc_id", "source_path", "source_record", "reject_stage", *fields)))).to_pylist()


def _with_rows(table: pa.Table, rows: list[Row], names: Iterable[str], read: dict[str, list] | None = None) -> pa.Table:
    """`table` (a shard, read) with its columns `names` (those of them in its schema: not the memo's fields, nor
    the fingerprints) taken from its `rows`: each row's value where it has one, else the table's. Of a string
    column `read` holds as it was read, only the values a stage changed are turned back into Arrow: most texts
    leave most stages as they came, and converting a shard's texts cost 0.02 ms a document."""
    for name in set(names) & set(DOCUMENTS.names):
        field, at = DOCUMENTS.field(name), DOCUMENTS.get_field_index(name)
        if read and name in read and field.type == pa.string():
            replaced = [row[name] != before for row, before in zip(rows, read[name])]
            if any(replaced):
                new = pa.array([row[name] for row, r in zip(rows, replaced) if r], field.type)
                table = table.set_column(at, field, pc.replace_with_mask(table[name], pa.array(replaced), new))
            continue
        old = None if all(name in row for row in rows) else table[name].to_pylist()
        values = [row[name] if name in row else old[k] for k, row in enumerate(rows)]
        table = table.set_column(at, field, pa.array(values, field.type))
    return table


def _write(rows: list[Row] | pa.Table, path: Folder) -> None:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=DOCUMENTS)
    # A stage's shards are read once or twice and replaced: Arrow IPC files, uncompressed, are written at the speed
    # of a copy and read, memory-mapped, without one. The published corpus is compressed Parquet.
    with _created(path) as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)

