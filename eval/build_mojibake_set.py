"""Rebuild eval/data/mojibake_originals.jsonl: real translated sentences in 22 languages. Run: `make mojibake-set`.

The text is the translations in Debian's gettext catalogues (/usr/share/locale/*/LC_MESSAGES/*.mo), written by
people. Per language a seeded sample of single-line messages with at least one non-ASCII character; every third
gets a common emoji (top of the Emoji Sentiment Ranking) and every fourth the language's typographic quotes, so
the set also holds what social text is made of. score_mojibake.py damages each one in every way it scores.
"""

import csv
import gettext
import importlib.resources
import json
import pathlib
import random
import sys

OUT = pathlib.Path(__file__).resolve().parent / "data" / "mojibake_originals.jsonl"
LANGUAGES = {  # language -> its locale folder
    "ar": "ar", "cs": "cs", "de": "de", "el": "el", "es": "es", "fr": "fr", "he": "he", "hu": "hu", "it": "it",
    "ja": "ja", "ko": "ko", "lt": "lt", "lv": "lv", "pl": "pl", "pt": "pt_BR", "ro": "ro", "ru": "ru", "sv": "sv",
    "tr": "tr", "uk": "uk", "vi": "vi", "zh": "zh_CN",
}  # fmt: skip
QUOTES = {"de": "„“", "cs": "„“", "lt": "„“", "lv": "„“", "pl": "„”", "ro": "„”", "fr": "«»", "ru": "«»",
          "uk": "«»", "ja": "「」", "zh": "“”"}  # fmt: skip
PER_LANGUAGE = 10
SEED = 20261123


def messages(folder: pathlib.Path) -> list[tuple[str, str]]:
    found = {}
    for path in sorted(folder.glob("LC_MESSAGES/*.mo")):
        try:
            with path.open("rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except Exception:  # a damaged or foreign-format catalogue: the others are enough
            continue
        for msgstr in catalog.values():
            text = msgstr.strip()
            if 30 <= len(text) <= 200 and not text.isascii() and text.isprintable():
                found.setdefault(text, path.stem)
    return sorted(found.items())


def top_emoji(n: int = 30) -> list[str]:
    data = importlib.resources.files("emosent") / "data" / "Emoji_Sentiment_Data_v1.0.csv"
    with data.open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: -int(r["Occurrences"]))
    return [r["Emoji"] for r in rows[:n]]


def main(root: str = "/usr/share/locale") -> None:
    rng = random.Random(SEED)
    emoji = top_emoji()
    with OUT.open("w", encoding="utf-8") as out:
        for lang, folder in LANGUAGES.items():
            for k, (text, catalogue) in enumerate(rng.sample(messages(pathlib.Path(root) / folder), PER_LANGUAGE)):
                if k % 4 == 3:
                    open_, close = QUOTES.get(lang, "“”")
                    text = f"{open_}{text}{close}"
                if k % 3 == 2:
                    text = f"{text} {rng.choice(emoji)}"
                row = {"lang": lang, "source": f"{folder}/LC_MESSAGES/{catalogue}.mo", "text": text}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(LANGUAGES) * PER_LANGUAGE} sentences in {len(LANGUAGES)} languages")


if __name__ == "__main__":
    main(*sys.argv[1:])
