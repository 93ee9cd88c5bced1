"""Language identification with langdetect's model, computed exactly (deterministic, compiled), bounded in cost and script-aware."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

UNDETERMINED = "und"
# Below this many letters langdetect's answer is close to a coin toss: say "und" instead.
# A CJK ideograph, kana or Hangul syllable carries about a word: it counts as CJK_WEIGHT letters.
MIN_LETTERS = 20
CJK_WEIGHT = 3
# langdetect's cost grows with length, its answer settles within a few thousand characters:
# long texts are judged on this many characters taken from evenly spaced slices.
SAMPLE_CHARS = 3000
SAMPLE_SLICES = 3
MAX_TEXT_CHARS = 10_000  # as langdetect: a longer text is cut

# Text in another script that carries at least this many letters (a CJK character counts CJK_WEIGHT) among
# Latin words is judged on that script's words alone: "(лише мови C, C++, ObjectiveC)" is Ukrainian.
MIN_OTHER_SCRIPT = 12
_LATIN_WORDS = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]+")  # Latin, Vietnamese too
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_SCRIPT_LANGS = {
    "af", "ca", "cs", "cy", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "id", "it", "lt", "lv", "nl",
    "no", "pl", "pt", "ro", "sk", "sl", "so", "sq", "sv", "sw", "tl", "tr", "vi",
}  # fmt: skip


@dataclass(frozen=True)
class LanguageResult:
    language: str  # ISO 639-1 code as langdetect gives it (zh-cn, zh-tw), or "und"
    score: float  # its posterior probability under langdetect's model, 0 for "und"
    languages: list[tuple[str, float]] = field(default_factory=list)  # every language above 0.1 and its share


def _profiles() -> tuple[list[str], list[str], np.ndarray]:
    """langdetect's profiles as its DetectorFactory.load_profile reads them: the languages, the n-grams and the
    probability of each n-gram in each language, in the same order and to the bit; in one array instead of a
    list of Python floats an n-gram, which left 30 MB behind in every worker (and took 0.4 s longer)."""
    names = [n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith(".") and os.path.isfile(os.path.join(PROFILES_DIRECTORY, n))]
    languages, rows, columns = [], {}, []
    for name in names:
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as f:
            profile = json.load(f)
        languages.append(profile["name"])
        n_words, freq = profile["n_words"], profile["freq"]
        where = np.array([rows.setdefault(gram, len(rows)) for gram in freq], dtype=np.int64)
        columns.append((where, np.array([n / n_words[len(g) - 1] if 1 <= len(g) <= 3 else 0.0 for g, n in freq.items()])))
    probabilities = np.zeros((len(rows), len(names)))
    for language, (where, values) in enumerate(columns):
        probabilities[where, language] = values
    return languages, list(rows), probabilities


def _key(gram: str) -> int:
    """An n-gram of 1 to 3 characters as one integer (21 bits a code point)."""
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key


# Where the model's arrays are kept once built, beside numba's compiled loops: building them took 0.4 s in every
# worker of every run, loading them takes 15 ms. Named by what they are made of: this file and langdetect's version.
_SAVED = Path(__file__).parent / "__pycache__"


def _model_arrays() -> dict[str, np.ndarray]:
    made_of = hashlib.sha256(Path(__file__).read_bytes() + importlib.metadata.version("langdetect").encode())
    path = _SAVED / f"language-model-{made_of.hexdigest()[:16]}.npz"
    try:
        with np.load(path) as saved:
            return {name: saved[name] for name in saved.files}
    except (OSError, ValueError, zipfile.BadZipFile):  # not built yet here (or cut short: built again)
        pass
    arrays = _build_model_arrays()
    try:  # by another name first, then renamed: two workers may build it at once
        _SAVED.mkdir(exist_ok=True)
        building = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        np.savez(building, **arrays)
        os.replace(building, path)
        for old in _SAVED.glob("language-model-*.npz"):  # those of earlier versions
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only install: built in every process
        pass
    return arrays


def _build_model_arrays() -> dict[str, np.ndarray]:
    languages, grams, probabilities = _profiles()
    known = set(grams)
    if not all(g[1:] in known for g in grams if len(g) == 3):  # what compiled.scores relies on
        raise RuntimeError("langdetect's profiles hold a 3-gram without its last two characters")
    codes = range(0x10000)
    # What the rules about scripts count, per code point (one column each, see the names above `counts`).
    is_cjk = np.array([bool(_CJK.match(chr(c))) for c in codes])
    weight = np.where(is_cjk, CJK_WEIGHT, [chr(c).isalpha() for c in codes])
    latin = np.array([bool(_LATIN_WORDS.match(chr(c))) for c in codes])
    scripts = [np.array([bool(pattern.match(chr(c))) for c in codes]) for pattern in (_KANA, _HANGUL, _CYRILLIC)]
    return {
        "languages": np.array(languages),
        "keys": np.array([_key(g) for g in grams], dtype=np.int64),
        "log_prob": _padded(np.log(probabilities + Detector.ALPHA_DEFAULT / Detector.BASE_FREQ).astype(np.float32)),
        "normal": np.array([ord(NGram.normalize(chr(c))) for c in codes], dtype=np.int64),
        "upper": np.array([chr(c).isupper() for c in codes]),
        "classes": np.stack([weight, weight > 0, weight * latin, latin, is_cjk, *scripts], axis=1).astype(np.int32),
    }


def _padded(log_prob: np.ndarray, width: int = 16) -> np.ndarray:
    """log_prob with zero columns after the languages' to a multiple of `width`: compiled.scores adds its rows
    in vectors of several columns, and 55 columns left a remainder added one at a time."""
    columns = -(-log_prob.shape[1] // width) * width
    return np.pad(log_prob, ((0, 0), (0, columns - log_prob.shape[1])))


class _Model:
    """langdetect's profiles and n-gram rules, with every n-gram of the text counted once instead of sampled at
    random in 7 trials until one language passes 0.99999: the same model, deterministic, and compiled (numba) it
    costs well under a hundredth. Scores are the posterior probabilities (langdetect's smoothing,
    alpha 0.5 over a base frequency of 10,000)."""

    def __init__(self) -> None:
        from pipeline.text import compiled  # numba: 50 MB and 0.3 s to import, only where a language is judged

        self.compiled = compiled
        arrays = _model_arrays()
        self.languages = arrays["languages"].tolist()
        self.log_prob, self.normal, self.upper, self.classes = (arrays[k] for k in ("log_prob", "normal", "upper", "classes"))
        self.slots = compiled.hash_table(arrays["keys"])

    def codes(self, text: str) -> np.ndarray:
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # read as they are: no int64 copy

    def counts(self, pieces: list[str]) -> np.ndarray:
        """For each piece of text, a row of what the script rules count (LETTERS, ALPHABETIC, ...), all
        pieces in one pass."""
        return self.compiled.class_sums(self.codes("".join(p.replace("\x00", " ") + "\x00" for p in pieces)), 0, len(pieces), self.classes)

    def scores(self, pieces: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per piece of text, the log-likelihood of each language and how many known n-grams it has."""
        joined = _clean("".join(piece[:MAX_TEXT_CHARS].replace("\x00", " ") + "\x00" for piece in pieces))  # a 0 each
        return self.compiled.scores(
            self.codes(joined), len(pieces), self.normal, self.upper, self.slots, self.log_prob, len(self.languages)
        )

    def detect(self, pieces: list[str]) -> list[list[tuple[str, float]]]:
        """For each piece, its languages with posterior probability >= 0.1, most probable first ([] if none)."""
        return self.languages_of(*self.scores(pieces))

    def languages_of(self, totals: np.ndarray, counts: np.ndarray) -> list[list[tuple[str, float]]]:
        likely: list[list[tuple[float, str]]] = [[] for _ in counts]
        rows, columns, probabilities = self.compiled.likely(totals, 0.1)  # a tenth of numpy's time on so few rows
        for row, column, p in zip(rows.tolist(), columns.tolist(), probabilities.tolist()):
            likely[row].append((p, self.languages[column]))
        return [[(lang, p) for p, lang in sorted(found, reverse=True)] if n else [] for found, n in zip(likely, counts)]


def _clean(text: str) -> str:
    """langdetect's own preparation: addresses out, Vietnamese diacritics composed."""
    if "http" in text:  # each step only where it can match: most text holds no address and no Vietnamese
        text = Detector.URL_RE.sub(" ", text)
    if "@" in text:
        text = Detector.MAIL_RE.sub(" ", text)
    return NGram.normalize_vi(text) if any(mark in text for mark in NGram.DMARK_CLASS) else text


@functools.cache
def _model() -> _Model:
    return _Model()


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // SAMPLE_SLICES
    step = (len(text) - width) // (SAMPLE_SLICES - 1)
    return " ".join(text[k * step : k * step + width] for k in range(SAMPLE_SLICES))


# The columns of _Model.counts: letters (a CJK character counts CJK_WEIGHT), characters that are letters,
# letters of Latin words, characters of Latin words, CJK characters, kana, Hangul, Cyrillic.
LETTERS, ALPHABETIC, LATIN_LETTERS, LATIN, CJK, KANA, HANGUL, CYRILLIC = range(8)


def _script_guard(lang: str, counts: np.ndarray) -> str:
    """Correct langdetect's known confusions by the script the text (whose _Model.counts are `counts`) is
    written in. Kana, Hangul and Han characters carry a word each: where they weigh at least as much as the other
    letters (CJK_WEIGHT each), the text is Japanese (any kana), Korean (Hangul) or Chinese, whatever Latin words
    of code stand around them."""
    letters, cjk, kana, hangul = counts[ALPHABETIC], counts[CJK], counts[KANA], counts[HANGUL]
    if cjk and cjk * CJK_WEIGHT >= letters - cjk:
        if kana:
            return "ja"  # kana is written only in Japanese
        if hangul * 2 > cjk:
            return "ko"
        if not lang.startswith("zh"):
            return "zh-cn"
    if lang.startswith("zh") and kana:
        return "ja"
    if hangul and lang != "ko" and hangul * 2 > letters:
        return "ko"
    if lang in _LATIN_SCRIPT_LANGS and counts[CYRILLIC] * 2 > letters:
        return UNDETERMINED  # Cyrillic text is never a Latin-script language: let the caller see the doubt
    return lang


def detect_language(text: str, min_letters: int = MIN_LETTERS) -> LanguageResult:
    """The main language of `text` with its probability; "und" for text with fewer than `min_letters`
    letters (a caller that weighs the answer itself may ask about shorter text)."""
    return detect_languages([text], min_letters)[0]


def detect_languages(texts: list[str], min_letters: int = MIN_LETTERS) -> list[LanguageResult]:
    """detect_language of each text, in one pass of the model over all of them."""
    samples = [_sample(text) for text in texts]
    counts = _model().counts(samples)
    asked = [k for k in range(len(samples)) if counts[k, LETTERS] >= min_letters]
    results = [LanguageResult(UNDETERMINED, 0.0)] * len(samples)
    for k, languages in zip(asked, _model().detect([samples[k] for k in asked])):
        results[k] = _result(languages, samples[k], counts[k])
    return results


def _result(languages: list[tuple[str, float]], sample: str, counts: np.ndarray) -> LanguageResult:
    """The answer for a sample (whose _Model.counts are `counts`), from the model's languages for it, with the
    rules about scripts."""
    if not languages:
        return LanguageResult(UNDETERMINED, 0.0)
    best = languages[0]
    if _other_script_among_latin(best[0], counts):
        return detect_language(_LATIN_WORDS.sub(" ", sample), min_letters=MIN_OTHER_SCRIPT)
    rounded = [(lang, round(p, 4)) for lang, p in languages]
    return LanguageResult(_script_guard(best[0], counts), round(best[1], 4), rounded)


def _language(languages: list[tuple[str, float]], sample: str, counts: list[int]) -> str:
    """_result(...).language, without the scores (a paragraph keeps its language only)."""
    if not languages or counts[LETTERS] < MIN_LETTERS:
        return UNDETERMINED
    if _other_script_among_latin(languages[0][0], counts):
        return detect_language(_LATIN_WORDS.sub(" ", sample), min_letters=MIN_OTHER_SCRIPT).language
    return _script_guard(languages[0][0], counts)


def _other_script_among_latin(language: str, counts: np.ndarray | list[int]) -> bool:
    """Words of another script among Latin ones (code, product names): they say what the text is written in."""
    return language in _LATIN_SCRIPT_LANGS and bool(counts[LATIN]) and counts[LETTERS] - counts[LATIN_LETTERS] >= MIN_OTHER_SCRIPT


# A document's paragraphs are each given a language; at most this many, evenly spaced, each cut to
# PARAGRAPH_CHARS: enough to see a mixed document, bounded for a long one. (300 characters gave the answers
# 400 gave on all 31,203 paragraphs of 2,048 benchmark documents and on the labelled set, for 3/4 of the cost.)
MAX_PARAGRAPHS = 16
PARAGRAPH_CHARS = 300
PARAGRAPH_LETTERS = 40


def paragraph_languages(text: str) -> list[tuple[int, str]]:
    """(index of the paragraph among the text's lines, its language) for every paragraph of PARAGRAPH_LETTERS
    letters or more (shorter ones, like headings, are too short to tell well: one is often taken for Tagalog);
    in a longer document, for MAX_PARAGRAPHS of them evenly spaced, each judged on its first PARAGRAPH_CHARS."""
    return language_profile(text, main=False)[1]


def language_shares(text: str) -> list[tuple[str, float]]:
    """The share of each language in `text`, by the letters of its paragraphs written in it (those of
    paragraph_languages); [] when no paragraph is long enough to tell."""
    return language_profile(text, main=False)[2]


def language_profile(
    text: str, main: bool = True
) -> tuple[LanguageResult | None, list[tuple[int, str]], list[tuple[str, float]]]:
    """detect_language (with `main`), paragraph_languages and language_shares of a text, in one pass of the
    model. Where the judged paragraphs hold at least half of SAMPLE_CHARS, the main language is judged on them
    together (they are evenly spaced through the text: a sample as good as the slices, and already read)."""
    lines = text.split("\n")
    judged = [k for k, n in enumerate(_letters_per_line(text)) if n >= PARAGRAPH_LETTERS]
    if len(judged) > MAX_PARAGRAPHS:
        step = len(judged) / MAX_PARAGRAPHS
        judged = [judged[int(k * step)] for k in range(MAX_PARAGRAPHS)]
    pieces = [lines[k][:PARAGRAPH_CHARS] for k in judged]
    model = _model()
    totals, grams = model.scores(pieces)
    counts = model.counts(pieces)
    found = model.languages_of(totals, grams)
    languages = [_language(langs, piece, c) for langs, piece, c in zip(found, pieces, counts.tolist())]
    paragraphs = list(zip(judged, languages))
    shares = _shares(languages, counts[:, LETTERS].tolist())
    if not main:
        return None, paragraphs, shares
    together = " ".join(pieces)
    if 2 * len(together) < SAMPLE_CHARS:
        return detect_language(text), paragraphs, shares
    whole = model.languages_of(totals.sum(axis=0, keepdims=True), grams.sum(keepdims=True))[0]
    return _result(whole, together, counts.sum(axis=0)), paragraphs, shares


def _letters_per_line(text: str) -> list[int]:
    model = _model()
    return model.compiled.class_sums(model.codes(text), 0x0A, text.count("\n") + 1, model.classes)[:, LETTERS].tolist()


def _shares(languages: list[str], letters: list[int]) -> list[tuple[str, float]]:
    """Each language's share of the letters of the paragraphs judged to be in one (`letters` of each)."""
    weights: dict[str, int] = {}
    for language, n in zip(languages, letters):
        if language != UNDETERMINED:
            weights[language] = weights.get(language, 0) + n
    total = sum(weights.values())
    return sorted(((lang, round(n / total, 4)) for lang, n in weights.items()), key=lambda x: (-x[1], x[0]))
