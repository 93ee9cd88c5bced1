"""Beyond one machine, by configuration only: the same corpus (its content hash) with raw and curated in object
storage (S3, Google Cloud Storage), on a Ray cluster, in runs of some batches each, and with Dagster's storage in
PostgreSQL, each against a real server these tests start on 127.0.0.1."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import time

import dagster as dg
import psycopg2
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
import yaml

from pipeline.corpus import LocationError
from pipeline.defs.assets import MATERIALIZE_ALL
from pipeline import storage, tables
from pipeline.defs.resources import CorpusPaths, resources_for

from .conftest import RAW, ROOT, copy_seeds
from .servers import BIN, answers, free_port, gcs, postgres, ray_cluster, s3, server
from .test_automation import tick
from .test_pipeline import ALL, CHROME_ONLY, FRENCH
from .test_webserver import graphql

TABLES = ("corpus", "rejected")
CHECKS = ("doc_id_unique", "no_empty_text", "every_raw_file_accounted_for", "no_mojibake_left")
INGEST = ("raw_documents", "decoded", "mojibake_fixed")  # partitioned by batch
STAGES = (*INGEST, "chrome_stripped", "language_tagged", "deduplicated", "quality")


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
    done = subprocess.run([BIN / "dagster", *MATERIALIZE_ALL],
                          cwd=home, env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr[-5000:]


def manifest(curated, filesystem=None) -> dict:
    """The current version's manifest, on this machine or on the store."""
    with (filesystem or pafs.LocalFileSystem()).open_input_stream(f"{curated}/manifest.json") as f:
        return json.loads(f.read())


def content_hashes(curated, filesystem=None) -> dict[str, str]:
    return {name: manifest(curated, filesystem)[name]["content_hash"] for name in TABLES}


@pytest.fixture(scope="module")
def local(raw, tmp_path_factory):
    """The content hashes of the default run: local pool, SQLite storage."""
    curated, home = tmp_path_factory.mktemp("curated"), tmp_path_factory.mktemp("home")
    materialize(raw, curated, home)
    hashes = content_hashes(curated)
    assert pq.read_table(curated / "corpus").num_rows >= 5
    return hashes


def _bucket(endpoint: str, raw) -> tuple[dict[str, str], pafs.S3FileSystem]:
    """`raw` uploaded to s3://crawl/raw; the variables a user sets for that store (the usual AWS ones), and the store."""
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1"}
    store = pafs.S3FileSystem(endpoint_override=endpoint, access_key="key", secret_key="secret", region="us-east-1",
                              allow_bucket_creation=True)  # fmt: skip
    store.create_dir("crawl")
    pafs.copy_files(str(raw), "crawl/raw", source_filesystem=pafs.LocalFileSystem(), destination_filesystem=store)
    return env, store


def test_raw_and_curated_in_object_storage_make_the_same_corpus(raw, local, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    with s3(tmp_path) as endpoint:
        env, store = _bucket(endpoint, raw)
        store.create_dir("corpora")
        with store.open_output_stream("crawl/raw/.notes/todo.txt") as hidden:  # hidden, as a dot-file is in a folder
            hidden.write(b"not part of the corpus")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(LocationError, match="s3://crawl/typo does not exist"):  # a typo is not an empty corpus
            CorpusPaths(raw_dir="s3://crawl/typo", curated_dir="s3://corpora/curated").raw
        watched = tick("s3://crawl/raw")  # the sensor watches the prefix
        assert watched.run_requests[0].tags["raw/added"] == str(len(list(raw.iterdir())))
        with store.open_output_stream("crawl/raw/new/page.txt") as new:
            new.write(b"A page that arrived after the first tick.")
        assert tick("s3://crawl/raw", watched.cursor).run_requests[0].tags["raw/added"] == "1"
        store.delete_file("crawl/raw/new/page.txt")
        stale = "corpora/curated/versions/20000101T000000.000000Z-00000000"  # a run that died before its switch
        with store.open_output_stream(f"{stale}/corpus/en/part-00000.parquet") as f:
            f.write(b"half a file")
        _stale_keys(store, "corpora/curated")
        materialize("s3://crawl/raw", "s3://corpora/curated", home, PIPELINE_WORK_DIR=str(tmp_path / "work"), **env)
        first_version = manifest("corpora/curated", store)["version"]
        assert content_hashes("corpora/curated", store) == local
        assert store.get_file_info(stale).type == pafs.FileType.NotFound
        assert not _keys_left(store, "corpora/curated")  # the stale keys, and the run's own (the step's, on the store)
        assert store.get_file_info("corpora/curated/.work/memo.sqlite").size > 0
        assert store.get_file_info("corpora/curated/README.md").size > 0  # the dataset card beside the tables
        # another machine, with no working folder: it starts from the memo the first one uploaded
        materialize("s3://crawl/raw", "s3://corpora/curated", home, PIPELINE_WORK_DIR=str(tmp_path / "elsewhere"), **env)
        current = manifest("corpora/curated", store)
        assert content_hashes("corpora/curated", store) == local
        versions = store.get_file_info(pafs.FileSelector("corpora/curated/versions"))
        assert sorted(v.base_name for v in versions) == [first_version, current["version"]]  # the one before is kept
        # `make run`'s last step says what was published, and where
        said = subprocess.run([BIN / "python", "-m", "pipeline"], env={**os.environ, **env, "PIPELINE_CURATED_DIR": "s3://corpora/curated"},
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        version = f"s3://corpora/curated/versions/{current['version']}"
        assert said.startswith(f"corpus:   {version}/corpus  {current['corpus']['rows']} documents")
        # readers read the current version straight from the store, as docs/usage.md shows
        monkeypatch.setenv("AWS_ALLOW_HTTP", "true")  # for Polars: this server speaks http://
        read = _read_from_the_store("s3://corpora/curated")
        assert read["version"] == current["version"]
        assert read["corpus"].height == read["dataset"].count_rows() == current["corpus"]["rows"]
        assert dict(read["corpus"].group_by("language").len().iter_rows()) == {"en": current["corpus"]["rows"] - 1, "fr": 1}
        # the stage tables are on the store: each its list of shards, written last, and no object it does not list
        _only_listed_objects(store)
        assert not list((tmp_path / "elsewhere").rglob("*.arrow"))  # nor on this machine
        # a batch re-run alone on the store replaces its shards and leaves the other batches' objects as they were
        before = _shard_list(store, "raw_documents")
        with store.open_output_stream("crawl/raw/new.txt") as new:
            new.write(b"A new page a person wrote, long enough to be a document of the corpus on its own.")
        batch = tables.batch_of("new.txt")
        # an object's name longer than a file name may be on this machine (its local copy is named for its ending)
        long_name = next(name for k in range(500) if tables.batch_of(name := f"{k}-{'n' * 300}.jsonl.gz") == batch)
        with store.open_output_stream(f"crawl/raw/{long_name}", compression="gzip") as dump:
            dump.write(json.dumps({"id": "long", "text": "A dump with a very long name, and a sentence of its own in it."}).encode())
        with store.open_output_stream("corpora/curated/.work/mojibake_fixed/shards.json") as old:
            old.write(b"{}")  # a whole list of an ingest stage, as the code before lists a batch wrote: it goes
        monkeypatch.setenv("PIPELINE_WORK_DIR", str(tmp_path / "elsewhere"))
        monkeypatch.setenv("PIPELINE_WORKERS", "1")
        with dg.instance_for_test() as instance:
            done = dg.materialize(ALL, partition_key=batch, instance=instance, resources=resources_for("s3://crawl/raw", "s3://corpora/curated"))
        assert done.success
        after = _shard_list(store, "raw_documents")
        others = lambda listed: {name: uri for name, uri in listed.items() if not name.startswith(f"part-{batch}-")}  # noqa: E731
        assert others(after) == others(before) and after != before
        _only_listed_objects(store)
        assert {"new.txt", long_name} <= set(_read_from_the_store("s3://corpora/curated")["corpus"]["source_path"].to_list())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        first = instance.get_latest_materialization_event(dg.AssetKey("raw_documents")).asset_materialization.metadata
        fixed = instance.get_latest_materialization_event(dg.AssetKey("mojibake_fixed")).asset_materialization.metadata
        corpus = instance.get_latest_materialization_event(dg.AssetKey("corpus")).asset_materialization.metadata
    assert first["memo fetched from"].value == "s3://corpora/curated"
    assert fixed["changes"].value["reused from an earlier run"] == fixed["documents in"].value
    assert corpus["dagster/uri"].value == f"{version}/corpus"


def test_a_memo_fetched_is_never_put_over_one_a_run_here_has(tmp_path, monkeypatch):
    """What CorpusPaths.fetch_memo does on a new machine: the store's memo to the working folder, unless a run
    there (of other batches at once) got one first; also where the filesystem has no hard links."""
    uri, local = "mock://corpora/curated/.work/memo.sqlite", tmp_path / "work" / "memo.sqlite"
    store, key = storage.filesystem(uri)  # pyarrow's filesystem in memory, one a process
    store.create_dir("corpora/curated/.work")
    with store.open_output_stream(key) as f:
        f.write(b"the store's")
    assert storage.download(uri, local) and local.read_bytes() == b"the store's"
    local.write_bytes(b"in use here")
    assert not storage.download(uri, local) and local.read_bytes() == b"in use here"
    local.unlink()

    def no_links(*_):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert storage.download(uri, local) and local.read_bytes() == b"the store's"
    assert sorted(p.name for p in local.parent.iterdir()) == ["memo.sqlite"]  # no part file left
    assert not storage.download("mock://corpora/none.sqlite", tmp_path / "work" / "other.sqlite")


def test_google_cloud_storage_makes_the_same_corpus(raw, local, tmp_path):
    """gs:// as s3:// (pyarrow's filesystem of each): raw and curated on a Google Cloud Storage server, which the
    pipeline finds through STORAGE_EMULATOR_HOST as Google's own clients do."""
    with gcs(tmp_path) as url:
        store = pafs.GcsFileSystem(anonymous=True, scheme="http", endpoint_override=url.removeprefix("http://"), project_id="test")
        for bucket in ("crawl", "corpora"):
            store.create_dir(bucket)
        pafs.copy_files(str(raw), "crawl/raw", source_filesystem=pafs.LocalFileSystem(), destination_filesystem=store)
        _stale_keys(store, "corpora/curated")
        materialize("gs://crawl/raw", "gs://corpora/curated", tmp_path, PIPELINE_WORK_DIR=str(tmp_path / "work"), STORAGE_EMULATOR_HOST=url)
        assert content_hashes("corpora/curated", store) == local
        _only_listed_objects(store)
        assert not _keys_left(store, "corpora/curated")
    assert not list((tmp_path / "work").rglob("*.arrow"))


def test_a_ray_cluster_makes_the_same_corpus(raw, local, tmp_path):
    """Raw and curated on S3, as on a cluster whose nodes share no folder: the workers, started with the cluster's
    environment, need the run's credentials, read and write the stage tables on the store, and read the memo
    through an actor on the run's node."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    with s3(tmp_path) as endpoint, ray_cluster(cpus=2) as address:
        env, store = _bucket(endpoint, raw)
        store.create_dir("corpora")
        for _ in range(2):  # the second run reuses what the first computed
            materialize("s3://crawl/raw", "s3://corpora/curated", home, PIPELINE_RAY_ADDRESS=address, PIPELINE_WORK_DIR=str(work), **env)
            assert content_hashes("corpora/curated", store) == local
    assert not list(work.rglob("*.arrow"))
    with dg.DagsterInstance.from_config(str(home)) as instance:  # the UI shows where each stage's shards ran
        metadata = instance.get_latest_materialization_event(dg.AssetKey("mojibake_fixed")).asset_materialization.metadata
    ran_on = metadata["ran on"].value
    assert ran_on.startswith(f"Ray cluster {address}: ") and " 0 tasks" not in ran_on and "on 1 nodes" in ran_on
    assert metadata["changes"].value["reused from an earlier run"] == metadata["documents in"].value


BACKFILL = """mutation($batches: [String!], $assets: [AssetKeyInput!]) {
  launchPartitionBackfill(backfillParams: {partitionNames: $batches, assetSelection: $assets}) {
    __typename ... on LaunchBackfillSuccess { backfillId } ... on Error { message } } }"""


def test_a_backfill_is_a_run_per_batches_runs_at_once_then_one_of_the_rest(raw, local, tmp_path):
    """PIPELINE_BATCHES_PER_RUN=2: a backfill of every asset, launched as the UI launches it, is four runs of two
    batches, two at a time (the run queue's limit here), then a run of the steps across batches once all are done;
    raw and curated on S3, as runs spread over a cluster would share them. Each run shows its own batches' counts."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry: {enabled: false}\nconcurrency: {runs: {max_concurrent_runs: 2}}\n")
    with s3(tmp_path) as endpoint:
        env, store = _bucket(endpoint, raw)
        store.create_dir("corpora")
        env = {**os.environ, **env, "DAGSTER_HOME": str(home), "PIPELINE_RAW_DIR": "s3://crawl/raw", "PIPELINE_CURATED_DIR": "s3://corpora/curated",
               "PIPELINE_WORK_DIR": str(tmp_path / "work"), "PIPELINE_BATCHES_PER_RUN": "2", "PIPELINE_WORKERS": "1"}  # fmt: skip
        port = free_port()
        webserver = [BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(port), "-m", "pipeline.definitions"]
        daemon = [BIN / "dagster-daemon", "run", "-m", "pipeline.definitions"]
        with (server(webserver, lambda: answers(f"http://127.0.0.1:{port}/server_info"), home / "webserver.log", cwd=home, env=env),
              server(daemon, lambda: True, home / "daemon.log", cwd=home, env=env)):  # fmt: skip
            launched = graphql(port, BACKFILL, {"batches": list(tables.BATCH_NAMES), "assets": [{"path": [name]} for name in STAGES + TABLES]})
            backfill = launched["data"]["launchPartitionBackfill"]
            assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
            with dg.DagsterInstance.from_config(str(home)) as instance:
                deadline = time.monotonic() + 600
                while (status := instance.get_backfill(backfill["backfillId"]).status.value) in ("REQUESTED", "CANCELING", "FAILING"):
                    assert time.monotonic() < deadline, (home / "daemon.log").read_text()[-3000:]
                    time.sleep(2)
        assert status == "COMPLETED_SUCCESS", (home / "daemon.log").read_text()[-3000:]
        assert content_hashes("corpora/curated", store) == local
        _only_listed_objects(store)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill["backfillId"]}))
        ran = {record.dagster_run.tags.get("dagster/asset_partition_range_start"): record for record in records}
        metadata = lambda key, run: next(e.asset_materialization.metadata for e in instance.get_records_for_run(run, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records  # noqa: E731
                                         if e.asset_materialization.asset_key == dg.AssetKey(key))  # fmt: skip
        batch_runs = [ran[first] for first in tables.BATCH_NAMES[::2]]
        assert sorted(ran, key=str) == [*tables.BATCH_NAMES[::2], None]  # a run per two batches, one of the rest
        assert [r.dagster_run.tags["dagster/asset_partition_range_end"] for r in batch_runs] == list(tables.BATCH_NAMES[1::2])
        assert any(a.start_time < b.end_time and b.start_time < a.end_time for a in batch_runs for b in batch_runs if a is not b)
        assert max(r.end_time for r in batch_runs) <= ran[None].start_time
        fixed = [metadata("mojibake_fixed", r.dagster_run.run_id)["documents out"].value for r in batch_runs]
        assert len(set(fixed)) > 1  # each run its own batches' counts, which add up to what the rest read
        assert sum(fixed) == metadata("chrome_stripped", ran[None].dagster_run.run_id)["documents in"].value
        checked = instance.get_records_for_run(ran[None].dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
        assert {(e.event_log_entry.dagster_event.event_specific_data.check_name, e.event_log_entry.dagster_event.event_specific_data.passed) for e in checked} == \
               {(name, True) for name in CHECKS}  # the rest's run checks the corpus, as make run does


def test_dagster_keeps_its_runs_in_postgres_when_asked(raw, local, tmp_path):
    curated = tmp_path / "curated"
    with postgres() as url:
        # `make run` as a user runs it: the Makefile makes deploy/postgres/ Dagster's home when DAGSTER_PG_URL is set;
        # one run, even with the setting that splits backfills
        env = {**os.environ, "DAGSTER_PG_URL": url, "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": str(curated), "PIPELINE_BATCHES_PER_RUN": "2"}
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


def _scheme(store: pafs.FileSystem) -> str:
    return "gs" if isinstance(store, pafs.GcsFileSystem) else "s3"


def _shard_lists(store: pafs.FileSystem, stage: str) -> dict[str, dict[str, str]]:
    """A stage's lists of shards on the store, by URI: its one list, or an ingest stage's list of each batch."""
    names = [f"shards-{batch}.json" for batch in tables.BATCH_NAMES] if stage in INGEST else ["shards.json"]
    lists = {}
    for name in names:
        with store.open_input_stream(f"corpora/curated/.work/{stage}/{name}") as f:
            lists[f"{_scheme(store)}://corpora/curated/.work/{stage}/{name}"] = json.loads(f.read())
    return lists


def _shard_list(store: pafs.FileSystem, stage: str) -> dict[str, str]:
    return {name: uri for listed in _shard_lists(store, stage).values() for name, uri in listed.items()}


def _only_listed_objects(store: pafs.FileSystem) -> None:
    """Every stage's objects on the store are those its lists name, and the lists."""
    for stage in STAGES:
        lists = _shard_lists(store, stage)
        assert _stage_objects(store, stage) == {*lists, *(uri for listed in lists.values() for uri in listed.values())}


def _keys_left(store: pafs.FileSystem, curated: str) -> list[str]:
    """What is left of a step's keys (pipeline.buckets) in the work folder: nothing once a run is over."""
    found = store.get_file_info(pafs.FileSelector(f"{curated}/.work", recursive=True, allow_not_found=True))
    return [info.path for info in found if "/.keys/" in info.path]


def _stale_keys(store: pafs.FileSystem, curated: str) -> None:
    """A step's keys as a run killed in the chrome stage leaves them."""
    with store.open_output_stream(f"{curated}/.work/.keys/chrome_stripped-0badc0de/part-00-00000.arrow") as f:
        f.write(b"half a file")


def _stage_objects(store: pafs.FileSystem, stage: str) -> set[str]:
    found = store.get_file_info(pafs.FileSelector(f"corpora/curated/.work/{stage}", recursive=True))
    return {f"{_scheme(store)}://{info.path}" for info in found if info.type == pafs.FileType.File}


def _read_from_the_store(location: str) -> dict:
    """docs/usage.md's snippet that reads the current version from object storage, run against `location`."""
    snippet = re.search(r"```python s3\n(.*?)```", (ROOT / "docs" / "usage.md").read_text(), re.S)[1]
    names = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(snippet.replace("s3://bucket/curated", location), "docs/usage.md", "exec"), names)
    return names
