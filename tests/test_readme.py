"""The README's snippets, run as a newcomer runs them: after `make run` on the sample documents, from the project root."""

import contextlib
import io
import os
import re
import subprocess
import sys

import pytest

from pipeline.defs.assets import MATERIALIZE_ALL

from .conftest import RAW, ROOT, copy_seeds
from .servers import BIN
from .test_pipeline import materialize

README = (ROOT / "README.md").read_text()
PYTHON = re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A folder holding curated/ as `make run` leaves it on raw/."""
    folder = tmp_path_factory.mktemp("project")
    materialize(RAW, folder / "curated")
    return folder


def test_the_readme_has_the_snippets_it_promises():
    libraries = {"pyarrow", "pandas", "duckdb", "polars", "datasets", "pipeline.text"}
    assert {lib for lib in libraries if any(re.search(rf"^(import|from) {re.escape(lib)}\b", s, re.M) for s in PYTHON)} == libraries


@pytest.mark.parametrize("snippet", PYTHON, ids=[s.split("\n")[0] for s in PYTHON])
def test_a_readme_snippet_runs_on_the_sample_corpus(snippet, project, monkeypatch):
    monkeypatch.chdir(project)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "README.md", "exec"), {})
    assert printed.getvalue().strip()  # each prints what it read
    if "fix_mojibake" in snippet:
        assert printed.getvalue().strip() == snippet.split("# ", 1)[1].strip()


def test_what_make_run_prints_is_what_the_readme_shows(tmp_path):
    """make run's two commands, as it runs them (its progress in lines, as in CI), in a fresh project folder."""
    shown = re.search(r"then what it published:\n\n```\n(.*?)```", README, re.S)[1]
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PIPELINE_RAW_DIR": str(RAW), "PIPELINE_CURATED_DIR": "curated",
           "PIPELINE_PROGRESS": "lines"}  # fmt: skip
    run = subprocess.run([BIN / "dagster", *MATERIALIZE_ALL],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)  # fmt: skip
    summary = subprocess.run([sys.executable, "-m", "pipeline"], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    seconds = re.compile(r"\(\d+\.\d s\)")
    assert seconds.sub("(s)", run.stdout + summary.stdout) == seconds.sub("(s)", shown)
    assert "DEBUG" in run.stderr and "DEBUG" not in run.stdout  # Dagster's event stream apart from the person's view


def test_make_run_runs_the_command_the_tests_run():
    command = " ".join("'*'" if arg == "*" else arg for arg in MATERIALIZE_ALL)  # every batch, then the rest
    assert f"$(BIN)/dagster {command} " in (ROOT / "Makefile").read_text()


def test_the_curated_folder_is_a_hugging_face_dataset(tmp_path):
    import datasets
    import pyarrow.parquet as pq

    from pipeline.corpus import CORPUS, REJECTED

    raw, curated = tmp_path / "raw", tmp_path / "curated"
    raw.mkdir()
    copy_seeds(raw)
    (raw / "empty.txt").write_bytes(b"")  # a rejected table with a row
    materialize(raw, curated)
    corpus = datasets.load_dataset(str(curated), split="train")  # the card's YAML header: configs and features
    assert corpus.num_rows == pq.read_table(curated / "corpus").num_rows >= 5
    assert corpus.features == datasets.Features.from_arrow_schema(CORPUS)
    english = datasets.load_dataset(str(curated), "en", split="train")  # a config per language
    assert english.num_rows == corpus.num_rows and set(english["language"]) == {"en"}
    rejected = datasets.load_dataset(str(curated), "rejected", split="train")
    assert rejected.features == datasets.Features.from_arrow_schema(REJECTED)
    header = (curated / "README.md").read_text().split("---")[1]
    assert "license: unknown" in header and "- en" in header and "n<1K" in header
    assert rejected.num_rows == 1 and rejected[0]["reason"] == "empty file"
