import subprocess
import sys

from pipeline.text import html_to_text, looks_like_html, strip_chrome

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>On moats</title><style>p{color:red}</style>
<script>var x = "</p><p>leaked script text";</script></head>
<body><header><nav><a href="/">Home</a> <a href="/about">About</a></nav></header>
<div class="cookie-banner">We use cookies. Accept all</div>
<main><h1>On moats</h1>
<p>The first paragraph has <a href="#">a link</a>, some <code>code</code> and <em>emphasis</em> inside one sentence.</p>
<ul><li>first item</li><li>second item</li></ul>
<blockquote>A quoted paragraph.</blockquote>
<pre>def f():
    return 1</pre>
<div hidden>hidden text</div><div style="display: none">invisible text</div>
<aside class="related-posts">Related posts: something else</aside>
<table class="specs table-header"><tr><th>Model</th><td>Size</td></tr></table>
</main><footer>© 2024 Somebody · Privacy</footer></body></html>"""


def test_main_content_kept_chrome_dropped():
    page = html_to_text(PAGE)
    paragraphs = page.text.split("\n")
    assert "The first paragraph has a link, some code and emphasis inside one sentence." in paragraphs
    assert {"first item", "second item", "A quoted paragraph.", "def f():", "    return 1"} <= set(paragraphs)
    assert "Model\tSize" in paragraphs  # cells apart by tabs
    for gone in ["Home", "cookies", "leaked script text", "hidden text", "invisible text", "Related posts", "Privacy", "color:red"]:
        assert gone not in page.text
    assert (page.title, page.lang) == ("On moats", "en-GB")


def test_a_line_break_inside_code_is_a_line():
    page = html_to_text("<html><body><p>Run it so:</p><pre>make run<br>make test<br/>  make bench</pre></body></html>")
    assert page.text.split("\n") == ["Run it so:", "make run", "make test", "  make bench"]


def test_a_tables_rows_survive_the_chrome_stage():
    # cells joined by " | " read as a bar of links to strip_chrome, which removed every row of a ranking
    rows = "".join(f"<tr><td>{i}</td><td>Insurer {i}</td><td>{i * 1000:,}</td><td>{i}.5</td></tr>" for i in range(1, 6))
    page = f"<html><body><article><h1>The largest insurers</h1><table>{rows}</table></article></body></html>"
    kept = strip_chrome(html_to_text(page).text, from_html=True).text.split("\n")
    assert [f"{i}\tInsurer {i}\t{i * 1000:,}\t{i}.5" for i in range(1, 6)] == kept[1:]


def test_broken_markup_and_absurd_nesting_survive():
    broken = "<html><body><p>unclosed <b>bold <i>italic</p></div></span><p>next para<script>var s='</p>leak';</script>"
    page = html_to_text(broken)
    assert "unclosed bold italic" in page.text and "next para" in page.text and "leak" not in page.text
    deep = "<html><body>" + "<div>" * 5000 + "deep text" + "</div>" * 5000 + "<p>after</p></body></html>"
    assert "deep text" in html_to_text(deep).text and "after" in html_to_text(deep).text
    inside = "<html xmlns:fb='x'><body><main fb:like='1'>" + "<div>" * 2100 + "deep text" + "</div>" * 2100 + "</main></body></html>"
    assert "deep text" in html_to_text(inside).text  # deeper than libxml2 builds a tree, with names lxml refuses


def test_a_page_nested_a_million_deep_keeps_its_text_in_bounded_memory():
    """Hostile or broken markup (a tag opened a million times, never closed): read in a process of its own, whose
    peak memory is measured; before, the walk kept every element's ancestors and took more than 20 GB."""
    script = """
import re
from pipeline.text import html_to_text
n = 1_000_000
page = ("<html><body><p>Before the nesting, a paragraph a person wrote about deep pages.</p>" + "<div>" * n
        + "<p>Deep inside, a person wrote this sentence.</p><p>And a second one.</p>" + "</div>" * n
        + "<p>After it, another sentence that a person wrote.</p></body></html>")
text = html_to_text(page).text
print(int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read())[1]) // 1024)  # (getrusage keeps the parent's across exec)
print(text)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    peak_mb, text = done.stdout.split("\n", 1)
    assert int(peak_mb) < 250  # 119 MB here
    for sentence in ("Before the nesting", "Deep inside, a person wrote this sentence.", "And a second one.", "After it, another"):
        assert sentence in text


def test_looks_like_html():
    assert looks_like_html("<!doctype html><html>")
    assert looks_like_html("plain words", "page.htm")
    assert not looks_like_html("I wrote <b> in a sentence about tags.")
    # XHTML as a crawler stores it (no file name to go by, only the record's bytes)
    assert looks_like_html('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN"><html>')
    assert not looks_like_html('<?xml version="1.0"?><rss version="2.0"></rss>')


def test_link_lists_dropped_on_pages_without_main_but_trusted_inside_main():
    items = "".join(f"<li><a href='/s{i}'>Another story number {i} on this site</a></li>" for i in range(6))
    text = "Article text that a person wrote, long enough to be a paragraph of the story itself."
    bare = html_to_text(f"<html><body><p>{text}</p><ul>{items}</ul></body></html>").text
    assert text in bare and "Another story" not in bare
    marked = html_to_text(f"<html><body><main><h1><a class='header' href='#r'>References</a></h1><ul>{items}</ul></main></body></html>").text
    assert "References" in marked and "Another story number 3" in marked


def test_a_thread_of_articles_keeps_the_post_and_every_comment():
    # lemmy-ui's shape: no <main>, the post body and each comment an <article>; the title a link beside the byline's
    comment = '<li><article class="comment-node"><div><a href="/u/{0}">{0}</a></div><div class="md-div"><p>{1}</p></div></article></li>'
    page = (
        '<html><body><nav><a href="/">Home</a></nav><div class="post-listing"><div><h1><a href="/post/1">Mirror trouble</a></h1>'
        '<div><a href="/u/ana">ana</a> to <a href="/c/debian">debian@lemmy.ml</a></div></div>'
        "<article><p>The installer cannot reach the mirror since the update.</p></article></div>"
        '<ul class="comments">' + comment.format("kris", "Same here.") + comment.format("bo", "Try another mirror first.") + "</ul></body></html>"
    )
    text = html_to_text(page).text.split("\n")
    assert {"Mirror trouble", "The installer cannot reach the mirror since the update.", "Same here.", "Try another mirror first."} <= set(text)
    one = html_to_text("<html><body><p>Site menu text here.</p><article><p>The story.</p></article></body></html>").text
    assert one == "The story."  # a single article is still the page's text


ARTICLE = " ".join(f"Sentence {i} of the article says something a person wrote about the harbour." for i in range(12))


def test_a_chrome_name_or_hidden_flag_on_what_holds_the_page_never_empties_it():
    # page templates put state classes on the body, wrap the page in a form or a "header", or hide it until scripts run
    for wrapper in ('<body class="single-post header-dark has-sidebar">', "<body><form id='aspnetForm'>",
                    '<body><header role="banner">', '<body><div class="page" style="display:none">',
                    '<body><div class="l-sidebar-fixed l-segment l-article-body">',
                    '<body><noscript><div id="no-js">This site needs JavaScript.</noscript>'):  # fmt: skip
        page = f"<html>{wrapper}<div class='sidebar'><p>Popular this week</p></div><p>{ARTICLE}</p></body></html>"
        text = html_to_text(page).text
        assert ARTICLE in text, wrapper
        assert "Popular this week" not in text, wrapper  # the real sidebar inside still goes


def test_a_spacer_paragraph_of_invisible_characters_is_no_line():
    # site builders put a zero-width joiner (or space, or a soft hyphen) in each empty paragraph between the real ones
    spacers = "".join(f"<p>{c}</p>" for c in ("&zwj;", "\u200b", "&shy;", "\ufeff \u200d"))
    found = html_to_text(f"<html><body><p>{ARTICLE}</p>{spacers}<p>The harbour reopens on Monday, the council said.</p></body></html>")
    assert found.text.split("\n") == [ARTICLE, "The harbour reopens on Monday, the council said."]
    assert html_to_text("<html><body><p>Zero\u200dwidth joiners inside words stay: ok.</p></body></html>").text == "Zero\u200dwidth joiners inside words stay: ok."
    # a soft hyphen marks where a word may break, a zero-width space where a line may: a browser shows the words
    # whole, and so does the text
    assert html_to_text("<html><body><p>Die Bundes&shy;regierung tagt, sagte die Sprecher\u00adin.\u200b</p></body></html>").text == "Die Bundesregierung tagt, sagte die Sprecherin."


def test_a_listing_of_headlines_gives_its_headlines_where_the_page_would_give_nothing():
    # A news section's front page: lists of links, each a story's headline; a person reads them as the page.
    stories = ["Renting a car could lead to your arrest, drivers say", "What to know about the app both trucks came from",
               "The harbour opens a second ferry line in the spring", "Council votes to keep the old library open late"]  # fmt: skip
    cards = "".join(f"<li><a href=/s/{k}>{story}</a></li>" for k, story in enumerate(stories))
    menu = "<ul><li><a href=/>Home</a></li><li><a href=/news>News</a></li><li><a href=/sport>Sport</a></li></ul>"
    found = html_to_text(f"<html><body><nav>{menu}</nav><div class='stories'><ul>{cards}</ul><ul>{cards[:2]}</ul></div></body></html>")
    assert found.text.split("\n")[:4] == stories and found.why_empty is None
    # a page of menus keeps giving nothing (its links are words, not headlines), and says why
    assert html_to_text(f"<html><body><div class='main'>{menu * 4}</div></body></html>").why_empty.startswith("the page's")
    # and a page with writing keeps its headlines out
    assert html_to_text(f"<html><body><p>{ARTICLE}</p><ul>{cards}</ul></body></html>").text == ARTICLE


def test_a_page_that_gives_no_text_says_what_it_held_and_which_rules_left_it_out():
    from collections import Counter

    from pipeline.stages import Reject, _strip_chrome

    menus = "".join(f"<ul>{''.join(f'<li><a href=/{k}/{j}>Category {k} item {j}</a></li>' for j in range(8))}</ul>" for k in range(5))
    page = f"<html><body><nav><a href=/>Home</a> <a href=/about>About us</a></nav><div class='main'>{menus}</div></body></html>"
    found = html_to_text(page)
    assert found.text == "" and found.why_empty.startswith("the page's 692 characters of text all left out: 680 in lists of links")
    assert found.why_empty.endswith(", 12 in <nav>")  # (the words of links Home and About us)
    assert html_to_text("<html><body><div id='app'></div><script>render(" + "1," * 500 + ")</script></body></html>").why_empty == (
        "the page has no text outside its scripts (1,008 characters of script)")
    assert html_to_text(f"<html><body><p>{ARTICLE}</p></body></html>").why_empty is None
    try:  # the chrome stage rejects such a page with that reason, not as "empty"
        _strip_chrome({"text": page, "source_path": "menus.html"}, Counter())
    except Reject as reject:
        assert str(reject).startswith("no main content: the page's 692 characters of text all left out: 680 in lists of links")
    else:
        raise AssertionError("a page without main content was kept")


def test_a_threads_authors_and_dates_are_metadata_not_text():
    from collections import Counter

    from pipeline.stages import _strip_chrome

    said = ["The installer cannot reach the mirror since the update, on every machine here.",
            "Same here since Tuesday, and switching mirrors did not help at all.",
            "Try the mirror in Frankfurt first, it answered for me this morning."]  # fmt: skip
    posts = "".join(
        f"<article class='post-{k}'><div class='post-header'><span class='username'><a href='/u/{name}'>{name}</a>"
        f" Member, {k * 100} posts</span> <time datetime='2024-05-0{k + 1}T10:00Z'>May {k + 1}</time></div><p>{text}</p></article>"
        for k, (name, text) in enumerate(zip(["alice", "bob", "carol"], said))
    )
    bio = "<div class='author-box'>Carol has written about package mirrors and their many failures for ten years.</div>"
    page = html_to_text(f"<html><body><main>{posts.replace('</p></article>', '</p>' + bio + '</article>', 1)}</main></body></html>")
    assert page.posts == (("alice", "2024-05-01T10:00Z"), ("bob", "2024-05-02T10:00Z"), ("carol", "2024-05-03T10:00Z"))
    lines = page.text.split("\n")
    assert [line for line in lines if line in said] == said
    assert not any(word in page.text for word in ("alice", "bob", "May 1", "Member"))
    assert "Carol has written about package mirrors" in page.text  # an author's box is text, not a name
    row = _strip_chrome({"text": f"<html><body><main>{posts}</main></body></html>", "source_path": "t.html"}, Counter())
    assert [(p["author"], p["age"]) for p in row["posts"]] == list(page.posts)


def test_a_page_that_marks_its_content_with_main_gets_the_text_there():
    story = ("A good safety program screens every renter, so that only qualified drivers take the wheel. "
             "Check each licence, and keep a record of it, before the keys change hands. A driver with a "
             "suspended licence or two recent accidents waits for the manager's word.")  # fmt: skip
    legal = " ".join(f"Clause {k}: this material, general in nature, is no advice, and neither is the rest of it." for k in range(8))
    page = f"<html><body><main><section><h1>Screening renters</h1><p>{story}</p></section></main><div class='legal'><p>{legal}</p><p>{legal}</p></div></body></html>"
    text = html_to_text(page).text
    assert story in text and "Screening renters" in text and "Clause 1" not in text
    assert legal in html_to_text(page.replace("<main>", "<div>").replace("</main>", "</div>")).text  # (unmarked: the longer text)


def test_a_box_named_for_ads_is_dropped_unless_it_holds_writing():
    verdict = ("The grill heats evenly across the plate, and the steaks came out pink inside and crusted outside. "
               "Only the edges stay cooler, so thin cuts belong in the middle of the plate.")  # fmt: skip
    page = (f"<html><body><article><p>{ARTICLE}</p><section class='Report__Section Report__Section--Ads'><h2>Verdict</h2>"
            f"<p>{verdict}</p><p>{verdict.upper()}</p><div class='ad-slot'>Advertisement: grills at half price</div>"
            "</section></article></body></html>")  # fmt: skip
    text = html_to_text(page).text
    assert verdict in text and "Verdict" in text
    assert "half price" not in text  # the slot inside is an ad


def test_captions_share_bars_author_boxes_and_pitches_inside_the_story_go_its_comments_stay():
    story = [f"Paragraph {i} of the story, which a reporter wrote, runs on for a while, as stories do, with commas." for i in range(6)]
    comment = "Thanks, the second paragraph answers what I asked last week."
    page = ("<html><body><article><h1>The bridge</h1>" + "".join(f"<p>{p}</p>" for p in story[:3])
            + "<figure><img src='b.jpg'><figcaption>The bridge at dawn. Photo: Agency</figcaption></figure>"
            + "".join(f"<p>{p}</p>" for p in story[3:])
            + "<div class='share-tools'><span>Share this story</span></div>"
            + "<div class='author-bio'><p>Jane Doe writes about rivers and the towns along them.</p></div>"
            + "<div class='donate-box'><p>Our reporting is free to read because readers like you support it.</p></div>"
            + "<div class='signup-cta'><p>Get the morning briefing in your inbox, every weekday.</p></div>"
            + f"<ol class='comments'><li class='comment comment-author-jane'><p>{comment}</p></li></ol></article></body></html>")  # fmt: skip
    text = html_to_text(page).text.split("\n")
    assert text == ["The bridge", *story, comment]


def test_the_box_holding_the_story_is_the_text_not_the_boxes_around_it():
    # no <main> or <article>, neutral class names: the paragraphs' scores find the story
    story = [f"Paragraph {i} of the story, which a reporter wrote, runs on for a while, as stories do, with commas." for i in range(6)]
    page = ("<html><body><div class='top'><div class='x1'><p>Weather today, sunny in most places of the region</p></div></div>"
            "<div class='wrap'><div class='c1'>" + "".join(f"<p>{p}</p>" for p in story) + "</div>"
            "<div class='c2'><p>Another story: the council votes on the new bridge tonight, after months.</p></div></div>"
            "<div class='bottom'><p>About us: a small newsroom writing about the valley since 1999, in print and online.</p></div></body></html>")  # fmt: skip
    assert html_to_text(page).text.split("\n") == story


def test_an_articles_own_header_is_its_text_the_pages_header_is_not():
    story = [f"Paragraph {i} of the story, which a reporter wrote, runs on for a while, as stories do, with commas." for i in range(4)]
    page = ("<html><body><header><p>The Valley Times, news from the valley since 1999, every morning</p></header>"
            "<article><header><h1>The bridge</h1><p>The council votes tonight on a bridge the town has wanted for years.</p>"
            "</header>" + "".join(f"<p>{p}</p>" for p in story) + "</article></body></html>")  # fmt: skip
    lead = "The council votes tonight on a bridge the town has wanted for years."
    assert html_to_text(page).text.split("\n") == ["The bridge", lead, *story]


def test_lines_of_links_after_the_text_go_a_page_of_links_keeps_them():
    story = [f"Paragraph {i} of the story, which a reporter wrote, runs on for a while, as stories do, with commas." for i in range(4)]
    story.append("The full report is <a href='/r'>on the council's site</a>.")
    after = ("<h3>Ingredients</h3><p>200 g flour</p><h3>More from us</h3>"  # the last heading heads only links
             "<p><a href='/a'>The council votes on the bridge tonight</a></p><div><a href='/b'>Ten walks along the river</a></div>")
    text = html_to_text(f"<html><body><div class='story'>{''.join(f'<p>{p}</p>' for p in story)}{after}</div></body></html>").text
    assert text.split("\n") == [*story[:4], "The full report is on the council's site.", "Ingredients", "200 g flour"]
    only = "<html><body><p><a href='/a'>Alpha: the first guide</a></p><p><a href='/b'>Beta: the second guide</a></p></body></html>"
    assert html_to_text(only).text.split("\n") == ["Alpha: the first guide", "Beta: the second guide"]


def test_a_pointer_to_another_story_of_the_site_goes_a_label_and_link_of_the_texts_own_stays():
    story = [f"Paragraph {i} of the story, which a reporter wrote, runs on for a while, as stories do, with commas." for i in range(4)]
    pointers = ["<p>Read more: <svg><a href='#icon'></a></svg><a href='/2024/05/flood'>The river floods the valley for the third spring running</a></p>",
                "<p><strong>Czytaj też: <a href='https://www.valley.example/b'>Most na rzece otwarty po latach sporów</a></strong></p>"]
    own = ["<p>Website: <a href='https://bridges.example.org/'>The Friends of the Old Bridge</a></p>",  # another site
           "<p>Phone: <a href='tel:+441234567'>+44 1234 567 567</a></p>",  # no page
           "<p>Case number: <a href='/cases/166'>I ZR 166/07</a></p>",  # no headline
           "<p>2 December 2019: <a href='/tv'>The evening news on the council's vote</a></p>",  # a date: a record of the text
           "<p>The plans are <a href='/plans'>on the council's site, with the drawings and the costs</a></p>",  # no label
           "<p>Map: <svg><a href='/map'>x</a></svg><a href='/map'> </a></p>"]  # a link of no words (an icon's)
    page = ("<html><head><link rel='canonical' href='https://valley.example/2024/06/bridge'></head><body><article>"
            + f"<p>{story[0]}</p>" + pointers[0] + "".join(f"<p>{p}</p>" for p in story[1:3]) + pointers[1]
            + "".join(own) + f"<p>{story[3]}</p></article></body></html>")
    text = html_to_text(page).text.split("\n")
    assert text == [*story[:3], "Website: The Friends of the Old Bridge", "Phone: +44 1234 567 567", "Case number: I ZR 166/07",
                    "2 December 2019: The evening news on the council's vote",
                    "The plans are on the council's site, with the drawings and the costs", "Map:", story[3]]  # fmt: skip


def test_a_long_article_is_the_text_not_the_comments_that_outweigh_it():
    story = [f"Paragraph {i} of the essay, which its author wrote, runs on for a while, as essays do, with commas." for i in range(12)]
    said = [f"Comment {i}: well, I think, on the whole, you are right, but, as always, it depends, doesn't it, on the weather?" for i in range(80)]
    page = ("<html><body><div class='post'><h1>On harbours</h1><div class='entry'>" + "".join(f"<p>{p}</p>" for p in story)
            + "</div></div><div id='comments' class='comments-area'><ol class='comment-list'>"
            + "".join(f"<li class='comment'><div class='comment-body'><p>{c}</p></div></li>" for c in said)
            + "</ol></div></body></html>")  # fmt: skip
    assert html_to_text(page).text.split("\n") == ["On harbours", *story]
    # nor where the page is read whole (the story a small part of its text) and holds a few comments
    notes = [f"Note {i} of the guide to the harbour and its boats, a paragraph of the town's own pages, short." for i in range(60)]
    boxes = "".join(f"<div class='box{k}'>" + "".join(f"<p>{n}</p>" for n in notes[20 * k : 20 * k + 20]) + "</div>" for k in range(3))
    whole = ("<html><body><div class='story'><h1>On harbours</h1>" + "".join(f"<p>{p}</p>" for p in story) + "</div>" + boxes
             + "<div id='comments' class='comments-area'><ol class='comment-list'>"
             + "".join(f"<li class='comment'><div class='comment-body'><p>{c}</p></div></li>" for c in said[:3])
             + "</ol></div></body></html>")  # fmt: skip
    assert html_to_text(whole).text.split("\n") == ["On harbours", *story, *notes]


def test_a_thread_of_posts_in_boxes_keeps_every_post():
    posts = [f"Reply {i}: I had the same problem with the installer, and switching the mirror, oddly, fixed it." for i in range(4)]
    thread = ("<html><body><div class='head'><h1>Installer cannot reach the mirror</h1></div><div class='thread'>"
              + "".join(f"<div class='msg'><div class='author'>user{i}</div><div class='body'>{p}</div></div>" for i, p in enumerate(posts))
              + "</div><div class='side'><p>Popular threads: graphics drivers after the upgrade, printing problems.</p></div></body></html>")  # fmt: skip
    text = html_to_text(thread).text.split("\n")
    assert set(posts) <= set(text) and not any("Popular threads" in line for line in text)


def test_a_posts_signature_goes_the_post_stays():
    posts = [f"Reply {i}: I had the same problem with the installer, and switching the mirror, oddly, fixed it." for i in range(4)]
    signature = "Sent from my phone. Visit my shop for the best deals on refurbished laptops!"
    thread = ("<html><body><h1>Installer cannot reach the mirror</h1><div class='thread'>"
              + "".join(f"<div class='msg'><div class='body'>{p}</div><div class='signature'>{signature}</div></div>"
                        for p in posts) + "</div></body></html>")  # fmt: skip
    text = html_to_text(thread).text.split("\n")
    assert set(posts) <= set(text) and signature not in text
    # an e-mail client's signature box, by its id, that the writer typed into: what they wrote
    pasted = thread.replace("class='signature'", "id='ymail_signature'")
    assert signature in html_to_text(pasted).text.split("\n")


def test_a_block_repeated_for_another_screen_is_kept_once_and_not_as_its_hidden_copy():
    story = [f"Paragraph {i} of the guide, which its author wrote, runs on for a while, as guides do, with commas." for i in range(4)]
    block = "".join(f"<p>{p}</p>" for p in story)
    # a site builder's desktop and phone versions of one block, side by side, the style sheet showing one
    twice = f"<html><body><main><h1>Guide</h1><div class='v-desktop'>{block}</div><div class='v-phone'>{block}</div></main></body></html>"
    assert html_to_text(twice).text.split("\n") == ["Guide", *story]
    # the first copy hidden (a paywall's faded copy): the copy shown is the one kept
    assert html_to_text(twice.replace("class='v-desktop'", "style='display:none'")).text.split("\n") == ["Guide", *story]
    # blocks that differ in a word are two blocks
    other = twice.replace("Paragraph 3", "Part 3", 1)
    assert html_to_text(other).text.split("\n") == ["Guide", *story[:3], story[3].replace("Paragraph 3", "Part 3"), *story]


def test_the_furniture_every_post_of_a_thread_has_goes_what_each_wrote_stays():
    said = ["The installer cannot reach the mirror since the update, on every machine here:",
            "Same here since Tuesday.",
            "Try the mirror in Frankfurt first, it answered for me this morning, with this line:"]  # fmt: skip
    code = ["E: Failed to fetch the release file", "", "deb http://ftp.de.debian.org/debian stable main"]
    posts = "".join(
        f"<article class='post'><div class='user-cell'><a class='username' href='/u/{name}'>{name}</a><div class='rank'>Senior"
        f" Member</div><dl class='stats'><dt>Posts</dt><dd>{k + 1},234</dd><dt>Location</dt><dd>Berlin</dd></dl></div>"
        f"<div class='message'><time datetime='2024-05-0{k + 1}'>May {k + 1}</time><div class='body'>{text}"
        + (f"<div class='code-box'>{line}</div>" if line else "") + "</div></div></article>"
        for k, (name, text, line) in enumerate(zip(["alice", "bob", "carol"], said, code))
    )
    page = html_to_text(f"<html><body><h1>Mirror down</h1><div class='thread'>{posts}</div></body></html>")
    lines = page.text.split("\n")
    assert all(text in lines for text in said) and code[0] in lines and code[2] in lines  # (a code box: the writing's class)
    assert not any(word in page.text for word in ("Senior", "Posts", "1,234", "Berlin"))
    assert page.posts == (("alice", "2024-05-01"), ("bob", "2024-05-02"), ("carol", "2024-05-03"))


def test_a_long_first_post_keeps_the_replies_written_in_its_own_template():
    first = [f"Paragraph {i} of the announcement, which the maintainer wrote, runs on for a while, as notices do, with commas." for i in range(12)]
    replies = [f"Reply {i}: sad news, but, honestly, we all saw it coming, and thanks for the years of work." for i in range(3)]

    def post(kind: str, paragraphs: list[str]) -> str:
        return f"<div class='{kind}'><div class='wrap'><div class='item-body'><div class='message'>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div></div></div></div>"

    thread = ("<html><body><main><h1>The project ends</h1>" + post("discussion", first) + "<div class='comments'>"
              + "".join(post("comment", [r]) for r in replies) + "</div></main></body></html>")  # fmt: skip
    assert html_to_text(thread).text.split("\n") == ["The project ends", *first, *replies]
    # a blog's comments, in boxes of their own, still follow a long article out
    blog = thread.replace("class='comment'><div class='wrap'><div class='item-body'><div class='message'>", "class='comment'><div class='wrap'><div class='item-body'><div class='comment-text'>")
    text = html_to_text(blog).text.split("\n")
    assert set(first) <= set(text) and not set(replies) & set(text)


def test_a_tree_of_nested_comments_is_read_whole_not_as_its_longest_comment():
    said = [f"Comment {i}: I would rather, on the whole, keep the clones explicit, since they cost little." for i in range(5)]
    said[2] = " ".join(f"Sentence {k} of a long reply, which argues the point at length, with commas, and more." for k in range(12))

    def comment(k: int, inside: str = "") -> str:
        return (f"<li class='subtree'><div class='comment'><div class='byline'><a href='/u/{k}'>user{k}</a></div>"
                f"<div class='comment-text'><p>{said[k]}</p></div></div>{inside}</li>")

    tree = (f"<ol class='comments'>{comment(0, '<ol>' + comment(1, '<ol>' + comment(2) + '</ol>') + '</ol>')}"
            f"{comment(3, '<ol>' + comment(4) + '</ol>')}</ol>")
    page = f"<html><body><div class='story'><h1><a href='/s'>Project goals for 2024</a></h1></div>{tree}<div class='footer'>About</div></body></html>"
    text = html_to_text(page).text.split("\n")
    assert [line for line in text if line in said] == said


def test_a_thread_of_short_posts_outweighing_the_box_that_outscores_it_is_the_text():
    said = [f"Post {i}: the update took ten minutes here and the phone kept all its settings afterwards. The second attempt "
            f"went through at once. Only the backup before it took a while longer than the update itself did here" for i in range(6)]
    posts = "".join(f"<li class='postbit'><div class='who'><a href='/u/{i}'>user{i}</a></div><div class='postbody'><div class='row'>"
                    f"<div class='content'><blockquote class='postcontent'>{p}</blockquote></div></div></div></li>" for i, p in enumerate(said))
    words = ", ".join(f"error code 8018{k:02d} update" for k in range(18))  # search words, a comma each: they score as prose
    side = "".join(f"<li><a href='/t{k}'>Another thread about phones number {k}</a></li>" for k in range(8))
    page = (f"<html><body><div class='wrapper'><div id='content'><h1>The update is out</h1><div class='postlist'><ol class='posts'>"
            f"{posts}</ol></div><div class='thread-info'><h4>Visitors found this page searching for:</h4><div class='terms'>{words}</div>"
            f"</div></div><div class='side'><ul>{side}</ul></div></div></body></html>")  # fmt: skip
    text = html_to_text(page).text.split("\n")
    assert [line for line in text if line in said] == said and not any("error code" in line for line in text)


def test_a_documentation_pages_sections_are_read_whole():
    # Sphinx gives each section the slug of its heading as an id ("new-features-related-to-type-hints" holds a chrome
    # word), and a long example's commas are its syntax's: neither takes the rest of the page away (Python's docs lost
    # a What's New section, and venv's page all but its example)
    prose = [f"Paragraph {i} of the guide explains, in plain words, what the module does and why, as docs do." for i in range(3)]
    example = "\n".join(f"    builder.run(name, options, env={i}, path=paths[{i}], user=users[{i}], flags=(a, b, c))" for i in range(150))
    page = ("<html><body><div class='body' role='main'><section id='module-builder'><h1>builder — Build environments</h1>"
            f"<p>{prose[0]}</p>"
            f"<section id='creating-environments'><h2>Creating environments</h2><p>{prose[1]}</p></section>"
            f"<section id='new-features-related-to-type-hints'><h2>New Features Related to Type Hints</h2><p>{prose[2]}</p></section>"
            f"<section id='an-example'><h2>An example</h2><p>The following script shows how to extend the builder:</p>"
            f"<pre>{example}</pre></section></section></div><div class='sphinxsidebar'><p>Navigation</p></div></body></html>")
    text = html_to_text(page).text
    assert all(p in text for p in prose) and "New Features Related to Type Hints" in text and example.split("\n")[-1].strip() in text


def test_a_tables_cells_holding_paragraphs_stay_on_their_rows_line():
    # Sphinx puts a <p> in every cell, other sites a <br>: each row is still one line, its cells apart by tabs; a
    # cell holding a whole post (a forum laid out in a table) is still read a paragraph a line
    intro = "The status codes a server may answer with, as the standard defines them, with the section of each."
    rows = "".join(f"<tr><td><p>{code}</p></td><td><p>{name}</p></td><td>HTTP/1.1<br>RFC 7231, Section {section}</td></tr>"
                   for code, name, section in [(100, "CONTINUE", "6.2.1"), (200, "OK", "6.3.1")])
    page = f"<html><body><p>{intro}</p><table><tr><th><p>Code</p></th><th><p>Name</p></th><th>Details</th></tr>{rows}</table></body></html>"
    assert html_to_text(page).text.split("\n")[1:] == [
        "Code\tName\tDetails", "100\tCONTINUE\tHTTP/1.1 RFC 7231, Section 6.2.1", "200\tOK\tHTTP/1.1 RFC 7231, Section 6.3.1"]
    post = [f"Paragraph {i} of a long post in a forum laid out in tables, which goes on for a while to say it." for i in range(5)]
    page = f"<html><body><table><tr><td>alice</td><td>{''.join(f'<p>{p}</p>' for p in post)}</td></tr></table></body></html>"
    assert html_to_text(page).text.split("\n")[-5:] == post
