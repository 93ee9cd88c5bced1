"""Score fix_mojibake beside ftfy.fix_encoding on two sets. Run: `make eval`.

1. ftfy's own real-world test cases: a case is repaired when the output equals its `fixed-encoding`
   expectation (else `fixed`), what an encoding-only repair should give, or, where that expectation
   keeps a U+FFFD for a lost byte, the text as written (ftfy_lost_byte_truths.json, checked by hand:
   "Ру��кий" is "Русский"). ftfy marks some cases as ones it fails; both tools are scored on all.
2. Real translated sentences in 22 languages (mojibake_originals.jsonl), each damaged in every way below:
   a damaged text is restored when the output equals the original exactly; a clean one when it comes back
   unchanged. Damage that does not change a sentence is not counted for it.
"""

import collections
import json
import pathlib
import re
import sys

import ftfy

from pipeline.text import fix_mojibake

HERE = pathlib.Path(__file__).resolve().parent
FTFY_CASES = HERE / "data" / "ftfy_test_cases.json"
FTFY_TRUTHS = HERE / "data" / "ftfy_lost_byte_truths.json"  # where ftfy expects U+FFFD, the text, by hand
ORIGINALS = HERE / "data" / "mojibake_originals.jsonl"
BY_LANGUAGE = HERE / "results" / "mojibake_by_language.md"


def read_as(upper: str, c1: str | None = None, lost: str | None = None):
    """UTF-8 decoded by a single-byte code page (`c1` for 0x80-0x9F if given). A byte the page does not
    define is kept as the C1 control of the same number (what browsers and sloppy decoders do), or, with
    `lost`, replaced by it ("" drops it)."""
    table = {}
    for b in range(0x80, 0x100):
        try:
            table[b] = bytes([b]).decode(c1 if c1 and b < 0xA0 else upper)
        except UnicodeDecodeError:
            table[b] = chr(b) if lost is None else lost
    return lambda text: "".join(table.get(b, chr(b)) for b in text.encode("utf-8"))


cp1252 = read_as("cp1252")
DAMAGES = {
    "windows-1252": cp1252,
    "windows-1252 twice": lambda text: cp1252(cp1252(text)),
    "latin-1": read_as("latin-1"),
    "windows-1250": read_as("cp1250"),
    "iso-8859-2": read_as("iso8859_2"),
    "windows-1251": read_as("cp1251"),
    "windows-1257": read_as("cp1257"),
    "iso-8859-13 with windows-1252 in 0x80-0x9F": read_as("iso8859_13", c1="cp1252"),
    "iso-8859-2 with windows-1252 in 0x80-0x9F": read_as("iso8859_2", c1="cp1252"),
    "windows-1250 with windows-1252 in 0x80-0x9F": read_as("cp1250", c1="cp1252"),
    "windows-1251 with windows-1252 in 0x80-0x9F": read_as("cp1251", c1="cp1252"),
    "mac-roman": read_as("mac_roman"),
    "cp437": read_as("cp437"),
}
LOSSY = {  # (page, C1 page, what a byte it leaves undefined becomes): only sentences holding such a byte count
    "windows-1252, undefined bytes dropped": ("cp1252", None, ""),
    "windows-1252, undefined bytes as ?": ("cp1252", None, "?"),
    "windows-1252, undefined bytes as U+FFFD": ("cp1252", None, "\ufffd"),
    "iso-8859-13 + windows-1252, undefined bytes dropped": ("iso8859_13", "cp1252", ""),
    "windows-1250, undefined bytes as ?": ("cp1250", None, "?"),
    "windows-1251, undefined bytes as ?": ("cp1251", None, "?"),
    "windows-1257, undefined bytes as ?": ("cp1257", None, "?"),
}
MIXED = "one line clean, the next windows-1252"


def damaged_cases() -> list[tuple[str, str, str, str]]:
    """(kind, damaged, original, language) for every original and damage that changes it."""
    originals = [json.loads(line) for line in ORIGINALS.read_text(encoding="utf-8").splitlines()]
    cases = [("clean", o["text"], o["text"], o["lang"]) for o in originals]
    for o, after in zip(originals, originals[1:] + originals[:1]):
        text, lang = o["text"], o["lang"]
        for kind, damage in DAMAGES.items():
            cases.append((kind, damage(text), text, lang))
        for kind, (upper, c1, lost) in LOSSY.items():
            if (damaged := read_as(upper, c1, lost)(text)) != read_as(upper, c1)(text):  # a byte was undefined
                cases.append((kind, damaged, text, lang))
        both = f"{text}\n{after['text']}"
        cases.append((MIXED, f"{text}\n{cp1252(after['text'])}", both, lang))
    return [case for case in cases if case[0] == "clean" or case[1] != case[2]]


def score_multilingual(show_failures: bool = False) -> tuple[dict[str, list[int]], dict[tuple[str, str], list[int]]]:
    """Cases, ftfy right, ours right: by damage (in DAMAGES, LOSSY order), and by damage and language."""
    kinds = ["clean", *DAMAGES, *LOSSY, MIXED]
    rows: dict[str, list[int]] = {kind: [0, 0, 0] for kind in kinds}
    by_language: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for kind, damaged, original, lang in damaged_cases():
        ours = fix_mojibake(damaged)
        for row in (rows[kind], by_language[kind, lang]):
            row[0] += 1
            row[1] += ftfy.fix_encoding(damaged) == original
            row[2] += ours == original
        if show_failures and ours != original:
            print(f"[{kind}, {lang}] {damaged!r}\n  got  {ours!r}\n  want {original!r}", file=sys.stderr)
    return {kind: row for kind, row in rows.items() if row[0]}, dict(by_language)


def write_by_language(rows: dict[str, list[int]], by_language: dict[tuple[str, str], list[int]]) -> None:
    """BY_LANGUAGE: each damage (a row) in each language (a column), ours / ftfy's restored of the cases."""
    languages = sorted({lang for _, lang in by_language})
    lines = [
        "# Mojibake repair by damage and language",
        "",
        f"Written by `make eval` (eval/score_mojibake.py). Each cell: sentences restored exactly by fix_mojibake / by "
        f"ftfy.fix_encoding, of 10 ({len(languages)} languages, 10 sentences each, from Debian's gettext catalogues) "
        "or of those the damage changes; `·`: the damage changes none.",
        "",
        "| damaged as | " + " | ".join(languages) + " |",
        "|---|" + "---|" * len(languages),
    ]
    for kind in rows:
        cells = [_cell(*c) if (c := by_language.get((kind, lang))) else "·" for lang in languages]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    totals = [[sum(c[k] for (kind, l), c in by_language.items() if l == lang and kind != "clean") for k in range(3)]
              for lang in languages]  # fmt: skip
    lines.append("| **all damage** | " + " | ".join(f"**{_cell(*total)}**" for total in totals) + " |")
    BY_LANGUAGE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def score_ftfy_cases() -> dict:
    cases = json.loads(FTFY_CASES.read_text(encoding="utf-8"))
    truths = {t["original"]: t["truth"] for t in json.loads(FTFY_TRUTHS.read_text(encoding="utf-8"))}
    rows = {"pass": [0, 0, 0], "fail": [0, 0, 0]}  # cases, ftfy right, ours right
    regressions, restored, guessed = [], [], []
    for case in cases:
        want = case.get("fixed-encoding", case["fixed"])
        ftfy_ok = ftfy.fix_encoding(case["original"]) == want
        ours = fix_mojibake(case["original"])
        if ours != want and ours == truths.get(case["original"]):
            restored.append(case["label"])
        ours_ok = ours == want or ours == truths.get(case["original"])
        row = rows[case["expect"]]
        row[0] += 1
        row[1] += ftfy_ok
        row[2] += ours_ok
        if ftfy_ok and not ours_ok:
            (guessed if _guessed_where_ftfy_gives_up(ours, want) else regressions).append(case["label"])
    return {"rows": rows, "regressions": regressions, "restored": restored, "guessed": guessed}


def _guessed_where_ftfy_gives_up(ours: str, want: str) -> bool:
    """Is `ours` the expectation with a character where it has U+FFFD (a lost byte chosen by rule)?"""
    pattern = "".join("." if ch == "\ufffd" else re.escape(ch) for ch in want)
    return "\ufffd" in want and re.fullmatch(pattern, ours, re.DOTALL) is not None


def scan_catalogues(root: str = "/usr/share/locale") -> list[tuple[str, str]]:
    """fix_mojibake on every non-ASCII translation in Debian's catalogues: what it changes, to read by eye.
    People wrote these, so a change is either mojibake in the catalogue or a false repair."""
    import gettext

    texts = set()
    for path in sorted(pathlib.Path(root).rglob("*.mo")):
        try:
            with path.open("rb") as f:
                texts.update(v for v in gettext.GNUTranslations(f)._catalog.values() if not v.isascii())
        except Exception:  # a damaged or foreign-format catalogue
            continue
    changed = [(t, fixed) for t in sorted(texts) if (fixed := fix_mojibake(t)) != t]
    print(f"\n{len(texts)} non-ASCII translations under {root}: fix_mojibake changes {len(changed)}")
    for t, fixed in changed:
        print(f"- {t[:80]!r} -> {fixed[:80]!r}")
    return changed


def _row(name: str, n: int, f: int, o: int) -> str:
    return f"| {name} | {n} | {f} ({f / n:.1%}) | {o} ({o / n:.1%}) |"


def _cell(n: int, ftfy_right: int, ours_right: int) -> str:
    return f"{ours_right} / {ftfy_right}" + (f" of {n}" if n != 10 else "")


def main(argv: list[str]) -> int:
    ftfy_cases = score_ftfy_cases()
    print("| ftfy's real-world test cases | cases | ftfy.fix_encoding | pipeline fix_mojibake |")
    print("|---|---|---|---|")
    for kind, (n, f, o) in ftfy_cases["rows"].items():
        print(_row(f"marked `{kind}` by ftfy", n, f, o))
    if ftfy_cases["restored"]:
        print(f"\nof ours, {len(ftfy_cases['restored'])} restore a lost byte where ftfy's expectation keeps U+FFFD:",
              *ftfy_cases["restored"], sep="\n- ")
    if ftfy_cases["guessed"]:
        print(f"\nof ours, {len(ftfy_cases['guessed'])} choose a lost byte by rule where ftfy's expectation keeps "
              "U+FFFD, the text as written unknown:", *ftfy_cases["guessed"], sep="\n- ")
    if ftfy_cases["regressions"]:
        print("\ncases ftfy repairs and we do not:", *ftfy_cases["regressions"], sep="\n- ")

    rows, by_language = score_multilingual(show_failures="--failures" in argv)
    write_by_language(rows, by_language)
    print("\n| 22 languages, damaged as | cases | ftfy.fix_encoding | pipeline fix_mojibake |")
    print("|---|---|---|---|")
    print(_row("clean: returned unchanged", *rows.pop("clean")))
    for kind, row in rows.items():
        print(_row(kind, *row))
    print(_row("**all damaged: restored exactly**", *(sum(col) for col in zip(*rows.values()))))
    lossless = [row for kind, row in rows.items() if "undefined bytes" not in kind]
    print(_row("damaged, no byte lost", *(sum(col) for col in zip(*lossless))))
    print(f"\neach damage in each language: {BY_LANGUAGE.relative_to(HERE.parent)}")
    if "--catalogues" in argv:
        scan_catalogues()
    return 1 if ftfy_cases["regressions"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
