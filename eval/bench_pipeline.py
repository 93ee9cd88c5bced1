"""Throughput and memory of the whole pipeline, beside the obvious script and datatrove. Run: `make bench`.

For each size (10,000 and 100,000 documents by default) the corpus of eval/bench_corpus.py is made once, then:
  - the pipeline runs through Dagster as `make run` runs it (`dagster asset materialize --select '*'`, a fresh
    instance and an empty curated folder, so nothing is reused), while the whole process tree's resident
    memory and CPU time are sampled; each stage's time comes from Dagster's own step records;
  - on the 10,000 corpus the pipeline runs RUNS_COMPARED times (its figures are the median run's, the times of
    all given: this machine's speed moves by 10-30 % within minutes), and after each run the obvious script
    (one process: ftfy.fix_text, langdetect.detect_langs on the whole text, beautifulsoup's html.parser, a hash for
    exact copies, one Parquet write) cleans the next third of the corpus (its time is the sum), so that both are
    timed over the same minutes; then datatrove's steps that do what one of ours does (eval/bench_datatrove.py).
Figures go to stdout and eval/results/pipeline_speed.json, with the machine's core count.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time

import psutil

from eval.bench_corpus import ROOT, build
from pipeline.defs.assets import MATERIALIZE_ALL

PROJECT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "eval" / "results" / "pipeline_speed.json"
STEPS = ["raw_documents", "decoded", "mojibake_fixed", "chrome_stripped", "language_tagged", "deduplicated", "quality",
         "publish_corpus", "corpus_checks"]  # fmt: skip


class TreeSampler(threading.Thread):
    """Every `every` seconds: the summed RSS and CPU time of a process and all its descendants."""

    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.root, self.every, self.samples, self.done = psutil.Process(pid), every, [], False
        self.cpu_by_pid: dict[int, float] = {}
        self.peak_by_role: dict[str, int] = {}  # the largest RSS seen of each kind of process

    def run(self) -> None:
        while not self.done:
            rss = root = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in procs:
                try:
                    with p.oneshot():
                        mine = p.memory_info().rss
                        t = p.cpu_times()
                        role = self.role(p)
                    rss += mine
                    root = mine if p == self.root else root
                    self.cpu_by_pid[p.pid] = t.user + t.system
                    self.peak_by_role[role] = max(self.peak_by_role.get(role, 0), mine)
                except psutil.NoSuchProcess:
                    continue
            # CPU of processes that ended stays counted: the sum over every pid seen
            self.samples.append((time.time(), rss, sum(self.cpu_by_pid.values()), root))
            time.sleep(self.every)

    def role(self, p: psutil.Process) -> str:
        """The Dagster run process, the forkserver it started, or a worker (the forkserver's children; the
        resource tracker, a few MB, is counted with them)."""
        if p == self.root:
            return "dagster run"
        forkserver = p.ppid() == self.root.pid and "forkserver" in " ".join(p.cmdline())
        return "forkserver" if forkserver else "worker"

    def peak_between(self, start: float, end: float) -> tuple[int, int]:
        """The largest RSS of the tree, and of the Dagster run process alone, between two times."""
        inside = [(rss, root) for t, rss, _, root in self.samples if start <= t <= end] or [(0, 0)]
        return max(r for r, _ in inside), max(r for _, r in inside)

    def peak_rss(self) -> int:
        return max((rss for _, rss, _, _ in self.samples), default=0)

    def cpu_between(self, start: float, end: float) -> float:
        inside = [cpu for t, _, cpu, _ in self.samples if start <= t <= end]
        return inside[-1] - inside[0] if len(inside) >= 2 else 0.0


def run_pipeline(raw: pathlib.Path, work: pathlib.Path, curated: str | None = None, **settings: str) -> dict:
    """`make run`'s command on `raw` into an empty curated folder (nothing to reuse; `curated`, another location,
    empty unless a run again is what is measured, else work/curated), with `settings` as more environment
    variables; its time, memory and per-stage figures. The Dagster instance is new but has run once (on an empty
    folder): its databases are made on first use (about 2.5 s), once for anyone who runs the pipeline, as `make run`
    does, on a schedule. The raw files have been read once (they are in the page cache)."""
    home = work / "dagster"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    cli = [sys.executable, "-m", "dagster", *MATERIALIZE_ALL]
    empty = work / "empty"
    for folder in (empty / "raw", empty / "curated", work / "curated"):
        shutil.rmtree(folder, ignore_errors=True)
    (empty / "raw").mkdir(parents=True)
    env = {**os.environ, "PIPELINE_RAW_DIR": str(empty / "raw"), "PIPELINE_CURATED_DIR": str(empty / "curated"), "DAGSTER_HOME": str(home), **settings}
    subprocess.run(cli, cwd=PROJECT, env=env, check=True, capture_output=True)
    for path in raw.rglob("*"):  # the raw files in the page cache for every size, as just after a scrape:
        if path.is_file():  # the figures are the pipeline's, not the disk's (100,000 cold files: 41 s, not 24)
            path.read_bytes()
    env.update(PIPELINE_RAW_DIR=str(raw), PIPELINE_CURATED_DIR=curated or str(work / "curated"))
    start = time.time()
    process = subprocess.Popen(cli, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, err = process.communicate()
    wall = time.time() - start
    sampler.done = True
    sampler.join()
    if process.returncode:
        raise SystemExit(f"the pipeline failed:\n{err[-3000:]}")
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {s.step_key: s for s in instance.get_run_step_stats(run.run_id)}
    stages = {}
    for key in STEPS:
        s = steps[key]
        seconds = s.end_time - s.start_time
        tree, run = sampler.peak_between(s.start_time, s.end_time)
        stages[key] = {
            "seconds": round(seconds, 2),
            "cores busy": round(sampler.cpu_between(s.start_time, s.end_time) / seconds, 2) if seconds else 0,
            "peak_rss_mb": round(tree / 2**20),
            "peak_rss_mb_dagster_run": round(run / 2**20),
        }
    return {
        "seconds": round(wall, 2),
        "peak_rss_mb": round(sampler.peak_rss() / 2**20),
        "peak_rss_mb_by_process": {role: round(n / 2**20) for role, n in sampler.peak_by_role.items()},
        "cpu_seconds": round(sampler.samples[-1][2], 1) if sampler.samples else 0,
        "stages": stages,
    }


class ObviousScript:
    """The script a person writes first, in one process (ftfy, langdetect on the whole text, beautifulsoup's
    html.parser, SHA-256 for exact copies, one Parquet write), run over the corpus a slice at a time between the
    pipeline's runs: its time is the sum of the slices', and on a machine whose speed drifts within minutes both are
    timed over the same minutes."""

    def __init__(self, raw: pathlib.Path, out: pathlib.Path):
        self.raw, self.out = raw, out
        self.files = sorted(p for p in raw.rglob("*") if p.is_file())
        self.rows: list[dict] = []
        self.seen: set[str] = set()
        self.seconds = 0.0

    def run_slice(self, k: int, slices: int) -> None:
        """The k-th of `slices` equal slices of the files in order; the last one writes the Parquet file."""
        import ftfy
        import langdetect
        import pyarrow as pa
        import pyarrow.parquet as pq
        from bs4 import BeautifulSoup

        langdetect.DetectorFactory.seed = 0
        start = time.perf_counter()
        for path in self.files[k * len(self.files) // slices : (k + 1) * len(self.files) // slices]:
            text = path.read_bytes().decode("utf-8", "replace")
            if path.suffix == ".html":
                text = BeautifulSoup(text, "html.parser").get_text("\n")
            text = ftfy.fix_text(text)
            try:
                language = langdetect.detect_langs(text)[0].lang
            except langdetect.LangDetectException:
                language = "und"
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest not in self.seen:
                self.seen.add(digest)
                self.rows.append({"source_path": str(path.relative_to(self.raw)), "text": text, "language": language, "sha256": digest})
        if k == slices - 1:
            pq.write_table(pa.Table.from_pylist(self.rows), self.out)
        self.seconds += time.perf_counter() - start


DATATROVE = ["datatrove[processing]==0.10.1", "spacy", "ftfy==6.3.1", "pyarrow==26.0.1"]
# our step -> datatrove's doing the same (eval/bench_datatrove.py)
SAME_STEP = {"mojibake": "mojibake_fixed", "dedup": "deduplicated", "publish": "publish_corpus"}


def run_datatrove(work: pathlib.Path) -> dict[str, float]:
    """datatrove's steps on the stage tables of the pipeline's run, in a virtual environment of their own. They
    read Parquet copies of the tables (ours are Arrow IPC): datatrove's ParquetReader reads only the text and id
    columns, its IpcReader turns every column of every row into Python."""
    import pyarrow.parquet as pq

    from pipeline.tables import read_shard, shards

    tables = work.parent / "datatrove-input"
    shutil.rmtree(tables, ignore_errors=True)
    for stage in ("decoded", "language_tagged", "deduplicated"):
        (tables / stage).mkdir(parents=True)
        for part in shards(work / stage):
            pq.write_table(read_shard(part), tables / stage / f"{part.stem}.parquet", compression="none", use_dictionary=False)
    script = PROJECT / "eval" / "bench_datatrove.py"
    out = subprocess.run([str(datatrove_python()), str(script), str(tables), str(work.parent / "datatrove")], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def datatrove_python() -> Path:
    """The interpreter of .bench/datatrove-venv, made (datatrove and what it needs) the first time."""
    venv = ROOT / "datatrove-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *DATATROVE], check=True)
    return python


RUNS_COMPARED = 3


def main(sizes: list[int], compare_at: int = 10_000) -> None:
    results = {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30), "sizes": {}}
    for n in sizes:
        raw = build(n)
        made = json.loads((raw.parent / "made.json").read_text())
        mb = made["bytes"] / 1e6
        print(f"\n{n} documents, {mb:.0f} MB ({made['kinds']})", flush=True)
        compared = RUNS_COMPARED if n == compare_at else 1
        obvious = ObviousScript(raw, ROOT / f"corpus-{n}" / "obvious.parquet") if n == compare_at else None
        runs = []
        for k in range(compared):  # the obvious script a slice after each run: both timed over the same minutes
            runs.append(run_pipeline(raw, ROOT / f"corpus-{n}"))
            if obvious:
                obvious.run_slice(k, compared)
        ours = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]  # the median run
        ours["seconds_of_each_run"] = [run["seconds"] for run in runs]
        ours.update(docs_per_second=round(n / ours["seconds"]), mb_per_second=round(mb / ours["seconds"], 2),
                    cpu_ms_per_document=round(ours["cpu_seconds"] * 1000 / n, 1))
        each = f" (the median of {', '.join(map(str, ours['seconds_of_each_run']))} s)" if len(runs) > 1 else ""
        print(f"pipeline through Dagster: {ours['seconds']} s{each}, {ours['docs_per_second']} documents/s, "
              f"{ours['mb_per_second']} MB/s, peak RSS of the process tree {ours['peak_rss_mb']} MB "
              f"(largest of each process: {ours['peak_rss_mb_by_process']})", flush=True)
        for key, figures in ours["stages"].items():
            print(f"  {key:16} {figures['seconds']:8.2f} s   cores busy {figures['cores busy']:4}   peak RSS {figures['peak_rss_mb']} MB"
                  f" (Dagster run process {figures['peak_rss_mb_dagster_run']} MB)")
        entry = {"documents": n, "mb": round(mb, 1), "pipeline": ours}
        if n == compare_at:
            seconds = obvious.seconds
            entry["obvious_script"] = {"seconds": round(seconds, 2), "mb_per_second": round(mb / seconds, 2)}
            entry["pipeline_vs_obvious"] = round(seconds / ours["seconds"], 1)
            print(f"obvious script: {seconds:.1f} s, {mb / seconds:.2f} MB/s -> pipeline is {entry['pipeline_vs_obvious']}x faster", flush=True)
            theirs = run_datatrove(ROOT / f"corpus-{n}" / "curated" / ".work")
            entry["datatrove"] = {
                step: {"datatrove_seconds": t, "ours_seconds": ours["stages"][SAME_STEP[step]]["seconds"],
                       "ratio": round(t / ours["stages"][SAME_STEP[step]]["seconds"], 1)}
                for step, t in theirs.items()
            }  # fmt: skip
            for step, figures in entry["datatrove"].items():
                print(f"datatrove {step}: {figures['datatrove_seconds']} s, ours ({SAME_STEP[step]}) {figures['ours_seconds']} s "
                      f"-> ours is {figures['ratio']}x faster", flush=True)
        results["sizes"][str(n)] = entry
    if len(sizes) > 1:
        small, large = results["sizes"][str(sizes[0])], results["sizes"][str(sizes[-1])]
        results["time_ratio"] = round(large["pipeline"]["seconds"] / small["pipeline"]["seconds"], 2)
        print(f"\n{sizes[-1]} documents took {results['time_ratio']}x the time of {sizes[0]}")
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"figures in {RESULTS}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
