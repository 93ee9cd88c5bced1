"""Reading a crawl archive: the raw stage on a WARC of over 1 GB, beside warcio's and FastWARC's own reading of the
same file. Run: `make bench` (after eval.bench_pipeline, whose 100,000-document corpus it packs).

The WARC is the bench corpus's 100,000 pages, each a `response` record with HTTP headers (text/html or text/plain),
written once to .bench/warc/, uncompressed and with each record gzipped (as crawlers write them). Timed: warcio and FastWARC iterating every record and reading its body
(the least any reader does), and `pipeline.intake.read_raw` turning the archive into the raw stage's shards
(records parsed, HTTP bodies hashed, shards written), with the peak resident memory of this process. Each is the best
of two passes; the file is read once before, so all three start from the page cache. Figures: stdout and
eval/results/warc_speed.json.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import sys
import threading
import time

import psutil

from eval.bench_corpus import ROOT, build

PROJECT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = PROJECT / "eval" / "results" / "warc_speed.json"
DOCUMENTS = 100_000


def make_warc(n: int = DOCUMENTS, gzipped: bool = False) -> pathlib.Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = ROOT / "warc" / f"pages-{n}.warc{'.gz' if gzipped else ''}"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = build(n)
    building = path.with_name(path.name + ".building")
    with building.open("wb") as f:
        writer = WARCWriter(f, gzip=gzipped)
        for k, page in enumerate(sorted(p for p in raw.rglob("*") if p.is_file())):
            media = "text/html" if page.suffix == ".html" else "text/plain"
            http = StatusAndHeaders("200 OK", [("Content-Type", media)], protocol="HTTP/1.1")
            url = f"https://bench.example/{page.relative_to(raw).as_posix()}"
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(page.read_bytes()), http_headers=http))
    building.rename(path)
    return path


def warcio_read(path: pathlib.Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            record.content_stream().read()
            n += 1
    return n


def fastwarc_read(path: pathlib.Path) -> int:
    from fastwarc.warc import ArchiveIterator

    n = 0
    with path.open("rb") as f:
        for record in ArchiveIterator(f, parse_http=True):
            record.reader.read()
            n += 1
    return n


def ours(path: pathlib.Path) -> int:
    from pipeline import intake

    folder = ROOT / "warc" / f"raw-{path.name}"  # the archive alone
    folder.mkdir(exist_ok=True)
    link = folder / path.name
    if not link.exists():
        link.symlink_to(path)
    target = ROOT / "warc" / "raw_documents"
    shutil.rmtree(target, ignore_errors=True)
    stats = intake.read_raw(folder, target)
    shutil.rmtree(target, ignore_errors=True)
    return stats["in"]


def timed(fn, path: pathlib.Path) -> tuple[float, int, int]:
    """Best of two passes: seconds, records, and the peak RSS of this process (MB) while it ran."""
    me, peak, done = psutil.Process(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], me.memory_info().rss)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    best, n = float("inf"), 0
    for _ in range(2):
        start = time.perf_counter()
        n = fn(path)
        best = min(best, time.perf_counter() - start)
    done.set()
    return best, n, peak[0] // 2**20


def main() -> int:
    results = {"cores": os.cpu_count()}
    for gzipped in (False, True):  # as written by a crawler that compresses each record, and not
        path = make_warc(gzipped=gzipped)
        with path.open("rb") as f:  # into the page cache
            while f.read(1 << 24):
                pass
        mb = path.stat().st_size / 2**20
        rows = {}
        print(f"{path.name}: {mb:.0f} MB")
        for name, fn in (("pipeline read_raw", ours), ("warcio", warcio_read), ("FastWARC", fastwarc_read)):
            seconds, n, peak = timed(fn, path)
            rows[name] = {"seconds": round(seconds, 2), "records": n, "MB/s": round(mb / seconds, 1), "peak_rss_mb": peak}
            print(f"  {name:18} {seconds:7.2f} s  {mb / seconds:6.1f} MB/s  {n} records  peak RSS {peak} MB", flush=True)
        results[path.name] = {"file_mb": round(mb), "rows": rows}
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
