"""Checks on the published corpus, read back from Parquet the way a consumer reads it. The blocking ones are
made before publication too: a corpus that fails them is not written."""

from concurrent.futures import ThreadPoolExecutor

import dagster as dg

from pipeline import progress
from pipeline.defs.resources import CorpusPaths
from pipeline.intake import read_raw_listing
from pipeline.publication import current, files, mojibake_left, problems

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
    """The same tests the publishing step makes before it writes (publication.problems), made again on what a
    consumer reads; and a warning for mojibake left."""
    progress.begin("checks")
    manifest = current(paths.curated)  # the version a reader reads
    corpus, rejected = ([paths.curated / f for f in files(manifest, table)] for table in ("corpus", "rejected"))
    with ThreadPoolExecutor(1) as tally:  # counted in this process while the workers look for mojibake
        counted = tally.submit(problems, corpus, rejected, read_raw_listing(paths.raw))
        broken = mojibake_left(corpus)
    failed = [name for name, found in counted.result().items() if found] + (["no_mojibake_left (a warning)"] if broken else [])
    progress.end(f"{'failed: ' + ', '.join(failed) if failed else 'all four checks passed'}")
    for name, found in counted.result().items():
        yield dg.AssetCheckResult(check_name=name, asset_key="corpus", passed=not found, metadata={"found": found[:20]})
    yield dg.AssetCheckResult(
        check_name="no_mojibake_left", asset_key="corpus", passed=not broken,
        severity=dg.AssetCheckSeverity.WARN, metadata={"documents": broken[:20]},
    )  # fmt: skip
