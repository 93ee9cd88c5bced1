"""The keys a step across documents counts, kept on the work store while the step runs and cut into buckets, so
that the run process holds what the step finds, never the keys of every document: each shard's job writes the keys
of its documents to a file of its own (Arrow IPC, a record batch a bucket), a task a bucket reads that batch of
every shard's file (across_documents counts them), and each shard's job reads its own file again to find the
documents that hold the keys found.

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
from pipeline.tables import Folder, _created, _opened, read_shard

# A bucket holds the keys of this many shards (16,384 documents: of the chrome stage's short lines, about half a
# million keys), up to MAX_BUCKETS buckets (2 million documents), then larger ones: each shard's file holds a record
# batch a bucket (about 220 bytes of metadata each, beside 10-150 bytes of keys a document) and a bucket's task
# reads a batch of every shard's file, so buckets that grew with the corpus would cost files and reads as its
# square. At 100 million documents a bucket of band keys holds about 120 MB (docs/design.md).
SHARDS_A_BUCKET = 64
MAX_BUCKETS = 128
KEYS = ".keys"  # the folder of the steps' keys, beside the stage tables
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

    def bucket(self, shard: str, bucket: int) -> np.ndarray:
        """The keys of one bucket of a shard (of an object, only that batch is read)."""
        return self.batch(shard, bucket)["key"].to_numpy()

    def batch(self, shard: str, bucket: int) -> pa.RecordBatch:
        """One bucket of a shard's file."""
        with _opened(self.folder / shard) as source:
            return ipc.open_file(source).get_batch(bucket)

    def beside(self, name: str, schema: pa.Schema, buckets: int | None = None) -> KeyFiles:
        """Other keys of the same step, in a folder `name` within this one (removed with it)."""
        folder = self.folder / name
        if not isinstance(folder, storage.ObjectPath):
            folder.mkdir(exist_ok=True)
        return KeyFiles(folder, self.buckets if buckets is None else buckets, schema)


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
