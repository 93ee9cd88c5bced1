"""Document quality signals, as the Gopher (Rae et al. 2021), C4 (Raffel et al. 2020) and FineWeb (Penedo et al.
2024) filters compute them, on the cleaned text. Signals only: which values reject a document is decided apart.

Words are counted per script: a run of Han, kana or Thai letters has no spaces, so each Han or kana character
counts as a word and a Thai run as one word per four letters (Thai words average about four); every other script
splits at spaces and punctuation as `\\w+` does, a word keeping its combining marks (Devanagari's, Khmer's vowel signs).
"""

from __future__ import annotations

import functools
import json
import operator
import re
import tomllib
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np


def _marks() -> str:
    """The combining marks of the Basic Multilingual Plane as a character class's ranges: Python's \\w leaves them
    out, and a Devanagari, Bengali or Khmer word holds its vowel signs ("हिन्दी" would be three words of one letter)."""
    found, start = [], None
    for code in range(0x300, 0x10000):
        mark = unicodedata.category(chr(code))[0] == "M"
        if mark and start is None:
            start = code
        elif not mark and start is not None:
            found.append(f"\\u{start:04x}-\\u{code - 1:04x}")
            start = None
    return "".join(found)


_HAN_KANA, _THAI_LETTER, _WORD_CHAR = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", r"[\u0e00-\u0e7f]", rf"[\w{_marks()}]"
_TOKEN = re.compile(rf"{_HAN_KANA}|{_THAI_LETTER}+|{_WORD_CHAR}+")
_THAI = re.compile(rf"{_THAI_LETTER}+")
_BULLET = re.compile(r"^\s*([•●▪‣◦·*\-–—]|\d{1,2}[.)])\s")
_ELLIPSIS = ("...", "…")
_TERMINAL = (".", "!", "?", '"', "”", "’", "'", "。", "！", "？", "…", ")")
# The Gopher paper's stop words: a document of English prose holds at least two of them. Other languages: the
# STOP_WORDS_TOP most frequent words of wordfreq's list (41 languages), those that are one word as words() splits them.
GOPHER_STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
_CODE_CHARS = "{}[]()<>;=&|\\^~$*/+"
LOREM_IPSUM_FILE = Path(__file__).with_name("data") / "lorem_ipsum.txt"  # the placeholder's texts: its words
_LOREM_IPSUM = re.compile(r"\blorem ipsum\b")
SHORT_LINE = 30  # characters: FineWeb's short line


@dataclass(frozen=True)
class Signals:
    words: int
    lines: int  # lines that are not blank
    mean_word_length: float
    symbol_word_ratio: float  # "#" and ellipses per word (Gopher)
    ellipsis_line_share: float  # lines ending in "..." or "…"
    bullet_line_share: float  # lines starting with a bullet
    alpha_word_share: float  # words holding a letter
    stop_words: int | None  # Gopher's stop words found; None where the language has no list here
    stop_word_share: float | None  # of all words
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
    lorem_ipsum: bool  # the text says "lorem ipsum" (C4)
    lorem_ipsum_share: float  # where it says "lorem ipsum" as words: the words of the placeholder's Latin, of all words
    javascript_lines: int  # lines mentioning "javascript" (C4)
    curly_braces: bool  # (C4)
    code_char_share: float  # characters of code's punctuation, {}[]()<>;=&|\^~$*/+, of all characters
    short_line_share: float  # lines under SHORT_LINE characters (FineWeb)
    list_likeness: float  # lines per word: a list has many short lines (FineWeb's newline/word ratio)

    def as_dict(self) -> dict:
        return dict(self.__dict__)  # every field is a number: dataclasses.asdict's deep copy took 0.2 ms a document


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


def _kind(ch: str) -> int:
    """What a character is to words(), as compiled.quality_words reads it."""
    from pipeline.text.compiled import HAN_KANA, LETTER, THAI, WORD

    return ((WORD if re.fullmatch(_WORD_CHAR, ch) else 0) | (HAN_KANA if re.fullmatch(_HAN_KANA, ch) else 0)
            | (THAI if re.fullmatch(_THAI_LETTER, ch) else 0) | (LETTER if ch.isalpha() else 0))  # fmt: skip


@functools.cache
def _kinds() -> np.ndarray:
    """_kind of every code point of the BMP, its classes found as runs in a string of them all (20 ms once a
    process; a character at a time took 330)."""
    from pipeline.text.compiled import HAN_KANA, LETTER, THAI, WORD

    bmp = "".join(map(chr, range(0x10000)))
    table = np.fromiter(map(str.isalpha, bmp), bool, 0x10000).astype(np.uint8) * np.uint8(LETTER)
    for pattern, bit in ((_WORD_CHAR, WORD), (_HAN_KANA, HAN_KANA), (_THAI_LETTER, THAI)):
        for run in re.finditer(pattern + "+", bmp):
            table[run.start() : run.end()] |= bit
    return table


def _words_compiled(lower: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The words() of a text, in one compiled pass: each one's hash, length and whether it holds a letter."""
    from pipeline.text import compiled  # numba (0.3 s to import): only where signals are computed

    codes = np.frombuffer(lower.encode("utf-32-le", "surrogatepass"), np.uint32)
    extra = np.unique(codes[codes >= 0x10000]) if len(codes) and codes.max() >= 0x10000 else codes[:0]  # beyond the BMP (an emoji, a rare Han character): looked up here
    kinds = np.fromiter((_kind(chr(c)) for c in extra.tolist()), np.uint8, len(extra))
    return compiled.quality_words(codes, _kinds(), extra, kinds)


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


TOP_NGRAMS, DUP_NGRAMS = (2, 3, 4), (5, 6, 7, 8, 9, 10)  # Gopher's


def _ngram_shares(ids: np.ndarray, lengths: np.ndarray) -> tuple[dict[int, float], dict[int, float]]:
    """For each n of TOP_NGRAMS: the characters of the most frequent word n-gram, counted each time it occurs (the
    first in the text of those equally frequent, as datatrove's Counter picks), and of the words that fall in an
    n-gram occurring more than once (each word once) for each n of DUP_NGRAMS, both of all word characters; the
    words by their hashes (`ids`) and lengths. Compiled (compiled.ngram_chars): n-grams as rolling 64-bit hashes (a
    Python Counter of tuples took 9 ms a bench document, numpy's sorts and temporaries 0.35 ms). An n-gram that
    occurs twice has its (n-1)-gram prefix occur twice, so each n looks only at the windows whose (n-1)-gram
    repeats: most prose leaves none by n = 5. Two distinct n-grams sharing a hash would count as one: one chance in
    about 2**64 a pair."""
    from pipeline.text import compiled

    chars = int(lengths.sum())
    top, dup = compiled.ngram_chars(ids, lengths, TOP_NGRAMS[-1], DUP_NGRAMS[0], DUP_NGRAMS[-1])
    return {n: _share(int(top[n]), chars) for n in TOP_NGRAMS}, {n: _share(int(dup[n]), chars) for n in DUP_NGRAMS}


STOP_WORDS_TOP = 100  # a language's most frequent words in wordfreq's lists: its stop words
STOP_WORDS_FILE = Path(__file__).with_name("data") / "stop_words.json"  # those lists (`make stop-words` rebuilds it)


@functools.cache
def _frequent_words() -> dict[str, list[str]]:
    return json.loads(STOP_WORDS_FILE.read_text(encoding="utf-8"))["words"]


@functools.cache
def stop_words_of(language: str | None) -> frozenset[str] | None:
    """The stop words counted for a language as langdetect names it (en, zh-cn, no); None where there is no list.
    wordfreq's lists are of the language as written now, from many sources (the stop-words package's Greek list was
    Ancient Greek: modern Greek prose counted none); they spell a word-final sigma σ, the text ς."""
    code = {"no": "nb"}.get(base := (language or "").split("-")[0], base)
    if code == "en":
        return GOPHER_STOP_WORDS
    if (frequent := _frequent_words().get(code)) is None:
        return None
    split = (words(re.sub("σ$", "ς", entry)) for entry in frequent)
    return frozenset(found[0] for found in split if len(found) == 1 and not found[0].isdigit())  # (its lists hold "1", "2")


@functools.cache
def _stop_word_ids(language: str | None) -> np.ndarray | None:
    """The hashes _words_compiled gives a language's stop words (each one word), sorted; None where it has no list."""
    stops = stop_words_of(language)
    return None if stops is None else np.sort(np.concatenate([_words_compiled(word)[0] for word in stops] or [np.zeros(0, np.uint64)]))


@functools.cache
def _placeholder_words() -> frozenset[str]:
    lines = LOREM_IPSUM_FILE.read_text(encoding="utf-8").lower().split("\n")
    return frozenset(words(" ".join(line for line in lines if not line.startswith("#"))))


def _lorem_ipsum_words(lower: str) -> int:
    """The words of the placeholder's Latin in a text that says "lorem ipsum" as words (not Cicero's "dolorem
    ipsum", where the placeholder comes from), 0 in any other."""
    if "lorem ipsum" not in lower or not _LOREM_IPSUM.search(lower):
        return 0
    placeholder = _placeholder_words()
    return sum(word in placeholder for word in words(lower))


def signals(text: str, language: str | None = None) -> Signals:
    from pipeline.text import compiled

    lines = [line.strip() for line in text.split("\n") if line.strip()]
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    lower = text.lower()
    ids, lengths, letters = _words_compiled(lower)  # lowered: case changes no word's length but a handful of letters (İ)
    n_words = len(ids)
    word_chars = int(lengths.sum())
    chars = len(text) or 1
    dup_lines, dup_line_chars = _duplicated_chars(lines)
    _, dup_par_chars = _duplicated_chars(paragraphs)
    stops = _stop_word_ids(language)
    top, dup = _ngram_shares(ids, lengths)
    with_letter = int(letters.sum())
    return Signals(
        words=n_words,
        lines=len(lines),
        mean_word_length=round(word_chars / n_words, 3) if n_words else 0.0,
        symbol_word_ratio=_share(text.count("#") + text.count("...") + text.count("…"), n_words),
        ellipsis_line_share=_share(sum(line.endswith(_ELLIPSIS) for line in lines), len(lines)),
        bullet_line_share=_share(sum(bool(_BULLET.match(line)) for line in lines), len(lines)),
        alpha_word_share=_share(with_letter, n_words),
        stop_words=None if stops is None else (hits := int(compiled.count_in(ids, stops))),
        stop_word_share=None if stops is None else _share(hits, n_words),
        dup_line_share=_share(dup_lines, len(lines)),
        dup_line_char_share=_share(dup_line_chars, chars),
        dup_paragraph_char_share=_share(dup_par_chars, chars),
        **{f"top_{n}gram_char_share": share for n, share in top.items()},
        **{f"dup_{n}gram_char_share": share for n, share in dup.items()},
        terminal_line_share=_share(sum(line.endswith(_TERMINAL) for line in lines), len(lines)),
        lorem_ipsum="lorem ipsum" in lower,
        lorem_ipsum_share=_share(_lorem_ipsum_words(lower), n_words),
        javascript_lines=lower.count("javascript") and sum("javascript" in line for line in lower.split("\n")),
        curly_braces="{" in text or "}" in text,
        code_char_share=_share(sum(map(text.count, _CODE_CHARS)), chars),  # str.count: a C loop a character
        short_line_share=_share(sum(len(line) < SHORT_LINE for line in lines), len(lines)),
        list_likeness=_share(len(lines), n_words),
    )


# --- deciding ---------------------------------------------------------------------------------------------------

RULES_FILE = Path(__file__).with_name("quality_rules.toml")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_CONDITION = re.compile(r"\s*(<=|>=|==|<|>)\s*(\S+)\s*")
SIGNAL_NAMES = tuple(f.name for f in fields(Signals))


@dataclass(frozen=True)
class Rule:
    """A document fails the rule when every condition (signal, op, threshold) holds and its language is not skipped."""

    name: str
    conditions: tuple[tuple[str, str, float], ...]
    skip_languages: frozenset[str] = frozenset()
    why: str = ""

    def when(self) -> str:
        """The rule as its file says it: "signal op threshold and ..."."""
        return " and ".join(f"{signal} {op} {_shown(threshold)}" for signal, op, threshold in self.conditions)

    def failed(self, found: dict, language: str | None) -> str | None:
        """What failed, "signal value op threshold, ...", or None when the document passes."""
        if language in self.skip_languages:
            return None
        said = []
        for signal, op, threshold in self.conditions:
            value = found.get(signal)
            if value is None or not _OPS[op](value, threshold):
                return None
            said.append(f"{signal} {_shown(value)} {op} {_shown(threshold)}")
        return ", ".join(said)


def _shown(value: float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


class RulesError(ValueError):
    """The rules file cannot be used: the message says where and why."""


def load_rules(path: Path | str | None = None) -> tuple[Rule, ...]:
    """The enabled rules of a rules file (RULES_FILE by default), in the file's order."""
    path = Path(path or RULES_FILE)
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).get("rules", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RulesError(f"quality rules {path}: {e}") from None
    rules = []
    for name, table in tables.items():
        conditions = []
        for signal, condition in table.get("reject_if", {}).items():
            match = _CONDITION.fullmatch(str(condition))
            if signal not in SIGNAL_NAMES or not match:
                raise RulesError(f"quality rules {path}: rule {name}: cannot read {signal} = {condition!r}")
            op, value = match.groups()
            conditions.append((signal, op, value == "true" if value in ("true", "false") else float(value)))
        if not conditions:
            raise RulesError(f"quality rules {path}: rule {name} has no reject_if")
        if table.get("enabled", True):
            rules.append(Rule(name, tuple(conditions), frozenset(table.get("skip_languages", ())), table.get("why", "")))
    return tuple(rules)


def failed_rules(found: dict, language: str | None, rules: tuple[Rule, ...]) -> list[tuple[str, str]]:
    """(rule, what failed) of every rule a document's signals fail, in the rules' order."""
    return [(rule.name, why) for rule in rules if (why := rule.failed(found, language)) is not None]


def reason(failed: list[tuple[str, str]]) -> str:
    """The rejection reason: the first rule failed, what failed, and how many others did."""
    (name, why), more = failed[0], len(failed) - 1
    return f"quality:{name} ({why})" + (f"; and {more} more rule{'s' * (more > 1)}: {', '.join(n for n, _ in failed[1:])}" if more else "")
