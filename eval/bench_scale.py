"""Memory of the Dagster run process as the corpus grows (issue 40): `make bench-scale`, or
`python -m eval.bench_scale [N ...]` (default 10,000, 100,000 and 1,000,000 documents).

The corpus is synthetic and small a document, so that a million fit on this machine: documents of 2-6 lines, each
line 1-3 sentences of the bench corpus's English pool (eval/bench_corpus.py) drawn at random, in JSONL.gz dumps of
50,000 records; one in twenty is an exact copy of an earlier one, one in fifty an earlier one with a word changed
(a near copy), one in ten carries one of a few site lines (chrome lines repeated across documents). Each size runs
`make run`'s command once (eval/bench_pipeline.run_pipeline: a fresh instance, an empty curated folder) while the
process tree is sampled. Reported per size: wall seconds, CPU ms a document, the peak RSS of the Dagster run
process (whole run, and in each step), of a worker, and of the tree. Figures go to stdout and
eval/results/scale_memory.json.
"""

from __future__ import annotations

import gzip
import json
import random
import sys

from eval.bench_corpus import ROOT, paragraphs, sentences
from eval.bench_pipeline import PROJECT, run_pipeline

RESULTS = PROJECT / "eval" / "results" / "scale_memory.json"
VERSION = 2  # of the corpus below: a change makes it again
DUMP_RECORDS = 50_000
SITE_LINES = ["Share this post", "Back to the index", "Subscribe to the newsletter", "Report this post", "All rights reserved"]


def build(n: int, seed: int = 40):
    """.bench/scale-N/raw/, made once; returns its path."""
    raw = ROOT / f"scale-{n}" / "raw"
    done = raw.parent / "made.json"
    if done.exists() and json.loads(done.read_text()).get("version") == VERSION:
        return raw
    raw.mkdir(parents=True, exist_ok=True)
    for old in raw.glob("*.jsonl.gz"):
        old.unlink()
    pool, rng, made, size = sentences(paragraphs())["en"], random.Random(seed), [], 0
    dump = None
    for k in range(n):
        if k % DUMP_RECORDS == 0:
            if dump:
                dump.close()
            dump = gzip.open(raw / f"dump-{k // DUMP_RECORDS:04d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1)
        roll = rng.random()
        if made and roll < 0.05:
            text = rng.choice(made)
        elif made and roll < 0.07:
            words = rng.choice(made).split(" ")
            words[rng.randrange(len(words))] = "edited"
            text = " ".join(words)
        else:
            lines = [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 6))]
            if roll < 0.17:
                lines.append(rng.choice(SITE_LINES))
            text = "\n".join(lines)
            if len(made) < 20_000:  # copies are of the first documents: the pool to copy from stays small
                made.append(text)
        dump.write(json.dumps({"id": f"doc-{k}", "text": text}) + "\n")
        size += len(text.encode())
    dump.close()
    done.write_text(json.dumps({"documents": n, "text_bytes": size, "seed": seed, "version": VERSION}))
    return raw


def main(sizes: list[int]) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for n in sizes:
        raw = build(n)
        run = run_pipeline(raw, ROOT / f"scale-{n}")
        by_process = run["peak_rss_mb_by_process"]
        entry = {
            "seconds": run["seconds"],
            "cpu_ms_per_document": round(run["cpu_seconds"] * 1000 / n, 2),
            "peak_rss_mb_dagster_run": by_process.get("dagster run"),
            "peak_rss_mb_worker": by_process.get("worker"),
            "peak_rss_mb_tree": run["peak_rss_mb"],
            "dagster_run_mb_in": {step: figures["peak_rss_mb_dagster_run"] for step, figures in run["stages"].items()},
            "seconds_in": {step: run["stages"][step]["seconds"] for step in run["stages"]},
        }
        results[str(n)] = entry
        print(f"{n:>9} documents: {entry['seconds']} s, {entry['cpu_ms_per_document']} ms CPU a document; peak RSS: "
              f"Dagster run process {entry['peak_rss_mb_dagster_run']} MB ({entry['dagster_run_mb_in']}), "
              f"a worker {entry['peak_rss_mb_worker']} MB, the tree {entry['peak_rss_mb_tree']} MB", flush=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"figures in {RESULTS}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000])
