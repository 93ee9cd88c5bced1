"""The asset graph: one asset per stage, each a thin call into pipeline.stages, reporting what it did."""

import collections

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.compute as pc

from pipeline import stages
from pipeline.corpus import COLUMN_DOCS, CORPUS, DOCUMENTS, PIPELINE_VERSION, REJECTED, SCHEMA_VERSION, publish
from pipeline.defs.resources import CorpusPaths

OWNERS = ["team:corpus"]
PREVIEW_DOCS = 3
PREVIEW_CHARS = 300


def table_schema(schema: pa.Schema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), description=COLUMN_DOCS.get(f.name)) for f in schema]
    )


def _preview(table: pa.Table) -> dg.MetadataValue:
    live = table.filter(pc.is_null(table["reject_stage"])).slice(0, PREVIEW_DOCS).to_pylist()
    parts = []
    for row in live:
        text = (row["text"] or "")[:PREVIEW_CHARS].replace("```", "'''")
        parts.append(f"**{row['source_path']}**\n```\n{text}\n```")
    return dg.MetadataValue.md("\n\n".join(parts) or "_no documents_")


def _stage_output(table: pa.Table, stats: collections.Counter) -> dg.Output:
    """The stage table plus what a person wants to see in the UI: counts in and out, changes, a preview."""
    changes = {k: v for k, v in stats.items() if k not in ("in", "out", "rejected")}
    return dg.Output(
        table,
        metadata={
            "dagster/row_count": stats["out"],
            "documents in": stats["in"],
            "documents out": stats["out"],
            "rejected here": stats["rejected"],
            "changes": dg.MetadataValue.json(changes),
            "preview": _preview(table),
        },
    )


def _stage(name: str, description: str, group: str = "clean"):
    """Declare a stage asset; all stages share owners, kinds and the column schema of the document table."""
    return dg.asset(
        name=name,
        description=description,
        group_name=group,
        kinds={"python", "parquet"},
        owners=OWNERS,
        code_version=PIPELINE_VERSION,
        metadata={"dagster/column_schema": table_schema(DOCUMENTS)},
    )


@_stage("raw_documents", "Every regular, non-hidden file under the raw folder, with its bytes and SHA-256.", "ingest")
def raw_documents(paths: CorpusPaths) -> dg.Output:
    return _stage_output(*stages.read_raw(paths.raw))


@_stage("decoded", "Bytes decoded to text: BOM, UTF-8, <meta charset>, else detected; empty and binary files rejected.")
def decoded(raw_documents: pa.Table, paths: CorpusPaths) -> dg.Output:
    return _stage_output(*stages.decode(raw_documents, paths.memo))


@_stage("mojibake_fixed", "Text decoded with the wrong code page repaired (pipeline.text.fix_mojibake).")
def mojibake_fixed(decoded: pa.Table, paths: CorpusPaths) -> dg.Output:
    return _stage_output(*stages.fix_mojibake(decoded, paths.memo))


@_stage("chrome_stripped", "HTML reduced to its main content; interface lines removed; forum posts' metadata kept.")
def chrome_stripped(mojibake_fixed: pa.Table, paths: CorpusPaths) -> dg.Output:
    output = _stage_output(*stages.strip_chrome(mojibake_fixed, paths.memo))
    removed = collections.Counter(line for lines in output.value.column("chrome_removed").to_pylist() for line in lines or ())
    sample = "\n".join(f"- `{line[:80]}` × {n}" for line, n in removed.most_common(20))
    return output.with_metadata({**output.metadata, "removed lines (most frequent)": dg.MetadataValue.md(sample or "_none_")})


@_stage("language_tagged", "Main language with its score and shares (langdetect, seeded); the page's own language.")
def language_tagged(chrome_stripped: pa.Table, paths: CorpusPaths) -> dg.Output:
    return _stage_output(*stages.tag_language(chrome_stripped, paths.memo))


@_stage("deduplicated", "Repeated paragraphs removed; exact and near copies (MinHash LSH) rejected with duplicate_of.")
def deduplicated(language_tagged: pa.Table) -> dg.Output:
    output = _stage_output(*stages.deduplicate(language_tagged))
    rows = output.value.select(["doc_id", "source_path", "duplicate_of", "reject_reason"]).to_pylist()
    path_of = {row["doc_id"]: row["source_path"] for row in rows}
    clusters = collections.defaultdict(list)
    for row in rows:
        if row["duplicate_of"]:
            clusters[row["duplicate_of"]].append(f"`{row['source_path']}` ({row['reject_reason'].split(' of ')[0]})")
    listing = "\n".join(f"- kept `{path_of.get(kept, kept)}`: {', '.join(copies)}" for kept, copies in sorted(clusters.items()))
    return output.with_metadata({**output.metadata, "duplicate clusters": dg.MetadataValue.md(listing or "_none_")})


SAMPLE_CHARS = 160  # of each document in the corpus's sample, raw and clean


def _version(file_metadata: dict[bytes, bytes]) -> dict[str, str]:
    """What a consumer pins a published file by, as the Parquet file itself records it."""
    return {key: file_metadata[key.encode()].decode() for key in ("run_id", "written_at", "content_hash")}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "corpus",
            deps=["deduplicated"],
            description="The clean corpus: curated/corpus/corpus.parquet, one row per kept document, with provenance.",
            group_name="curated",
            kinds={"parquet"},
            owners=OWNERS,
            code_version=PIPELINE_VERSION,
            metadata={"dagster/column_schema": table_schema(CORPUS)},
        ),
        dg.AssetSpec(
            "rejected",
            deps=["deduplicated"],
            description="Every raw file that is not in the corpus, with the stage and the reason: curated/rejected/rejected.parquet.",
            group_name="curated",
            kinds={"parquet"},
            owners=OWNERS,
            code_version=PIPELINE_VERSION,
            metadata={"dagster/column_schema": table_schema(REJECTED)},
        ),
    ],
    ins={"deduplicated": dg.AssetIn()},
)
def publish_corpus(context: dg.AssetExecutionContext, paths: CorpusPaths, deduplicated: pa.Table):
    """Write both tables atomically; a reader of curated/ sees the previous file or the new one."""
    corpus, rejected = stages.split_published(deduplicated, context.run.run_id)
    found = {name: items for name, items in stages.problems(corpus, rejected, set(stages.read_raw_listing(paths.raw))).items() if items}
    if found:  # do not publish: readers keep the previous corpus
        raise dg.Failure(description="the corpus is not fit to publish", metadata={k: v[:20] for k, v in found.items()})
    version = {"run_id": context.run.run_id, "row_count": str(corpus.num_rows)}
    corpus_path = publish(corpus, paths.curated / "corpus", "corpus", version)
    rejected_path = publish(rejected, paths.curated / "rejected", "rejected", {**version, "row_count": str(rejected.num_rows)})
    written = {name: pq.read_metadata(path).metadata for name, path in (("corpus", corpus_path), ("rejected", rejected_path))}
    # The raw form beside the clean one: the file's first bytes as UTF-8, damage and chrome included.
    shown = deduplicated.filter(pc.is_in(deduplicated["doc_id"], value_set=corpus["doc_id"].slice(0, 5).combine_chunks()))
    raw = {r["doc_id"]: (r["content"] or b"")[: SAMPLE_CHARS * 2].decode("utf-8", "replace")[:SAMPLE_CHARS]
           for r in shown.select(["doc_id", "content"]).to_pylist()}  # fmt: skip
    languages = collections.Counter(corpus["language"].to_pylist())
    reasons = collections.Counter(r.split(" of ")[0].split(":")[0] for r in rejected["reason"].to_pylist())
    common = {"pipeline_version": PIPELINE_VERSION, "schema_version": SCHEMA_VERSION}
    yield dg.MaterializeResult(
        asset_key="corpus",
        metadata={
            **common,
            **_version(written["corpus"]),
            "dagster/row_count": corpus.num_rows,
            "dagster/uri": corpus_path.as_uri(),
            "path": dg.MetadataValue.path(str(corpus_path)),
            "languages": dg.MetadataValue.json(dict(languages.most_common())),
            "characters": int(pc.sum(corpus["n_chars"]).as_py() or 0),
            "sample": dg.MetadataValue.table(
                records=[
                    dg.TableRecord({"source_path": r["source_path"], "language": r["language"], "raw": raw[r["doc_id"]],
                                    "text": r["text"][:SAMPLE_CHARS]})
                    for r in corpus.slice(0, 5).to_pylist()
                ],
                schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in ("source_path", "language", "raw", "text")]),
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="rejected",
        metadata={
            **common,
            **_version(written["rejected"]),
            "dagster/row_count": rejected.num_rows,
            "dagster/uri": rejected_path.as_uri(),
            "path": dg.MetadataValue.path(str(rejected_path)),
            "reasons": dg.MetadataValue.json(dict(reasons.most_common())),
            "rejected files": dg.MetadataValue.table(
                records=[
                    dg.TableRecord({"source_path": r["source_path"], "stage": r["stage"], "reason": r["reason"]})
                    for r in rejected.slice(0, 20).to_pylist()
                ],
                schema=dg.TableSchema(columns=[dg.TableColumn(c) for c in ("source_path", "stage", "reason")]),
            ),
        },
    )
