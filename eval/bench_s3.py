"""The curated location on object storage beside a local folder, on the 10,000-document bench corpus (`make bench`):
with `s3://` the stage tables, the memo's snapshot and the published version go to moto's S3 server on this machine
(tests/servers.py; a Python server sharing the two cores, so an upper bound on what a store costs), the raw folder
local in both. Each run as eval/bench_pipeline.py runs the pipeline (through Dagster, an empty curated location);
then each again on the same store and working folder, where every document is in the memo: with the local pool,
which reads the memo's SQLite file itself, and with a Ray cluster of 2 workers, whose tasks read it through the
actor on the run's node (pipeline.executors.MemoServer). Figures to stdout and eval/results/s3_speed.json."""

from __future__ import annotations

import json
import os
import shutil

import pyarrow.fs as pafs

from eval.bench_corpus import ROOT, build
from eval.bench_pipeline import PROJECT, run_pipeline
from tests.servers import ray_cluster, s3

RESULTS = PROJECT / "eval" / "results" / "s3_speed.json"
STORE = {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1"}


def main(n: int = 10_000) -> None:
    raw = build(n)
    work = ROOT / f"corpus-{n}-s3"
    results = {"documents": n, "cores": os.cpu_count(), "local seconds": run_pipeline(raw, work)["seconds"]}
    for folder in ("remote", "ray"):  # the memo of an earlier bench: nothing to reuse
        shutil.rmtree(work / folder, ignore_errors=True)
    with s3(work) as endpoint:  # a new server: an empty store
        store = pafs.S3FileSystem(endpoint_override=endpoint, access_key="key", secret_key="secret", region="us-east-1",
                                  allow_bucket_creation=True)  # fmt: skip
        store.create_dir("corpora")
        pool = lambda: run_pipeline(raw, work, "s3://corpora/curated", AWS_ENDPOINT_URL=endpoint, PIPELINE_WORK_DIR=str(work / "remote"), **STORE)["seconds"]  # noqa: E731
        results["moto S3 seconds"] = pool()
        results["moto S3, again (all from the memo) seconds"] = pool()
        with ray_cluster(cpus=2) as address:
            ray = lambda: run_pipeline(raw, work, "s3://corpora/ray", AWS_ENDPOINT_URL=endpoint, PIPELINE_WORK_DIR=str(work / "ray"),  # noqa: E731
                                       PIPELINE_RAY_ADDRESS=address, **STORE)["seconds"]  # fmt: skip
            results["Ray 2 workers, moto S3 seconds"] = ray()
            results["Ray 2 workers, moto S3, again (all from the memo, through the actor) seconds"] = ray()
    results["ratio"] = round(results["moto S3 seconds"] / results["local seconds"], 2)
    for name, seconds in results.items():
        print(f"{name:80} {seconds}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
