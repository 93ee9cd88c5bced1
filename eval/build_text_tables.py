"""Rebuild the character tables in pipeline/text/data/ from real text. Run: `make text-tables`.

The text is every translation in the gettext catalogues (.mo) under /usr/share/locale: human-written prose
in some 200 languages.
- char_frequency.tsv: how often each non-ASCII character occurs. fix_mojibake ranks the characters a
  damaged byte sequence could have been by it (an em dash is far more common than a double dagger).
- alphabets.tsv: the non-ASCII letters each language writes. decode_bytes prefers the candidate encoding
  whose letters one language accounts for (French has è and é; no language writes é, č and ą together).
"""
import collections
import gettext
import pathlib
import sys
import unicodedata

DATA = pathlib.Path(__file__).resolve().parents[1] / "pipeline/text/data"
KEEP = 4000  # the long tail adds nothing to a ranking
MIN_SHARE = 0.002  # a letter below this share of a language's non-ASCII letters is a loanword or typo


def main(root: str = "/usr/share/locale") -> None:
    counts: collections.Counter[str] = collections.Counter()
    letters: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    catalogues = sorted(pathlib.Path(root).rglob("*.mo"))
    for path in catalogues:
        lang = path.relative_to(root).parts[0].split("_")[0].split("@")[0].split(".")[0]
        try:
            with path.open("rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except Exception:  # a damaged or foreign-format catalogue: skip it, count the rest
            continue
        for msgid, msgstr in catalog.items():
            for text in (msgid if isinstance(msgid, str) else msgid[0], msgstr):
                counts.update(ch for ch in text if ord(ch) > 0x7F)
            letters[lang].update(ch for ch in msgstr if ord(ch) > 0x7F and unicodedata.category(ch)[0] == "L")
    header = f"# from {len(catalogues)} gettext catalogues under {root}; rebuild with eval/build_text_tables.py\n"
    with (DATA / "char_frequency.tsv").open("w", encoding="utf-8") as out:
        out.write(header + "codepoint\tcount\n")
        for ch, n in counts.most_common(KEEP):
            out.write(f"{ord(ch):04X}\t{n}\n")
    with (DATA / "alphabets.tsv").open("w", encoding="utf-8") as out:
        out.write(header + "language\tletters\n")
        for lang, c in sorted(letters.items()):
            total = sum(c.values())
            if total >= 1000:  # too little text says nothing about an alphabet
                out.write(f"{lang}\t{''.join(sorted(ch for ch, n in c.items() if n / total >= MIN_SHARE))}\n")
    print(f"{DATA}: tables from {len(catalogues)} catalogues, {len(letters)} languages")


if __name__ == "__main__":
    main(*sys.argv[1:])
