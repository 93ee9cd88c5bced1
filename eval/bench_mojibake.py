"""Throughput of fix_mojibake beside ftfy.fix_text on the same text, in one run. Part of `make bench`.

Clean text: the 220 multilingual sentences (in documents of 10) and the paragraphs of the English GPL,
repeated to about 4 MB. Damaged text: the non-ASCII documents of the first quarter read as windows-1252
(every line damaged). Each figure is the best of the passes that fit in three seconds (at least three).
Figures go to stdout and eval/results/.
"""

import gc
import json
import pathlib
import platform
import os
import sys
import time

import ftfy

from eval.score_mojibake import ORIGINALS, cp1252
from pipeline.text import fix_mojibake, mojibake

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "mojibake_speed.json"
TARGET_BYTES = 4_000_000


def corpus() -> tuple[list[str], list[str]]:
    sentences = [json.loads(line)["text"] for line in ORIGINALS.read_text(encoding="utf-8").splitlines()]
    english = pathlib.Path("/usr/share/common-licenses/GPL-3")
    paragraphs = english.read_text(encoding="utf-8").split("\n\n") if english.exists() else []
    docs = ["\n".join(sentences[k : k + 10]) for k in range(0, len(sentences), 10)] + paragraphs
    clean, size = [], 0
    while size < TARGET_BYTES:
        for d in docs:
            clean.append(d)
            size += len(d.encode())
    damaged = [cp1252(d) for d in clean[: len(clean) // 4] if not d.isascii()]
    return clean, damaged


def throughput(fn, docs: list[str], seconds: float = 3.0) -> float:
    """MB/s, the best of as many passes as fit in `seconds` (at least three): the pass least disturbed by
    the rest of the machine. The garbage collector is paused while timing."""
    best, spent, passes = float("inf"), 0.0, 0
    gc.disable()
    try:
        while passes < 3 or spent < seconds:
            start = time.perf_counter()
            for d in docs:
                fn(d)
            took = time.perf_counter() - start
            best, spent, passes = min(best, took), spent + took, passes + 1
    finally:
        gc.enable()
    return sum(len(d.encode()) for d in docs) / best / 1e6


def fix_alone(text: str) -> str:
    """fix_mojibake with nothing remembered from other documents: the corpus repeats its documents, and a line
    seen before would be repaired from memory (a real corpus's repeated lines are a site's, not every line)."""
    mojibake._repair_line_alone.cache_clear()
    return fix_mojibake(text)


def main() -> int:
    clean, damaged = corpus()
    fix_mojibake(damaged[0]), ftfy.fix_text(damaged[0])  # load both tools' tables before timing
    rows = {}
    for name, docs in (("clean", clean), ("damaged (windows-1252)", damaged)):
        ours, theirs = throughput(fix_alone, docs), throughput(ftfy.fix_text, docs)
        rows[name] = {"documents": len(docs), "fix_mojibake MB/s": round(ours, 2),
                      "ftfy.fix_text MB/s": round(theirs, 2), "ratio": round(ours / theirs, 1)}  # fmt: skip
    print("| text | documents | fix_mojibake MB/s | ftfy.fix_text MB/s | ratio |\n|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['documents']} | {r['fix_mojibake MB/s']} | {r['ftfy.fix_text MB/s']} | {r['ratio']}× |")
    RESULTS.parent.mkdir(exist_ok=True)
    machine = {"cores": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine()}
    RESULTS.write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
