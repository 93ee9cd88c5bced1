"""Document quality signals, as the Gopher (Rae et al. 2021), C4 (Raffel et al. 2020) and FineWeb (Penedo et al.
2024) filters compute them, on the cleaned text. Signals only: which values reject a document is decided apart.

Words are counted per script: a run of Han, kana or Thai letters has no spaces, so each Han or kana character
counts as a word and a Thai run as one word per four letters (Thai words average about four); every other script
splits at spaces and punctuation as `\\w+` does.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[\u0e00-\u0e7f]+|\w+")
_THAI = re.compile(r"[\u0e00-\u0e7f]+")
_BULLET = re.compile(r"^\s*([•●▪‣◦·*\-–—]|\d{1,2}[.)])\s")
_ELLIPSIS = ("...", "…")
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", "。", "！", "？", "…", ")")
# The Gopher paper's stop words: a document of English prose holds at least two of them.
STOP_WORDS = {"en": frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})}
SHORT_LINE = 30  # characters: FineWeb's short line


@dataclass(frozen=True)
class Signals:
    words: int
    mean_word_length: float
    symbol_word_ratio: float  # "#" and ellipses per word (Gopher)
    ellipsis_line_share: float  # lines ending in "..." or "…"
    bullet_line_share: float  # lines starting with a bullet
    alpha_word_share: float  # words holding a letter
    stop_words: int | None  # Gopher's stop words found; None where the language has no list here
    dup_line_share: float  # lines that repeat an earlier line, of all lines (Gopher)
    dup_line_char_share: float  # their characters, of all characters
    dup_paragraph_char_share: float  # the same for paragraphs (blocks between blank lines)
    top_2gram_char_share: float  # characters in the most frequent word 2-gram (3-, 4-) (Gopher)
    top_3gram_char_share: float
    top_4gram_char_share: float
    dup_5gram_char_share: float  # characters in word 5-grams (to 10-grams) that occur more than once (Gopher)
    dup_6gram_char_share: float
    dup_7gram_char_share: float
    dup_8gram_char_share: float
    dup_9gram_char_share: float
    dup_10gram_char_share: float
    terminal_line_share: float  # lines ending in terminal punctuation (C4)
    lorem_ipsum: bool  # (C4)
    javascript_lines: int  # lines mentioning "javascript" (C4)
    curly_braces: bool  # (C4)
    short_line_share: float  # lines under SHORT_LINE characters (FineWeb)
    list_likeness: float  # lines per word: a list has many short lines (FineWeb's newline/word ratio)

    def as_dict(self) -> dict:
        return asdict(self)


def words(text: str) -> list[str]:
    """The words of a text, per script (the module's docstring)."""
    if not _THAI.search(text):
        return _TOKEN.findall(text)
    found = []
    for token in _TOKEN.findall(text):
        if _THAI.fullmatch(token):
            found += [token[k : k + 4] for k in range(0, len(token), 4)]
        else:
            found.append(token)
    return found


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _duplicated_chars(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters."""
    seen, n, chars = set(), 0, 0
    for item in items:
        if item in seen:
            n, chars = n + 1, chars + len(item)
        seen.add(item)
    return n, chars


_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd multiplier: word n-grams as one 64-bit number each


def _ngram_shares(tokens: list[str], n_values: range) -> dict[int, tuple[float, float]]:
    """For each n: the characters of the most frequent word n-gram, counted each time it occurs, and of the words
    that fall in an n-gram occurring more than once (each word once), both of all word characters. In numpy: words
    as their Python hashes, n-grams as rolling 64-bit hashes (a Python Counter of tuples took 9 ms a bench document).
    Two distinct n-grams sharing a hash would count as one: one chance in about 2**64 a pair."""
    found = {n: (0.0, 0.0) for n in n_values}
    if len(tokens) < 2:
        return found
    ids = np.fromiter(map(hash, tokens), np.int64, len(tokens)).view(np.uint64)  # equal words, equal numbers
    lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
    chars = int(lengths.sum())
    ends = np.concatenate([[0], np.cumsum(lengths)])
    with np.errstate(over="ignore"):
        for n in n_values:
            windows = len(tokens) - n + 1
            if windows < 2:
                continue
            hashes = ids[:windows].copy()
            for i in range(1, n):
                hashes = hashes * _MIX + ids[i : i + windows]
            _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
            per_window = counts[inverse]
            top = int(np.argmax(per_window))
            top_chars = int(ends[top + n] - ends[top]) * int(per_window[top]) if per_window[top] > 1 else 0
            starts = np.flatnonzero(per_window > 1)
            cover = np.zeros(len(tokens) + 1, np.int64)
            np.add.at(cover, starts, 1)
            np.add.at(cover, starts + n, -1)
            covered = int(lengths[np.cumsum(cover)[:-1] > 0].sum())
            found[n] = (_share(top_chars, chars), _share(covered, chars))
    return found


def signals(text: str, language: str | None = None) -> Signals:
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    lower = text.lower()
    tokens = words(lower)  # lowered: case changes no word's length but a handful of letters (İ)
    word_chars = sum(map(len, tokens))
    chars = len(text) or 1
    dup_lines, dup_line_chars = _duplicated_chars(lines)
    _, dup_par_chars = _duplicated_chars(paragraphs)
    stops = STOP_WORDS.get((language or "").split("-")[0])
    grams = _ngram_shares(tokens, range(2, 11))
    return Signals(
        words=len(tokens),
        mean_word_length=round(word_chars / len(tokens), 3) if tokens else 0.0,
        symbol_word_ratio=_share(text.count("#") + text.count("...") + text.count("…"), len(tokens)),
        ellipsis_line_share=_share(sum(line.endswith(_ELLIPSIS) for line in lines), len(lines)),
        bullet_line_share=_share(sum(bool(_BULLET.match(line)) for line in lines), len(lines)),
        alpha_word_share=_share(sum(t.isalpha() or any(ch.isalpha() for ch in t) for t in tokens), len(tokens)),
        stop_words=None if stops is None else sum(t in stops for t in tokens),
        dup_line_share=_share(dup_lines, len(lines)),
        dup_line_char_share=_share(dup_line_chars, chars),
        dup_paragraph_char_share=_share(dup_par_chars, chars),
        **{f"top_{n}gram_char_share": grams[n][0] for n in (2, 3, 4)},
        **{f"dup_{n}gram_char_share": grams[n][1] for n in range(5, 11)},
        terminal_line_share=_share(sum(line.endswith(_TERMINAL) for line in lines), len(lines)),
        lorem_ipsum="lorem ipsum" in lower,
        javascript_lines=sum("javascript" in line.lower() for line in lines),
        curly_braces="{" in text or "}" in text,
        short_line_share=_share(sum(len(line) < SHORT_LINE for line in lines), len(lines)),
        list_likeness=_share(len(lines), len(tokens)),
    )
