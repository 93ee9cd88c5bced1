"""Time and memory of find_duplicates at 10,000 and 100,000 documents. Part of `make bench`.

The documents are made, from a seed, of 3 to 8 real paragraphs (Debian packages' READMEs and NEWS files);
5 % are exact copies of another and 5 % copies with three words edited. They are held in an Arrow column, as
the pipeline holds them, and read through a lazy sequence, so what the process gains while deduplicating is
the index, not the texts. Figures go to stdout and eval/results/dedup_speed.json.
"""

import json
import os
import pathlib
import random
import resource
import sys
import time

import pyarrow as pa

from eval.build_chrome_set import prose
from eval.score_dedup import edited
from pipeline.text import find_duplicates

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "dedup_speed.json"
SEED = 20261123


class Column:
    """A read-only sequence over an Arrow string column: one Python string at a time."""

    def __init__(self, array: pa.Array):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> str:
        return self.array[i].as_py()


def corpus(n: int, paragraphs: list[str], rng: random.Random) -> pa.Array:
    texts: list[str] = []
    for k in range(n):
        roll = rng.random()
        if texts and roll < 0.05:
            texts.append(rng.choice(texts))
        elif texts and roll < 0.10:
            texts.append(edited(rng.choice(texts), rng))
        else:
            texts.append("\n".join(rng.sample(paragraphs, rng.randint(3, 8))))
    return pa.array(texts, pa.large_string())


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(sizes: list[int]) -> int:
    rng = random.Random(SEED)
    paragraphs = prose(rng, 2000)
    rows = {}
    for n in sizes:
        texts = corpus(n, paragraphs, rng)
        keys = [f"doc{k:07d}" for k in range(n)]
        before = rss_mb()
        start = time.perf_counter()
        found = find_duplicates(Column(texts), keys)
        seconds = time.perf_counter() - start
        rows[n] = {"documents": n, "MB of text": round(texts.nbytes / 1e6, 1), "seconds": round(seconds, 1),
                   "documents/s": round(n / seconds), "duplicates found": len(found),
                   "peak RSS MB": round(rss_mb()), "RSS growth MB while deduplicating": round(rss_mb() - before)}  # fmt: skip
        del texts
    print("| documents | MB of text | seconds | documents/s | duplicates found | peak RSS MB | RSS growth MB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows.values():
        print(f"| {r['documents']:,} | {r['MB of text']} | {r['seconds']} | {r['documents/s']:,} | {r['duplicates found']:,} "
              f"| {r['peak RSS MB']} | {r['RSS growth MB while deduplicating']} |")
    if len(rows) > 1:
        small, large = rows[min(rows)], rows[max(rows)]
        print(f"\ntime ratio {large['seconds'] / small['seconds']:.1f}× for {max(rows) // min(rows)}× the documents")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"cores": os.cpu_count(), "rows": list(rows.values())}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [10_000, 100_000]))
