"""Build eval/data/quality_set.jsonl: documents the quality rules must keep, and junk they must reject.

Kept ("prose"), all real text:
- reference: the Debian Reference (debian-reference-{en,de,es,fr,id,it,ja,pt,zh-cn,zh-tw} 2.100, GPL-2+), three
  stretches of about 3,000 characters a language, paragraphs and the command examples between them;
- manpage: Debian's translated manual pages (manpages-{de,el,es,fr,it,ja,pl,pt-br,ru,zh}), rendered by groff as a
  terminal shows them (hard-wrapped at 80 columns), two a language;
- python-docs: pages of the Python 3.11 documentation (python3.11-doc, PSF licence) with dict and set literals;
- docs-whole: whole documents as the pipeline's chrome and dedup stages leave them (html_to_text, strip_chrome,
  repeated paragraphs removed), cut at WHOLE_CHARS: chapters of the Debian Reference in five languages and module
  pages of the Python documentation (their parallel descriptions, `dump` and `dumps`, repeat whole phrases), and
  the Debian Administrator's Handbook (debian-handbook 11, GPL-2+ or CC-BY-SA 3.0) in ten languages and scripts
  (Arabic, Persian, Greek, Cyrillic, Korean, Japanese, Chinese, Vietnamese, Turkish, English), LibreOffice's help in
  Khmer (libreoffice-help-km, MPL-2.0: a script of combining vowel signs, words apart by zero-width spaces, a
  language langdetect does not know) and the Bengali news page of the extraction set (eval/data/extraction); and
  prose in Hebrew, Thai and Hindi as written (`other_scripts`);
- catalogue: the language set's texts (eval/data/language_set.jsonl), one per language (28);
- thread: the content lines of the labelled chrome set (eval/data/chrome/labels.jsonl): forum threads with short
  replies, a tweet thread, storefront essays; its pages (news in Arabic, Chinese, Japanese and Latvian, rustdoc's
  book, a Lemmy post) as the chrome stage leaves them (their labels hold a line per inline element);
- short: each of those lines of 5 to 49 words alone, as a short page is a document (a reply, a title, a tweet).
Rejected ("junk"): seven kinds the issue names, made by rule from word lists written here (no such pages ship in
Debian) and, for minified code, the real jquery, underscore and Bootstrap files of Debian's libjs packages. Each kind
has two families of templates: `dev` (looked at while the thresholds were set) and `heldout` (written before, scored
once after: `python -m eval.score_quality --heldout`).

Run: `make quality-set` (downloads the Debian packages into .bench/debs once).
"""

from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from bs4 import BeautifulSoup

from eval.score_extraction import news_pages
from pipeline.text import decode_bytes, html_to_text, strip_chrome
from pipeline.text.dedup import dedup_and_fingerprint
from pipeline.text.quality import words

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "eval" / "data" / "quality_set.jsonl"
DEBS = ROOT / ".bench" / "debs"
REFERENCE = ["en", "de", "es", "fr", "id", "it", "ja", "pt", "zh-cn", "zh-tw"]
MANPAGES = {"de": "manpages-de", "el": "manpages-el", "es": "manpages-es", "fr": "manpages-fr", "it": "manpages-it", "ja": "manpages-ja",
            "pl": "manpages-pl", "pt_BR": "manpages-pt-br", "ru": "manpages-ru", "zh_CN": "manpages-zh"}  # fmt: skip
PYTHON_PAGES = ["tutorial/datastructures.html", "library/json.html", "library/collections.html", "library/stdtypes.html"]
MINIFIED = ["usr/share/javascript/jquery/jquery.min.js", "usr/share/javascript/underscore/underscore.min.js",
            "usr/share/javascript/bootstrap4/js/bootstrap.min.js", "usr/share/javascript/bootstrap4/css/bootstrap.min.css"]  # fmt: skip
PACKAGES = [f"debian-reference-{lang}" for lang in REFERENCE] + list(MANPAGES.values()) + [
    "python3.11-doc", "debian-handbook", "libreoffice-help-km", "libjs-jquery", "libjs-underscore", "libjs-bootstrap4",
    "hspell", "emacs-common", "xiterm+thai", "festival-hi"]  # fmt: skip
DOC_CHARS = 3000
WHOLE_CHARS = 40000  # a whole document, up to this (the repetition rules see a chapter's length; the set stays small)
WHOLE_REFERENCE = {lang: ("ch02", "ch10") for lang in ("en", "de", "es", "fr", "it")}
WHOLE_PYTHON = ["library/json.html", "library/re.html", "library/pathlib.html", "library/logging.html", "library/subprocess.html"]
HANDBOOK = {"ar-MA": "ar", "fa-IR": "fa", "el-GR": "el", "ru-RU": "ru", "ko-KR": "ko", "ja-JP": "ja", "zh-CN": "zh-cn",
            "vi-VN": "vi", "tr-TR": "tr", "en-US": "en"}  # fmt: skip
HANDBOOK_PAGES = ["sect.apt-get.html", "sect.dhcp.html"]
LIBREOFFICE_KM = ["text/shared/guide/keyboard.html", "text/shared/guide/digital_signatures.html"]
NEWS_PAGES = {"ukbdnews.com.23646.html": "bn"}


def tree() -> Path:
    """The packages, downloaded once and unpacked into .bench/debs/tree."""
    DEBS.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0] for p in DEBS.glob("*.deb")}
    missing = [p for p in PACKAGES if p not in have]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=DEBS, check=True, capture_output=True)
    root = DEBS / "tree"
    for deb in DEBS.glob("*.deb"):
        if deb.name.split("_")[0] in PACKAGES:
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def reference(root: Path) -> list[dict]:
    docs = []
    for lang in REFERENCE:
        for chapter in ("ch02", "ch05", "ch09"):
            soup = BeautifulSoup((root / f"usr/share/debian-reference/{chapter}.{lang}.html").read_bytes(), "xml")  # XHTML
            blocks = [" ".join(b.get_text(" ").split()) if b.name == "p" else b.get_text().strip("\n")
                      for b in soup.select("div.section p, div.section pre")]  # fmt: skip
            start = len(blocks) // 3  # past the chapter's opening lists
            text = ""
            for block in blocks[start:]:
                if block and len(text) < DOC_CHARS:
                    text += block + "\n\n"
            docs.append(_doc("prose", "reference", lang, f"debian-reference {chapter}.{lang}.html", text))
    return docs


def manpages(root: Path) -> list[dict]:
    docs = []
    for locale in MANPAGES:
        folder = root / "usr/share/man" / locale / "man1"
        pages, seen = sorted(folder.glob("*.1.gz"), key=lambda p: -p.stat().st_size), set()  # the longest: most prose
        for page in pages:
            source = gzip.decompress(page.read_bytes())
            if source in seen or source.startswith(b".so ") or len(seen) == 2:  # rbash is bash again
                continue
            seen.add(source)
            shown = subprocess.run(["groff", "-k", "-Tutf8", "-mandoc", "-P", "-cbou", "-rLL=80n"], input=source,
                                   capture_output=True, check=True).stdout.decode("utf-8", "replace")  # fmt: skip
            text = "\n".join(line.rstrip() for line in shown.split("\n"))[:DOC_CHARS]
            lang = {"zh_CN": "zh-cn", "pt_BR": "pt"}.get(locale, locale)
            docs.append(_doc("prose", "manpage", lang, f"{MANPAGES[locale]} {page.name}", text))
    return docs


def python_docs(root: Path) -> list[dict]:
    docs = []
    for name in PYTHON_PAGES:
        page = html_to_text((root / "usr/share/doc/python3.11/html" / name).read_text("utf-8"))
        docs.append(_doc("prose", "python-docs", "en", f"python3.11-doc {name}", page.text[: DOC_CHARS * 2]))
    return docs


def whole_docs(root: Path) -> list[dict]:
    """Whole documents, as the quality stage sees them: after the chrome stage and the removal of repeated paragraphs."""
    found = [(lang, f"debian-reference {chapter}.{lang}.html", root / f"usr/share/debian-reference/{chapter}.{lang}.html")
             for lang, chapters in WHOLE_REFERENCE.items() for chapter in chapters]
    found += [("en", f"python3.11-doc {name}", root / "usr/share/doc/python3.11/html" / name) for name in WHOLE_PYTHON]
    found += [(lang, f"debian-handbook {folder}/{page}", root / "usr/share/doc/debian-handbook/html" / folder / page)
              for folder, lang in HANDBOOK.items() for page in HANDBOOK_PAGES]  # fmt: skip
    found += [("km", f"libreoffice-help-km {page}", root / "usr/share/libreoffice/help/km" / page) for page in LIBREOFFICE_KM]
    pages = [(lang, source, path.read_bytes()) for lang, source, path in found]
    pages += [(NEWS_PAGES[name], f"extraction set {name}", data) for name, data, _, _ in news_pages() if name in NEWS_PAGES]
    texts = [(lang, source, strip_chrome(html_to_text(decode_bytes(data).text).text, from_html=True).text) for lang, source, data in pages]
    texts += [(lang, source, strip_chrome(text).text) for lang, source, text in other_scripts(root)]
    return [_doc("prose", "docs-whole", lang, source, dedup_and_fingerprint(text)[0][:WHOLE_CHARS]) for lang, source, text in texts]


def other_scripts(root: Path) -> list[tuple[str, str, str]]:
    """(language, source, text) of prose in Hebrew, Thai and Hindi, as written (GPL-3+, CC BY-SA 4.0, GPL-2+): Emacs's
    tutorial in Hebrew and Thai, Hspell's book on Hebrew spelling without vowel points (written in Hebrew, its
    preface and introduction), Thai XITERM's README (Thai, TIS-620) and festival-hi's sample text (C-DAC's
    announcement of its Hindi localisation project)."""
    tutorials = next((root / "usr/share/emacs").glob("*/etc/tutorials"))
    found = [(lang, f"emacs-common TUTORIAL.{lang}", (tutorials / f"TUTORIAL.{lang}").read_text("utf-8").split("\n--- end of TUTORIAL")[0])
             for lang in ("he", "th")]  # fmt: skip
    odt = ElementTree.fromstring(zipfile.ZipFile(root / "usr/share/doc/hspell/niqqudless.odt").read("content.xml"))
    tag = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    paragraphs = [text for e in odt.iter() if e.tag in (tag + "p", tag + "h") and (text := "".join(e.itertext()).strip())]
    preface = paragraphs.index("הקדמה")  # the heading (its entry in the table of contents is numbered)
    found.append(("he", "hspell niqqudless.odt", "\n\n".join(paragraphs[preface:])))
    found.append(("th", "xiterm+thai README.thai", (root / "usr/share/doc/xiterm+thai/README.thai").read_bytes().decode("tis-620")))
    found.append(("hi", "festival-hi examples/sample.txt", (root / "usr/share/doc/festival-hi/examples/sample.txt").read_text("utf-8")))
    return found


def catalogues() -> list[dict]:
    docs, seen = [], set()
    for line in (ROOT / "eval/data/language_set.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        if item["lang"] not in seen:
            seen.add(item["lang"])
            docs.append(_doc("prose", "catalogue", item["lang"], item["source"], item["text"]))
    return docs


def threads() -> list[dict]:
    docs, short = [], []
    for line in (ROOT / "eval/data/chrome/labels.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        lines = [t for label, t in item["lines"] if label == "content"]
        text = "\n".join(lines)
        if item["format"] == "html":  # as the chrome stage leaves the page: its labels hold a line per inline element
            text = strip_chrome(html_to_text((ROOT / "eval/data/chrome" / item["page"]).read_text("utf-8")).text, from_html=True).text
        docs.append(_doc("prose", "thread", None, f"chrome set {item['name']} ({item['kind']})", text))
        short += [_doc("prose", "short", None, f"chrome set {item['name']} line {k + 1}", text)
                  for k, text in enumerate(lines) if 5 <= len(words(text)) < 50]  # fmt: skip
    return docs + short


# --- junk, by rule --------------------------------------------------------------------------------------------

PRODUCTS = ["running shoes", "car insurance", "payday loans", "weight loss pills", "cheap flights", "web hosting",
            "vpn service", "dating site", "casino bonus", "essay writing"]  # fmt: skip
PLACES = ["new york", "london", "chicago", "houston", "miami", "dallas", "boston", "seattle", "denver", "austin"]
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore "
         "magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo "
         "consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla "
         "pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id "
         "est laborum.")  # fmt: skip
PERSPICIATIS = ("Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam "
                "rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt "
                "explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugit.")  # fmt: skip
TOPICS = ["celebrities", "kitchen hacks", "dog breeds", "old cars", "tiny houses", "diet secrets", "travel spots"]
TICKERS = ["AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NVDA", "META", "NFLX", "INTC", "ORCL", "IBM", "CSCO"]
COINS = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "DOT", "AVAX", "LINK", "LTC", "BCH", "XLM"]
TAGS = ["#giveaway", "#win", "#free", "#contest", "#follow", "#retweet", "#sweepstakes", "#prize", "#iphone", "#gift"]
TAGS_ES = ["#sorteo", "#gratis", "#concurso", "#regalo", "#sigueme", "#premio", "#ganar", "#rt", "#iphone", "#promo"]


def doorway(rng: random.Random, family: str) -> str:
    product = rng.choice(PRODUCTS)
    if family == "dev":
        lines = [f"Best {product} in {place} | cheap {product} {place} | {product} near me" for place in rng.sample(PLACES, 8)]
        lines.append(f"Buy {product} online. {product.capitalize()} deals. Top {product} {rng.randint(2020, 2026)}.")
    else:  # a paragraph stuffed with the keyword, as a doorway page's "article"
        sentences = [f"Looking for {product} {place}? Our {product} {place} experts offer the best {product} {place} "
                     f"prices, and {product} {place} reviews help you find {product} {place} fast."
                     for place in rng.sample(PLACES, 6)]  # fmt: skip
        lines = [" ".join(sentences), f"{product} {product} {product} {' '.join(rng.sample(PLACES, 5))}"]
    return "\n".join(lines)


def lorem(rng: random.Random, family: str) -> str:
    if family == "dev":
        return "\n\n".join(["About Us", LOREM, "Our Services", LOREM, "Contact", "Phone: 000-000-0000"])
    return "\n\n".join(["Welcome to our new website", PERSPICIATIS, "Lorem ipsum dolor sit amet.", "Latest news", PERSPICIATIS])


def ticker(rng: random.Random, family: str) -> str:
    symbols, head = (TICKERS, "Symbol Last Change %Chg Volume") if family == "dev" else (COINS, "Coin Price 24h 7d Market cap")
    rows = [head]
    for symbol in symbols:
        price = rng.uniform(1, 900)
        rows.append(f"{symbol} {price:.2f} {rng.uniform(-9, 9):+.2f} {rng.uniform(-5, 5):+.2f}% {rng.randint(10**5, 10**8):,}")
    return "\n".join(rows)


def minified(root: Path, rng: random.Random, family: str) -> str:
    files = MINIFIED[:2] if family == "dev" else MINIFIED[2:]
    data = (root / rng.choice(files)).read_text("utf-8", "replace")
    start = rng.randrange(0, max(1, len(data) - DOC_CHARS))
    return data[start : start + DOC_CHARS]


def teasers(rng: random.Random, family: str) -> str:
    if family == "dev":
        lines = [f"{rng.randint(5, 25)} {topic} you won't believe exist..." for topic in rng.sample(TOPICS, 6)]
        lines += ["Read more", "Sponsored"]
    else:
        lines = [f"She tried this with {topic} and what happened next…" for topic in rng.sample(TOPICS, 5)]
        lines += [f"Doctors hate this one trick about {rng.choice(TOPICS)}…"]
    return "\n".join(lines)


def giveaway(rng: random.Random, family: str) -> str:
    tags = TAGS if family == "dev" else TAGS_ES
    if family == "dev":
        head = "🎉 GIVEAWAY 🎉 Win a new phone! Follow + RT to enter 🎁"
    else:
        head = "🔥 SORTEO 🔥 ¡Gana un iPhone! Sigue y comparte 🎁"
    return head + "\n" + " ".join(rng.sample(tags, 8)) + "\n" + " ".join(rng.sample(tags, 6))


def product(rng: random.Random, family: str) -> str:
    specs = [("Material", "cotton"), ("Size", "M"), ("Colour", "navy"), ("Weight", "180 g"), ("Fit", "regular"),
             ("Care", "machine wash"), ("Origin", "imported"), ("SKU", f"{rng.randint(10**6, 10**7)}"), ("Stock", "in stock")]  # fmt: skip
    rng.shuffle(specs)
    if family == "dev":
        return "\n".join(f"• {key}: {value}" for key, value in specs)
    return "Product details\n" + "\n".join(f"- {key} {value}" for key, value in specs) + "\nAdd to cart\n$19.99"


JUNK = {"doorway": doorway, "lorem-ipsum": lorem, "ticker-table": ticker, "minified-code": minified,
        "teaser-list": teasers, "hashtag-giveaway": giveaway, "product-bullets": product}  # fmt: skip
JUNK_EACH = 4  # documents of each kind and family


def junk(root: Path) -> list[dict]:
    docs = []
    for family, seed in (("dev", 1), ("heldout", 2)):
        rng = random.Random(seed)
        for kind, make in JUNK.items():
            for k in range(JUNK_EACH):
                text = make(root, rng, family) if kind == "minified-code" else make(rng, family)
                docs.append(_doc("junk", kind, None, f"{kind} {family} {k + 1}", text, family))
    return docs


def _doc(group: str, kind: str, lang: str | None, source: str, text: str, family: str = "") -> dict:
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return {"group": group, "kind": kind, "family": family, "lang": lang, "source": source, "text": text}


def main() -> None:
    root = tree()
    docs = reference(root) + manpages(root) + python_docs(root) + whole_docs(root) + catalogues() + threads() + junk(root)
    with OUT.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(f"{len(docs)} documents -> {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
