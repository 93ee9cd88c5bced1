"""The benchmark's corpus: N raw files made from a seed, of real text, with the mix a scraper brings home.

The text is what people wrote and Debian ships: the Python 3.11 documentation (English) and the translated
manual pages of manpages-de, -fr, -es, -it, -pl, -pt-br, -ru and -ja, fetched with `apt-get download` into
.bench/debs/ the first time. A document is 1 to 20 KB of paragraphs of one language, each made of two to four
sentences drawn from the pool's (drawn whole, the 58,000 paragraphs repeated: in 2,560 documents three long lines
in four had been seen before, which flattered the pipeline's per-line caches), then shaped:
  - 15 % in a language other than English;
  - 10 % HTML pages (navigation, header, footer, share buttons around the paragraphs);
  - of the text files, a third are forum exports: a thread of posts with handles, scores, relative dates and
    "Reply · Share · Report" lines around what people wrote;
  - 10 % damaged by mojibake (UTF-8 read as windows-1252, windows-1250 or windows-1251, and written again);
  - 5 % exact copies and 5 % near copies (three words edited) of an earlier document;
  - a few in legacy encodings (windows-1252, UTF-16), as found in the wild;
  - 1.5 % carry a page-wide note the Python documentation itself repeats on many pages (the most shared paragraph
    of its admonitions), and 0.1 % are pages whose only text is that note under its "Note" heading: the
    boilerplate step empties them, and they must go to rejected, not stop the corpus.
Run: `python -m eval.bench_corpus N` writes .bench/corpus-N/raw/ (kept: the next run reuses it).
"""

from __future__ import annotations

import gzip
import html
import json
import pathlib
import random
import re
import shutil
import subprocess
import sys

from lxml import html as lxml_html

from eval.score_dedup import edited

ROOT = pathlib.Path(__file__).resolve().parent.parent / ".bench"
DEBS = ROOT / "debs"
SEED = 20261123
VERSION = 3  # of how documents are made: a corpus made otherwise is made again
PACKAGES = ["python3.11-doc"] + [f"manpages-{code}" for code in ("de", "fr", "es", "it", "pl", "pt-br", "ru", "ja")]
MAN_LANGUAGES = {"de": "de", "fr": "fr", "es": "es", "it": "it", "pl": "pl", "pt_BR": "pt", "ru": "ru", "ja": "ja"}
SHARES = {"non_english": 0.15, "html": 0.10, "forum": 1 / 3, "mojibake": 0.10, "exact": 0.05, "near": 0.05,
          "note": 0.015, "note_only": 0.001}
MOJIBAKE_CODECS = ["windows-1252", "windows-1252", "windows-1250", "windows-1251"]


def _unpacked() -> pathlib.Path:
    tree = DEBS / "tree"
    if not tree.exists():
        DEBS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=DEBS, check=True, capture_output=True)
        for deb in sorted(DEBS.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(tree)], check=True)
    return tree


def _prose(line: str) -> bool:
    return 80 <= len(line) <= 1500 and not re.search(r"[<>{}$=#|\\]|--|\bhttps?:|\.\.\.", line)


def _python_docs(tree: pathlib.Path) -> list[str]:
    found = []
    for path in sorted((tree / "usr/share/doc/python3.11/html").rglob("*.html")):
        for p in lxml_html.parse(str(path)).getroot().iter("p"):
            line = " ".join(p.text_content().split())
            if _prose(line) and line[0].isupper() and line.endswith("."):
                found.append(line)
    return found


_TROFF_ESCAPES = re.compile(r"\\f[BIRPC]|\\f\(..|\\[&/,:]|\\\*\(..|\\\(..")


def _man_pages(folder: pathlib.Path) -> list[str]:
    """Paragraphs of running text in troff sources: lines between macros, escapes removed."""
    found = []
    for path in sorted(folder.rglob("*.gz")):
        raw = gzip.decompress(path.read_bytes())
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            source = raw.decode("euc-jp", "replace")
        block: list[str] = []
        for line in source.splitlines() + ["."]:
            if line.startswith((".", "'")):
                text = " ".join(" ".join(block).replace("\\-", "-").replace("\\ ", " ").split())
                text = _TROFF_ESCAPES.sub("", text)
                if _prose(text) and text[-1] in ".。":
                    found.append(text)
                block = []
            else:
                block.append(line)
    return found


def shared_note() -> str:
    """The paragraph of the Python documentation's notes (admonitions) that most of its pages carry."""
    cache = ROOT / "note.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    pages: dict[str, set[str]] = {}
    for path in sorted((_unpacked() / "usr/share/doc/python3.11/html").rglob("*.html")):
        for div in lxml_html.parse(str(path)).getroot().iter("div"):
            if "admonition" in div.get("class", ""):
                for p in div.iter("p"):
                    if "admonition-title" not in p.get("class", ""):
                        pages.setdefault(" ".join(p.text_content().split()), set()).add(path.name)
    note = max(sorted(pages), key=lambda text: len(pages[text]))
    cache.write_text(json.dumps(note), encoding="utf-8")
    return note


def paragraphs() -> dict[str, list[str]]:
    """Distinct paragraphs by language (ISO 639-1)."""
    cache = ROOT / "paragraphs.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    tree = _unpacked()
    pools = {"en": _python_docs(tree)}
    for folder, lang in MAN_LANGUAGES.items():
        pools[lang] = _man_pages(tree / "usr/share/man" / folder)
    pools = {lang: sorted(set(lines)) for lang, lines in pools.items()}
    cache.write_text(json.dumps(pools, ensure_ascii=False), encoding="utf-8")
    return pools


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^\W\d_])|(?<=[。！？])")


def sentences(pools: dict[str, list[str]]) -> dict[str, list[str]]:
    """The pools' sentences by language (of 20 characters or more)."""
    return {lang: [s for p in pool for s in _SENTENCE_END.split(p) if len(s) >= 20] for lang, pool in pools.items()}


def _body(pool: list[str], lang: str, rng: random.Random) -> list[str]:
    target, lines, size = rng.randint(1_000, 20_000), [], 0
    joiner = "" if lang == "ja" else " "
    while size < target:
        lines.append(joiner.join(rng.choice(pool) for _ in range(rng.randint(2, 4))))
        size += len(lines[-1].encode()) + 1
    return lines


_HANDLES = ["u/quietfox", "marta_k", "@jdoe@mastodon.social", "throwaway_9921", "u/kettle", "pgriffin", "Ana María"]


def _forum(lines: list[str], rng: random.Random) -> str:
    out = ["Home > Forums > Programming > Help", "Log in · Sign up"]
    for k in range(0, len(lines), 2):
        out += [f"{rng.choice(_HANDLES)} · {rng.randint(1, 23)} hours ago", *lines[k : k + 2]]
        out += [f"▲ {rng.randint(0, 900)} ▼", "Reply · Share · Report"]
    return "\n".join(out + ["Terms of Service · Privacy Policy · © 2026"])


def _page(lines: list[str], lang: str, rng: random.Random, note: str | None = None, title: str | None = None) -> str:
    nav = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in ("Home", "Docs", "Blog", "About", "Contact"))
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    if note:  # as Sphinx writes an admonition
        body = f'<div class="admonition note"><p class="admonition-title">Note</p><p>{html.escape(note)}</p></div>{body}'
    title = title or lines[0][:60]
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"{'' if note and not lines else f'<h1>{html.escape(title)}</h1>'}{body}</article></main>"
        f'<aside><a href="/share">Share</a> <a href="/tweet">Tweet</a></aside>'
        f"<footer><p>© 2026 Example · <a href='/privacy'>Privacy</a> · <a href='/terms'>Terms</a></p></footer>"
        "</body></html>"
    )


def _mojibake(text: str, rng: random.Random) -> str:
    codec = rng.choice(MOJIBAKE_CODECS)
    return text.encode("utf-8").decode(codec, "replace")


def documents(n: int, seed: int = SEED):
    """(relative path, bytes, what was done) for n documents; the same n and seed give the same files."""
    rng = random.Random(seed)
    pools = sentences(paragraphs())
    note = shared_note()
    others = sorted(lang for lang in pools if lang != "en")
    made: list[str] = []  # texts, for copies
    for k in range(n):
        roll = rng.random()
        if rng.random() < SHARES["note_only"]:  # a page whose only text is the shared note
            yield f"pages/{k:06d}.html", _page([], "en", rng, note, title=f"Legacy notes, part {k}").encode(), "note only"
            continue
        if made and roll < SHARES["exact"]:
            yield f"copies/{k:06d}.txt", rng.choice(made).encode("utf-8"), "exact copy"
            continue
        if made and roll < SHARES["exact"] + SHARES["near"]:
            yield f"copies/{k:06d}.txt", edited(rng.choice(made), rng).encode("utf-8"), "near copy"
            continue
        lang = rng.choice(others) if rng.random() < SHARES["non_english"] else "en"
        lines = _body(pools[lang], lang, rng)
        noted = rng.random() < SHARES["note"]
        shape = rng.random()
        if shape < SHARES["html"]:
            path, text, kind = f"pages/{k:06d}.html", _page(lines, lang, rng, note if noted else None), "html"
        elif shape < SHARES["html"] + (1 - SHARES["html"]) * SHARES["forum"]:
            path, text, kind = f"forum/{k:06d}.txt", _forum([note] * noted + lines, rng), "forum"
        else:
            path, text, kind = f"posts/{k:06d}.txt", "\n".join([note] * noted + lines), "text"
        kind += "+note" * noted
        if rng.random() < SHARES["mojibake"]:
            text, kind = _mojibake(text, rng), f"{kind}+mojibake"
        made.append(text)
        if lang in ("en", "de", "fr", "es", "it", "pt") and rng.random() < 0.03 and not kind.startswith("html"):
            yield path, text.encode("windows-1252", "replace"), f"{kind}+cp1252"
        elif rng.random() < 0.01:
            yield path, text.encode("utf-16"), f"{kind}+utf-16"
        else:
            yield path, text.encode("utf-8"), kind


def build(n: int) -> pathlib.Path:
    """.bench/corpus-N/raw/, made once; returns its path."""
    raw = ROOT / f"corpus-{n}" / "raw"
    done = raw.parent / "made.json"
    if done.exists() and json.loads(done.read_text()).get("version") == VERSION:
        return raw
    shutil.rmtree(raw, ignore_errors=True)
    kinds: dict[str, int] = {}
    size = 0
    for path, content, kind in documents(n):
        target = raw / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        kinds[kind] = kinds.get(kind, 0) + 1
        size += len(content)
    done.write_text(json.dumps({"documents": n, "bytes": size, "seed": SEED, "version": VERSION, "kinds": kinds}, indent=1))
    return raw


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(build(int(arg)), json.loads((ROOT / f"corpus-{arg}" / "made.json").read_text()))
