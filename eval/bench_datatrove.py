"""datatrove's steps that do what one of the pipeline's does, timed on the pipeline's own stage tables.

Run by eval/bench_pipeline.py with the interpreter of a separate virtual environment (datatrove and its
dependencies are not the pipeline's): `python eval/bench_datatrove.py WORK OUT` reads the stage tables in
WORK (Parquet copies of the pipeline's shards, with `doc_id` and `text`), writes datatrove's output under OUT,
and prints the seconds of each comparison as JSON. Each pipeline runs with LocalPipelineExecutor on as many tasks and workers as cores.
  - mojibake: ParquetReader -> FTFYFormatter -> ParquetWriter, on the decoded texts
    (ours: the mojibake_fixed stage, which reads, repairs and writes the same shards);
  - exact and near copies: ExactDedupSignature/ExactFindDedups/ExactDedupFilter, then MinhashDedupSignature/
    Buckets/Cluster/Filter, on the language-tagged texts (ours: the deduplicated stage, which also removes
    repeated paragraphs and boilerplate);
  - Parquet writing: ParquetReader -> ParquetWriter of the deduplicated texts (ours: publish_corpus).
"""

import json
import os
import shutil
import sys
import time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig, ExactDedupFilter, ExactDedupSignature, ExactFindDedups
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.formatters import FTFYFormatter
from datatrove.pipeline.readers import ParquetReader
from datatrove.pipeline.writers import ParquetWriter

CORES = os.cpu_count() or 1


def reader(folder: Path) -> ParquetReader:
    return ParquetReader(str(folder), text_key="text", id_key="doc_id", read_metadata=False, glob_pattern="part-*.parquet")


def run(steps: list, out: Path, name: str, tasks: int = CORES) -> float:
    start = time.perf_counter()
    LocalPipelineExecutor(pipeline=steps, tasks=tasks, workers=CORES, logging_dir=str(out / "logs" / name),
                          skip_completed=False).run()  # fmt: skip
    return time.perf_counter() - start


def main(work: Path, out: Path) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seconds = {}
    seconds["mojibake"] = run([reader(work / "decoded"), FTFYFormatter(), ParquetWriter(str(out / "ftfy"))], out, "ftfy")
    exact = ExactDedupConfig(content_getter=lambda doc: doc.text)
    seconds["dedup"] = sum([
        run([reader(work / "language_tagged"), ExactDedupSignature(str(out / "exact-sigs"), config=exact)], out, "exact1"),
        run([ExactFindDedups(str(out / "exact-sigs"), str(out / "exact-dups"), config=exact)], out, "exact2", tasks=1),
        run([reader(work / "language_tagged"), ExactDedupFilter(str(out / "exact-dups"), config=exact),
             ParquetWriter(str(out / "exact-kept"))], out, "exact3"),  # fmt: skip
        run([ParquetReader(str(out / "exact-kept"), read_metadata=False),
             MinhashDedupSignature(str(out / "minhash-sigs"), config=MinhashConfig())], out, "minhash1"),  # fmt: skip
        run([MinhashDedupBuckets(str(out / "minhash-sigs"), str(out / "minhash-buckets"), config=MinhashConfig())], out, "minhash2",
            tasks=MinhashConfig().num_buckets),  # fmt: skip
        run([MinhashDedupCluster(str(out / "minhash-buckets"), str(out / "minhash-ids"), config=MinhashConfig())], out, "minhash3", tasks=1),
        run([ParquetReader(str(out / "exact-kept"), read_metadata=False), MinhashDedupFilter(str(out / "minhash-ids")),
             ParquetWriter(str(out / "dedup-kept"))], out, "minhash4"),  # fmt: skip
    ])
    seconds["publish"] = run([reader(work / "deduplicated"), ParquetWriter(str(out / "written"), compression="zstd")], out, "write")
    return {k: round(v, 2) for k, v in seconds.items()}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
