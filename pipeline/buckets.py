"""The keys a step across documents counts, kept on the work store while the step runs and cut into buckets, so
that the run process holds what the step finds, never the keys of every document: each shard's job writes the keys
of its documents to a file of its own (Arrow IPC, a record batch a bucket); a task a group of shards combines their
files into one of the same buckets (KeyFiles.grouped); a task a bucket reads that batch of every group's file
(across_documents and copies count them), and each shard's job reads its own file again to find the documents that
hold the keys found.

The files are in a folder of the step's own in `.keys/` beside the stage's table (`.keys/chrome_stripped-<random>`;
on object storage a prefix, never under the stage's: that holds the shards it lists, and listing `.keys/` does not
list every stage's shards), removed when the step ends, and at its start any that a killed run left. A step that
keeps keys of several kinds (the dedup step: paragraphs' keys, digests, band keys) keeps the others in folders
within it (KeyFiles.beside).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from pipeline import storage
from pipeline.executors import _map
from pipeline.tables import Folder, _created, _opened, read_shard

# A bucket holds the keys of this many shards (16,384 documents: of the chrome stage's short lines, about half a
# million keys), up to MAX_BUCKETS buckets (2 million documents), then larger ones: each shard's file holds a record
# batch a bucket (about 220 bytes of metadata each, beside 10-150 bytes of keys a document) and a bucket's task
# reads a batch of every group's file, so buckets that grew with the corpus would cost files and reads as its
# square. At 100 million documents a bucket of band keys holds about 120 MB (docs/design.md).
SHARDS_A_BUCKET = 64
MAX_BUCKETS = 128
# A task combines the files of this many shards (65,536 documents) before the buckets are read: read a batch at a
# time from every shard's file, the keys of a million documents took 180 µs a read (the file's footer read each
# time), 500,000 reads a kind of key; from files of 256 shards, 2,000.
GROUP_SHARDS = 256
KEYS = ".keys"  # the folder of the steps' keys, beside the stage tables
SHARD = "shard"  # the column of a group's file that says which shard a key is from (its place in the step's list)
# a line's key (pipeline.text.dedup.line_keys) and the row of the shard's document that holds it
SCHEMA = pa.schema([("key", pa.int64()), ("row", pa.uint16())])


def _bucket(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of each key, of its hashed bits (line_keys keeps the line's length in the low 16)."""
    return (keys.view(np.uint64) >> np.uint64(16)) % np.uint64(buckets)


def _array(column, kind: pa.DataType) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column if isinstance(column, pa.Array) else pa.array(column, kind)


@dataclass(frozen=True)
class KeyFiles:
    """A step's keys: a file a shard in `folder`, named as the shard, each of `buckets` record batches of `schema`
    (by default a line's key and its row; a step may keep other columns, its first the key a bucket is of)."""

    folder: Folder
    buckets: int
    schema: pa.Schema = SCHEMA

    def write(self, shard: str, *columns, bucket: np.ndarray | None = None) -> int:
        """A shard's keys and what goes with each (the row of the document each is from), a batch a bucket (the
        key's, or the `bucket` given for each); how many keys."""
        batch = pa.record_batch([_array(column, field.type) for column, field in zip(columns, self.schema)], schema=self.schema)
        bucket = _bucket(batch.column(0).to_numpy(), self.buckets) if bucket is None else bucket.astype(np.uint64)
        order = np.argsort(bucket, kind="stable")
        ends = np.searchsorted(bucket[order], np.arange(1, self.buckets + 1, dtype=np.uint64)).tolist()
        batch = batch.take(pa.array(order))
        with _created(self.folder / shard) as sink, ipc.new_file(sink, self.schema) as writer:
            for start, end in zip([0, *ends], ends):
                writer.write_batch(batch.slice(start, end - start))
        return batch.num_rows

    def read(self, shard: str) -> tuple[np.ndarray, np.ndarray]:
        """A shard's keys, every bucket's, and their rows (an object in one request)."""
        table = self.table(shard)
        return table["key"].to_numpy(), table["row"].to_numpy()

    def table(self, shard: str) -> pa.Table:
        """Everything a shard's file holds, every bucket's."""
        return read_shard(self.folder / shard)

    def batch(self, shard: str, bucket: int) -> pa.RecordBatch:
        """One bucket of a shard's file."""
        with _opened(self.folder / shard) as source:
            return ipc.open_file(source).get_batch(bucket)

    @contextlib.contextmanager
    def grouped(self, shards: list[str]) -> Iterator[Grouped]:
        """The files of `shards` combined, GROUP_SHARDS at a time, a task a group, into files of the same buckets
        whose keys also say their shard's place in `shards`; removed when done with."""
        groups = self.beside(f"grouped-{os.urandom(4).hex()}", self.schema.append(pa.field(SHARD, pa.uint32())))
        names = [f"group-{start // GROUP_SHARDS:06d}" for start in range(0, len(shards), GROUP_SHARDS)]
        try:
            _map(_group_job, [(self, groups, shards[k * GROUP_SHARDS : (k + 1) * GROUP_SHARDS], k * GROUP_SHARDS, name)
                              for k, name in enumerate(names)])  # fmt: skip
            yield Grouped(groups, names)
        finally:
            _remove(groups.folder)

    def beside(self, name: str, schema: pa.Schema, buckets: int | None = None) -> KeyFiles:
        """Other keys of the same step, in a folder `name` within this one (removed with it)."""
        folder = self.folder / name
        if not isinstance(folder, storage.ObjectPath):
            folder.mkdir(exist_ok=True)
        return KeyFiles(folder, self.buckets if buckets is None else buckets, schema)


@dataclass(frozen=True)
class Grouped:
    """A step's keys of every shard, in files of groups of shards (KeyFiles.grouped): what a bucket's task reads."""

    files: KeyFiles
    groups: list[str]

    def bucket(self, bucket: int) -> pa.Table:
        """A bucket's keys of every shard, each with its shard's place (SHARD), in the shards' order."""
        return pa.Table.from_batches([self.files.batch(group, bucket) for group in self.groups], self.files.schema)


def _group_job(source: KeyFiles, target: KeyFiles, shards: list[str], first: int, name: str) -> int:
    """The files of `shards` (the first at place `first`) as one file of `target`, bucket by bucket; how many keys."""
    buckets: list[list[pa.RecordBatch]] = [[] for _ in range(source.buckets)]
    for place, shard in enumerate(shards, first):
        with _opened(source.folder / shard) as file:
            reader = ipc.open_file(file)
            for bucket, batches in enumerate(buckets):
                batch = reader.get_batch(bucket)
                batches.append(batch.append_column(SHARD, pa.array(np.full(batch.num_rows, place, np.uint32))))
    with _created(target.folder / name) as sink, ipc.new_file(sink, target.schema) as writer:
        for batches in buckets:
            writer.write_batch(pa.concat_batches(batches))
    return sum(batch.num_rows for batches in buckets for batch in batches)


@contextlib.contextmanager
def key_files(target: Folder, shards: int) -> Iterator[KeyFiles]:
    """A new folder for a step's keys beside the stage table `target`, of as many buckets as `shards` shards need
    (any such folder a killed run left there removed first); removed when the step ends, however it ends."""
    root, prefix = target.parent / KEYS, f"{target.name}-"
    for stale in _left(root, prefix):
        _remove(stale)
    folder = root / (prefix + os.urandom(4).hex())
    if not isinstance(folder, storage.ObjectPath):
        folder.mkdir(parents=True)
    try:
        yield KeyFiles(folder, buckets_for(shards))
    finally:
        _remove(folder)


def buckets_for(shards: int) -> int:
    return max(1, min(MAX_BUCKETS, math.ceil(shards / SHARDS_A_BUCKET)))


def _left(root: Folder, prefix: str) -> list[Folder]:
    if isinstance(root, storage.ObjectPath):
        return [root / name for name in storage.subfolders(root.uri) if name.startswith(prefix)]
    return sorted(root.glob(f"{prefix}*"))


def _remove(folder: Folder) -> None:
    if isinstance(folder, storage.ObjectPath):
        storage.delete_folder(folder.uri)
    else:
        shutil.rmtree(folder, ignore_errors=True)
