"""Deduplication: repeated paragraphs inside a document, exact copies and near copies across documents."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

# Near copies: word shingles of this many words, MinHash with this many permutations, and this Jaccard
# similarity (estimated by LSH, then checked exactly on the shingle sets) for two documents to be copies.
SHINGLE_WORDS = 5
NUM_PERM = 128
NEAR_THRESHOLD = 0.8


def normalize(text: str) -> str:
    """The form two copies share: Unicode NFKC, case folded, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def dedup_paragraphs(text: str) -> tuple[str, list[str]]:
    """Keep the first occurrence of every paragraph (line); return the text and the repeats removed."""
    seen: set[str] = set()
    kept, removed = [], []
    for line in text.split("\n"):
        key = normalize(line)
        if key and key in seen:
            removed.append(line)
            continue
        seen.add(key)
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n"), removed


def repeated_paragraphs(
    texts: Sequence[str], min_docs: int = 3, min_share: float = 0.02, eligible: Callable[[str], bool] = bool
) -> set[str]:
    """Paragraphs (lines, stripped) that stand in at least `min_docs` documents and `min_share` of them: a
    site's boilerplate or a signature, which no one writes anew in every document. Two documents quoting the
    same paragraph are no evidence. `eligible` says which lines may count."""
    docs: Counter[str] = Counter()
    for text in texts:
        docs.update({line.strip() for line in text.split("\n") if line.strip() and eligible(line.strip())})
    floor = max(min_docs, min_share * len(texts))
    return {line for line, n in docs.items() if n >= floor}


def _shingles(normalized: str) -> set[bytes]:
    words = normalized.split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[k : k + SHINGLE_WORDS]).encode() for k in range(len(words) - SHINGLE_WORDS + 1)}


@dataclass(frozen=True)
class Duplicate:
    index: int  # the dropped copy
    kept: int  # the copy it duplicates
    kind: str  # "exact" or "near"
    similarity: float


def find_duplicates(texts: Sequence[str], keys: Sequence[str]) -> list[Duplicate]:
    """Which documents are copies of another, and of which. `keys` order the copies (e.g. source paths).

    In each group of copies the kept document is the longest (normalised) text, ties broken by the smallest key:
    the same input always keeps the same document. What is held is the index (a digest and a MinHash per kept
    document), not the texts: a candidate's shingles are made again from `texts` to check it exactly, so
    `texts` may be a lazy sequence over an Arrow column.
    """
    lengths = [len(normalize(texts[i])) for i in range(len(texts))]
    order = sorted(range(len(texts)), key=lambda i: (-lengths[i], keys[i]))
    duplicates: list[Duplicate] = []
    exact: dict[bytes, int] = {}
    lsh = MinHashLSH(threshold=NEAR_THRESHOLD, num_perm=NUM_PERM)
    for i in order:  # best copy first, so the first member of a group seen is the one kept
        normalized = normalize(texts[i])
        digest = hashlib.sha256(normalized.encode()).digest()
        if digest in exact:
            duplicates.append(Duplicate(i, exact[digest], "exact", 1.0))
            continue
        exact[digest] = i
        sh = _shingles(normalized)
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(sh)
        best = None
        for j in lsh.query(m):
            other = _shingles(normalize(texts[j]))
            union = len(sh | other)
            similarity = len(sh & other) / union if union else 0.0
            if similarity >= NEAR_THRESHOLD and (best is None or similarity > best[1]):
                best = (j, similarity)
        if best:
            duplicates.append(Duplicate(i, best[0], "near", round(best[1], 4)))
            continue
        lsh.insert(i, m)
    return sorted(duplicates, key=lambda d: d.index)
