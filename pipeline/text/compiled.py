"""Loops compiled with numba (cached in __pycache__ after the first run, about 7 s): langdetect's n-gram rules,
which a character at a time cost a quarter of the same rules as numpy array operations (whose temporaries
dominated), each n-gram's log-probabilities added as it is found; MinHash; the word hashes shingles are made of;
the lines' hashes; looking for many words in a text at once; the pairs of characters mojibake is made of; the
quality signals' words (one pass over the code points) and their repeated n-grams.
Imported where they are first used: numba costs 50 MB and 0.3 s to import, and the Dagster process, which judges
no language and makes no fingerprint, does not load it. The callers build every array these loops index (numba
does not check bounds)."""

import sys

import numba
import numpy as np

# numba checks for a BLAS (for np.dot and the like, which these loops do not use) by importing scipy.linalg where
# scipy is installed (datasketch, a dev dependency, brings it): a quarter of a second of CPU in every worker. Its
# module that checks is loaded here with scipy.linalg hidden; one imported before or after is left alone.
if "scipy.linalg" not in sys.modules:
    sys.modules["scipy.linalg"] = None  # type: ignore[assignment]  # importing it raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]

# 87,598 n-grams in 2**18 slots: a third full, and small enough to stay in the processor's cache
_SLOT_BITS = 18
_SLOTS = 1 << _SLOT_BITS


@numba.njit(cache=True)
def _home(key: int) -> int:
    """Fibonacci hashing of an n-gram key to its first slot."""
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - _SLOT_BITS))


@numba.njit(cache=True)
def hash_table(keys: np.ndarray) -> np.ndarray:
    """An open-addressing hash table (linear probing) of the n-gram keys: a row a slot, its key (-1: empty) and
    the key's index side by side (one read from memory)."""
    slots = np.full((_SLOTS, 2), -1, np.int64)
    for k in range(len(keys)):
        slot = _home(keys[k])
        while slots[slot, 0] != -1:
            slot = (slot + 1) & (_SLOTS - 1)
        slots[slot] = keys[k], k
    return slots


@numba.njit(cache=True)
def _find(key: int, slots: np.ndarray) -> int:
    """The index of an n-gram key among the model's, -1 for one it does not know."""
    slot = _home(key)
    while slots[slot, 0] != -1:
        if slots[slot, 0] == key:
            return slots[slot, 1]
        slot = (slot + 1) & (_SLOTS - 1)
    return -1


@numba.njit(cache=True)
def scores(codes, n_pieces, normal, upper, slots, log_prob, languages):  # noqa: ANN001, ANN202
    """For the pieces (their code points, each piece ended by a 0): the sum of the log-probabilities, a language
    a column, of the n-grams the model knows, found by langdetect's NGram rules, and how many it knows. `log_prob`
    has a column for each of the `languages` and zeros after them, to a width the processor adds a vector at a
    time without a remainder (a third fewer instructions than 55 columns, a fifth less time)."""
    # langdetect drops Latin letters from a text written mostly in another script
    latin, other = np.zeros(n_pieces, np.int64), np.zeros(n_pieces, np.int64)
    p = 0
    for c in codes:
        if c == 0:
            p += 1
        elif 0x41 <= c <= 0x7A:
            latin[p] += 1
        elif c >= 0x300 and not 0x1E00 <= c <= 0x1EFF:
            other[p] += 1
    totals = np.zeros((n_pieces, languages))
    piece = np.zeros(log_prob.shape[1])  # the piece's sums, padding included: one contiguous row to add to
    known = np.zeros(n_pieces, np.int64)
    p = 0
    was_space, was_upper, before, before2 = True, False, 0x20, 0x20
    for c in codes:
        end = c == 0
        if end:
            c = 0x20  # the separator counts as a space
        if not (0x41 <= c <= 0x7A and latin[p] * 2 < other[p]):
            norm = normal[c] if c < 0x10000 else c
            space = norm == 0x20
            if not (space and was_space):  # runs of spaces count as one
                is_upper = norm < 0x10000 and upper[norm]
                if not (is_upper and was_upper):  # an n-gram ends at each character, none inside a run of capitals
                    two = (before << 21) | norm
                    for length in range(1, 4):  # no 1-gram of a space, no 3-gram after one
                        if not (length == 1 and space or length == 3 and was_space):
                            key = norm if length == 1 else two if length == 2 else (before2 << 42) | two
                            index = _find(key, slots)
                            if index >= 0:
                                row = log_prob[index]
                                for column in range(len(piece)):
                                    piece[column] += row[column]
                                known[p] += 1
                            elif length == 2:
                                break  # the model knows the last two characters of every 3-gram it knows
                before2, before, was_upper = before, norm, is_upper
            was_space = space
        if end:
            totals[p] = piece[:languages]
            piece[:] = 0.0
            p += 1
    return totals, known


@numba.njit(cache=True)
def likely(totals, floor):  # noqa: ANN001, ANN202
    """For each row of log-likelihoods, the posterior probability of each column (their softmax) where it is at
    least `floor`: the rows, the columns and the probabilities, row by row."""
    n, m = totals.shape
    rows, columns, probabilities = np.empty(n * m, np.int64), np.empty(n * m, np.int64), np.empty(n * m)
    posterior = np.empty(m)
    found = 0
    for r in range(n):
        top = totals[r].max()
        total = 0.0
        for c in range(m):  # a language e**-50 times less likely than the best adds nothing a float keeps
            posterior[c] = np.exp(totals[r, c] - top) if totals[r, c] - top > -50.0 else 0.0
            total += posterior[c]
        for c in range(m):
            p = posterior[c] / total
            if p >= floor:
                rows[found], columns[found], probabilities[found] = r, c, p
                found += 1
    return rows[:found], columns[:found], probabilities[:found]


@numba.njit(cache=True)
def class_sums(codes, separator, n_groups, classes):  # noqa: ANN001, ANN202
    """The sums of the `classes` rows of the code points (beyond the BMP: none) of each group, groups ended by
    `separator`."""
    sums = np.zeros((n_groups + 1, classes.shape[1]), np.int64)
    group = 0
    for c in codes:
        if c == separator:
            group += 1
        elif c < 0xFFFF:
            for column in range(classes.shape[1]):
                sums[group, column] += classes[c, column]
    return sums[:n_groups]


@numba.njit(cache=True)
def minhash(shingles, a, b):  # noqa: ANN001, ANN202
    """datasketch's affine32 MinHash of 32-bit shingle hashes: murmur3's finaliser, then the least of
    h * a + b mod 2**32 for each permutation (a, b)."""
    least = np.full(len(a), 0xFFFFFFFF, np.uint32)
    for shingle in shingles:  # numba computes in 64 bits: each step is cut back to 32
        h = np.uint32(shingle)
        h = np.uint32(h ^ (h >> 16))
        h = np.uint32(h * np.uint32(0x85EBCA6B))
        h = np.uint32(h ^ (h >> 13))
        h = np.uint32(h * np.uint32(0xC2B2AE35))
        h = np.uint32(h ^ (h >> 16))
        for k in range(len(a)):
            least[k] = min(least[k], np.uint32(h * a[k] + b[k]))
    return least


@numba.njit(cache=True)
def word_hashes(data, multipliers):  # noqa: ANN001, ANN202
    """Each word's multiply-shift hash, of UTF-8 `data` whose every word ends with one space: the high 32 bits of
    the sum, over the word's bytes and its space, of (byte + 1) times the multiplier of the byte's place."""
    hashes = np.empty(np.count_nonzero(data == 0x20), np.uint64)
    total, place, word = np.uint64(0), 0, 0
    for byte in data:
        total += (np.uint64(byte) + np.uint64(1)) * multipliers[place & 255]
        place += 1
        if byte == 0x20:
            hashes[word] = total >> np.uint64(32)
            total, place, word = np.uint64(0), 0, word + 1
    return hashes


@numba.njit(cache=True)
def found_among(data, first_two, needles, starts, lengths):  # noqa: ANN001, ANN202
    """Which of the byte strings needles[starts[k] : starts[k] + lengths[k]] (each of two bytes or more, at most
    63) occur in `data`: bit k of the result, all found in one pass by their first two bytes (`first_two`, by the
    pair's value: the bits of the strings that start with it). On UTF-8, a string occurs in the bytes exactly
    where it occurs in the text (a character's first byte is never another's continuation)."""
    found = 0
    for i in range(len(data) - 1):
        candidates = first_two[(np.int64(data[i]) << 8) | data[i + 1]] & ~found
        k = 0
        while candidates:
            if candidates & 1 and i + lengths[k] <= len(data):
                j = 2
                while j < lengths[k] and data[i + j] == needles[starts[k] + j]:
                    j += 1
                if j == lengths[k]:
                    found |= 1 << k
            candidates >>= 1
            k += 1
    return found


@numba.njit(cache=True)
def pair_found(codes, lead, cont):  # noqa: ANN001, ANN202
    """Is a code point c followed by one d with lead[c] & cont[d] (tables of the BMP; beyond it, neither), or
    one with the top bit of lead[c] set?"""
    before = np.uint32(0)
    for c in codes:
        if c >= 0x10000:
            before = np.uint32(0)
            continue
        if before & cont[c] or lead[c] >> np.uint32(31):
            return True
        before = lead[c]
    return False


@numba.njit(cache=True)
def _finished(h):  # noqa: ANN001, ANN202
    """murmur3's 64-bit finaliser of an FNV-1a hash: every bit depends on every byte."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@numba.njit(cache=True)
def line_hashes(data, lines):  # noqa: ANN001, ANN202
    """A 64-bit hash of each of the `lines` lines of UTF-8 `data`, each ended by a line break: FNV-1a over its
    bytes, mixed by murmur3's 64-bit finaliser (so that every bit depends on every byte)."""
    hashes = np.empty(lines, np.uint64)
    h, line = np.uint64(0xCBF29CE484222325), 0
    for byte in data:
        if byte == 0x0A:
            hashes[line] = _finished(h)
            h, line = np.uint64(0xCBF29CE484222325), line + 1
        else:
            h = (h ^ np.uint64(byte)) * np.uint64(0x100000001B3)
    return hashes


# What a code point is to quality.words (bits of its entry in the table quality builds)
WORD, HAN_KANA, THAI, LETTER = 1, 2, 4, 8


@numba.njit(cache=True)
def _kinds(codes, table, extra_codes, extra_kinds):  # noqa: ANN001, ANN202
    """Each code point's kind, looked up once: in the table of the BMP, beyond it among the text's own such code
    points (an emoji, a rare Han character). A compiled call a code point cost 20 ns; the whole pass, under 1."""
    kinds = np.empty(len(codes), np.uint8)
    for i in range(len(codes)):
        c = codes[i]
        if c < 0x10000:
            kinds[i] = table[c]
        else:
            k = np.searchsorted(extra_codes, c)
            kinds[i] = extra_kinds[k] if k < len(extra_codes) and extra_codes[k] == c else 0
    return kinds


@numba.njit(cache=True)
def quality_words(codes, table, extra_codes, extra_kinds):  # noqa: ANN001, ANN202
    """The words of quality.words in one pass over a text's code points: a Han or kana character alone, a run of
    Thai in pieces of four, a run of word characters (letters, digits, _, combining marks), as that module's
    regular expression finds them (left to right, the first alternative that matches). For each word: a 64-bit
    hash of its code points (FNV-1a, _finished), its length, and whether it holds a letter."""
    kinds = _kinds(codes, table, extra_codes, extra_kinds)
    n = len(codes)
    hashes = np.empty(n, np.uint64)
    lengths = np.empty(n, np.int64)
    letters = np.empty(n, np.bool_)
    count, i = 0, 0
    while i < n:
        kind = kinds[i]
        if kind & HAN_KANA:
            j, step = i + 1, 1
        elif kind & (THAI | WORD):
            bit = THAI if kind & THAI else WORD
            j = i + 1
            while j < n and kinds[j] & bit:
                j += 1
            step = 4 if bit == THAI else j - i
        else:
            i += 1
            continue
        start = i
        while start < j:
            end = min(start + step, j)
            h, letter = np.uint64(0xCBF29CE484222325), False
            for m in range(start, end):
                h = (h ^ np.uint64(codes[m])) * np.uint64(0x100000001B3)
                letter = letter or (kinds[m] & LETTER) != 0
            hashes[count], lengths[count], letters[count] = _finished(h), end - start, letter
            count += 1
            start = end
        i = j
    return hashes[:count], lengths[:count], letters[:count]


@numba.njit(cache=True)
def ngram_chars(ids, lengths, top_last, dup_first, dup_last):  # noqa: ANN001, ANN202
    """quality._ngram_shares's counts, in characters, for n from 2 to dup_last: top[n] (n <= top_last), those of
    the most frequent word n-gram times its count (the first in the text of those equally frequent); dup[n]
    (n >= dup_first), those of the words inside an n-gram that occurs more than once. n-grams as rolling 64-bit
    hashes of the words' `ids`; only the windows whose (n-1)-gram repeats are looked at for n."""
    words = len(ids)
    top = np.zeros(dup_last + 1, np.int64)
    dup = np.zeros(dup_last + 1, np.int64)
    if words < 2:
        return top, dup
    ends = np.zeros(words + 1, np.int64)
    ends[1:] = np.cumsum(lengths)
    mix = np.uint64(0x9E3779B97F4A7C15)
    starts = np.arange(words - 1)
    hashes = ids[:-1] * mix + ids[1:]
    covered = np.zeros(words, np.bool_)
    for n in range(2, dup_last + 1):
        if n > 2:
            keep = starts + n <= words
            starts = starts[keep]
            hashes = hashes[keep] * mix + ids[starts + n - 1]
        if len(starts) < 2:
            break
        order = np.argsort(hashes, kind="mergesort")  # stable: equal hashes in the text's order
        ordered = hashes[order]
        repeated = np.zeros(len(starts), np.bool_)
        found = False
        best_run, first = 0, words
        run_from = 0
        for k in range(1, len(ordered) + 1):
            if k < len(ordered) and ordered[k] == ordered[k - 1]:
                repeated[order[k]] = repeated[order[k - 1]] = True
                found = True
                continue
            run = k - run_from  # a run of equal hashes ends at k
            if run > best_run or (run == best_run and starts[order[run_from]] < first):
                best_run, first = run, starts[order[run_from]]
            run_from = k
        if not found:
            break
        if n <= top_last:
            top[n] = (ends[first + n] - ends[first]) * best_run
        if n >= dup_first:
            covered[:] = False
            for k in range(len(starts)):
                if repeated[k]:
                    covered[starts[k] : starts[k] + n] = True
            total = 0
            for w in range(words):
                if covered[w]:
                    total += lengths[w]
            dup[n] = total
        starts, hashes = starts[repeated], hashes[repeated]
    return top, dup


@numba.njit(cache=True)
def count_in(ids, sorted_set):  # noqa: ANN001, ANN202
    """How many of `ids` are in `sorted_set` (sorted)."""
    found = 0
    for x in ids:
        k = np.searchsorted(sorted_set, x)
        found += k < len(sorted_set) and sorted_set[k] == x
    return found
