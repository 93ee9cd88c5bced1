"""What `make run` prints of a stage: a bar on a terminal, a line a tenth in CI, nothing in tests and UI runs."""

from pipeline import executors, progress, stages, tables


def _stage(shards: int) -> None:
    progress.begin("decoded")
    executors._map(abs, [(-k,) for k in range(shards)])  # each call through, as a stage's shards go
    progress.end("   9 documents in, 9 out, 0 rejected")


def test_a_terminal_gets_one_redrawn_bar_then_the_counts(monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_PROGRESS", "bar")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    _stage(400)
    out = capsys.readouterr().out
    assert "\rdecoded          [" + "#" * 15 + "." * 15 + "] 200/400 shards" in out
    assert "\n" not in out[:-1] and out.endswith("\rdecoded             9 documents in, 9 out, 0 rejected (0.0 s)\n")


def test_a_log_gets_a_line_each_tenth(monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_PROGRESS", "lines")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    _stage(400)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "decoded          1/400 shards" and lines[1] == "decoded          40/400 shards" and len(lines) == 12


def test_a_stage_too_small_to_follow_prints_only_its_counts(monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_PROGRESS", "lines")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    _stage(progress.SHOWN_FROM - 1)
    assert capsys.readouterr().out == "decoded             9 documents in, 9 out, 0 rejected (0.0 s)\n"


def test_nothing_is_printed_unless_asked(monkeypatch, capsys):
    monkeypatch.delenv("PIPELINE_PROGRESS", raising=False)
    _stage(4)
    assert capsys.readouterr().out == ""


def test_a_stage_tells_its_documents_done_of_all(tmp_path, monkeypatch, capsys):
    from pipeline.corpus import DOCUMENTS

    monkeypatch.setenv("PIPELINE_PROGRESS", "lines")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    source = tmp_path / "in"
    source.mkdir()
    for k, n in enumerate((60, 50)):  # two shards, of 60 and 50 documents
        rows = [{**dict.fromkeys(DOCUMENTS.names), "doc_id": f"{k}-{j}", "source_path": f"{k}-{j}.txt", "source_sha256": "",
                 "source_bytes": 0, "text": "A sentence somebody wrote."} for j in range(n)]  # fmt: skip
        tables._write(rows, tables.shard_path(source, "00", k))
    progress.begin("mojibake_fixed")
    stages.fix_mojibake(source, tmp_path / "out")
    assert capsys.readouterr().out.splitlines() == ["mojibake_fixed   60/110 documents", "mojibake_fixed   110/110 documents"]
