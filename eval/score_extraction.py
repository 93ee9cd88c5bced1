"""Score main-content extraction on the two development sets of real pages and a held-out one. Run: `make eval`, or
`python -m eval.score_extraction [--worst N] [--set news|mixed|heldout] [--json FILE]`.

- news (eval/data/extraction/): trafilatura's evaluation corpus, 990 pages (news, blogs, forums, shops; 70 %
  German). Each page lists segments the main content must contain and boilerplate it must not; scored as its
  authors score it: whitespace collapsed, a `with` segment found is a true positive, a `without` segment found a
  false positive, summed over the pages.
- mixed (eval/data/extraction-mixed/): 412 English pages of many kinds (articles, forums, services, listings,
  docs), scored against each page's whole main text by word-4-gram precision and recall averaged over pages (the
  ScrapingHub article-extraction-benchmark's F1), per page type, with the pages that score 0.
- held-out (eval/data/extraction-heldout/): 23 news pages in 9 languages that no rule was tuned on (newspaper4k's
  test pages, with the text its tests expect), scored as the mixed set, where in Chinese, Japanese, Thai and
  Burmese, written without spaces between words, each character is a word.

The text scored is what the pipeline's chrome stage keeps of a page: decode_bytes, then read_page (html_to_text,
strip_chrome, the vote with trafilatura's text; --own: without it).
The news set's pages are unpacked once into .test-data/extraction/ (git-ignored).
"""

from __future__ import annotations

import argparse
import collections
import functools
import gzip
import json
import pathlib
import re
import statistics
import sys
import tarfile
import time
from collections.abc import Callable, Iterator

HERE = pathlib.Path(__file__).resolve().parent / "data"
NEWS, MIXED, HELDOUT = HERE / "extraction", HERE / "extraction-mixed", HERE / "extraction-heldout"
UNPACKED = HERE.parent.parent / ".test-data" / "extraction"
RESULTS = HERE.parent / "results" / "extraction.json"

Extract = Callable[[bytes], str]


def pipeline_text(data: bytes, second_opinion: bool = True) -> str:
    """What the pipeline's chrome stage makes of a page's bytes (PIPELINE_EXTRACTOR=own: without trafilatura's)."""
    from pipeline.text import decode_bytes, read_page

    return read_page(decode_bytes(data).text, second_opinion).voted.text


def news_pages() -> Iterator[tuple[str, bytes, list[str], list[str]]]:
    """(file name, bytes, segments to contain, segments not to), in the order of evaldata.json."""
    if not (UNPACKED / ".stamp").exists():
        UNPACKED.mkdir(parents=True, exist_ok=True)
        with tarfile.open(NEWS / "pages.tar.xz") as tar:
            tar.extractall(UNPACKED, filter="data")
        (UNPACKED / ".stamp").touch()
    for entry in json.loads((NEWS / "evaldata.json").read_text(encoding="utf-8")).values():
        path = UNPACKED / "cache" / entry["file"]  # cache first, then eval, as the set's own scorer looks
        path = path if path.exists() else UNPACKED / "eval" / entry["file"]
        yield entry["file"], path.read_bytes(), entry["with"], entry["without"]


def mixed_pages() -> Iterator[tuple[str, bytes, str, str]]:
    """(page id, bytes, the main content's text, page type)."""
    for key, truth in sorted(json.loads((MIXED / "ground-truth.json").read_text(encoding="utf-8")).items()):
        yield key, gzip.decompress((MIXED / "html" / f"{key}.html.gz").read_bytes()), truth["articleBody"], truth["page_type"]


def heldout_pages() -> Iterator[tuple[str, bytes, str]]:
    """(page name, bytes, the article's text)."""
    with tarfile.open(HELDOUT / "pages.tar.xz") as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    for path in sorted(p for p in files if p.startswith("html/")):
        name = path[len("html/") : -len(".html")]
        yield name, files[path], files[f"txt/{name}.txt"].decode("utf-8")


def _timed(extract: Extract, data: bytes) -> tuple[str, float]:
    start = time.perf_counter()
    try:
        text = extract(data) or ""
    except Exception as error:  # noqa: BLE001 - a crash is a full miss, as the sets' scorers count it
        print(f"  crash: {type(error).__name__}: {error}", file=sys.stderr)
        text = ""
    return text, time.perf_counter() - start


def _squash(text: str) -> str:
    """Whitespace runs as one space, and soft hyphens (U+00AD) out, in the segments as in the text: a browser shows
    neither, nor do the pipeline's texts (6 of the set's segments hold one)."""
    return re.sub(r"\s+", " ", text.replace("\xad", "")).strip()


def score_news(extract: Extract) -> dict:
    tp = fn = fp = tn = 0
    pages, seconds = [], []
    for name, data, wanted, unwanted in news_pages():
        text, took = _timed(extract, data)
        seconds.append(took)
        flat = _squash(text)
        found = [bool(text) and _squash(s) in flat for s in wanted]
        leaked = [bool(text) and _squash(s) in flat for s in unwanted]
        tp, fn = tp + sum(found), fn + found.count(False)
        fp, tn = fp + sum(leaked), tn + leaked.count(False)
        missed = [s for s, f in zip(wanted, found) if not f]
        kept = [s for s, f in zip(unwanted, leaked) if f]
        pages.append({"page": name, "missed": missed, "leaked": kept, "chars": len(text), "bad": len(missed) + len(kept)})
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return {
        "pages": len(pages), "precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall),
        "accuracy": (tp + tn) / (tp + tn + fp + fn), "tp": tp, "fn": fn, "fp": fp, "tn": tn,
        "empty": sum(p["chars"] == 0 for p in pages), **_speed(seconds),
        "worst": sorted(pages, key=lambda p: -p["bad"]),
    }  # fmt: skip


_TOKEN = re.compile(r"\w+")
# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, kana, Han): a character is a word there
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_ANY_SCRIPT = re.compile(f"[{_UNSPACED}]|[^\\W{_UNSPACED}]+")


def shingles(text: str, n: int = 4, token: re.Pattern = _TOKEN) -> collections.Counter:
    """Word 4-grams, case kept, repeats counted (the article-extraction-benchmark's evaluate.py)."""
    tokens = token.findall(text or "")
    return collections.Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_scores(truth: str, text: str, token: re.Pattern = _TOKEN) -> tuple[float | None, float | None, float]:
    """Precision and recall (None where undefined: left out of the average) and F1 of one page."""
    a, b = shingles(truth, token=token), shingles(text, token=token)
    tp, fp, fn = sum((a & b).values()), sum((b - a).values()), sum((a - b).values())
    return (tp / (tp + fp) if tp + fp else None, tp / (tp + fn) if tp + fn else None,
            2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)  # fmt: skip


def _summary(rows: list[tuple[float | None, float | None, float]]) -> dict:
    def mean(xs: list) -> float:
        xs = [x for x in xs if x is not None]
        return sum(xs) / len(xs) if xs else 0.0

    p, r = mean([x[0] for x in rows]), mean([x[1] for x in rows])
    return {"pages": len(rows), "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "mean_f1": mean([x[2] for x in rows]), "zero": sum(x[2] == 0 for x in rows)}  # fmt: skip


def _scored(extract: Extract, pages: Iterator[tuple], token: re.Pattern = _TOKEN) -> tuple[list, list[dict], list[float]]:
    """Each page of (key, bytes, truth[, type]) scored against its whole text: its (precision, recall, F1), its line in
    the list of pages, its time."""
    rows, listed, seconds = [], [], []
    for key, data, truth, *kind in pages:
        text, took = _timed(extract, data)
        seconds.append(took)
        row = shingle_scores(truth, text, token)
        rows.append(row)
        typed = {"type": kind[0]} if kind else {}
        listed.append({"page": key, **typed, "f1": round(row[2], 3), "precision": row[0], "recall": row[1], "chars": len(text)})
    return rows, listed, seconds


def score_mixed(extract: Extract) -> dict:
    rows, pages, seconds = _scored(extract, mixed_pages())
    by_type = collections.defaultdict(list)
    for row, page in zip(rows, pages):
        by_type[page["type"]].append(row)
    kinds = {kind: _summary(by_type[kind]) for kind in sorted(by_type, key=lambda k: (-len(by_type[k]), k))}
    return {**_summary(rows), **_speed(seconds), "by_type": kinds, "worst": sorted(pages, key=lambda p: p["f1"])}


def score_heldout(extract: Extract) -> dict:
    rows, pages, seconds = _scored(extract, heldout_pages(), _TOKEN_ANY_SCRIPT)
    return {**_summary(rows), **_speed(seconds), "worst": sorted(pages, key=lambda p: p["f1"])}


def _speed(seconds: list[float]) -> dict:
    return {"ms_median": 1000 * statistics.median(seconds), "ms_mean": 1000 * statistics.fmean(seconds),
            "ms_worst": 1000 * max(seconds)}  # fmt: skip


def report(name: str, news: dict | None, mixed: dict | None, worst: int = 0, heldout: dict | None = None) -> None:
    if news:
        print(f"{name} on the news set ({news['pages']} pages): F1 {news['f1']:.3f} (precision {news['precision']:.3f}, "
              f"recall {news['recall']:.3f}, accuracy {news['accuracy']:.3f}), {news['empty']} empty; "
              f"{news['ms_median']:.1f} ms a page median, {news['ms_worst']:.0f} ms worst")  # fmt: skip
        for page in news["worst"][:worst]:
            print(f"  {page['page']}: {page['chars']} chars; missed {page['missed']}; leaked {page['leaked']}")
    if mixed:
        print(f"{name} on the mixed set ({mixed['pages']} pages): {mixed['ms_median']:.1f} ms a page median, "
              f"{mixed['ms_worst']:.0f} ms worst")  # fmt: skip
        print(f"  | page type | pages | precision | recall | F1 | pages at 0 |\n  |---|---|---|---|---|---|")
        for kind, s in {"all": mixed, **mixed["by_type"]}.items():
            print(f"  | {kind} | {s['pages']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['zero']} |")
        for page in mixed["worst"][:worst]:
            print(f"  {page['page']} ({page['type']}): F1 {page['f1']}, {page['chars']} chars")
    if heldout:
        print(f"{name} on the held-out set ({heldout['pages']} pages): F1 {heldout['f1']:.3f} (precision "
              f"{heldout['precision']:.3f}, recall {heldout['recall']:.3f}), {heldout['zero']} at 0; "
              f"{heldout['ms_median']:.1f} ms a page median")  # fmt: skip
        for page in heldout["worst"][:worst]:
            print(f"  {page['page']}: F1 {page['f1']}, {page['chars']} chars")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=("news", "mixed", "heldout"), help="one set only (default all three)")
    parser.add_argument("--worst", type=int, default=10, help="how many of the worst pages to list")
    parser.add_argument("--json", type=pathlib.Path, help=f"write the figures here (make eval: {RESULTS.name})")
    parser.add_argument("--own", action="store_true", help="html_to_text alone, as PIPELINE_EXTRACTOR=own reads a page")
    args = parser.parse_args(argv)
    extract = functools.partial(pipeline_text, second_opinion=not args.own)
    news = score_news(extract) if args.set in (None, "news") else None
    mixed = score_mixed(extract) if args.set in (None, "mixed") else None
    heldout = score_heldout(extract) if args.set in (None, "heldout") else None
    report("the pipeline" + " (html_to_text alone)" * args.own, news, mixed, args.worst, heldout)
    if args.json:
        figures = {"news": news, "mixed": mixed, "heldout": heldout}
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
