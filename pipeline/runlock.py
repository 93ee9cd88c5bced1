"""One run at a time writes a curated folder's tables: each step of a run (a stage, the publication) holds an
exclusive lock on the folder's working copy (`flock` on `.work/run.lock`, on this machine) while it runs. A second
run's step waits for it, and says which run it waits for: the schedule and a person's `make run` at once take turns,
step by step, and never publish at the same time. The kernel lets go of the lock of a process that dies, even by
kill -9: a lock is never left behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def held(work: Path, holder: str, waiting: Callable[[str], None]) -> Iterator[None]:
    """The lock of the working folder `work`, as `holder` (which run, which step); `waiting(who)` is told who holds
    it when this has to wait."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "run.lock", "a+", encoding="utf-8") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            waiting(f.read().strip() or "another run")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"{holder} (process {os.getpid()}, since {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC)")
        f.flush()
        yield  # the lock goes with the file's closing
