from pipeline.text import strip_chrome
from pipeline.text.chrome import kept_lines

LEMMY_CHROME = {"link", "fedilink", "English", "arrow-up", "14", "9", "7", "·", "11 days ago"}


def lines(text):
    return {line.strip() for line in text.split("\n")}


def test_lemmy_thread_chrome_removed_comments_kept_posts_recorded(samples):
    raw = samples["lemmy-thread.txt"].decode()
    result = strip_chrome(raw)
    assert not lines(result.text) & LEMMY_CHROME
    for sentence in [
        "The real difference in philosophy is that Americans companies treat the model as the product",
        "They’re the only one not burning their cash reserves like crazy",
        "As local models become the norm, they could see a huge boost in sales",
    ]:
        assert sentence in result.text
    assert "@lemmygrad.ml" not in result.text and "@hexbear.net" not in result.text
    assert [(p.score, p.age, p.depth) for p in result.posts] == [(14, "11 days ago", 0), (9, "11 days ago", 1), (7, "11 days ago", 2)]
    assert result.posts[1].author == "LittleFellaNamedBoof [any]@hexbear.net"
    assert "fedilink" in result.removed and "11 days ago" in result.removed


def test_storefront_interface_in_another_language_removed(samples):
    result = strip_chrome(samples["podcast-storefront-ja.txt"].decode())
    for chrome in ["のカバーアート", "無料で聴く", "ポッドキャストの詳細を見る", "このコンテンツについて", "まだレビューはありません"]:
        assert chrome not in result.text
    assert "Hello everyone! I’m coming back online" in result.text
    assert "Doug Guthrie excerpt from Apple in China" in result.text


def test_storefront_buttons_in_a_language_of_the_same_script_removed(samples):
    """The Japanese storefront's page with a Dutch interface: the buttons share the essay's script, and each alone is
    too short for langdetect to be sure of; read together they are surely Dutch. The title, in the essay's words, stays."""
    raw = samples["podcast-storefront-ja.txt"].decode()
    for japanese, dutch in [("『On China's open source AI trajectory』のカバーアート", "On China's open source AI trajectory"),
                            ("無料で聴く", "Gratis luisteren"), ("ポッドキャストの詳細を見る", "Podcastdetails bekijken"),
                            ("このコンテンツについて", "Over deze titel"), ("まだレビューはありません", "Nog geen beoordelingen")]:  # fmt: skip
        raw = raw.replace(japanese, dutch)
    result = strip_chrome(raw)
    assert {"Gratis luisteren", "Podcastdetails bekijken", "Over deze titel", "Nog geen beoordelingen"} <= set(result.removed)
    assert result.text.startswith("On China's open source AI trajectory\n") and "Doug Guthrie excerpt" in result.text


def test_selection_toolbar_removed_and_replies_that_start_like_buttons_kept():
    post = "I keep the mirror in sync with a timer unit, and it has not missed a night since the spring."
    toolbars = [["You have selected 0 posts.", "select all", "cancel selecting", "Multi-Quote This Message", "Liked by tomas and 2 others"],
                ["Du hast 0 Beiträge ausgewählt.", "alle auswählen", "Auswahl aufheben"],
                ["Vous avez sélectionné 0 messages.", "tout sélectionner", "annuler la sélection"]]  # fmt: skip
    for toolbar in toolbars:
        for separator in ("\n", "\n\n"):  # lines one under the other, or a blank line between every line
            assert strip_chrome(separator.join([post, "Reply", *toolbar])).text == post
    replies = ["Show me the numbers", "Reply to this if you disagree", "Search for it on the wiki", "Cancel culture is real"]
    text = "\n\n".join(["kris@feddit.de", post, *(f"ines@lemmy.ml\n3\n2 hours ago\n\n{reply}" for reply in replies)])
    assert lines(strip_chrome(text).text) >= set(replies)


def test_footers_removed(samples):
    assert "No Comments" not in strip_chrome(samples["blog-uneven-landscape.txt"].decode()).text
    tweet = strip_chrome(samples["tweet-thread-leaked-memo.txt"].decode()).text
    assert "See All" not in lines(tweet)
    assert "Read more in this thread" in tweet and "(we are hiring)" in tweet
    assert "Additional thoughts after 24h:" in tweet  # a time in a line a person wrote is not a timestamp


def test_prose_is_never_removed_even_with_chrome_words():
    text = "Reply\nShare\nI will reply to you tomorrow and share the report, 3 days ago I saved it.\n14\nThe end of a sentence."
    result = strip_chrome(text)
    assert "I will reply to you tomorrow and share the report, 3 days ago I saved it." in result.text
    assert "The end of a sentence." in result.text
    assert "14" in lines(result.text)  # a bare number outside a chrome header is content
    assert "Reply" not in lines(result.text) and "Share" not in lines(result.text)


def test_other_engines_and_languages():
    text = "\n".join([
        "alice@mastodon.social", "vor 3 Stunden", "Antworten", "Teilen", "",
        "Das ist ein ganzer Satz, den eine Person geschrieben hat, und er bleibt im Text.", "",
        "12 comments", "Load more", "2 時間前",
    ])  # fmt: skip
    result = strip_chrome(text)
    assert result.text == "Das ist ein ganzer Satz, den eine Person geschrieben hat, und er bleibt im Text."
    assert result.posts[0].author == "alice@mastodon.social" and result.posts[0].age == "vor 3 Stunden"


def test_interface_lines_of_engines_not_in_the_samples():
    text = "\n".join([
        "Hacker News new | past | comments | ask | show | jobs | submit",
        "How I keep my configuration across upgrades",
        "312 points by jdoe 6 hours ago | hide | past | favorite | 97 comments",
        "asked Sep 12, 2021 at 14:02", "Viewed 12k times", "4 posts • Page 1 of 1", "4,6 von 5 Sternen",
        "I copy the file aside before the upgrade and merge the new defaults by hand afterwards.",
        "Re: How I keep my configuration across upgrades",
        "That works, though a three-way merge tool makes the second step much less painful.",
        "Powered by phpBB® Forum Software © phpBB Limited",
        "By clicking “Post Your Answer”, you agree to our terms of service and privacy policy.",
    ])  # fmt: skip
    kept = lines(strip_chrome(text).text)
    assert kept == {
        "How I keep my configuration across upgrades",
        "I copy the file aside before the upgrade and merge the new defaults by hand afterwards.",
        "That works, though a three-way merge tool makes the second step much less painful.",
    }


def test_numbers_and_formulas_in_content_stay():
    text = "Results\nThe sum below is what the test prints, and it prints it every time.\n1 + 1\nPython 3 migration notes"
    assert lines(strip_chrome(text).text) >= {"1 + 1", "Python 3 migration notes"}


def test_a_numbered_lists_items_stay_counts_and_dates_go():
    # a listicle's headings, a school's class: "N." and a word or two, as a count ("12 comments") is written
    items = ["1. Kristi Dosh", "She wrote the most-read column of the year, and every one of them was worth reading.",
             "2. Brand Guidelines", "A page of rules the whole team can read in five minutes, with the logo's colours.",
             "3. Klasse", "Die dritte Klasse fährt im Mai nach Wien, und alle Eltern sind herzlich eingeladen."]  # fmt: skip
    kept = strip_chrome("\n".join([*items, "12 comments", "3. März", "Share"])).text.split("\n")
    assert kept == items


def test_labelled_set_meets_its_targets():
    from eval.score_chrome import score

    c, kept, h, removed = (sum(col) for col in zip(*score().values()))
    assert kept >= 0.995 * c  # losing what a person wrote is the worst failure
    assert removed >= 0.95 * h


def test_lines_repeated_across_documents_are_chrome():
    from pipeline.text import repeated_lines

    posts = [f"Hot Network Questions\nPost {i}: a paragraph that a person wrote, long enough to be prose here." for i in range(4)]
    assert repeated_lines(posts + ["Hot Network Questions"]) == {"Hot Network Questions"}
    assert repeated_lines(posts[:2]) == set()  # two documents are no evidence
    # code and numbers every documentation page holds are each page's own: "}" out of every page breaks its code
    pages = [f"Example {i}: a function that a person wrote, long enough to be prose here.\n1\ndef f():\n    return {{}}\n}}\nx = {i}" for i in range(5)]
    assert repeated_lines(pages) == set()


def test_posts_of_engines_without_handles():
    hn = "\n".join([
        "asmith 5 hours ago | next [–]",
        "I copy the file aside before the upgrade and merge the new defaults by hand afterwards.", "reply",
        "  bwong 4 hours ago | parent | next [–]",
        "  That works, though a three-way merge tool makes the second step much less painful.", "  reply",
    ])  # fmt: skip
    posts = strip_chrome(hn).posts
    assert [(p.author, p.depth) for p in posts] == [("asmith", 0), ("bwong", 1)]
    phpbb = "by\ngnome_fan\n» Tue Feb 14, 2023 7:12 pm\nThe mirror keeps failing during the install, every single time I try it.\nTop"
    assert [p.author for p in strip_chrome(phpbb).posts] == ["gnome_fan"]
    reddit = "Posted by u/packager_joe\n5h\nWhy does the documentation say to do this before the upgrade and not after?\n87\nReply\nShare"
    assert [(p.author, p.age) for p in strip_chrome(reddit).posts] == [("u/packager_joe", "5h")]


def test_vote_counts_between_arrows_are_chrome():
    text = (
        "alice@lemmy.world · 3 hours ago\n"
        "This is a paragraph a person wrote about the weather and the trains, long enough to count as prose.\n"
        "▲ 877 ▼\nReply · Share · Report\n"
        "bob@lemmy.world · 5 hours ago\n"
        "Another paragraph that a person wrote, in reply, about the same trains and the same weather today."
    )
    result = strip_chrome(text)
    assert "▲ 877 ▼" in result.removed and "877" not in result.text
    assert "trains, long enough to count as prose.\nAnother paragraph" in result.text  # nothing left between


def test_footers_are_told_by_their_words_and_some_by_what_follows():
    from pipeline.text.chrome import _footer

    footers = ["© 2024 Example Inc.", "(c) 2019 Foo Ltd", "Terms of Use", "Privacy", "AGB · Impressum", "Powered by phpBB"]
    not_footers = ["see (c) below", "the terms of the license", "a magbook", "Reply · Share · Report"]
    assert [_footer(line) for line in footers] == [True] * len(footers)
    assert [_footer(line) for line in not_footers] == [False] * len(not_footers)
    assert not _footer("© 2024 Example Inc.", words=()) and _footer("Terms of service", words=("terms of ",))


def test_footer_words_found_in_one_pass_are_those_in_the_lowered_text():
    from pipeline.text.chrome import _FOOTER_WORDS, _footer_words_in

    texts = ["", "c", "Powered By phpBB", "ÂŠ © 2024", "prİvacy", "\ud800 cooKIE", "利用規約とプライバシー", "개인정보",
             "the terms of", "terms of ", "MENTIONS LÉGALES", "Cookie\nPrivacy\nimpressum AGB", "agb" * 3]  # fmt: skip
    for text in texts:
        assert _footer_words_in(text) == tuple(w for w in _FOOTER_WORDS if w in text.lower()), text


def test_the_lines_kept_give_the_text_and_the_lines_removed(samples):
    # the memo keeps ChromeResult.kept instead of the text and the removed lines: kept_lines gives them back
    for name, raw in samples.items():
        text = raw.decode("utf-8", "replace")
        result = strip_chrome(text)
        assert kept_lines(text, result.kept) == (result.text, result.removed), name


PARAGRAPH = "A paragraph a person wrote about the mirrors, long enough to be prose on its own line here."


def test_families_of_chrome_from_engines_the_rules_were_not_written_for():
    text = "\n".join([
        "Why does the mirror drop my connection at night?", "u/packer", "Top 5% Poster", "·", "3 hr. ago", PARAGRAPH,
        "Sorted by:", "Reset to default", "Most votes (default)", "Newest (newest first)",
        "level 2", "olga_b", "Staff member", "Moderator", "Jan 4, 2024", "That fixed it for me, thank you.",
        "Select all", "Deselect all", "Mark all topics read",
        "Tags: mirrors, networking", "Started by lucas", "Ebene 3",
        "Weitere Artikel", "Mirror list for the new release", "12 Antworten", "How to pick a fast mirror", "4 replies",
    ])  # fmt: skip
    result = strip_chrome(text)
    assert lines(result.text) == {"Why does the mirror drop my connection at night?", PARAGRAPH, "That fixed it for me, thank you."}


def test_bylines_of_a_date_and_a_reading_time_in_several_languages():
    for byline in ["Jul 9, 2023 · 12 min read", "9 juillet 2023 · 12 min de lecture", "9. Juli 2023 · 12 Min. Lesezeit",
                   "9 de julio de 2023 · 12 min de lectura", "2023年7月9日 · 12分で読めます", "2023年7月9日 · 阅读需 12 分钟",
                   "2023년 7월 9일 · 12분 분량"]:  # fmt: skip
        result = strip_chrome(f"A title for the post here\n{byline}\n{PARAGRAPH}")
        assert result.text == f"A title for the post here\n{PARAGRAPH}", byline


def test_a_cover_art_caption_goes_and_the_title_it_names_stays():
    for caption in ["Copertina di {}", "Capa de {}", "Illustration de {}", "『{}』のカバーアート", "{} 的封面"]:
        text = "\n".join([caption.format("Tiny Tools"), "Tiny Tools", "Listen now", PARAGRAPH, PARAGRAPH.replace("mirrors", "tools")])
        assert strip_chrome(text).text.split("\n")[0] == "Tiny Tools", caption


def test_a_short_sentence_that_starts_like_a_button_stays():
    text = "\n".join(["Show more replies", "kris", "2h", "Show me your config file.", "Reply", "Share", PARAGRAPH])
    assert lines(strip_chrome(text).text) == {"Show me your config file.", PARAGRAPH}
    assert strip_chrome(text).posts[0].author == "kris"


def test_a_block_of_recommendations_ends_where_a_person_writes_again():
    after = "Thanks to everyone who answered, the fallback mirror works."
    text = "\n".join([PARAGRAPH, "level 3", "You might also like", "Faster mirrors for the installer?", "31 comments", after])
    assert lines(strip_chrome(text).text) == {PARAGRAPH, after}


def test_a_code_blocks_short_lines_are_code_not_a_posts_header():
    # "return ..." starts like an interface's "Return to top", and "def index():" is two words: in a block with code
    # in it they are the example's lines (a docs page lost Flask's quickstart so)
    code = ["@app.route('/')", "def index():", "return 'Index Page'", "@app.route('/hello')", "def hello():", "return 'Hello, World'"]
    text = "\n".join(["A view function returns what the browser shows, as the two routes below do for their pages.", *code,
                      "Both functions are registered with the application when the module is imported by the server."])
    assert strip_chrome(text, from_html=True).text == text
    # an unfilled template's placeholder is no code: the post's header around it still goes
    thread = "\n".join(["The budget you need depends on what you are promoting, so test with a small amount first.",
                        "Reply", "{{ board.errors[0].message }}", "cooler1 2 years ago",
                        "It is possible that the method still works, but it is harder now for several reasons."])
    assert "cooler1 2 years ago" not in strip_chrome(thread).text.split("\n")


def test_a_paragraph_wrapped_at_a_width_is_writing_whole():
    # a NEWS file's items, each wrapped at 72 columns: "Fix ..." and "Report ..." start like an interface's buttons
    news = "\n".join([
        "dbus 1.15.2 (2022-09-22)", "",
        "Bug fixes:", "",
        "• Fix an assertion failure in dbus-daemon when a privileged Monitoring",
        "  connection was closed while it was still receiving messages",
        "• Report configuration file read errors instead of ignoring the",
        "  file, since a typo there silently disabled the whole policy.",
        "• Fix a crash when the dbus-daemon is terminated while one or more",
        "  activatable services are still starting up",
    ])
    kept = strip_chrome(news).text
    assert all(line.strip() in kept for line in news.split("\n")[4:]), kept
