"""The curated location on object storage beside a local folder, on the 10,000-document bench corpus (`make bench`):
with `s3://` the stage tables, the memo's snapshot and the published version go to moto's S3 server on this machine
(tests/servers.py; a Python server sharing the two cores, so an upper bound on what a store costs), the raw folder
local in both. Each run is `make run`'s command in a new Dagster home, timed whole. Figures to stdout and
eval/results/s3_speed.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.fs as pafs

from eval.bench_corpus import build
from eval.bench_pipeline import PROJECT
from pipeline.defs.assets import MATERIALIZE_ALL
from tests.servers import s3

RESULTS = PROJECT / "eval" / "results" / "s3_speed.json"
STORE = {"AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1"}


def _seconds(raw: Path, curated: str, **env: str) -> float:
    home = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    (home / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": curated, **env}
    start = time.time()
    done = subprocess.run([sys.executable, "-m", "dagster", *MATERIALIZE_ALL], cwd=PROJECT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the pipeline failed:\n{done.stderr[-3000:]}")
    return round(time.time() - start, 1)


def main(n: int = 10_000) -> None:
    raw = build(n)
    with tempfile.TemporaryDirectory() as work:
        local = _seconds(raw, f"{work}/curated")
        with s3(Path(work)) as endpoint:
            store = pafs.S3FileSystem(endpoint_override=endpoint, access_key="key", secret_key="secret", region="us-east-1",
                                      allow_bucket_creation=True)  # fmt: skip
            store.create_dir("corpora")
            remote = _seconds(raw, "s3://corpora/curated", AWS_ENDPOINT_URL=endpoint, PIPELINE_WORK_DIR=f"{work}/work", **STORE)
    results = {"documents": n, "cores": os.cpu_count(), "local seconds": local, "moto S3 seconds": remote, "ratio": round(remote / local, 2)}
    print(f"curated local {local} s, on moto's S3 {remote} s: {results['ratio']}x")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
