"""The pipeline's stages. No Dagster here: the assets call these.

Each stage reads the previous stage's document table and writes its own, both sharded: a folder of Arrow IPC
files (part-00000.arrow, ...) of at most SHARD_DOCS documents, in the order of the raw files' paths. A shard
is what a worker holds at a time, so memory stays flat however large the corpus grows, and the shards are
processed by a pool of worker processes (PIPELINE_WORKERS, default every core), or by Ray tasks on a cluster
(PIPELINE_RAY_ADDRESS). Steps across documents
(repeated lines, boilerplate, copies) count keys and fingerprints, never texts, then rewrite the shards.

A document a stage cannot keep is marked rejected with a reason; a stage that fails on one document rejects
that document and goes on.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import functools
import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import stat
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from pipeline import progress, storage
from pipeline import text as tx
from pipeline.corpus import (
    CORPUS, DOCUMENTS, MAX_DOCUMENT_BYTES, PIPELINE_VERSION, REJECTED, doc_id, wanted_languages,
)  # fmt: skip
from pipeline.memo import Memo
from pipeline.text.chrome import label, repeatable
from pipeline.text.dedup import Fingerprint, collapse_blank_lines, key_length, keyed_lengths, line_keys, paragraph_set, repeat_floor

SHARD_DOCS = 256
SHARD_BYTES = 128 * 2**20  # and a raw shard is written once it holds this many bytes: a worker's memory stays bounded
# The raw files fall into BATCHES batches by a hash of their path (the ingest stages' Dagster partitions): a file
# stays in its batch from run to run, and a batch's shards are named part-<batch>-<k>.arrow in every stage after.
BATCHES = 8
BATCH_NAMES = tuple(f"{k:02d}" for k in range(BATCHES))


class Reject(Exception):
    """Raised by a stage for a document it cannot keep; the message is the reason."""


Row = dict
Stats = Counter


# --- shards and workers ---------------------------------------------------------------------------------------


def workers() -> int:
    return int(os.environ.get("PIPELINE_WORKERS") or os.cpu_count() or 1)


def ray_address() -> str | None:
    """PIPELINE_RAY_ADDRESS, what ray.init(address=...) takes ("auto", "127.0.0.1:6379"; Ray Client's ray:// is untried):
    the shards run as tasks on that cluster. Unset: the local pool."""
    return os.environ.get("PIPELINE_RAY_ADDRESS") or None


def ran_on() -> str:
    """Where the shards ran since this was last asked, as the UI shows it."""
    if _ray is None:
        return f"local pool of {workers()} worker processes" if workers() > 1 else "the Dagster run process (PIPELINE_WORKERS=1)"
    workers_seen, _ray.ran = _ray.ran, Counter()
    nodes = len({node for node, _ in workers_seen})
    return f"Ray cluster {ray_address()}: {workers_seen.total()} tasks in {len(workers_seen)} worker processes on {nodes} nodes"


_pool: ProcessPoolExecutor | None = None


def _map(
    job: Callable, calls: list[tuple], each: Callable | None = None, sizes: list[int] | None = None, unit: str = "documents",
    local_files: bool = False,
) -> list:
    """job(*call) for every call, in order: on the Ray cluster, in the pool, or here when there is one call, one
    worker, or less than a shard's documents (or files) in all: the eight batches cut a small folder into small
    shards, and starting the pool cost more than their work. `each` is applied to every result as it comes (while
    the workers go on); its value is kept. Progress is told in `unit`s, `sizes` of them a call, else in shards.
    Jobs that read `local_files` (of this machine, not of the stage tables) run in the local pool, never on Ray."""
    if ray_address() and not local_files:
        results = _on_ray(job, calls)
    elif len(calls) <= 1 or workers() == 1 or (sizes is not None and sum(sizes) < SHARD_DOCS):
        results = (job(*call) for call in calls)
    else:
        results = _in_pool(job, calls)
    if sizes is None:
        sizes, unit = [1] * len(calls), "shards"
    kept, done, total = [], 0, sum(sizes)
    for size, result in zip(sizes, results):
        kept.append(result if each is None else each(result))
        done += size
        if len(calls) > 1:  # one call: nothing to tell before its end
            progress.advance(done, total, unit)
    return kept


def _in_pool(job: Callable, calls: list[tuple]) -> Iterator:
    """The results of job(*call), in order, from the pool, with two calls a worker in flight at most: results
    wait for this process in memory, so a slow consumer slows the workers instead of piling them up."""
    global _pool
    if _pool is None:  # one pool for the process: workers keep their loaded models from stage to stage
        for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(threads, "1")  # a worker is one core's work: no BLAS threads beside it
        context = multiprocessing.get_context("forkserver")  # not fork: the Dagster process runs threads
        _pool = ProcessPoolExecutor(workers(), mp_context=context)
    yield from _ahead(_pool, job, calls, 2 * workers())


def _task(job: Callable, *args) -> tuple[object, tuple[str, int]]:
    """A job as a Ray task: its result, and the worker that ran it (node, process)."""
    import ray

    return job(*args), (ray.get_runtime_context().get_node_id(), os.getpid())


class _RayTasks:
    """Ray as an executor for _ahead: a call is a task on the cluster, its result the ObjectRef's future. The jobs
    read and write the shards by path, so the nodes must share the curated folder."""

    def __init__(self, address: str):
        import ray  # the optional extra pipeline[ray]: only a run on a cluster needs it

        if not ray.is_initialized():  # one connection for the process, as one pool
            # the workers were started with the cluster's environment: they get this run's settings and credentials
            forwarded = {k: v for k, v in os.environ.items() if k.startswith(("PIPELINE_", "AWS_", "GOOGLE_"))}
            ray.init(address=address, log_to_driver=False, logging_level="WARNING", configure_logging=False,
                     runtime_env={"env_vars": forwarded})  # fmt: skip
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.task = ray.remote(_task)
        self.ran: Counter[tuple[str, int]] = Counter()

    def submit(self, job: Callable, *args) -> Future:
        return self.task.remote(job, *args).future()

    @functools.cache  # one actor a memo and run process
    def memo_server(self, path: Path):
        """An actor on this node that reads the memo at `path` for the workers: of another node, they cannot open it."""
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        return ray.remote(num_cpus=0)(MemoServer).options(scheduling_strategy=here).remote(path)


class MemoServer:
    """The memo's reads, for Ray workers (_ServedMemo asks it): the run process writes it, as for the local pool."""

    def __init__(self, path: Path):
        self.memo = Memo(path)

    def get(self, keys: list[str]) -> dict[str, object]:
        return self.memo.get(keys)


class _ServedMemo(Memo):
    """A worker's memo on Ray: keys and entries made here, results read by the MemoServer, a call a shard."""

    def __init__(self, server):
        super().__init__(None)
        self.server = server

    def get(self, keys: list[str]) -> dict[str, object]:
        import ray

        return ray.get(self.server.get.remote(keys)) if keys else {}


_ray: _RayTasks | None = None


def _cluster() -> _RayTasks:
    global _ray
    if _ray is None:
        _ray = _RayTasks(ray_address())
    return _ray


def _on_ray(job: Callable, calls: list[tuple]) -> Iterator:
    """As _in_pool, on the Ray cluster: two tasks a cluster core in flight at most."""
    cluster = _cluster()
    for result, worker in _ahead(cluster, job, calls, 2 * cluster.cpus):
        cluster.ran[worker] += 1
        yield result


def _ahead(executor: Executor | _RayTasks, job: Callable, calls: list[tuple], window: int) -> Iterator:
    """The results of job(*call) on `executor`, in order, with at most `window` calls submitted and not yet
    handed on: the work runs ahead of the consumer, but no further."""
    waiting = iter(calls)
    running = deque(executor.submit(job, *call) for call in itertools.islice(waiting, window))
    while running:
        result = running.popleft().result()
        if (call := next(waiting, None)) is not None:
            running.append(executor.submit(job, *call))
        yield result


# A folder of shards: local, or a prefix of object storage (storage.ObjectPath), where the stage's list of shards
# (name to object) is written last, as a rename would switch a local folder: one list for a table written whole
# (SHARD_LIST), one a batch for an ingest stage's (batch_list), so that runs of different batches at once each
# write only their own.
Folder = Path | storage.ObjectPath
SHARD_LIST = "shards.json"


def batch_list(folder: storage.ObjectPath, batch: str) -> storage.ObjectPath:
    return folder / f"shards-{batch}.json"


def shards(folder: Folder, batches: Collection[str] | None = None) -> list[Path] | list[storage.ObjectPath]:
    """A stage's shards in order (of batch, then of path), or those of `batches` only."""
    if isinstance(folder, storage.ObjectPath):
        found = [storage.ObjectPath(uri) for _, uri in sorted(_listed(folder, batches).items())]
    else:
        found = sorted(folder.glob("part-*.arrow"))
    return found if batches is None else [part for part in found if shard_batch(part) in batches]


def _listed(folder: storage.ObjectPath, batches: Collection[str] | None = None) -> dict[str, str]:
    """A remote stage's shards, by name (none before its first run): its list, else the lists of `batches` (all)."""
    whole = storage.read_text((folder / SHARD_LIST).uri) if batches is None else None
    if whole is not None:
        return json.loads(whole)
    listed = {}
    for batch in BATCH_NAMES if batches is None else batches:
        listed.update(json.loads(storage.read_text(batch_list(folder, batch).uri) or "{}"))
    return listed


def shard_path(folder: Folder, batch: str, k: int, sub: int = 0) -> Folder:
    """Shard k of a batch, or the sub-th more of an archive's (part-00-00003_0001 sorts after part-00-00003, before
    part-00-00004)."""
    return folder / (f"part-{batch}-{k:05d}.arrow" if not sub else f"part-{batch}-{k:05d}_{sub:04d}.arrow")


def shard_batch(part: Folder) -> str:
    """The batch a shard belongs to, from its name (of a shard named before batches: none of BATCH_NAMES)."""
    return part.name.split("-")[1]


def batch_of(source_path: str) -> str:
    """The batch of a raw file: a hash of its path, the same in every run."""
    digest = hashlib.sha256(source_path.encode("utf-8", "surrogatepass")).digest()
    return BATCH_NAMES[int.from_bytes(digest[:8], "big") % BATCHES]


def batch_counts(folder: Folder, batches: Collection[str]) -> dict[str, tuple[int, int]]:
    """Documents and, of them, rejected ones in each of `batches` of a stage's table."""
    counts = {batch: (0, 0) for batch in batches}
    for part in shards(folder, batches):
        rejected = read_shard(part, ["reject_stage"])["reject_stage"]
        n, r = counts[shard_batch(part)]
        counts[shard_batch(part)] = (n + len(rejected), r + len(rejected) - rejected.null_count)
    return counts


def read_shard(path: Folder, columns: list[str] | None = None) -> pa.Table:
    """A shard of a stage's table (Arrow IPC), memory-mapped: nothing is copied or decoded until it is used. An
    object is read whole in one request, or, for some `columns`, only their buffers (ranged requests): the run
    process counts and previews shards it must not download."""
    if not isinstance(path, storage.ObjectPath):
        with pa.memory_map(str(path)) as source:
            table = ipc.open_file(source).read_all()
    elif columns is None:
        return ipc.open_file(pa.BufferReader(storage.read_bytes(path.uri))).read_all()
    else:
        fs, key = storage.filesystem(path.uri)
        fields = sorted(DOCUMENTS.get_field_index(name) for name in columns)  # every stage's shards have its schema
        with fs.open_input_file(key) as source:
            table = ipc.open_file(source, options=ipc.IpcReadOptions(included_fields=fields)).read_all()
    return table.select(columns) if columns else table


def _row_count(path: Folder) -> int:
    """The documents of a shard, from one narrow column."""
    return read_shard(path, ["reject_stage"]).num_rows


def _rows(table: pa.Table, fields: tuple[str, ...]) -> list[Row]:
    """The documents of a shard as rows of the fields a job reads (and those every job may: whether a document is
    rejected, and what it is). The other columns stay as they were read: turning them into Python and back cost
    up to 0.017 ms a document a stage (most in the later stages, whose documents carry lists of posts and languages)."""
    return table.select(list(dict.fromkeys(("doc_id", "source_path", "source_record", "reject_stage", *fields)))).to_pylist()


def _with_rows(table: pa.Table, rows: list[Row], names: Iterable[str], read: dict[str, list] | None = None) -> pa.Table:
    """`table` (a shard, read) with its columns `names` (those of them in its schema: not the memo's fields, nor
    the fingerprints) taken from its `rows`: each row's value where it has one, else the table's. Of a string
    column `read` holds as it was read, only the values a stage changed are turned back into Arrow: most texts
    leave most stages as they came, and converting a shard's texts cost 0.02 ms a document."""
    for name in set(names) & set(DOCUMENTS.names):
        field, at = DOCUMENTS.field(name), DOCUMENTS.get_field_index(name)
        if read and name in read and field.type == pa.string():
            replaced = [row[name] != before for row, before in zip(rows, read[name])]
            if any(replaced):
                new = pa.array([row[name] for row, r in zip(rows, replaced) if r], field.type)
                table = table.set_column(at, field, pc.replace_with_mask(table[name], pa.array(replaced), new))
            continue
        old = None if all(name in row for row in rows) else table[name].to_pylist()
        values = [row[name] if name in row else old[k] for k, row in enumerate(rows)]
        table = table.set_column(at, field, pa.array(values, field.type))
    return table


def _write(rows: list[Row] | pa.Table, path: Folder) -> None:
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=DOCUMENTS)
    # A stage's shards are read once or twice and replaced: Arrow IPC files, uncompressed, are written at the speed
    # of a copy and read, memory-mapped, without one. The published corpus is compressed Parquet.
    if isinstance(path, storage.ObjectPath):
        fs, key = storage.filesystem(path.uri)
        sink = fs.open_output_stream(key)  # the object is there once the stream is closed, whole
    else:
        sink = pa.OSFile(str(path), "wb")
    with sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


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


def _removals(source: Folder, keys: list[tuple[np.ndarray, np.ndarray]], wanted: np.ndarray, *args) -> Callable[[Folder], list[tuple]]:
    """Calls for _remove_job on every shard of `source`, each with the rows of the documents that hold one of the
    `wanted` keys (from the shard's _keys): the others need not be read."""
    holding = [np.unique(rows[np.isin(found, wanted)]).tolist() for found, rows in keys]
    return lambda building: [(part, building / part.name, wanted, *args, which) for part, which in zip(shards(source), holding)]


def _total(results: list[Stats]) -> Stats:
    stats: Stats = Counter()
    for part in results:
        stats.update(part)
    return stats


# --- per-document stages ----------------------------------------------------------------------------------------


def _apply(
    rows: list[Row], stage: str, fn: Callable, memo: Memo | None, reads: tuple[str, ...], settings: tuple
) -> tuple[Stats, list[tuple[str, str, bytes]], list[str], set[str]]:
    """fn on every document not yet rejected. A document whose `reads` fields (and the stage's `settings`) are
    in the memo gets the update (or the rejection) and the counts fn gave it last time, and fn is not called.
    Returns the counts, the memo entries of the results computed, the memo keys of every document and the fields
    updated (a column only read need not be written back)."""
    stats: Stats = Counter()
    changed: set[str] = set()
    fresh = []
    live = [row for row in rows if not row["reject_stage"]]
    keys = [memo.key(stage, (settings, *(row[f] for f in reads))) if memo else None for row in live]
    known = memo.get(keys) if memo else {}
    for key, row in zip(keys, live):
        stats["in"] += 1
        if key in known:
            update, counts = known[key]
            if KEPT_LINES in update:  # stored without its text and lines removed: the lines kept of the text read
                text, removed = tx.chrome.kept_lines(row["text"], update[KEPT_LINES])
                update = {**update, "text": text, "chrome_removed": removed}
            stats["reused from an earlier run"] += 1
        else:
            counts, remember = Counter(), True
            try:
                update = fn(row, counts, *settings)
                if "text" in update and _blank(update["text"]):  # a stage that leaves nothing rejects the document
                    raise Reject(f"{stage}: nothing left")
            except Reject as e:
                update = {"reject_stage": stage, "reject_reason": str(e)}
            except Exception as e:  # one bad file never stops the run; not remembered, so it is tried again
                update = {"reject_stage": stage, "reject_reason": f"{stage} failed: {type(e).__name__}: {e}"}
                counts["errors"] += 1
                remember = False
            if memo and remember:  # what a stage left as it read it (most texts) is not stored again, nor what
                rebuilt = ("text", "chrome_removed") if KEPT_LINES in update else ()  # the lines kept tell
                stored = {f: v for f, v in update.items() if not (f in reads and row[f] == v or f in rebuilt)}
                fresh.append(memo.entry(stage, key, (stored, counts)))
        row.update(update)
        changed.update(update)
        stats.update(counts)
        if row["reject_stage"]:
            stats["rejected"] += 1
    return stats, fresh, keys if memo else [], changed


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


def _decode(row: Row, stats: Stats) -> Row:
    try:
        d = tx.decode_bytes(row["content"], declared=row["declared_charset"])
    except tx.Undecodable as e:
        raise Reject(str(e)) from e
    stats[f"encoding {d.encoding}"] += 1
    # the bytes stay in the raw file: later stages and the corpus need the text only
    stats["control characters removed"] += d.controls
    return {"text": d.text, "source_encoding": d.encoding, "decode_method": d.method, "controls_removed": d.controls,
            "content": None}  # fmt: skip


def _fix_mojibake(row: Row, stats: Stats) -> Row:
    text, report = tx.repair_mojibake(row["text"])
    text, c1 = tx.strip_controls(text, c1=True)  # what the repair left of U+0080-U+009F is no character
    stats["control characters removed"] += c1
    if report.changed:
        stats["documents repaired"] += 1
        stats["sequences repaired"] += report.runs
        stats["lost-byte or ambiguous guesses"] += report.guessed
        stats["lost bytes inferred"] += report.lost_bytes
        stats["unrecoverable (U+FFFD)"] += report.unrecoverable
        for kind in report.kinds:
            stats[f"documents repaired as {kind}"] += 1
    mojibake = {"kinds": report.kinds, "runs": report.runs, "guessed": report.guessed,
                "lost_bytes": report.lost_bytes, "unrecoverable": report.unrecoverable}  # fmt: skip
    return {"text": text, "mojibake": mojibake, "controls_removed": row["controls_removed"] + c1}


# Not a column (the shard keeps its schema's only): the lines chrome kept of a text export, which the memo keeps
# instead of the text it gave and the lines it removed (kept_lines rebuilds both from the text read)
KEPT_LINES = "chrome kept lines"


def _strip_chrome(row: Row, stats: Stats) -> Row:
    text, update = row["text"], {"is_html": False}
    if tx.looks_like_html(text, row["source_path"]):
        page = tx.html_to_text(text)
        text = page.text
        update.update(is_html=True, page_title=page.title, page_language=page.lang)
        stats["html pages"] += 1
    result = tx.strip_chrome(text, from_html=update["is_html"])
    if result.removed:
        stats["documents with chrome"] += 1
        stats["chrome lines removed"] += len(result.removed)
    stats["posts found"] += len(result.posts)
    if not result.text.strip():
        raise Reject(f"{ALL_CHROME} ({len(result.removed)} interface lines, no text)")
    posts = [vars(p) for p in result.posts]
    if not update["is_html"]:  # the memo keeps which lines are kept, not the text and the lines removed
        update[KEPT_LINES] = result.kept
    return {**update, "text": result.text, "chrome_removed": result.removed, "posts": posts}


def _tag_language(row: Row, stats: Stats, *wanted: str) -> Row:
    found, paragraphs, shares = tx.language.language_profile(row["text"])
    stats[f"language {found.language}"] += 1
    if wanted and found.language not in wanted:
        raise Reject(f"language: {found.language} is not among the wanted languages ({', '.join(wanted)})")
    page_language = row["page_language"]
    if not page_language and row["chrome_removed"]:  # the interface's language, when it has enough words
        chrome = tx.detect_language("\n".join(dict.fromkeys(row["chrome_removed"])))  # a button says it once
        page_language = None if chrome.language == tx.language.UNDETERMINED else chrome.language
    return {
        "language": found.language,
        "language_score": found.score,
        "languages": [{"language": lang, "share": share} for lang, share in shares],
        "paragraph_languages": [{"paragraph": k, "language": lang} for k, lang in paragraphs],
        "page_language": page_language,
    }


FINGERPRINT = "dedup fingerprint"


def _dedup_paragraphs(row: Row, stats: Stats) -> Row:
    text, removed, fingerprint = tx.dedup.dedup_and_fingerprint(row["text"])
    stats["repeated paragraphs removed"] += len(removed)
    paragraphs = row["paragraph_languages"] or []
    if text != row["text"]:  # the paragraphs' lines moved (most texts lose none)
        paragraphs = _reindex(row["text"], text, paragraphs)
    # FINGERPRINT is not a column (the shard keeps its schema's only): it waits in the row for _fingerprints
    return {"text": text, "paragraphs_removed": removed, "paragraph_languages": paragraphs, FINGERPRINT: fingerprint}


def _measure_quality(row: Row, stats: Stats, mask_pii: bool) -> Row:
    """The quality signals of a document (after masking its personal data, when asked). What they decide is
    _judge_quality's: signals are remembered, the rules are applied again every run."""
    text, update = row["text"], {}
    if mask_pii:
        masked = tx.pii.mask_pii(text, row["language"])
        text, update["pii"] = masked.text, {"emails": masked.emails, "ips": masked.ips, "phones": masked.phones}
        for kind in ("emails", "ips", "phones"):
            stats[f"{kind} masked"] += update["pii"][kind]
    return {**update, "text": text, "quality": tx.quality.signals(text, row["language"]).as_dict()}


ALL_CHROME = "nothing but page chrome"


def _name_all_chrome(rows: list[Row], stats: Stats, rules: tuple) -> None:
    """A document the chrome stage found nothing but interface lines in is named by the first quality rule its
    text fails, when it fails one (a page of product bullets: `quality:gopher_bullets (...)`; a menu is a list too:
    `quality:fineweb_punctuation (...)`). With the run's rules, on every run, as the quality stage decides: not
    remembered with the chrome stage's results, so its text is read again here (such documents are few)."""
    for row in rows:
        if row["reject_stage"] != "chrome" or not row["reject_reason"].startswith(ALL_CHROME):
            continue
        text = row["text"]
        text = tx.html_to_text(text).text if tx.looks_like_html(text, row["source_path"]) else text
        language = tx.detect_language(text).language
        if failed := tx.quality.failed_rules(tx.quality.signals(text, language).as_dict(), language, rules):
            row["reject_reason"] = f"{tx.quality.reason(failed)}; {row['reject_reason']}"
            stats[f"named by a quality rule: {failed[0][0]}"] += 1


# Not a column: the rules a live document's signals fail, waiting in the row for the stage's examples
FAILED = "quality rules failed"


def _judge_quality(rows: list[Row], stats: Stats, rules: tuple, enforced: bool) -> None:
    """Reject (or, not `enforced`, only count) every live document whose signals fail a rule."""
    for row in rows:
        if row["reject_stage"] or not row.get("quality"):
            continue
        if failed := tx.quality.failed_rules(row["quality"], row["language"], rules):
            row[FAILED] = failed
            stats[f"{'rejected' if enforced else 'would reject'}: {failed[0][0]}"] += 1
            if enforced:
                row.update(reject_stage="quality", reject_reason=tx.quality.reason(failed))
                stats["rejected"] += 1


def _failing_examples(rows: list[Row]) -> dict[str, tuple[str, str]]:
    """For each rule first failed in a shard, its first document there: (how a reason names it, its text)."""
    found: dict[str, tuple[str, str]] = {}
    for row in rows:
        if FAILED in row:
            found.setdefault(row[FAILED][0][0], (_named(row), row["text"]))
    return found


# stage: (what it does to a document, the fields its result depends on)
ROW_STAGES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "decode": (_decode, ("content", "declared_charset")),
    "mojibake": (_fix_mojibake, ("text", "controls_removed")),
    "chrome": (_strip_chrome, ("text", "source_path")),
    "language": (_tag_language, ("text", "page_language", "chrome_removed")),
    "dedup": (_dedup_paragraphs, ("text", "paragraph_languages")),
    "quality": (_measure_quality, ("text", "language")),
}
# what a stage decides on every document after it (and its memo) gave the results: the rules may have changed
_DECIDE: dict[str, Callable] = {"quality": _judge_quality, "chrome": _name_all_chrome}
# what a stage's shard job hands back besides its counts, for the stage's step across documents
_COLLECT: dict[str, Callable[[list[Row]], object]] = {
    "chrome": lambda rows: _keys(rows, repeatable),
    "dedup": lambda rows: (_keys(rows, bool), _fingerprints(rows)),
    "quality": _failing_examples,
}


def _fingerprints(rows: list[Row], which: list[int] | None = None) -> list[tuple[int, str, str, Fingerprint]]:
    """(row in the shard, source path (and record, _named), doc id, dedup fingerprint) of each live document (or of rows `which`):
    the one _dedup_paragraphs made, or made here (rows read again from a shard)."""
    which = [k for k, row in enumerate(rows) if not row["reject_stage"]] if which is None else which
    return [
        (k, _named(rows[k]), rows[k]["doc_id"], rows[k].get(FINGERPRINT) or tx.dedup.fingerprint(rows[k]["text"]))
        for k in which
    ]


def _named(row: Row) -> str:
    """A document as a reason names it: its path, and for a record of an archive or dump, the record."""
    return row["source_path"] if row["source_record"] is None else f"{row['source_path']} record {row['source_record']}"


def _keys(rows: list[Row], eligible: Callable[[str], bool]) -> tuple[np.ndarray, np.ndarray]:
    """line_keys of each distinct eligible line of each live document (counted across the corpus), and the row of
    the document each is from (a pass removing some keys visits only the documents that hold them)."""
    sets = [(k, paragraph_set(row["text"], eligible)) for k, row in enumerate(rows) if not row["reject_stage"]]
    holders = np.repeat(np.array([k for k, _ in sets], np.min_scalar_type(SHARD_DOCS)), [len(lines) for _, lines in sets])
    return line_keys([line for _, lines in sets for line in lines]), holders


def _row_job(
    stage: str, source: Folder, target: Folder, memo_at: Path | object | None, settings: tuple, decide: tuple
) -> tuple[Stats, object, list, list[str]]:
    """A per-document stage on a shard; the memo read at its path, or on Ray by its MemoServer (an actor handle)."""
    fn, reads = ROW_STAGES[stage]
    table = read_shard(source)
    rows = _rows(table, reads)
    read = {field: [row[field] for row in rows] for field in reads}
    memo = None if memo_at is None else Memo(memo_at) if isinstance(memo_at, Path) else _ServedMemo(memo_at)
    stats, fresh, used, changed = _apply(rows, stage, fn, memo, reads, settings)
    if stage in _DECIDE:
        _DECIDE[stage](rows, stats, *decide)
        changed |= {"reject_stage", "reject_reason"}
    _write(_with_rows(table, rows, changed, read), target)
    return stats, _COLLECT[stage](rows) if stage in _COLLECT else None, fresh, used


def _run(
    stage: str, source: Folder, target: Folder, memo: Path | None, settings: tuple = (), decide: tuple = (),
    batches: Collection[str] | None = None,
) -> tuple[Stats, list]:
    """A per-document stage over every shard (of `batches` only, for an ingest stage): `settings` go to its
    function (and into its memo keys), `decide` to its _DECIDE step (not into the keys)."""
    parts = shards(source, batches)
    memo_at = _cluster().memo_server(memo) if memo and ray_address() and parts else memo
    calls = lambda building: [(stage, part, building / part.name, memo_at, settings, decide) for part in parts]  # noqa: E731
    store, used = Memo(memo), []

    def remember(result: tuple[Stats, object, list, list[str]]) -> tuple[Stats, object]:  # a shard's, then let go
        stats, extra, fresh, keys = result
        store.add(fresh)
        used.extend(keys)
        return stats, extra

    results = _rewrite(target, calls, _row_job, each=remember, batches=batches, sizes=[_row_count(part) for part in parts])
    if batches is None or set(batches) >= set(BATCH_NAMES):  # what this run did not use (changed or removed
        store.keep_only(stage, used)  # files, older code) goes; a run of some batches did not see the others
    stats = _total([s for s, _ in results])
    stats["out"] = stats["in"] - stats["rejected"]
    return stats, [extra for _, extra in results]


def read_raw_listing(raw_dir: Path | str) -> dict[str, Path | storage.RemoteFile]:
    """Every regular, non-hidden file under raw_dir (sub-folders included, not those behind a link), by its
    '/'-separated relative path, in the order of the paths' parts; a sub-folder that cannot be listed stands as
    itself, its path ending in '/', to be rejected. os.scandir: its entries know what they are without a stat
    of each file (os.walk and os.path.isfile took twice as long, Path.rglob six times). A URI (object storage):
    every object under it, by its path below it, none hidden."""
    if isinstance(raw_dir, str):
        return storage.listing(raw_dir)
    listing, folders = {}, [(raw_dir, "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # its files are not lost without a word
            listing[prefix] = Path(folder)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name = _shown(entry.name)
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, f"{prefix}{name}/"))
            elif entry.is_file() or not entry.is_dir():  # a link to a file counts, as the file; a broken link,
                listing[prefix + name] = Path(entry.path)  # a pipe or a device are listed to be rejected, unread
    return dict(sorted(listing.items(), key=lambda item: item[0].split("/")))


def _shown(name: str) -> str:
    """A file name as text: the bytes of a name that are not UTF-8 (os.scandir keeps them as surrogates) as
    \\xNN, so that one file named in Latin-1 cannot stop the run (Arrow and SHA-256 take UTF-8 only)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _not_regular(path: Path) -> str | None:
    """Why `path` is not read as a file: a broken link, a pipe, a socket, a device (None for a regular file).
    Never opened: reading a named pipe waits for a writer forever."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken link: its target does not exist" if path.is_symlink() else None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"not a regular file: {_KINDS.get(stat.S_IFMT(mode), 'a special file')}"


def _read_job(files: list[tuple[str, Path | storage.RemoteFile]], folder: Folder, batch: str, k: int, limit: int) -> Stats:
    """Shard k of a batch of the raw table: a group of loose files, or the records of one archive or dump (shards k,
    k_0001, ... of SHARD_DOCS rows or SHARD_BYTES each, written as they fill: a container is read a record at a
    time). A remote object is fetched to a local file first, one at a time. A file or record longer than `limit`
    bytes is rejected, unread (PIPELINE_MAX_DOCUMENT_BYTES): a worker holds at most a shard and one such."""
    rows, stats, written, held = [], Counter(), 0, 0

    def add(row: Row) -> None:
        nonlocal rows, written, held
        rows.append(row)
        stats["in"] += 1
        held += row["source_bytes"] if row["content"] is not None else 0
        if len(rows) == SHARD_DOCS or held >= SHARD_BYTES:
            _write(rows, shard_path(folder, batch, k, written))
            rows, written, held = [], written + 1, 0

    for source_path, listed in files:
        if not tx.containers.is_container(source_path) and getattr(listed, "size", 0) > limit:  # not fetched
            add(row := _raw_row(source_path, None, _larger(listed.size, limit), source_bytes=listed.size))
        else:
            try:
                with storage.local_copy(listed) as path:
                    if tx.containers.is_container(source_path) and not _not_regular(path):
                        for row in _container_rows(source_path, path, stats, limit):
                            add(row)
                        continue
                    add(row := _file_row(source_path, path, limit))
            except storage.FetchError as e:  # the object could not be fetched: rejected, as an unreadable file
                add(row := _raw_row(source_path, None, f"unreadable object: {e}"[:300], source_bytes=listed.size))
        if row["reject_stage"]:
            stats["rejected"] += 1
        else:
            stats["bytes"] += row["source_bytes"]
    if rows or not written:
        _write(rows, shard_path(folder, batch, k, written))
    return stats


def _larger(size: int, limit: int) -> str:
    return f"file larger than {limit:,} bytes (PIPELINE_MAX_DOCUMENT_BYTES): {size:,} bytes, not read"


def _raw_row(source_path: str, content: bytes | None, reason: str | None = None, **fields) -> Row:
    """A row of the raw table: the bytes to decode and their hash, or, rejected, the reason (and no hash);
    `fields` the rest (a record's url, place, size)."""
    sha = hashlib.sha256(content).hexdigest() if content is not None else ""  # an empty file has a hash
    row = {name: None for name in DOCUMENTS.names}
    row.update(source_path=source_path, source_sha256=sha, source_bytes=len(content or b""), content=content,
               doc_id=doc_id(source_path, sha, fields.pop("place", None)))  # fmt: skip
    if reason:
        row.update(reject_stage="raw", reject_reason=reason)
    row.update(fields)
    return row


def _file_row(source_path: str, path: Path, limit: int) -> Row:
    try:
        if source_path.endswith("/"):
            os.scandir(path).close()  # listed as a folder because it could not be read: it still cannot
        if special := _not_regular(path):
            return _raw_row(source_path, None, special)
        with path.open("rb") as f:  # no more than the limit is read (a file may grow while it is read)
            content = f.read(limit + 1)
        if len(content) > limit:
            size = max(path.stat().st_size, len(content))
            return _raw_row(source_path, None, _larger(size, limit), source_bytes=size)
        return _raw_row(source_path, content)
    except OSError as e:
        unreadable = "folder, its files are not read" if source_path.endswith("/") else "file"
        return _raw_row(source_path, None, f"unreadable {unreadable}: {e.strerror or e}",
                        source_bytes=path.stat().st_size if path.is_file() else 0)  # fmt: skip


def _container_rows(source_path: str, path: Path, stats: Stats, limit: int) -> Iterator[Row]:
    """A row per record of an archive or dump that is a document or is rejected; the others only counted. A
    container with no document at all is a row of its own, rejected, so that it is accounted for."""
    rows = 0
    for record in _records_or_failure(path, limit):
        if record.skipped:
            stats[f"archive records that are no documents: {record.skipped}"] += 1
            continue
        row = _raw_row(
            source_path, record.content, record.reject, url=record.url, source_record=record.source_record,
            fetched_at=record.fetched_at, declared_charset=record.charset,
            place=f"{record.number}:{record.source_record}",  # in the doc_id too: a dump may give two lines one id
        )  # fmt: skip
        if record.reject:
            stats["rejected"] += 1
        else:
            stats["bytes"] += row["source_bytes"]
            stats["archive records"] += 1
        rows += 1
        yield row
    if not rows:
        stats["rejected"] += 1
        yield _raw_row(source_path, None, "no documents in the archive", source_bytes=path.stat().st_size)


def _records_or_failure(path: Path, limit: int) -> Iterator[tx.containers.Record]:
    """containers.records, and where it fails (a file that cannot be opened), a record rejected with the reason."""
    number = 0
    try:
        for number, record in enumerate(tx.containers.records(path, limit), 1):
            yield record
    except Exception as e:  # one bad archive never stops the run
        yield tx.containers.Record(number + 1, reject=f"unreadable after record {number}: {type(e).__name__}: {e}"[:300])


def read_raw(raw_dir: Path, target: Folder, batches: Collection[str] = BATCH_NAMES, limit: int = MAX_DOCUMENT_BYTES) -> Stats:
    """One row per loose file of `read_raw_listing` in `batches`, with its bytes and their hash, and one per
    record of each archive or dump (pipeline.text.containers), in the order of the paths within each batch; a file
    or record longer than `limit` bytes rejected, unread (PIPELINE_MAX_DOCUMENT_BYTES)."""
    listed: dict[str, list[tuple[str, Path]]] = {batch: [] for batch in batches}
    for name, path in read_raw_listing(raw_dir).items():
        listed.get(batch_of(name), []).append((name, path))
    groups: list[tuple[str, list[tuple[str, Path]]]] = []
    for batch in sorted(batches):
        start = len(groups)
        for name, path in listed[batch]:
            last = groups[-1][1] if len(groups) > start else None
            if tx.containers.is_container(name) or not last or len(last) == SHARD_DOCS or tx.containers.is_container(last[0][0]):
                groups.append((batch, []))
            groups[-1][1].append((name, path))
    groups = groups or [(min(batches), [])]  # nothing to read: a shard of no rows keeps the table's schema
    numbered, seen = [], Counter()  # shards are numbered within their batch
    for batch, group in groups:
        numbered.append((group, batch, seen[batch]))
        seen[batch] += 1
    calls = lambda building: [(group, building, batch, k, limit) for group, batch, k in numbered]  # noqa: E731
    stats = _total(_rewrite(target, calls, _read_job, batches=batches, sizes=[len(group) for _, group in groups], unit="files"))
    stats["out"] = stats["in"] - stats["rejected"]
    return stats


def decode(source: Folder, target: Folder, batches: Collection[str] = BATCH_NAMES) -> Stats:
    # not remembered: decoding costs less than reading a text back from the memo, and stored every text once more
    return _run("decode", source, target, None, batches=batches)[0]


def fix_mojibake(source: Folder, target: Folder, memo: Path | None = None, batches: Collection[str] = BATCH_NAMES) -> Stats:
    return _run("mojibake", source, target, memo, batches=batches)[0]


def tag_language(source: Folder, target: Folder, memo: Path | None = None) -> Stats:
    return _run("language", source, target, memo, tuple(sorted(wanted_languages())))[0]


def assess_quality(
    source: Folder, target: Folder, memo: Path | None, rules: tuple, enforced: bool, mask_pii: bool
) -> tuple[Stats, dict[str, tuple[str, str]]]:
    """The quality signals of every live document (its personal data masked first, with `mask_pii`), and the
    `rules` decided on them: failing documents rejected, or, not `enforced`, only counted. Also returns an example
    document for each rule documents failed first (how a reason names it, its text)."""
    stats, found = _run("quality", source, target, memo, (mask_pii,), (rules, enforced))
    examples: dict[str, tuple[str, str]] = {}
    for shard_examples in found:
        for rule, example in shard_examples.items():
            examples.setdefault(rule, example)
    return stats, examples


def quality_signals(folder: Folder) -> pa.Table:
    """The quality signals of the live documents of a stage's table, a column each."""
    chunks = []
    for part in shards(folder):
        table = read_shard(part, ["quality", "reject_stage"])
        chunks += table.filter(pc.is_null(table["reject_stage"]))["quality"].chunks
    column = pa.chunked_array(chunks, DOCUMENTS.field("quality").type)
    return pa.table({f.name: pc.struct_field(column, f.name) for f in column.type})


# --- steps across documents ------------------------------------------------------------------------------------


def _repeated(
    keys_by_shard: list[tuple[np.ndarray, np.ndarray]], documents: int, min_docs: int, min_share: float,
    groups: list[np.ndarray] | None = None,
) -> np.ndarray:
    """The keys that stand in at least repeat_floor documents, of the shards' _keys (each holds a document's key
    once). With `groups` (for each shard, the group of each row: its copies share one), a key counts once a group,
    and `documents` are the groups: a paragraph of one document and four copies of another stands in two."""
    if not keys_by_shard:
        return np.array([], dtype=np.int64)
    keys = np.concatenate([found for found, _ in keys_by_shard])
    if groups is not None:
        group = np.concatenate([rows_group[rows] for (_, rows), rows_group in zip(keys_by_shard, groups)])
        order = np.lexsort((group, keys))
        keys, group = keys[order], group[order]
        first = np.ones(len(keys), bool)
        first[1:] = (keys[1:] != keys[:-1]) | (group[1:] != group[:-1])
        keys = keys[first]
    found, counts = np.unique(keys, return_counts=True)
    return found[counts >= repeat_floor(documents, min_docs, min_share)]


def _remove_job(
    source: Folder, target: Folder, repeated: np.ndarray, column: str, fingerprint: bool, which: list[int]
) -> tuple[int, list, list[int]]:
    """Take every line whose key is in `repeated` out of each document of rows `which` (those holding one), into
    its `column`; with `fingerprint`, hand back the _fingerprints of the documents that changed. A document left
    with nothing is rejected instead (and keeps its text): its rows are handed back too."""
    if not which:
        return 0, [], []
    table, fields = read_shard(source), ("text", column, "paragraph_languages", "reject_stage", "reject_reason")
    rows = _rows(table, fields)
    read = {field: [row[field] for row in rows] for field in fields}
    wanted, gone, changed, emptied = set(repeated.tolist()), 0, [], []
    lengths = keyed_lengths(wanted)
    for k in which:
        row = rows[k]
        lines = row["text"].split("\n")
        stripped = [line.strip() for line in lines]
        asked = [m for m, s in enumerate(stripped) if s and key_length(s) in lengths]  # only these can be wanted
        found = {m for m, key in zip(asked, line_keys([stripped[m] for m in asked]).tolist()) if key in wanted}
        drop = [m in found for m in range(len(lines))]
        if not any(drop):
            continue
        text = collapse_blank_lines("\n".join(line for line, d in zip(lines, drop) if not d))
        removed = [line.strip() if column == "chrome_removed" else line for line, d in zip(lines, drop) if d]
        if all(map(label, left := text.split("\n"))):  # nothing left, or only a heading that stood above it
            row.update(reject_stage=_REMOVAL_STAGE[column], reject_reason=_nothing_left(column, len(removed), left))
            emptied.append(k)
            continue
        if column == "paragraphs_removed":  # the paragraphs' languages follow their lines
            row["paragraph_languages"] = _reindex(row["text"], text, row["paragraph_languages"] or [])
        row.update({"text": text, column: [*(row[column] or []), *removed]})
        gone += len(removed)
        changed.append(k)
    if changed or emptied:
        _write(_with_rows(table, rows, fields, read), target)
    return gone, _fingerprints(rows, changed) if fingerprint else [], emptied


_REMOVAL_STAGE = {"chrome_removed": "chrome", "paragraphs_removed": "dedup"}


def _nothing_left(column: str, removed: int, left: list[str]) -> str:
    """Why a document the step across documents emptied is rejected: what it removed, and the labels it left."""
    labels = [line.strip() for line in left if line.strip()]
    but = f", only {_counted(len(labels), 'short line')} ({' / '.join(labels)[:60]})" if labels else ""
    if column == "chrome_removed":
        return f"chrome: nothing left once {_counted(removed, 'line')} many documents share are removed{but}"
    return f"boilerplate: nothing left once {_counted(removed, 'paragraph')} many documents share are removed{but}"


def _counted(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def strip_chrome(source: Folder, target: Folder, memo: Path | None = None, rules: tuple = ()) -> Stats:
    """The chrome stage; `rules`, the quality rules that name a document found to be nothing but chrome."""
    stats, keys = _run("chrome", source, target, memo, decide=(rules,))
    # Second look, across the corpus: short lines that stand in many documents are the sites' own.
    repeated = _repeated(keys, stats["out"], tx.chrome.REPEATED_MIN_DOCS, tx.chrome.REPEATED_MIN_SHARE)
    if len(repeated):
        calls = _removals(target, keys, repeated, "chrome_removed", False)
        results = _rewrite(target, calls, _remove_job, in_place=True)
        gone, emptied = sum(n for n, _, _ in results), sum(len(e) for _, _, e in results)
        stats["chrome lines removed"] += gone
        stats["lines repeated across documents"] += gone
        _count_emptied(stats, emptied, "documents left empty by lines repeated across documents")
    return stats


def _count_emptied(stats: Stats, emptied: int, name: str) -> None:
    if emptied:
        stats[name] += emptied
        stats["rejected"] += emptied
        stats["out"] -= emptied


# A paragraph in at least this many documents, and this share of them, is boilerplate (a site's disclaimer,
# a signature) and leaves every document; fewer, and it may be a quotation several people chose. Copies of one
# document count once.
BOILERPLATE_MIN_DOCS = 5
BOILERPLATE_MIN_SHARE = 0.005


class _Copies:
    """The live documents of a deduplicated table (their fingerprints, by shard and row) and which are copies of
    which (tx.dedup.match_duplicates, the shingles of candidates read from the shards, a worker job per shard)."""

    def __init__(self, folder: Folder, by_shard: list[dict[int, tuple]]):
        documents = [(s, k, *document) for s, prints in enumerate(by_shard) for k, document in sorted(prints.items())]
        self.where = [(s, k) for s, k, _, _, _ in documents]  # (shard, row) of each document
        self.paths = [path for _, _, path, _, _ in documents]
        self.ids = [doc_id for _, _, _, doc_id, _ in documents]
        self.parts = shards(folder)
        prints: list[Fingerprint] = [fp for _, _, _, _, fp in documents]
        self.duplicates = tx.dedup.match_duplicates(prints, self.paths, self._shingles)

    def _shingles(self, indices: list[int]) -> dict[int, np.ndarray]:
        by_shard: dict[int, list[int]] = {}
        for i in indices:
            by_shard.setdefault(self.where[i][0], []).append(i)
        arrays = _map(_shingle_job, [(self.parts[s], [self.where[i][1] for i in group]) for s, group in by_shard.items()])
        return {i: keys for group, found in zip(by_shard.values(), arrays) for i, keys in zip(group, found)}

    def groups(self) -> tuple[list[np.ndarray], int]:
        """For each shard, the group of each row (the kept document of its copies; -1 for a row not live), and
        how many groups there are."""
        kept = {dup.index: dup.kept for dup in self.duplicates}
        groups = [np.full(SHARD_DOCS, -1, np.int64) for _ in self.parts]
        for i, (s, k) in enumerate(self.where):
            groups[s][k] = kept.get(i, i)
        return groups, len(self.where) - len(kept)


def deduplicate(source: Folder, target: Folder) -> tuple[Stats, list[tx.Duplicate], list[str]]:
    """Repeated paragraphs inside each document, boilerplate across documents, then exact and near copies.
    Also returns the copies found and the source paths they index."""
    stats, found = _run("dedup", source, target, None)
    keys = [shard_keys for shard_keys, _ in found]  # each shard's _keys
    by_shard = [{k: document for k, *document in prints} for _, prints in found]  # fingerprints, by row
    copies = _Copies(target, by_shard)  # first, so that a paragraph's copies count once
    groups, distinct = copies.groups()
    boilerplate = _repeated(keys, distinct, BOILERPLATE_MIN_DOCS, BOILERPLATE_MIN_SHARE, groups)
    if len(boilerplate):  # out of every document; those that changed get new fingerprints, and are compared again
        calls = _removals(target, keys, boilerplate, "paragraphs_removed", True)
        results = _rewrite(target, calls, _remove_job, in_place=True)
        stats["boilerplate paragraphs removed"] += sum(n for n, _, _ in results)
        for prints, (_, changed, emptied) in zip(by_shard, results):
            prints.update({k: document for k, *document in changed})
            for k in emptied:
                del prints[k]
        _count_emptied(stats, sum(len(e) for _, _, e in results), "documents left empty by boilerplate")
        copies = _Copies(target, by_shard)
    marks = {}
    for dup in copies.duplicates:
        shard, row = copies.where[dup.index]
        how = "exact copy" if dup.kind == "exact" else f"near copy (Jaccard {dup.similarity:.2f})"
        marks.setdefault(shard, {})[row] = (f"{how} of {copies.paths[dup.kept]}", copies.ids[dup.kept])
        stats[f"{dup.kind} duplicates"] += 1
    calls = lambda building: [(p, building / p.name, marks.get(s, {})) for s, p in enumerate(copies.parts)]  # noqa: E731
    _rewrite(target, calls, _mark_job, in_place=True)
    stats["out"] -= len(copies.duplicates)
    stats["rejected"] += len(copies.duplicates)
    return stats, copies.duplicates, copies.paths


def _shingle_job(part: Folder, rows: list[int]) -> list[np.ndarray]:
    texts = read_shard(part, ["text"])["text"]
    return [tx.dedup.shingle_keys(texts[k].as_py()) for k in rows]


def _mark_job(source: Folder, target: Folder, marks: dict[int, tuple[str, str]]) -> None:
    if not marks:
        return  # nothing to change: the shard stays as it is (a second pass replaces the shards it writes)
    table = read_shard(source)  # three columns change: the texts are not turned into Python strings
    columns = {name: table[name].to_pylist() for name in ("reject_stage", "reject_reason", "duplicate_of")}
    for k, (reason, kept) in marks.items():
        columns["reject_stage"][k], columns["reject_reason"][k], columns["duplicate_of"][k] = "dedup", reason, kept
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), pa.array(values, pa.string()))
    _write(table, target)


def _reindex(old_text: str, new_text: str, paragraphs: list[dict]) -> list[dict]:
    """Move paragraph indices from old_text to new_text, which holds some of its lines, in the same order."""
    new_lines, at, moved = new_text.split("\n"), {}, 0
    for k, line in enumerate(old_text.split("\n")):
        if moved < len(new_lines) and line == new_lines[moved]:
            at[k] = moved
            moved += 1
    return [{**p, "paragraph": at[p["paragraph"]]} for p in paragraphs if p["paragraph"] in at]


# --- publication --------------------------------------------------------------------------------------------


def split_published(table: pa.Table, run_id: str) -> tuple[pa.Table, pa.Table]:
    """The corpus rows and the rejected rows, as published, of one shard of the final document table."""
    n = table.num_rows
    provenance = {
        "ingested_at": pa.array([dt.datetime.now(dt.UTC)] * n, pa.timestamp("us", tz="UTC")),
        "pipeline_version": pa.array([PIPELINE_VERSION] * n, pa.string()),
        "run_id": pa.array([run_id] * n, pa.string()),
    }
    table = table.drop_columns(["content"])
    for name, values in provenance.items():
        table = table.append_column(name, values)
    rejected = pc.is_valid(table["reject_stage"])
    kept = table.filter(pc.invert(rejected))
    kept = kept.append_column("n_chars", pc.utf8_length(kept["text"]).cast(pa.int32()))
    dropped = table.filter(rejected)
    dropped = dropped.append_column("stage", dropped["reject_stage"]).append_column("reason", dropped["reject_reason"])
    return kept.select(CORPUS.names).cast(CORPUS), dropped.select(REJECTED.names).cast(REJECTED)


def published_parts(source: Folder, run_id: str) -> Iterator[tuple[pa.Table, pa.Table]]:
    """split_published of each shard in order; the next shard is read while the caller writes this one (Arrow
    and the Parquet writer let go of the GIL)."""
    def split(part: Folder) -> tuple[pa.Table, pa.Table]:
        return split_published(read_shard(part), run_id)

    with ThreadPoolExecutor(1) as reader:
        yield from _ahead(reader, split, [(part,) for part in shards(source)], 1)


class Tally:
    """What makes a corpus fit to publish, counted a table (or batch) at a time: doc ids, source paths, empty
    texts. The publishing step counts what it writes; the checks count what a consumer reads back."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.published: Counter[str] = Counter()
        self.empty: list[str] = []

    def corpus(self, part: pa.Table | pa.RecordBatch) -> None:
        self.ids.update(part["doc_id"].to_pylist())
        self.rejected(part)  # counted as every row is
        blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(part["text"])), 0)
        self.empty += part.filter(blank)["source_path"].to_pylist()

    def rejected(self, part: pa.Table | pa.RecordBatch) -> None:
        # a file once, a record of an archive once: by its doc_id (a dump may give two records one id)
        records = [d if r is not None else None for d, r in zip(part["doc_id"].to_pylist(), part["source_record"].to_pylist())]
        self.published.update(zip(part["source_path"].to_pylist(), records))

    def problems(self, raw_files: set[str]) -> dict[str, list[str]]:
        """What would make the corpus unfit to publish, by check name; every list empty when it is fit."""
        paths = {p for p, _ in self.published}
        accounted = [f"missing: {p}" for p in sorted(raw_files - paths)]
        accounted += [f"not in raw: {p}" for p in sorted(paths - raw_files)]
        accounted += [f"twice: {p}" + (f" doc {d}" if d else "") for (p, d), n in sorted(self.published.items(), key=str) if n > 1]
        return {
            "doc_id_unique": [i for i, n in self.ids.items() if n > 1],
            "no_empty_text": self.empty,
            "every_raw_file_accounted_for": accounted,
        }


def problems(corpus: list[Path], rejected: list[Path], raw_files: set[str]) -> dict[str, list[str]]:
    """Tally.problems of a published version's files, read a row group at a time."""
    tally = Tally()
    for part in _row_groups(corpus, ["doc_id", "source_path", "source_record", "text"]):
        tally.corpus(part)
    for part in _row_groups(rejected, ["doc_id", "source_path", "source_record"]):
        tally.rejected(part)
    return tally.problems(raw_files)


def _row_groups(paths: list[Path], columns: list[str]) -> Iterator[pa.Table]:
    """Published files a row group (a shard's part) at a time. Not iter_batches: reading ahead, it left the
    process 500 MB larger after a pass over 100,000 documents."""
    for path in paths:
        file = pq.ParquetFile(path)
        for k in range(file.num_row_groups):
            yield file.read_row_group(k, columns=columns)


def _mojibake_job(path: Path, group: int) -> list[str]:
    part = pq.ParquetFile(path).read_row_group(group, columns=["source_path", "text"])
    return [p for p, t in zip(part["source_path"].to_pylist(), part["text"].to_pylist()) if tx.has_mojibake(t)]


def mojibake_left(corpus: list[Path]) -> list[str]:
    """Source paths of published documents that still look like mojibake, a row group per worker job (the version's
    files are on this machine until they are uploaded: the local pool)."""
    calls = [(path, k) for path in corpus for k in range(pq.ParquetFile(path).num_row_groups)]
    return [path for found in _map(_mojibake_job, calls, local_files=True) for path in found]
