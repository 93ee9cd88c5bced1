"""Score detect_language beside plain langdetect.detect on eval/data/language_set.jsonl. Run: `make eval`.

Each document is cut at 50, 200 and 1,000 characters (at a space) and scored whole (about 2,000). Plain
langdetect is seeded too (DetectorFactory.seed = 0), or its answers would change from run to run. An answer
is right when it is the label; "und" is never right (it is the honest answer for text too short to tell, and
it is counted against us all the same).
"""

import collections
import json
import pathlib
import sys

import langdetect

from pipeline.text import detect_language
from pipeline.text.language import language_profile

DATA = pathlib.Path(__file__).resolve().parent / "data" / "language_set.jsonl"
LENGTHS = (50, 200, 1000, None)


def cut(text: str, length: int | None) -> str:
    return text if length is None or len(text) <= length else text[:length].rsplit(" ", 1)[0]


def plain(text: str) -> str:
    langdetect.DetectorFactory.seed = 0
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return "und"


def score(show: bool = False) -> dict[str, list[int]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])  # samples, plain right, ours right
    for row in rows:
        for length in LENGTHS:
            text = cut(row["text"], length)
            ours, theirs = detect_language(text).language, plain(text)
            t = table["whole" if length is None else f"{length} characters"]
            t[0], t[1], t[2] = t[0] + 1, t[1] + (theirs == row["lang"]), t[2] + (ours == row["lang"])
            if show and ours != row["lang"]:
                print(f"[{row['lang']} @ {length}] ours {ours}, plain {theirs}: {text[:80]!r}", file=sys.stderr)
        # as the language stage judges a document: its paragraphs together (language_profile)
        t = table["whole, as the stage judges it"]
        ours = language_profile(row["text"])[0].language
        t[0], t[1], t[2] = t[0] + 1, t[1] + (plain(row["text"]) == row["lang"]), t[2] + (ours == row["lang"])
    return dict(table)


def main(argv: list[str]) -> int:
    table = score(show="--failures" in argv)
    print("| sample length | samples | langdetect.detect | pipeline detect_language |\n|---|---|---|---|")
    for name, (n, p, o) in table.items():
        print(f"| {name} | {n} | {p} ({p / n:.1%}) | {o} ({o / n:.1%}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
