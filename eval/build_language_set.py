"""Rebuild eval/data/language_set.jsonl: real text in 26 languages, labelled. Run: `make language-set`.

Each document is the translations of one gettext catalogue under /usr/share/locale (Debian's translators'
work), joined into a text of about 2,000 characters: UI strings, help texts and messages, with format
placeholders and markup left out. score_language.py cuts each at 50, 200 and 1,000 characters and scores
the whole too.
"""

import gettext
import json
import pathlib
import random
import re
import sys

OUT = pathlib.Path(__file__).resolve().parent / "data" / "language_set.jsonl"
LANGUAGES = {  # langdetect's code -> the locale folder
    "ar": "ar", "bg": "bg", "cs": "cs", "da": "da", "de": "de", "el": "el", "en": "en_GB", "es": "es", "et": "et",
    "fi": "fi", "fr": "fr", "he": "he", "hu": "hu", "it": "it", "ja": "ja", "ko": "ko", "lt": "lt", "lv": "lv",
    "nl": "nl", "pl": "pl", "pt": "pt_BR", "ro": "ro", "ru": "ru", "sv": "sv", "tr": "tr", "uk": "uk", "vi": "vi",
    "zh-cn": "zh_CN",
}  # fmt: skip
NON_LATIN = {"ar", "bg", "el", "he", "ja", "ko", "ru", "uk", "zh-cn"}
PER_LANGUAGE = 5
LENGTH = 2000
SEED = 20261123


def catalogue_text(path: pathlib.Path, non_latin: bool) -> str:
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    messages = []
    for msgid, msgstr in sorted(catalog.items(), key=lambda item: str(item[0])):
        text = " ".join(msgstr.split())
        source = msgid if isinstance(msgid, str) else msgid[0]
        if len(text) < 20 or text == source or re.search(r"[%{}<>\\_$=|]|https?:", text):
            continue  # untranslated, a placeholder, markup or code
        if non_latin and text.isascii():
            continue  # left in English in a catalogue of another script
        messages.append(text if text[-1] in ".!?。！？" else text + ".")
    return " ".join(messages)


def main(root: str = "/usr/share/locale") -> None:
    rng = random.Random(SEED)
    rows = []
    for lang, folder in LANGUAGES.items():
        texts = []
        for path in sorted((pathlib.Path(root) / folder / "LC_MESSAGES").glob("*.mo")):
            try:
                text = catalogue_text(path, lang in NON_LATIN)
            except Exception:  # a damaged or foreign-format catalogue
                continue
            if len(text) >= LENGTH:
                texts.append((path.name, text[:LENGTH].rsplit(" ", 1)[0]))
        for name, text in rng.sample(texts, min(PER_LANGUAGE, len(texts))):
            rows.append({"lang": lang, "source": f"{folder}/LC_MESSAGES/{name}", "text": text})
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(rows)} documents in {len(LANGUAGES)} languages")


if __name__ == "__main__":
    main(*sys.argv[1:])
