"""End to end: materialize the asset graph on the samples plus bad files, read the Parquet back as a consumer."""

import codecs
import concurrent.futures
import datetime as dt
import hashlib
import os
import re
import shutil
import sqlite3
import threading
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import pipeline.definitions
from pipeline.corpus import DOCUMENTS, SettingError, batches_per_run
from pipeline.defs import assets, checks
from pipeline.defs.assets import EVERY_BATCH, MATERIALIZE_ALL
from pipeline import across_documents, publication, rewrite, tables
from pipeline.defs.resources import default_resources, resources_for
from pipeline.publication import current, files
from pipeline.text.quality import RULES_FILE

from .conftest import RAW, copy_seeds
from .test_chrome import LEMMY_CHROME
from .test_main_content import FERRY, FILED
from .test_mojibake import TWEET_EXPECTED

ALL = [
    assets.raw_documents, assets.decoded, assets.mojibake_fixed, assets.chrome_stripped, assets.language_tagged,
    assets.deduplicated, assets.quality, assets.publish_corpus, checks.corpus_checks,
]  # fmt: skip
FRENCH = (
    "Les élèves ont déjà réussi l’examen de français. C’était une très belle journée d’été à Paris, "
    "où l’on mange des crêpes et où les enfants jouent près de la fontaine."
)
CHROME_ONLY = "• bob@lemmy.world\n    link\n    fedilink\n    arrow-up\n    3\n    ·\n    2 hours ago\n"


def published(curated) -> tuple:
    """What a reader of curated/ gets: the manifest, and both tables read through the links."""
    return current(curated), pq.read_table(curated / "corpus").to_pylist(), pq.read_table(curated / "rejected").to_pylist()


def published_files(curated) -> list:
    return [curated / path for table in ("corpus", "rejected") for path in files(current(curated), table)]


def materialize(raw, curated):
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance)
        assert result.success
        return result


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    copy_seeds(raw)
    bad = raw / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (bad / "chrome-only.txt").write_text(CHROME_ONLY)
    (raw / "legacy").mkdir()
    (raw / "legacy" / "french-cp1252.txt").write_bytes(FRENCH.encode("cp1252"))
    (raw / "legacy" / "english-utf16.txt").write_bytes(codecs.BOM_UTF16_LE + (FRENCH.replace("é", "e") + " " + "An English note follows here in UTF-16 text.").encode("utf-16-le"))
    (raw / "zz-mirror").mkdir()
    shutil.copy(RAW / "lemmy-thread.txt", raw / "zz-mirror" / "lemmy-thread.txt")
    (raw / ".hidden-notes.txt").write_text("not part of the corpus")
    curated = tmp_path_factory.mktemp("curated")
    result = materialize(raw, curated)
    corpus = ds.dataset(curated / "corpus", format="parquet").to_table()
    rejected = ds.dataset(curated / "rejected", format="parquet").to_table()
    return {
        "raw": raw, "curated": curated, "result": result,
        "corpus": {r["source_path"]: r for r in corpus.to_pylist()},
        "rejected": {r["source_path"]: r for r in rejected.to_pylist()},
    }  # fmt: skip


def test_definitions_load_with_job_schedule_and_checks():
    defs = pipeline.definitions.defs()
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("ingest")
    assert defs.resolve_schedule_def("reingest_daily").cron_schedule == "0 3 * * *"
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"raw_documents", "decoded", "mojibake_fixed", "chrome_stripped", "language_tagged",
                    "deduplicated", "quality", "corpus", "rejected"}  # fmt: skip


def test_batches_per_run_is_a_number_of_batches_or_nothing(monkeypatch):
    for value, expected in [("", None), (" ", None), ("1", 1), ("3", 3)]:
        monkeypatch.setenv("PIPELINE_BATCHES_PER_RUN", value)
        assert batches_per_run() == expected
    for value in ("0", "-2", "two", "1.5"):
        monkeypatch.setenv("PIPELINE_BATCHES_PER_RUN", value)
        with pytest.raises(SettingError, match=f"PIPELINE_BATCHES_PER_RUN is '{re.escape(value)}': it takes a number of batches"):
            batches_per_run()


def test_environment_variables_choose_the_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("PIPELINE_RAW_DIR", str(tmp_path / "in"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIPELINE_CURATED_DIR", "out")
    (tmp_path / "in").mkdir()
    resources = default_resources()
    assert resources["paths"].raw == tmp_path / "in"
    assert resources["paths"].curated == tmp_path / "out"
    assert resources["paths"].work == tmp_path / "out" / ".work"


def test_every_raw_file_is_in_exactly_one_table(run):
    raw_files = {p.relative_to(run["raw"]).as_posix() for p in run["raw"].rglob("*") if p.is_file()}
    raw_files.discard(".hidden-notes.txt")
    assert set(run["corpus"]).isdisjoint(run["rejected"])
    assert set(run["corpus"]) | set(run["rejected"]) == raw_files
    checks = run["result"].get_asset_check_evaluations()
    assert {c.check_name for c in checks if c.passed} == {
        "doc_id_unique", "no_empty_text", "no_mojibake_left", "every_raw_file_accounted_for"}  # fmt: skip


def test_bad_files_are_rejected_with_reasons(run):
    rejected = run["rejected"]
    assert (rejected["bad/empty.txt"]["stage"], rejected["bad/empty.txt"]["reason"]) == ("decode", "empty file")
    assert rejected["bad/logo.png"]["reason"] == "binary file: a PNG image, not text"
    assert rejected["bad/chrome-only.txt"]["stage"] == "chrome"
    assert "nothing but page chrome" in rejected["bad/chrome-only.txt"]["reason"]
    mirror = rejected["zz-mirror/lemmy-thread.txt"]
    assert mirror["stage"] == "dedup" and mirror["duplicate_of"] == run["corpus"]["lemmy-thread.txt"]["doc_id"]
    assert all(r["duplicate_of"] is None for p, r in rejected.items() if r["stage"] != "dedup")


def test_provenance_columns(run):
    for path, row in run["corpus"].items():
        data = (run["raw"] / path).read_bytes()
        assert row["source_sha256"] == hashlib.sha256(data).hexdigest()
        assert row["source_bytes"] == len(data)
        assert row["n_chars"] == len(row["text"]) > 0
        assert row["run_id"] == run["result"].run_id
        assert row["ingested_at"].tzinfo is not None and row["ingested_at"] <= dt.datetime.now(dt.UTC)
        assert row["pipeline_version"] and row["source_encoding"]
    assert run["corpus"]["legacy/french-cp1252.txt"]["source_encoding"] == "cp1252"
    assert run["corpus"]["legacy/french-cp1252.txt"]["text"] == FRENCH
    assert run["corpus"]["legacy/english-utf16.txt"]["source_encoding"] == "utf-16"
    for part in published_files(run["curated"]):  # each file says what wrote it, and the hash of its rows
        meta = pq.read_metadata(part).metadata
        assert {b"pipeline_version", b"schema_version", b"written_at", b"run_id", b"version", b"content_hash"} <= set(meta)


def test_doc_ids_are_stable_across_runs(run, tmp_path):
    again = materialize(run["raw"], tmp_path)
    corpus = pq.read_table(tmp_path / "corpus").to_pylist()
    assert {r["source_path"]: r["doc_id"] for r in corpus} == {p: r["doc_id"] for p, r in run["corpus"].items()}
    assert {r["text"] for r in corpus} == {r["text"] for r in run["corpus"].values()}
    assert again.run_id != run["result"].run_id


def test_samples_cleaned_as_specified(run):
    corpus = run["corpus"]
    tweet = corpus["tweet-thread-leaked-memo.txt"]
    for expected in TWEET_EXPECTED:
        assert expected in tweet["text"]
    assert "ā€" not in tweet["text"] and "šŸ" not in tweet["text"]
    assert tweet["mojibake"]["runs"] > 0 and tweet["mojibake"]["guessed"] > 0
    assert "See All" not in tweet["text"].split("\n")

    lemmy = corpus["lemmy-thread.txt"]
    assert not {line.strip() for line in lemmy["text"].split("\n")} & LEMMY_CHROME
    assert [p["score"] for p in lemmy["posts"]] == [14, 9, 7]
    assert "11 days ago" in lemmy["chrome_removed"]

    store = corpus["podcast-storefront-ja.txt"]
    for chrome in ["のカバーアート", "無料で聴く", "ポッドキャストの詳細を見る", "このコンテンツについて", "まだレビューはありません"]:
        assert chrome not in store["text"]
    assert store["text"].count("On China's open source AI trajectory") == 1
    assert store["page_language"] == "ja"

    assert "No Comments" not in corpus["blog-uneven-landscape.txt"]["text"]

    essay = corpus["forum-essay-no-moat.txt"]
    raw_paragraphs = set((run["raw"] / "forum-essay-no-moat.txt").read_text().split("\n")) - {""}
    assert all(essay["text"].count(p) == 1 for p in raw_paragraphs)
    assert len(essay["paragraphs_removed"]) == 7

    for name in ["tweet-thread-leaked-memo.txt", "lemmy-thread.txt", "podcast-storefront-ja.txt",
                 "blog-uneven-landscape.txt", "forum-essay-no-moat.txt"]:  # fmt: skip
        assert corpus[name]["language"] == "en" and corpus[name]["language_score"] > 0.9


def test_assets_report_metadata(run):
    result = run["result"]
    mojibake = result.asset_materializations_for_node("mojibake_fixed")[0].metadata
    assert mojibake["documents in"].value == 9 and mojibake["changes"].data["documents repaired"] == 1
    assert "preview" in mojibake
    assert mojibake["changes"].data["documents repaired as iso-8859-13 with windows-1252 in 0x80-0x9F"] == 1
    chrome = result.asset_materializations_for_node("chrome_stripped")[0].metadata
    assert "`fedilink` ×" in chrome["removed lines (most frequent)"].value  # the Lemmy sample's chrome
    clusters = result.asset_materializations_for_node("deduplicated")[0].metadata["duplicate clusters"].value
    assert clusters.startswith("- kept `") and "copy" in clusters
    materializations = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
    by_key = {m.asset_key.to_user_string(): m.metadata for m in materializations}
    assert by_key["corpus"]["dagster/row_count"].value == len(run["corpus"])
    assert by_key["rejected"]["dagster/row_count"].value == len(run["rejected"])
    for stage in ("raw_documents", "decoded", "mojibake_fixed", "chrome_stripped", "language_tagged", "deduplicated", "quality"):
        counts = by_key[stage]
        assert counts["documents in"].value - counts["documents out"].value == counts["rejected here"].value, stage
    assert by_key["deduplicated"]["rejected here"].value >= 1  # the mirrored copy
    assert by_key["corpus"]["languages"].data["en"] >= 5
    sample = by_key["corpus"]["sample"].value.records
    assert all(r.data["raw"] and r.data["text"] for r in sample)  # each cleaned text beside its raw form
    assert any(r.data["raw"] != r.data["text"] for r in sample)


def test_make_run_command_honours_the_folder_variables(tmp_path):
    """The command `make run` uses, with PIPELINE_RAW_DIR and PIPELINE_CURATED_DIR pointing elsewhere."""
    import os
    import subprocess
    import sys

    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "lemmy-thread.txt", raw / "thread.txt")
    (raw / "empty.txt").write_bytes(b"")
    env = {**os.environ, "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": "out", "DAGSTER_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "dagster", *MATERIALIZE_ALL]
    subprocess.run(cli, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=300)
    summary = subprocess.run([sys.executable, "-m", "pipeline"], cwd=tmp_path, env=env, check=True,
                             capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    assert "out/corpus  1 documents" in summary
    assert "decode: empty file" in summary
    assert pq.read_table(tmp_path / "out" / "rejected").num_rows == 1


def test_two_runs_at_once_take_turns_and_publish_one_whole_corpus(tmp_path):
    """`make run`'s command twice at once on one curated folder (the schedule and a person), as real processes: a
    run waits while another holds the folder, saying for which run; both succeed; the corpus is whole, one of the
    two (the same content as a lone run's), its links and manifest agree, and two versions are kept."""
    import subprocess
    import sys

    from pipeline import runlock

    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    env = {**os.environ, "PIPELINE_RAW_DIR": str(raw), "PIPELINE_CURATED_DIR": str(curated), "PIPELINE_PROGRESS": "lines"}
    cli = [sys.executable, "-m", "dagster", *MATERIALIZE_ALL]
    homes = [tmp_path / f"home{k}" for k in range(3)]
    for home in homes:
        home.mkdir()

    def start(home):
        return subprocess.Popen(cli, cwd=Path(__file__).resolve().parents[1], env={**env, "DAGSTER_HOME": str(home)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip

    with runlock.held(curated / ".work", "run held-by-the-test", lambda holder: None):  # another run's step, holding it
        held = start(homes[0])
        try:
            held.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        assert held.returncode is None  # still waiting
    out, _ = held.communicate(timeout=300)
    assert held.returncode == 0, out[-2000:]
    assert "raw_documents: waiting for run held-by-the-test" in out
    lone = current(curated)["corpus"]["content_hash"]

    runs = [start(home) for home in homes[1:]]
    outs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [o[-2000:] for o in outs]
    manifest, corpus, _ = published(curated)
    assert manifest["corpus"]["content_hash"] == lone and len(corpus) == 2
    assert (curated / "corpus").resolve().parent.name == manifest["version"]
    assert len(list((curated / "versions").iterdir())) == 2


def test_a_disk_that_fills_up_fails_the_run_clearly_and_keeps_the_corpus_and_the_memo(tmp_path):
    """The curated folder on a real 12 MB tmpfs: a run whose tables do not fit fails naming the folder, the space
    free and about the space it needs; what the failing stage wrote is removed; the corpus published before stays
    whole; the next run (the big files gone) reads the memo and publishes the same corpus again."""
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    try:
        raw, curated = small_raw(tmp_path), small / "curated"
        materialize(raw, curated)
        before = published(curated)
        essay = (raw / "forum-essay-no-moat.txt").read_text()
        for k in range(600):  # 8 MB of distinct texts
            (raw / f"big-{k}.txt").write_text(f"[{k}] " + essay.replace("\n", f" {k}\n") * 3)
        with dg.instance_for_test() as instance:
            result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance, raise_on_error=False)
        assert not result.success
        message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
        assert f"no space left on the device of {curated / '.work'}: " in message and "bytes free" in message
        assert re.search(r"writes a table about as large as the one it reads \([\d,]+ bytes\)", message)
        assert published(curated) == before
        assert not list((curated / ".work").glob(".*.building*"))  # the failing stage's partial table is gone
        for path in raw.glob("big-*.txt"):
            path.unlink()
        again = materialize(raw, curated).asset_materializations_for_node("mojibake_fixed")[0].metadata
        assert again["changes"].data["reused from an earlier run"] == 2
        assert published(curated)[0]["corpus"]["content_hash"] == before[0]["corpus"]["content_hash"]
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


@pytest.mark.parametrize("location, error", [
    ("ftp://host/raw", "the raw folder (PIPELINE_RAW_DIR) is ftp://host/raw: Unrecognized filesystem type in URI"),
    ("{tmp}/raw-mistyped", "the raw folder (PIPELINE_RAW_DIR) {tmp}/raw-mistyped does not exist"),
    ("{tmp}/raw/forum-essay-no-moat.txt", "is a file, not a folder"),
])  # fmt: skip
def test_a_raw_location_that_cannot_be_read_fails_the_run_and_keeps_the_corpus(tmp_path, monkeypatch, location, error):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    materialize(raw, curated)
    before = published(curated)
    monkeypatch.chdir(tmp_path)
    with dg.instance_for_test() as instance:
        location = location.format(tmp=tmp_path)
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(location, curated), instance=instance, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "raw_documents"  # before any stage
    assert error.format(tmp=tmp_path) in failure.step_failure_data.error.message
    assert published(curated) == before
    assert not (tmp_path / "s3:").exists()


def test_a_curated_uri_that_cannot_be_used_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIPELINE_WORK_DIR", str(tmp_path / "work"))
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(small_raw(tmp_path), "ftp://host/curated"),
                                instance=instance, raise_on_error=False)  # fmt: skip
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "raw_documents"
    assert "the curated folder (PIPELINE_CURATED_DIR) is ftp://host/curated: Unrecognized filesystem type" in failure.step_failure_data.error.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


def test_a_sub_folder_that_cannot_be_read_is_rejected_not_skipped(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    (raw / "locked").mkdir()
    (raw / "locked" / "page.txt").write_text("A page nobody can read while its folder is locked.")
    scandir = os.scandir

    def locked(path="."):  # as chmod 000 would be for a user other than root
        if isinstance(path, (str, os.PathLike)) and os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", locked)
    monkeypatch.setenv("PIPELINE_WORKERS", "1")  # the jobs in this process, where scandir is patched
    materialize(raw, curated)  # the blocking checks see the folder in the listing and in rejected
    rejected = pq.read_table(curated / "rejected").to_pylist()
    assert [(r["source_path"], r["stage"], r["reason"]) for r in rejected] == [
        ("locked/", "raw", "unreadable folder, its files are not read: Permission denied")
    ]


def small_raw(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("forum-essay-no-moat.txt", "lemmy-thread.txt"):
        shutil.copy(RAW / name, raw / name)
    return raw


def test_a_file_larger_than_the_document_limit_is_rejected_unread_and_a_bad_limit_stops_the_run(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    with (raw / "huge.txt").open("wb") as f:  # 3 MB, sparse: never read
        f.truncate(3_000_000)
    monkeypatch.setenv("PIPELINE_MAX_DOCUMENT_BYTES", "1000000")
    materialize(raw, curated)
    rejected = pq.read_table(curated / "rejected").to_pylist()
    assert [(r["source_path"], r["stage"], r["reason"], r["source_bytes"]) for r in rejected] == [
        ("huge.txt", "raw", "file larger than 1,000,000 bytes (PIPELINE_MAX_DOCUMENT_BYTES): 3,000,000 bytes, not read", 3_000_000)
    ]
    assert len(pq.read_table(curated / "corpus")) == 2
    monkeypatch.setenv("PIPELINE_MAX_DOCUMENT_BYTES", "64MB")
    with pytest.raises(dg.Failure, match="PIPELINE_MAX_DOCUMENT_BYTES is '64MB': it takes a number of bytes"):
        materialize(raw, curated)


def test_two_runs_give_the_same_corpus(tmp_path):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    first = materialize(raw, curated)
    meta_1 = current(curated)
    ids_1 = pq.read_table(curated / "corpus")["doc_id"].to_pylist()
    materialize(raw, curated)
    meta_2 = current(curated)
    assert pq.read_table(curated / "corpus")["doc_id"].to_pylist() == ids_1
    assert meta_1["corpus"]["content_hash"] == meta_2["corpus"]["content_hash"] and meta_1["run_id"] != meta_2["run_id"]
    corpus_event = first.asset_materializations_for_node("publish_corpus")[0]
    assert corpus_event.metadata["content_hash"].value == meta_1["corpus"]["content_hash"]


def test_each_run_publishes_a_version_and_keeps_the_one_before(tmp_path, monkeypatch):
    from pipeline import publication

    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    copy_seeds(raw)
    (curated / "corpus").mkdir(parents=True)  # the layout before versions: a folder of one file
    (curated / "corpus" / "corpus.parquet").write_bytes(b"old")
    (curated / "versions" / "20000101T000000.000000Z-00000000").mkdir(parents=True)  # a run that died before its switch
    monkeypatch.setattr(publication, "PART_ROWS", 2)
    names = []
    for _ in range(3):
        materialize(raw, curated)
        names.append(current(curated)["version"])
    assert sorted(p.name for p in (curated / "versions").iterdir()) == names[1:]  # the current one and the one before
    assert (curated / "corpus").readlink() == Path("versions") / names[2] / "corpus"
    listed = current(curated)["corpus"]["files"]  # the sample's five English documents, two a file
    assert [(f["path"], f["language"], f["rows"]) for f in listed] == [
        (f"versions/{names[2]}/corpus/en/part-{k:05d}.parquet", "en", rows) for k, rows in enumerate([2, 2, 1])]
    assert pq.read_table(curated / "corpus").num_rows == 5


def test_the_sensor_and_the_schedule_run_every_batch_then_the_rest(tmp_path):
    from pipeline.defs.automation import reingest_schedule

    from .test_automation import tick

    raw = small_raw(tmp_path)
    requests = [tick(raw).run_requests[0], reingest_schedule.evaluate_tick(dg.build_schedule_context()).run_requests[0]]
    job = pipeline.definitions.defs().resolve_job_def("ingest")
    for k, request in enumerate(requests):
        with dg.instance_for_test() as instance:
            result = job.execute_in_process(instance=instance, tags=request.tags, resources=resources_for(raw, tmp_path / f"curated-{k}"))
            status = instance.get_status_by_partition(dg.AssetKey("raw_documents"), list(tables.BATCH_NAMES), assets.BATCHES)
        assert result.success and set(status.values()) == {dg.AssetPartitionStatus.MATERIALIZED}
        assert result.asset_materializations_for_node("publish_corpus")  # and the steps across batches after them


def test_a_batch_reruns_alone_and_the_rest_reads_every_batch(tmp_path):
    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    copy_seeds(raw)
    materialize(raw, curated)
    before = {part.name: part.read_bytes() for part in tables.shards(curated / ".work" / "raw_documents")}
    (raw / "new.txt").write_text("A new page a person wrote, long enough to be a document of the corpus on its own.")
    batch = tables.batch_of("new.txt")
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, partition_key=batch, resources=resources_for(raw, curated), instance=instance)
    after = {part.name: part.read_bytes() for part in tables.shards(curated / ".work" / "raw_documents")}
    assert {name: data for name, data in after.items() if not name.startswith(f"part-{batch}-")} == \
           {name: data for name, data in before.items() if not name.startswith(f"part-{batch}-")}  # the others untouched
    event = result.asset_materializations_for_node("raw_documents")
    assert [e.partition for e in event] == [batch] and f"| {batch} | " in event[0].metadata["batches"].value
    assert "new.txt" in pq.read_table(curated / "corpus")["source_path"].to_pylist()  # the rest read every batch
    materialize(raw, full := tmp_path / "full")
    assert current(curated)["corpus"]["content_hash"] == current(full)["corpus"]["content_hash"]


def test_runs_of_different_batches_at_once_each_replace_only_their_own_shards(tmp_path, monkeypatch):
    """What a backfill of a run per batch (PIPELINE_BATCHES_PER_RUN) does to a local stage table: both runs are
    writing their shards at the same time, and each ends with its own in place, the other's untouched."""
    monkeypatch.setenv("PIPELINE_WORKERS", "1")  # the job runs in the calling thread
    target = tmp_path / "decoded"
    both_writing = threading.Barrier(2, timeout=30)

    def shard(path, k):
        tables._write(pa.Table.from_pylist([], schema=DOCUMENTS), path)
        return k

    def run(batch, k):
        def write(path, k):
            both_writing.wait()
            return shard(path, k)
        return rewrite._rewrite(target, lambda building: [(tables.shard_path(building, batch, 0), k)], write, batches=[batch])

    rewrite._rewrite(target, lambda building: [(tables.shard_path(building, b, 0), 0) for b in ("00", "01", "02")], shard, batches=tables.BATCH_NAMES)
    before = (target / "part-02-00000.arrow").stat().st_mtime_ns
    with concurrent.futures.ThreadPoolExecutor(2) as threads:
        assert [f.result() for f in [threads.submit(run, "00", 1), threads.submit(run, "01", 2)]] == [[1], [2]]
    assert sorted(part.name for part in tables.shards(target)) == ["part-00-00000.arrow", "part-01-00000.arrow", "part-02-00000.arrow"]
    assert (target / "part-02-00000.arrow").stat().st_mtime_ns == before
    assert not list(tmp_path.glob(".decoded.building*"))


def test_a_run_that_fails_part_way_leaves_the_previous_corpus_whole(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    materialize(raw, curated)
    before = published(curated)
    (raw / "new.txt").write_text("A new page a person wrote, long enough to be a document of the corpus on its own.")

    def crash(*args, **kwargs):  # the fault: the disk fills up while the new corpus is flushed to it
        raise OSError("No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance, raise_on_error=False)
    assert not result.success
    assert published(curated) == before  # readers still see the old corpus
    assert [p.name for p in (curated / "versions").iterdir()] == [current(curated)["version"]]  # no half version left

    monkeypatch.undo()  # the next run recovers by itself
    materialize(raw, curated)
    corpus = pq.read_table(curated / "corpus")
    assert "new.txt" in corpus["source_path"].to_pylist()


def test_paragraph_languages_point_at_the_published_lines(run):
    for row in run["corpus"].values():
        lines = row["text"].split("\n")
        assert row["paragraph_languages"], row["source_path"]
        for p in row["paragraph_languages"]:
            assert sum(c.isalpha() for c in lines[p["paragraph"]]) >= 40 and p["language"] != "und"


def _published_hash(curated, name):
    return current(curated)[name]["content_hash"]


def _memo_keys(curated):
    with sqlite3.connect(curated / ".work" / "memo.sqlite") as db:
        return set(db.execute("SELECT stage, key FROM results"))


def test_incremental_runs_equal_full_rebuilds(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    shutil.copy(RAW / "tweet-thread-leaked-memo.txt", raw / "tweet.txt")
    steps = [
        lambda: (raw / "new.txt").write_text("A new page a person wrote, long enough to be a document of the corpus."),
        lambda: (raw / "tweet.txt").write_bytes((RAW / "blog-uneven-landscape.txt").read_bytes()),  # changed
        lambda: (raw / "lemmy-thread.txt").unlink(),  # removed
    ]
    materialize(raw, curated)
    for k, step in enumerate(steps):
        step()
        result = materialize(raw, curated)  # incremental: the memo in curated/.work/ from earlier runs
        full = tmp_path / f"full-{k}"
        materialize(raw, full)  # from scratch
        for name in ("corpus", "rejected"):
            assert _published_hash(curated, name) == _published_hash(full, name), (k, name)
        changes = result.asset_materializations_for_node("mojibake_fixed")[0].metadata["changes"].data
        assert changes["reused from an earlier run"] >= 1  # unchanged files were not processed again
    assert "lemmy-thread.txt" not in pq.read_table(curated / "corpus")["source_path"].to_pylist()
    # the memo forgot the results of the changed and removed files: it holds what a rebuild's memo holds
    assert _memo_keys(curated) == _memo_keys(full)

    from pipeline import memo

    real = memo.code_version
    monkeypatch.setattr(memo, "code_version", lambda stage: real(stage) + ("-bumped" if stage == "mojibake" else ""))
    monkeypatch.setenv("PIPELINE_WORKERS", "1")  # the jobs in this process, where the code version is patched
    bumped = materialize(raw, curated)  # the mojibake stage's code changed: it processes everything again
    changes = {node: bumped.asset_materializations_for_node(node)[0].metadata["changes"].data
               for node in ("mojibake_fixed", "chrome_stripped")}  # fmt: skip
    assert changes["chrome_stripped"]["reused from an earlier run"] == 3  # the repairs came out the same
    assert "reused from an earlier run" not in changes["mojibake_fixed"]


def test_a_memo_of_the_earlier_layout_is_replaced_not_an_error(tmp_path):
    from pipeline.memo import Memo

    path = tmp_path / "memo.sqlite"
    with sqlite3.connect(path) as db:  # layout 1: no stage column
        db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, value BLOB)")
        db.execute("INSERT INTO results VALUES ('old', x'00')")
    memo = Memo(path)
    memo.add([memo.entry("language", "k1", ({"language": "en"}, {}))])
    assert memo.get(["k1", "old"]) == {"k1": ({"language": "en"}, {})}
    memo.used(["k2"])
    assert memo.keep_only("language") == 1 and memo.get(["k1"]) == {}
    memo.add([memo.entry("language", k, ({}, {})) for k in ("k2", "k3")])  # the same writer, again
    memo.used(["k2"])  # what the stage before used is forgotten once it kept it: k3 goes
    assert memo.keep_only("language") == 1 and list(memo.get(["k2", "k3"])) == ["k2"]


def test_a_stage_code_version_covers_every_module_its_code_imports():
    # A module left out would let the memo serve results of code that has since changed.
    import ast

    from pipeline.memo import _TEXT, STAGE_CODE

    def imported(name: str) -> set[str]:  # the pipeline.text modules a module imports, at any depth of its code
        found = set()
        for node in ast.walk(ast.parse((_TEXT / name).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "pipeline.text":
                found |= {f"{alias.name}.py" for alias in node.names if (_TEXT / f"{alias.name}.py").exists()}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipeline.text."):
                found.add(node.module.rsplit(".", 1)[1] + ".py")
        return found

    for stage, files in STAGE_CODE.items():
        modules = [f for f in files if f.endswith(".py")]
        for name in modules:
            assert imported(name) <= set(files), (stage, name, imported(name) - set(files))

def test_a_corpus_unfit_to_publish_is_not_written(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    materialize(raw, curated)
    before = published(curated)
    split = publication.split_published

    def lose_a_file(table, run_id):  # a bug that drops a document on the way: a raw file no table accounts for
        corpus, rejected = split(table, run_id)
        return corpus.slice(1), rejected

    monkeypatch.setattr(publication, "split_published", lose_a_file)
    with dg.instance_for_test() as instance:
        result = dg.materialize(ALL, tags=EVERY_BATCH, resources=resources_for(raw, curated), instance=instance, raise_on_error=False)
    assert not result.success
    assert published(curated) == before


def _published(*rows):  # (doc_id, source_path, source_record, text) as the publishing step writes them
    return pa.table(dict(zip(["doc_id", "source_path", "source_record", "text"], map(list, zip(*rows)))), schema=pa.schema(
        [("doc_id", pa.string()), ("source_path", pa.string()), ("source_record", pa.string()), ("text", pa.string())]))  # fmt: skip


def test_the_tests_before_publication_name_each_thing_that_makes_a_corpus_unfit(monkeypatch):
    raw = ["1.txt", "3.txt", "4.txt", "5.txt", "dump.jsonl"]
    tally = publication.Tally()
    tally.corpus(_published(("a", "1.txt", None, "text"), ("d0", "dump.jsonl", "0", "one"), ("d1", "dump.jsonl", "1", "two"),
                            ("a", "3.txt", None, "text"), ("e", "4.txt", None, " \n")))  # fmt: skip
    tally.rejected(_published(("f", "1.txt", None, ""), ("d2", "dump.jsonl", "2", ""), ("g", "gone.txt", None, "")))
    assert tally.problems(iter(raw)) == {
        "doc_id_unique": ["a"],
        "no_empty_text": ["4.txt"],
        "every_raw_file_accounted_for": ["missing: 5.txt", "not in raw: gone.txt", "twice: 1.txt"],
    }
    fit = publication.Tally()
    fit.corpus(_published(("a", "1.txt", None, "text"), ("d0", "dump.jsonl", "0", "one"), ("d1", "dump.jsonl", "1", "two")))
    fit.rejected(_published(("b", "3.txt", None, "")))
    assert fit.problems(["1.txt", "3.txt", "dump.jsonl"]) == {"doc_id_unique": [], "no_empty_text": [], "every_raw_file_accounted_for": []}
    monkeypatch.setattr(publication.Tally, "SHOWN", 2)  # a stage that lost every file: a few named, not all held
    lost = publication.Tally()
    lost.corpus(_published(*((f"e{k}", f"{k}.txt", None, "") for k in range(2))))
    lost.corpus(_published(("e2", "2.txt", None, "")))
    assert lost.problems(f"{k}.txt" for k in range(5)) == {
        "doc_id_unique": [], "no_empty_text": ["0.txt", "1.txt"], "every_raw_file_accounted_for": ["missing: 3.txt", "missing: 4.txt"]}


def _rows(curated, name):
    table = pq.read_table(curated / name).drop_columns(["ingested_at", "run_id"])
    return table.to_pylist()


def test_the_result_does_not_depend_on_how_the_work_is_split(run, tmp_path, monkeypatch):
    """Shards of two documents over two worker processes give the corpus one shard in one process gave."""
    monkeypatch.setattr(tables, "SHARD_DOCS", 2)
    monkeypatch.setenv("PIPELINE_WORKERS", "2")
    split = tmp_path / "split"
    materialize(run["raw"], split)
    assert len(tables.shards(split / ".work" / "deduplicated")) > 2
    for name in ("corpus", "rejected"):
        assert _rows(split, name) == _rows(run["curated"], name)


def test_lines_removed_across_documents_leave_no_run_of_blank_lines(tmp_path):
    prose = "A line of prose a person wrote about the garden, the weather and what the neighbours grew this year"
    texts = [f"{prose}, {k}.\n\nFiled under gardening\n\n{prose}, again {k}." for k in range(3)]
    rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": str(k), "source_path": f"{k}.txt", "source_sha256": "", "source_bytes": 0,
             "text": text} for k, text in enumerate(texts)]  # fmt: skip
    (tmp_path / "in").mkdir()
    tables._write(rows, tables.shard_path(tmp_path / "in", "00", 0))
    across_documents.strip_chrome(tmp_path / "in", tmp_path / "out")  # the line stands in every document: the site's own
    out = tables.read_shard(tables.shard_path(tmp_path / "out", "00", 0)).to_pylist()
    assert [row["text"] for row in out] == [f"{prose}, {k}.\n\n{prose}, again {k}." for k in range(3)]
    assert [row["chrome_removed"] for row in out] == [["Filed under gardening"]] * 3


def test_a_document_that_loses_boilerplate_is_compared_as_it_is_left(tmp_path):
    # After boilerplate leaves every document, a document is fingerprinted again: with nothing else in it, it is
    # an exact copy of the document that never had the boilerplate.
    body = "Notes on the allotment: the beans came up late this year, the frost took the first sowing of peas"
    legal = "This message and any attachments are confidential and intended solely for the addressee named above."
    others = [f"{k} other notes on a different plot, about {k * 3} rows of leeks, onions and a shed roof" for k in range(6)]
    texts = [f"{body}\n\n{legal}", body, *(f"{text}\n\n{legal}" for text in others)]
    rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": str(k), "source_path": f"{k}.txt", "source_sha256": "", "source_bytes": 0,
             "text": text} for k, text in enumerate(texts)]  # fmt: skip
    (tmp_path / "in").mkdir()
    tables._write(rows, tables.shard_path(tmp_path / "in", "00", 0))
    stats, copies = across_documents.deduplicate(tmp_path / "in", tmp_path / "out")
    assert stats["boilerplate paragraphs removed"] == 7
    assert [(c.path, c.kept_path, c.kind) for c in copies.listed()] == [("1.txt", "0.txt", "exact")]


def _stage_table(tmp_path, texts):
    rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": f"id{k}", "source_path": f"{k}.txt", "source_sha256": "",
             "source_bytes": 0, "text": text} for k, text in enumerate(texts)]  # fmt: skip
    (tmp_path / "in").mkdir()
    tables._write(rows, tables.shard_path(tmp_path / "in", "00", 0))
    return tmp_path / "in"


def test_a_document_left_with_nothing_but_boilerplate_is_rejected_not_published_empty(tmp_path):
    # A documentation page whose only text is the note many other pages carry: it goes to rejected with a reason,
    # and the corpus is published (before, it stayed with an empty text and the blocking check refused it all).
    note = ("Availability: not Emscripten, not WASI. This module does not work or is not available on WebAssembly "
            "platforms wasm32-emscripten and wasm32-wasi. See WebAssembly platforms for more information.")  # fmt: skip
    pages = [f"The {name} module provides access to {name} services, {k} functions and constants of its own.\n{note}"
             for k, name in enumerate(["socket", "select", "signal", "mmap", "resource", "grp", "pwd", "termios"])]  # fmt: skip
    raw = tmp_path / "raw"
    raw.mkdir()
    for k, page in enumerate([*pages, f"Note\n{note}"]):  # the page's heading alone would be left
        (raw / f"page-{k}.txt").write_text(page)
    curated = tmp_path / "curated"
    result = materialize(raw, curated)
    corpus = pq.read_table(curated / "corpus").to_pylist()
    rejected = {r["source_path"]: r for r in pq.read_table(curated / "rejected").to_pylist()}
    assert sorted(r["source_path"] for r in corpus) == [f"page-{k}.txt" for k in range(8)]
    assert all(note not in r["text"] and r["paragraphs_removed"] == [note] for r in corpus)
    assert rejected["page-8.txt"]["stage"] == "dedup"
    assert rejected["page-8.txt"]["reason"] == (
        "boilerplate: nothing left once 1 paragraph many documents share are removed, only 1 short line (Note)")
    changes = result.asset_materializations_for_node("deduplicated")[0].metadata["changes"].data
    assert changes["documents left empty by boilerplate"] == 1


def test_a_document_left_with_nothing_by_lines_repeated_across_documents_is_rejected(tmp_path):
    prose = "A line of prose a person wrote about the garden, the weather and what the neighbours grew this year"
    source = _stage_table(tmp_path, [*(f"{prose}, {k}.\nThe gardening club\n{prose}, again." for k in range(3)), "The gardening club"])
    stats = across_documents.strip_chrome(source, tmp_path / "out")
    out = tables.read_shard(tables.shard_path(tmp_path / "out", "00", 0)).to_pylist()
    assert [row["reject_stage"] for row in out] == [None, None, None, "chrome"]
    assert out[3]["reject_reason"].startswith("chrome: nothing left")
    assert (stats["out"], stats["rejected"]) == (3, 1)


def _arrays(value) -> list:
    """The numpy arrays in a job's result, at any depth of its tuples, lists and dicts."""
    if isinstance(value, np.ndarray):
        return [value]
    inside = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
    return [array for item in inside for array in _arrays(item)]


def _spied(monkeypatch, *modules) -> dict[str, list[tuple]]:
    """Each job's calls through the `modules`' _map and what it handed back to the run process (here, in it: one
    worker), by the job's name."""
    received, original = {}, {module: module._map for module in modules}

    def spied(module):
        def _map(job, calls, *args, **kwargs):
            def handed_back(*call):
                received.setdefault(job.__name__, []).append((call, result := job(*call)))
                return result

            return original[module](handed_back, calls, *args, **kwargs)

        return _map

    for module in modules:
        monkeypatch.setattr(module, "_map", spied(module))
    return received


def _plot(shard: int, k: int) -> str:
    """A short line of one document's own."""
    return f"Notes on the {['rhubarb', 'fennel', 'chard', 'kale', 'leek', 'sorrel'][2 * shard + k]} bed"


def test_the_run_process_gets_the_lines_repeated_across_documents_not_the_keys_of_every_document(tmp_path, monkeypatch):
    """The chrome stage's shard jobs write their short lines' keys to files of their own and hand back how many; a
    task a bucket hands back the keys found in enough documents, the only keys the run process receives. A keys
    folder a killed run left is removed, and the step's own goes when it ends, also when it fails."""
    from pipeline import buckets
    from pipeline.text.dedup import line_keys

    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    monkeypatch.setattr(buckets, "SHARDS_A_BUCKET", 2)  # three shards: two buckets
    prose = "A line of prose a person wrote about the garden, the weather and what the neighbours grew this year"
    source = tmp_path / "in"
    source.mkdir()
    for shard in range(3):
        rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": f"{shard}-{k}", "source_path": f"{shard}-{k}.txt", "source_sha256": "",
                 "source_bytes": 0, "text": f"{prose}, {shard} {k}.\nThe gardening club\n{_plot(shard, k)}\n{prose}."}
                for k in range(2)]  # fmt: skip
        tables._write(rows, tables.shard_path(source, "00", shard))
    stale = tmp_path / ".keys" / "out-0badc0de"  # of a run killed in the step
    stale.mkdir(parents=True)
    buckets.KeyFiles(stale, 2).write("part-00-00000.arrow", line_keys([f"{prose}, 0 0."]), np.zeros(1, np.uint16))
    received = _spied(monkeypatch, rewrite, across_documents)
    across_documents.strip_chrome(source, tmp_path / "out")
    for shard in range(3):
        for k, row in enumerate(tables.read_shard(tables.shard_path(tmp_path / "out", "00", shard)).to_pylist()):
            assert row["text"] == f"{prose}, {shard} {k}.\n{_plot(shard, k)}\n{prose}."
    # each shard job handed back its counts and how many keys it wrote (its documents' short lines, two each)
    assert [extra for _, (_, extra, _, _) in received["_row_job"]] == [4, 4, 4]
    assert not _arrays([result for _, result in received["_row_job"]])
    # a task a bucket, each the keys of its bucket found in three documents or more: the line every document holds
    assert len(received["_bucket_job"]) == 2
    found = np.concatenate([result for _, result in received["_bucket_job"]])
    assert sorted(found.tolist()) == line_keys(["The gardening club"]).tolist()
    # the removal jobs find the rows that hold it in their shards' files, not in a list the run process made
    assert [type(call[-1]) for call, _ in received["_remove_job"]] == [buckets.KeyFiles] * 3
    assert not list((tmp_path / ".keys").glob("out-*"))  # the stale folder, and the step's own

    def fails(*args):
        raise OSError("the disk went away")

    monkeypatch.setattr(across_documents, "_bucket_job", fails)
    with pytest.raises(OSError, match="went away"):
        across_documents.strip_chrome(source, tmp_path / "out")
    assert not list((tmp_path / ".keys").glob("out-*"))


def test_boilerplate_counts_copies_of_one_document_once(tmp_path):
    # A paragraph in one document and four copies of another stands in two distinct documents, not five: it is
    # a quotation, not boilerplate, and stays in the distinct document.
    quote = "We have no moat, and neither does OpenAI, said the memo that everyone quoted that week in May."
    copied = f"A long post that four mirrors copied word for word, about open models and their costs.\n{quote}"
    other = f"A different post by another person, who quoted the same memo and argued the opposite.\n{quote}"
    fillers = [f"Unrelated post number {k} about gardening, {k * 7} rows of leeks and a shed roof." for k in range(20)]
    source = _stage_table(tmp_path, [copied, *[copied] * 4, other, *fillers])
    stats, copies = across_documents.deduplicate(source, tmp_path / "out")
    assert "boilerplate paragraphs removed" not in stats
    out = tables.read_shard(tables.shard_path(tmp_path / "out", "00", 0)).to_pylist()
    assert quote in out[5]["text"] and quote in out[0]["text"]
    assert sorted(c.path for c in copies.listed()) == ["1.txt", "2.txt", "3.txt", "4.txt"]


def test_every_copy_names_a_kept_document():
    # An exact copy of a near copy is a copy of the document the near copy was kept against.
    import random

    rng = random.Random(1)
    words = ["".join(rng.choice("abcdefghij") for _ in range(5)) for _ in range(400)]
    longer, shorter = " ".join(words), " ".join(words[:-8])
    from pipeline.text import find_duplicates

    found = find_duplicates([longer, shorter, shorter], ["b", "a1", "a2"])
    assert [(d.index, d.kept, d.kind) for d in found] == [(1, 0, "near"), (2, 0, "near")]


def test_control_characters_never_reach_the_corpus_and_are_counted(tmp_path):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    essay = (raw / "forum-essay-no-moat.txt").read_bytes()
    (raw / "forum-essay-no-moat.txt").write_bytes(essay.replace(b"\n", b"\x00\r\n", 3) + b"\x1b[0m\x00\x00")
    (raw / "latin1.txt").write_bytes(  # cp1252 read as Latin-1 and saved as UTF-8: C1 quotes, and a stray 0x81
        "The author wrote \x93a small test of the repair\x94 and signed it\x81 with care, then left.".encode())
    materialize(raw, curated)
    corpus = {r["source_path"]: r for r in pq.read_table(curated / "corpus").to_pylist()}
    controls = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\t", "\n"}
    assert not any(controls & set(row["text"]) for row in corpus.values())
    assert corpus["forum-essay-no-moat.txt"]["controls_removed"] == 6
    assert corpus["latin1.txt"]["text"] == "The author wrote “a small test of the repair” and signed it with care, then left."
    assert corpus["latin1.txt"]["controls_removed"] == 1
    assert corpus["lemmy-thread.txt"]["controls_removed"] == 0


def test_odd_names_broken_links_and_pipes_never_stop_the_run(tmp_path):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    latin1_name = os.fsdecode(b"caf\xe9.txt")  # a name in Latin-1 bytes, as an old archive extracts it
    (raw / latin1_name).write_text("A page whose file name is not UTF-8, long enough to be a document of the corpus.")
    (raw / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(raw / "pipe.txt")  # opened, it would wait for a writer forever
    materialize(raw, curated)  # the blocking checks hold: every entry listed is in one table
    corpus = pq.read_table(curated / "corpus").to_pylist()
    rejected = {r["source_path"]: r["reason"] for r in pq.read_table(curated / "rejected").to_pylist()}
    assert "caf\\xe9.txt" in [r["source_path"] for r in corpus]
    assert rejected == {"dangling.txt": "broken link: its target does not exist", "pipe.txt": "not a regular file: a named pipe"}


STUFFED = " ".join(f"Looking for payday loans {city}? Our payday loans {city} experts offer the best payday loans {city} "
                   f"prices, and payday loans {city} reviews help you find payday loans {city} fast."
                   for city in ("austin", "boston", "denver", "miami", "dallas", "seattle"))  # fmt: skip
BULLETS = "\n".join(f"• {key}: {value}" for key, value in (("Material", "cotton"), ("Size", "M"), ("Colour", "navy"), ("Care", "machine wash")))
TEASERS = "\n".join(f"{k + 7} {topic} you won't believe exist..." for k, topic in enumerate(("dog breeds", "old cars", "tiny houses", "diet secrets", "travel spots", "kitchen hacks")))  # fmt: skip


def _tables(curated) -> tuple[dict, dict]:
    read = lambda name: {r["source_path"]: r for r in pq.read_table(curated / name).to_pylist()}  # noqa: E731
    return read("corpus"), read("rejected")


def test_quality_rules_reject_junk_re_decide_from_the_memo_and_can_be_switched_off(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    (raw / "doorway.txt").write_text(STUFFED)
    (raw / "teasers.txt").write_text(TEASERS)
    (raw / "bullets.txt").write_text(BULLETS)  # a storefront page of product bullets: every line is chrome
    result = materialize(raw, curated)
    corpus, rejected = _tables(curated)
    assert rejected["bullets.txt"]["stage"] == "chrome"  # named by what it is, not only "nothing but page chrome"
    assert rejected["bullets.txt"]["reason"].startswith("quality:gopher_bullets (bullet_line_share 1 > 0.9); and 2 more rules")
    assert rejected["bullets.txt"]["reason"].endswith("; nothing but page chrome (4 interface lines, no text)")
    assert rejected["doorway.txt"]["stage"] == "quality"
    assert rejected["doorway.txt"]["reason"].startswith("quality:gopher_top_2gram (top_2gram_char_share 0.37")
    assert rejected["teasers.txt"]["reason"].startswith("quality:gopher_ellipsis_lines (ellipsis_line_share 1 > 0.3")
    assert rejected["teasers.txt"]["quality"]["ellipsis_line_share"] == 1.0  # the signals that decided, kept
    assert set(corpus) == {"forum-essay-no-moat.txt", "lemmy-thread.txt"}
    assert all(row["quality"]["words"] > 100 and row["quality"]["stop_words"] > 2 for row in corpus.values())
    meta = result.asset_materializations_for_node("quality")[0].metadata
    assert "| gopher_ellipsis_lines | ellipsis_line_share > 0.3 and lines >= 4 | 1 | 0 | `teasers.txt`: 7 dog breeds" in meta["rules"].value
    assert "| gopher_bullets | bullet_line_share > 0.9 | 0 | 1 |" in meta["rules"].value  # the bullets page, named at the chrome stage
    assert "| words |" in meta["signals"].value and meta["quality rules enforced"].value is True

    # a threshold changed: decided again on the remembered signals, none computed again
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES_FILE.read_text().replace('ellipsis_line_share = "> 0.3"', 'ellipsis_line_share = "> 1"'))
    monkeypatch.setenv("PIPELINE_QUALITY_RULES", str(rules))
    again = materialize(raw, curated).asset_materializations_for_node("quality")[0].metadata
    assert again["changes"].data["reused from an earlier run"] == again["documents in"].value == 4
    corpus, rejected = _tables(curated)
    assert rejected["teasers.txt"]["reason"].startswith("quality:gopher_dup_5gram")  # the next rule it fails

    monkeypatch.setenv("PIPELINE_QUALITY", "off")  # measure, reject nothing
    off = materialize(raw, curated).asset_materializations_for_node("quality")[0].metadata
    corpus, rejected = _tables(curated)
    assert {"doorway.txt", "teasers.txt"} <= set(corpus) and set(rejected) == {"bullets.txt"}  # chrome rejects it still
    assert off["changes"].data["would reject: gopher_dup_5gram"] == 1 and off["rejected here"].value == 0

    monkeypatch.setenv("PIPELINE_QUALITY", "maybe")
    with pytest.raises(dg.Failure, match="PIPELINE_QUALITY is 'maybe': it takes on .* or off"):
        materialize(raw, curated)


def test_the_extractor_setting_reads_the_pages_again_and_a_wrong_value_stops_the_run(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    (raw / "ferry.html").write_text(FERRY)
    both = materialize(raw, curated).asset_materializations_for_node("chrome_stripped")[0].metadata
    corpus, _ = _tables(curated)
    assert both["extractor"].value == "both" and FILED not in corpus["ferry.html"]["text"]
    monkeypatch.setenv("PIPELINE_EXTRACTOR", "own")  # another reading: the chrome stage's results not reused
    own = materialize(raw, curated).asset_materializations_for_node("chrome_stripped")[0].metadata
    corpus, _ = _tables(curated)
    assert own["extractor"].value == "own" and FILED in corpus["ferry.html"]["text"]
    assert "reused from an earlier run" not in own["changes"].data
    again = materialize(raw, curated).asset_materializations_for_node("chrome_stripped")[0].metadata
    assert again["changes"].data["reused from an earlier run"] == again["documents in"].value  # the same reading
    monkeypatch.setenv("PIPELINE_EXTRACTOR", "trafilatura")
    with pytest.raises(dg.Failure, match="PIPELINE_EXTRACTOR is 'trafilatura': it takes both .* or own"):
        materialize(raw, curated)


def test_personal_data_is_masked_when_asked(tmp_path, monkeypatch):
    raw, curated = small_raw(tmp_path), tmp_path / "curated"
    (raw / "contact.txt").write_text((RAW / "forum-essay-no-moat.txt").read_text() + "\nWrite to jane.doe@example.org or call +1 415 555 2671 from 10.0.0.7.\n")
    materialize(raw, curated)
    corpus, _ = _tables(curated)
    assert "jane.doe@example.org" in corpus["contact.txt"]["text"] and corpus["contact.txt"]["pii"] is None
    monkeypatch.setenv("PIPELINE_PII", "mask")
    materialize(raw, curated)
    corpus, _ = _tables(curated)
    assert "Write to <EMAIL_ADDRESS> or call <PHONE_NUMBER> from <IP_ADDRESS>." in corpus["contact.txt"]["text"]
    assert corpus["contact.txt"]["pii"] == {"emails": 1, "ips": 1, "phones": 1}
    assert corpus["lemmy-thread.txt"]["pii"] == {"emails": 0, "ips": 0, "phones": 0}


def _shards_of(tmp_path, documents: list[tuple[str, str]], per_shard: int = 2):
    """A stage table of these (path, text), `per_shard` documents a shard in this order; doc ids their places."""
    source = tmp_path / "in"
    source.mkdir()
    for shard in range(0, len(documents), per_shard):
        rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": f"id{shard + k}", "source_path": path, "source_sha256": "",
                 "source_bytes": 0, "text": text} for k, (path, text) in enumerate(documents[shard : shard + per_shard])]  # fmt: skip
        tables._write(rows, tables.shard_path(source, "00", shard // per_shard))
    return source


def test_the_spread_of_quality_signals_is_read_from_evenly_spaced_documents_and_the_largest_of_all(tmp_path):
    from pipeline import stages

    fields = DOCUMENTS.field("quality").type
    source = tmp_path / "quality"
    source.mkdir()
    for shard in range(4):  # 3 documents a shard, the middle one rejected; words: 0, 1, 2, ... over the live ones
        rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": f"id{shard}{k}", "source_path": f"{shard}{k}.txt", "source_sha256": "",
                 "source_bytes": 0, "text": "t", "reject_stage": "quality" if k == 1 else None,
                 "quality": {**dict.fromkeys(f.name for f in fields), "words": 100 if k == 1 else 2 * shard + k // 2}}
                for k in range(3)]  # fmt: skip
        tables._write(rows, tables.shard_path(source, "00", shard))
    everything, largest = stages.quality_signals(source)
    assert everything["words"].tolist() == list(range(8)) and largest["words"] == 7
    assert np.isnan(everything["lines"]).all()  # a signal no document has
    some, largest = stages.quality_signals(source, most=3)
    assert some["words"].tolist() == [2, 5, 7] and largest["words"] == 7


def _chained_copies() -> list[tuple[str, str]]:
    """Exact copies, near copies that chain (a ~ b, b ~ c, a not ~ c) where the order of lengths decides, ties of
    length broken by path and then by place, an exact copy of a near copy, and a document that is a copy of another
    only once boilerplate left it."""
    import random

    rng = random.Random(7)
    words = lambda n, size: ["".join(rng.choice("abcdefghijklmnop") for _ in range(size)) for _ in range(n)]  # noqa: E731

    def edited(base: list[str], at: list[int], size: int) -> str:
        return " ".join(words(1, size)[0] if k in at else word for k, word in enumerate(base))

    first, second, third, fourth, fifth = (words(200, 6) for _ in range(5))
    a = edited(first, [20, 50, 80], 9)  # the longest of its chain: kept, b its near copy, c of nothing kept
    b = edited(first, [20, 50, 80], 4)
    c = " ".join(b.split()[:110] + [w if k not in (0, 30, 60) else w[:2] for k, w in enumerate(b.split()[110:])])
    e = " ".join(second)  # the longest of the other chain: d and f are both its near copies
    d, f = edited(second, [20, 50, 80], 3), edited(second, [110, 140, 170], 3)
    g = " ".join(third)
    h = edited(third, [100], 6)  # as long as g, and of the same path: the first in the table is kept
    k, j = " ".join(fifth), edited(fifth, [100], 6)  # as long as each other: the first path is kept, j.txt, the last
    x = " ".join(fourth[:60])
    note = "This message and any attachments are confidential and intended solely for the addressee named above."
    y = " ".join(fourth[60:])
    fillers = [" ".join(words(30, 5)) for _ in range(7)]  # of their own
    return [("c.txt", c), ("x.txt", x), ("f0.txt", fillers[0]), ("b.txt", b), ("same.txt", g), ("w.txt", x),
            ("a.txt", a), ("f.txt", f), ("same.txt", h), ("e.txt", e), ("d.txt", d), ("bb.txt", b),
            ("f1.txt", fillers[1]), ("w.txt", x), ("k.txt", k), ("y.txt", y), ("y2.txt", f"{y}\n{note}"),
            *((f"f{n}.txt", f"{fillers[n]}\n{note}") for n in range(2, 7)), ("j.txt", j)]  # fmt: skip


def test_the_copies_found_are_read_back_a_shard_or_a_few_clusters_at_a_time():
    from pipeline.copies import Copy, Found

    found = Found()
    found.add([Copy(1 << 16 | 3, 0, "exact", 1.0, "b.txt", "z.txt", "idz"), Copy(2, 0, "near", 0.91, "a.txt", "z.txt", "idz")])
    found.add([Copy(1 << 16 | 0, 7, "exact", 1.0, "c.txt", "m.txt", "idm"), Copy(5 << 16, 9, "exact", 1.0, "d.txt", "d.txt", "idd")])
    assert len(found) == 4 and found.kinds() == {"exact": 3, "near": 1} and found.kept_paths() == 3
    assert [c.path for c in found.of_shard(1)] == ["c.txt", "b.txt"] and found.of_shard(3) == []
    assert found.codes().tolist() == [2, 1 << 16, 1 << 16 | 3, 5 << 16] and found.kept_of()[1].tolist() == [0, 7, 0, 9]
    assert [c.path for c in found.listed()] == ["d.txt", "c.txt", "a.txt", "b.txt"]  # by kept path, then table order
    assert [(c.kept_path, c.path) for c in found.listed(kept_paths=2)] == [("d.txt", "d.txt"), ("m.txt", "c.txt")]
    found.close()


@pytest.mark.parametrize("max_buckets, group_shards", [(128, 256), (3, 5)])
def test_copies_found_a_bucket_a_task_are_those_found_on_the_whole_corpus_at_once(tmp_path, monkeypatch, max_buckets, group_shards):
    """Shards of two documents and buckets of one shard's keys (or, past the most buckets, of several), the shards'
    files read in one group (or in groups of five, the last smaller): the copies chain across shards, buckets,
    groups and batches of components, and each is marked as tx.dedup.find_duplicates decides on the same texts in
    memory."""
    from pipeline import buckets, copies
    from pipeline.text import find_duplicates

    monkeypatch.setattr(tables, "SHARD_DOCS", 2)
    monkeypatch.setattr(buckets, "SHARDS_A_BUCKET", 1)
    monkeypatch.setattr(buckets, "MAX_BUCKETS", max_buckets)
    monkeypatch.setattr(buckets, "GROUP_SHARDS", group_shards)
    assert buckets.buckets_for(12) == min(12, max_buckets)
    monkeypatch.setattr(copies, "BATCH_SHARDS", 1)
    documents = _chained_copies()
    stats, copies = across_documents.deduplicate(_shards_of(tmp_path, documents), tmp_path / "out")
    out = [row for part in tables.shards(tmp_path / "out") for row in tables.read_shard(part).to_pylist()]
    assert stats["boilerplate paragraphs removed"] == 6
    texts = [row["text"] for row in out]  # as boilerplate left them
    expected = {}
    for dup in find_duplicates(texts, [path for path, _ in documents]):
        how = "exact copy" if dup.kind == "exact" else f"near copy (Jaccard {dup.similarity:.2f})"
        expected[documents[dup.index][0], dup.index] = (f"{how} of {documents[dup.kept][0]}", f"id{dup.kept}")
    marked = {(row["source_path"], k): (row["reject_reason"], row["duplicate_of"]) for k, row in enumerate(out) if row["reject_stage"]}
    assert marked == expected
    # what makes the case: the chains, the ties and the copy boilerplate made
    assert {(path, re.sub(r" \(Jaccard [0-9.]+\)", "", reason)) for (path, _), (reason, _) in marked.items()} == {
        ("b.txt", "near copy of a.txt"), ("bb.txt", "near copy of a.txt"), ("d.txt", "near copy of e.txt"),
        ("f.txt", "near copy of e.txt"), ("same.txt", "near copy of same.txt"), ("x.txt", "exact copy of w.txt"),
        ("w.txt", "exact copy of w.txt"), ("y2.txt", "exact copy of y.txt"), ("k.txt", "near copy of j.txt")}  # fmt: skip
    assert ("same.txt", 8) in marked and ("w.txt", 13) in marked  # of equal length and path, the first is kept
    assert (stats["exact duplicates"], stats["near duplicates"]) == (3, 6)
    assert sorted((c.path, c.kept_path, c.kind) for c in copies.listed()) == sorted(
        (path, reason.split(" of ")[-1], reason.split()[0]) for (path, _), (reason, _) in marked.items())
    assert not list((tmp_path / ".keys").glob("out-*"))


def test_the_run_process_gets_the_copies_and_their_candidates_not_the_fingerprint_of_every_document(tmp_path, monkeypatch):
    """The dedup stage's shard jobs write their paragraphs' keys and their documents' digests and band keys to
    files of their own and hand back how many; the tasks a bucket hand back the boilerplate paragraphs' keys, the
    copies and the documents that share a band's key; no MinHash, digest or shingle reaches the run process."""
    from pipeline import buckets, copies
    from pipeline.text.dedup import Fingerprint

    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    monkeypatch.setattr(tables, "SHARD_DOCS", 2)
    monkeypatch.setattr(buckets, "SHARDS_A_BUCKET", 2)
    documents = _chained_copies()
    stale = tmp_path / ".keys" / "out-0badc0de" / "digests"  # of a run killed in the step
    stale.mkdir(parents=True)
    received = _spied(monkeypatch, rewrite, across_documents, copies)
    stats, _ = across_documents.deduplicate(_shards_of(tmp_path, documents), tmp_path / "out")
    assert (stats["exact duplicates"], stats["near duplicates"]) == (3, 6)

    def inside(value) -> list:
        if isinstance(value, (Fingerprint, bytes)) or isinstance(value, np.ndarray) and value.dtype == np.uint32:
            return [value]
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) else ()
        return [found for item in items for found in inside(item)]

    assert not inside([result for results in received.values() for _, result in results])
    # each shard job hands back how many paragraph keys and documents' fingerprints it wrote; no array at all
    assert [documents for _, (_, (_, documents), _, _) in received["_row_job"]] == [2] * 11 + [1]
    assert not _arrays([result for _, result in received["_row_job"]])
    # boilerplate is counted a task a bucket, a copy's paragraphs once; the removal jobs find the documents that hold
    # it in their shards' files
    assert len(received["_bucket_job"]) == 6
    assert [type(call[-1]) for call, _ in received["_remove_job"]] == [buckets.KeyFiles] * 12
    # the documents sharing a band's key: the near copies' and the exact copies', never a document of its own
    shared = {int(code) for _, (codes, _) in received["_band_job"] for code in codes}
    alone = {(n // 2) << 16 | n % 2 for n, (path, _) in enumerate(documents) if re.fullmatch(r"f\d\.txt", path)}
    assert shared and not shared & alone
    assert len(received["_exact_job"]) == 2 * 6 and len(received["_band_job"]) == 2 * 6  # two passes, six buckets
    assert len(received["_batch_job"]) >= 2  # components, in batches of about four shards' documents
    assert all(len(shards) < 12 for (_, shards, _, _), _ in received["_batch_job"])  # each reads its shards' files only
    assert not list((tmp_path / ".keys").glob("out-*"))  # the stale folder, and the step's own
