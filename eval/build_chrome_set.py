"""Rebuild eval/data/chrome/: pages and text exports with every line labelled content or chrome. Run:
`make chrome-set` (needs the network's package index: it downloads newspaper4k's sdist for its test pages).

- news: real article pages from newspaper4k's test data (MIT), labelled by the article text newspaper4k's own
  tests expect: those lines are content; any other visible line of the page is chrome.
- documentation: pages of the Rust documentation the toolchain ships (MIT/Apache-2.0): the text of `<main>` is
  content, the table of contents, menu bar and page navigation chrome.
- forums, Q&A, social threads, storefronts, blogs: text exports written here in the shape each engine prints
  (Lemmy, Reddit, Hacker News, Discourse, Stack Exchange, phpBB, Mastodon, X, two storefronts, a blog), with
  real prose from the READMEs and NEWS files of Debian packages as what people wrote. Labelled as built.
"""

import gzip
import json
import pathlib
import random
import re
import subprocess
import sys
import tarfile
import tempfile

from bs4 import BeautifulSoup

OUT = pathlib.Path(__file__).resolve().parent / "data" / "chrome"
NEWS = ["arabic_article", "latvian_article", "chinese_article_002", "cleveland.com1", "japanese_article2"]
# Where newspaper4k's expected text holds a line of the page's interface, corrected by hand.
NEWS_CHROME = {"cleveland.com1": {"Related Stories"}}
RUST_DOCS = pathlib.Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rustdoc"
DOCS = ["what-is-rustdoc.html", "references.html"]
SEED = 20261123


def prose(rng: random.Random, n: int) -> list[str]:
    """n paragraphs people wrote: from Debian packages' README and NEWS files, each on one line."""
    paragraphs = []
    for path in sorted(pathlib.Path("/usr/share/doc").glob("*/*")):
        if not re.match(r"(README|NEWS)", path.name) or path.suffix not in ("", ".gz", ".md"):
            continue
        try:
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError):
            continue
        for block in re.split(r"\n\s*\n", text):
            line = " ".join(block.split())
            # sentences, not headings, lists, code or signatures
            if 80 <= len(line) <= 400 and line[0].isupper() and line.endswith(".") and not re.search(r"[<>{}$=#|*]|--|\bhttps?:", line):
                paragraphs.append(line)
    return rng.sample(sorted(set(paragraphs)), n)


def content(lines: list[str]) -> list[list[str]]:
    return [["content", line] for line in lines]


def chrome(*lines: str) -> list[list[str]]:
    return [["chrome", line] for line in lines]


def exports(rng: random.Random) -> list[dict]:
    """Text exports in the shape of each engine; `p()` is the next paragraph a person wrote."""
    pool = iter(prose(rng, 60))

    def p() -> str:
        return next(pool)

    docs = []

    def doc(kind: str, name: str, *parts: list[list[str]]) -> None:
        docs.append({"kind": kind, "name": name, "format": "text", "lines": [x for part in parts for x in part]})

    doc("forum: Lemmy", "lemmy-thread", chrome("Home", "Communities", "Create Post"), content(["Building packages without network access"]),
        chrome("submitted 3 hours ago by", "maintainer@lemmy.world", "to", "debian@lemmy.ml", "42", "↑", "↓"),
        content([p(), p()]), chrome("18 comments", "Sort: Hot"), chrome("kris@feddit.de", "7", "2 hours ago", "link", "reply"),
        content([p()]), chrome("  ahmed@lemmy.ml", "3", "1 hour ago", "link", "reply", "report"), content([p()]),
        chrome("Load more comments", "Powered by Lemmy"))
    doc("forum: Reddit", "reddit-thread", chrome("r/linux", "Posted by u/packager_joe", "5h"), content(["Why do the docs say this?"]),
        content([p()]), chrome("1.2k", "Upvote", "Downvote", "243 Comments", "Share", "Award", "Sort by: Best"),
        chrome("level 1", "u/quietreader", "· 4h"), content([p(), p()]), chrome("87", "Reply", "Give Award", "Share", "Report", "Save"),
        chrome("level 2", "u/packager_joe", "OP · 3h"), content([p()]), chrome("21", "Reply", "More replies", "View entire discussion (243 comments)"))
    doc("forum: Hacker News", "hn-thread", chrome("Hacker News new | past | comments | ask | show | jobs | submit", "login"),
        content(["Notes on the new release (debian.org)"]), chrome("312 points by jdoe 6 hours ago | hide | past | favorite | 97 comments"),
        chrome("asmith 5 hours ago | next [–]"), content([p()]), chrome("reply"),
        chrome("  bwong 4 hours ago | parent | next [–]"), content([p(), p()]), chrome("  reply"),
        chrome("Guidelines | FAQ | Lists | API | Security | Legal | Apply to YC | Contact", "Search:"))
    doc("forum: Discourse", "discourse-topic", chrome("Skip to main content", "Log In", "​"), content(["Upgrade notes for the stable release"]),
        chrome("Help", "upgrades"), chrome("mlopez", "Regular", "Mar 3"), content([p(), p()]),
        chrome("1 Reply", "12", "Solution"), chrome("tnakamura", "Mar 4"), content([p()]), chrome("3 Likes", "Reply"),
        chrome("Related Topics", "Topic Replies Views Activity", "Home", "Categories", "FAQ/Guidelines", "Terms of Service", "Privacy Policy"),
        chrome("Powered by Discourse, best viewed with JavaScript enabled"))
    doc("Q&A: Stack Exchange", "stackexchange-question", chrome("Stack Exchange", "Unix & Linux", "Ask Question"),
        content(["How do I keep a configuration file across upgrades?"]),
        chrome("Asked 3 years, 2 months ago", "Modified 1 year ago", "Viewed 12k times", "17"), content([p(), p()]),
        chrome("linuxdebianupgrade", "Share", "Improve this question", "Follow", "edited Jan 5, 2023 at 9:41", "asked Sep 12, 2021 at 14:02",
               "Tom W.", "1,234", "3", "12", "27"),
        chrome("Add a comment", "2 Answers", "Sorted by:", "Highest score (default)", "23"), content([p()]),
        chrome("Share", "Improve this answer", "Follow", "answered Sep 12, 2021 at 15:10", "ravi", "8,901", "2", "30", "45"),
        chrome("1"), content(["Thanks, that did it. – Tom W. Sep 13, 2021 at 8:02"]),  # a comment, signed
        chrome("Your Answer", "Post Your Answer", "By clicking “Post Your Answer”, you agree to our terms of service and acknowledge you have read our privacy policy."),
        chrome("Hot Network Questions"))
    doc("forum: phpBB", "phpbb-topic", chrome("Board index ‹ Software ‹ Installation", "Post Reply", "Search this topic…", "4 posts • Page 1 of 1"),
        content(["Mirror keeps failing during install"]), chrome("by", "gnome_fan", "» Tue Feb 14, 2023 7:12 pm"),
        content([p(), p()]), chrome("Top"), chrome("Re: Mirror keeps failing during install", "by", "old_admin", "» Tue Feb 14, 2023 8:40 pm"),
        content([p()]), chrome("Top", "Display posts from previous: All posts", "Sort by Post time Ascending", "Return to “Installation”",
                                "Jump to", "Who is online", "Users browsing this forum: No registered users and 2 guests",
                                "Powered by phpBB® Forum Software © phpBB Limited"))
    doc("social: Mastodon", "mastodon-thread", chrome("Mastodon", "Log in", "Sign up"),
        chrome("Ana Ribeiro", "@ana@fosstodon.org", "Follow"), content([p()]), chrome("Mar 3, 2024, 10:15", "·", "Edited", "12", "48", "96"),
        chrome("Pablo", "@pablo@hachyderm.io", "@ana"), content([p()]), chrome("2h", "3", "5"),
        chrome("Ana Ribeiro", "@ana@fosstodon.org"), content([p()]), chrome("1h"))
    doc("social: X", "x-thread", chrome("Post", "See new posts", "Conversation"),
        chrome("Linux Weekly", "@linuxweekly", "Subscribe"), content(["1/ A short thread on what changed this cycle 🧵", p()]),
        chrome("9:02 AM · Jun 11, 2024", "·", "48.2K Views", "36", "512", "1.9K", "203"),
        chrome("Linux Weekly", "@linuxweekly", "·", "Jun 11"), content(["2/ " + p()]), chrome("4", "21", "140", "12K"),
        chrome("Show more replies", "Discover more", "Sourced from across X", "New to X?", "Sign up now to get your own personalized timeline!",
               "Terms of Service | Privacy Policy | Cookie Policy | Accessibility | Ads info | More", "© 2024 X Corp."))
    doc("storefront: Japanese interface, English text", "storefront-ja", chrome("ホーム", "カテゴリ", "カートに入れる", "今すぐ購入", "¥1,980", "税込"),
        content(["The Packager's Handbook", p(), p()]), chrome("5つ星のうち4.5", "レビュー 128件", "この商品を見た人はこんな商品も見ています",
                                                          "利用規約", "プライバシー", "© 2024 Example Store"))
    doc("storefront: German interface, English text", "storefront-de", chrome("Startseite", "Warenkorb", "In den Warenkorb", "Jetzt kaufen", "24,99 €", "inkl. MwSt."),
        content(["Field Notes on Free Software", p(), p()]),
        chrome("4,6 von 5 Sternen", "312 Bewertungen", "Kunden kauften auch", "Impressum", "Datenschutz", "AGB"))
    doc("blog", "blog-post", chrome("Skip to content", "Home", "About", "Archive", "Subscribe"), content(["Notes from a week of packaging"]),
        chrome("Posted on March 3, 2024 by Lena", "5 min read"), content([p(), p(), p()]),
        chrome("Tags: debian, packaging", "Share this:", "Twitter", "Facebook", "Like this:", "Like Loading...", "Related",
               "Previous post", "Next post", "Leave a Reply", "Your email address will not be published.", "© 2024 Lena's notes"))
    return docs


def news() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:", "--no-deps",
                        "-d", tmp, "newspaper4k==0.9.6"], check=True)  # fmt: skip
        with tarfile.open(next(pathlib.Path(tmp).glob("newspaper4k-*.tar.gz"))) as tar:
            data = {m.name.split("tests/data/")[1]: tar.extractfile(m).read() for m in tar.getmembers()
                    if "tests/data/" in m.name and m.isfile()}  # fmt: skip
    docs = []
    for name in NEWS:
        html = data[f"html/{name}.html"].decode("utf-8", "replace")
        expected = [line.strip() for line in data[f"txt/{name}.txt"].decode("utf-8").splitlines() if line.strip()]
        expected = [line for line in expected if line not in NEWS_CHROME.get(name, ())]
        (OUT / f"{name}.html").write_text(html, encoding="utf-8")
        docs.append({"kind": "news (HTML)", "name": name, "format": "html", "page": f"{name}.html",
                     "lines": content(expected) + chrome(*visible_lines_not_in(html, expected))})  # fmt: skip
    return docs


def docs_pages() -> list[dict]:
    docs = []
    for name in DOCS:
        html = (RUST_DOCS / name).read_text(encoding="utf-8")
        main = BeautifulSoup(html, "lxml").find("main")
        expected = [line.strip() for line in main.get_text("\n").splitlines() if line.strip()]
        (OUT / f"rustdoc-{name}").write_text(html, encoding="utf-8")
        docs.append({"kind": "documentation (HTML)", "name": f"rustdoc-{name}", "format": "html", "page": f"rustdoc-{name}",
                     "lines": content(expected) + chrome(*visible_lines_not_in(html, expected))})  # fmt: skip
    return docs


def visible_lines_not_in(html: str, expected: list[str]) -> list[str]:
    """Every line of text the page shows that is not part of its content: its chrome."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    body = "\n".join(expected)
    lines = [" ".join(line.split()) for line in soup.get_text("\n").splitlines()]
    return list(dict.fromkeys(line for line in lines if len(line) > 1 and line not in body))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = exports(random.Random(SEED)) + news() + docs_pages()
    with (OUT / "labels.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds = sorted({r["kind"] for r in rows})
    print(f"{OUT}: {len(rows)} documents of {len(kinds)} kinds, {sum(len(r['lines']) for r in rows)} labelled lines")


if __name__ == "__main__":
    main()
