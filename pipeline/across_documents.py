"""The chrome and dedup stages as the assets call them (strip_chrome, deduplicate): their pass over each document
(pipeline.stages), then their steps across documents: short lines many documents share (a site's own chrome),
boilerplate paragraphs, exact and near copies. These count keys and fingerprints, never texts, then rewrite the
shards; they run on every document every run (no memo), so an incremental run gives what a full rebuild would.
The short lines' keys are counted a bucket a task (pipeline.buckets): the run process gets the lines found only;
copies are found from digests and band keys on the work store, a bucket a task (pipeline.copies): it holds the
candidates for near copies, the copies found go to SQLite on disk as they come, and each shard's marking job gets its
own; boilerplate paragraphs are counted as short lines are, a copy's once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline import text as tx
from pipeline.buckets import SHARD, Grouped, KeyFiles, key_files
from pipeline.copies import Copy, CopyFiles, Found, document_code, find_copies
from pipeline.executors import _map
from pipeline.rewrite import _rewrite
from pipeline.stages import SECOND_OPINION, _fingerprints, _reindex, _run
from pipeline.tables import Folder, Stats, _rows, _with_rows, _write, read_shard, shards
from pipeline.text.chrome import label
from pipeline.text.dedup import collapse_blank_lines, key_length, keyed_lengths, line_keys, repeat_floor


def _removals(source: Folder, keys: KeyFiles, wanted: np.ndarray, *args) -> Callable[[Folder], list[tuple]]:
    """Calls for _remove_job on every shard of `source`, each with the step's KeyFiles, from which the job finds
    the documents that hold one of the `wanted` keys: the other documents need not be read."""
    return lambda building: [(part, building / part.name, wanted, *args, keys) for part in shards(source)]


def _holding(keys: np.ndarray, rows: np.ndarray, wanted: np.ndarray) -> list[int]:
    """Of a shard's _keys (each key and the row of the document it is from), the rows holding a `wanted` key."""
    return np.unique(rows[np.isin(keys, wanted)]).tolist()


def _repeated_in_buckets(
    keys: KeyFiles, shards: list[str], documents: int, min_docs: int, min_share: float,
    kept_of: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The keys that stand in at least repeat_floor documents, of the `shards`' KeyFiles (each holds a document's
    key once): a task a bucket, on the workers. With `kept_of` (Found.kept_of: the codes of the copies, and of the
    document each copies), a key counts once a group (a kept document and its copies), and `documents` are the
    groups: a paragraph of one document and four copies of another stands in two. Each task gets that map."""
    with keys.grouped(shards) as grouped:
        calls = [(grouped, bucket, documents, min_docs, min_share, kept_of) for bucket in range(keys.buckets)]
        return np.sort(np.concatenate([np.zeros(0, np.int64), *_map(_bucket_job, calls)]))


def _bucket_job(
    keys: Grouped, bucket: int, documents: int, min_docs: int, min_share: float, kept_of: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """The keys of a bucket, of every shard, that stand in at least repeat_floor documents (or groups of copies,
    with `kept_of`: the codes of the copies, and of the document each copies)."""
    read = keys.bucket(bucket)
    counted = read["key"].to_numpy()
    if kept_of is None:
        return _frequent(counted, documents, min_docs, min_share)
    group = document_code(read[SHARD].to_numpy(), read["row"].to_numpy())
    return _frequent(_once_a_group(counted, group, *kept_of), documents, min_docs, min_share)


def _once_a_group(keys: np.ndarray, documents: np.ndarray, copied: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The `keys` (each of the document of that code in `documents`) once a group of copies: a copy's keys count
    as those of the document it copies."""
    if len(copied):
        at = np.searchsorted(copied, documents).clip(max=len(copied) - 1)
        documents = np.where(copied[at] == documents, kept[at], documents)
    order = np.lexsort((documents, keys))
    keys, documents = keys[order], documents[order]
    first = np.ones(len(keys), bool)
    first[1:] = (keys[1:] != keys[:-1]) | (documents[1:] != documents[:-1])
    return keys[first]


def _frequent(keys: np.ndarray, documents: int, min_docs: int, min_share: float) -> np.ndarray:
    """The `keys` (each a document's, or a group's, once) that stand in at least repeat_floor documents."""
    found, counts = np.unique(keys, return_counts=True)
    return found[counts >= repeat_floor(documents, min_docs, min_share)]


def _remove_job(
    source: Folder, target: Folder, repeated: np.ndarray, column: str, copies: CopyFiles | None, keys: KeyFiles
) -> tuple[int, int, list[int]]:
    """Take every line whose key is in `repeated` out of each document that holds one (the shard's file of `keys`
    says which), into its `column`; with `copies`, the shard's CopyFiles get the new fingerprints of the documents
    that changed. A document left with nothing is rejected instead (and keeps its text; its CopyFiles lose it).
    Hands back the lines removed, the documents changed, the rows emptied."""
    which = _holding(*keys.read(source.name), repeated)
    if not which:
        return 0, 0, []
    table, fields = read_shard(source), ("text", column, "paragraph_languages", "reject_stage", "reject_reason")
    rows = _rows(table, fields)
    read = {field: [row[field] for row in rows] for field in fields}
    wanted, gone, changed, emptied = set(repeated.tolist()), 0, [], []
    lengths = keyed_lengths(wanted)
    for k in which:
        row = rows[k]
        lines = row["text"].split("\n")
        stripped = [line.strip() for line in lines]
        asked = [m for m, s in enumerate(stripped) if s and key_length(s) in lengths]  # only these can be wanted
        found = {m for m, key in zip(asked, line_keys([stripped[m] for m in asked]).tolist()) if key in wanted}
        drop = [m in found for m in range(len(lines))]
        if not any(drop):
            continue
        text = collapse_blank_lines("\n".join(line for line, d in zip(lines, drop) if not d))
        removed = [line.strip() if column == "chrome_removed" else line for line, d in zip(lines, drop) if d]
        if all(map(label, left := text.split("\n"))):  # nothing left, or only a heading that stood above it
            row.update(reject_stage=_REMOVAL_STAGE[column], reject_reason=_nothing_left(column, len(removed), left))
            emptied.append(k)
            continue
        if column == "paragraphs_removed":  # the paragraphs' languages follow their lines
            row["paragraph_languages"] = _reindex(row["text"], text, row["paragraph_languages"] or [])
        row.update({"text": text, column: [*(row[column] or []), *removed]})
        gone += len(removed)
        changed.append(k)
    if changed or emptied:
        _write(_with_rows(table, rows, fields, read), target)
        if copies is not None:  # the copies are found again on the documents as they are left
            copies.update(source.name, _fingerprints(rows, changed), emptied)
    return gone, len(changed), emptied


_REMOVAL_STAGE = {"chrome_removed": "chrome", "paragraphs_removed": "dedup"}


def _nothing_left(column: str, removed: int, left: list[str]) -> str:
    """Why a document the step across documents emptied is rejected: what it removed, and the labels it left."""
    labels = [line.strip() for line in left if line.strip()]
    but = f", only {_counted(len(labels), 'short line')} ({' / '.join(labels)[:60]})" if labels else ""
    if column == "chrome_removed":
        return f"chrome: nothing left once {_counted(removed, 'line')} many documents share are removed{but}"
    return f"boilerplate: nothing left once {_counted(removed, 'paragraph')} many documents share are removed{but}"


def _counted(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def strip_chrome(source: Folder, target: Folder, memo: Path | None = None, rules: tuple = (), extractor: str = SECOND_OPINION) -> Stats:
    """The chrome stage; `rules`, the quality rules that name a document found to be nothing but chrome;
    `extractor`, PIPELINE_EXTRACTOR's value (corpus.extractor)."""
    parts = shards(source)
    with key_files(target, len(parts)) as keys:  # each shard's job writes its short lines' keys there
        stats, written = _run("chrome", source, target, memo, (extractor,), decide=(rules,), keys=keys)
        # Second look, across the corpus: short lines that stand in many documents are the sites' own.
        floor = (stats["out"], tx.chrome.REPEATED_MIN_DOCS, tx.chrome.REPEATED_MIN_SHARE)
        repeated = _repeated_in_buckets(keys, [part.name for part in parts], *floor) if written else []
        if len(repeated):
            results = _rewrite(target, _removals(target, keys, repeated, "chrome_removed", None), _remove_job, in_place=True)
            gone, emptied = sum(n for n, _, _ in results), sum(len(e) for _, _, e in results)
            stats["chrome lines removed"] += gone
            stats["lines repeated across documents"] += gone
            _count_emptied(stats, emptied, "documents left empty by lines repeated across documents")
    return stats


def _count_emptied(stats: Stats, emptied: int, name: str) -> None:
    if emptied:
        stats[name] += emptied
        stats["rejected"] += emptied
        stats["out"] -= emptied


# A paragraph in at least this many documents, and this share of them, is boilerplate (a site's disclaimer,
# a signature) and leaves every document; fewer, and it may be a quotation several people chose. Copies of one
# document count once.
BOILERPLATE_MIN_DOCS = 5
BOILERPLATE_MIN_SHARE = 0.005


def deduplicate(source: Folder, target: Folder) -> tuple[Stats, Found]:
    """Repeated paragraphs inside each document, boilerplate across documents, then exact and near copies.
    Also returns the copies found (the caller closes them)."""
    with key_files(target, len(shards(source))) as keys:  # each shard's job writes its paragraphs' keys, digests and bands
        files = CopyFiles.within(keys)
        stats, found = _run("dedup", source, target, None, keys=files)
        copies = find_copies(target, files)  # first, so that a paragraph's copies count once
        floor = (found[1] - len(copies), BOILERPLATE_MIN_DOCS, BOILERPLATE_MIN_SHARE)
        names = [part.name for part in shards(target)]
        boilerplate = _repeated_in_buckets(keys, names, *floor, copies.kept_of()) if found[0] else []
        if len(boilerplate):  # out of every document; those that changed get new fingerprints, and are compared again
            results = _rewrite(target, _removals(target, keys, boilerplate, "paragraphs_removed", files), _remove_job, in_place=True)
            stats["boilerplate paragraphs removed"] += sum(n for n, _, _ in results)
            _count_emptied(stats, sum(len(e) for _, _, e in results), "documents left empty by boilerplate")
            copies.close()
            copies = find_copies(target, files)
    for kind, n in copies.kinds().items():
        stats[f"{kind} duplicates"] += n
    parts = shards(target)
    _rewrite(target, lambda building: _MarkCalls(parts, building, copies), _mark_job, in_place=True)
    stats["out"] -= len(copies)
    stats["rejected"] += len(copies)
    return stats, copies


class _MarkCalls(Sequence):
    """_mark_job's calls, a shard's made as the executor takes it, with that shard's copies read from `copies`
    then: the run process never holds every shard's marks at once."""

    def __init__(self, parts: list[Folder], building: Folder, copies: Found):
        self.parts, self.building, self.copies = parts, building, copies

    def __len__(self) -> int:
        return len(self.parts)

    def __getitem__(self, s: int) -> tuple[Folder, Folder, dict[int, tuple[str, str]]]:
        part = self.parts[s]  # an IndexError past the last ends iteration
        return part, self.building / part.name, {c.code & 0xFFFF: (_copy_reason(c), c.kept_id) for c in self.copies.of_shard(s)}


def _copy_reason(copy: Copy) -> str:
    """A copy's reject reason."""
    how = "exact copy" if copy.kind == "exact" else f"near copy (Jaccard {copy.similarity:.2f})"
    return f"{how} of {copy.kept_path}"


def _mark_job(source: Folder, target: Folder, marks: dict[int, tuple[str, str]]) -> None:
    if not marks:
        return  # nothing to change: the shard stays as it is (a second pass replaces the shards it writes)
    table = read_shard(source)  # three columns change: the texts are not turned into Python strings
    columns = {name: table[name].to_pylist() for name in ("reject_stage", "reject_reason", "duplicate_of")}
    for k, (reason, kept) in marks.items():
        columns["reject_stage"][k], columns["reject_reason"][k], columns["duplicate_of"][k] = "dedup", reason, kept
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), pa.array(values, pa.string()))
    _write(table, target)

