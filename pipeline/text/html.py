"""HTML to plain text: the main content as paragraphs, the page's title and language as metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Tag

# Never content: the page's machinery and its interface around the text.
_DROP_TAGS = {
    "script", "style", "noscript", "template", "head", "nav", "header", "footer", "aside", "form", "button",
    "select", "input", "textarea", "iframe", "svg", "canvas", "object", "embed", "dialog", "menu",
}  # fmt: skip
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
_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|div|p)\b", re.I | re.S)


@dataclass(frozen=True)
class HtmlText:
    text: str
    title: str | None
    lang: str | None


def looks_like_html(text: str, filename: str = "") -> bool:
    return filename.lower().endswith((".html", ".htm", ".xhtml")) or bool(_HTML_START.match(text[:2048]))


def _hidden(tag: Tag) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = str(attrs.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if attrs.get("role") in _DROP_ROLES:
        return True
    if tag.name in _NAMED_NOT_DROPPED:  # a heading's anchor may be class="header": it is still the heading
        return False
    names = " ".join([*(attrs.get("class") or []), str(attrs.get("id", ""))])
    return bool(names and _DROP_NAMES.search(names))


# Blocks judged by how much of their text is links (a menu or a list of headlines, wherever it stands).
_LIST_TAGS = {"ul", "ol", "div", "section", "table", "dl", "p", "td"}
MAX_LINK_SHARE = 0.6  # of a block's characters; prose with links stays far below it
MIN_LINKS = 3
MAX_UNLINKED = 300  # characters of text outside links: more, and the block holds writing (keep it)


def _mostly_links(text: int, linked: int, count: int) -> bool:
    return count >= MIN_LINKS and linked > MAX_LINK_SHARE * text and text - linked < MAX_UNLINKED


def _link_density(root: Tag) -> dict[int, tuple[int, int, int]]:
    """For every element under `root`: its visible characters, those inside links, and its links. One pass
    from the leaves up, without recursion (pages nest thousands deep)."""
    totals: dict[int, tuple[int, int, int]] = {}
    order: list[Tag] = []
    stack: list[Tag] = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(child for child in node.children if isinstance(child, Tag) and child.name not in _DROP_TAGS)
    for node in reversed(order):  # children before parents
        text = linked = count = 0
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, str):
                text += len(child.strip())
            elif isinstance(child, Tag) and id(child) in totals:
                t, l, c = totals[id(child)]
                text, linked, count = text + t, linked + l, count + c
        if node.name == "a":
            linked, count = text, count + 1
        totals[id(node)] = (text, linked, count)
    return totals


def html_to_text(markup: str) -> HtmlText:
    """Extract the main content of an HTML page. Inline elements never break a sentence; blocks do."""
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception:  # lxml gave up on the markup: the pure-Python parser survives anything
        soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    main = soup.find("main") or soup.find("article")
    root = main or soup.body or soup
    # Blocks of links are menus and lists of other stories; but inside a page's marked content a list of
    # links may be the content (a page of references), so there only lists are trusted.
    links = _link_density(root)
    judged = _LIST_TAGS - {"ul", "ol", "dl"} if main else _LIST_TAGS
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = re.sub(r"\s+", " ", "".join(current)).strip().removesuffix(" |")
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
        if isinstance(node, Comment):
            continue
        if isinstance(node, str):  # text, or a cell separator pushed below
            current.append(str(node))
            continue
        if not isinstance(node, Tag) or node.name in _DROP_TAGS or _hidden(node):
            continue
        if node.name in judged and _mostly_links(*links.get(id(node), (0, 0, 0))):
            continue  # a menu, a list of related stories, a tag cloud: links, not text
        if node.name == "pre":  # keep code's own line breaks
            flush()
            paragraphs.extend(line for line in node.get_text().splitlines() if line.strip())
            continue
        block = node.name in _BLOCK_TAGS
        if block:
            flush()
            stack.append(flush)
        elif node.name in _CELL_TAGS:
            stack.append(" | ")
        stack.extend(reversed(node.contents))
    flush()
    return HtmlText("\n".join(paragraphs), title or None, str(lang) if lang else None)
