"""Language identification with langdetect, made deterministic, bounded in cost and script-aware."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"
# Below this many letters langdetect's answer is close to a coin toss: say "und" instead.
# A CJK ideograph, kana or Hangul syllable carries about a word: it counts as CJK_WEIGHT letters.
MIN_LETTERS = 20
CJK_WEIGHT = 3
# langdetect's cost grows with length, its answer settles within a few thousand characters:
# long texts are judged on this many characters taken from evenly spaced slices.
SAMPLE_CHARS = 3000
SAMPLE_SLICES = 3
SEED = 0

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
    score: float  # langdetect's probability for it, 0 for "und"
    languages: list[tuple[str, float]] = field(default_factory=list)  # every language above 0.1 and its share


@functools.cache
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(SEED)  # langdetect is random unless seeded
    return factory


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // SAMPLE_SLICES
    step = (len(text) - width) // (SAMPLE_SLICES - 1)
    return " ".join(text[k * step : k * step + width] for k in range(SAMPLE_SLICES))


def _letters(text: str) -> int:
    return sum(CJK_WEIGHT if _CJK.match(c) else 1 for c in text if c.isalpha())


def _script_guard(lang: str, text: str) -> str:
    """Correct langdetect's known confusions by the script the text is written in. Kana, Hangul and Han
    characters carry a word each: where they weigh at least as much as the other letters (CJK_WEIGHT each),
    the text is Japanese (any kana), Korean (Hangul) or Chinese, whatever Latin words of code stand around them."""
    letters = sum(c.isalpha() for c in text)
    cjk = len(_CJK.findall(text))
    if cjk and cjk * CJK_WEIGHT >= letters - cjk:
        if _KANA.search(text):
            return "ja"  # kana is written only in Japanese
        if len(_HANGUL.findall(text)) * 2 > cjk:
            return "ko"
        if not lang.startswith("zh"):
            return "zh-cn"
    if lang.startswith("zh") and _KANA.search(text):
        return "ja"
    if _HANGUL.search(text) and lang != "ko" and len(_HANGUL.findall(text)) * 2 > letters:
        return "ko"
    if lang in _LATIN_SCRIPT_LANGS and len(_CYRILLIC.findall(text)) * 2 > sum(c.isalpha() for c in text):
        return UNDETERMINED  # Cyrillic text is never a Latin-script language: let the caller see the doubt
    return lang


def detect_language(text: str, min_letters: int = MIN_LETTERS) -> LanguageResult:
    """The main language of `text` with its probability; "und" for text with fewer than `min_letters`
    letters (a caller that weighs the answer itself may ask about shorter text)."""
    sample = _sample(text)
    if _letters(sample) < min_letters:
        return LanguageResult(UNDETERMINED, 0.0)
    detector = _factory().create()
    detector.append(sample)
    try:
        probabilities = detector.get_probabilities()
    except LangDetectException:
        return LanguageResult(UNDETERMINED, 0.0)
    languages = [(p.lang, round(p.prob, 4)) for p in probabilities if p.prob >= 0.1]
    best = probabilities[0]
    other_script = _LATIN_WORDS.sub(" ", sample)
    if best.lang in _LATIN_SCRIPT_LANGS and _letters(other_script) >= MIN_OTHER_SCRIPT and other_script != sample:
        # Words of another script among Latin ones (code, product names): they say what the text is written in.
        return detect_language(other_script, min_letters=MIN_OTHER_SCRIPT)
    return LanguageResult(_script_guard(best.lang, sample), round(best.prob, 4), languages)


# A document's paragraphs are each given a language; at most this many, evenly spaced, each cut to
# PARAGRAPH_CHARS: enough to see a mixed document, bounded for a long one.
MAX_PARAGRAPHS = 24
PARAGRAPH_CHARS = 600
PARAGRAPH_LETTERS = 40


def paragraph_languages(text: str) -> list[tuple[int, str]]:
    """(index of the paragraph among the text's lines, its language) for every paragraph of PARAGRAPH_LETTERS
    letters or more (shorter ones, like headings, are too short to tell well: one is often taken for Tagalog);
    in a longer document, for MAX_PARAGRAPHS of them evenly spaced, each judged on its first PARAGRAPH_CHARS."""
    judged = [(k, line) for k, line in enumerate(text.split("\n")) if _letters(line) >= PARAGRAPH_LETTERS]
    if len(judged) > MAX_PARAGRAPHS:
        step = len(judged) / MAX_PARAGRAPHS
        judged = [judged[int(k * step)] for k in range(MAX_PARAGRAPHS)]
    return [(k, detect_language(line[:PARAGRAPH_CHARS]).language) for k, line in judged]


def language_shares(text: str, paragraphs: list[tuple[int, str]] | None = None) -> list[tuple[str, float]]:
    """The share of each language in `text`, by the letters of its paragraphs written in it (`paragraphs`, from
    paragraph_languages, if already known); [] when no paragraph is long enough to tell."""
    lines = text.split("\n")
    weights: dict[str, int] = {}
    for k, language in paragraph_languages(text) if paragraphs is None else paragraphs:
        if language != UNDETERMINED:
            weights[language] = weights.get(language, 0) + _letters(lines[k][:PARAGRAPH_CHARS])
    total = sum(weights.values())
    return sorted(((lang, round(n / total, 4)) for lang, n in weights.items()), key=lambda x: (-x[1], x[0]))
