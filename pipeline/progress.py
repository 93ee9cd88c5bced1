"""What `make run` prints while it runs: a line per stage with its progress, then its counts. PIPELINE_PROGRESS=bar
redraws a bar on a terminal, `lines` prints a line at each tenth of the work (for CI logs); unset, nothing is
printed (tests, runs launched from the UI: their events are in Dagster's run storage)."""

from __future__ import annotations

import os
import sys
import time

WIDTH = 30
SHOWN_FROM = 100  # a stage of fewer documents (shards, files) is over before its progress tells anything
_stage = {"label": "", "start": 0.0, "tenth": -1}


def _mode() -> str:
    return os.environ.get("PIPELINE_PROGRESS", "")


def begin(label: str) -> None:
    _stage.update(label=label, start=time.monotonic(), tenth=-1)


def advance(done: int, total: int, unit: str = "shards") -> None:
    """`done` of `total` documents (or shards, files) of the current stage are through."""
    mode, label = _mode(), _stage["label"]
    if not mode or not label or total < SHOWN_FROM:
        return
    if mode == "bar":
        filled = WIDTH * done // total
        sys.stdout.write(f"\r{label:16} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {unit}")
        sys.stdout.flush()
    elif (tenth := 10 * done // total) > _stage["tenth"]:
        _stage["tenth"] = tenth
        print(f"{label:16} {done}/{total} {unit}", flush=True)


def say(line: str) -> None:
    """A line of its own, between a stage's progress lines (a run waiting for another)."""
    if _mode():
        print(("\n" if _mode() == "bar" else "") + line, flush=True)


def end(summary: str) -> None:
    """The stage's last line: what it did, and how long it took."""
    if not _mode() or not _stage["label"]:
        return
    clear = "\r" + " " * (WIDTH + 40) + "\r" if _mode() == "bar" else ""
    print(f"{clear}{_stage['label']:16} {summary} ({time.monotonic() - _stage['start']:.1f} s)", flush=True)
    _stage["label"] = ""
