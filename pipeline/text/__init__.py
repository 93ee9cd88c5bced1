"""The cleaning library: plain functions, no Dagster. Each step returns its result and a record of what it did."""

from pipeline.text import containers
from pipeline.text.chrome import ChromeResult, Post, repeated_lines, strip_chrome
from pipeline.text.decode import Decoded, Undecodable, decode_bytes, strip_controls
from pipeline.text.dedup import Duplicate, dedup_paragraphs, find_duplicates, normalize, repeated_paragraphs
from pipeline.text.html import HtmlText, html_to_text, looks_like_html
from pipeline.text.language import LanguageResult, detect_language, language_shares, paragraph_languages
from pipeline.text.mojibake import MojibakeReport, fix_mojibake, has_mojibake, repair_mojibake

__all__ = [
    "ChromeResult", "containers", "Decoded", "Duplicate", "HtmlText", "LanguageResult", "MojibakeReport", "Post", "Undecodable",
    "decode_bytes", "dedup_paragraphs", "detect_language", "find_duplicates", "fix_mojibake", "has_mojibake",
    "html_to_text", "language_shares", "looks_like_html", "normalize", "paragraph_languages", "repair_mojibake", "repeated_lines", "repeated_paragraphs", "strip_chrome", "strip_controls",
]  # fmt: skip
