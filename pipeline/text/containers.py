"""Crawl archives and dataset dumps as records: WARC/ARC/WET (warcio), JSONL (plain, gzip, zstd) and Parquet.

Each record a container holds is one of: a document (its bytes to decode, with the charset HTTP declared), a
record that is no document (a request, warcinfo, metadata, revisit: counted, not rejected), or a document that
cannot be taken (a 404, an image, a line that is not JSON: rejected with the reason). Read a record at a time,
never a whole file: an archive may be many gigabytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WARC = (".warc", ".warc.gz", ".arc", ".arc.gz", ".warc.wet", ".warc.wet.gz", ".wet.gz")
JSONL = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".json.gz")
PARQUET = (".parquet",)
NOT_DOCUMENTS = {"request", "metadata", "warcinfo", "revisit", "continuation"}
TEXT_TYPES = ("text/", "application/xhtml+xml", "application/xml", "application/rss+xml", "application/atom+xml")


@dataclass
class Record:
    number: int  # 1-based, in the container
    record_id: str | None = None  # WARC-Record-ID, or the record's own id field
    url: str | None = None
    fetched_at: dt.datetime | None = None
    content: bytes | None = None  # what to decode: an HTTP body, a WET conversion, a JSON text as UTF-8
    charset: str | None = None  # declared by the HTTP Content-Type
    reject: str | None = None  # why the record is not taken
    skipped: str | None = None  # the kind of a record that is no document

    @property
    def source_record(self) -> str:
        return self.record_id or str(self.number)


def is_container(name: str) -> bool:
    return name.lower().endswith(WARC + JSONL + PARQUET)


MAX_DOCUMENT_BYTES = 64 * 2**20  # a record longer than this is rejected by default (PIPELINE_MAX_DOCUMENT_BYTES)


def records(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> Iterator[Record]:
    """The records of a container, in order. A container cut short ends with a record that says where. A record
    longer than `limit` bytes (a WARC record's body, a dump's line or text) is rejected, read no further than that:
    a line of a gigabyte, or a few kilobytes of gzip that expand to many, never fill the memory."""
    name = path.name.lower()
    if name.endswith(PARQUET):
        yield from _parquet(path, limit)
    elif name.endswith(JSONL):
        yield from _jsonl(path, limit)
    else:
        yield from _warc(path, limit)


def _too_long(what: str, limit: int) -> str:
    return f"{what} longer than {limit:,} bytes (PIPELINE_MAX_DOCUMENT_BYTES): not read further"


def _date(value: object) -> dt.datetime | None:
    """An ISO 8601 date, a datetime (Parquet's timestamps) or a Unix time as UTC; None where it is none."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        found = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found.replace(tzinfo=dt.UTC) if found.tzinfo is None else found.astimezone(dt.UTC)


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """The media type of a Content-Type header, lowered, and its charset parameter."""
    parts = [part.strip() for part in (content_type or "").split(";")]
    charset = next((p.split("=", 1)[1].strip(" \"'") for p in parts[1:] if p.lower().startswith("charset=")), None)
    return parts[0].lower(), charset or None


_LIED = "its Content-Length does not match its block (the archive's next record does not start where it ends)"


def _warc(path: Path, limit: int) -> Iterator[Record]:
    """The records of a WARC or ARC file. A record whose Content-Length lies is rejected (its body is cut short, or
    runs into the next record), and reading goes on from the next record's start: found by warcio where the length
    fell short, looked for (a line "WARC/1.", or a gzip member) where it ran over."""
    from warcio.archiveiterator import ArchiveIterator

    class Quiet(ArchiveIterator):
        INC_RECORD = ""  # warcio's warning of a record not followed by its blank lines: counted in err_count, not printed

    number = end = began = 0  # records read; where the last one ends, and where it began
    pending: Record | None = None  # the record read last: told only once the next one shows where it ended
    with path.open("rb") as f:
        while True:
            try:
                archive = Quiet(f, arc2warc=True)
                for rec in archive:
                    number += 1
                    if pending is not None:
                        if archive.err_count:
                            pending.reject = pending.reject or _LIED
                        yield pending
                    archive.err_count = 0
                    pending = _warc_record(rec, number, limit)
                    archive.read_to_end(rec)
                    began = archive.get_record_offset()
                    end = began + archive.get_record_length()
                break
            except Exception as e:  # a record warcio cannot parse: the one before ran into it, or the file is cut
                start = _next_record(f, began, path.name.lower().endswith(".gz")) if pending is not None else None
                if pending is not None:
                    pending.reject = pending.reject or _LIED
                    yield pending
                    pending = None
                if start is None:  # no record starts after the last one read: the file ends here
                    yield Record(number + 1, reject=f"archive cut short after record {number}: {type(e).__name__}: {e}"[:300])
                    return
                f.seek(start)
        if pending is not None:
            yield pending
        f.seek(end)
        if f.read(4096).strip():  # a gzip member cut short yields no record and no error: bytes left say so
            yield Record(number + 1, reject=f"archive cut short after record {number}: the bytes after it are no whole record")


def _next_record(f, after: int, gzipped: bool) -> int | None:  # noqa: ANN001
    """Where the next record starts after byte `after` (the start of a gzip member, or a line "WARC/1."), read a
    megabyte at a time; None where none does."""
    mark = b"\x1f\x8b\x08" if gzipped else b"\nWARC/1."
    f.seek(after + 1)
    at, tail = after + 1, b""
    while block := f.read(2**20):
        if (found := (tail + block).find(mark)) != -1:
            return at - len(tail) + found + (0 if gzipped else 1)
        at, tail = at + len(block), block[-len(mark) :]
    return None


def _warc_record(rec, number: int, limit: int) -> Record:
    headers = rec.rec_headers
    found = Record(number, headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Target-URI"),
                   _date(headers.get_header("WARC-Date")))  # fmt: skip
    kind = rec.rec_type
    if kind in NOT_DOCUMENTS:
        found.skipped = kind
        return found
    if kind == "response" and rec.http_headers is not None:
        status = rec.http_headers.get_statuscode()
        media, found.charset = _media_type(rec.http_headers.get_header("Content-Type"))
        if not str(status).startswith("2"):
            found.reject = f"HTTP status {status}, not a page"
            return found
    elif kind in ("response", "resource", "conversion"):
        media, found.charset = _media_type(headers.get_header("Content-Type"))
    else:
        found.skipped = kind
        return found
    if media and not media.startswith(TEXT_TYPES):
        found.reject = f"not text: {media}"
        return found
    stream = rec.content_stream() if rec.http_headers is not None else rec.raw_stream  # encodings undone
    content = stream.read(limit + 1)  # (the rest, if any, is skipped by the archive's reader, unkept)
    if len(content) > limit:
        found.reject = _too_long("record", limit)
        return found
    if getattr(rec.raw_stream, "limit", 0) > 0:  # fewer bytes than Content-Length promised
        found.reject = f"record cut short: {rec.raw_stream.limit} bytes of its block missing"
        return found
    if not content.strip():
        found.reject = "empty body"
        return found
    found.content = content
    return found


def _jsonl(path: Path, limit: int) -> Iterator[Record]:
    number = 0
    try:
        with _open_bytes(path) as f:
            while line := f.readline(limit + 2):  # a line of `limit` bytes, its line break (\r\n), or too long
                number += 1
                if len(line) > limit and len(line.rstrip(b"\r\n")) > limit:
                    while line and not line.endswith(b"\n"):  # the rest of the line, read a piece at a time
                        line = f.readline(2**20)
                    yield Record(number, reject=_too_long(f"line {number}", limit))
                elif line.strip():
                    yield _json_record(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line, number, limit)
    except Exception as e:  # a compressed stream cut short (gzip, zlib, zstd errors): the lines before it stand
        yield Record(number + 1, reject=f"dump cut short after line {number}: {type(e).__name__}: {e}"[:300])


def _open_bytes(path: Path):
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        import zstandard

        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True))
    return path.open("rb")


def _json_record(line: bytes, number: int, limit: int) -> Record:
    """A line of a dump, decoded on its own: a line that is not UTF-8 or not JSON costs that line only."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return Record(number, reject=f"line {number} is not UTF-8")
    except ValueError as e:
        return Record(number, reject=f"line {number} is not JSON: {e}"[:200])
    if not isinstance(obj, dict):
        return Record(number, reject=f"line {number} is not a JSON object")
    return _fields(obj, number, limit)


def _fields(obj: dict, number: int, limit: int) -> Record:
    """A record of a dump's fields: `text`; `id`, `url`, `created` or `date` where present."""
    found = Record(number, None if obj.get("id") is None else str(obj["id"]), _str(obj.get("url")),
                   _date(obj.get("created") if obj.get("created") is not None else obj.get("date")))  # fmt: skip
    text = obj.get("text")
    if not isinstance(text, str):
        found.reject = "no text field" if text is None else f"text field is {type(text).__name__}, not a string"
    elif not text.strip():
        found.reject = "empty text"
    elif len(content := text.encode("utf-8", "surrogatepass")) > limit:
        found.reject = _too_long("text", limit)
    else:
        found.content = content
    return found


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _parquet(path: Path, limit: int) -> Iterator[Record]:
    import pyarrow.parquet as pq

    number = 0
    try:
        dump = pq.ParquetFile(path)
        names = set(dump.schema_arrow.names)
        if "text" not in names:
            yield Record(1, reject=f"no text column (columns: {', '.join(sorted(names))[:200]})")
            return
        columns = [c for c in ("text", "id", "url", "created", "date") if c in names]
        for batch in dump.iter_batches(batch_size=1024, columns=columns):
            for obj in batch.to_pylist():
                number += 1
                yield _fields(obj, number, limit)
    except Exception as e:  # a shard cut short or not Parquet at all
        yield Record(number + 1, reject=f"Parquet file unreadable after row {number}: {type(e).__name__}: {e}"[:300])
