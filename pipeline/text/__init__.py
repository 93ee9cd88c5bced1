"""The cleaning library: plain functions, no Dagster. Each step returns its result and a record of what it did."""

from pipeline.text import containers, main_content, pii, quality
from pipeline.text.chrome import ChromeResult, Post, repeated_lines, strip_chrome
from pipeline.text.decode import Decoded, Undecodable, decode_bytes, strip_controls
from pipeline.text.dedup import Duplicate, dedup_paragraphs, find_duplicates, normalize, repeated_paragraphs
from pipeline.text.html import HtmlText, html_to_text, looks_like_html
from pipeline.text.language import LanguageResult, detect_language, language_shares, paragraph_languages
from pipeline.text.main_content import PageText, read_page
from pipeline.text.mojibake import MojibakeReport, fix_mojibake, has_mojibake, repair_mojibake
from pipeline.text.pii import Masked, mask_pii
from pipeline.text.quality import Rule, Signals, failed_rules, load_rules, signals

__all__ = [
    "ChromeResult", "containers", "Decoded", "Duplicate", "HtmlText", "LanguageResult", "main_content", "Masked", "MojibakeReport", "PageText", "Post",
    "Rule", "Signals", "Undecodable", "pii", "quality",
    "decode_bytes", "dedup_paragraphs", "detect_language", "failed_rules", "find_duplicates", "fix_mojibake", "has_mojibake",
    "html_to_text", "language_shares", "load_rules", "looks_like_html", "mask_pii", "normalize", "paragraph_languages",
    "read_page", "repair_mojibake", "repeated_lines", "repeated_paragraphs", "signals", "strip_chrome", "strip_controls",
]  # fmt: skip
