"""Score chrome stripping on eval/data/chrome/labels.jsonl, line by line. Run: `make eval`.

Each document goes through what the pipeline's chrome stage does (read_page for a page: html_to_text,
strip_chrome, the vote with trafilatura's text; strip_chrome for a text; then the lines repeated across the set's
documents removed).
A text export's line is kept when the output holds it (each output line used once). A page's line is kept
when its text, whitespace collapsed, is part of the output: a chrome line that happens to be a phrase of the
article counts as kept, so chrome removal on pages is if anything understated.
"""

import collections
import json
import pathlib
import sys

from pipeline.text import read_page, repeated_lines, strip_chrome

HERE = pathlib.Path(__file__).resolve().parent / "data" / "chrome"


def clean(row: dict) -> str:
    if row["format"] == "html":
        return read_page((HERE / row["page"]).read_text(encoding="utf-8")).voted.text
    return strip_chrome(("\n\n" if row.get("spaced") else "\n").join(text for _, text in row["lines"])).text


def judge(row: dict, out: str) -> list[tuple[str, str, bool]]:
    """(label, line, kept) for every labelled line of the document, `out` its cleaned text."""
    if row["format"] == "html":
        flat = " ".join(out.split())
        return [(label, line, " ".join(line.split()) in flat) for label, line in row["lines"]]
    left = collections.Counter(line.strip() for line in out.split("\n"))
    judged = []
    for label, line in row["lines"]:
        kept = left[line.strip()] > 0
        left[line.strip()] -= kept
        judged.append((label, line, kept))
    return judged


def score(show: bool = False) -> dict[str, list[int]]:
    rows = [json.loads(line) for line in (HERE / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])  # content, kept, chrome, removed
    outs = [clean(row) for row in rows]
    repeated = repeated_lines(outs)  # the stage's second look, across the whole set as its corpus
    outs = ["\n".join(line for line in out.split("\n") if line.strip() not in repeated) for out in outs]
    for row, out in zip(rows, outs):
        t = table[row["kind"]]
        for label, line, kept in judge(row, out):
            if label == "content":
                t[0], t[1] = t[0] + 1, t[1] + kept
            else:
                t[2], t[3] = t[2] + 1, t[3] + (not kept)
            if show and (label == "content") != kept:
                print(f"[{row['name']}] {'LOST' if kept is False else 'LEFT'} {label}: {line[:100]!r}", file=sys.stderr)
    return dict(table)


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({a / b:.1%})" if b else "–"


def main(argv: list[str]) -> int:
    table = score(show="--failures" in argv)
    print("| kind | content lines kept | chrome lines removed |\n|---|---|---|")
    for kind, (c, k, h, r) in sorted(table.items()):
        print(f"| {kind} | {_pct(k, c)} | {_pct(r, h)} |")
    c, k, h, r = (sum(col) for col in zip(*table.values()))
    print(f"| **all** | **{_pct(k, c)}** | **{_pct(r, h)}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
