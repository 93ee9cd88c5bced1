"""The shards on a Ray cluster beside the local pool, on the 10,000-document bench corpus (`make bench`): the pool
of 2 worker processes (the default here), Ray with 2 workers, the pool of 1 (which runs the jobs in the Dagster
process itself) and Ray with 1 worker, one after the other in one session, each as eval/bench_pipeline.py runs the
pipeline (through Dagster, an empty curated folder). Ray's head node runs on this machine, started as the tests
start it (tests/servers.py), and is not timed. Figures to stdout and eval/results/ray_speed.json."""

from __future__ import annotations

import json
import os

from eval.bench_corpus import ROOT, build
from eval.bench_pipeline import PROJECT, run_pipeline
from pipeline.publication import current
from tests.servers import ray_cluster

RESULTS = PROJECT / "eval" / "results" / "ray_speed.json"
RUNS = [("local pool, 2 workers", "pool", 2), ("Ray, 2 workers", "ray", 2), ("local pool, 1 worker", "pool", 1), ("Ray, 1 worker", "ray", 1)]


def main(n: int = 10_000) -> None:
    raw = build(n)
    work = ROOT / f"corpus-{n}-ray"
    results, hashes = {"documents": n, "cores": os.cpu_count(), "runs": {}}, set()
    results["note"] = "CPU and peak RSS are the Dagster run process tree's: Ray's workers (the raylet's children) are not in it"
    for name, engine, workers in RUNS:
        if engine == "pool":
            figures = run_pipeline(raw, work, PIPELINE_WORKERS=str(workers))
        else:
            with ray_cluster(cpus=workers) as address:
                figures = run_pipeline(raw, work, PIPELINE_RAY_ADDRESS=address)
        hashes.add(current(work / "curated")["corpus"]["content_hash"])
        stages = {key: figures["stages"][key]["seconds"] for key in ("mojibake_fixed", "quality")}
        results["runs"][name] = {"seconds": figures["seconds"], "cpu_seconds": figures["cpu_seconds"],
                                 "peak_rss_mb": figures["peak_rss_mb"], **{f"{k} seconds": v for k, v in stages.items()}}  # fmt: skip
        print(f"{name:24} {figures['seconds']:7.2f} s  CPU {figures['cpu_seconds']:6.1f} s  peak RSS {figures['peak_rss_mb']} MB  {stages}", flush=True)
    runs = results["runs"]
    results["ray_2_over_1"] = round(runs["Ray, 1 worker"]["seconds"] / runs["Ray, 2 workers"]["seconds"], 2)
    results["ray_1_over_pool_1"] = round(runs["Ray, 1 worker"]["seconds"] / runs["local pool, 1 worker"]["seconds"], 2)
    results["same_corpus"] = len(hashes) == 1
    print(f"Ray, 2 workers: {results['ray_2_over_1']}x the speed of 1; Ray with 1 worker takes {results['ray_1_over_pool_1']}x "
          f"the local pool's time; the same corpus every run: {results['same_corpus']}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
