"""The pipeline's stages over the document table. No Dagster here: the assets call these.

Each stage takes the table of every raw file and returns it with its own columns filled in, plus counts of
what it did. A document a stage cannot keep is marked rejected with a reason; a stage that fails on one
document rejects that document and goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline import text as tx
from pipeline.memo import Memo
from pipeline.corpus import CORPUS, DOCUMENTS, PIPELINE_VERSION, REJECTED, doc_id, wanted_languages


class Reject(Exception):
    """Raised by a stage for a document it cannot keep; the message is the reason."""


Row = dict
Stats = Counter


def _apply(
    table: pa.Table, stage: str, fn: Callable[[Row, Stats], Row], memo: Memo | None = None,
    reads: tuple[str, ...] = (), settings: tuple = (),
) -> tuple[pa.Table, Stats]:
    """fn on every document not yet rejected. With a memo, a document whose `reads` fields (and the stage's
    `settings`) are unchanged gets the update (or the rejection) and the counts fn gave it last time, and fn is
    not called."""
    rows = table.to_pylist()
    stats: Stats = Counter()
    live = [row for row in rows if not row["reject_stage"]]
    keys = [memo.key(stage, (settings, *(row[f] for f in reads))) for row in live] if memo else []
    known = memo.get(keys) if memo else {}
    for k, row in enumerate(live):
        stats["in"] += 1
        if memo and keys[k] in known:
            update, counts = known[keys[k]]
            stats["reused from an earlier run"] += 1
        else:
            counts, remember = Counter(), True
            try:
                update = fn(row, counts)
            except Reject as e:
                update = {"reject_stage": stage, "reject_reason": str(e)}
            except Exception as e:  # one bad file never stops the run; not remembered, so it is tried again
                update = {"reject_stage": stage, "reject_reason": f"{stage} failed: {type(e).__name__}: {e}"}
                counts["errors"] += 1
                remember = False
            if memo and remember:
                memo.put(keys[k], (update, counts))
        row.update(update)
        stats.update(counts)
        if row["reject_stage"]:
            stats["rejected"] += 1
    if memo:
        memo.flush()
    stats["out"] = stats["in"] - stats["rejected"]
    return pa.Table.from_pylist(rows, schema=DOCUMENTS), stats


def read_raw_listing(raw_dir: Path) -> dict[str, Path]:
    """Every regular, non-hidden file under raw_dir (sub-folders included), by its '/'-separated relative path."""
    listing = {}
    for path in sorted(raw_dir.rglob("*")):
        rel = path.relative_to(raw_dir)
        if not any(part.startswith(".") for part in rel.parts) and path.is_file():
            listing[rel.as_posix()] = path
    return listing


def read_raw(raw_dir: Path) -> tuple[pa.Table, Stats]:
    """One row per file of `read_raw_listing`, with its bytes and their hash."""
    rows = []
    stats: Stats = Counter()
    for source_path, path in read_raw_listing(raw_dir).items():
        row = {name: None for name in DOCUMENTS.names}
        try:
            content = path.read_bytes()
        except OSError as e:
            row.update(
                doc_id=doc_id(source_path, ""), source_path=source_path, source_sha256="",
                source_bytes=path.stat().st_size if path.exists() else 0,
                reject_stage="raw", reject_reason=f"unreadable file: {e.strerror or e}",
            )  # fmt: skip
            stats["rejected"] += 1
        else:
            sha = hashlib.sha256(content).hexdigest()
            row.update(
                doc_id=doc_id(source_path, sha), source_path=source_path, source_sha256=sha,
                source_bytes=len(content), content=content,
            )  # fmt: skip
            stats["bytes"] += len(content)
        rows.append(row)
    stats["in"] = stats["out"] = len(rows)
    stats["out"] -= stats["rejected"]
    return pa.Table.from_pylist(rows, schema=DOCUMENTS), stats


def decode(table: pa.Table, memo: Memo | None = None) -> tuple[pa.Table, Stats]:
    def fn(row: Row, stats: Stats) -> Row:
        try:
            d = tx.decode_bytes(row["content"])
        except tx.Undecodable as e:
            raise Reject(str(e)) from e
        stats[f"encoding {d.encoding}"] += 1
        return {"text": d.text, "source_encoding": d.encoding, "decode_method": d.method}

    return _apply(table, "decode", fn, memo, reads=("content",))


def fix_mojibake(table: pa.Table, memo: Memo | None = None) -> tuple[pa.Table, Stats]:
    def fn(row: Row, stats: Stats) -> Row:
        text, report = tx.repair_mojibake(row["text"])
        if report.changed:
            stats["documents repaired"] += 1
            stats["sequences repaired"] += report.runs
            stats["lost-byte or ambiguous guesses"] += report.guessed
            stats["lost bytes inferred"] += report.lost_bytes
            stats["unrecoverable (U+FFFD)"] += report.unrecoverable
            for kind in report.kinds:
                stats[f"documents repaired as {kind}"] += 1
        mojibake = {"kinds": report.kinds, "runs": report.runs, "guessed": report.guessed,
                    "lost_bytes": report.lost_bytes, "unrecoverable": report.unrecoverable}  # fmt: skip
        return {"text": text, "mojibake": mojibake}

    return _apply(table, "mojibake", fn, memo, reads=("text",))


def strip_chrome(table: pa.Table, memo: Memo | None = None) -> tuple[pa.Table, Stats]:
    def fn(row: Row, stats: Stats) -> Row:
        text, update = row["text"], {"is_html": False}
        if tx.looks_like_html(text, row["source_path"]):
            page = tx.html_to_text(text)
            text = page.text
            update.update(is_html=True, page_title=page.title, page_language=page.lang)
            stats["html pages"] += 1
        result = tx.strip_chrome(text, from_html=update["is_html"])
        if result.removed:
            stats["documents with chrome"] += 1
            stats["chrome lines removed"] += len(result.removed)
        stats["posts found"] += len(result.posts)
        if not result.text.strip():
            raise Reject(f"nothing but page chrome ({len(result.removed)} interface lines, no text)")
        posts = [vars(p) for p in result.posts]
        return {**update, "text": result.text, "chrome_removed": result.removed, "posts": posts}

    table, stats = _apply(table, "chrome", fn, memo, reads=("text", "source_path"))
    return _strip_repeated(table, stats), stats


def _strip_repeated(table: pa.Table, stats: Stats) -> pa.Table:
    """Second look, across the corpus: short lines that stand in many documents are the sites' own."""
    rows = table.to_pylist()
    live = [row for row in rows if not row["reject_stage"]]
    repeated = tx.repeated_lines([row["text"] for row in live])
    if not repeated:
        return table
    gone = _remove_lines(live, repeated, "chrome_removed", record=str.strip)
    stats["chrome lines removed"] += gone
    stats["lines repeated across documents"] += gone
    return pa.Table.from_pylist(rows, schema=DOCUMENTS)


def _remove_lines(rows: list[Row], lines: set[str], column: str, record: Callable[[str], str] = str) -> int:
    """Take every line whose stripped form is in `lines` out of each row's text, add it (as `record` gives it)
    to the row's `column` of removed lines, and say how many went."""
    total = 0
    for row in rows:
        kept = row["text"].split("\n")
        gone = [record(line) for line in kept if line.strip() in lines]
        if gone:
            row["text"] = "\n".join(line for line in kept if line.strip() not in lines).strip("\n")
            row[column] = [*row[column], *gone]
            total += len(gone)
    return total


def tag_language(table: pa.Table, memo: Memo | None = None) -> tuple[pa.Table, Stats]:
    wanted = wanted_languages()

    def fn(row: Row, stats: Stats) -> Row:
        found = tx.detect_language(row["text"])
        paragraphs = tx.paragraph_languages(row["text"])
        stats[f"language {found.language}"] += 1
        if wanted and found.language not in wanted:
            raise Reject(f"language: {found.language} is not among the wanted languages ({', '.join(sorted(wanted))})")
        page_language = row["page_language"]
        if not page_language and row["chrome_removed"]:  # the interface's language, when it has enough words
            chrome = tx.detect_language("\n".join(row["chrome_removed"]))
            page_language = None if chrome.language == tx.language.UNDETERMINED else chrome.language
        return {
            "language": found.language,
            "language_score": found.score,
            "languages": [{"language": lang, "share": share} for lang, share in tx.language_shares(row["text"], paragraphs)],
            "paragraph_languages": [{"paragraph": k, "language": lang} for k, lang in paragraphs],
            "page_language": page_language,
        }

    return _apply(table, "language", fn, memo, ("text", "page_language", "chrome_removed"), tuple(sorted(wanted)))


# A paragraph in at least this many documents, and this share of them, is boilerplate (a site's disclaimer,
# a signature) and leaves every document; fewer, and it may be a quotation several people chose.
BOILERPLATE_MIN_DOCS = 5
BOILERPLATE_MIN_SHARE = 0.005


def deduplicate(table: pa.Table) -> tuple[pa.Table, Stats]:
    """Repeated paragraphs inside each document, then exact and near copies across documents."""

    def paragraphs(row: Row, stats: Stats) -> Row:
        text, removed = tx.dedup_paragraphs(row["text"])
        stats["repeated paragraphs removed"] += len(removed)
        return {"text": text, "paragraphs_removed": removed}

    before = table.column("text").to_pylist()
    table, stats = _apply(table, "dedup", paragraphs)
    rows = table.to_pylist()
    live = [k for k, row in enumerate(rows) if not row["reject_stage"]]
    boilerplate = tx.repeated_paragraphs([rows[k]["text"] for k in live], BOILERPLATE_MIN_DOCS, BOILERPLATE_MIN_SHARE)
    if gone := _remove_lines([rows[k] for k in live], boilerplate, "paragraphs_removed"):
        stats["boilerplate paragraphs removed"] += gone
    for k in live:  # lines went: the paragraphs' languages follow their lines
        rows[k]["paragraph_languages"] = _reindex(before[k], rows[k]["text"], rows[k]["paragraph_languages"] or [])
    found = tx.find_duplicates([rows[k]["text"] for k in live], [rows[k]["source_path"] for k in live])
    for dup in found:
        row, kept = rows[live[dup.index]], rows[live[dup.kept]]
        how = "exact copy" if dup.kind == "exact" else f"near copy (Jaccard {dup.similarity:.2f})"
        row.update(reject_stage="dedup", reject_reason=f"{how} of {kept['source_path']}", duplicate_of=kept["doc_id"])
        stats[f"{dup.kind} duplicates"] += 1
    stats["out"] -= len(found)
    return pa.Table.from_pylist(rows, schema=DOCUMENTS), stats


def _reindex(old_text: str, new_text: str, paragraphs: list[dict]) -> list[dict]:
    """Move paragraph indices from old_text to new_text, which holds some of its lines, in the same order."""
    new_lines, at, moved = new_text.split("\n"), {}, 0
    for k, line in enumerate(old_text.split("\n")):
        if moved < len(new_lines) and line == new_lines[moved]:
            at[k] = moved
            moved += 1
    return [{**p, "paragraph": at[p["paragraph"]]} for p in paragraphs if p["paragraph"] in at]


def problems(corpus: pa.Table, rejected: pa.Table, raw_files: set[str]) -> dict[str, list[str]]:
    """What would make a corpus unfit to publish, by check name; every list empty when it is fit."""
    ids = Counter(corpus["doc_id"].to_pylist())
    empty = corpus.filter(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(corpus["text"])), 0))
    published = Counter(corpus["source_path"].to_pylist() + rejected["source_path"].to_pylist())
    accounted = [f"missing: {p}" for p in sorted(raw_files - set(published))]
    accounted += [f"not in raw: {p}" for p in sorted(set(published) - raw_files)]
    accounted += [f"twice: {p}" for p, n in sorted(published.items()) if n > 1]
    return {
        "doc_id_unique": [i for i, n in ids.items() if n > 1],
        "no_empty_text": empty["source_path"].to_pylist(),
        "every_raw_file_accounted_for": accounted,
    }


def split_published(table: pa.Table, run_id: str) -> tuple[pa.Table, pa.Table]:
    """The corpus and the rejected table, as published, from the final document table."""
    now = dt.datetime.now(dt.UTC)
    provenance = {"ingested_at": now, "pipeline_version": PIPELINE_VERSION, "run_id": run_id}
    kept, rejected = [], []
    for row in table.to_pylist():
        if row["reject_stage"]:
            rejected.append({**row, **provenance, "stage": row["reject_stage"], "reason": row["reject_reason"]})
        else:
            kept.append({**row, **provenance, "n_chars": len(row["text"])})
    kept.sort(key=lambda r: r["source_path"])
    rejected.sort(key=lambda r: r["source_path"])
    return pa.Table.from_pylist(kept, schema=CORPUS), pa.Table.from_pylist(rejected, schema=REJECTED)

