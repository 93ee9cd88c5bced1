"""The asset graph: one asset per stage, each a thin call into pipeline.intake, .stages or .across_documents,
reporting what it did."""

import collections
import contextlib
import errno
import os
import shutil
import sqlite3
import warnings
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.compute as pc

from pipeline import across_documents, executors, intake, progress, runlock, stages, storage, tables
from pipeline.card import card, write_card
from pipeline.publication import Tally, Version, files, published_parts
from pipeline.corpus import (
    COLUMN_DOCS, CORPUS, DOCUMENTS, PIPELINE_VERSION, REJECTED, SCHEMA_VERSION, LocationError, SettingError,
    batches_per_run, extractor, max_document_bytes, pii_masked, quality_enforced, quality_rules_file, shown_path,
)  # fmt: skip
from pipeline.text.quality import RULES_FILE, RulesError, load_rules
from pipeline.defs.resources import CorpusPaths

OWNERS = ["team:corpus"]
PREVIEW_DOCS = 3
PREVIEW_CHARS = 300


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), description=COLUMN_DOCS.get(f.name)) for f in schema]
    )


def _preview(folder, batches=None) -> dg.MetadataValue:
    parts = []
    for part in tables.shards(folder, batches):
        table = tables.read_shard(part, ["source_path", "text", "reject_stage"])
        for row in table.filter(pc.is_null(table["reject_stage"])).slice(0, PREVIEW_DOCS - len(parts)).to_pylist():
            text = (row["text"] or "")[:PREVIEW_CHARS].replace("```", "\'\'\'")
            parts.append(f"**{row['source_path']}**\n```\n{text}\n```")
        if len(parts) >= PREVIEW_DOCS:
            break
    return dg.MetadataValue.md("\n\n".join(parts) or "_no documents_")


def _batches_table(folder, batches) -> dg.MetadataValue:
    rows = ["| batch | documents | rejected so far |", "|---|---|---|"]
    rows += [f"| {batch} | {n} | {r} |" for batch, (n, r) in tables.batch_counts(folder, batches).items()]
    return dg.MetadataValue.md("\n".join(rows))


def _stage_result(paths: CorpusPaths, name: str, stats: collections.Counter, batches=None, **more) -> dg.MaterializeResult:
    """What a person wants to see in the UI of a stage: counts in and out, changes, a preview, where it is; of an
    ingest stage, what each batch of the run holds (a run of several batches gives them all the same metadata)."""
    changes = {k: v for k, v in stats.items() if k not in ("in", "out", "rejected")}
    folder = paths.stage(name)
    progress.end(f"{stats['in']:>7} documents in, {stats['out']} out, {stats['rejected']} rejected")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stats["out"],
            "documents in": stats["in"],
            "documents out": stats["out"],
            "rejected here": stats["rejected"],
            "changes": dg.MetadataValue.json(changes),
            "preview": _preview(folder, batches),
            **({"batches": _batches_table(folder, batches)} if batches else {}),
            "shards": len(tables.shards(folder, batches)),
            "ran on": executors.ran_on(),
            "path": dg.MetadataValue.path(str(folder)),
            **more,
        },
    )


# The ingest stages are partitioned: a batch of the raw files each (pipeline.tables.batch_of). By default every
# asset runs a range of batches in one run (a single-run backfill policy), so `make run` is one run: the ingest
# stages for every batch, then the rest, which always reads every batch. With PIPELINE_BATCHES_PER_RUN=n a backfill
# launched from the UI is a run per n batches (each with its own metadata and its own failure, spread by the run
# launcher), then one run of the rest once every batch is done; runs of different batches may run at once.
BATCHES = dg.StaticPartitionsDefinition(list(tables.BATCH_NAMES))
warnings.filterwarnings("ignore", "Parameter `backfill_policy`", dg.BetaWarning)  # beta in Dagster 1.13, and what we need
BATCH_POLICY = dg.BackfillPolicy.multi_run(n) if (n := batches_per_run()) else dg.BackfillPolicy.single_run()
EVERY_BATCH = {"dagster/asset_partition_range_start": tables.BATCH_NAMES[0], "dagster/asset_partition_range_end": tables.BATCH_NAMES[-1]}
# `make run`'s command (the Makefile spells it out; a test keeps the two alike)
MATERIALIZE_ALL = ["asset", "materialize", "-m", "pipeline.definitions", "--select", "*", "--partition-range", f"{tables.BATCH_NAMES[0]}...{tables.BATCH_NAMES[-1]}"]


def _one_run(context: dg.AssetExecutionContext, paths: CorpusPaths, step: str) -> contextlib.AbstractContextManager:
    """The curated folder's lock for this step (pipeline.runlock): a second run waits, saying for which. Where the
    raw or curated location cannot be used, none: the step itself fails, saying why, before anything is written."""
    try:
        work = paths.raw and paths.work  # (both checked: each raises LocationError where it cannot be used)
    except LocationError:
        return contextlib.nullcontext()

    def waiting(holder: str) -> None:
        message = f"{step}: waiting for {holder} on {shown_path(paths.curated)}"
        context.log.info(message)
        progress.say(message)

    return runlock.held(work, f"run {context.run.run_id}, step {step}", waiting)


def _disk_full(error: Exception) -> bool:
    """A write that found no space: an OSError ENOSPC (pyarrow's too), or SQLite's "database or disk is full"."""
    return getattr(error, "errno", None) == errno.ENOSPC or "disk is full" in str(error)


def _no_space(paths: CorpusPaths, step: str, upstream: str | None) -> str:
    """What a step that filled the disk says: the folder, the space free there (what it wrote is gone again), and
    about what it needs: a table as large as the one it reads (the raw files, for the first)."""
    if upstream:
        need = sum(os.path.getsize(p) for p in tables.shards(paths.stage(upstream)) if isinstance(p, Path))
    else:
        need = sum(p.stat().st_size for p in intake.read_raw_listing(paths.raw).values() if isinstance(p, Path) and p.is_file())
    free = shutil.disk_usage(paths.work).free
    return (f"{step}: no space left on the device of {shown_path(paths.work)}: {free:,} bytes free, and the stage writes a "
            f"table about as large as the one it reads ({need:,} bytes). What it wrote is removed; the corpus published "
            "last and the memo stay as they were.")  # fmt: skip


def _stage(name: str, description: str, upstream: str | None, group: str = "clean", batched: bool = False):
    """Declare a stage asset; all stages share owners, kinds and the column schema of the document table, and
    say on the terminal where they are (pipeline.progress). A `batched` one is partitioned by BATCHES and is
    given the run's batches."""
    declare = dg.asset(
        name=name,
        description=description,
        group_name=group,
        deps=[upstream] if upstream else None,
        kinds={"python", "arrow"},
        owners=OWNERS,
        code_version=PIPELINE_VERSION,
        metadata={"dagster/column_schema": table_schema(DOCUMENTS)},
        partitions_def=BATCHES if batched else None,
        backfill_policy=BATCH_POLICY if batched else dg.BackfillPolicy.single_run(),
    )

    def decorate(fn):
        def stage(context: dg.AssetExecutionContext, paths: CorpusPaths) -> dg.MaterializeResult:
            with _one_run(context, paths, name):
                progress.begin(name)
                try:
                    return fn(paths, context.partition_keys) if batched else fn(paths)
                except (OSError, sqlite3.OperationalError) as e:
                    if not _disk_full(e):
                        raise
                    raise dg.Failure(description=_no_space(paths, name, upstream), allow_retries=False) from None

        return declare(stage)

    return decorate


@_stage("raw_documents", "Every non-hidden file under the raw folder, and every record of its archives and dumps (WARC, WET, JSONL, Parquet), with its bytes and SHA-256; a batch of the files by a hash of their path each partition.", None, "ingest", batched=True)
def raw_documents(paths: CorpusPaths, batches: list[str]) -> dg.MaterializeResult:
    try:
        raw, target, limit = paths.raw, paths.stage("raw_documents"), max_document_bytes()
    except (LocationError, SettingError) as e:  # before anything is written: the corpus published last stays as it was
        raise dg.Failure(description=str(e), allow_retries=False) from None
    fetched = paths.fetch_memo()  # a new machine building a remote corpus starts from its last run's results
    stats = intake.read_raw(raw, target, batches, limit)
    return _stage_result(paths, "raw_documents", stats, batches, **({"memo fetched from": paths.published} if fetched else {}))


@_stage("decoded", "Bytes decoded to text: BOM, HTTP charset, UTF-8, <meta charset>, else detected; control characters out; empty and binary files rejected.", "raw_documents", batched=True)
def decoded(paths: CorpusPaths, batches: list[str]) -> dg.MaterializeResult:
    return _stage_result(paths, "decoded", stages.decode(paths.stage("raw_documents"), paths.stage("decoded"), batches), batches)


@_stage("mojibake_fixed", "Text decoded with the wrong code page repaired (pipeline.text.fix_mojibake).", "decoded", batched=True)
def mojibake_fixed(paths: CorpusPaths, batches: list[str]) -> dg.MaterializeResult:
    stats = stages.fix_mojibake(paths.stage("decoded"), paths.stage("mojibake_fixed"), paths.memo, batches)
    return _stage_result(paths, "mojibake_fixed", stats, batches)


@_stage("chrome_stripped", "HTML reduced to its main content (html_to_text voted with trafilatura, PIPELINE_EXTRACTOR); interface lines removed; forum posts' metadata kept; a page of nothing but interface rejected, named by the quality rule its text fails.", "mojibake_fixed")
def chrome_stripped(paths: CorpusPaths) -> dg.MaterializeResult:
    try:  # the quality rules name what a page of nothing but chrome is (a list of products: gopher_bullets)
        rules, reader = load_rules(quality_rules_file()), extractor()
    except (SettingError, RulesError) as e:
        raise dg.Failure(description=str(e), allow_retries=False) from None
    stats = across_documents.strip_chrome(paths.stage("mojibake_fixed"), paths.stage("chrome_stripped"), paths.memo, rules, reader)
    removed: collections.Counter = collections.Counter()
    for part in tables.shards(paths.stage("chrome_stripped")):
        lines = tables.read_shard(part, ["chrome_removed"])["chrome_removed"]
        removed.update(pc.list_flatten(lines).to_pylist())
    sample = "\n".join(f"- `{line[:80]}` × {n}" for line, n in removed.most_common(20))
    return _stage_result(paths, "chrome_stripped", stats, **{"removed lines (most frequent)": dg.MetadataValue.md(sample or "_none_"), "extractor": reader})


@_stage("language_tagged", "Main language with its score and shares (langdetect's model); the page's own language.", "chrome_stripped")
def language_tagged(paths: CorpusPaths) -> dg.MaterializeResult:
    return _stage_result(paths, "language_tagged", stages.tag_language(paths.stage("chrome_stripped"), paths.stage("language_tagged"), paths.memo))


CLUSTERS_SHOWN = 50


@_stage("deduplicated", "Repeated paragraphs and boilerplate removed; exact and near copies (MinHash LSH) rejected with duplicate_of.", "language_tagged")
def deduplicated(paths: CorpusPaths) -> dg.MaterializeResult:
    stats, copies = across_documents.deduplicate(paths.stage("language_tagged"), paths.stage("deduplicated"))
    clusters = collections.defaultdict(list)
    for c in copies.listed(kept_paths=CLUSTERS_SHOWN):
        how = "exact copy" if c.kind == "exact" else f"near copy, Jaccard {c.similarity:.2f}"
        clusters[c.kept_path].append(f"`{c.path}` ({how})")
    listing = "\n".join(f"- kept `{kept}`: {', '.join(found)}" for kept, found in clusters.items())
    if (more := copies.kept_paths() - len(clusters)) > 0:
        listing += f"\n- … and {more} more clusters"
    copies.close()
    return _stage_result(paths, "deduplicated", stats, **{"duplicate clusters": dg.MetadataValue.md(listing or "_none_")})


BARS = "▁▂▃▄▅▆▇█"
HISTOGRAM_BINS = 12


def _named_at_chrome(folder) -> collections.Counter:
    """How many pages of nothing but chrome each quality rule named at the chrome stage (stages._name_all_chrome)."""
    named: collections.Counter = collections.Counter()
    for part in tables.shards(folder):
        table = tables.read_shard(part, ["reject_stage", "reject_reason"])
        for stage, reason in zip(table["reject_stage"].to_pylist(), table["reject_reason"].to_pylist()):
            if stage == "chrome" and reason.startswith("quality:"):
                named[reason.split()[0].removeprefix("quality:")] += 1
    return named


def _rules_table(rules: tuple, stats: collections.Counter, named: collections.Counter, examples: dict[str, tuple[str, str]]) -> str:
    """Each rule, what it rejects, how many documents failed it first, how many pages of nothing but chrome it
    named at the chrome stage (`named`: rejected there whatever PIPELINE_QUALITY says), and the first document it rejected."""
    rows = ["| rule | rejects when | documents | pages of nothing but chrome | example |", "|---|---|---|---|---|"]
    for rule in rules:
        n = stats[f"rejected: {rule.name}"] or stats[f"would reject: {rule.name}"]
        name, text = examples.get(rule.name, ("", ""))
        example = f"`{name}`: {' '.join(text.split())[:120]}".replace("|", "\\|") if name else ""
        rows.append(f"| {rule.name} | {rule.when()} | {n} | {named[rule.name]} | {example} |")
    return "\n".join(rows)


def _signals_table(signals: dict[str, np.ndarray], largest: dict[str, float]) -> str:
    """Each signal's spread over the documents kept (`signals`, of some of them: stages.quality_signals): quantiles
    and a histogram from its least to its `largest` value."""
    rows = ["| signal | p10 | median | p90 | max | histogram |", "|---|---|---|---|---|---|"]
    for name, values in signals.items():
        values = values[~np.isnan(values)]
        if not len(values):
            rows.append(f"| {name} | | | | | _none_ |")
            continue
        p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
        top = largest[name]  # over every document (the sample's largest is among them)
        counts, _ = np.histogram(values, HISTOGRAM_BINS, (values.min(), max(top, values.min() + 1e-9)))
        bars = "".join(BARS[min(len(BARS) - 1, int(len(BARS) * c / counts.max()))] if c else " " for c in counts)
        rows.append(f"| {name} | {p10:.3g} | {p50:.3g} | {p90:.3g} | {top:.3g} | `{bars}` |")
    return "\n".join(rows)


@_stage("quality", "Quality signals of every document (Gopher, C4, FineWeb) in the `quality` column; documents failing a rule of pipeline/text/quality_rules.toml rejected as `quality:<rule>`; personal data masked with PIPELINE_PII=mask.", "deduplicated")
def quality(paths: CorpusPaths) -> dg.MaterializeResult:
    try:  # the settings, read once, before any document is judged: on an error the corpus published last stays
        rules_file, enforced, masked = quality_rules_file(), quality_enforced(), pii_masked()
        rules = load_rules(rules_file)
    except (SettingError, RulesError) as e:
        raise dg.Failure(description=str(e), allow_retries=False) from None
    stats, examples = stages.assess_quality(paths.stage("deduplicated"), paths.stage("quality"), paths.memo, rules, enforced, masked)
    signals, largest = stages.quality_signals(paths.stage("quality"))
    return _stage_result(
        paths, "quality", stats,
        **{"rules": dg.MetadataValue.md(_rules_table(rules, stats, _named_at_chrome(paths.stage("chrome_stripped")), examples)),
           "signals": dg.MetadataValue.md(_signals_table(signals, largest)),
           "quality rules enforced": enforced,
           "rules file": dg.MetadataValue.path(str(rules_file or RULES_FILE)),
           "personal data masked": masked},
    )  # fmt: skip


SAMPLE_CHARS = 160  # of each document in the corpus's sample, raw and clean


def _reason_kind(reason: str) -> str:
    """A reason without its particulars: "exact copy", "language", "quality:gopher_repetition"."""
    return reason.split(" (")[0] if reason.startswith("quality:") else reason.split(" of ")[0].split(":")[0]


def _first_rows(paths: list[Path], columns: list[str], n: int) -> list[dict]:
    rows = []
    for path in paths:
        rows += next(pq.ParquetFile(path).iter_batches(batch_size=n, columns=columns), pa.table({})).to_pylist()[: n - len(rows)]
    return rows


def _files_table(listed: list[dict]) -> dg.MetadataValue:
    """A table's files as the manifest lists them."""
    columns = [c for c in ("path", "language", "rows", "bytes") if not listed or c in listed[0]]
    return dg.MetadataValue.table(records=[dg.TableRecord({c: f[c] for c in columns}) for f in listed],
                                  schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in columns]))  # fmt: skip


@dg.multi_asset(
    backfill_policy=dg.BackfillPolicy.single_run(),
    specs=[
        dg.AssetSpec(
            "corpus",
            deps=["quality"],
            description="The clean corpus, one row per kept document, with provenance: Parquet files a folder per language under curated/corpus/ (the current version; curated/manifest.json lists its files).",
            group_name="curated",
            kinds={"parquet"},
            owners=OWNERS,
            code_version=PIPELINE_VERSION,
            metadata={"dagster/column_schema": table_schema(CORPUS)},
        ),
        dg.AssetSpec(
            "rejected",
            deps=["quality"],
            description="Every raw file that is not in the corpus, with the stage and the reason: curated/rejected/.",
            group_name="curated",
            kinds={"parquet"},
            owners=OWNERS,
            code_version=PIPELINE_VERSION,
            metadata={"dagster/column_schema": table_schema(REJECTED)},
        ),
    ],
)
def publish_corpus(context: dg.AssetExecutionContext, paths: CorpusPaths):
    """Write both tables into a new version (pipeline.publication) a shard at a time, check them, then make the
    version current: a reader of curated/ sees the previous version or the new one; never two runs at once."""
    with _one_run(context, paths, "publish_corpus"):
        yield from _publish(context, paths)


def _publish(context: dg.AssetExecutionContext, paths: CorpusPaths):
    progress.begin("publish")
    version = Version(paths.curated, context.run.run_id)
    languages, reasons, characters, sample, tally = collections.Counter(), collections.Counter(), 0, [], Tally()
    try:
        for corpus, rejected in published_parts(paths.stage("quality"), context.run.run_id):
            version.corpus.write(corpus)
            version.rejected.write(rejected)
            tally.corpus(corpus)
            tally.rejected(rejected)
            languages.update(corpus["language"].to_pylist())
            reasons.update(_reason_kind(r) for r in rejected["reason"].to_pylist())
            characters += int(pc.sum(corpus["n_chars"]).as_py() or 0)
            sample += corpus.select(["source_path", "source_record", "language", "text"]).slice(0, 5 - len(sample)).to_pylist()
        manifest = version.close()
        raw_files = intake.read_raw_listing(paths.raw)
        found = tally.problems(raw_files)
        if found := {name: items for name, items in found.items() if items}:  # readers keep the previous corpus
            raise dg.Failure(description="the corpus is not fit to publish", metadata={k: v[:20] for k, v in found.items()})
        manifest_path = version.commit()
    finally:
        version.discard()
    # the dataset card, so that datasets.load_dataset(<curated>) reads both tables of this version as they are
    readme = write_card(paths.curated, card(manifest, characters, dict(languages.most_common()), dict(reasons.most_common())))
    folder = {table: version.folder / table for table in ("corpus", "rejected")}
    uri = {table: path.as_uri() for table, path in folder.items()}
    if paths.published:  # committed here, then uploaded: the remote manifest, uploaded last, switches readers
        paths.upload_version(version, readme)
        uri = {table: paths.remote(path) for table, path in folder.items()}
    # The raw form beside the clean one: the file's first bytes as UTF-8, damage and chrome included.
    for row in sample:
        if row.get("source_record"):  # a record of an archive: its raw form is not the archive's first bytes
            row["raw"] = ""
            continue
        try:
            row["raw"] = storage.read_head(raw_files[row["source_path"]], SAMPLE_CHARS * 2).decode("utf-8", "replace")[:SAMPLE_CHARS]
        except (KeyError, OSError):  # gone since it was read
            row["raw"] = ""
    shown = uri["corpus"] if paths.published else shown_path(paths.curated / "corpus")
    progress.end(f"{manifest['corpus']['rows']:>7} documents in the corpus, {manifest['rejected']['rows']} rejected: {shown}")
    common = {"pipeline_version": PIPELINE_VERSION, "schema_version": SCHEMA_VERSION, "version": version.name, "run_id": context.run.run_id,
              "written_at": manifest["written_at"], "manifest": dg.MetadataValue.path(str(manifest_path))}
    yield dg.MaterializeResult(
        asset_key="corpus",
        metadata={
            **common,
            "content_hash": manifest["corpus"]["content_hash"],
            "dagster/row_count": manifest["corpus"]["rows"],
            "dagster/uri": uri["corpus"],
            "path": dg.MetadataValue.path(str(folder["corpus"])),
            "files": _files_table(manifest["corpus"]["files"]),
            "languages": dg.MetadataValue.json(dict(languages.most_common())),
            "characters": characters,
            "sample": dg.MetadataValue.table(
                records=[dg.TableRecord({**r, "text": r["text"][:SAMPLE_CHARS]}) for r in sample],
                schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in ("source_path", "language", "raw", "text")]),
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="rejected",
        metadata={
            **common,
            "content_hash": manifest["rejected"]["content_hash"],
            "dagster/row_count": manifest["rejected"]["rows"],
            "dagster/uri": uri["rejected"],
            "path": dg.MetadataValue.path(str(folder["rejected"])),
            "reasons": dg.MetadataValue.json(dict(reasons.most_common())),
            "rejected files": dg.MetadataValue.table(
                records=[dg.TableRecord(r) for r in _first_rows([paths.curated / f for f in files(manifest, "rejected")], ["source_path", "stage", "reason"], 20)],
                schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in ("source_path", "stage", "reason")]),
            ),
        },
    )
