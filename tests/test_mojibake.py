import pytest

from pipeline.text import fix_mojibake, has_mojibake, repair_mojibake

TWEET_EXPECTED = [
    "🔥 If you read one thing about AI this week", "Google’s leaked doc",
    "“We have no moat, and neither does OpenAI”", "Some quotes 🧵", "“in their garage”", "“tinkerers” are",
    "here… because", "on top of it 🥲", "join ‘m”?", "“we are not a monopoly”", "AI race — There",
]  # fmt: skip


def test_leaked_memo_thread_comes_out_as_written(samples):
    fixed, report = repair_mojibake(samples["tweet-thread-leaked-memo.txt"].decode())
    for expected in TWEET_EXPECTED:
        assert expected in fixed
    assert "ā€" not in fixed and "šŸ" not in fixed
    assert not has_mojibake(fixed)
    assert report.changed and report.runs >= 25
    assert report.guessed > 0  # lost bytes and ambiguous bytes were chosen by rule
    assert any("iso8859_13" in kind for kind in report.kinds)


@pytest.mark.parametrize(
    "clean",
    [
        "Lietuvių kalba: šėškas, ąžuolas, žąsis. Latviešu: ā, ē, ī, „labā“ vārdā, ķēķis.",
        "SÃO PAULO", "naïve café", "Gruß“ „Übung“ Größe", "Ελληνικά Кириллица 中文 日本語 한국어",
        "Price: €5, Brand™, “quotes” and ‘single’ — dashes… ellipses", "ﬁ ligature and ＦＵＬＬＷＩＤＴＨ stay",
        "Crème brûlée à la carte", "Ærøskøbing på Ærø", "Ça va? Très bien!",
    ],  # fmt: skip
)
def test_correct_text_is_returned_unchanged(clean):
    fixed, report = repair_mojibake(clean)
    assert fixed == clean and not report.changed
    assert not has_mojibake(clean)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ("cafÃ©", "café"),  # UTF-8 read as windows-1252 (ftfy's pass)
        ("Itâ€™s “curly”", "It’s “curly”"),  # quotes stay curly
        ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"),
        ("Googleā€™s doc", "Google’s doc"),  # UTF-8 read as ISO-8859-13 + windows-1252
        ("šŸ§µ thread", "🧵 thread"),
    ],
)
def test_mojibake_is_repaired(broken, expected):
    assert fix_mojibake(broken) == expected


def test_lost_byte_closing_quote_closes_the_open_quote():
    # The last byte of ” (0x9D) does not exist in windows-1252: it was dropped.
    assert fix_mojibake("Googleā€™s memo: ā€œno moatā€ indeed") == "Google’s memo: “no moat” indeed"


def test_ambiguous_emoji_ranked_by_usage():
    # ” and „ each come from two bytes in this reading; of the four decodings, 🔥 is the most used emoji.
    assert fix_mojibake("Googleā€™s šŸ”„ take") == "Google’s 🔥 take"


def test_too_many_lost_bytes_give_replacement_character_not_garbage():
    fixed, report = repair_mojibake("Googleā€™s factories šŸ\nnext")
    assert fixed == "Google’s factories \ufffd\nnext"
    assert report.unrecoverable == 1


def test_no_guessing_without_evidence_of_damage():
    # A Latvian word ending in ā before a closing “ could look like a broken sequence; with no certain
    # repair elsewhere in the text, nothing is guessed.
    text = "Viņš teica „labā“ un aizgāja."
    assert fix_mojibake(text) == text


def test_every_ftfy_case_ftfy_repairs_we_repair_too():
    from eval.score_mojibake import score

    result = score()
    assert result["regressions"] == []
    assert result["rows"]["pass"][2] == result["rows"]["pass"][0] == 151
