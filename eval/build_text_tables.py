"""Rebuild the character tables in pipeline/text/data/ from real text. Run: `make text-tables`.

The text is every translation in the gettext catalogues (.mo) under /usr/share/locale: human-written prose
in some 200 languages.
- char_frequency.tsv: how often each non-ASCII character occurs. fix_mojibake ranks the characters a
  damaged byte sequence could have been by it (an em dash is far more common than a double dagger).
- alphabets.tsv: the non-ASCII letters each language writes. decode_bytes prefers the candidate encoding
  whose letters one language accounts for (French has è and é; no language writes é, č and ą together).
- bigram_frequency.tsv.gz: how often each pair of adjacent characters occurs, where one of them is a
  character a lost byte can leave in doubt. fix_mojibake chooses among such candidates by their neighbours
  ("ορισμού", not "ορισμορ").
The sentences of the multilingual mojibake set (eval/data/mojibake_originals.jsonl) are left out, so the
tables have not seen what the repair is scored on.
"""
import collections
import functools
import gettext
import gzip
import io
import json
import pathlib
import sys
import unicodedata

DATA = pathlib.Path(__file__).resolve().parents[1] / "pipeline/text/data"
EVAL_SET = pathlib.Path(__file__).resolve().parent / "data" / "mojibake_originals.jsonl"
KEEP = 4000  # the long tail adds nothing to a ranking
MIN_BIGRAM = 5  # rarer pairs are noise and would double the file
MIN_SHARE = 0.002  # a letter below this share of a language's non-ASCII letters is a loanword or typo


def main(root: str = "/usr/share/locale") -> None:
    counts: collections.Counter[str] = collections.Counter()
    letters: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    translations: set[str] = set()
    catalogues = sorted(pathlib.Path(root).rglob("*.mo"))
    held_out = "\0".join(json.loads(line)["text"] for line in EVAL_SET.read_text(encoding="utf-8").splitlines())
    for path in catalogues:
        lang = path.relative_to(root).parts[0].split("_")[0].split("@")[0].split(".")[0]
        try:
            with path.open("rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except Exception:  # a damaged or foreign-format catalogue: skip it, count the rest
            continue
        for msgid, msgstr in catalog.items():
            if len(msgstr) >= 30 and msgstr in held_out:
                continue  # the multilingual mojibake set is scored on these: no table may have seen them
            for text in (msgid if isinstance(msgid, str) else msgid[0], msgstr):
                counts.update(ch for ch in text if ord(ch) > 0x7F)
            if not msgstr.isascii():
                translations.add(msgstr)
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
    bigrams = _bigrams(translations)
    # mtime=0: the same tables give the same bytes, so a rebuild shows no change in git
    with gzip.GzipFile(DATA / "bigram_frequency.tsv.gz", "wb", mtime=0) as raw, io.TextIOWrapper(raw, "utf-8") as out:
        out.write(header + "first\tsecond\tcount\n")
        for pair, n in sorted(bigrams.items()):
            if n >= MIN_BIGRAM:
                out.write(f"{ord(pair[0]):04X}\t{ord(pair[1]):04X}\t{n}\n")
    print(f"{DATA}: tables from {len(catalogues)} catalogues, {len(letters)} languages")


def _bigrams(translations: set[str]) -> collections.Counter[str]:
    """Pairs of adjacent characters (a line's start and end as "\\n") where one is a character a lost
    or ambiguous byte can leave in doubt: one whose UTF-8 holds a byte some reading cannot tell apart."""
    from pipeline.text.mojibake import READINGS

    doubtful = {0xA0} | {b for r in READINGS for b in r.lost}
    doubtful |= {b for r in READINGS for bs in r.bytes_of.values() if len(bs) > 1 for b in bs if b < 0xC0}

    @functools.cache
    def in_doubt(ch: str) -> bool:
        return ord(ch) > 0x7F and any(b in doubtful for b in ch.encode("utf-8", "surrogatepass")[1:])

    pairs: collections.Counter[str] = collections.Counter()
    for text in translations:
        line = f"\n{text}\n"
        pairs.update(a + b for a, b in zip(line, line[1:]) if in_doubt(a) or in_doubt(b))
    return pairs


if __name__ == "__main__":
    main(*sys.argv[1:])
