"""Rebuild pipeline/text/data/stop_words.json: the quality stage's stop words, each language's STOP_WORDS_TOP most
frequent words in wordfreq's lists (word frequencies of 42 languages from many sources: Wikipedia, subtitles, news,
books, the web). Kept as a small file so that the pipeline's workers do not load wordfreq's whole lists (some
hundreds of MB a worker). Run: `make stop-words`.
"""

import importlib.metadata
import json
import pathlib

import wordfreq

from pipeline.text.quality import STOP_WORDS_FILE, STOP_WORDS_TOP


def main() -> None:
    lists = {lang: wordfreq.top_n_list(lang, STOP_WORDS_TOP) for lang in sorted(wordfreq.available_languages())}
    source = f"wordfreq {importlib.metadata.version('wordfreq')}, top_n_list(language, {STOP_WORDS_TOP})"
    rows = ",\n".join(f"  {json.dumps(lang)}: {json.dumps(found, ensure_ascii=False)}" for lang, found in lists.items())
    text = f'{{"source": {json.dumps(source)},\n "words": {{\n{rows}\n}}}}\n'  # a language a line
    pathlib.Path(STOP_WORDS_FILE).write_text(text, encoding="utf-8")
    print(f"{len(lists)} languages -> {STOP_WORDS_FILE}")


if __name__ == "__main__":
    main()
