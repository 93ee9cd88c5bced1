"""The curated location on object storage beside a local folder, on the 10,000-document bench corpus (`make bench`):
with `s3://` the stage tables, the memo's snapshot and the published version go to moto's S3 server on this machine
(tests/servers.py; a Python server sharing the two cores, so an upper bound on what a store costs), the raw folder
local in both. Each run as eval/bench_pipeline.py runs the pipeline (through Dagster, an empty curated location).
Figures to stdout and eval/results/s3_speed.json."""

from __future__ import annotations

import json
import os
import shutil

import pyarrow.fs as pafs

from eval.bench_corpus import ROOT, build
from eval.bench_pipeline import PROJECT, run_pipeline
from tests.servers import s3

RESULTS = PROJECT / "eval" / "results" / "s3_speed.json"
STORE = {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1"}


def main(n: int = 10_000) -> None:
    raw = build(n)
    work = ROOT / f"corpus-{n}-s3"
    local = run_pipeline(raw, work)["seconds"]
    shutil.rmtree(work / "remote", ignore_errors=True)  # the memo of an earlier bench: nothing to reuse
    with s3(work) as endpoint:  # a new server: an empty store
        store = pafs.S3FileSystem(endpoint_override=endpoint, access_key="key", secret_key="secret", region="us-east-1",
                                  allow_bucket_creation=True)  # fmt: skip
        store.create_dir("corpora")
        remote = run_pipeline(raw, work, "s3://corpora/curated", AWS_ENDPOINT_URL=endpoint, PIPELINE_WORK_DIR=str(work / "remote"), **STORE)["seconds"]
    results = {"documents": n, "cores": os.cpu_count(), "local seconds": local, "moto S3 seconds": remote, "ratio": round(remote / local, 2)}
    print(f"curated local {local} s, on moto's S3 {remote} s: {results['ratio']}x")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
