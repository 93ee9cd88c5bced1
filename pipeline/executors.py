"""Where the jobs on a stage's shards run: a pool of worker processes (PIPELINE_WORKERS, default every core), kept
for the whole run so that each loads its models once; Ray tasks on a cluster (PIPELINE_RAY_ADDRESS), with an actor
that reads the memo for workers of other nodes; or this process, when the work is too small to spread.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path

from pipeline import progress, tables
from pipeline.memo import Memo


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
    elif len(calls) <= 1 or workers() == 1 or (sizes is not None and sum(sizes) < tables.SHARD_DOCS):
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
    try:
        while running:
            result = running.popleft().result()
            if (call := next(waiting, None)) is not None:
                running.append(executor.submit(job, *call))
            yield result
    finally:  # a job failed (a full disk): none of the others may go on writing after the caller cleans up
        for future in running:
            future.cancel()
        wait(running)
