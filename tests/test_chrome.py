from pipeline.text import strip_chrome

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


def test_footers_removed(samples):
    assert "No Comments" not in strip_chrome(samples["blog-uneven-landscape.txt"].decode()).text
    tweet = strip_chrome(samples["tweet-thread-leaked-memo.txt"].decode()).text
    assert "See All" not in lines(tweet)
    assert "Read more in this thread" in tweet and "(we are hiring)" in tweet


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
