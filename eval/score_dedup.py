"""Score deduplication on labelled pairs built from eval/data/dedup_docs.jsonl. Run: `make eval`.

Every pair is built by rule from real documents (Debian READMEs), seeded, and goes through the cleaning the
pipeline does before deduplication (HTML to text, chrome, repeated paragraphs); then find_duplicates is asked
about the two. Duplicates: exact copies (line breaks and case changed), copies with three words edited,
copies under different chrome, an HTML page against the text. Distinct: documents that share one quoted
paragraph, a signature, or the same chrome.
"""

import collections
import html
import json
import pathlib
import random
import sys

from pipeline.text import dedup_paragraphs, find_duplicates, html_to_text, strip_chrome

DATA = pathlib.Path(__file__).resolve().parent / "data" / "dedup_docs.jsonl"
SEED = 20261123
CHROME = [
    ("r/linux\nPosted by u/someone\n5h", "Reply\nShare\nReport\n12 comments"),
    ("Home\nForums\nLog in\nSign up", "Powered by phpBB® Forum Software © phpBB Limited\nTerms of Service"),
]
SIGNATURE = "--\nSent from my phone. Please excuse typos.\nhttps://example.org/~someone"


def edited(text: str, rng: random.Random, n: int = 3) -> str:
    words = text.split(" ")
    for k in rng.sample(range(len(words)), n):
        words[k] = rng.choice(words)
    return " ".join(words)


def as_html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
    return (f"<!doctype html><html lang='en'><head><title>README</title></head><body><nav><a href='/'>Home</a>"
            f"<a href='/docs'>Docs</a></nav><main>{paragraphs}</main><footer>© 2024 Example</footer></body></html>")


def pairs() -> list[tuple[str, str, str, bool]]:
    """(kind, a, b, are they duplicates) for every pair."""
    docs = [json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(SEED)
    out = []
    for i, doc in enumerate(docs):
        other = docs[(i + 1) % len(docs)]
        quote = docs[(i + 2) % len(docs)].split("\n")[0]
        (top, bottom), (top2, bottom2) = CHROME
        out += [
            ("exact copy", doc, doc.upper().replace("\n", "\n\n"), True),
            ("three words edited", doc, edited(doc, rng), True),
            ("different chrome", f"{top}\n{doc}\n{bottom}", f"{top2}\n{doc}\n{bottom2}", True),
            ("HTML against text", as_html(doc), doc, True),
            ("distinct, one shared paragraph", f"{doc}\n{quote}", f"{quote}\n{other}", False),
            ("distinct, same signature", f"{doc}\n{SIGNATURE}", f"{other}\n{SIGNATURE}", False),
            ("distinct, same chrome", f"{top}\n{doc}\n{bottom}", f"{top}\n{other}\n{bottom}", False),
        ]
    return out


def clean(text: str) -> str:
    is_html = text.startswith("<!doctype html>")
    if is_html:
        text = html_to_text(text).text
    return dedup_paragraphs(strip_chrome(text, from_html=is_html).text)[0]


def score(show: bool = False) -> dict[str, list[int]]:
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])  # pairs, judged right
    for kind, a, b, same in pairs():
        found = bool(find_duplicates([clean(a), clean(b)], ["a", "b"]))
        table[kind][0] += 1
        table[kind][1] += found == same
        if show and found != same:
            print(f"[{kind}] judged {'duplicate' if found else 'distinct'}: {a[:60]!r}", file=sys.stderr)
    return dict(table)


def main(argv: list[str]) -> int:
    table = score(show="--failures" in argv)
    print("| pair | pairs | judged right |\n|---|---|---|")
    for kind, (n, right) in table.items():
        print(f"| {kind} | {n} | {right} ({right / n:.1%}) |")
    positives = [row for kind, row in table.items() if not kind.startswith("distinct")]
    negatives = [row for kind, row in table.items() if kind.startswith("distinct")]
    found = sum(right for _, right in positives)
    false = sum(n - right for n, right in negatives)
    print(f"\nprecision {found / (found + false):.1%}, recall {found / sum(n for n, _ in positives):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
