"""HTML to plain text: the main content as paragraphs, the page's title and language as metadata."""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Callable, Set
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from pipeline.text.decode import drop_unseen

# Never text a person reads: the page's machinery and its controls.
_NEVER_TEXT = {
    "script", "style", "template", "head", "button", "select", "input",
    "textarea", "iframe", "svg", "canvas", "object", "embed",
}  # fmt: skip
# The page's interface around the text: dropped, unless one of them holds most of the page's text (see `dropped` in html_to_text).
# (A <noscript> that opens a page's first <div> and never closes it holds the whole page, as libxml2 reads it.)
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form", "dialog", "menu", "noscript"}
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_DROP_NAMES = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|sidebar|footer|cookie|consent|banner|share|social|"
    r"related|toc|table-of-contents|comment-form|promo|newsletter|subscribe|pagination)([\s_-]|$)"
    r"|(^|[\s_])header([\s_-]|$)",  # not "table-header", "card-header": those head a part of the text
)
# What surrounds a text inside its own box: captions and credits, share and rating bars, author boxes, comment
# forms, buttons, pitches (newsletters, sign-ups, donations, a paywall's). Dropped inside the main content only, and
# only a box holding under INNER_SHARE of its text.
_INNER_CHROME_NAMES = re.compile(
    r"caption|credit|shar(e|ing|iff)|social|rating|author|button|btn|respond|footer|promo|newsletter|signup|sign-up|donat|paywall"
)
_INNER_CHROME_TAGS = {"figcaption"}
INNER_SHARE = 0.2
_CONTENT_NAMES = re.compile(r"article|body|column|content|main|shadow")  # readability's "maybe a candidate"
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "li", "ul", "ol", "dl", "dt", "dd", "table",
    "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "address", "details", "summary", "hr", "br",
    "body", "html", "center",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LINKED_LINE = 0.8  # of a line's characters inside links: a line made of links
_LINK, _TRUSTED, _HEADING, _IN_CELL = object(), object(), object(), object()  # a link, a trusted list of links, a
# heading, a table's cell of one line (pushed to leave)
CELL_LINE = 300  # characters: a cell holding no more, in one block at most, is one cell of its row's line (not a
# layout's cell: a user's card of name, rank and join date, a post)
# a paragraph of these alone is empty to a reader (site builders put a zero-width joiner in each spacer paragraph)
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
_CELL_END = "\ue000"  # a private-use character marks a cell's end until whitespace is collapsed (then a tab)
# Class and id names judge containers; inside a sentence or a heading they name styles, not chrome.
_NAMED_NOT_DROPPED = {"a", "span", "em", "strong", "b", "i", "code", "small", "p"} | _HEADINGS
_HTML_START = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p)\b", re.I | re.S)


@dataclass(frozen=True)
class HtmlText:
    text: str
    title: str | None
    lang: str | None
    why_empty: str | None = None  # when `text` is empty: what the page held and which rules left it out
    posts: tuple[tuple[str | None, str | None], ...] = ()  # (author, date) of each post or article, where the page says


def looks_like_html(text: str, filename: str = "") -> bool:
    return filename.lower().endswith((".html", ".htm", ".xhtml")) or bool(_HTML_START.match(text[:2048]))


def _hidden(tag: etree._Element, ads: bool = True) -> bool:
    get = tag.get
    if get("hidden") is not None or get("aria-hidden") == "true" or get("role") in _DROP_ROLES:
        return True
    style = get("style")
    if style and ("display:none" in (style := style.replace(" ", "").lower()) or "visibility:hidden" in style):
        return True
    if tag.tag in _NAMED_NOT_DROPPED:  # a heading's anchor may be class="header": it is still the heading
        return False
    # "main_color container_wrap sidebar_right", "article-header": a layout's names for the content's own box
    return _says(tag) & (_DROP | _CONTENT) == _DROP or ads and _ad_box(tag)


def _ad_box(tag: etree._Element) -> bool:
    return _says(tag) & (_AD | _CONTENT) == _AD


def _own_header(tag: etree._Element) -> bool:
    """A <header> inside an <article> or <main> is theirs (its title, byline, lead), not the page's."""
    return tag.tag == "header" and next(tag.iterancestors("article", "main"), None) is not None


def _inner_chrome(tag: etree._Element) -> bool:
    # (not an item or an <article>: a comment or a post, which WordPress names "comment-author-NAME")
    if tag.tag in _INNER_CHROME_TAGS:
        return True
    return tag.tag not in _NAMED_NOT_DROPPED and tag.tag not in ("li", "article") and bool(_says(tag) & (_INNER | _SIGNATURE))


# Blocks judged by how much of their text is links (a menu or a list of headlines, wherever it stands).
_LIST_TAGS = {"ul", "ol", "div", "section", "table", "dl", "p", "td"}
_LISTS = {"ul", "ol", "dl"}
MAX_LINK_SHARE = 0.6  # of a block's characters; prose with links stays far below it
MIN_LINKS = 3
PROTECTED_SHARE = 0.5  # of the text outside links under the root: a "chrome" container holding more is the page
MAX_UNLINKED = 300  # characters of text outside links: more, and the block holds writing (keep it)
TEASER_CHARS = 30  # a link's characters on average in a list of headlines; a menu's or tags' are words


def _mostly_links(text: int, linked: int, count: int) -> bool:
    return count >= MIN_LINKS and linked > MAX_LINK_SHARE * text and text - linked < MAX_UNLINKED


def _teasers(counts: tuple[int, int, int]) -> bool:
    """A list of links that reads as headlines, not as a menu or tags: its links are TEASER_CHARS long on average."""
    text, linked, count = counts
    return _mostly_links(text, linked, count) and linked >= TEASER_CHARS * count


def _contents(node: etree._Element) -> list:
    """A node's children as a tree of strings and elements has them: its text, then each child and its tail."""
    found: list = [node.text] if node.text else []
    for child in node:
        found.append(child)
        if child.tail:
            found.append(child.tail)
    return found


_DROP, _CONTENT, _GOOD, _BAD, _INNER, _COMMENTS, _AUTHOR, _AD, _POST, _SIGNATURE = 1, 2, 4, 8, 16, 32, 64, 128, 256, 512
# A forum post's signature goes as the boxes around a text do (_INNER), named so by its class only: an e-mail
# client's "signature" id can wrap what the writer pasted in.
_SIGNATURE_NAMES = re.compile(r"signature")
# A box named for ads holds an ad: a slot, an image, a line; one holding writing is a section that carries ad
# slots ("TestReport__Section--Ads"), text.
_AD_NAMES = re.compile(r"(^|[\s_-])(advert|ads?)([\s_-]|$)")
AD_TEXT = 300  # characters outside links
# A post's or an article's author and date are metadata, not text: an element named for its author, a <time>,
# inside an <article> or a box named for a post, a comment, a reply or an answer (the first of each in it).
_AUTHOR_NAMES = re.compile(r"(^|[\s_-])(author|username|user-name|poster|nickname|byline)([\s_-]|$)")
_POST_NAMES = re.compile(r"(^|[\s_-])(post|comment|reply|message|answer)([\s_-]|$)")
META_CHARS = 60  # an author's name or a date is short: a box with more is an author's box, text
NAME_WORDS = 4


@functools.lru_cache(maxsize=1 << 16)
def _name_says(name: str) -> int:
    """What one class or id value says of its box, as flags. Kept: pages and sites repeat their names, and the
    patterns cost a microsecond or more on a long Tailwind class list. The patterns are lower case, matched on the
    name in lower case: a third of the time re.IGNORECASE takes."""
    name = name.lower()
    found = [_DROP_NAMES, _CONTENT_NAMES, _GOOD_NAMES, _BAD_NAMES, _INNER_CHROME_NAMES, _COMMENT_NAMES, _AUTHOR_NAMES, _AD_NAMES, _POST_NAMES,
             _SIGNATURE_NAMES]  # fmt: skip
    flags = (_DROP, _CONTENT, _GOOD, _BAD, _INNER, _COMMENTS, _AUTHOR, _AD, _POST, _SIGNATURE)
    return sum(flag for flag, pattern in zip(flags, found) if pattern.search(name))


@functools.lru_cache(maxsize=1 << 16)
def _post_named(name: str) -> bool:
    """_name_says(name) & _POST, asked of every class in the main content: one pattern, not all of them."""
    return bool(_POST_NAMES.search(name.lower()))


def _says(node: etree._Element) -> int:
    anchor = node.get("id", "")
    anchor = "" if anchor.count("-") >= SLUG_WORDS - 1 else anchor  # a heading's slug names no box
    return _name_says(node.get("class", "")) | _name_says(anchor) & ~_SIGNATURE


# An id of this many words joined by hyphens is made from a heading ("new-features-related-to-type-hints": Sphinx,
# Markdown renderers and tables of contents give each section one), not a name for what the box is.
SLUG_WORDS = 5


def _is_tag(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)  # not a comment or an instruction


def _tally(root: etree._Element) -> tuple[dict[etree._Element, tuple[int, int, int]], list[tuple[etree._Element, bool]]]:
    """For every element under `root`: its visible characters, those inside links, and its links; and, in the page's
    order, the elements that may be paragraphs and whether the whole of one is (see _main_content). One pass from
    the leaves up, without recursion (pages nest thousands deep). Keyed by the elements themselves: lxml keeps one
    Python object for a node only while something holds it."""
    totals: dict[etree._Element, tuple[int, int, int]] = {}
    found = totals.get
    order = list(root.iter(etree.Element))  # (lxml's walk, in C: four times faster than one in Python)
    unseen: list[etree._Element] = []  # never text, with elements inside (an <svg>'s, a <select>'s)
    paragraphs: list[tuple[etree._Element, bool]] = []
    for node in reversed(order):  # children before parents
        tag = node.tag
        if tag in _NEVER_TEXT:
            if len(node):
                unseen.append(node)
            continue
        own = node.text
        text = len(own.strip()) if own else 0
        linked = count = in_blocks = 0
        blocks = False
        for child in node:
            tail = child.tail
            if tail:
                text += len(tail.strip())
            inside = found(child)
            if inside is not None:
                text, linked, count = text + inside[0], linked + inside[1], count + inside[2]
                if (child_tag := child.tag) in _BLOCK_TAGS:
                    in_blocks += inside[0]
                    blocks = blocks or child_tag != "br"
        if tag == "a":
            linked, count = text, count + 1
        totals[node] = (text, linked, count)
        # a paragraph: a `p` or `pre`, or a block without blocks inside, long enough; or a box whose own text
        # around its blocks may be (measured later)
        whole = tag in _PARAGRAPH_TAGS or not blocks
        if tag in _MAYBE_PARAGRAPHS and (text if whole else text - in_blocks) >= (MIN_PARAGRAPH if whole else 1):
            paragraphs.append((node, whole))
    for node in unseen:  # what is inside counted for nothing outside it; it is no paragraph either
        for inside in node.iterdescendants():
            totals.pop(inside, None)
    paragraphs.reverse()  # in the page's order
    return totals, [(node, whole) for node, whole in paragraphs if node in totals] if unseen else paragraphs


# Which container is the page's text: every paragraph scores its parent and, less, its ancestors (by its length
# and commas, as readability does); the best container, taken with its siblings that score near it, is the content.
_PARAGRAPH_TAGS = {"p", "pre"}  # always a paragraph; other blocks are one when no block is inside them
_MAYBE_PARAGRAPHS = _BLOCK_TAGS | _CELL_TAGS | {"span", "font"}
MIN_PARAGRAPH = 25  # characters: shorter lines (buttons, labels, dates) score nothing
_COMMAS = ",，、،"  # (counted with str.count: a quarter of a regular expression's cost)
_GOOD_NAMES = re.compile(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|thread|message|prose")
_BAD_NAMES = re.compile(
    r"-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|"
    r"promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|teaser|recommend")
_TAG_WEIGHT = {"div": 5, "pre": 3, "td": 3, "blockquote": 3, "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3,
               "dt": -3, "li": -3, "form": -3, "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5}  # fmt: skip
SIBLING_SHARE = 0.2  # of the best container's score: a sibling scoring this much is more of the same text
ANCESTOR_LEVELS = 5
NAMED_CONTENT = 500  # characters
# When the best-scoring box holds less than this share of the page's paragraph text (a login dialog, a newsletter
# form, a thread's "similar topics" box outscoring its posts), the deepest box holding MAIN_SHARE of it is taken.
FALLBACK_SHARE = 0.2
THREAD_POST = 1000  # characters of paragraphs: a post this short opens a thread whose comments are its text
MAIN_SHARE = 0.7
MAIN_TEXT = 200  # characters of paragraphs in a page's <main>: its content is there


def _name_weight(node: etree._Element, text: int) -> float:
    """Readability's class and id weight; a content-like name counts in full only on a box with some text (a
    heading's "content-h1-wrapper" is not the content)."""
    weight = 0.0
    for name in (node.get("class"), node.get("id")):
        if name:
            says = _name_says(name)
            weight += 25 * (min(1.0, text / NAMED_CONTENT) * bool(says & _GOOD) - bool(says & _BAD))
    return weight


def _inline_text(node: etree._Element) -> str:
    """The text of a block that belongs to it, not to the blocks inside it."""
    parts = [node.text or ""]
    for child in node:
        if _is_tag(child) and child.tag not in _BLOCK_TAGS and child.tag not in _NEVER_TEXT:
            parts.extend(child.itertext())
        parts.append(child.tail or "")
    return "".join(parts)


def _unlinked(links: dict, node: etree._Element) -> int:
    text, linked, _ = links.get(node, (0, 0, 0))
    return text - linked


def _written(links: dict, node: etree._Element) -> bool:
    """Mostly text outside links: a post or a comment, not a teaser of another page."""
    text, linked, _ = links.get(node, (0, 0, 0))
    return text > 0 and linked < text / 2


_COMMENT_NAMES = re.compile(r"comment|disqus")


def _in_comments(node: etree._Element | None, body: etree._Element) -> bool:
    """Inside a box named for comments (not the page's own <body>, whose classes may say "comments-open")."""
    for box in (node, *node.iterancestors()) if node is not None else ():
        if box is body:
            return False
        if _says(box) & _COMMENTS:
            return True
    return False


def _article_before(body: etree._Element, comments: set, articles: set) -> bool:
    """Does one of the `articles` come before the first of the `comments` in the page (comments follow what they
    are about: a consent dialog or a footer after a thread is not an article)?"""
    for node in body.iter():
        if node in comments:
            return False
        if node in articles:
            return True
    return False


def _replies_alike(top: etree._Element, body: etree._Element, held: dict[etree._Element, int]) -> list[etree._Element]:
    """The comments' boxes that hold paragraphs in the best box's structure (its tag and class, its parent's and
    their parent's): a thread's replies, the first post and each reply in one template (a forum's "message" box in
    its "body" box in its "wrap"). A blog's comments are in boxes of their own; a site's field for any text ("field-
    item") sits in a field named for the article's body or a comment's."""
    kind = _shape(top)
    return [box for box in held if box is not top and _shape(box) == kind and _in_comments(box, body)] if top.get("class") else []


def _shape(box: etree._Element, levels: int = 3) -> tuple:
    found = []
    for node in (box, *box.iterancestors()):
        found.append((node.tag, node.get("class")))
        if len(found) == levels:
            break
    return tuple(found)


POSTS = 3  # siblings of one tag and class, each holding paragraphs: a thread's posts, a list's items


def _outweighed(top: etree._Element, mass: dict, total: int, links: dict, body: etree._Element) -> etree._Element | None:
    """The box of a thread's posts when the best box is beside them and they hold more of the page's paragraphs: the
    parent of POSTS siblings or more of one tag and class, mostly text, with twice the best box's paragraph text
    and half the page's ("similar threads" or a list of search words outscoring a thread of short posts)."""
    if 2 * mass.get(top, 0) >= total:  # (siblings hold no more than the page)
        return None
    groups: dict[tuple, list[etree._Element]] = {}
    for box in mass:
        if box is not body and (name := box.get("class")):
            groups.setdefault((box.getparent(), box.tag, name), []).append(box)
    found, most = None, 2 * mass.get(top, 0)
    for (parent, _, _), boxes in groups.items():
        if len(boxes) < POSTS or parent is None:
            continue
        held = sum(mass[box] for box in boxes)
        if held > most and 2 * held >= total and all(_written(links, box) for box in boxes) and parent is not top \
                and parent not in top.iterancestors() and top not in parent.iterancestors():
            found, most = parent, held
    return found


KIN_LEVELS = 2  # a comment's text box is at most this far inside the box named for the comment


def _kin(top: etree._Element, scores: dict, links: dict) -> list[etree._Element]:
    """The boxes of the best box's tag and class elsewhere in the page, when it is a comment's text (in a box named
    for comments at most KIN_LEVELS up) and they hold paragraphs, mostly not links, two of them or more: a thread of
    comments, nested as replies (named for posts, a blog's front page's posts came in too)."""
    name = top.get("class")
    if not name or not any(_says(box) & _COMMENTS for box in (top, *top.iterancestors())[: KIN_LEVELS + 1]):
        return []
    kin = [box for box in scores if box is not top and box.tag == top.tag and box.get("class") == name and _written(links, box)]
    return kin if len(kin) >= 2 else []


def _inside_chrome(chain: list[etree._Element], dropped: Callable[[etree._Element], bool], verdicts: dict) -> bool:
    """Is the first of a chain of elements (one and its ancestors) in a box dropped as chrome? Each element's
    answer is kept in `verdicts`: the paragraphs of a box ask of the same ancestors."""
    for k, box in enumerate(chain):
        if box in verdicts:
            inside = verdicts[box]
            break
        if dropped(box):
            inside, k = True, k + 1
            break
    else:
        inside, k = False, len(chain)
    for box in chain[:k]:
        verdicts[box] = inside
    return inside


def _chain(node: etree._Element, chains: dict) -> tuple[etree._Element, ...]:
    """The element and its ancestors up to the body, kept in `chains` for each of them (the paragraphs of a box
    share all but their first)."""
    path = []
    while node not in chains:
        path.append(node)
        node = node.getparent()
    found = chains[node]
    for node in reversed(path):
        found = chains[node] = (node, *found)
    return found


def _common_ancestor(nodes: list[etree._Element], body: etree._Element) -> etree._Element:
    first = [nodes[0], *nodes[0].iterancestors()]
    rest = [{node, *node.iterancestors()} for node in nodes[1:]]
    return next((a for a in first if all(a in chain for chain in rest)), body)


def _main_content(
    body: etree._Element, links: dict, candidates: list[tuple[etree._Element, bool]], dropped: Callable[[etree._Element], bool]
) -> tuple[list[etree._Element], Set[etree._Element]]:
    """The containers that hold the page's main text, in the page's order, and the boxes of comments inside them
    that are not its text (those after a long article)."""
    scores: dict[etree._Element, float] = {}
    verdicts: dict[etree._Element, bool] = {}
    chains: dict[etree._Element, tuple[etree._Element, ...]] = {body: (body,)}  # each element and its ancestors
    held: dict[etree._Element, int] = {}  # the paragraph text each box holds as its children
    for node, whole in candidates:
        if node is body:
            continue  # (text right in the body scores nothing: the body is taken when nothing scores)
        if whole:
            length = links[node][0]  # what a reader sees of it (not its scripts)
            text = "".join(node.itertext())
        else:
            text = _inline_text(node).strip()
            length = len(text)
            if length < MIN_PARAGRAPH:
                continue
        chain = _chain(node, chains)
        if _inside_chrome(chain, dropped, verdicts):
            continue
        # (a code block's commas are its syntax's, not a writer's: a long example outscored its page's prose)
        score = 1 + (0 if node.tag == "pre" else sum(map(text.count, _COMMAS))) + min(length // 100, 3)
        held[chain[1]] = held.get(chain[1], 0) + length
        for level, ancestor in enumerate(chain[1 : 1 + ANCESTOR_LEVELS]):  # the score: the nearest five
            if ancestor not in scores:
                scores[ancestor] = _TAG_WEIGHT.get(ancestor.tag, 0) + _name_weight(ancestor, links.get(ancestor, (0,))[0])
            scores[ancestor] += score / (1 if level == 0 else 2 if level == 1 else level * 3)
    mass: dict[etree._Element, int] = {}  # every box's paragraph text, at any depth
    for box, length in held.items():
        for ancestor in chains[box]:
            mass[ancestor] = mass.get(ancestor, 0) + length
    if not scores:  # no paragraph: the page's marked content, else all of it
        main = next(body.iter("main"), None)
        articles = [a for a in body.iter("article") if next(a.iterancestors("article"), None) is None]
        return [main if main is not None else articles[0] if len(articles) == 1 else body], set()

    def final(node: etree._Element) -> float:
        text, linked, _ = links.get(node, (0, 0, 0))
        return scores.get(node, 0) * (1 - linked / text if text else 1)

    ranked = sorted(scores, key=final, reverse=True)
    top = ranked[0]
    # A page that marks its content (one <main>, holding paragraphs) has it there, when the best box of all is
    # elsewhere (a footer's disclaimer, a sidebar's "about us" outscoring a short text): its <main> is read as the page.
    mains = list(body.iter("main"))
    if len(mains) == 1 and mass.get(main := mains[0], 0) >= MAIN_TEXT and top is not main and main not in top.iterancestors() and top not in main.iterancestors():
        return _main_content(main, links, [(node, whole) for node, whole in candidates if main in node.iterancestors()], dropped)
    total = mass.get(body, 0)
    # Comments outscoring or outweighing the article they follow: the article is the text (a short post's
    # comments are a thread's, taken with it below).
    comments = [n for n in mass if n is not body and _says(n) & _COMMENTS and not _in_comments(n.getparent(), body)]
    written = dict(mass) if comments else mass  # paragraph text outside comments
    for box in comments:
        for ancestor in box.iterancestors():
            written[ancestor] -= mass[box]
            if ancestor is body:
                break
    articles = bool(comments) and _article_before(body, set(comments), {n for n in ranked if written[n] == mass[n] >= THREAD_POST})
    replies = _replies_alike(top, body, held) if articles else []
    if replies:  # a thread whose first post is long: its replies are its text
        articles = False
    not_text = set(comments) if articles else set()  # and not read where the chosen box holds them
    if articles:
        for node in [n for n in scores if 2 * written[n] < mass[n] or _in_comments(n, body)]:  # mostly comments
            del scores[node]
        ranked = [n for n in ranked if n in scores]
        top, total = ranked[0], written[body]
    if mass.get(top, 0) < FALLBACK_SHARE * total:
        top = body
        while True:
            heavy = next((child for child in top if _is_tag(child) and written.get(child, 0) >= MAIN_SHARE * total), None)
            if heavy is None:
                return [top], not_text
            top = heavy
    overruled = None  # the best box, when a thread's posts outweigh it (not taken back as their sibling)
    if not articles and (posts_box := _outweighed(top, mass, written[body] if comments else total, links, body)) is not None:
        overruled, top = top, posts_box
    best = final(top)
    # Several near-best containers (posts of a thread, the parts of a long article): their common ancestor.
    near = [node for node in ranked[1:5] if final(node) >= 0.75 * best] if overruled is None else []
    if len(near) >= 2:
        ancestries = [set(node.iterancestors()) for node in near]
        for ancestor in top.iterancestors() if top is not body else ():
            if sum(ancestor in chain for chain in ancestries) >= 2:
                top = ancestor
                break
            if ancestor is body:
                break
    # A comment among others of its class that hold more text together, nested as replies or not: all of them.
    if not articles and (kin := _kin(top, scores, links)):
        top = _common_ancestor([top, *kin], body)
    # Up while the parent scores more (the container of the paragraphs, not one of them).
    last, threshold = final(top), final(top) / 3
    parent = top.getparent()
    while top is not body and parent is not None and overruled is None:
        if parent in scores:
            if final(parent) < threshold:
                break
            if final(parent) > last:
                top = parent
                break
            last = final(parent)
        if parent is body:
            break
        parent = parent.getparent()
    # Up while the box around adds no paragraph: its headings and short lines belong with the text.
    while top is not body and (parent := top.getparent()) is not None and mass.get(parent, 0) <= mass.get(top, 0):
        top = parent
    # A thread: a short post and its comments, each an <article> (teasers of other pages are mostly links; a
    # long article's comments are not its text).
    posts = [a for a in body.iter("article") if next(a.iterancestors("article"), None) is None and _written(links, a)]
    if len(posts) > 1 and mass.get(top, 0) < THREAD_POST and any(top is a or a in top.iterancestors() or top in a.iterancestors() for a in posts):
        top = _common_ancestor(posts + [top], body)
    if replies:
        top = _common_ancestor([top, *replies], body)
    parent = top.getparent()
    if top is body or parent is None:
        return [top], not_text
    limit = max(10, final(top) * SIBLING_SHARE)
    chosen = []
    for sibling in parent:
        if not _is_tag(sibling) or sibling.tag in _NEVER_TEXT or dropped(sibling):
            continue
        if overruled is not None and sibling is not top and (sibling is overruled or sibling in overruled.iterancestors()):
            continue
        bonus = final(top) * SIBLING_SHARE if sibling.get("class") and sibling.get("class") == top.get("class") else 0
        text, linked, _ = links.get(sibling, (0, 0, 0))
        density = linked / text if text else 0
        if sibling is top or (sibling in scores and final(sibling) + bonus >= limit):
            chosen.append(sibling)
        elif sibling.tag == "p" and ((text > 80 and density < 0.25) or (0 < text <= 80 and density == 0 and
                                     re.search(r"\.( |$)", "".join(sibling.itertext())))):  # fmt: skip
            chosen.append(sibling)
    return chosen, not_text


# A post's furniture: the boxes every post of a thread has around what its author wrote (the author's rank, count
# of posts and location, the votes, "Click to expand"), one class in each post, short in all of them and nowhere
# most of a post's text. The box of what was written has the most of some post's text, however short its replies.
FURNITURE_CHARS = 200  # characters in any one of them
FURNITURE_SHARE = 0.5  # of its post's text, in every post


def _furniture(roots: list[etree._Element], links: dict) -> Set[etree._Element]:
    """The boxes inside the posts of a thread (<article>s or boxes named for a post, a comment, a reply or an answer,
    beside another of their tag and class, mostly text, each with an author or a date) that are furniture: in
    two posts or more with one tag and class, each short and under half its post; not those inside what an author
    wrote (the deepest box holding half a post, and the boxes of the class most posts have it in: a quote's, a
    code box's, a mention's class is the writing's)."""
    named_posts = [node for root in roots for node in root.iterdescendants(etree.Element)  # (in the page's order)
                   if node.tag == "article" or (name := node.get("class")) and _post_named(name)]
    if len(named_posts) < 2:
        return _NONE
    repeated = collections.Counter((node.getparent(), node.tag, node.get("class")) for node in named_posts)
    message: dict[etree._Element, tuple] = {}  # each post's writing
    for node in named_posts:  # a post beside another of its tag and class, mostly text, with an author or a date
        if repeated[node.getparent(), node.tag, node.get("class")] >= 2 and _written(links, node) and (
                next(node.iter("time"), None) is not None or any(map(_meta_kind, node.iterdescendants(etree.Element)))):
            message[node] = _writing(node, links)
    if len(message) < 2:
        return _NONE
    named = collections.Counter((box.tag, box.get("class")) for _, box in message.values() if box is not None)
    writing = {named.most_common(1)[0][0]} if named else set()
    boxes = {box for box, _ in message.values() if not box.get("class")}  # (a short post's writing may be its user's box)
    post_of: dict[etree._Element, etree._Element] = {}  # each element's nearest post
    in_writing: set[etree._Element] = set()
    kinds: dict[tuple[str, str], list[tuple[etree._Element, etree._Element]]] = {}
    for post in message:
        if post in post_of:  # (inside another post: seen)
            continue
        for node in post.iterdescendants(etree.Element):
            parent = node.getparent()
            post_of[node] = above = parent if parent in message else post_of[parent]
            name = node.get("class")
            if parent in in_writing or node in boxes or (node.tag, name) in writing:
                in_writing.add(node)
            if name and node.tag not in _PARAGRAPH_TAGS and node.tag not in _HEADINGS and not (node.tag in _NAMED_NOT_DROPPED and _in_sentence(parent)):
                kinds.setdefault((node.tag, name), []).append((node, above))
    found: set[etree._Element] = set()
    for instances in kinds.values():
        if len(instances) < 2 or len({post for _, post in instances}) < 2:
            continue
        if all((text := links.get(node, (0,))[0]) <= FURNITURE_CHARS and text < FURNITURE_SHARE * links.get(post, (0,))[0]
               for node, post in instances):
            found.update(node for node, _ in instances if node not in in_writing)
    return found


def _in_sentence(parent: etree._Element) -> bool:
    """Does a box hold a sentence of its own around its inline elements (a mention, a tag, a link in a reply)?"""
    return len((parent.text or "").strip()) + sum(len(child.tail.strip()) for child in parent if child.tail) >= MIN_PARAGRAPH


def _writing(post: etree._Element, links: dict) -> tuple[etree._Element, etree._Element | None]:
    """The deepest box of a post that holds half its text, and the deepest of them with a class."""
    half, box, named = FURNITURE_SHARE * links.get(post, (0,))[0], post, None
    while True:
        sizes = [(links[child][0], child) for child in box if child in links]
        if not sizes:
            return box, named
        size, child = max(sizes, key=lambda pair: pair[0])
        if size < half:
            return box, named
        box = child
        named = box if box.get("class") else named


_NONE: frozenset[etree._Element] = frozenset()
COPY = 200  # characters: a box this long that repeats its sibling word for word is the page's layout for another screen


def _copies(node: etree._Element, links: dict, skipped: Callable[[etree._Element], bool]) -> Set[etree._Element]:
    """The children that repeat an earlier child's text word for word (a site builder's mobile and desktop
    versions of one block, all but one hidden by style sheets; a copy hidden by its style is not the one kept)."""
    if len(node) < 2:  # (asked of every element the walk enters)
        return _NONE
    seen: dict[tuple[int, int, int], list[etree._Element]] = {}
    copies: set[etree._Element] = set()
    for child in node:
        counts = links.get(child)
        if counts is None or counts[0] < COPY or skipped(child):
            continue
        earlier = seen.setdefault(counts, [])
        if earlier and any(_same_text(child, other) for other in earlier):
            copies.add(child)
        else:
            earlier.append(child)
    return copies


def _same_text(a: etree._Element, b: etree._Element) -> bool:
    return "".join(a.itertext()).split() == "".join(b.itertext()).split()


# Where beautifulsoup's get_text, which the text of a `pre` followed, leaves strings out.
_STRING_CONTAINERS = {"script", "style", "template", "rt", "rp"}


def _pre_text(node: etree._Element) -> str:
    """The text of a `pre`, as beautifulsoup's get_text gave it: not what script, style, template and ruby
    annotations hold, nor comments; a `<br>` a line break, as a browser shows it (code pasted as `line<br>line`)."""
    parts: list[str] = []
    stack: list[tuple[object, bool]] = [(node, any(a.tag in _STRING_CONTAINERS for a in node.iterancestors()))]
    while stack:  # (a string or an element, whether it is inside one whose strings are left out)
        item, hidden = stack.pop()
        if isinstance(item, str):
            parts.append("" if hidden else item)
        elif _is_tag(item):
            if item.tag == "br":
                parts.append("\n")
            inside = hidden or item.tag in _STRING_CONTAINERS
            stack.extend((child, inside) for child in reversed(_contents(item)))
    return "".join(parts)


# libxml2 builds its tree at most this deep and drops the rest of the page; a page that reaches it is read again
# into a tree built from the parser's events, as beautifulsoup built its own (slower, and never needed by a real page),
# with what stands deeper than that read as the text of its ancestor at that depth: a page nested a million deep
# (hostile, or broken markup that never closes a tag) keeps all its text, and the tree and the time and memory of
# the walks stay bounded (the walk keeps each element's ancestors: a million deep took more than 20 GB).
_LIBXML2_DEPTH = 2048
_DEEPEST = etree.XPath("/".join(["*"] * (_LIBXML2_DEPTH - 2)))  # an element as deep as libxml2 builds (0.1-0.2 ms)
_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")


class _AnyDepth(etree.TreeBuilder):
    depth = 0  # of the element being read; those deeper than _LIBXML2_DEPTH are not built, their text is kept

    def start(self, tag, attrib, nsmap=None):  # noqa: ANN001, ANN201
        self.depth += 1
        if self.depth > _LIBXML2_DEPTH:
            return self.data("\n")  # where an element begins or ends, words do not run together
        # Names like "xmlns:fb" or "@click", which an lxml element cannot hold (none of them is read here).
        return super().start(tag, {k: v for k, v in attrib.items() if _XML_NAME.match(k)})

    def end(self, tag):  # noqa: ANN001, ANN201
        self.depth -= 1
        return self.data("\n") if self.depth >= _LIBXML2_DEPTH else super().end(tag)


# lxml.html's elements without lxml.html's lookup, a Python call for every element either extractor touches (its
# form elements' own classes are of no use here): the same trees, 4-7 % less time for each extractor.
_HTML_ELEMENTS = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity
)


def parse_html(markup: str, any_depth: bool = False) -> etree._Element | None:
    """The page as lxml's HTML parser reads it, as lxml.html elements, comments left out: the tree trafilatura takes
    too (read_page parses once for both; html_to_text's and the vote's texts were the same as with lxml's plain
    elements and comments on the 2,276 pages of the extraction, chrome and bench sets). `any_depth`: plain elements,
    built from the parser's events (_AnyDepth). In one piece: fed in beautifulsoup's 512-character chunks, it gave
    the same text, a quarter slower. None for a page without any element."""
    if any_depth:
        parser = etree.HTMLParser(recover=True, target=_AnyDepth(insert_comments=False))
    else:
        parser = etree.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False)
        parser.set_element_class_lookup(_HTML_ELEMENTS)
    parser.feed(markup)
    try:
        page = parser.close()
    except etree.XMLSyntaxError:
        return None
    return page if _is_tag(page) else None


def html_to_text(markup: str, any_depth: bool = False, page: etree._Element | None = None) -> HtmlText:
    """Extract the main content of an HTML page. Inline elements never break a sentence; blocks do.
    `any_depth`: read the page without libxml2's limit on depth (it does so by itself for a page that reaches it).
    `page`: parse_html's tree of `markup`, where the caller has it already."""
    page = parse_html(markup, any_depth) if page is None or any_depth else page
    if page is None:  # nothing but text outside any element, or comments
        return HtmlText("", None, None, "no element in the page")
    title_tag = next(page.iter("title"), None)
    title = " ".join(s.strip() for s in title_tag.itertext() if s.strip()) if title_tag is not None else None
    lang = page.get("lang") if page.tag == "html" else None
    body = next(page.iter("body"), None)
    body = body if body is not None else page
    if not any_depth and markup.count("<") >= _LIBXML2_DEPTH and _DEEPEST(page):  # maybe cut short
        return html_to_text(markup, any_depth=True)
    links, candidates = _tally(body)
    chrome: dict[etree._Element, bool] = {}  # both walks ask of most elements

    def dropped(node: etree._Element, outer: int = _unlinked(links, body)) -> bool:
        # A page template's state classes on the body ("single-post header-dark"), a form or a header wrapping
        # the whole page, a container "hidden" until its scripts run: what holds most of the text stays.
        if node not in chrome:
            chrome[node] = ((node.tag in _CHROME_TAGS and not _own_header(node)) or _hidden(node)) and not (
                _unlinked(links, node) >= AD_TEXT and _ad_box(node) and not _hidden(node, ads=False))
        return chrome[node] and (_unlinked(links, node) < PROTECTED_SHARE * outer or outer == 0)

    roots, comments = _main_content(body, links, candidates, dropped)
    within = sum(_unlinked(links, root) for root in roots)
    furniture = _furniture(roots, links)
    site = _site(page)

    def walk(teasers: bool) -> tuple[list[str], int, list[etree._Element], dict]:
        """The page's paragraphs; with `teasers`, lists of links whose links read as headlines are text too."""
        lines: list[tuple[str, bool, bool]] = []  # each paragraph, whether it is made of links, whether a heading
        current: list[str] = []
        inside = {_LINK: 0, _TRUSTED: 0, _HEADING: 0, _IN_CELL: 0}  # how many of each the walk is in
        line_links = [0]  # characters of the current line inside links
        took_meta = [False]  # whether an author or a date left the current line (for metadata)

        def flush() -> None:
            line = " ".join(drop_unseen("".join(current)).split())  # runs of whitespace as one space, as a browser shows it
            if _CELL_END in line:  # a table's row: its cells apart by tabs (" | " would read as a bar of links)
                line = "\t".join(cell.strip() for cell in line.split(_CELL_END)).rstrip("\t")
            if line.strip(_INVISIBLE + " ") and not (took_meta[0] and _residue(line)):  # "Posted by", "#3", what a post's header leaves
                lines.append((line, line_links[0] >= LINKED_LINE * len(line), inside[_HEADING] > 0))
            line_links[0], took_meta[0] = 0, False
            current.clear()

        def skipped(node: etree._Element) -> bool:  # chrome around the text, or inside its box, or comments after it
            return dropped(node, within) or (_inner_chrome(node) and _unlinked(links, node) < INNER_SHARE * within) or node in comments

        # An explicit stack instead of recursion: thousands of nested tags must not overflow.
        stack: list[object] = []
        left_out: list[etree._Element] = []  # what the walk skipped, for the reason when nothing is left
        posts: dict[etree._Element, dict[str, str]] = {}  # each post's (or article's) author and date, in order
        for root in reversed(roots):
            stack.extend((flush, root))
        while stack:
            node = stack.pop()
            if node is flush:
                flush()
                continue
            if node in inside:  # pushed after an element's contents: the walk leaves it
                inside[node] -= 1
                continue
            if isinstance(node, str):  # text, or a cell separator pushed below
                current.append(node)
                line_links[0] += len(node.strip()) if inside[_LINK] and not inside[_TRUSTED] else 0
                continue
            tag = node.tag
            if not isinstance(tag, str) or tag in _NEVER_TEXT:  # (a comment)
                continue
            if node not in roots and skipped(node):
                left_out.append(node)
                continue
            if node not in roots and (kind := _meta_kind(node)) and (post := _post_of(node, roots)) is not None:
                said = posts.setdefault(post, {})
                if kind not in said and (value := _meta_value(node, kind)):
                    said[kind], took_meta[0] = value, True
                    continue
            if node in furniture:  # (its author and date still said of the post)
                for part in node.iterdescendants(etree.Element):
                    if (kind := _meta_kind(part)) and (post := _post_of(part, roots)) is not None:
                        said = posts.setdefault(post, {})
                        if kind not in said and (value := _meta_value(part, kind)):
                            said[kind] = value
                left_out.append(node)
                continue
            if tag in _LIST_TAGS and _mostly_links(*links.get(node, (0, 0, 0))) and node.find(".//h1") is None:
                # a menu, a list of related stories, a tag cloud: links, not text (not the page's title and byline);
                # but inside a page's marked content a list of links may be the content (a page of references)
                if (tag not in _LISTS or next(node.iterancestors("main"), None) is None) and not (teasers and _teasers(links[node])):
                    left_out.append(node)
                    continue
                inside[_TRUSTED] += 1  # (nor are its lines links after the text, below)
                stack.append(_TRUSTED)
            if tag == "pre":  # keep code's own line breaks
                flush()
                lines.extend((line, False, False) for line in _pre_text(node).splitlines() if line.strip())
                continue
            if node not in roots and _pointer(node, links, site):
                left_out.append(node)
                continue
            if tag in _BLOCK_TAGS and inside[_IN_CELL]:  # a cell's paragraph or line break stays on its row's line
                current.append(" ")
                stack.append(" ")
            elif tag in _BLOCK_TAGS:
                flush()
                if tag in _HEADINGS:
                    inside[_HEADING] += 1
                    stack.append(_HEADING)
                stack.append(flush)
            elif tag == "a" and node.get("href") is not None:
                inside[_LINK] += 1
                stack.append(_LINK)
            elif tag in _CELL_TAGS:
                stack.append(_CELL_END)
                if links.get(node, (0,))[0] <= CELL_LINE and sum(e.tag in _BLOCK_TAGS for e in node.iterdescendants()) <= 1:
                    inside[_IN_CELL] += 1
                    stack.append(_IN_CELL)
            copies = _copies(node, links, skipped)
            for child in reversed(node):  # its text, then each child and its tail, taken from the top of the stack
                if child.tail:
                    stack.append(child.tail)
                if child not in copies:
                    stack.append(child)
            if node.text:
                stack.append(node.text)
        flush()
        # After the last line of writing, lines made of links are the other pages a page points to (related stories,
        # tags, "next post"), and a heading with nothing after it heads what went; a page of nothing but links keeps them.
        writing = (k for k in range(len(lines) - 1, -1, -1) if not lines[k][1] and len(lines[k][0]) >= MIN_PARAGRAPH)
        last = next(writing, len(lines) - 1)
        after: list[str] = []  # what stays after it, from the end
        for line, links_only, a_heading in reversed(lines[last + 1 :]):
            if not links_only and not (a_heading and not after):
                after.append(line)
        paragraphs = [line for line, _, _ in lines[: last + 1]] + after[::-1]
        return paragraphs, sum(len(line) for line, _, _ in lines), left_out, posts

    paragraphs, after, left_out, posts = walk(teasers=False)
    if not paragraphs and any(_teasers(links.get(node, (0, 0, 0))) for node in left_out):
        # A page of nothing but lists of links whose links are headlines (a listing: "Renting a car could lead to
        # your arrest") is read for them: a person sees them as its content, and the page would give nothing.
        paragraphs, after, left_out, posts = walk(teasers=True)
    why = None if paragraphs else _why_empty(page, body, links, roots, left_out, after, site)
    found = tuple((said.get("author"), said.get("date")) for said in posts.values() if said)
    return HtmlText("\n".join(paragraphs), title or None, str(lang) if lang else None, why, found)


# A pointer to another page of the site set into the text: a few words and a colon, then one link that reads as a
# headline ("Read more: Looted colonial art: Germany to set up new contact office", "Czytaj też: …", "Lea también:
# …"). The story it points to is not this page's; a link to another site ("Website: …", a podcast's shownotes), a
# phone number, a case number or a label with a date in it is the text's own.
_POINTER_BLOCKS = {"p", "div", "li", "h2", "h3", "h4", "h5", "h6"}
POINTER_LABEL = 4  # words before the colon
POINTER_WORDS = 3  # words of letters in the link, at least: a headline, not a number or a name
POINTER_LINK = 150  # characters in the link, at most: a headline, not a paragraph
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")


def _host(url: str) -> str | None:
    """The host a link or an address names, without "www."; "" for a link within the site, None for a link that
    is no page (mailto:, tel:, javascript:, #…) or cannot be read."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not url or url.startswith("#") or parts.scheme not in ("", "http", "https"):
        return None
    return (parts.hostname or "").removeprefix("www.")


def _site(page: etree._Element) -> str:
    """The page's own host, as its canonical address or og:url says ("" where it says none)."""
    head = page.find("head")
    for node in () if head is None else head.iter("link", "meta"):
        if node.tag == "link" and "canonical" in (node.get("rel") or "").lower().split():
            address = node.get("href")
        elif node.tag == "meta" and (node.get("property") or "").lower() == "og:url":
            address = node.get("content")
        else:
            continue
        if address and (host := _host(address)):
            return host
    return ""


def _pointer(node: etree._Element, links: dict, site: str) -> bool:
    """Whether a block is a pointer to another page of the site (above), nothing else."""
    text, linked, count = links.get(node, (0, 0, 0))
    if node.tag not in _POINTER_BLOCKS or count != 1 or not 0 < linked <= POINTER_LINK or linked < text / 2:
        return False
    link = next((a for a in node.iter("a") if a in links), None)  # the one counted (not one inside an <svg>)
    if link is None or (host := _host(link.get("href") or "")) is None or host not in ("", site):
        return False
    words, whole = (" ".join("".join(e.itertext()).split()) for e in (link, node))
    if len(_LETTER_WORD.findall(words)) < POINTER_WORDS or words not in whole:
        return False
    label, _, rest = whole.partition(words)
    return (label.rstrip().endswith(":") and not rest.strip(" .…»›>") and len(_LETTER_WORD.findall(label)) <= POINTER_LABEL
            and not _DIGIT.search(label))


def _residue(line: str) -> bool:
    """A few words that do not end a sentence: what is left of a post's header once its author and date are taken."""
    return len(line.split()) <= 3 and not line.rstrip().endswith((".", "!", "?"))


def _meta_kind(node: etree._Element) -> str | None:
    """Whether an element says who wrote a post, or when."""
    if node.tag == "time":
        return "date"
    if node.get("itemprop") in ("author", "creator") or node.get("rel") == "author" or _says(node) & _AUTHOR:
        return "author"
    return None


def _meta_value(node: etree._Element, kind: str) -> str | None:
    """A date (its machine-readable form where the page gives one), or a name: its link's words (a name linked to
    its profile, beside the author's rank and count of posts), else its own; None when it is longer."""
    text = " ".join("".join(node.itertext()).split())
    if len(text) > META_CHARS:
        return None
    if kind == "date":
        return node.get("datetime") or text or None
    link = next((a for a in node.iter("a") if "".join(a.itertext()).strip()), None)
    name = " ".join("".join(link.itertext()).split()) if link is not None else text
    return name if 0 < len(name.split()) <= NAME_WORDS else None


def _post_of(node: etree._Element, roots: list[etree._Element]) -> etree._Element | None:
    """The post, comment or article an element is in (the outermost, below the main content's root)."""
    found = None
    for box in node.iterancestors():
        if box in roots:
            return found
        if box.tag == "article" or any(_POST_NAMES.search(name.lower()) for name in (box.get("class"), box.get("id")) if name):
            found = box
    return None


def _why_empty(
    page: etree._Element, body: etree._Element, links: dict, roots: list[etree._Element], left_out: list[etree._Element], after: int,
    site: str,
) -> str:
    """What a page that gives no text held, and which rules left it out, the largest first: "the page's 3,211
    characters of text all left out: 3,092 in lists of links, 119 in <footer>"."""
    total = links.get(body, (0,))[0]
    if not total:
        scripts = sum(len(s.text or "") for s in page.iter("script", "template"))
        return f"the page has no text outside its scripts ({scripts:,} characters of script)" if scripts else "the page has no text"
    why: dict[str, int] = {}
    for node in left_out:
        rule = _rule(node, links, site)
        why[rule] = why.get(rule, 0) + links.get(node, (0,))[0]
    if outside := total - sum(links.get(root, (0,))[0] for root in roots):
        why[f"outside the box taken as the main content ({_named(roots[0])})"] = outside
    if after:
        why["in lines of links after the text"] = after
    parts = [f"{n:,} {rule}" for rule, n in sorted(why.items(), key=lambda item: -item[1]) if n][:3]
    return f"the page's {total:,} characters of text all left out: {', '.join(parts)}"


def _rule(node: etree._Element, links: dict, site: str) -> str:
    """Which rule of the walk left a box out, in a few words."""
    if _pointer(node, links, site):
        return "in pointers to other pages of the site"
    if node.tag in _CHROME_TAGS:
        return f"in <{node.tag}>"
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return "in boxes marked hidden"
    if node.get("role") in _DROP_ROLES:
        return f'in role="{node.get("role")}"'
    if (style := (node.get("style") or "").replace(" ", "").lower()) and ("display:none" in style or "visibility:hidden" in style):
        return "in boxes styled invisible"
    if _says(node) & (_DROP | _INNER | _AD | _SIGNATURE):
        return f"in boxes named like page chrome ({_named(node)})"
    return "in lists of links" if _mostly_links(*links.get(node, (0, 0, 0))) else f"in {_named(node)}"


def _named(node: etree._Element) -> str:
    name = " ".join(f'{key}="{node.get(key)[:30]}"' for key in ("id", "class") if node.get(key))
    return f"<{node.tag}{' ' + name if name else ''}>"
