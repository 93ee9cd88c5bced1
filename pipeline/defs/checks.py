"""Checks on the published corpus, read back from Parquet the way a consumer reads it."""

import collections

import dagster as dg
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.defs.resources import CorpusPaths
from pipeline.stages import read_raw_listing
from pipeline.text import has_mojibake

_SPECS = [
    dg.AssetCheckSpec("doc_id_unique", asset="corpus", blocking=True, description="No doc_id appears twice."),
    dg.AssetCheckSpec("no_empty_text", asset="corpus", blocking=True, description="Every document has text."),
    dg.AssetCheckSpec("no_mojibake_left", asset="corpus", description="No document still looks like mojibake."),
    dg.AssetCheckSpec(
        "every_raw_file_accounted_for", asset="corpus", blocking=True,
        description="Every regular, non-hidden raw file is in exactly one of corpus and rejected.",
    ),  # fmt: skip
]


@dg.multi_asset_check(specs=_SPECS)
def corpus_checks(paths: CorpusPaths):
    corpus = pq.read_table(paths.curated / "corpus" / "corpus.parquet")
    rejected = pq.read_table(paths.curated / "rejected" / "rejected.parquet")

    ids = collections.Counter(corpus["doc_id"].to_pylist())
    repeated = [i for i, n in ids.items() if n > 1]
    yield dg.AssetCheckResult(
        check_name="doc_id_unique", asset_key="corpus", passed=not repeated, metadata={"repeated": repeated[:20]}
    )

    empty = corpus.filter(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(corpus["text"])), 0))
    yield dg.AssetCheckResult(
        check_name="no_empty_text", asset_key="corpus", passed=empty.num_rows == 0,
        metadata={"empty": empty["source_path"].to_pylist()[:20]},
    )  # fmt: skip

    broken = [r["source_path"] for r in corpus.select(["source_path", "text"]).to_pylist() if has_mojibake(r["text"])]
    yield dg.AssetCheckResult(
        check_name="no_mojibake_left", asset_key="corpus", passed=not broken,
        severity=dg.AssetCheckSeverity.WARN, metadata={"documents": broken[:20]},
    )  # fmt: skip

    raw = set(read_raw_listing(paths.raw))
    published = collections.Counter(corpus["source_path"].to_pylist() + rejected["source_path"].to_pylist())
    missing, extra = sorted(raw - set(published)), sorted(set(published) - raw)
    twice = sorted(p for p, n in published.items() if n > 1)
    yield dg.AssetCheckResult(
        check_name="every_raw_file_accounted_for", asset_key="corpus", passed=not (missing or extra or twice),
        metadata={"raw files": len(raw), "missing": missing[:20], "not in raw": extra[:20], "twice": twice[:20]},
    )  # fmt: skip
