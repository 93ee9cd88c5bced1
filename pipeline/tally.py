"""The blocking tests a corpus must pass to be published (no doc_id twice, no empty text, every raw file in
exactly one table), counted without holding anything a document in the run process: the doc ids and the
(source path, record) pairs go to KeyFiles (pipeline.buckets), a file a published part, bucketed by a 64-bit hash;
a task a bucket reads that bucket of every file and hands back only what it finds wrong. The strings ride in the
files beside their keys, so that the few found are named as before without reading the tables again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import buckets, tables
from pipeline.buckets import KeyFiles, key_files
from pipeline.executors import _map

# a published document's id and where it stands in the order the tables were counted (the first of a doc_id
# twice names it, in that order, as a Counter's did)
IDS = pa.schema([("key", pa.int64()), ("doc_id", pa.string()), ("at", pa.int64())])
# a row of either table: its file, and the record of an archive it is (null for a file)
PAIRS = pa.schema([("key", pa.int64()), ("source_path", pa.string()), ("record", pa.string())])
_FILE_ROWS = 1 << 40  # `at` of a published file's rows in the checks: the file's number times this, plus the row


def keys_of(values: list[str]) -> np.ndarray:
    """A stable 64-bit hash of each string (Python's hash() differs from process to process)."""
    return np.array([int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little", signed=True) for v in values],
                    np.int64).reshape(-1)  # fmt: skip


class Tally:
    """What makes a corpus fit to publish, counted a table (or row group) at a time into `keys`' folder: each call
    writes a file of its own. The publishing step counts what it writes; the checks count what a consumer reads back."""

    def __init__(self, keys: KeyFiles) -> None:
        self.ids, self.pairs = keys.beside("ids", IDS), keys.beside("pairs", PAIRS)
        self.id_files: list[str] = []
        self.pair_files: list[str] = []
        self.rows = 0
        self.empty: list[str] = []

    def corpus(self, part: pa.Table | pa.RecordBatch) -> None:
        name = f"{len(self.pair_files):08d}.arrow"
        _write_ids(self.ids, name, part, self.rows)
        _write_pairs(self.pairs, name, part)
        self.empty += _empty_texts(part)
        self.rows += part.num_rows
        self.id_files.append(name)
        self.pair_files.append(name)

    def rejected(self, part: pa.Table | pa.RecordBatch) -> None:
        name = f"{len(self.pair_files):08d}.arrow"
        _write_pairs(self.pairs, name, part)
        self.pair_files.append(name)

    def problems(self, raw_files: set[str]) -> dict[str, list[str]]:
        """What would make the corpus unfit to publish, by check name; every list empty when it is fit."""
        return _problems(self.ids, self.id_files, self.pairs, self.pair_files, self.empty, raw_files)


def _write_ids(ids: KeyFiles, name: str, part: pa.Table | pa.RecordBatch, at: int) -> None:
    """A corpus part's doc ids into file `name`, the first of them the `at`th counted."""
    doc_ids = part["doc_id"].to_pylist()
    ids.write(name, keys_of(doc_ids), part["doc_id"], np.arange(at, at + len(doc_ids), dtype=np.int64))


def _empty_texts(part: pa.Table | pa.RecordBatch) -> list[str]:
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(part["text"])), 0)
    return part.filter(blank)["source_path"].to_pylist()


def _write_pairs(pairs: KeyFiles, name: str, part: pa.Table | pa.RecordBatch) -> None:
    # a file once, a record of an archive once: by its doc_id (a dump may give two records one id); bucketed by
    # the path alone, so that a bucket holds every row of its paths (the raw files it accounts for)
    records = pc.if_else(pc.is_valid(part["source_record"]), part["doc_id"], pa.scalar(None, pa.string()))
    paths = part["source_path"]
    pairs.write(name, keys_of(paths.to_pylist()), paths, records)


def _problems(ids: KeyFiles, id_files: list[str], pairs: KeyFiles, pair_files: list[str], empty: list[str], raw_files: set[str]) -> dict:
    raw = sorted(raw_files)  # a raw file is one path, not a document: the listing is O(files) here already
    bucket = buckets._bucket(keys_of(raw), pairs.buckets).tolist() if raw else []
    of_bucket = [[] for _ in range(pairs.buckets)]
    for path, b in zip(raw, bucket):
        of_bucket[b].append(path)
    calls = [(ids, id_files, pairs, pair_files, b, of_bucket[b]) for b in range(pairs.buckets)]
    found = _map(_bucket_job, calls, local_files=True)  # the key files are on this machine
    twice_ids = [doc_id for _, doc_id in sorted(f for ids_found, *_ in found for f in ids_found)]
    missing = sorted(p for _, m, _, _ in found for p in m)
    unknown = sorted(p for _, _, u, _ in found for p in u)
    twice = sorted((pair for *_, t in found for pair in t), key=str)
    accounted = [f"missing: {p}" for p in missing] + [f"not in raw: {p}" for p in unknown]
    accounted += [f"twice: {p}" + (f" doc {d}" if d else "") for (p, d), _ in twice]
    return {"doc_id_unique": twice_ids, "no_empty_text": empty, "every_raw_file_accounted_for": accounted}


def _read(keys: KeyFiles, names: list[str], bucket: int) -> pa.Table:
    return pa.Table.from_batches([keys.batch(name, bucket) for name in names], schema=keys.schema)


def _bucket_job(ids: KeyFiles, id_files: list[str], pairs: KeyFiles, pair_files: list[str], bucket: int, raw: list[str]) -> tuple:
    """Of one bucket of every file: the doc ids seen twice (each with where it was first seen), the raw files of
    the bucket no row names, the paths no raw file has, the pairs seen twice (with how many times)."""
    read = _read(ids, id_files, bucket)
    counted = read.group_by("doc_id").aggregate([("at", "min"), ("at", "count")])
    twice_ids = counted.filter(pc.greater(counted["at_count"], 1))
    read = _read(pairs, pair_files, bucket)
    seen, raw_set = set(pc.unique(read["source_path"]).to_pylist()), set(raw)
    counted = read.group_by(["source_path", "record"]).aggregate([("source_path", "count")])
    twice = counted.filter(pc.greater(counted["source_path_count"], 1))
    return (
        list(zip(twice_ids["at_min"].to_pylist(), twice_ids["doc_id"].to_pylist())),
        sorted(raw_set - seen),
        sorted(seen - raw_set),
        [((p, d), n) for p, d, n in zip(*(twice[c].to_pylist() for c in ("source_path", "record", "source_path_count")))],
    )


def problems(corpus: list[Path], rejected: list[Path], raw_files: set[str], work: Path) -> dict[str, list[str]]:
    """Tally.problems of a published version's files: a worker job a file writes its keys (in a folder of `work`'s
    .keys/), a row group read at a time."""
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in [*corpus, *rejected])
    with key_files(work / "corpus_checks", math.ceil(rows / tables.SHARD_DOCS)) as keys:
        ids, pairs = keys.beside("ids", IDS), keys.beside("pairs", PAIRS)
        calls = [(ids, pairs, path, f"{k:08d}.arrow", k < len(corpus), k * _FILE_ROWS) for k, path in enumerate([*corpus, *rejected])]
        empty = [path for found in _map(_file_job, calls, local_files=True) for path in found]
        names = [name for _, _, _, name, _, _ in calls]
        return _problems(ids, names[: len(corpus)], pairs, names, empty, raw_files)


def _file_job(ids: KeyFiles, pairs: KeyFiles, path: Path, name: str, corpus: bool, at: int) -> list[str]:
    """One published file's keys into files `name`, its empty texts' source paths."""
    columns = ["doc_id", "source_path", "source_record"]
    empty, kept = [], []
    for group in _row_groups(path, [*columns, "text"] if corpus else columns):  # the texts a row group at a time
        if corpus:
            empty += _empty_texts(group)
        kept.append(group.select(columns))
    table = pa.concat_tables(kept) if kept else pa.table({c: pa.array([], pa.string()) for c in columns})
    if corpus:
        _write_ids(ids, name, table, at)
    _write_pairs(pairs, name, table)
    return empty


def _row_groups(path: Path, columns: list[str]) -> Iterator[pa.Table]:
    """A published file a row group (a shard's part) at a time. Not iter_batches: reading ahead, it left the
    process 500 MB larger after a pass over 100,000 documents."""
    file = pq.ParquetFile(path)
    for k in range(file.num_row_groups):
        yield file.read_row_group(k, columns=columns)
