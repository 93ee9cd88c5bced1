"""Deduplication: repeated paragraphs inside a document, exact copies and near copies across documents."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

# Near copies: word shingles of this many words, MinHash with this many permutations, and this Jaccard
# similarity (estimated by LSH, then checked exactly on the shingle sets) for two documents to be copies.
SHINGLE_WORDS = 5
NUM_PERM = 128
NEAR_THRESHOLD = 0.8
# The LSH bands, as datasketch chooses them for NEAR_THRESHOLD and NUM_PERM with its weights set to miss few
# copies (MinHashLSH(..., weights=(0.1, 0.9)).b and .r; a test checks them): choosing them imports scipy, half a
# second of every run.
BANDS, BAND_ROWS = 14, 9


def normalize(text: str) -> str:
    """The form two copies share: Unicode NFKC, case folded, whitespace collapsed."""
    return " ".join(" ".join(_folded_lines(text)).split())


def _folded_lines(text: str) -> list[str]:
    """The lines of the text, NFKC and case folded: neither changes nor crosses a line break, and each is done
    where it can change something, a line at a time. NFKC leaves ASCII as it is and casefold is lower there, at C
    speed, while on a line beyond ASCII casefold takes 16 ns a character: most texts hold a few characters beyond
    ASCII (quotes, dashes) in a few lines, and the bench's lines beyond ASCII hold 44 % of its characters."""
    if text.isascii():
        return text.lower().split("\n")
    return [line.lower() if line.isascii() else unicodedata.normalize("NFKC", line).casefold() for line in text.split("\n")]


# A repeated line is a repeated paragraph from this many words (in Chinese, Japanese, Thai and the other scripts
# written without spaces, two characters a word): shorter lines repeat by design, each in its own place (a line of
# code, a list's "Team size: 51-200" under each of its entries, a "Conclusion" heading, a step's number); a site's
# short lines across documents are the chrome stage's (chrome.repeatable: eight words at most).
PARAGRAPH_WORDS = 9
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_paragraph(line: str) -> bool:
    """May the line count as a paragraph that repeats, inside a document or across documents? Prose of
    PARAGRAPH_WORDS words or more, and no table's row (html_to_text sets a row's cells apart by tabs: a calendar's
    or a timetable's rows repeat)."""
    if "\t" in line:
        return False
    words = len(line.split(maxsplit=PARAGRAPH_WORDS))  # (it stops splitting once there are enough)
    return words >= PARAGRAPH_WORDS or words + len(_UNSPACED.findall(line)) // 2 >= PARAGRAPH_WORDS


def dedup_paragraphs(text: str) -> tuple[str, list[str]]:
    """Keep the first occurrence of every paragraph (a line, is_paragraph), and the first line once where the text
    says it again right below (a page's title, then its heading); return the text and the repeats removed."""
    return _dedup_lines(text)[:2]


def dedup_and_fingerprint(text: str) -> tuple[str, list[str], Fingerprint]:
    """dedup_paragraphs, and the fingerprint of the text it returns (from the lines' normalised forms, made once)."""
    kept, removed, normalized = _dedup_lines(text)
    return kept, removed, fingerprint(kept, normalized)


def distinct_lines(text: str) -> str:
    """The text with every line said again taken out, short ones too: what the quality rules read, set as they were
    on texts deduplicated so (a page's nine "Download the chart" buttons, kept in its text, say nothing of its
    writing; a list of "Buy now" lines becomes one short line, and too short a text is junk)."""
    keys = [key for folded in _folded_lines(text) if (key := _squeezed(folded))]
    return text if len(set(keys)) == len(keys) else _dedup_lines(text, paragraph=bool)[0]  # (most texts: no line again)


def _dedup_lines(text: str, paragraph: Callable[[str], bool] = is_paragraph) -> tuple[str, list[str], str]:
    """dedup_paragraphs, and the normalize of the text it returns: its kept lines' keys joined (words never span
    a line break, and removing blank lines changes no word). `paragraph`: which lines said again are taken out."""
    seen: set[str] = set()
    kept, removed, words = [], [], []
    for line, folded in zip(text.split("\n"), _folded_lines(text), strict=True):
        key = _squeezed(folded)
        # a paragraph said again, or the first line said again right below it (a page's title, then its heading)
        if key and key in seen and (paragraph(line) or words == [key]):
            removed.append(line)
            continue
        seen.add(key)
        kept.append(line)
        if key:
            words.append(key)
    return collapse_blank_lines("\n".join(kept)), removed, " ".join(words)


def _squeezed(line: str) -> str:
    """" ".join(line.split()) of one line, without splitting most lines: a printable line (no tab, no control,
    no space but U+0020) without two spaces together or at an end is already so (a third of the cost)."""
    if "  " not in line and line[:1] != " " and line[-1:] != " " and line.isprintable():
        return line
    return " ".join(line.split())


def collapse_blank_lines(text: str) -> str:
    """Blank lines separate paragraphs: collapse the runs that removing lines leaves behind, and strip the ends."""
    return (re.sub(r"\n{3,}", "\n\n", text) if "\n\n\n" in text else text).strip("\n")  # the search is costly


def paragraph_set(text: str, eligible: Callable[[str], bool] = bool) -> set[str]:
    """The document's distinct paragraphs (lines, stripped) that `eligible` lets count."""
    return {stripped for line in text.split("\n") if (stripped := line.strip()) and eligible(stripped)}


def line_keys(lines: list[str]) -> np.ndarray:
    """A 64-bit key for each line (none holds a line break), the same in every process (Python's hash() is not),
    its low 16 bits the line's key_length: corpus-wide counts are made of keys, not of the lines themselves, and a
    pass looking for some keys hashes only the lines of their lengths. All in one compiled pass (a blake2b a line
    cost 0.8 µs)."""
    if not lines:
        return np.zeros(0, np.int64)
    from pipeline.text import compiled  # numba, loaded where keys are made

    hashes = compiled.line_hashes(np.frombuffer(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"), np.uint8), len(lines))
    lengths = np.minimum(np.fromiter(map(len, lines), np.int64, len(lines)), 0xFFFF)  # key_length
    return (hashes.view(np.int64) & ~0xFFFF) | lengths


def key_length(line: str) -> int:
    """The length line_key keeps of a line (in its low 16 bits)."""
    return min(len(line), 0xFFFF)


def keyed_lengths(keys: set[int]) -> set[int]:
    """The key_length each of these line_keys keeps: only lines of those lengths can have them."""
    return {key & 0xFFFF for key in keys}


def repeated_paragraphs(
    texts: Sequence[str], min_docs: int = 3, min_share: float = 0.02, eligible: Callable[[str], bool] = is_paragraph
) -> set[str]:
    """Paragraphs (lines, stripped) that stand in at least `min_docs` documents and `min_share` of them: a
    site's boilerplate or a signature, which no one writes anew in every document. Two documents quoting the
    same paragraph are no evidence. `eligible` says which lines may count."""
    docs: Counter[str] = Counter()
    for text in texts:
        docs.update(paragraph_set(text, eligible))
    floor = repeat_floor(len(texts), min_docs, min_share)
    return {line for line, n in docs.items() if n >= floor}


def repeat_floor(documents: int, min_docs: int, min_share: float) -> float:
    return max(min_docs, min_share * documents)


# Per-byte multipliers of the word hash (multiply-shift hashing: the high bits are the hash), drawn once.
_BYTE_MULTIPLIERS = np.random.default_rng(20261123).integers(1, 2**64, 256, dtype=np.uint64) | np.uint64(1)


def _word_hashes(normalized: str) -> np.ndarray:
    """A 32-bit hash of each word of a normalised text (words between single spaces)."""
    from pipeline.text import compiled  # numba, loaded where shingles are made

    return compiled.word_hashes(np.frombuffer((normalized + " ").encode(), dtype=np.uint8), _BYTE_MULTIPLIERS)


def _shingles(normalized: str, distinct: bool = True) -> np.ndarray:
    """The word shingles of a normalised text as 32-bit hashes (sorted and `distinct`, or as they come): a
    polynomial of the hashes of SHINGLE_WORDS consecutive words, in numpy (no Python loop over words or
    shingles). A text of fewer words is one shingle."""
    if not normalized:
        return np.array([], dtype=np.uint32)
    h = _word_hashes(normalized)
    n = max(len(h) - SHINGLE_WORDS + 1, 1)
    shingle = np.zeros(n, dtype=np.uint64)
    for k in range(min(SHINGLE_WORDS, len(h))):
        shingle = shingle * np.uint64(0x9E3779B1) + h[k : k + n]
    hashes = (shingle & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return np.unique(hashes) if distinct else hashes


@dataclass(frozen=True)
class Fingerprint:
    """What deduplication keeps of a document: the digest of its normalised text, that text's length, and the
    MinHash of its word shingles."""

    digest: bytes
    length: int
    minhash: np.ndarray  # NUM_PERM 32-bit values


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations (MinHash(num_perm=NUM_PERM).permutations: its default affine32 scheme and seed),
    drawn as it draws them: importing datasketch (scipy with it) costs a worker half a second."""
    draw = np.random.RandomState(1)
    odd = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    return odd, draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)


def _minhash(shingles: np.ndarray) -> np.ndarray:
    """datasketch's affine32 MinHash of 32-bit shingle hashes (the same values), compiled instead of its
    per-value Python loop."""
    from pipeline.text import compiled  # numba, loaded where fingerprints are made

    return compiled.minhash(shingles, *_permutations())


def fingerprint(text: str, normalized: str | None = None) -> Fingerprint:
    """The text's Fingerprint (`normalized`: its normalize, if already made)."""
    normalized = normalize(text) if normalized is None else normalized
    return Fingerprint(hashlib.sha256(normalized.encode()).digest(), len(normalized), _minhash(_shingles(normalized, distinct=False)))


def shingle_keys(text: str) -> np.ndarray:
    """The document's word shingles, hashed and sorted: what the exact Jaccard check compares (two distinct
    shingles share a hash about once in four billion)."""
    return _shingles(normalize(text))


@dataclass(frozen=True)
class Duplicate:
    index: int  # the dropped copy
    kept: int  # the kept document it duplicates
    kind: str  # "exact" or "near"
    similarity: float


def find_duplicates(texts: Sequence[str], keys: Sequence[str]) -> list[Duplicate]:
    """Which documents are copies of another, and of which (match_duplicates, for texts held in memory)."""
    return match_duplicates([fingerprint(text) for text in texts], keys, lambda wanted: {i: shingle_keys(texts[i]) for i in wanted})


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """The MinHash LSH band keys of each signature (a row of `signatures`): BANDS 64-bit polynomial hashes of
    BAND_ROWS values each, a column a band. Two documents sharing a band's key are candidates; a chance collision
    only adds a candidate. The keys of different bands are told apart by the band, not by the key."""
    bands = signatures[:, : BANDS * BAND_ROWS].reshape(len(signatures), BANDS, BAND_ROWS)
    key = np.zeros((len(signatures), BANDS), dtype=np.uint64)
    for column in range(BAND_ROWS):
        key = key * np.uint64(0x100000001B3) + bands[:, :, column].astype(np.uint64)
    return key


def _banded_pairs(minhashes: list[np.ndarray]) -> dict[int, list[int]]:
    """MinHash LSH as array operations: for each document (by position), the earlier documents that share a
    band with it, in order. The bands (BANDS) are datasketch's choice for NEAR_THRESHOLD, with its weights set to
    miss few copies (false positives 0.1, false negatives 0.9: every candidate is checked exactly; with even weights
    a pair at Jaccard 0.86 goes unseen one time in four). Memory: the signatures and one key per document and band."""
    if len(minhashes) < 2:
        return {}
    keys = band_keys(np.stack(minhashes))
    pairs: dict[int, set[int]] = {}
    for band in range(BANDS):
        key = keys[:, band]
        order = np.argsort(key, kind="stable")  # documents with equal keys end up together, in their order
        starts = np.concatenate(([0], np.flatnonzero(np.diff(key[order])) + 1))
        sizes = np.diff(np.append(starts, len(order)))
        for first, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):  # shared buckets only
            group = order[first : first + size]
            for k in range(1, size):
                pairs.setdefault(int(group[k]), set()).update(group[:k].tolist())
    return {r: sorted(earlier) for r, earlier in pairs.items()}


def match_duplicates(
    prints: Sequence[Fingerprint], keys: Sequence[str], shingles: Callable[[list[int]], dict[int, np.ndarray]]
) -> list[Duplicate]:
    """Which documents are copies of another, and of which. `keys` order the copies (e.g. source paths);
    `shingles(indices)` gives the shingle_keys of those documents, asked once for the candidates only.

    In each group of copies the kept document is the longest (normalised) text, ties broken by the smallest key:
    the same input always keeps the same document. Equal digests are exact copies; documents that share a MinHash
    LSH band are near copies when the Jaccard similarity of their shingles, computed exactly, is at least
    NEAR_THRESHOLD. A document is a copy of the most similar kept document before it in that order.
    """
    order = sorted(range(len(prints)), key=lambda i: (-prints[i].length, keys[i]))
    duplicates: list[Duplicate] = []
    exact: dict[bytes, int] = {}
    distinct = []
    for i in order:
        if (first := exact.setdefault(prints[i].digest, i)) != i:
            duplicates.append(Duplicate(i, first, "exact", 1.0))
        else:
            distinct.append(i)
    candidates = _banded_pairs([prints[i].minhash for i in distinct])
    candidates = {distinct[r]: [distinct[q] for q in earlier] for r, earlier in candidates.items()}
    sets = shingles(sorted({k for i, found in candidates.items() for k in (i, *found)}))
    duplicates += near_duplicates(distinct, candidates, sets)
    # An exact copy of a document that is itself a near copy is a copy of what that one copies: every copy
    # names a kept document.
    near = {d.index: d for d in duplicates if d.kind == "near"}
    duplicates = [replace(near[d.kept], index=d.index) if d.kept in near else d for d in duplicates]
    return sorted(duplicates, key=lambda d: d.index)


def near_duplicates(order: Sequence[int], candidates: dict[int, list[int]], sets: dict[int, np.ndarray]) -> list[Duplicate]:
    """The near copies among documents in `order` (none an exact copy of another): each document, in turn, is a
    copy of the most similar kept document of its `candidates` (the documents before it in `order` that share an
    LSH band with it, in that order; the first of equal similarity) whose shingle `sets` have a Jaccard similarity
    of NEAR_THRESHOLD or more; else it is kept. A decision looks at a document's candidates only: run on the
    documents a chain of candidates joins (a connected component), it decides as run on all of them."""
    duplicates, kept = [], set()
    for i in order:
        best = None
        for j in candidates.get(i, ()):
            if j not in kept:
                continue
            shared = len(np.intersect1d(sets[i], sets[j], assume_unique=True))
            union = len(sets[i]) + len(sets[j]) - shared
            similarity = shared / union if union else 0.0
            if similarity >= NEAR_THRESHOLD and (best is None or similarity > best[1]):
                best = (j, similarity)
        if best:
            duplicates.append(Duplicate(i, best[0], "near", round(best[1], 4)))
        else:
            kept.add(i)
    return duplicates
