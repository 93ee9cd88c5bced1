"""A stage's table written anew: jobs write shards into a new folder (a new prefix, on object storage) beside the
table, which then take its place: all of it, shard by shard (a second pass over it), or the shards of some batches
(an ingest stage run for those, while runs of other batches may write theirs). Locally by renames; on object
storage by writing the table's list of shards last.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Collection

from pipeline import storage
from pipeline.executors import _map
from pipeline.tables import BATCH_NAMES, SHARD_LIST, Folder, _listed, batch_list, shard_batch, shards


def _rewrite(
    target: Folder, calls: Callable[[Folder], list[tuple]], job: Callable, in_place: bool = False, each: Callable | None = None,
    batches: Collection[str] | None = None, **progress_in,
) -> list:
    """Run job on each of `calls(building)` (_map, with `each`), which write shards into a folder beside `target`;
    then put them in its place: the whole folder (a stage's new table), shard by shard (`in_place`: a second
    pass), or the shards of `batches` (an ingest stage run for some batches: theirs are replaced, with any shard
    of a batch that no longer exists). A remote table's shards are written under a new prefix, then its list."""
    if isinstance(target, storage.ObjectPath):
        building = target / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%fZ}-{os.urandom(4).hex()}"
        results = _map(job, calls(building), each, **progress_in)
        _switch(target, building, in_place, batches)
        _give_back_memory()
        return results
    # runs of other batches may be building theirs at the same time
    building = target.with_name(f".{target.name}.building" + "".join(f"-{b}" for b in sorted(batches or ())))
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    try:
        results = _map(job, calls(building), each, **progress_in)
    except BaseException:  # what it wrote goes: a disk that filled up is left as the run found it
        shutil.rmtree(building, ignore_errors=True)
        raise
    if in_place or batches is not None:
        target.mkdir(parents=True, exist_ok=True)
        if batches is not None:
            for part in shards(target):
                if not _stays(part, batches):
                    part.unlink(missing_ok=True)  # of a batch that no longer exists, another run may be first
        for part in shards(building):
            os.replace(part, target / part.name)
        building.rmdir()
    else:
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        building.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    _give_back_memory()
    return results


def _stays(part: Folder, batches: Collection[str]) -> bool:
    """Whether a shard outlives a run of `batches`: not when it is of one of them, nor of a batch that no longer exists."""
    return shard_batch(part) in BATCH_NAMES and shard_batch(part) not in batches


def _switch(target: storage.ObjectPath, building: storage.ObjectPath, in_place: bool, batches: Collection[str] | None) -> None:
    """_rewrite's swap on object storage: the shards written under `building` become the table's (all of it, or
    in place of theirs, or those of `batches`) when its list is written (each batch's list); then the objects no
    longer listed go (of `batches` only: a run of other batches may be writing its own)."""
    built = {name: file.uri for name, file in storage.listing(building.uri).items()}
    if batches is None:
        listed = {**(_listed(target) if in_place else {}), **built}
        lists = {target / SHARD_LIST: listed}
    else:
        lists = {batch_list(target, b): {n: uri for n, uri in built.items() if shard_batch(target / n) == b} for b in batches}
    for path, names in lists.items():
        storage.write_bytes(path.uri, json.dumps(names, indent=0, sort_keys=True).encode())
    kept = {*(uri for names in lists.values() for uri in names.values()), *(path.uri for path in lists)}

    def ours(name: str) -> bool:
        """What the run may remove: anything, or of a run of batches their shards (and a whole table's list, as
        an ingest stage had before its lists a batch)."""
        part = target / name
        return batches is None or name == SHARD_LIST or part.name.startswith("part-") and not _stays(part, batches)

    storage.delete([file.uri for name, file in storage.listing(target.uri).items() if file.uri not in kept and ours(name)])


def _give_back_memory() -> None:
    """Return the heap a step freed to the system (glibc keeps it otherwise: the Dagster process, which holds
    the steps across documents, stayed at its largest for the rest of the run)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
