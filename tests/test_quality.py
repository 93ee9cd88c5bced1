from pipeline.text.quality import signals, words

PROSE = ("The mirror was slow again this morning, so the installer took most of an hour. "
         "I switched to another one and the rest of the upgrade finished in ten minutes.")  # fmt: skip


def test_words_are_counted_per_script_not_at_spaces_only():
    assert len(words("東京の天気は晴れです")) == 10  # each Han or kana character
    assert len(words("ภาษาไทยไม่มีช่องว่าง")) == 5  # 20 Thai letters, a word per four
    assert words("naïve café, 3 times") == ["naïve", "café", "3", "times"]
    japanese = signals("今日は東京で会議がありました。明日は大阪に行きます。")
    assert japanese.words > 20 and japanese.mean_word_length == 1.0  # not one long word


def test_prose_looks_like_prose():
    found = signals(PROSE, "en")
    assert found.words == 30 and found.stop_words >= 4 and found.terminal_line_share == 1.0
    assert found.dup_line_share == 0 and found.dup_5gram_char_share == 0 and not found.lorem_ipsum


def test_junk_shows_in_its_signals():
    stuffed = signals("\n".join(["cheap flights cheap hotels cheap flights cheap hotels"] * 20), "en")
    assert stuffed.dup_line_share == 0.95 and stuffed.top_2gram_char_share > 0.4 and stuffed.dup_10gram_char_share == 1.0
    teaser = signals("\n".join(f"You won't believe what happened next {k}..." for k in range(12)))
    assert teaser.ellipsis_line_share == 1.0 and teaser.symbol_word_ratio > 0.1
    giveaway = signals("#win #giveaway #free #follow #retweet #contest now")
    assert giveaway.symbol_word_ratio > 0.8
    listing = signals("\n".join(f"• Item {k}" for k in range(30)))
    assert listing.bullet_line_share == 1.0 and listing.short_line_share == 1.0 and listing.list_likeness > 0.3
    template = signals("Lorem ipsum dolor sit amet.\nPlease enable JavaScript to view this page.\nvar x = {a: 1};")
    assert template.lorem_ipsum and template.javascript_lines == 1 and template.curly_braces
    assert signals("### $$$ %%%").alpha_word_share == 0.0
