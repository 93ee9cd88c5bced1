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
    names = " ".join([*(attrs.get("class") or []), str(attrs.get("id", ""))])
    return bool(names and _DROP_NAMES.search(names))


def html_to_text(markup: str) -> HtmlText:
    """Extract the main content of an HTML page. Inline elements never break a sentence; blocks do."""
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception:  # lxml gave up on the markup: the pure-Python parser survives anything
        soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    root = soup.find("main") or soup.find("article") or soup.body or soup
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
