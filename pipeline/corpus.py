"""The document table every stage passes on, the published schemas, doc ids and settings (publication: pipeline.publication).

Stages never drop a row: a rejected document keeps its row with `reject_stage` and `reject_reason` set,
so at the end every raw file is either in the corpus or in the rejected table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import urllib.parse
from importlib.metadata import version
from pathlib import Path

import pyarrow as pa

from pipeline.text.containers import MAX_DOCUMENT_BYTES
from pipeline.text.quality import Signals

# Arrow's default allocator (mimalloc) keeps what a long run frees: writing 100,000 documents a shard at a time
# grew the process by gigabytes. The system allocator gives it back.
pa.set_memory_pool(pa.system_memory_pool())

PIPELINE_VERSION = version("pipeline")
SCHEMA_VERSION = "7"  # 2: mojibake.lost_bytes; 3: paragraph_languages; 4: controls_removed; 5: url, source_record, fetched_at; 6: quality, pii; 7: quality.lorem_ipsum_share

MOJIBAKE = pa.struct(
    [
        pa.field("kinds", pa.list_(pa.string())),  # readings / ftfy steps undone; empty when none
        pa.field("runs", pa.int32()),  # damaged sequences repaired
        pa.field("guessed", pa.int32()),  # of those, chosen by rule among several candidates or a lost byte
        pa.field("lost_bytes", pa.int32()),  # of those, a byte dropped or written as ? or U+FFFD was inferred
        pa.field("unrecoverable", pa.int32()),  # written as U+FFFD
    ]
)
POST = pa.struct(
    [
        pa.field("author", pa.string()),
        pa.field("score", pa.int64()),
        pa.field("age", pa.string()),
        pa.field("depth", pa.int32()),
    ]
)
LANGUAGE_SHARE = pa.struct([pa.field("language", pa.string()), pa.field("share", pa.float64())])
# pipeline.text.quality.Signals, a field each (its counts as int32, its flags as bool, its shares as float64)
QUALITY = pa.struct(
    [
        pa.field(f.name, {"int": pa.int32(), "bool": pa.bool_()}.get(str(f.type).split(" ")[0], pa.float64()))
        for f in dataclasses.fields(Signals)
    ]
)
PII = pa.struct([pa.field("emails", pa.int32()), pa.field("ips", pa.int32()), pa.field("phones", pa.int32())])
PARAGRAPH_LANGUAGE = pa.struct([pa.field("paragraph", pa.int32()), pa.field("language", pa.string())])

# Every column, in the order the stages fill them in.
DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("source_bytes", pa.int64(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("source_record", pa.string()),
        pa.field("fetched_at", pa.timestamp("us", tz="UTC")),
        pa.field("declared_charset", pa.string()),  # what HTTP declared; only the stage tables carry it
        pa.field("content", pa.binary()),  # the raw bytes; only the stage tables carry them
        pa.field("text", pa.string()),
        pa.field("source_encoding", pa.string()),
        pa.field("decode_method", pa.string()),
        pa.field("controls_removed", pa.int32()),
        pa.field("mojibake", MOJIBAKE),
        pa.field("is_html", pa.bool_()),
        pa.field("page_title", pa.string()),
        pa.field("page_language", pa.string()),
        pa.field("chrome_removed", pa.list_(pa.string())),
        pa.field("posts", pa.list_(POST)),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("languages", pa.list_(LANGUAGE_SHARE)),
        pa.field("paragraph_languages", pa.list_(PARAGRAPH_LANGUAGE)),
        pa.field("paragraphs_removed", pa.list_(pa.string())),
        pa.field("quality", QUALITY),
        pa.field("pii", PII),
        pa.field("reject_stage", pa.string()),
        pa.field("reject_reason", pa.string()),
        pa.field("duplicate_of", pa.string()),
    ]
)

_PROVENANCE = [
    pa.field("n_chars", pa.int32(), nullable=False),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("pipeline_version", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
]
_CORPUS_DROP = {"content", "declared_charset", "reject_stage", "reject_reason", "duplicate_of"}
CORPUS = pa.schema([f for f in DOCUMENTS if f.name not in _CORPUS_DROP] + _PROVENANCE)
REJECTED = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("source_bytes", pa.int64(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("source_record", pa.string()),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("duplicate_of", pa.string()),
        pa.field("quality", QUALITY),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("pipeline_version", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

COLUMN_DOCS = {
    "doc_id": "stable id: hash of the source path and the source bytes (and, for a record, its place in the archive)",
    "source_path": "path relative to the raw folder, '/'-separated; bytes of a name that are not UTF-8 as \\xNN",
    "source_sha256": "SHA-256 of the raw bytes (of the bytes decoded, the HTTP body, for a record of an archive)",
    "source_bytes": "size of the raw file in bytes (of the record's body, for a record of an archive or dump)",
    "url": "the page's address: WARC-Target-URI or the dump's url field; null for a loose file",
    "source_record": "WARC-Record-ID, or the dump's id field, else the record's 1-based line or row; null for a loose file",
    "fetched_at": "when the page was fetched (UTC): WARC-Date, or the dump's created/date field",
    "text": "the cleaned text; paragraphs separated by newlines",
    "source_encoding": "encoding the bytes were decoded with (Python codec name)",
    "decode_method": "how it was found: bom, http (the charset an archive's HTTP header declared), utf-8, meta or detected",
    "controls_removed": "control characters taken out of the text (NUL, escape sequences, C1 left after repair) and characters no one sees that split words (soft hyphens, zero-width spaces and joiners)",
    "mojibake": "what the mojibake repair did: kinds (code pages undone), runs, guessed, lost_bytes, unrecoverable",
    "is_html": "the source was HTML",
    "page_title": "the HTML <title>",
    "page_language": "language of the page around the text (HTML lang, or the removed chrome's language)",
    "chrome_removed": "every line removed as page chrome, for audit",
    "posts": "posts found: author, score, age (a thread export's) or date (a page's), depth",
    "language": "main language (ISO 639-1) or 'und'",
    "language_score": "posterior probability of `language` under langdetect's model",
    "languages": "each language of the text and its share, by the letters of the paragraphs written in it",
    "paragraph_languages": "the language of each paragraph (line) of 40 letters or more, by its index in text",
    "paragraphs_removed": "repeated paragraphs removed from this document",
    "quality": "the quality signals of the text (docs/design.md, 'Quality'); null if rejected before the quality stage",
    "pii": "e-mail addresses, IP addresses and phone numbers masked (PIPELINE_PII=mask); null when not masking",
    "n_chars": "characters in `text`",
    "ingested_at": "when this run wrote the row (UTC)",
    "pipeline_version": "version of this package",
    "run_id": "Dagster run id",
    "stage": "stage that rejected the file",
    "reason": "why, in words",
    "duplicate_of": "doc_id of the kept copy when the reason is duplication",
}


def raw_location() -> str:
    """Where the raw documents are: PIPELINE_RAW_DIR, else raw/ (relative paths are taken from the working dir)."""
    return os.environ.get("PIPELINE_RAW_DIR") or "raw"


def curated_location() -> str:
    """Where the corpus is published: PIPELINE_CURATED_DIR, else curated/."""
    return os.environ.get("PIPELINE_CURATED_DIR") or "curated"


class LocationError(Exception):
    """A raw or curated location the pipeline cannot use: the run stops before any stage, the corpus stays."""


def local_folder(location: str) -> Path:
    """`location` (a path, or a file:// URI) as an absolute local path."""
    if location[:7].lower() == "file://":
        location = urllib.parse.unquote(urllib.parse.urlsplit(location).path)
    return Path(location).expanduser().resolve()


def shown_path(path: Path | str) -> str:
    """A local path as a person reads it: relative to the working directory when it is under it (a link as
    itself, not where it points)."""
    path = Path(os.path.abspath(path))
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def readable_folder(location: str, what: str) -> Path:
    """local_folder, which must be a folder that can be listed: a mistyped path is not an empty corpus."""
    folder = local_folder(location)
    try:
        os.scandir(folder).close()
    except FileNotFoundError:
        raise LocationError(f"{what} {folder} does not exist") from None
    except NotADirectoryError:
        raise LocationError(f"{what} {folder} is a file, not a folder") from None
    except OSError as e:
        raise LocationError(f"{what} {folder} cannot be read: {e.strerror or e}") from None
    return folder


def wanted_languages() -> frozenset[str]:
    """PIPELINE_LANGUAGES, comma-separated codes as langdetect gives them (en,de,zh-cn); empty: all wanted."""
    return frozenset(code.strip() for code in os.environ.get("PIPELINE_LANGUAGES", "").split(",") if code.strip())


class SettingError(ValueError):
    """A PIPELINE_* setting the pipeline cannot use: the run stops before the stage that reads it."""


def _switch(name: str, values: tuple[str, str]) -> bool:
    """An environment switch of two values, the first the default: True when it is set to the second."""
    value = os.environ.get(name, "").strip().lower() or values[0]
    if value not in values:
        raise SettingError(f"{name} is {value!r}: it takes {values[0]} (the default) or {values[1]}")
    return value == values[1]


def quality_enforced() -> bool:
    """PIPELINE_QUALITY: on (the default) rejects documents that fail a quality rule; off keeps them."""
    return not _switch("PIPELINE_QUALITY", ("on", "off"))


def quality_rules_file() -> str | None:
    """PIPELINE_QUALITY_RULES: a rules file to use instead of pipeline/text/quality_rules.toml."""
    return os.environ.get("PIPELINE_QUALITY_RULES") or None


def _number(name: str, what: str, unset: str) -> int | None:
    """A PIPELINE_* setting that is a number of 1 or more, or None where it is unset (`unset` says what that means)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise SettingError(f"{name} is {value!r}: it takes a number of {what} (1 or more), or nothing for {unset}")
    return int(value)


def batches_per_run() -> int | None:
    """PIPELINE_BATCHES_PER_RUN: empty (the default), a backfill of the ingest stages' batches is one run; a number
    n, a run per n batches."""
    return _number("PIPELINE_BATCHES_PER_RUN", "batches", "one run")


def max_document_bytes() -> int:
    """PIPELINE_MAX_DOCUMENT_BYTES: a raw file, an archive's record or a dump's line longer than this many bytes is
    rejected, read no further (64 MiB by default): a file of several gigabytes or a compressed bomb never fills a
    worker's memory."""
    return _number("PIPELINE_MAX_DOCUMENT_BYTES", "bytes", f"{MAX_DOCUMENT_BYTES:,}") or MAX_DOCUMENT_BYTES


EXTRACTORS = ("both", "own")  # PIPELINE_EXTRACTOR's values, the default first


def extractor() -> str:
    """PIPELINE_EXTRACTOR: both (the default: html_to_text's text voted with trafilatura's, line by line) or own
    (html_to_text's alone: a page read in about a quarter of the time, news F1 0.904 against 0.931)."""
    return EXTRACTORS[_switch("PIPELINE_EXTRACTOR", EXTRACTORS)]


def pii_masked() -> bool:
    """PIPELINE_PII: off (the default) or mask (e-mail addresses, IP addresses, phone numbers)."""
    return _switch("PIPELINE_PII", ("off", "mask"))


def doc_id(source_path: str, sha256: str, source_record: str | None = None) -> str:
    key = f"{source_path}\0{sha256}" if source_record is None else f"{source_path}\0{source_record}\0{sha256}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
