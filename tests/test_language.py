import numpy as np
import pytest

from pipeline.text import detect_language, language
from pipeline.text.language import SAMPLE_CHARS, _sample


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("This is an English sentence about the weather today and tomorrow.", "en"),
        ("Ceci est une phrase en français sur le temps qu'il fait aujourd'hui.", "fr"),
        ("Это предложение на русском языке о погоде сегодня и завтра.", "ru"),
        ("これは日本語の文章です。東京に住んでいます。", "ja"),
        ("한국어 문장입니다. 오늘 날씨가 좋습니다.", "ko"),
    ],
)
def test_main_language(text, lang):
    assert detect_language(text).language == lang


def test_same_input_same_answer():
    text = "Short mixed text, ein bisschen Deutsch, un peu de français."
    assert len({repr(detect_language(text)) for _ in range(5)}) == 1


def test_short_text_is_undetermined():
    result = detect_language("OK 14 ·")
    assert result.language == "und" and result.score == 0.0


def test_kana_and_kanji_is_not_chinese():
    assert detect_language("東京都の天気は晴れです").language == "ja"


def test_long_text_is_judged_on_a_bounded_sample():
    text = "word " * 100_000
    assert len(_sample(text)) <= SAMPLE_CHARS + 10
    assert detect_language("The quick brown fox jumps over the lazy dog. " * 2000).language == "en"


def test_mixed_scripts_are_judged_by_the_non_latin_words():
    assert detect_language("(лише мови C, C++, ObjectiveC). (лише мови, засновані на XML)").language == "uk"
    assert detect_language("(다음 언어만 지원: C, C++, ObjectiveC). (다음 언어만 지원: Shell, Python)").language == "ko"


def test_the_model_counts_the_n_grams_langdetect_extracts():
    # langdetect's own Detector, fed as it feeds itself, gives the n-grams; our compiled rules must find the same
    # ones (acronyms, runs of spaces, Latin words in Cyrillic text, an address, Vietnamese marks, kana, astral).
    from collections import Counter

    import numpy as np
    from langdetect.detector import Detector
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    from pipeline.text.language import _model, _profiles

    texts = [
        "The NASA and ESA  teams met   in Paris. Mr Smith said: OK!",
        "Привет, мир! Это текст про Linux и Python, и ещё немного слов на русском языке.",
        "Write to anna@example.org or see https://example.org/page?x=1 for the Vietnamese: Tiếng Việt có dấu.",
        "これは日本語の文章です。東京に住んでいます 😀 𝒜𝒷𝒸",
        "   ",
    ]
    model, factory = _model(), DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    languages, grams, probabilities = _profiles()  # read as langdetect reads them
    assert languages == factory.langlist and grams == list(factory.word_lang_prob_map)
    assert np.array_equal(probabilities, np.array([factory.word_lang_prob_map[g] for g in grams]))
    totals, known = model.scores(texts)
    for text, total, n in zip(texts, totals, known):
        detector = factory.create()
        detector.append(text)
        detector.cleaning_text()
        grams = Counter(detector._extract_ngrams())
        assert n == sum(grams.values()), text
        expected = np.zeros(len(model.languages))
        for gram, count in grams.items():
            expected += count * np.log(np.array(factory.word_lang_prob_map[gram]) + Detector.ALPHA_DEFAULT / Detector.BASE_FREQ)
        np.testing.assert_allclose(total, expected, rtol=1e-5, atol=1e-3, err_msg=text)


def test_labelled_set_meets_its_targets():
    from eval.score_language import score

    for length, (n, plain, ours) in score().items():
        assert ours >= plain, length  # never worse than plain langdetect
        if length != "50 characters":
            assert ours >= 0.99 * n, length


def test_shares_by_paragraph_in_a_mixed_document():
    from pipeline.text import language_shares

    english = "This paragraph is written in English and it says something about the weather today."
    german = "Dieser Absatz ist auf Deutsch geschrieben und er sagt etwas über das Wetter heute."
    shares = dict(language_shares("\n".join([english, german, english, "ok"])))
    assert set(shares) == {"en", "de"} and shares["en"] > shares["de"] > 0.25
    assert abs(sum(shares.values()) - 1) < 1e-3
    assert language_shares("short") == []


def test_unwanted_languages_are_rejected_with_the_reason_language(monkeypatch, tmp_path):
    from pipeline import stages, tables

    monkeypatch.setenv("PIPELINE_LANGUAGES", "de")
    rows = [{"doc_id": "1", "source_path": "a.txt", "source_sha256": "", "source_bytes": 1,
             "text": "This paragraph is written in English and says something about it.",
             "chrome_removed": [], "reject_stage": None}]  # fmt: skip
    (tmp_path / "in").mkdir()
    tables._write(rows, tables.shard_path(tmp_path / "in", "00", 0))
    stats = stages.tag_language(tmp_path / "in", tmp_path / "out")
    row = tables.read_shard(tables.shard_path(tmp_path / "out", "00", 0)).to_pylist()[0]
    assert row["reject_stage"] == "language" and row["reject_reason"].startswith("language: en")
    assert stats["rejected"] == 1


def test_each_paragraph_language_points_at_its_line():
    from pipeline.text import paragraph_languages

    english = "This paragraph is written in English and it says something about the weather today."
    german = "Dieser Absatz ist auf Deutsch geschrieben und er sagt etwas über das Wetter heute."
    assert paragraph_languages("\n".join(["Title", english, "", german])) == [(1, "en"), (3, "de")]


def test_the_saved_language_model_is_the_one_built(tmp_path, monkeypatch):
    monkeypatch.setattr(language, "_SAVED", tmp_path)
    built = language._model_arrays()  # built, then saved for the next process
    assert [p.name.startswith("language-model-") for p in tmp_path.iterdir()] == [True]
    loaded = language._model_arrays()
    assert sorted(loaded) == sorted(built)
    for name, array in built.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array), name
