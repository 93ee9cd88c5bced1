"""Turn raw bytes into text, and say which encoding was found and how."""

from __future__ import annotations

import codecs
import functools
import importlib.resources
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer
import numpy as np


class Undecodable(ValueError):
    """The bytes are not text; the message is the reason a person reads in the rejected table."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name, e.g. "utf-8", "utf-16", "cp1252", "shift_jis"
    method: str  # "bom", "http", "utf-8", "meta", "detected"
    controls: int = 0  # control characters taken out (strip_controls)


_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# File signatures of common binary formats a scraper picks up by accident.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"RIFF": "a RIFF file (WebP image or WAV audio)",
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or an Office document)",
    b"\x1f\x8b": "a gzip archive",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ\x00": "an xz archive",
    b"\x7fELF": "an executable",
    b"OggS": "Ogg audio",
    b"ID3": "MP3 audio",
    b"\x00\x00\x00 ftyp": "an MP4 video",
    b"\x00\x00\x00\x18ftyp": "an MP4 video",
    b"\x00\x00\x00\x1cftyp": "an MP4 video",
    b"wOFF": "a web font",
    b"wOF2": "a web font",
}

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)


def _codec(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode `data`, trusting in order: a byte-order mark, the charset HTTP `declared` (as browsers do: Latin-1
    and ASCII labels mean windows-1252), valid UTF-8, an HTML `<meta charset>`, detection; then take out the
    control characters (strip_controls).

    Raises Undecodable with a readable reason for empty or binary input.
    """
    decoded = _decode(data, declared)
    if decoded.encoding not in _WIDE and not _has_control_bytes(data):
        return decoded  # other codecs keep the bytes below 0x20 and 0x7F as themselves: no control in the text
    text, controls = strip_controls(decoded.text)
    if _blank(text):
        raise Undecodable(f"binary file: {controls} control characters and no text")
    if controls and (runs := len(_BARE.findall(decoded.text))) >= BINARY_MIN_RUNS and runs > len(text) * BINARY_RUN_SHARE:
        raise Undecodable(f"binary file: control characters in {runs} places among {len(text)} characters of text")
    return Decoded(text, decoded.encoding, decoded.method, controls)


# Control characters scattered through the text (not one run of padding, not terminal escapes) are data in a
# format that happens to decode: binary when they break it in at least this many places, one in fifty characters.
BINARY_MIN_RUNS = 8
BINARY_RUN_SHARE = 0.02

_LINE_BREAK = re.compile(r"\r\n?|[\x0b\x0c]")  # CR LF, an old Mac's CR, a vertical tab or form feed (page break)
# Terminal escape sequences (colour, cursor moves, window titles) go whole: their letters are not text.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_]?)")
_BARE = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]+")  # the C0 controls but \t \n \v \f \r and ESC, and DEL
_C1 = re.compile(r"[\x80-\x9f]")
# Characters a reader never sees that split a word for whatever reads the text (a tokenizer, dedup, a search): soft
# hyphens (where a word may break), word joiners, byte-order marks inside the text, and zero-width spaces but
# between two letters or digits (Thai, Khmer and Myanmar text may mark its words so).
_UNSEEN = ("\u00ad", "\u2060", "\ufeff")
_ZERO_WIDTH_SPACES = re.compile(r"(?<!\w)\u200b+|\u200b+(?!\w)")
_CONTROL_BYTES = bytes([*range(0x09), *range(0x0B, 0x20), 0x7F])
_WIDE = {"utf-16", "utf-16-le", "utf-16-be", "utf-32"}  # codecs whose bytes hold NULs for any text


def _has_control_bytes(data: bytes) -> bool:
    """bytes.translate, a table lookup a byte: three times as fast as a regular expression over the text."""
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


def drop_unseen(text: str) -> str:
    """`text` without the characters a reader never sees that split its words (_UNSEEN)."""
    for unseen in _UNSEEN:  # (str.replace, a scan in C: a tenth of a regular expression's)
        if unseen in text:
            text = text.replace(unseen, "")
    return _ZERO_WIDTH_SPACES.sub("", text) if "\u200b" in text else text


def strip_controls(text: str, c1: bool = False) -> tuple[str, int]:
    """`text` without control characters but tab and newline, and how many were taken out (an escape sequence
    counts one). Line breaks of other systems (CR LF, CR, form feed, vertical tab) become newlines, not counted.
    C1 controls (U+0080-U+009F) and the unseen characters of drop_unseen only with `c1`: before the mojibake
    repair they are evidence (cp1252 read as Latin-1; "í" read as Latin-1 is "Ã" and a soft hyphen), after it
    they are junk."""
    data = text.encode("utf-8", "surrogatepass")
    removed = 0
    if _has_control_bytes(data):
        text = _LINE_BREAK.sub("\n", text)
        text, removed = _ESCAPE.subn("", text)
        before = len(text)
        text = _BARE.sub("", text)
        removed += before - len(text)
    if c1:
        before = len(text)
        text = drop_unseen(_C1.sub("", text) if b"\xc2" in data and _C1.search(text) else text)  # (U+0080-U+009F: 0xC2 0x80-0x9F)
        removed += before - len(text)
    return text, removed


def _blank(text: str) -> bool:
    return not text or text.isspace()


_BROWSER_LABELS = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}  # WHATWG's encoding labels


def _decode(data: bytes, declared: str | None = None) -> Decoded:
    if not data.strip():
        raise Undecodable("empty file" if not data else "file holds only whitespace")
    for sig, what in _SIGNATURES.items():
        if data.startswith(sig):
            raise Undecodable(f"binary file: {what}, not text")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codecs.lookup(codec).name, "bom")
            except UnicodeDecodeError as e:
                raise Undecodable(f"byte-order mark says {codec}, but the bytes are not: {e.reason}") from e
    if declared and (codec := _codec(declared)):
        codec = _BROWSER_LABELS.get(codec, codec)
        try:
            return Decoded(data.decode(codec), codec, "http")
        except UnicodeDecodeError:
            pass  # a header that lies: the bytes decide
    if codec := _utf16_without_bom(data):
        try:
            return Decoded(data.decode(codec), codec, "detected")
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(data[:4096])
    if meta and (codec := _codec(meta.group(1).decode("ascii"))):
        try:
            return Decoded(data.decode(codec), codec, "meta")
        except UnicodeDecodeError:
            pass  # a lying <meta>: fall through to detection
    if b"\x00" in data:  # NUL bytes without a UTF-16/32 BOM: a binary format we do not know
        raise Undecodable("binary file: contains NUL bytes and no text encoding fits")
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise Undecodable("binary file: no text encoding fits these bytes")
    best = matches[0]
    if _single_byte(best.encoding):
        # charset-normalizer often ties Western code pages (French cp1252 read as cp1257 gives "élčves"):
        # among near-equal single-byte readings, take the one whose letters one language writes.
        pool = [m for m in matches if _single_byte(m.encoding) and m.chaos <= best.chaos + 0.1]
        best = max(pool, key=lambda m: _coherence(str(m)))  # max keeps the detector's order on ties
    return Decoded(str(best), _codec(best.encoding) or best.encoding, "detected")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly Latin letters, told by its NUL bytes: every other byte, on one side only. Read as UTF-8
    it would be valid and hold a NUL between every two letters."""
    if len(data) < 8 or len(data) % 2 or b"\x00" not in data[:512]:
        return None
    head = data[:4096]
    even, odd = head[0::2].count(0) / (len(head) / 2), head[1::2].count(0) / (len(head) / 2)
    if odd > 0.7 and even < 0.05:
        return "utf-16-le"
    if even > 0.7 and odd < 0.05:
        return "utf-16-be"
    return None


@functools.cache
def _single_byte(encoding: str) -> bool:
    return len(bytes(range(0x80, 0x100)).decode(encoding, "replace")) == 128


@functools.cache
def _alphabets() -> tuple[frozenset[str], ...]:
    data = importlib.resources.files("pipeline.text") / "data" / "alphabets.tsv"
    with data.open(encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")][1:]
    return tuple(frozenset(letters) for _, letters in rows)


def _coherence(text: str) -> float:
    """Share of the non-ASCII letters in `text` that the best-fitting language's alphabet accounts for. The
    characters counted in numpy: a Python loop over a page's characters cost 17 ms a detected document."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    found, counts = np.unique(codes[codes > 0x7F], return_counts=True)
    letters = {chr(c): n for c, n in zip(found.tolist(), counts.tolist()) if unicodedata.category(chr(c))[0] == "L"}
    if not letters:
        return 1.0
    return max(sum(n for ch, n in letters.items() if ch in alphabet) for alphabet in _alphabets()) / sum(letters.values())
