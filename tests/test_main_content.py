"""The vote of html_to_text's text with trafilatura's (pipeline/text/main_content.py)."""

from collections import Counter

from lxml import etree

from pipeline.text import html_to_text, read_page, strip_chrome
from pipeline.text.html import parse_html
from pipeline.text.main_content import page_summary, trafilatura_text, vote

STORY = [
    "The harbour authority said on Tuesday that the second ferry line will open in the spring, two years after the first one.",
    "Ticket prices stay as they are until the end of the year, the authority's spokesperson told reporters at the quay.",
    "Residents of the island had asked for an earlier crossing for a decade; the new line leaves at six in the morning.",
]  # fmt: skip
LEAD = "In short: a second ferry line, an earlier crossing and no change to the fares, as the council had promised in its plan for the island."


def test_what_lies_after_the_lines_both_extractors_hold_goes_and_is_listed():
    tail = ["Related: Council votes to keep the old library open late", "Sign up for our morning newsletter", "Tags: harbour, ferries"]
    voted = vote("\n".join(STORY + tail), "\n".join(STORY))
    assert voted.text == "\n".join(STORY) and voted.cut == tail and voted.added == []
    # unless it outweighs them: trafilatura stopped early (after a table, before a docs page's list of references)
    references = [f"RFC {k}: More documentation conventions for the harbour's ferry timetables" for k in range(6)]
    assert vote("\n".join(STORY[:1] + references), "\n".join(STORY)).text == "\n".join(STORY[:1] + references)


def test_a_lead_the_pipeline_missed_comes_from_trafilatura_and_short_lines_before_the_story_go():
    voted = vote("\n".join(["Home > News > Local", *STORY]), "\n".join([f"  {LEAD} ", *STORY]))
    assert voted.text.split("\n") == [LEAD, *STORY]  # (without the page's indentation trafilatura keeps)
    assert voted.cut == ["Home > News > Local"] and voted.added == [LEAD]


def test_a_standfirst_the_pages_description_repeats_stays_before_the_story_the_headline_goes():
    headline, standfirst = "A second ferry line for the island", "Earlier crossings, the same fares: what changes in the spring."
    page = (f"<html><head><title>{headline} | The Island Post</title><meta name=description content='{headline}: {standfirst}'>"
            f"<meta property='og:title' content='{headline}'></head><body><p>x</p></body></html>")
    summary = page_summary(parse_html(page))
    assert summary == ([f"{headline}: {standfirst}"], [headline, f"{headline} | The Island Post"])  # (a description repeats the title)
    voted = vote("\n".join([headline, standfirst, *STORY]), "\n".join(STORY), summary=summary)
    assert voted.text.split("\n") == [standfirst, *STORY] and voted.cut == [headline]
    assert vote("\n".join([headline, standfirst, *STORY]), "\n".join(STORY)).cut == [headline, standfirst]  # no description


def test_the_pipeline_keeps_its_own_lines_between_the_shared_ones_and_gains_trafilaturas_prose_in_its_place():
    table = "Line\tDeparts\tArrives"  # a table row, a code line, a short line: the pipeline's, kept
    theirs = "\n".join([STORY[0], LEAD, STORY[1], STORY[2]])
    voted = vote("\n".join([STORY[0], table, STORY[1], STORY[2]]), theirs)
    assert voted.text.split("\n") == [STORY[0], LEAD, table, STORY[1], STORY[2]] and voted.added == [LEAD]  # after its line before
    # as a line of text: trafilatura keeps the page's indentation around a paragraph, and spaces after it
    voted = vote("\n".join([STORY[0], table, STORY[1], STORY[2]]), theirs.replace(LEAD, f"{' ' * 28}{LEAD}{' ' * 24}"))
    assert voted.text.split("\n") == [STORY[0], LEAD, table, STORY[1], STORY[2]] and voted.added == [LEAD]


def test_where_the_pipeline_read_one_part_of_what_trafilatura_reads_around_it_the_text_is_trafilaturas():
    # a service page: the pipeline's box is its testimonials, trafilatura reads the course before them and the FAQ after
    box = [STORY[1], "Rated 4.8 by 312 readers"]
    theirs = [LEAD, STORY[0], STORY[1], STORY[2], "How long does the crossing take? About forty minutes, a little more in winter."]
    voted = vote("\n".join(box), "\n".join(theirs))
    assert voted.text == "\n".join(theirs)
    assert voted.cut == ["Rated 4.8 by 312 readers"] and voted.added == [LEAD, STORY[0], STORY[2], theirs[-1]]
    # reaching beyond it on one side only, the vote as ever: trafilatura's prose before it, not its short line after
    one_side = vote("\n".join(box), "\n".join(theirs[1:3] + ["Short line."]))
    assert one_side.text.split("\n") == [STORY[0], STORY[1]]


def test_a_thread_is_the_pipelines_whole_and_a_short_second_opinion_changes_nothing():
    replies = "\n".join(STORY + ["Same here, the early boat is what we needed.", "Agreed."])
    assert vote(replies, "\n".join(STORY), posts=3).text == replies  # trafilatura keeps a thread's first post
    assert vote(replies, "A teaser of the story.").text == replies  # under 200 characters: no opinion


def test_two_texts_that_disagree_are_both_kept_and_a_page_of_menus_stays_empty():
    voted = vote(LEAD, "\n".join(STORY))  # they share no line: neither is trusted to cut the other
    assert voted.text == "\n".join([*STORY, LEAD]) and voted.cut == [] and voted.added == STORY
    spaced = "\n \n".join(f"{line}   " for line in STORY)  # blank lines and spaces after lines, as trafilatura leaves some
    assert vote(LEAD, spaced).text == "\n".join([*STORY, LEAD])
    menus = "\n".join(f"Category {k} item {j}" for k in range(5) for j in range(8))
    assert vote("", menus).text == ""  # links only: the pipeline's "no main content" stands
    assert vote("", "\n".join(STORY)).text == "\n".join(STORY)  # prose the pipeline missed


def test_read_page_is_the_chrome_stages_reading_of_a_page_with_or_without_the_second_opinion():
    page = "<html><body><nav><a href=/>Home</a> <a href=/news>News</a></nav><article><h1>A second ferry line</h1>" + "".join(
        f"<p>{line}</p>" for line in STORY) + "</article><footer>© The Island Post</footer></body></html>"  # fmt: skip
    own = read_page(page, second_opinion=False)
    assert own.voted.text == strip_chrome(html_to_text(page).text, from_html=True).text
    both = read_page(page)
    assert all(line in both.voted.text for line in STORY) and "Home" not in both.voted.text
    assert both.page.title == own.page.title and trafilatura_text(page).count("ferry") >= 2
    assert trafilatura_text("<html><body><p>\x00</p>") == ""  # nothing found: no opinion, no error
    hyphenated = page.replace("ferry", "fer&shy;ry")  # soft hyphens: both read the words whole, so their lines agree
    assert "\xad" not in trafilatura_text(hyphenated) and read_page(hyphenated).voted.text == both.voted.text


def test_one_parse_serves_both_extractors_and_neither_changes_the_tree():
    page = FERRY.replace("<p>The", "<p><!-- a note to the editor -->The", 1)
    tree = parse_html(page)
    before = etree.tostring(tree)
    assert html_to_text(page, page=tree) == html_to_text(page)
    assert trafilatura_text(tree) == trafilatura_text(page) and "editor" not in trafilatura_text(tree)
    assert etree.tostring(tree) == before


FILED = "Filed under harbour, ferries and the island's council meetings this year"
POSTED = "Posted in Local News on Tuesday, with 4 comments so far today"
# a story whose box ends with its tags and its post's line, which html_to_text keeps and trafilatura leaves out
FERRY = (f"<html><body><article><h1>A second ferry line</h1>{''.join(f'<p>{x}</p>' for x in STORY)}"
         f"<div class='tags'><p>{FILED}</p></div><div class='entry-meta'><p>{POSTED}</p></div></article></body></html>")  # fmt: skip


def test_the_chrome_stage_counts_what_the_vote_did_and_lists_its_cuts_with_the_chrome():
    from pipeline.stages import _strip_chrome

    stats, own = Counter(), Counter()
    row = _strip_chrome({"text": FERRY, "source_path": "ferry.html"}, stats)
    alone = _strip_chrome({"text": FERRY, "source_path": "ferry.html"}, own, "own")
    assert row["text"].split("\n") == ["A second ferry line", *STORY]
    assert alone["text"].split("\n") == ["A second ferry line", *STORY, FILED, POSTED]
    assert {FILED, POSTED} <= set(row["chrome_removed"]) and not {FILED, POSTED} & set(alone["chrome_removed"])
    assert stats["lines left out by the vote with trafilatura"] == 2 and stats["pages trafilatura's text changed"] == 1
    assert own["pages trafilatura's text changed"] == 0


def test_news_pages_in_nine_languages_that_no_rule_was_tuned_on_keep_their_articles():
    """The held-out set (eval/data/extraction-heldout/: newspaper4k's test pages, in Arabic, Burmese, Chinese,
    Japanese, Korean, Latvian, Spanish, Thai and English, with the text its tests expect) read as the chrome stage
    reads a page: no article lost, whole or in part (its figures: docs/evaluation.md)."""
    from eval.score_extraction import pipeline_text, score_heldout

    scores = score_heldout(pipeline_text)
    assert scores["pages"] == 23 and scores["zero"] == 0
    assert scores["f1"] >= 0.95 and scores["recall"] >= 0.98
    assert min(page["recall"] for page in scores["worst"]) >= 0.9, scores["worst"]
