"""A page's main content: html_to_text's, its interface lines stripped, then a second opinion, trafilatura's text
beside it, and a vote, line by line (read_page).

The two err in different places. html_to_text errs by the box it chooses: a lead outside it, a tail of related
stories, a newsletter pitch, an address block or comments inside it. trafilatura (what datatrove and FineWeb use)
errs by the element: it stops after a table, drops a thread's replies or a listing's items, takes a banner. So a
line either one holds is the page's, and what lies beyond the lines both hold is suspect. The vote keeps the
pipeline's lines from the first to the last line both hold (its tables, code, `<br>` lines, posts, as they were), and
around them only what reads as prose (a lead, an introduction the other missed); the pipeline's tail after the last
shared line goes. Measured on both development sets (docs/evaluation.md, "A second opinion"): news F1 0.904 -> 0.931,
the mixed set 0.861 -> 0.865, for about 4 times the extraction's time.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.text.chrome import ChromeResult, strip_chrome
from pipeline.text.dedup import _squeezed  # whitespace runs as one space, most lines untouched
from pipeline.text.decode import drop_unseen
from pipeline.text.html import HtmlText, html_to_text, parse_html

_TOKEN = re.compile(r"\w+")
PROSE = 120  # characters: a line of one side alone, outside the shared lines, kept as writing
FLOOR = 200  # characters of trafilatura's text under which it has no opinion (a teaser, a title)
AGREE = 0.1  # share of the pipeline's characters in shared lines under which the two read different things
TAIL = 1.0  # the pipeline's lines after the last shared one, against those between the first and the last
INSIDE = 0.5  # share of the pipeline's characters in shared lines from which its text may be part of trafilatura's
AROUND = 0.2  # trafilatura's characters before the first shared line, and after the last, each against the pipeline's
THREAD = 2  # posts the pipeline found (their authors and dates) from which a page is a thread, read whole
STANDFIRST = 6  # words from which a short line before the shared ones that the page's description repeats is kept


@dataclass(frozen=True)
class Voted:
    text: str
    cut: list[str] = field(default_factory=list)  # the pipeline's lines the vote left out
    added: list[str] = field(default_factory=list)  # trafilatura's lines it added


def trafilatura_text(html: str | etree._Element) -> str:
    """trafilatura's main text of a page, its markup or parse_html's tree of it (comments left out: a thread's posts
    are the pipeline's), "" where it finds none or fails on the markup (its failure is not the page's)."""
    import trafilatura  # 0.2 s to import: only where pages are read

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # it warns of every odd page, on stderr
    try:
        text = trafilatura.extract(html, output_format="txt", include_comments=False) or ""
        return drop_unseen(text)  # as html_to_text reads the page
    except Exception:  # noqa: BLE001: a second opinion that fails leaves the first
        return ""


def _grams(tokens: list[str]) -> list[tuple[str, str, str, str]]:
    return list(zip(tokens, tokens[1:], tokens[2:], tokens[3:]))


class _Lines:
    """One side's text as the other tests its lines against it: its lines, and its word 4-grams (across lines, as
    the text runs) with the line each starts in, the first where one repeats."""

    def __init__(self, lines: list[str]) -> None:
        self.squeezed = [_squeezed(x) for x in lines]  # whitespace aside; their lengths are the lines' sizes
        self.lines = {x: k for k, x in reversed(list(enumerate(self.squeezed)))}

    @functools.cached_property
    def grams(self) -> dict[tuple[str, str, str, str], int]:
        """Made when a line is not found whole (most are: both extractors give a paragraph as one line)."""
        words = [_TOKEN.findall(x) for x in self.squeezed]
        grams = _grams([w for line in words for w in line])
        starts = [k for k, line in enumerate(words) for _ in line][: len(grams)]
        return dict(zip(reversed(grams), reversed(starts)))  # built in C: the first line of a repeated gram last

    def where(self, line: str) -> int | None:
        """The line of this side that holds `line` (the other side's, squeezed): the same line, or half its word
        4-grams here (a line of four words or more). None where it is not held."""
        if (same := self.lines.get(line)) is not None or len(words := _TOKEN.findall(line)) < 4:
            return same
        found = list(map(self.grams.get, _grams(words)))
        held = [k for k in found if k is not None]
        return held[0] if 2 * len(held) >= len(found) else None


def page_summary(tree: etree._Element | None) -> tuple[list[str], list[str]]:
    """What a page says of itself in its head: its descriptions (meta description, og:, twitter:) and its titles
    (<title>, og:, twitter:)."""
    described: list[str] = []
    titles: list[str] = []
    if tree is None or (head := tree.find("head")) is None:
        return described, titles
    for meta in head.iter("meta"):
        name, content = (meta.get("name") or meta.get("property") or "").lower(), meta.get("content")
        if content and name in ("description", "og:description", "twitter:description"):
            described.append(content)
        elif content and name in ("og:title", "twitter:title"):
            titles.append(content)
    return described, titles + [e.text for e in head.iter("title") if e.text]


def vote(ours: str, theirs: str, posts: int = 0, summary: tuple[list[str], list[str]] = ([], [])) -> Voted:
    """The pipeline's text `ours` (after strip_chrome) as trafilatura's `theirs` confirms it; `posts`, the posts the
    pipeline found on the page. A thread is ours whole (trafilatura keeps a thread's first post only); where
    trafilatura has no opinion, ours; where the two share no line, or lines under a tenth of ours, they read
    different things and neither cuts the other: theirs, then ours; where ours is a part of theirs (theirs reaches
    beyond the shared lines on both sides), theirs. Where ours is empty, theirs only if it holds a line of prose: a
    page of menus gives trafilatura its links. `summary`: page_summary's, for the standfirst."""
    mine = [x for x in ours.split("\n") if x.strip()]
    other = [x.rstrip() for x in theirs.split("\n") if x.strip()]  # (no blank lines, no spaces after a line)
    if posts >= THREAD or len(theirs.strip()) < FLOOR or not mine and all(len(_squeezed(x)) < PROSE for x in other):
        return Voted(ours)
    in_other, in_mine = _Lines(other), _Lines(mine)
    shared = [k for k, x in enumerate(in_mine.squeezed) if in_other.where(x) is not None]
    anchors = {k: at for k, x in enumerate(in_other.squeezed) if (at := in_mine.where(x)) is not None}  # theirs: ours
    size = [len(x) for x in in_mine.squeezed]
    whole, in_shared = sum(size), sum(size[k] for k in shared)
    if not shared or not anchors or in_shared < AGREE * whole:
        return Voted("\n".join(other + ([ours] if ours.strip() else [])).strip(), added=other)
    before, after = sum(map(len, in_other.squeezed[: min(anchors)])), sum(map(len, in_other.squeezed[max(anchors) + 1 :]))
    if in_shared >= INSIDE * whole and before + after >= whole and min(before, after) >= AROUND * whole:
        # ours is one part of what trafilatura reads around it on both sides (a service page's testimonials, a
        # listing's first card): theirs
        held = set(shared)
        return Voted("\n".join(other), cut=[x for k, x in enumerate(mine) if k not in held], added=[x for k, x in enumerate(other) if k not in anchors])
    first, last = shared[0], shared[-1]
    head, span, tail = mine[:first], mine[first : last + 1], mine[last + 1 :]
    in_span = sum(size[first : last + 1])
    whole_head = sum(size[:first]) >= in_span  # trafilatura started late
    if sum(size[last + 1 :]) >= TAIL * in_span:  # or stopped early (after a table, before a list of references)
        span, tail = span + tail, []
    # a line of the head the page's description holds (half its word 4-grams), not its title: the standfirst
    # trafilatura leaves out
    described, titles = (_Lines(texts) for texts in summary)
    keep = [whole_head or n >= PROSE or len(_TOKEN.findall(x)) >= STANDFIRST and described.where(x) is not None and titles.where(x) is None
            for n, x in zip(size[:first], in_mine.squeezed)]
    kept_head, cut_head = [x for x, k in zip(head, keep) if k], [x for x, k in zip(head, keep) if not k]
    prose = [len(x) >= PROSE for x in in_other.squeezed]
    # (its lines as they stand: trafilatura keeps a page's indentation around a paragraph, spaces at both ends)
    lead = [x.strip() for x, long in zip(other[: min(anchors)], prose) if long]  # before the first line both hold
    inside: dict[int, list[str]] = {}  # their prose between shared lines, after our line the one before it is
    anchor = first
    for k in range(min(anchors), max(anchors) + 1):
        if k in anchors:
            anchor = min(max(anchors[k], first), last)
        elif prose[k]:
            inside.setdefault(anchor, []).append(other[k].strip())
    out = lead + kept_head
    for k, line in enumerate(span, first):
        out += [line, *inside.get(k, [])]
    return Voted("\n".join(out), cut=cut_head + tail, added=lead + [x for lines in inside.values() for x in lines])


@dataclass(frozen=True)
class PageText:
    page: HtmlText  # html_to_text's (the page's title, language, posts; why it found nothing)
    chrome: ChromeResult  # strip_chrome's of that text
    voted: Voted  # the vote of that text with trafilatura's: the page's main content


def read_page(html: str, second_opinion: bool = True) -> PageText:
    """A page's main content as the chrome stage reads it; without the second opinion, html_to_text's alone (about
    a quarter of the time). The page is parsed once for both extractors (neither changes the tree)."""
    tree = parse_html(html)
    page = html_to_text(html, page=tree)
    chrome = strip_chrome(page.text, from_html=True)
    posts = max(len(page.posts), len(chrome.posts))
    mark_up = html if tree is None else tree
    theirs = trafilatura_text(mark_up) if second_opinion and posts < THREAD else ""  # a thread is ours whole
    return PageText(page, chrome, vote(chrome.text, theirs, posts, page_summary(tree)))
