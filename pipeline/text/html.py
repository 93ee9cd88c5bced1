"""HTML to plain text: the main content as paragraphs, the page's title and language as metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

# Never text a person reads: the page's machinery and its controls.
_NEVER_TEXT = {
    "script", "style", "noscript", "template", "head", "button", "select", "input",
    "textarea", "iframe", "svg", "canvas", "object", "embed",
}  # fmt: skip
# The page's interface around the text: dropped, unless one of them holds most of the page's text (see `dropped` in html_to_text).
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form", "dialog", "menu"}
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_DROP_NAMES = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|sidebar|footer|header|cookie|consent|banner|share|social|"
    r"related|toc|table-of-contents|comment-form|advert|ads?|promo|newsletter|subscribe|pagination)([\s_-]|$)",
    re.I,
)
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "li", "ul", "ol", "dl", "dt", "dd", "table",
    "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "address", "details", "summary", "hr", "br",
    "body", "html", "center",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}
# Class and id names judge containers; inside a sentence or a heading they name styles, not chrome.
_NAMED_NOT_DROPPED = {"a", "span", "em", "strong", "b", "i", "code", "small", "h1", "h2", "h3", "h4", "h5", "h6", "p"}
_HTML_START = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p)\b", re.I | re.S)


@dataclass(frozen=True)
class HtmlText:
    text: str
    title: str | None
    lang: str | None


def looks_like_html(text: str, filename: str = "") -> bool:
    return filename.lower().endswith((".html", ".htm", ".xhtml")) or bool(_HTML_START.match(text[:2048]))


def _hidden(tag: etree._Element) -> bool:
    attrs = tag.attrib
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = str(attrs.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if attrs.get("role") in _DROP_ROLES:
        return True
    if tag.tag in _NAMED_NOT_DROPPED:  # a heading's anchor may be class="header": it is still the heading
        return False
    names = f"{attrs.get('class', '')} {attrs.get('id', '')}"
    return bool(_DROP_NAMES.search(names))


# Blocks judged by how much of their text is links (a menu or a list of headlines, wherever it stands).
_LIST_TAGS = {"ul", "ol", "div", "section", "table", "dl", "p", "td"}
MAX_LINK_SHARE = 0.6  # of a block's characters; prose with links stays far below it
MIN_LINKS = 3
PROTECTED_SHARE = 0.5  # of the text outside links under the root: a "chrome" container holding more is the page
MAX_UNLINKED = 300  # characters of text outside links: more, and the block holds writing (keep it)


def _mostly_links(text: int, linked: int, count: int) -> bool:
    return count >= MIN_LINKS and linked > MAX_LINK_SHARE * text and text - linked < MAX_UNLINKED


def _contents(node: etree._Element) -> list:
    """A node's children as a tree of strings and elements has them: its text, then each child and its tail."""
    found: list = [node.text] if node.text else []
    for child in node:
        found.append(child)
        if child.tail:
            found.append(child.tail)
    return found


def _is_tag(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)  # not a comment or an instruction


def _link_density(root: etree._Element) -> tuple[dict[etree._Element, tuple[int, int, int]], int]:
    """For every element under `root`: its visible characters, those inside links, and its links; and how deep
    the elements nest. One pass from the leaves up, without recursion (pages nest thousands deep). Keyed by the
    elements themselves: lxml keeps one Python object for a node only while something holds it."""
    totals: dict[etree._Element, tuple[int, int, int]] = {}
    order: list[etree._Element] = []
    stack: list[tuple[etree._Element, int]] = [(root, 0)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        order.append(node)
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node if _is_tag(child) and child.tag not in _NEVER_TEXT)
    for node in reversed(order):  # children before parents
        text = linked = count = 0
        for child in _contents(node):
            if isinstance(child, str):
                text += len(child.strip())
            elif child in totals:
                t, l, c = totals[child]
                text, linked, count = text + t, linked + l, count + c
        if node.tag == "a":
            linked, count = text, count + 1
        totals[node] = (text, linked, count)
    return totals, deepest


# Where beautifulsoup's get_text, which the text of a `pre` followed, leaves strings out.
_STRING_CONTAINERS = {"script", "style", "template", "rt", "rp"}


def _pre_text(node: etree._Element) -> str:
    """The text of a `pre`, as beautifulsoup's get_text gave it: not what script, style, template and ruby
    annotations hold, nor comments."""
    parts: list[str] = []
    stack: list[tuple[object, bool]] = [(node, any(a.tag in _STRING_CONTAINERS for a in node.iterancestors()))]
    while stack:  # (a string or an element, whether it is inside one whose strings are left out)
        item, hidden = stack.pop()
        if isinstance(item, str):
            parts.append("" if hidden else item)
        elif _is_tag(item):
            inside = hidden or item.tag in _STRING_CONTAINERS
            stack.extend((child, inside) for child in reversed(_contents(item)))
    return "".join(parts)


# libxml2 builds its tree at most this deep and drops the rest of the page; a page that reaches it is read again
# into a tree built from the parser's events, as beautifulsoup built its own (slower, and never needed by a real page).
_LIBXML2_DEPTH = 2048
_XML_NAME = re.compile(r"[A-Za-z_][\w.-]*\Z")


class _AnyDepth(etree.TreeBuilder):
    def start(self, tag, attrib, nsmap=None):  # noqa: ANN001, ANN201
        # Names like "xmlns:fb" or "@click", which an lxml element cannot hold (none of them is read here).
        return super().start(tag, {k: v for k, v in attrib.items() if _XML_NAME.match(k)})


def _parse(markup: str, any_depth: bool = False) -> etree._Element | None:
    """The page as lxml's HTML parser reads it, fed in the chunks beautifulsoup fed it (a tree can depend on
    where the parser stopped). None for a page without any element."""
    target = {"target": _AnyDepth(insert_comments=True)} if any_depth else {"huge_tree": True}
    parser = etree.HTMLParser(recover=True, **target)
    for start in range(0, len(markup), 512):
        parser.feed(markup[start : start + 512])
    try:
        page = parser.close()
    except etree.XMLSyntaxError:
        return None
    return page if _is_tag(page) else None


def html_to_text(markup: str, any_depth: bool = False) -> HtmlText:
    """Extract the main content of an HTML page. Inline elements never break a sentence; blocks do.
    `any_depth`: read the page without libxml2's limit on depth (it does so by itself for a page that reaches it)."""
    page = _parse(markup, any_depth)
    if page is None:  # nothing but text outside any element, or comments
        return HtmlText("", None, None)
    title_tag = next(page.iter("title"), None)
    title = " ".join(s.strip() for s in title_tag.itertext() if s.strip()) if title_tag is not None else None
    lang = page.get("lang") if page.tag == "html" else None
    main = next(page.iter("main"), None)
    if main is None:  # one article is the page's text; several (a thread's post and comments) are not: the body
        articles = [a for a in page.iter("article") if next(a.iterancestors("article"), None) is None]
        main = articles[0] if len(articles) == 1 else None
    body = next(page.iter("body"), None)
    root = main if main is not None else body if body is not None else page
    # Blocks of links are menus and lists of other stories; but inside a page's marked content a list of
    # links may be the content (a page of references), so there only lists are trusted.
    links, depth = _link_density(root)
    if depth + sum(1 for _ in root.iterancestors()) >= _LIBXML2_DEPTH - 2 and not any_depth:  # maybe cut short
        return html_to_text(markup, any_depth=True)
    root_text, root_linked, _ = links[root]
    protect = PROTECTED_SHARE * (root_text - root_linked)

    def dropped(node: etree._Element) -> bool:
        if node.tag not in _CHROME_TAGS and not _hidden(node):
            return False
        # A page template's state classes on the body ("single-post header-dark"), a form or a header wrapping
        # the whole page, a container "hidden" until its scripts run: what holds most of the text stays.
        text, linked, _ = links.get(node, (0, 0, 0))
        return text - linked < protect or protect == 0
    judged = _LIST_TAGS - {"ul", "ol", "dl"} if main is not None else _LIST_TAGS
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split()).removesuffix(" |")  # runs of whitespace as one space
        if line:
            paragraphs.append(line)
        current.clear()

    # An explicit stack instead of recursion: thousands of nested tags must not overflow.
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is flush:
            flush()
            continue
        if isinstance(node, str):  # text, or a cell separator pushed below
            current.append(node)
            continue
        if not _is_tag(node) or node.tag in _NEVER_TEXT or dropped(node):
            continue
        if node.tag in judged and _mostly_links(*links.get(node, (0, 0, 0))) and node.find(".//h1") is None:
            continue  # a menu, a list of related stories, a tag cloud: links, not text (not the page's title and byline)
        if node.tag == "pre":  # keep code's own line breaks
            flush()
            paragraphs.extend(line for line in _pre_text(node).splitlines() if line.strip())
            continue
        block = node.tag in _BLOCK_TAGS
        if block:
            flush()
            stack.append(flush)
        elif node.tag in _CELL_TAGS:
            stack.append(" | ")
        stack.extend(reversed(_contents(node)))
    flush()
    return HtmlText("\n".join(paragraphs), title or None, str(lang) if lang else None)
