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
    method: str  # "bom", "utf-8", "meta", "detected"


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


def decode_bytes(data: bytes) -> Decoded:
    """Decode `data`, trusting in order: a byte-order mark, valid UTF-8, an HTML `<meta charset>`, detection.

    Raises Undecodable with a readable reason for empty or binary input.
    """
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
