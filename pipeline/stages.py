"""The per-document stages: what each does to a document (its row function, ROW_STAGES) and how it runs over a
stage's table, a worker job a shard, with the memo. No Dagster here: the assets call these.

A document a stage cannot keep is marked rejected with a reason; a stage that fails on one document rejects
that document and goes on. The chrome and dedup stages go on across documents (across_documents.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import tables
from pipeline import text as tx
from pipeline.buckets import KeyFiles
from pipeline.copies import CopyFiles
from pipeline.corpus import DOCUMENTS, EXTRACTORS, wanted_languages
from pipeline.executors import _cluster, _ServedMemo, ray_address
from pipeline.memo import Memo
from pipeline.rewrite import _rewrite
from pipeline.tables import BATCH_NAMES, Folder, Row, Stats, _row_count, _rows, _with_rows, _write, read_shard, shards
from pipeline.text.chrome import repeatable
from pipeline.text.dedup import Fingerprint, line_keys, paragraph_set


class Reject(Exception):
    """Raised by a stage for a document it cannot keep; the message is the reason."""


def _apply(
    rows: list[Row], stage: str, fn: Callable, memo: Memo | None, reads: tuple[str, ...], settings: tuple
) -> tuple[Stats, list[tuple[str, str, bytes]], list[str], set[str]]:
    """fn on every document not yet rejected. A document whose `reads` fields (and the stage's `settings`) are
    in the memo gets the update (or the rejection) and the counts fn gave it last time, and fn is not called.
    Returns the counts, the memo entries of the results computed, the memo keys of every document and the fields
    updated (a column only read need not be written back)."""
    stats: Stats = Counter()
    changed: set[str] = set()
    fresh = []
    live = [row for row in rows if not row["reject_stage"]]
    keys = [memo.key(stage, (settings, *(row[f] for f in reads))) if memo else None for row in live]
    known = memo.get(keys) if memo else {}
    for key, row in zip(keys, live):
        stats["in"] += 1
        if key in known:
            update, counts = known[key]
            if KEPT_LINES in update:  # stored without its text and lines removed: the lines kept of the text read
                text, removed = tx.chrome.kept_lines(row["text"], update[KEPT_LINES])
                update = {**update, "text": text, "chrome_removed": removed}
            stats["reused from an earlier run"] += 1
        else:
            counts, remember = Counter(), True
            try:
                update = fn(row, counts, *settings)
                if "text" in update and _blank(update["text"]):  # a stage that leaves nothing rejects the document
                    raise Reject(f"{stage}: nothing left")
            except Reject as e:
                update = {"reject_stage": stage, "reject_reason": str(e)}
            except Exception as e:  # one bad file never stops the run; not remembered, so it is tried again
                update = {"reject_stage": stage, "reject_reason": f"{stage} failed: {type(e).__name__}: {e}"}
                counts["errors"] += 1
                remember = False
            if memo and remember:  # what a stage left as it read it (most texts) is not stored again, nor what
                rebuilt = ("text", "chrome_removed") if KEPT_LINES in update else ()  # the lines kept tell
                stored = {f: v for f, v in update.items() if not (f in reads and row[f] == v or f in rebuilt)}
                fresh.append(memo.entry(stage, key, (stored, counts)))
        row.update(update)
        changed.update(update)
        stats.update(counts)
        if row["reject_stage"]:
            stats["rejected"] += 1
    return stats, fresh, keys if memo else [], changed


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


def _decode(row: Row, stats: Stats) -> Row:
    try:
        d = tx.decode_bytes(row["content"], declared=row["declared_charset"])
    except tx.Undecodable as e:
        raise Reject(str(e)) from e
    stats[f"encoding {d.encoding}"] += 1
    # the bytes stay in the raw file: later stages and the corpus need the text only
    stats["control characters removed"] += d.controls
    return {"text": d.text, "source_encoding": d.encoding, "decode_method": d.method, "controls_removed": d.controls,
            "content": None}  # fmt: skip


def _fix_mojibake(row: Row, stats: Stats) -> Row:
    text, report = tx.repair_mojibake(row["text"])
    text, c1 = tx.strip_controls(text, c1=True)  # what the repair left of U+0080-U+009F is no character; a soft hyphen or a zero-width space shows nowhere
    stats["control characters removed"] += c1
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
    return {"text": text, "mojibake": mojibake, "controls_removed": row["controls_removed"] + c1}


# Not a column (the shard keeps its schema's only): the lines chrome kept of a text export, which the memo keeps
# instead of the text it gave and the lines it removed (kept_lines rebuilds both from the text read)
KEPT_LINES = "chrome kept lines"


SECOND_OPINION = EXTRACTORS[0]  # PIPELINE_EXTRACTOR's default: html_to_text's text voted with trafilatura's


def _strip_chrome(row: Row, stats: Stats, extractor: str = SECOND_OPINION) -> Row:
    text, update, posts = row["text"], {"is_html": False}, []
    if tx.looks_like_html(text, row["source_path"]):
        read = tx.read_page(text, second_opinion=extractor == SECOND_OPINION)
        page, result, voted = read.page, read.chrome, read.voted
        if page.why_empty and not voted.text.strip():
            raise Reject(f"no main content: {page.why_empty}")
        update.update(is_html=True, page_title=page.title, page_language=page.lang)
        stats["html pages"] += 1
        posts = [{"author": author, "score": None, "age": date, "depth": 0} for author, date in page.posts]
        if voted.cut or voted.added:
            stats["pages trafilatura's text changed"] += 1
            stats["lines left out by the vote with trafilatura"] += len(voted.cut)
            stats["lines trafilatura added"] += len(voted.added)
    else:
        result = tx.strip_chrome(text, from_html=False)
        voted = tx.main_content.Voted(result.text)
    removed = result.removed + voted.cut  # the vote's cuts are the page's too: related stories, pitches, comments
    if removed:
        stats["documents with chrome"] += 1
        stats["chrome lines removed"] += len(removed)
    posts += [vars(p) for p in result.posts]
    stats["posts found"] += len(posts)
    if not voted.text.strip():
        raise Reject(f"{ALL_CHROME} ({len(result.removed)} interface lines, no text)")
    if not update["is_html"]:  # the memo keeps which lines are kept, not the text and the lines removed
        update[KEPT_LINES] = result.kept
    return {**update, "text": voted.text, "chrome_removed": removed, "posts": posts}


def _tag_language(row: Row, stats: Stats, *wanted: str) -> Row:
    found, paragraphs, shares = tx.language.language_profile(row["text"])
    stats[f"language {found.language}"] += 1
    if wanted and found.language not in wanted:
        raise Reject(f"language: {found.language} is not among the wanted languages ({', '.join(wanted)})")
    page_language = row["page_language"]
    if not page_language and row["chrome_removed"]:  # the interface's language, when it has enough words
        chrome = tx.detect_language("\n".join(dict.fromkeys(row["chrome_removed"])))  # a button says it once
        page_language = None if chrome.language == tx.language.UNDETERMINED else chrome.language
    return {
        "language": found.language,
        "language_score": found.score,
        "languages": [{"language": lang, "share": share} for lang, share in shares],
        "paragraph_languages": [{"paragraph": k, "language": lang} for k, lang in paragraphs],
        "page_language": page_language,
    }


FINGERPRINT = "dedup fingerprint"


def _dedup_paragraphs(row: Row, stats: Stats) -> Row:
    text, removed, fingerprint = tx.dedup.dedup_and_fingerprint(row["text"])
    stats["repeated paragraphs removed"] += len(removed)
    paragraphs = row["paragraph_languages"] or []
    if text != row["text"]:  # the paragraphs' lines moved (most texts lose none)
        paragraphs = _reindex(row["text"], text, paragraphs)
    # FINGERPRINT is not a column (the shard keeps its schema's only): it waits in the row for _fingerprints
    return {"text": text, "paragraphs_removed": removed, "paragraph_languages": paragraphs, FINGERPRINT: fingerprint}


def _reindex(old_text: str, new_text: str, paragraphs: list[dict]) -> list[dict]:
    """Move paragraph indices from old_text to new_text, which holds some of its lines, in the same order."""
    new_lines, at, moved = new_text.split("\n"), {}, 0
    for k, line in enumerate(old_text.split("\n")):
        if moved < len(new_lines) and line == new_lines[moved]:
            at[k] = moved
            moved += 1
    return [{**p, "paragraph": at[p["paragraph"]]} for p in paragraphs if p["paragraph"] in at]


def _measure_quality(row: Row, stats: Stats, mask_pii: bool) -> Row:
    """The quality signals of a document (after masking its personal data, when asked). What they decide is
    _judge_quality's: signals are remembered, the rules are applied again every run."""
    text, update = row["text"], {}
    if mask_pii:
        masked = tx.pii.mask_pii(text, row["language"])
        text, update["pii"] = masked.text, {"emails": masked.emails, "ips": masked.ips, "phones": masked.phones}
        for kind in ("emails", "ips", "phones"):
            stats[f"{kind} masked"] += update["pii"][kind]
    # (read as the rules were set: every line once, though the text keeps a list's or a table's short lines in place)
    return {**update, "text": text, "quality": tx.quality.signals(tx.dedup.distinct_lines(text), row["language"]).as_dict()}


ALL_CHROME = "nothing but page chrome"


def _name_all_chrome(rows: list[Row], stats: Stats, rules: tuple) -> None:
    """A document the chrome stage found nothing but interface lines in is named by the first quality rule its
    text fails, when it fails one (a page of product bullets: `quality:gopher_bullets (...)`; a menu is a list too:
    `quality:fineweb_punctuation (...)`). With the run's rules, on every run, as the quality stage decides: not
    remembered with the chrome stage's results, so its text is read again here (such documents are few)."""
    for row in rows:
        if row["reject_stage"] != "chrome" or not row["reject_reason"].startswith(ALL_CHROME):
            continue
        text = row["text"]
        text = tx.html_to_text(text).text if tx.looks_like_html(text, row["source_path"]) else text
        language = tx.detect_language(text).language
        if failed := tx.quality.failed_rules(tx.quality.signals(text, language).as_dict(), language, rules):
            row["reject_reason"] = f"{tx.quality.reason(failed)}; {row['reject_reason']}"
            stats[f"named by a quality rule: {failed[0][0]}"] += 1


# Not a column: the rules a live document's signals fail, waiting in the row for the stage's examples
FAILED = "quality rules failed"


def _judge_quality(rows: list[Row], stats: Stats, rules: tuple, enforced: bool) -> None:
    """Reject (or, not `enforced`, only count) every live document whose signals fail a rule."""
    for row in rows:
        if row["reject_stage"] or not row.get("quality"):
            continue
        if failed := tx.quality.failed_rules(row["quality"], row["language"], rules):
            row[FAILED] = failed
            stats[f"{'rejected' if enforced else 'would reject'}: {failed[0][0]}"] += 1
            if enforced:
                row.update(reject_stage="quality", reject_reason=tx.quality.reason(failed))
                stats["rejected"] += 1


def _failing_examples(rows: list[Row]) -> dict[str, tuple[str, str]]:
    """For each rule first failed in a shard, its first document there: (how a reason names it, its text)."""
    found: dict[str, tuple[str, str]] = {}
    for row in rows:
        if FAILED in row:
            found.setdefault(row[FAILED][0][0], (_named(row), row["text"]))
    return found


# stage: (what it does to a document, the fields its result depends on)
ROW_STAGES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "decode": (_decode, ("content", "declared_charset")),
    "mojibake": (_fix_mojibake, ("text", "controls_removed")),
    "chrome": (_strip_chrome, ("text", "source_path")),
    "language": (_tag_language, ("text", "page_language", "chrome_removed")),
    "dedup": (_dedup_paragraphs, ("text", "paragraph_languages")),
    "quality": (_measure_quality, ("text", "language")),
}
# what a stage decides on every document after it (and its memo) gave the results: the rules may have changed
_DECIDE: dict[str, Callable] = {"quality": _judge_quality, "chrome": _name_all_chrome}
# what a stage's shard job hands back besides its counts, for the stage's step across documents; given the shard's
# name and the step's KeyFiles (the dedup stage's CopyFiles), the chrome stage writes its keys there and hands back
# how many; the dedup stage its paragraphs' keys and its documents' digests and band keys (the fingerprints go no
# further), and how many keys and documents
_COLLECT: dict[str, Callable[[list[Row], str, KeyFiles | CopyFiles | None], object]] = {
    "chrome": lambda rows, shard, keys: keys.write(shard, *_keys(rows, repeatable)),
    "dedup": lambda rows, shard, copies: (copies.keys.write(shard, *_keys(rows, tx.dedup.is_paragraph)), copies.write(shard, _fingerprints(rows))),
    "quality": lambda rows, *_: _failing_examples(rows),
}
# how the run process gathers, as they come, what the shard jobs of a stage hand back besides their counts (a list of
# every shard's grows with the corpus): (what it starts from, how it adds a shard's) — the chrome stage's keys
# written; the dedup stage's paragraph keys and documents; the quality stage's first document failing each rule
_GATHER: dict[str, tuple[object, Callable[[object, object], object]]] = {
    "chrome": (0, lambda written, more: written + more),
    "dedup": ((0, 0), lambda found, more: (found[0] + more[0], found[1] + more[1])),
    "quality": ({}, lambda examples, more: {**more, **examples}),  # the first shard's example of a rule stays
}


def _fingerprints(rows: list[Row], which: list[int] | None = None) -> list[tuple[int, str, str, Fingerprint]]:
    """(row in the shard, source path (and record, _named), doc id, dedup fingerprint) of each live document (or of rows `which`):
    the one _dedup_paragraphs made, or made here (rows read again from a shard)."""
    which = [k for k, row in enumerate(rows) if not row["reject_stage"]] if which is None else which
    return [
        (k, _named(rows[k]), rows[k]["doc_id"], rows[k].get(FINGERPRINT) or tx.dedup.fingerprint(rows[k]["text"]))
        for k in which
    ]


def _named(row: Row) -> str:
    """A document as a reason names it: its path, and for a record of an archive or dump, the record."""
    return row["source_path"] if row["source_record"] is None else f"{row['source_path']} record {row['source_record']}"


def _keys(rows: list[Row], eligible: Callable[[str], bool]) -> tuple[np.ndarray, np.ndarray]:
    """line_keys of each distinct eligible line of each live document (counted across the corpus), and the row of
    the document each is from (a pass removing some keys visits only the documents that hold them)."""
    sets = [(k, paragraph_set(row["text"], eligible)) for k, row in enumerate(rows) if not row["reject_stage"]]
    holders = np.repeat(np.array([k for k, _ in sets], np.min_scalar_type(tables.SHARD_DOCS)), [len(lines) for _, lines in sets])
    return line_keys([line for _, lines in sets for line in lines]), holders


def _row_job(
    stage: str, source: Folder, target: Folder, memo_at: Path | object | None, settings: tuple, decide: tuple,
    keys: KeyFiles | CopyFiles | None,
) -> tuple[Stats, object, list, list[str]]:
    """A per-document stage on a shard; the memo read at its path, or on Ray by its MemoServer (an actor handle)."""
    fn, reads = ROW_STAGES[stage]
    table = read_shard(source)
    rows = _rows(table, reads)
    read = {field: [row[field] for row in rows] for field in reads}
    memo = None if memo_at is None else Memo(memo_at) if isinstance(memo_at, Path) else _ServedMemo(memo_at)
    stats, fresh, used, changed = _apply(rows, stage, fn, memo, reads, settings)
    if stage in _DECIDE:
        _DECIDE[stage](rows, stats, *decide)
        changed |= {"reject_stage", "reject_reason"}
    _write(_with_rows(table, rows, changed, read), target)
    return stats, _COLLECT[stage](rows, target.name, keys) if stage in _COLLECT else None, fresh, used


def _run(
    stage: str, source: Folder, target: Folder, memo: Path | None, settings: tuple = (), decide: tuple = (),
    batches: Collection[str] | None = None, keys: KeyFiles | CopyFiles | None = None,
) -> tuple[Stats, object]:
    """A per-document stage over every shard (of `batches` only, for an ingest stage): `settings` go to its
    function (and into its memo keys), `decide` to its _DECIDE step (not into the keys), `keys` (the KeyFiles of
    its step across documents) to its _COLLECT. Its counts, and what _GATHER gathered of its shards."""
    parts = shards(source, batches)
    memo_at = _cluster().memo_server(memo) if memo and ray_address() and parts else memo
    calls = lambda building: [(stage, part, building / part.name, memo_at, settings, decide, keys) for part in parts]  # noqa: E731
    store, stats = Memo(memo), Counter()
    gathered, gather = _GATHER.get(stage, (None, lambda gathered, _: gathered))

    def remember(result: tuple[Stats, object, list, list[str]]) -> None:  # a shard's, then let go
        nonlocal gathered
        counts, extra, fresh, keys = result
        store.add(fresh)
        store.used(keys)
        stats.update(counts)
        gathered = gather(gathered, extra)

    _rewrite(target, calls, _row_job, each=remember, batches=batches, sizes=[_row_count(part) for part in parts])
    if batches is None or set(batches) >= set(BATCH_NAMES):  # what this run did not use (changed or removed
        store.keep_only(stage)  # files, older code) goes; a run of some batches did not see the others
    stats["out"] = stats["in"] - stats["rejected"]
    return stats, gathered


def decode(source: Folder, target: Folder, batches: Collection[str] = BATCH_NAMES) -> Stats:
    # not remembered: decoding costs less than reading a text back from the memo, and stored every text once more
    return _run("decode", source, target, None, batches=batches)[0]


def fix_mojibake(source: Folder, target: Folder, memo: Path | None = None, batches: Collection[str] = BATCH_NAMES) -> Stats:
    return _run("mojibake", source, target, memo, batches=batches)[0]


def tag_language(source: Folder, target: Folder, memo: Path | None = None) -> Stats:
    return _run("language", source, target, memo, tuple(sorted(wanted_languages())))[0]


def assess_quality(
    source: Folder, target: Folder, memo: Path | None, rules: tuple, enforced: bool, mask_pii: bool
) -> tuple[Stats, dict[str, tuple[str, str]]]:
    """The quality signals of every live document (its personal data masked first, with `mask_pii`), and the
    `rules` decided on them: failing documents rejected, or, not `enforced`, only counted. Also returns an example
    document for each rule documents failed first (how a reason names it, its text)."""
    return _run("quality", source, target, memo, (mask_pii,), (rules, enforced))


SIGNALS_READ = 100_000  # documents whose signals make the UI's table of their spread, at most


def quality_signals(folder: Folder, most: int = SIGNALS_READ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The quality signals of the live documents of a stage's table, as floats (NaN where there is none), of `most`
    of them at most, evenly spaced in the table's order; and each signal's largest value over them all. The run
    process holds no more, however large the corpus: every document's took 160 MB at a million, and a table a
    shard of the few kept (small buffers among a shard's passing ones) 130 MB more: the arrays are made first."""
    parts, live, largest = shards(folder), [], {}
    for part in parts:
        column = _live_signals(part)
        live.append(len(column))
        for field in column.type:
            if (top := pc.max(pc.struct_field(column, field.name)).as_py()) is not None:
                largest[field.name] = max(largest.get(field.name, top), top)
    n, at, filled = sum(live), 0, 0
    names = [field.name for field in DOCUMENTS.field("quality").type]
    signals = {name: np.empty(min(n, most)) for name in names}
    for part, count in zip(parts, live):
        index = np.arange(at, at + count)
        at += count
        taken = np.flatnonzero((index + 1) * most // n > index * most // n) if n > most else np.arange(count)
        if len(taken):
            column = _live_signals(part).take(pa.array(taken))
            for name in names:
                values = pc.struct_field(column, name).cast(pa.float64()).fill_null(np.nan)
                signals[name][filled : filled + len(taken)] = values.to_numpy()
            filled += len(taken)
    return signals, largest


def _live_signals(part: Folder) -> pa.ChunkedArray:
    table = read_shard(part, ["quality", "reject_stage"])
    return table.filter(pc.is_null(table["reject_stage"]))["quality"]
