"""The first stage, raw_documents: the raw folder (or bucket) listed, and each file read into the raw table, its
bytes and their hash a row; an archive or dump (WARC, JSONL, Parquet: pipeline.text.containers) a row a record. A
file that cannot be read, or is not a regular file, or is longer than the document limit, is a row too, rejected
with the reason: every raw file is accounted for.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path

from pipeline import storage, tables
from pipeline import text as tx
from pipeline.corpus import DOCUMENTS, MAX_DOCUMENT_BYTES, doc_id
from pipeline.rewrite import _rewrite
from pipeline.tables import BATCH_NAMES, SHARD_BYTES, Folder, Row, Stats, _write, batch_of, shard_path


def read_raw_listing(raw_dir: Path | str) -> dict[str, Path | storage.RemoteFile]:
    """Every regular, non-hidden file under raw_dir (sub-folders included, not those behind a link), by its
    '/'-separated relative path, in the order of the paths' parts; a sub-folder that cannot be listed stands as
    itself, its path ending in '/', to be rejected. os.scandir: its entries know what they are without a stat
    of each file (os.walk and os.path.isfile took twice as long, Path.rglob six times). A URI (object storage):
    every object under it, by its path below it, none hidden."""
    if isinstance(raw_dir, str):
        return storage.listing(raw_dir)
    listing, folders = {}, [(raw_dir, "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # its files are not lost without a word
            listing[prefix] = Path(folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name = _shown(entry.name)
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, f"{prefix}{name}/"))
            elif entry.is_file() or not entry.is_dir():  # a link to a file counts, as the file; a broken link,
                listing[prefix + name] = Path(entry.path)  # a pipe or a device are listed to be rejected, unread
    return dict(sorted(listing.items(), key=lambda item: item[0].split("/")))


def _shown(name: str) -> str:
    """A file name as text: the bytes of a name that are not UTF-8 (os.scandir keeps them as surrogates) as
    \\xNN, so that one file named in Latin-1 cannot stop the run (Arrow and SHA-256 take UTF-8 only)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _not_regular(path: Path) -> str | None:
    """Why `path` is not read as a file: a broken link, a pipe, a socket, a device (None for a regular file).
    Never opened: reading a named pipe waits for a writer forever."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken link: its target does not exist" if path.is_symlink() else None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"not a regular file: {_KINDS.get(stat.S_IFMT(mode), 'a special file')}"


def _read_job(files: list[tuple[str, Path | storage.RemoteFile]], folder: Folder, batch: str, k: int, limit: int) -> Stats:
    """Shard k of a batch of the raw table: a group of loose files, or the records of one archive or dump (shards k,
    k_0001, ... of SHARD_DOCS rows or SHARD_BYTES each, written as they fill: a container is read a record at a
    time). A remote object is fetched to a local file first, one at a time. A file or record longer than `limit`
    bytes is rejected, unread (PIPELINE_MAX_DOCUMENT_BYTES): a worker holds at most a shard and one such."""
    rows, stats, written, held = [], Counter(), 0, 0

    def add(row: Row) -> None:
        nonlocal rows, written, held
        rows.append(row)
        stats["in"] += 1
        held += row["source_bytes"] if row["content"] is not None else 0
        if len(rows) == tables.SHARD_DOCS or held >= SHARD_BYTES:
            _write(rows, shard_path(folder, batch, k, written))
            rows, written, held = [], written + 1, 0

    for source_path, listed in files:
        if not tx.containers.is_container(source_path) and getattr(listed, "size", 0) > limit:  # not fetched
            add(row := _raw_row(source_path, None, _larger(listed.size, limit), source_bytes=listed.size))
        else:
            try:
                with storage.local_copy(listed) as path:
                    if tx.containers.is_container(source_path) and not _not_regular(path):
                        for row in _container_rows(source_path, path, stats, limit):
                            add(row)
                        continue
                    add(row := _file_row(source_path, path, limit))
            except storage.FetchError as e:  # the object could not be fetched: rejected, as an unreadable file
                add(row := _raw_row(source_path, None, f"unreadable object: {e}"[:300], source_bytes=listed.size))
        if row["reject_stage"]:
            stats["rejected"] += 1
        else:
            stats["bytes"] += row["source_bytes"]
    if rows or not written:
        _write(rows, shard_path(folder, batch, k, written))
    return stats


def _larger(size: int, limit: int) -> str:
    return f"file larger than {limit:,} bytes (PIPELINE_MAX_DOCUMENT_BYTES): {size:,} bytes, not read"


def _raw_row(source_path: str, content: bytes | None, reason: str | None = None, **fields) -> Row:
    """A row of the raw table: the bytes to decode and their hash, or, rejected, the reason (and no hash);
    `fields` the rest (a record's url, place, size)."""
    sha = hashlib.sha256(content).hexdigest() if content is not None else ""  # an empty file has a hash
    row = {name: None for name in DOCUMENTS.names}
    row.update(source_path=source_path, source_sha256=sha, source_bytes=len(content or b""), content=content,
               doc_id=doc_id(source_path, sha, fields.pop("place", None)))  # fmt: skip
    if reason:
        row.update(reject_stage="raw", reject_reason=reason)
    row.update(fields)
    return row


def _file_row(source_path: str, path: Path, limit: int) -> Row:
    try:
        if source_path.endswith("/"):
            os.scandir(path).close()  # listed as a folder because it could not be read: it still cannot
        if special := _not_regular(path):
            return _raw_row(source_path, None, special)
        with path.open("rb") as f:  # no more than the limit is read (a file may grow while it is read)
            content = f.read(limit + 1)
        if len(content) > limit:
            size = max(path.stat().st_size, len(content))
            return _raw_row(source_path, None, _larger(size, limit), source_bytes=size)
        return _raw_row(source_path, content)
    except OSError as e:
        unreadable = "folder, its files are not read" if source_path.endswith("/") else "file"
        return _raw_row(source_path, None, f"unreadable {unreadable}: {e.strerror or e}",
                        source_bytes=path.stat().st_size if path.is_file() else 0)  # fmt: skip


def _container_rows(source_path: str, path: Path, stats: Stats, limit: int) -> Iterator[Row]:
    """A row per record of an archive or dump that is a document or is rejected; the others only counted. A
    container with no document at all is a row of its own, rejected, so that it is accounted for."""
    rows = 0
    for record in _records_or_failure(path, limit):
        if record.skipped:
            stats[f"archive records that are no documents: {record.skipped}"] += 1
            continue
        row = _raw_row(
            source_path, record.content, record.reject, url=record.url, source_record=record.source_record,
            fetched_at=record.fetched_at, declared_charset=record.charset,
            place=f"{record.number}:{record.source_record}",  # in the doc_id too: a dump may give two lines one id
        )  # fmt: skip
        if record.reject:
            stats["rejected"] += 1
        else:
            stats["bytes"] += row["source_bytes"]
            stats["archive records"] += 1
        rows += 1
        yield row
    if not rows:
        stats["rejected"] += 1
        yield _raw_row(source_path, None, "no documents in the archive", source_bytes=path.stat().st_size)


def _records_or_failure(path: Path, limit: int) -> Iterator[tx.containers.Record]:
    """containers.records, and where it fails (a file that cannot be opened), a record rejected with the reason."""
    number = 0
    try:
        for number, record in enumerate(tx.containers.records(path, limit), 1):
            yield record
    except Exception as e:  # one bad archive never stops the run
        yield tx.containers.Record(number + 1, reject=f"unreadable after record {number}: {type(e).__name__}: {e}"[:300])


def read_raw(raw_dir: Path, target: Folder, batches: Collection[str] = BATCH_NAMES, limit: int = MAX_DOCUMENT_BYTES) -> Stats:
    """One row per loose file of `read_raw_listing` in `batches`, with its bytes and their hash, and one per
    record of each archive or dump (pipeline.text.containers), in the order of the paths within each batch; a file
    or record longer than `limit` bytes rejected, unread (PIPELINE_MAX_DOCUMENT_BYTES)."""
    listed: dict[str, list[tuple[str, Path]]] = {batch: [] for batch in batches}
    for name, path in read_raw_listing(raw_dir).items():
        listed.get(batch_of(name), []).append((name, path))
    groups: list[tuple[str, list[tuple[str, Path]]]] = []
    for batch in sorted(batches):
        start = len(groups)
        for name, path in listed[batch]:
            last = groups[-1][1] if len(groups) > start else None
            if tx.containers.is_container(name) or not last or len(last) == tables.SHARD_DOCS or tx.containers.is_container(last[0][0]):
                groups.append((batch, []))
            groups[-1][1].append((name, path))
    groups = groups or [(min(batches), [])]  # nothing to read: a shard of no rows keeps the table's schema
    numbered, seen = [], Counter()  # shards are numbered within their batch
    for batch, group in groups:
        numbered.append((group, batch, seen[batch]))
        seen[batch] += 1
    calls = lambda building: [(group, building, batch, k, limit) for group, batch, k in numbered]  # noqa: E731
    stats: Stats = Counter()  # each shard's counts added as they come
    _rewrite(target, calls, _read_job, each=stats.update, batches=batches, sizes=[len(group) for _, group in groups], unit="files")
    stats["out"] = stats["in"] - stats["rejected"]
    return stats
