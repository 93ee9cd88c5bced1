"""What `make run` prints of a stage: a bar on a terminal, a line a tenth in CI, nothing in tests and UI runs."""

from pipeline import progress, stages


def _stage(shards: int) -> None:
    progress.begin("decoded")
    stages._map(abs, [(-k,) for k in range(shards)])  # each call through, as a stage's shards go
    progress.end("   9 documents in, 9 out, 0 rejected")


def test_a_terminal_gets_one_redrawn_bar_then_the_counts(monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_PROGRESS", "bar")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    _stage(4)
    out = capsys.readouterr().out
    assert "\rdecoded          [" + "#" * 15 + "." * 15 + "] 2/4 shards" in out
    assert "\n" not in out[:-1] and out.endswith("\rdecoded             9 documents in, 9 out, 0 rejected (0.0 s)\n")


def test_a_log_gets_a_line_each_tenth(monkeypatch, capsys):
    monkeypatch.setenv("PIPELINE_PROGRESS", "lines")
    monkeypatch.setenv("PIPELINE_WORKERS", "1")
    _stage(40)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "decoded          1/40 shards" and lines[1] == "decoded          4/40 shards" and len(lines) == 12


def test_nothing_is_printed_unless_asked(monkeypatch, capsys):
    monkeypatch.delenv("PIPELINE_PROGRESS", raising=False)
    _stage(4)
    assert capsys.readouterr().out == ""
