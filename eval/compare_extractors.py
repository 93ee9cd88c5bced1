"""Compare third-party main-content extractors on the two extraction development sets and the held-out one, for
quality and speed.

Scores each extractor with eval/score_extraction.py's score_news (segment precision/recall/F1, pages left empty),
score_mixed (word-4-gram F1 overall and per page type, pages at F1 0) and score_heldout (the same on 23 news pages
in 9 languages), timing each page's extraction in one
process pinned to one core (CPU 0), and writes eval/results/extractors.json plus a markdown table. justext gets
the stoplist of whichever of 16 languages' stopwords the page uses most (English on a tie).

Run from the repository root: `.bench/extractors-venv/bin/python -m eval.compare_extractors [--only NAME ...]
[--vs-pipeline]`. Started with any other python3, it builds that git-ignored venv if missing, then re-runs itself
in it. --vs-pipeline also lists the pages where trafilatura does best relative to the pipeline (scored by the
project's .venv through eval.score_extraction). Full per-page results go to .bench/extractors-pages.json.

Every extractor gets the same str: UTF-8 when the bytes are valid UTF-8 (all mixed pages, 963 of 990 news pages),
else resiliparse's uchardet guess (WHATWG-mapped) decoded with its bytes_to_str; the decode is inside the timing.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench" / "extractors-venv"
REQUIREMENTS = ["trafilatura==2.3.1", "resiliparse>=2,<3", "readability-lxml", "justext", "goose3", "charset-normalizer"]
RESULTS = ROOT / "eval" / "results" / "extractors.json"
PAGES = ROOT / ".bench" / "extractors-pages.json"
TYPES = ("article", "forum", "service", "listing", "documentation")
JUSTEXT_LANGS = ("English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Polish", "Czech",
                 "Swedish", "Danish", "Norwegian_Bokmal", "Finnish", "Hungarian", "Russian", "Arabic")  # the sets' languages


def ensure_venv(argv: list[str]) -> None:
    """Build the bench venv if missing (a make target's job), and re-run this module inside it."""
    python = VENV / "bin" / "python"
    if pathlib.Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)  # venv's pip 23.x trips on lxml[html-clean] extras
        subprocess.run([*pip, *REQUIREMENTS], check=True)
    os.execv(python, [str(python), "-m", "eval.compare_extractors", *argv])


def extractors() -> dict:
    """name -> function bytes -> text. Imports here: they exist only in the bench venv."""
    import justext
    import lxml.html
    import trafilatura
    from goose3 import Goose
    from readability import Document
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding
    from resiliparse.parse.html import HTMLTree

    def decode(data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = detect_encoding(data)
            return data.decode("utf-8", "replace") if encoding == "utf-8" else bytes_to_str(data, encoding)

    def traf(**options):
        return lambda data: trafilatura.extract(decode(data), output_format="txt", **options)

    def resiliparse(data: bytes) -> str:  # the docs' main-content call; no alt texts or bullets (not main text)
        return extract_plain_text(HTMLTree.parse(decode(data)), main_content=True, preserve_formatting=True,
                                  alt_texts=False, list_bullets=False, links=False)  # fmt: skip

    blocks = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "blockquote", "section", "article")

    def readability(data: bytes) -> str:
        tree = lxml.html.fromstring(Document(decode(data)).summary())
        for element in tree.iter(*blocks):  # a line break after each block keeps the paragraphs apart
            element.tail = "\n" + (element.tail or "")
        return re.sub(r"\n\s*\n\s*", "\n\n", tree.text_content()).strip()

    stoplists = {name: justext.get_stoplist(name) for name in JUSTEXT_LANGS}
    markup = re.compile(r"(?is)<(script|style)\b.*?</\1>|<[^>]*>")

    def jt(data: bytes) -> str:  # the stoplist of the language whose stopwords the page uses most
        html = decode(data)
        words = collections.Counter(re.findall(r"\w+", markup.sub(" ", html).lower()))
        stoplist = max(stoplists.values(), key=lambda stop: sum(n for w, n in words.items() if w in stop))
        return "\n".join(p.text for p in justext.justext(html, stoplist) if not p.is_boilerplate)

    goose = Goose()  # no network with raw_html; image fetching is off by default

    def goose3(data: bytes) -> str:
        return goose.extract(raw_html=decode(data)).cleaned_text

    default = traf()

    def resi_then_traf(n: int):
        def extract(data: bytes) -> str:
            text = resiliparse(data)
            return (default(data) or text) if len(text.strip()) < n else text
        return extract

    return {
        "trafilatura": default,  # include_comments=True is trafilatura's default
        "trafilatura precision": traf(favor_precision=True),
        "trafilatura no comments": traf(include_comments=False),
        "resiliparse": resiliparse,
        "readability-lxml": readability,
        "justext": jt,
        "goose3": goose3,
        "resiliparse, trafilatura <200": resi_then_traf(200),
        "resiliparse, trafilatura <500": resi_then_traf(500),
        "trafilatura, resiliparse if empty": lambda data: default(data) or resiliparse(data),
    }  # fmt: skip


def table(results: dict) -> str:
    lines = ["| extractor | news F1 | news P | news R | news empty | mixed F1 | " + " | ".join(TYPES) + " | mixed F1=0 | held-out F1 |",
             "|---" * (8 + len(TYPES)) + "|"]  # fmt: skip
    for name, r in results.items():
        n, m = r["news"], r["mixed"]
        kinds = " | ".join(f"{m['by_type'][k]['f1']:.3f}" for k in TYPES)
        lines.append(f"| {name} | {n['f1']:.3f} | {n['precision']:.3f} | {n['recall']:.3f} | {n['empty']} | {m['f1']:.3f} | {kinds} | {m['zero']} "
                     f"| {r['heldout']['f1']:.3f} |")  # fmt: skip
    lines += ["", "| extractor | ms median news | ms median mixed | ms mean (all) | ms worst (all) |", "|---|---|---|---|---|"]
    for name, r in results.items():
        n, m = r["news"], r["mixed"]
        mean = (n["ms_mean"] * n["pages"] + m["ms_mean"] * m["pages"]) / (n["pages"] + m["pages"])
        lines.append(f"| {name} | {n['ms_median']:.1f} | {m['ms_median']:.1f} | {mean:.1f} | {max(n['ms_worst'], m['ms_worst']):.0f} |")
    return "\n".join(lines)


def everyone_fails(results: dict, wanted: dict) -> str:
    news = [{p["page"] for p in r["news"]["worst"] if len(p["missed"]) == wanted[p["page"]] > 0} for r in results.values()]
    mixed = [{f"{p['page']} ({p['type']})" for p in r["mixed"]["worst"] if p["f1"] == 0} for r in results.values()]
    return (f"News pages where every extractor misses every wanted segment: {sorted(set.intersection(*news))}\n"
            f"Mixed pages at F1 0 for every extractor: {sorted(set.intersection(*mixed))}")


def vs_pipeline(traf: dict, top: int = 15) -> str:
    """Pages where trafilatura default beats the pipeline most (the pipeline scored by the project's .venv)."""
    out = ROOT / ".bench" / "pipeline-scores.json"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "eval.score_extraction", "--worst", "0", "--json", str(out)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    pipe = json.loads(out.read_text(encoding="utf-8"))
    news = {p["page"]: p for p in pipe["news"]["worst"]}
    mixed = {p["page"]: p for p in pipe["mixed"]["worst"]}
    lines = [f"trafilatura vs pipeline, news (missed+leaked segments, pipeline -> trafilatura), top {top}:"]
    for p in sorted(traf["news"]["worst"], key=lambda p: p["bad"] - news[p["page"]]["bad"])[:top]:
        q = news[p["page"]]
        lines.append(f"  {p['page']}: {q['bad']} -> {p['bad']} (missed {len(q['missed'])}->{len(p['missed'])}, "
                     f"leaked {len(q['leaked'])}->{len(p['leaked'])}; chars {q['chars']}->{p['chars']})")  # fmt: skip
    lines.append(f"trafilatura vs pipeline, mixed (page F1, pipeline -> trafilatura), top {top}:")
    for p in sorted(traf["mixed"]["worst"], key=lambda p: mixed[p["page"]]["f1"] - p["f1"])[:top]:
        q = mixed[p["page"]]
        lines.append(f"  {p['page']} ({p['type']}): {q['f1']} -> {p['f1']} (chars {q['chars']} -> {p['chars']})")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", help="score only this extractor (repeatable)")
    parser.add_argument("--vs-pipeline", action="store_true", help="list where trafilatura beats the pipeline most")
    args = parser.parse_args(argv)
    ensure_venv(argv)
    os.sched_setaffinity(0, {0})  # one core, for the timings
    logging.disable(logging.CRITICAL)  # the libraries' warnings about odd pages; crashes are still printed
    from eval.score_extraction import news_pages, score_heldout, score_mixed, score_news

    results = {}
    for name, extract in extractors().items():
        if not args.only or name in args.only:
            print(f"scoring {name} ...", file=sys.stderr, flush=True)
            results[name] = {"news": score_news(extract), "mixed": score_mixed(extract), "heldout": score_heldout(extract)}
    PAGES.write_text(json.dumps(results, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = {name: {s: {k: v for k, v in r[s].items() if k != "worst"} for s in r} for name, r in results.items()}
    if not args.only:  # a partial run leaves the committed figures alone
        RESULTS.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(table(results))
    print(everyone_fails(results, {name: len(wanted) for name, _, wanted, _ in news_pages()}))
    if args.vs_pipeline and "trafilatura" in results:
        print(vs_pipeline(results["trafilatura"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
