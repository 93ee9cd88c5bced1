"""Beyond one machine, by configuration only: the same corpus (its content hash) on a Ray cluster and with
Dagster's storage in PostgreSQL, each against a real server these tests start on 127.0.0.1."""

import os
import shutil
import subprocess

import dagster as dg
import psycopg2
import pyarrow.parquet as pq
import pytest
import yaml

from .conftest import RAW, ROOT, copy_seeds
from .servers import BIN, postgres, ray_cluster
from .test_pipeline import CHROME_ONLY, FRENCH

TABLES = ("corpus", "rejected")
STAGES = ("raw_documents", "decoded", "mojibake_fixed", "chrome_stripped", "language_tagged", "deduplicated", "quality")


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """The seeds, an exact copy, text in a legacy code page and files the pipeline must reject."""
    raw = tmp_path_factory.mktemp("raw")
    copy_seeds(raw)
    shutil.copy(RAW / "lemmy-thread.txt", raw / "mirror-of-lemmy-thread.txt")
    (raw / "french-cp1252.txt").write_bytes(FRENCH.encode("cp1252"))
    (raw / "chrome-only.txt").write_text(CHROME_ONLY)
    (raw / "empty.txt").write_bytes(b"")
    return raw


def materialize(raw, curated, home, **env) -> None:
    """The whole graph through Dagster's CLI, as `make run` runs it, in a fresh process."""
    env = {**os.environ, "DAGSTER_HOME": str(home), "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": str(curated), **env}
    done = subprocess.run([BIN / "dagster", "asset", "materialize", "-m", "pipeline.definitions", "--select", "*"],
                          cwd=home, env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]


def content_hashes(curated) -> dict[str, bytes]:
    return {name: pq.read_metadata(curated / name / f"{name}.parquet").metadata[b"content_hash"] for name in TABLES}


@pytest.fixture(scope="module")
def local(raw, tmp_path_factory):
    """The content hashes of the default run: local pool, SQLite storage."""
    curated, home = tmp_path_factory.mktemp("curated"), tmp_path_factory.mktemp("home")
    materialize(raw, curated, home)
    hashes = content_hashes(curated)
    assert pq.read_table(curated / "corpus" / "corpus.parquet").num_rows >= 5
    return hashes


def test_a_ray_cluster_makes_the_same_corpus(raw, local, tmp_path):
    curated, home = tmp_path / "curated", tmp_path / "home"
    home.mkdir()
    with ray_cluster(cpus=2) as address:
        materialize(raw, curated, home, PIPELINE_RAY_ADDRESS=address)
    assert content_hashes(curated) == local
    with dg.DagsterInstance.from_config(str(home)) as instance:  # the UI shows where each stage's shards ran
        event = instance.get_latest_materialization_event(dg.AssetKey("mojibake_fixed"))
        ran_on = event.asset_materialization.metadata["ran on"].value
    assert ran_on.startswith(f"Ray cluster {address}: ") and " 0 tasks" not in ran_on and "on 1 nodes" in ran_on


def test_dagster_keeps_its_runs_in_postgres_when_asked(raw, local, tmp_path):
    curated = tmp_path / "curated"
    with postgres() as url:
        # `make run` as a user runs it: the Makefile makes deploy/postgres/ Dagster's home when DAGSTER_PG_URL is set
        env = {**os.environ, "DAGSTER_PG_URL": url, "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": str(curated)}
        env.pop("DAGSTER_HOME", None)
        done = subprocess.run(["make", "-o", ".venv/.installed-stamp", "run"], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-5000:]
        with psycopg2.connect(url) as db, db.cursor() as cursor:
            cursor.execute("SELECT status FROM runs")
            runs = cursor.fetchall()
            cursor.execute("SELECT DISTINCT asset_key FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
            materialized = {key for (key,) in cursor.fetchall()}
    assert runs == [("SUCCESS",)]
    assert materialized == {f'["{name}"]' for name in STAGES + TABLES}
    assert content_hashes(curated) == local


def test_the_postgres_instance_differs_from_the_default_only_in_its_storage():
    here = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    there = yaml.safe_load((ROOT / "deploy" / "postgres" / "dagster.yaml").read_text())
    assert there.pop("storage") == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    here.pop("storage")
    assert here == there
