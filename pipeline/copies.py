"""Exact and near copies across a stage's table, found from files on the work store (pipeline.buckets), so that the
run process holds the candidates for near copies, never every document's fingerprint; the copies found go to a
private SQLite database on disk (Found), from which each shard's job gets its own.

Each shard's job writes, for its live documents, the digest of each (with its normalised length, row, path and
doc id), bucketed by digest, and its MinHash LSH band keys, bucketed by key (CopyFiles). A task a digest bucket
finds the exact copies; a task a band bucket hands back the documents that share a band's key (candidates for
near copies). The run process joins the candidates into connected components (the documents a chain of shared
bands links); a job a shard writes the shingles of its candidates to a file of its own, bucketed by a batch of
whole components; a task a batch decides the near copies, as match_duplicates (pipeline.text.dedup) decides on
the whole corpus: its choice for a document looks at that document's candidates only, all in its component.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import tables
from pipeline import text as tx
from pipeline.buckets import SHARD, Grouped, KeyFiles
from pipeline.executors import _map
from pipeline.tables import Folder, read_shard, shards
from pipeline.text.dedup import BANDS, NUM_PERM, Fingerprint

# a live document's digest (its first 8 bytes the key a bucket is of), normalised length, row, named path, doc id
DIGESTS = pa.schema([("key", pa.int64()), ("digest", pa.binary(32)), ("length", pa.int64()), ("row", pa.uint16()),
                     ("path", pa.string()), ("doc_id", pa.string())])  # fmt: skip
# a live document's key of each LSH band (tx.dedup.band_keys), the band (two bands' keys never match), its row
BAND_KEYS = pa.schema([("key", pa.int64()), ("band", pa.uint8()), ("row", pa.uint16())])
# A batch of components (a task) holds the shingles of about this many shards' documents, about the size of their
# texts (a shard job's worker holds one shard's): the candidates of the bench's 100,000 documents in one task held 160 MB
BATCH_SHARDS = 4
# a candidate for near copies: its document (document_code), normalised length, path, doc id, shingle_keys
CANDIDATES = pa.schema([("code", pa.int64()), ("length", pa.int64()), ("path", pa.string()), ("doc_id", pa.string()),
                        ("shingles", pa.list_(pa.uint32()))])  # fmt: skip


def document_code(shard: np.ndarray | int, rows: np.ndarray | int) -> np.ndarray | int:
    """A document of a table as one number: its shard's place in the table's order, then its row. Codes sort as
    match_duplicates orders documents of equal length and path."""
    if isinstance(rows, np.ndarray):
        return (np.asarray(shard, np.int64) << np.int64(16)) | rows.astype(np.int64)
    return shard << 16 | rows


class Copy(NamedTuple):
    """A document found a copy (its document_code), of which kept document, and how the two are named."""

    code: int
    kept: int
    kind: str  # "exact" or "near"
    similarity: float
    path: str
    kept_path: str
    kept_id: str


@dataclass(frozen=True)
class CopyFiles:
    """The digests and band keys of a step's live documents, a file a shard each, in the step's keys folder."""

    keys: KeyFiles
    digests: KeyFiles
    bands: KeyFiles

    @classmethod
    def within(cls, keys: KeyFiles) -> CopyFiles:
        return cls(keys, keys.beside("digests", DIGESTS), keys.beside("bands", BAND_KEYS))

    def write(self, shard: str, prints: list[tuple[int, str, str, Fingerprint]]) -> int:
        """A shard's (row, named path, doc id, fingerprint) of each live document: its digest and band keys (the
        MinHash goes no further); how many documents."""
        for files, columns in zip((self.digests, self.bands), _columns(prints)):
            files.write(shard, *columns)
        return len(prints)

    def update(self, shard: str, prints: list[tuple[int, str, str, Fingerprint]], gone: list[int]) -> None:
        """A shard's files with the new fingerprints of the documents that changed, without the documents `gone`."""
        replaced = pa.array(sorted({k for k, *_ in prints} | set(gone)), pa.uint16())
        for files, columns in zip((self.digests, self.bands), _columns(prints)):
            old = files.table(shard)
            old = old.filter(pc.invert(pc.is_in(old["row"], value_set=replaced)))
            files.write(shard, *(pa.concat_arrays([*old[field.name].chunks, pa.array(column, field.type)])
                                 for field, column in zip(files.schema, columns)))  # fmt: skip


def _columns(prints: list[tuple[int, str, str, Fingerprint]]) -> tuple[list, list]:
    """The DIGESTS and BAND_KEYS columns of documents' (row, named path, doc id, fingerprint)."""
    rows = np.array([k for k, _, _, _ in prints], np.uint16)
    digests = [fp.digest for _, _, _, fp in prints]
    keys = np.frombuffer(b"".join(digest[:8] for digest in digests), np.int64)
    lengths = np.array([fp.length for _, _, _, fp in prints], np.int64)
    digest_columns = [keys, digests, lengths, rows, [path for _, path, _, _ in prints], [doc_id for _, _, doc_id, _ in prints]]
    signatures = np.stack([fp.minhash for _, _, _, fp in prints]) if prints else np.zeros((0, NUM_PERM), np.uint32)
    bands = tx.dedup.band_keys(signatures)
    band_columns = [bands.ravel().view(np.int64), np.tile(np.arange(BANDS, dtype=np.uint8), len(prints)), np.repeat(rows, BANDS)]
    return digest_columns, band_columns


class Found:
    """The copies found, by code, in a private SQLite database (a file in the temporary folder, gone when it closes;
    a few MB of it cached), as they come from the tasks: the run process holds none of them (a Copy a copy took
    about 350 bytes: 3.5 GB at 100 million documents, a tenth of them copies)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": private, on disk, deleted when closed (or when the process dies)
        self._db.execute(f"CREATE TABLE copies (code INTEGER PRIMARY KEY, {', '.join(Copy._fields[1:])})")

    def add(self, copies: Iterable[Copy]) -> None:
        with self._db as db:
            db.executemany(f"INSERT INTO copies VALUES ({', '.join('?' * len(Copy._fields))})", copies)

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM copies").fetchone()[0]

    def codes(self) -> np.ndarray:
        """The codes of the copies, in order."""
        return np.fromiter((code for code, in self._db.execute("SELECT code FROM copies ORDER BY code")), np.int64)

    def kept_of(self) -> tuple[np.ndarray, np.ndarray]:
        """The codes of the copies, in order, and of the document each copies (16 bytes a copy, for the tasks that
        count a copy's keys as its kept document's)."""
        kept = np.fromiter((kept for kept, in self._db.execute("SELECT kept FROM copies ORDER BY code")), np.int64)
        return self.codes(), kept

    def of_shard(self, shard: int) -> list[Copy]:
        """The copies in the shard at that place in the table's order, by row."""
        rows = self._db.execute("SELECT * FROM copies WHERE code BETWEEN ? AND ? ORDER BY code", (shard << 16, shard << 16 | 0xFFFF))
        return [Copy(*row) for row in rows]

    def kinds(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT kind, count(*) FROM copies GROUP BY kind ORDER BY kind").fetchall())

    def listed(self, kept_paths: int | None = None) -> list[Copy]:
        """Every copy, by its kept document's path, then in table order; with `kept_paths`, the copies of the
        first that many kept paths only."""
        first = "" if kept_paths is None else f"WHERE kept_path IN (SELECT DISTINCT kept_path FROM copies ORDER BY kept_path LIMIT {kept_paths})"
        return [Copy(*row) for row in self._db.execute(f"SELECT * FROM copies {first} ORDER BY kept_path, code")]

    def kept_paths(self) -> int:
        """How many paths the kept documents have (clusters of copies, as the UI shows them)."""
        return self._db.execute("SELECT count(DISTINCT kept_path) FROM copies").fetchone()[0]

    def through_near_copies(self) -> None:
        """An exact copy of a document that is itself a near copy becomes a copy of what that one copies: every
        copy names a kept document."""
        with self._db as db:
            db.execute("""UPDATE copies SET kept = near.kept, kind = near.kind, similarity = near.similarity,
                              kept_path = near.kept_path, kept_id = near.kept_id
                          FROM (SELECT * FROM copies WHERE kind = 'near') AS near
                          WHERE copies.kind = 'exact' AND copies.kept = near.code""")

    def close(self) -> None:
        self._db.close()


def find_copies(folder: Folder, files: CopyFiles) -> Found:
    """The copies among the live documents of `folder` (whose shards' CopyFiles are `files`): the copies
    match_duplicates finds, ordering documents by their CopyFiles' lengths and paths, then as the table."""
    names = [part.name for part in shards(folder)]
    found = Found()
    with files.digests.grouped(names) as digests:
        _map(_exact_job, [(digests, b) for b in range(files.digests.buckets)], each=found.add)
    copied = found.codes()
    groups: set[tuple[int, ...]] = set()  # the documents sharing a band's key, once whatever the band

    def without_copies(shared: tuple[np.ndarray, np.ndarray]) -> None:  # an exact copy is no candidate
        codes, sizes = shared
        distinct = ~np.isin(codes, copied)
        left = np.bincount(np.repeat(np.arange(len(sizes)), sizes)[distinct], minlength=len(sizes))
        for group in np.split(codes[distinct], np.cumsum(left)[:-1]):
            if len(group) > 1:
                groups.add(tuple(group.tolist()))

    with files.bands.grouped(names) as bands:
        _map(_band_job, [(bands, b) for b in range(files.bands.buckets)], each=without_copies)
    del copied
    _near_copies(folder, files, groups, found)
    found.through_near_copies()
    return found


def _exact_job(digests: Grouped, bucket: int) -> list[Copy]:
    """The exact copies of a digest bucket: of each digest's documents, the first in match_duplicates' order
    (the longest, then the smallest path, then the first in the table) is kept, the others are its copies."""
    read = digests.bucket(bucket)
    _, inverse, counts = np.unique(read["key"].to_numpy(), return_inverse=True, return_counts=True)
    shared = read.filter(pa.array(counts[inverse] > 1))  # only a digest whose first bytes others share can be copied
    by_digest = {}
    for digest, length, shard, row, path, doc_id in zip(*(shared[name].to_pylist() for name in ("digest", "length", SHARD, "row", "path", "doc_id"))):
        by_digest.setdefault(digest, []).append((-length, path, document_code(shard, row), doc_id))
    found = []
    for documents in by_digest.values():
        documents.sort()
        _, kept_path, kept, kept_id = documents[0]
        found += [Copy(code, kept, "exact", 1.0, path, kept_path, kept_id) for _, path, code, _ in documents[1:]]
    return found


def _band_job(bands: Grouped, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """The documents of a band bucket that share a band's key: their codes, a group after another, in order, and
    the size of each group."""
    read = bands.bucket(bucket)
    key, band = read["key"].to_numpy(), read["band"].to_numpy()
    code = document_code(read[SHARD].to_numpy(), read["row"].to_numpy())
    order = np.lexsort((code, key, band))
    key, band, code = key[order], band[order], code[order]
    starts = np.flatnonzero(np.concatenate(([True], (key[1:] != key[:-1]) | (band[1:] != band[:-1])))) if len(key) else np.zeros(0, int)
    sizes = np.diff(np.append(starts, len(key)))
    return code[np.repeat(sizes > 1, sizes)], sizes[sizes > 1]


def _components(groups: set[tuple[int, ...]]) -> list[list[tuple[int, ...]]]:
    """The groups of each connected component of the documents the groups link (union-find over the documents in
    a group only), the components in the order of their first document."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while (up := parent.setdefault(x, x)) != x:
            parent[x] = x = parent.setdefault(up, up)  # halves the path
        return x

    for group in groups:
        first = root(group[0])
        for other in group[1:]:
            if (r := root(other)) != first:
                parent[r] = first
    by_root: dict[int, list[tuple[int, ...]]] = {}
    for group in sorted(groups):
        by_root.setdefault(root(group[0]), []).append(group)
    return sorted(by_root.values(), key=lambda component: min(min(group) for group in component))


def _near_copies(folder: Folder, files: CopyFiles, groups: set[tuple[int, ...]], found: Found) -> None:
    """The near copies among the documents of `groups`, into `found`: components packed into batches of about BATCH_SHARDS
    shards' documents; each candidate's shingles written by a job on its shard, bucketed by batch; a task a batch,
    which reads the files of its documents' shards only."""
    if not groups:
        return
    batches: list[tuple[list[tuple[int, ...]], set[int]]] = [([], set())]  # the groups and shards of each
    size, most, batch_of = 0, BATCH_SHARDS * tables.SHARD_DOCS, {}
    for component in _components(groups):
        if size >= most:
            batches.append(([], set()))
            size = 0
        documents = {code for group in component for code in group}
        batch_of.update(dict.fromkeys(documents, len(batches) - 1))
        batches[-1][0].extend(component)
        batches[-1][1].update(code >> 16 for code in documents)
        size += len(documents)
    candidates = files.keys.beside(f"candidates-{os.urandom(4).hex()}", CANDIDATES, len(batches))
    by_shard: dict[int, list[int]] = {}
    for code in sorted(batch_of):
        by_shard.setdefault(code >> 16, []).append(code)
    parts = shards(folder)
    calls = [(parts[s], files.digests, candidates, codes, [batch_of[c] for c in codes]) for s, codes in by_shard.items()]
    _map(_shingle_job, calls)
    calls = [(candidates, [parts[s].name for s in sorted(read)], b, groups) for b, (groups, read) in enumerate(batches)]
    _map(_batch_job, calls, each=found.add)


def _shingle_job(part: Folder, digests: KeyFiles, candidates: KeyFiles, codes: list[int], batches: list[int]) -> int:
    """The candidates of a shard (by code), with the length, path and doc id its digests' file holds and the
    shingle_keys of their texts, written to the shard's file of candidates, a batch each."""
    rows = [code & 0xFFFF for code in codes]
    texts = read_shard(part, ["text"])["text"]
    digests_read = digests.table(part.name)
    at = {row: k for k, row in enumerate(digests_read["row"].to_pylist())}
    taken = digests_read.take(pa.array([at[row] for row in rows], pa.int64()))
    shingles = [tx.dedup.shingle_keys(texts[row].as_py()) for row in rows]
    return candidates.write(part.name, codes, taken["length"], taken["path"], taken["doc_id"], shingles, bucket=np.array(batches))


def _batch_job(candidates: KeyFiles, shards: list[str], batch: int, groups: list[tuple[int, ...]]) -> list[Copy]:
    """The near copies of a batch of components: tx.dedup.near_duplicates on its documents in match_duplicates'
    order, each with the documents before it that share a band's key with it as its candidates."""
    table = pa.Table.from_batches([candidates.batch(shard, batch) for shard in shards], CANDIDATES)
    codes, lengths = table["code"].to_pylist(), table["length"].to_pylist()
    paths, ids = dict(zip(codes, table["path"].to_pylist())), dict(zip(codes, table["doc_id"].to_pylist()))
    shingles = table["shingles"].combine_chunks()
    values, offsets = shingles.values.to_numpy(), shingles.offsets.to_numpy()
    sets = {code: values[offsets[k] : offsets[k + 1]] for k, code in enumerate(codes)}
    order = sorted(codes, key=lambda c, length=dict(zip(codes, lengths)): (-length[c], paths[c], c))
    place = {code: k for k, code in enumerate(order)}
    earlier: dict[int, set[int]] = {}
    for group in groups:
        ranked = sorted(group, key=place.__getitem__)
        for k in range(1, len(ranked)):
            earlier.setdefault(ranked[k], set()).update(ranked[:k])
    found = tx.dedup.near_duplicates(order, {c: sorted(e, key=place.__getitem__) for c, e in earlier.items()}, sets)
    return [Copy(d.index, d.kept, "near", d.similarity, paths[d.index], paths[d.kept], ids[d.kept]) for d in found]
