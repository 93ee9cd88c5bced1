"""Repair mojibake: UTF-8 text that was decoded with a single-byte code page, possibly losing bytes.

Three steps, each recorded:

1. A cheap gate: mojibake made of UTF-8 always holds a whole UTF-8 sequence under some code page (a lead
   character followed by the continuation characters it needs, one fewer where the page drops bytes), or
   a C1 control, or a stray surrogate. Text without one is returned at once; that is most text.
2. Our readings (`READINGS`), line by line: each character is mapped back to every byte the reading turns
   into it and the bytes are decoded as UTF-8 again, with bytes the code page does not define inferred
   where they were dropped or written as `?` or U+FFFD (chosen by their neighbours, `_rechoose`, in the
   way the document shows it lost bytes). A line is repaired under a reading when every
   non-ASCII character in it belongs to a sequence that decodes (`_accept`), and the result is more
   likely text than the original (`_cost`, from character frequencies in real text). Repeated, for text
   damaged twice. A line damaged all through is read back whole at C speed (`Reading.whole_line`);
   `_scan` looks sequence by sequence only where that fails.
3. ftfy's `fix_encoding` on the lines its badness measure still flags, for what ftfy knows and we do not
   (UTF-8 variants, inconsistent runs), with everything that normalises off. If ftfy alone leaves less
   damage than steps 2 and 3 together, ftfy's result is kept.
"""

from __future__ import annotations

import codecs
import collections
import csv
import functools
import gzip
import importlib.resources
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy
import ftfy.fixes
import numpy as np
from ftfy import chardata

from pipeline.text.decode import _coherence

# Repair only: quotes stay curly, widths, ligatures and normal form stay as written.
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=True,
    remove_control_chars=False,
    normalization=None,
    explain=True,
)

# A sequence may miss at most this many bytes before we stop guessing and write U+FFFD:
# with two bytes gone, dozens of emoji fit equally well.
MAX_LOST_BYTES = 1
REPLACEMENT = "\ufffd"
PLACEHOLDERS = "?" + REPLACEMENT  # what a decoder writes for a byte it cannot show
MIN_COUNT = 100  # how often a repaired 2-byte character must occur in real text (char_frequency.tsv)
BIGRAM_SMOOTHING = 0.001
CONTEXT_MARGIN = 1.4  # nats: below it, the context does not overrule the character's own frequency
MAX_ROUNDS = 3  # text damaged three times over is repaired; more is noise


@dataclass(frozen=True)
class Reading:
    """How a single-byte decoder turned each byte 0x80-0xFF into a character."""

    name: str
    bytes_of: dict[str, tuple[int, ...]]  # character -> every byte this reading decodes to it
    lost: tuple[int, ...]  # continuation bytes the code page does not define: dropped or a placeholder
    pair: re.Pattern  # a lead character followed by a continuation character or a placeholder
    gate: re.Pattern  # a whole sequence, or one a lost byte short where the page leaves several undefined

    @functools.cached_property
    def lead_of(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """Character -> the length of the sequence it starts, and the lead bytes it can be."""
        table = {}
        for ch, bs in self.bytes_of.items():
            if leads := _lead_bytes(bs):
                length = max(map(_lead_length, leads))
                table[ch] = (length, tuple(b for b in leads if _lead_length(b) == length))
        return table

    @functools.cached_property
    def cont_of(self) -> dict[str, tuple[int, ...]]:
        return {ch: conts for ch, bs in self.bytes_of.items() if (conts := _cont_bytes(bs))}

    @functools.cached_property
    def encoding_map(self) -> dict[int, int]:
        """For codecs.charmap_encode: ASCII as itself, every other character as its (first) byte."""
        return {i: i for i in range(0x80)} | {ord(ch): bs[0] for ch, bs in self.bytes_of.items()}

    def whole_line(self, line: str) -> str | None:
        """The line read back whole, at C speed: every character to its byte, the bytes as UTF-8. None
        when a character is not of this reading or the bytes are not UTF-8 (then `_scan` looks closer)."""
        if self.ambiguous and self.ambiguous.search(line):
            return None  # a character that stands for two bytes here ("”" in the mixed Baltic reading)
        try:
            return codecs.charmap_encode(line, "strict", self.encoding_map)[0].decode("utf-8")
        except UnicodeError:
            return None

    def covers(self, line: str) -> bool:
        """Is every character of the line one of this reading's?"""
        try:
            codecs.charmap_encode(line, "strict", self.encoding_map)
            return True
        except UnicodeError:
            return False

    @functools.cached_property
    def ambiguous(self) -> re.Pattern | None:
        chars = [ch for ch, bs in self.bytes_of.items() if len(bs) > 1]
        return re.compile(_char_class(chars)) if chars else None

    @functools.cached_property
    def leads(self) -> re.Pattern:
        return re.compile(_char_class(self.lead_of))

    @functools.cached_property
    def starts(self) -> re.Pattern:
        """A lead character followed by a continuation character, a placeholder or a space."""
        return re.compile(self.pair.pattern[:-1] + " ]")

    @functools.cached_property
    def run_starts(self) -> re.Pattern:
        """`starts` where a run of non-ASCII characters begins."""
        return re.compile("(?<![^\\x00-\\x7f])" + self.starts.pattern)


def _lead_length(b: int) -> int:
    if 0xC2 <= b <= 0xDF:
        return 2
    if 0xE0 <= b <= 0xEF:
        return 3
    if 0xF0 <= b <= 0xF4:
        return 4
    return 0


def _lead_bytes(bs: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(b for b in bs if _lead_length(b))


def _cont_bytes(bs: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(b for b in bs if 0x80 <= b <= 0xBF)


def _char_class(chars) -> str:
    return "[" + re.escape("".join(sorted(chars))) + "]"


def _reading(name: str, codec: str, c1: str | None = None, lossy: bool = True) -> Reading:
    """One decoder: `codec` for 0x80-0xFF, or `c1` for 0x80-0x9F if given, as browsers do with a legacy
    label. A byte the code page does not define may survive as the C1 control of the same number (as
    sloppy decoders keep it), or, if `lossy`, be lost. Not for the mixed pages of sloppy converters, whose gaps
    are windows-1252's under another script: a byte lost there would be inferred in clean text (Ukrainian "ВХІД",
    Russian "иё")."""
    bytes_of: dict[str, list[int]] = {}
    lost = []
    for b in range(0x80, 0x100):
        try:
            ch = bytes([b]).decode(c1 if (c1 and b < 0xA0) else codec)
        except UnicodeDecodeError:
            ch = chr(b)
            if lossy and b < 0xC0:  # only a continuation byte can go missing inside a sequence
                lost.append(b)
        bytes_of.setdefault(ch, []).append(b)
    table = {ch: tuple(bs) for ch, bs in bytes_of.items()}
    leads = [ch for ch, bs in table.items() if _lead_bytes(bs)]
    conts = [ch for ch, bs in table.items() if _cont_bytes(bs)] + (list(PLACEHOLDERS) if lost else [])
    pair = re.compile(_char_class(leads) + _char_class(conts))
    # One leading class, then the continuations the lead's length asks for: `re` skips ahead fast on it.
    by_length = {n: _char_class(ch for ch, bs in table.items() if max(map(_lead_length, bs)) == n) for n in (2, 3, 4)}
    fewest = 1 if len(lost) >= 3 else 0  # a lost byte short, where the page leaves several undefined
    shapes = "|".join(f"(?<={by_length[n]}){_char_class(conts)}{{{max(n - 1 - fewest, 1)},{n - 1}}}" for n in (2, 3, 4))
    gate = re.compile(f"{_char_class(leads)}(?:{shapes})")
    return Reading(name, table, tuple(lost), pair, gate)


READINGS = (
    _reading("windows-1252", "cp1252"),
    _reading("latin-1", "latin-1"),
    _reading("windows-1250", "cp1250"),
    _reading("iso-8859-2", "iso8859_2"),
    _reading("windows-1251", "cp1251"),
    _reading("windows-1257", "cp1257"),
    _reading("iso-8859-13", "iso8859_13"),
    # Browsers and sloppy converters decode a legacy label with windows-1252 in 0x80-0x9F (the leaked-memo
    # thread is the Baltic one): curly quotes, dashes and emoji bytes come out as windows-1252's.
    _reading("iso-8859-13 with windows-1252 in 0x80-0x9F", "iso8859_13", c1="cp1252"),
    _reading("iso-8859-2 with windows-1252 in 0x80-0x9F", "iso8859_2", c1="cp1252", lossy=False),
    _reading("windows-1250 with windows-1252 in 0x80-0x9F", "cp1250", c1="cp1252", lossy=False),
    _reading("windows-1251 with windows-1252 in 0x80-0x9F", "cp1251", c1="cp1252", lossy=False),
    _reading("mac-roman", "mac_roman"),
    _reading("cp437", "cp437"),
)

# The gate: a whole UTF-8 sequence under one of the readings or of ftfy's code pages (ftfy can repair only
# what one of them explains). Searched one pattern at a time: `re` scans each far faster than their union.
_BY_NAME = {r.name: r for r in READINGS}
_EXTRA = [_reading(f"windows-{n}", f"cp{n}") for n in (1253, 1254)]  # ftfy's pages that are not our readings
_FTFY_PAIRS = {  # ftfy's code pages: the pattern a text they explain must hold
    "latin-1": _BY_NAME["latin-1"].gate,
    "sloppy-windows-1252": _BY_NAME["windows-1252"].gate,
    "sloppy-windows-1251": _BY_NAME["windows-1251"].gate,
    "sloppy-windows-1250": _BY_NAME["windows-1250"].gate,
    "sloppy-windows-1253": _EXTRA[0].gate,
    "sloppy-windows-1254": _EXTRA[1].gate,
    "sloppy-windows-1257": _BY_NAME["windows-1257"].gate,
    "iso-8859-2": _BY_NAME["iso-8859-2"].gate,
    "macroman": _BY_NAME["mac-roman"].gate,
    "cp437": _BY_NAME["cp437"].gate,
}
# C1 controls and lone surrogates, which damage alone leaves; what leads a sequence of two bytes read as latin-1
_ALONE_CHARS = [chr(c) for c in (*range(0x80, 0xA0), *range(0xD800, 0xE000))]
_NBSP_LEADS = {chr(c) for c in range(0xC2, 0xE0)}
_C1_OR_SURROGATE = re.compile(_char_class(_ALONE_CHARS))
_NBSP_AS_SPACE = re.compile(_char_class(_NBSP_LEADS) + "[ ]")  # its byte 0xA0 became a space
_GATE_PATTERNS = tuple(dict.fromkeys([*(r.gate for r in READINGS), *_FTFY_PAIRS.values(), _C1_OR_SURROGATE, _NBSP_AS_SPACE]))
# A gate pattern is an alternation, slow to scan; a pair of character classes found first is fast.
_QUICK = {r.gate: r.pair for r in (*READINGS, *_EXTRA)}


def _union_pair(readings: list[Reading]) -> tuple[set[str], set[str]]:
    """The lead characters and the continuation characters (placeholders too where a byte may be lost) of readings."""
    leads = {ch for r in readings for ch in r.lead_of}
    conts = {ch for r in readings for ch in r.cont_of} | (set(PLACEHOLDERS) if any(r.lost for r in readings) else set())
    return leads, conts


# The first look at a document: a lead character followed by a continuation character of code pages that share
# most characters, taken together (each pair as `_union_pair`), or a space after what would lead a sequence of two
# (_NBSP_AS_SPACE); and a character damage alone leaves (_ALONE_CHARS).
_FIRST_LOOK_PAIRS = (
    *(_union_pair([_BY_NAME[n] for n in names]) for names in (
        ("windows-1252", "latin-1"),
        ("windows-1250", "iso-8859-2", "iso-8859-2 with windows-1252 in 0x80-0x9F", "windows-1250 with windows-1252 in 0x80-0x9F"),
        ("windows-1251", "windows-1251 with windows-1252 in 0x80-0x9F"),
        ("windows-1257", "iso-8859-13", "iso-8859-13 with windows-1252 in 0x80-0x9F"), ("mac-roman",), ("cp437",),
    )),
    _union_pair(_EXTRA), (_NBSP_LEADS, {" "}),
)  # fmt: skip


@functools.cache
def _first_look_tables() -> tuple[np.ndarray, np.ndarray]:
    """For compiled.pair_found, by code point of the BMP: the pairs it may lead (bit k: _FIRST_LOOK_PAIRS[k]; the
    top bit: suspect alone), the pairs it may continue."""
    lead, cont = np.zeros(0x10000, np.uint32), np.zeros(0x10000, np.uint32)
    for k, (leads, conts) in enumerate(_FIRST_LOOK_PAIRS):
        lead[[ord(ch) for ch in leads]] |= np.uint32(1 << k)
        cont[[ord(ch) for ch in conts]] |= np.uint32(1 << k)
    lead[[ord(ch) for ch in _ALONE_CHARS]] |= np.uint32(1 << 31)
    return lead, cont


def _first_look(text: str) -> bool:
    """Does the text hold one of _FIRST_LOOK_PAIRS or one of _ALONE_CHARS? One compiled pass over
    its code points (the pairs as regular expressions, each searched through the runs of non-ASCII characters of
    a long text, took three times as long)."""
    from pipeline.text import compiled  # numba (0.3 s to import): only where a text is looked at

    return compiled.pair_found(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32), *_first_look_tables())


def _lines(text: str) -> list[str]:
    """The lines of a text with their "\n", at "\n" only: str.splitlines would also split at U+0085, a C1
    control damaged text is full of."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


_NON_ASCII = re.compile("[^\x00-\x7f]")


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _non_ascii_parts(text: str) -> str:
    """Each run of non-ASCII characters with the 3 characters after it (runs closer than that together), one a
    line: where every gate pattern matches (a match starts at a non-ASCII character and spans at most 4), for a
    fraction of most texts. In numpy: a regular expression steps through every character (0.15 ms for 10 KB of
    English)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    beyond = codes > 0x7F
    kept = beyond.copy()
    for after in (1, 2, 3):
        kept[after:] |= beyond[:-after]
    gap_starts = ~kept
    gap_starts[1:] &= kept[:-1]
    gap_starts[:1] = False  # a gap before the first part
    return np.where(kept, codes, 0x0A)[kept | gap_starts].tobytes().decode("utf-32-le", "surrogatepass")


def _suspect(text: str, patterns: tuple[re.Pattern, ...] = _GATE_PATTERNS) -> tuple[re.Pattern, ...]:
    """Which of the gate's patterns `text` holds: none for most text, found at hundreds of MB/s. Lines
    of a document need only be tested against the document's."""
    if text.isascii():  # every pattern starts with a character beyond ASCII
        return ()
    if patterns is _GATE_PATTERNS:
        if not _first_look(text):
            return ()
        if len(text) > 1000:
            text = _non_ascii_parts(text)
    return tuple(p for p in patterns if (quick := _QUICK.get(p)) is None or quick.search(text) if p.search(text))


@functools.cache
def _emoji_usage() -> dict[str, int]:
    """Occurrences of each emoji in the Emoji Sentiment Ranking (Kralj Novak et al. 2015, 1.6M tweets)."""
    data = importlib.resources.files("emosent") / "data" / "Emoji_Sentiment_Data_v1.0.csv"
    with data.open(encoding="utf-8") as f:
        return {row["Emoji"]: int(row["Occurrences"]) for row in csv.DictReader(f)}


@functools.cache
def _char_frequency() -> dict[str, int]:
    """Counts of non-ASCII characters in real translated text (see eval/build_text_tables.py)."""
    data = importlib.resources.files("pipeline.text") / "data" / "char_frequency.tsv"
    with data.open(encoding="utf-8") as f:
        rows = csv.reader((line for line in f if not line.startswith("#")), delimiter="\t")
        next(rows)
        return {chr(int(cp, 16)): int(n) for cp, n in rows}


@functools.cache
def _emoji_presentation() -> frozenset[str]:
    import emoji

    # A single code point that is fully qualified on its own has Emoji_Presentation=Yes.
    return frozenset(
        e for e, d in emoji.EMOJI_DATA.items() if len(e) == 1 and d.get("status") == emoji.STATUS["fully_qualified"]
    )


@functools.cache
def _emoji() -> frozenset[str]:
    """Single code points people use as emoji: Emoji_Presentation, and those like ❤ and ✌ that take a
    variation selector, or appear in the Emoji Sentiment Ranking."""
    import emoji

    singles = {e[0] for e in emoji.EMOJI_DATA if len(e) == 1 or (len(e) == 2 and e[1] == "\ufe0f")}
    return frozenset(singles | {e for e in _emoji_usage() if len(e) == 1})


@functools.cache
def _cost(ch: str) -> float:
    """How unlikely a character is in real text, in nats: -log of its share of non-ASCII characters.
    ASCII costs nothing; an emoji costs no more than a rare letter; a character the table has never seen
    (the table keeps the 4,000 most common) costs as if seen a tenth of a time."""
    if ch.isascii():
        return 0.0
    freq = _char_frequency()
    count = freq.get(ch, 0.1)
    if ch in _emoji():
        count = max(count, 25)
    return math.log(_total() / count)


@functools.cache
def _total() -> int:
    return sum(_char_frequency().values())


def _visible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LMNPS" and cat != "Co"


def _latin1_control(ch: str) -> bool:
    """A C1 control or soft hyphen: never what a person wrote, but what text damaged twice holds after
    the first repair, as U+0081 in "Ã™Â\x81" -> "Ù\x81" -> "ف"."""
    return "\x80" <= ch <= "\x9f" or ch == "\xad"


_OPEN_CLOSE = {"“": "”", "‘": "’", "„": "”", "«": "»", "‹": "›", "「": "」", "『": "』"}


def _choose(candidates: list[str], closing: set[str]) -> str:
    """Pick the character a damaged sequence most likely was. The rule, in order:

    1. a closing quote that closes a quote still open earlier on the same line, repaired so far (`closing`);
    2. an emoji with Emoji_Presentation, the most used first (Emoji Sentiment Ranking occurrences);
    3. the character most frequent in real text (char_frequency.tsv);
    4. the lowest code point, so the choice is deterministic.
    Once the whole line is scanned, `_rechoose` may overrule 3 by the characters on both sides.
    """
    emoji_set, usage, freq = _emoji_presentation(), _emoji_usage(), _char_frequency()

    def key(ch: str) -> tuple:
        return (ch in closing, ch in emoji_set, usage.get(ch, 0), freq.get(ch, 0), -ord(ch))

    return max(candidates, key=key)


_QUOTE_CHARS = frozenset({*_OPEN_CLOSE, *_OPEN_CLOSE.values()})
_QUOTES = re.compile(_char_class(_QUOTE_CHARS))


class _OpenQuotes:
    """The closing quotes of the quotes still open before a position of a line being repaired, the repairs so
    far in their places: kept up to date as repairs are added in order, so a long line is read once."""

    def __init__(self, line: str):
        self.line, self.at, self.done, self.quotes = line, 0, 0, []
        self.in_line = bool(_QUOTES.search(line))  # most lines hold none: nothing to look for between repairs

    def before(self, i: int, repairs: list[_Repair], made: int | None = None) -> set[str]:
        """`made`: how many of the repairs stand before i (all of them if None)."""
        made = len(repairs) if made is None else made
        for r in repairs[self.done : made]:
            if self.in_line:
                self.quotes += _QUOTES.findall(self.line, self.at, r.start)
            self.quotes += [ch for ch in r.text if ch in _QUOTE_CHARS]
            self.at = r.end
        self.done = made
        return _closing_quotes(self.quotes + (_QUOTES.findall(self.line, self.at, i) if self.in_line else []))


def _closing_quotes(quotes: list[str]) -> set[str]:
    """The closing quotes of the quotes still open after these quote characters."""
    open_quotes: list[str] = []
    for c in quotes:
        if c in _OPEN_CLOSE:
            open_quotes.append(c)
        elif c in _OPEN_CLOSE.values():
            for k in range(len(open_quotes) - 1, -1, -1):  # close the innermost opener it matches
                if _OPEN_CLOSE[open_quotes[k]] == c:
                    del open_quotes[k]
                    break
    return {_OPEN_CLOSE[o] for o in open_quotes}


def _decode_one(bs: tuple[int, ...]) -> str | None:
    try:
        s = bytes(bs).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return s if len(s) == 1 and (_visible(s) or _latin1_control(s) or unicodedata.category(s) == "Zs") else None


@dataclass
class _Repair:
    start: int
    end: int
    text: str
    ambiguous: bool  # several characters fit; one was chosen by rule
    lost: bool  # a byte was missing and inferred
    dropped: bool = False  # that byte left no trace (no "?", no U+FFFD)
    candidates: tuple[str, ...] = ()  # where several characters fit
    spaced: frozenset[str] = frozenset()  # those that take a following space as their byte 0xA0
    marked: bool = False  # a lost byte was written as "?" or U+FFFD

    def evidence(self, line: str) -> str:
        """What this repair shows of how the document's decoder lost bytes (see MojibakeReport.evidence)."""
        if self.marked:
            mark = self.end - 1
            return "marks?" if line[mark] == "?" and _ends_sentence(line, mark, True) else "marks"
        if self.dropped:
            return "drops?" if self.spaced else "drops"
        return ""

    @property
    def certain(self) -> bool:
        return not (self.ambiguous or self.lost)


def _repaired_prefix(line: str, i: int, repairs: list[_Repair]) -> str:
    parts, last = [], 0
    for r in repairs:
        parts += [line[last : r.start], r.text]
        last = r.end
    return "".join(parts) + line[last:i]


def _candidates(leads: tuple[int, ...], conts: list[tuple[int, ...]], length: int, reading: Reading) -> tuple[str, ...]:
    """Every visible character the lead byte and continuation bytes can form, the lost ones anywhere."""
    return _forms(leads, tuple(conts), length, reading.lost)


@functools.lru_cache(maxsize=4096)
def _forms(leads: tuple[int, ...], conts: tuple[tuple[int, ...], ...], length: int, lost: tuple[int, ...]) -> tuple[str, ...]:
    missing = length - 1 - len(conts)
    slot_sets = []
    for where in itertools.combinations(range(length - 1), missing):
        it = iter(conts)
        slot_sets.append([lost if k in where else next(it) for k in range(length - 1)])
    return tuple(sorted(
        {
            ch
            for slots in slot_sets
            for lead in leads
            for combo in itertools.product(*slots)
            if (ch := _decode_one((lead, *combo)))
        }
    ))


def _scan(line: str, reading: Reading, mode: str = "unknown") -> list[_Repair]:
    """Every UTF-8 sequence hidden in `line` under `reading`, and what it decodes to. `mode`: what the
    document shows of the bytes its decoder could not show: "drops" (gone without a trace, so a "?" that
    ends a sentence is a question mark), "marks" (written as "?" or U+FFFD, so a space after a lead is the
    byte 0xA0 of a no-break space), or "unknown".
    Sequences start at a lead character followed by a continuation, a placeholder or a space; a lead
    standing alone (its only continuation byte dropped) is looked at only where the others cover at
    least half the line, which correct Cyrillic text under windows-1251 never does."""
    non_ascii = _non_ascii(line)
    if 4 * len(reading.starts.findall(line)) < non_ascii:  # too few to cover the line: only whole runs
        return _scan_from(line, reading, mode, reading.run_starts)
    if not reading.lost:
        repairs = _scan_from(line, reading, mode, reading.starts)
    else:  # from `leads` where the repairs from `starts` cover half the line: most lines here, scanned once
        repairs = _scan_from(line, reading, mode, reading.leads)
        narrow = _scan_from(line, reading, mode, reading.starts) if any(r.spaced for r in repairs) else None
        # unless a space taken or left moves them, those from `starts` are those from `leads` but at lone leads
        spans = narrow if narrow is not None else [r for r in repairs if reading.starts.match(line, r.start)]
        if not (spans and 2 * sum(r.end - r.start for r in spans) >= non_ascii):
            repairs = narrow if narrow is not None else _scan_from(line, reading, mode, reading.starts)
    # Choosing again by context matters only where the repairs may be taken: where they cover the line.
    return _rechoose(line, repairs, mode) if _covers(line, repairs) else repairs


def _covers(line: str, repairs: list[_Repair]) -> bool:
    """Do the repairs account for every non-ASCII character of the line (and the "?" and spaces they
    took as bytes)?"""
    taken = sum(line[r.start : r.end].count("?") + line[r.start : r.end].count(" ") for r in repairs)
    return sum(r.end - r.start for r in repairs) == _non_ascii(line) + taken


class _ModeMet:
    """How many times a scan met what a document's mode decides (the mode is asked nowhere else): a placeholder
    where a continuation byte belongs, which only "drops" reads otherwise than "unknown" (the repairs of a line that
    met only placeholders are the same in "marks"), and a space taken as the byte 0xA0, which every mode reads its
    own way. A line whose repair met neither is repaired alike in every mode."""

    placeholders = 0
    spaces = 0


def _scan_from(line: str, reading: Reading, mode: str, starts: re.Pattern) -> list[_Repair]:
    lead_of, cont_of, placeholders = reading.lead_of, reading.cont_of, PLACEHOLDERS if reading.lost else ""
    nbsp_is_a0 = 0xA0 in reading.bytes_of.get("\xa0", ())
    repairs: list[_Repair] = []
    quotes = _OpenQuotes(line)
    n, i = len(line), 0
    for m in starts.finditer(line):
        if m.start() < i:
            continue
        i = m.start()
        length, leads = lead_of[line[i]]
        conts: list[tuple[int, ...]] = []
        guessed_byte = marked = False
        j = i + 1
        while j < n and len(conts) < length - 1:
            opts = cont_of.get(line[j], ())
            if not opts and line[j] in placeholders:
                _ModeMet.placeholders += 1
                if not (mode == "drops" and _ends_sentence(line, j, len(conts) == length - 2)):
                    opts, guessed_byte, marked = reading.lost, True, True
            elif not opts and line[j] == " " and nbsp_is_a0:  # a no-break space that became a space
                _ModeMet.spaces += 1
                opts, guessed_byte = (0xA0,), True
            if not opts:
                break
            conts.append(opts)
            j += 1
        missing = length - 1 - len(conts)
        if missing > MAX_LOST_BYTES or (missing and not reading.lost):
            if conts and missing <= length - 2:  # a broken sequence with nothing plausible: say so
                repairs.append(_Repair(i, j, REPLACEMENT, ambiguous=False, lost=True))
                i = j
            continue
        candidates = _candidates(leads, conts, length, reading)
        spaced: frozenset[str] = frozenset()
        if line[j - 1] == " " and conts[-1] == (0xA0,):
            # The space was the byte 0xA0 of a no-break space (ftfy's reading), or it is a real space after
            # a dropped byte: "שם " is "×©× " with 0x9D dropped. Both stay candidates; the context decides.
            spaced = frozenset(candidates)
            if reading.lost:
                candidates = sorted(spaced | set(_candidates(leads, conts[:-1], length, reading)))
        if not candidates:
            continue
        repair = _Repair(i, j, REPLACEMENT, len(candidates) > 1, bool(missing) or guessed_byte, bool(missing),
                         tuple(candidates), spaced, marked)  # fmt: skip
        if len(candidates) == 1:
            repair.text = candidates[0]
        else:  # the line so far, and its open quotes, only where a choice is to be made
            closing = quotes.before(i, repairs)
            allowed = _allowed(repair, mode, closing)
            if spaced and mode != "drops":  # first guess ftfy's reading; the context may overrule it
                allowed = [ch for ch in allowed if ch in spaced or ch in closing]
            if len(allowed) == 1:
                repair.text = allowed[0]
            elif any(_common(ch) for ch in allowed):
                repair.text = _choose(allowed, closing)
            # else several candidates, none of them a character people write: U+FFFD says so
        repairs.append(_settle_space(line, repair))
        i = repair.end
    return repairs


def _allowed(r: _Repair, mode: str, closing: set[str]) -> list[str]:
    """The candidates a repair may take. Where a space may be the byte 0xA0 or a real space after a
    dropped byte: in a document that marks lost bytes, those taking the space (ftfy's reading), unless a
    dropped byte gives a quote that closes one still open ("ā€œtinkerersā€ are"); otherwise also the
    common characters a dropped byte gives ("שם " from "×©× "), and the context decides."""
    if not r.spaced:
        return list(r.candidates)
    spaced = [ch for ch in r.candidates if ch in r.spaced]
    dropped = [ch for ch in r.candidates if ch not in r.spaced and (ch in closing if mode == "marks" else _common(ch))]
    return spaced + dropped


def _settle_space(line: str, r: _Repair) -> _Repair:
    """Where the repair's last character is a space: does the chosen character take it as its byte 0xA0?
    If not, the space stays and the byte before it was dropped."""
    if not r.spaced:
        return r
    space = r.start + len(line[r.start : r.end].rstrip(" "))  # the space the sequence may end with
    if r.text in r.spaced:
        r.end, r.dropped = space + 1, False
        if r.text == "à" and not _A_GRAVE_JOINS.match(line, r.end):
            r.end = space  # "Ã perturber": the space was both the byte of "à" and the space after it (ftfy's rule)
    else:
        r.end, r.dropped, r.lost = space, True, True
    return r


def _rechoose(line: str, repairs: list[_Repair], mode: str) -> list[_Repair]:
    """Choose again where several characters fit, now that the characters on both sides are repaired:
    the one most often written between those two neighbours in real text ("ορισμού", not "ορισμορ").
    A closing quote for a quote still open, and an emoji, keep the rule of `_choose`."""
    quotes = _OpenQuotes(line)
    for k, r in enumerate(repairs):
        if len(r.candidates) < 2 or r.text == REPLACEMENT or r.text in _emoji():
            continue
        before = repairs[k - 1].text[-1:] if k and repairs[k - 1].end == r.start else line[r.start - 1 : r.start]
        space = r.start + len(line[r.start : r.end].rstrip(" ")) if r.spaced else r.end
        nxt = repairs[k + 1] if k + 1 < len(repairs) else None

        def after(ch: str) -> str:
            end = space + 1 if ch in r.spaced else space
            if nxt and nxt.start == end:
                return nxt.text[:1]
            return line[end : end + 1]

        closing = quotes.before(r.start, repairs, k)
        allowed = _allowed(r, mode, closing)
        score = {ch: _in_context_score(before or "\n", ch, after(ch) or "\n") for ch in allowed}
        ranked = sorted(allowed, key=lambda ch: (ch in closing, score[ch], -ord(ch)), reverse=True)
        margin = score[ranked[0]] - score[ranked[1]] if len(ranked) > 1 else 99
        if ranked[0] in closing or margin >= CONTEXT_MARGIN or r.text not in allowed:
            r.text = ranked[0]
        _settle_space(line, r)
    return repairs


def _in_context_score(before: str, ch: str, after: str) -> float:
    """log P(ch | before, after), from bigram counts smoothed towards the character's own frequency."""
    bigrams, count = _bigrams(), _char_frequency().get(ch, 0) + 1
    smooth = BIGRAM_SMOOTHING * count
    return math.log(bigrams.get(before + ch, 0) + smooth) + math.log(bigrams.get(ch + after, 0) + smooth) - math.log(count)


@functools.cache
def _bigrams() -> dict[str, int]:
    """Counts of adjacent character pairs in real text, where one is a character a lost byte can leave in
    doubt; a line's start and end are "\\n" (see eval/build_text_tables.py)."""
    data = importlib.resources.files("pipeline.text") / "data" / "bigram_frequency.tsv.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        rows = csv.reader((line for line in f if not line.startswith("#")), delimiter="\t")
        next(rows)
        return {chr(int(a, 16)) + chr(int(b, 16)): int(n) for a, b, n in rows}


def _ends_sentence(line: str, j: int, last: bool) -> bool:
    """Is the "?" at j a question mark, not a byte written as "?"? When it would be a sequence's last
    byte and ends the line or a sentence, a dropped byte before a real "?" is as likely: keep the "?"."""
    return last and line[j] == "?" and (j + 1 == len(line.rstrip()) or (line[j + 1 : j + 2].isspace() and line[j + 2 : j + 3].isupper()))


# After "Ã ", the words where the space was the byte of "à" and not a space as well ("às", "àquele").
_A_GRAVE_JOINS = re.compile("s |quele|quela|quilo")


def _gain(line: str, repairs: list[_Repair]) -> float:
    """How much more likely the line is with the repairs made (> 0: more likely)."""
    return sum(sum(map(_cost, line[r.start : r.end])) - sum(map(_cost, r.text)) for r in repairs)


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ")[0]


def _plausible(r: _Repair, alone: bool, reading: Reading) -> bool:
    return _plausible_char(r.text, alone, reading.name)


@functools.cache
def _plausible_char(ch: str, alone: bool, reading: str) -> bool:
    """Could the repaired character be what was written? A 2-byte character must be common in real text
    (a rare one like "ɮ" from "NESTLÉ®" is a coincidence); a longer one must be seen in real text, or be a
    letter among other repairs (a rare ideograph in a damaged Chinese line). Among other repairs, a
    character of the reading itself may be what a first repair of text damaged twice gives."""
    if ch == REPLACEMENT or ch in _emoji():
        return True
    count = _char_frequency().get(ch, 0)
    if not alone and (ch in _BY_NAME[reading].bytes_of or ch == "\xad"):
        return True
    if len(ch.encode()) == 2:
        return count >= MIN_COUNT
    return count > 0 or (not alone and unicodedata.category(ch)[0] == "L")


def _in_context(line: str, r: _Repair) -> bool:
    """A lone 2-byte repair needs the marks real damage leaves. For a letter: the damaged run breaks its
    word (a capital after a small letter, or a symbol between letters: "fĂźr", "cafÃ©s") and the repaired
    letter joins a letter of its own script ("für", "può" from "pu├▓"); "AHÅ™" and "5×£35" stay. Anything else: ftfy also
    finds the line bad."""
    if unicodedata.category(r.text)[0] != "L":
        return _badness(line) > 0
    before, run, after = line[r.start - 1 : r.start], line[r.start : r.end], line[r.end : r.end + 1]
    breaks_word = before.isalpha() and (
        (before.islower() and run[0].isupper()) or not run[0].isalpha() or (after.isalpha() and not run.isalpha())
    )
    return breaks_word and any(c.isalpha() and _script(c) == _script(r.text) for c in before + after)


def _accept(line: str, repairs: list[_Repair], reading: Reading, trusted: bool = False) -> list[_Repair]:
    """The repairs to make in `line`: all of them when they account for every non-ASCII character in it,
    one is certain (complete and unambiguous) and half as many are complete as miss a byte, or the reading is
    `trusted` (certain elsewhere in the document), each is plausible and the line becomes more likely;
    otherwise only whole 3- and 4-byte sequences that are certain, common and more likely, which real text
    hardly forms by chance (some runs of a line damaged, others fine)."""
    lost = sum(r.lost for r in repairs)
    if not trusted and (not any(r.certain for r in repairs) or lost > 2 * (len(repairs) - lost)):
        return []  # guesses need certain repairs beside them, and lost bytes half as many whole sequences
    found = [r for r in repairs if r.text != REPLACEMENT]
    alone = len(found) == 1
    if (
        _covers(line, repairs)
        and all(_plausible(r, alone, reading) for r in repairs)
        and _gain(line, repairs) > 0
        and not (alone and len(found[0].text.encode()) == 2 and not _in_context(line, found[0]))
    ):
        return repairs
    partial = [
        r
        for r in repairs
        if r.certain and len(r.text.encode()) >= 3 and _common(r.text) and _gain(line, [r]) > 0
        and line[r.start - 1 : r.start].isascii() and line[r.end : r.end + 1].isascii()  # a whole run, not "в’єт"
    ]  # fmt: skip
    return partial if len(partial) == len(repairs) else []  # not in a line of garble it cannot explain


def _common(ch: str) -> bool:
    return ch in _emoji() or _char_frequency().get(ch, 0) >= MIN_COUNT


@dataclass
class MojibakeReport:
    kinds: list[str] = field(default_factory=list)  # which readings / ftfy steps were undone
    runs: int = 0  # damaged sequences repaired
    guessed: int = 0  # of those, a lost byte inferred or one of several candidates chosen by rule
    lost_bytes: int = 0  # of those, a byte that was dropped or written as ? or U+FFFD inferred
    # What the repairs showed of lost bytes: "marks" (a U+FFFD, a "?" inside a word), "drops" (none where
    # one is missing), and the weaker "marks?" (a "?" ending a sentence) and "drops?" (a space after it).
    evidence: collections.Counter = field(default_factory=collections.Counter, repr=False)
    unrecoverable: int = 0  # written as U+FFFD

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def _repair_line(
    line: str, report: MojibakeReport, gate: tuple[re.Pattern, ...], trusted: frozenset[str] = frozenset(),
    mode: str = "unknown",
) -> tuple[str, tuple[re.Pattern, ...]]:
    """Repair under the reading that makes the line most likely; where readings repair the same runs
    differently, under the one whose letters fit one language's alphabet ("jābūt", not "jābōt").
    Again, for text damaged twice. `gate`: the gate patterns the line holds; returned with the line."""
    for round_ in range(MAX_ROUNDS + 1):
        if round_:
            gate = _suspect(line)
        if not gate or round_ == MAX_ROUNDS:
            break
        readings = [r for r in READINGS if r.gate in gate]
        whole = _whole_line_options(line, readings)
        if whole:  # the common case, at C speed; `_scan` only where a character stands for two bytes
            readings = [r for r in readings if r.ambiguous and r.ambiguous.search(line) and r.covers(line)]
        options = [(gain, name, None, repaired) for repaired, gain, name in whole]
        for reading in readings:
            if repairs := _accept(line, _scan(line, reading, mode), reading, reading.name in trusted):
                options.append((_gain(line, repairs), reading.name, repairs, _repaired_prefix(line, len(line), repairs)))
        if not options:
            break
        best = max(options, key=lambda o: o[0])
        rivals = list({o[3]: o for o in options}.values())  # one per repaired text
        if len(rivals) > 1:
            runs = _changed(line, best[3])
            rivals = [o for o in rivals if _changed(line, o[3]) == runs]
        if len(rivals) > 1:
            best = max(rivals, key=lambda o: (round(_coherence(o[3]), 2), o[0]))
        _, name, repairs, repaired = best
        if repairs is None:
            _count(report, name, runs=_non_ascii(repaired))
        else:
            _apply(line, repairs, name, report)
        line = repaired
    return line, gate


def _repair_line_once(
    line: str, report: MojibakeReport, gate: tuple[re.Pattern, ...], trusted: frozenset[str], mode: str
) -> tuple[str, tuple[re.Pattern, ...]]:
    """_repair_line, remembered: a site's damaged lines ("Reply Â· Share Â· Report") recur in every document, and
    a document is repaired a second time once it shows its mode, where most lines come out as they did."""
    repaired, gate_after, found, other_in = _repair_line_alone(line, gate, trusted, "unknown")
    if mode in other_in:
        repaired, gate_after, found, _ = _repair_line_alone(line, gate, trusted, mode)
    for kind in found.kinds:
        _count(report, kind, 0)
    report.runs += found.runs
    report.guessed += found.guessed
    report.lost_bytes += found.lost_bytes
    report.evidence.update(found.evidence)
    report.unrecoverable += found.unrecoverable
    return repaired, gate_after


@functools.lru_cache(maxsize=8192)
def _repair_line_alone(
    line: str, gate: tuple[re.Pattern, ...], trusted: frozenset[str], mode: str
) -> tuple[str, tuple[re.Pattern, ...], MojibakeReport, tuple[str, ...]]:
    """_repair_line with a report of its own, and the modes that may repair the line otherwise (_ModeMet)."""
    found, placeholders, spaces = MojibakeReport(), _ModeMet.placeholders, _ModeMet.spaces
    repaired, gate_after = _repair_line(line, found, gate, trusted, mode)
    if _ModeMet.spaces != spaces:
        return repaired, gate_after, found, ("marks", "drops")
    return repaired, gate_after, found, ("drops",) if _ModeMet.placeholders != placeholders else ()


def _changed(line: str, repaired: str) -> tuple[int, int]:
    """The span of `line` a repair changed: repairs of the same runs share it."""
    start = next((k for k, (a, b) in enumerate(zip(line, repaired)) if a != b), 0)
    return start, len(line) - next((k for k, (a, b) in enumerate(zip(line[::-1], repaired[::-1])) if a != b), 0)


def _whole_line_options(line: str, readings: list[Reading]) -> list[tuple[str, float, str]]:
    """(repaired line, gain, reading) for each reading that reads the whole line back as UTF-8 into
    characters that are all plausible, making it more likely: what `_accept` would take from `_scan`
    when every sequence is complete. A single repaired character is left to `_scan` and its context."""
    options, before = [], None
    for reading in readings:
        repaired = reading.whole_line(line)
        if repaired is None or repaired == line:
            continue
        found = _NON_ASCII.findall(repaired)
        if len(found) < 2 or not all(_plausible_char(ch, False, reading.name) for ch in found):
            continue
        before = sum(map(_cost, _NON_ASCII.findall(line))) if before is None else before
        gain = before - sum(map(_cost, found))
        if gain > 0:
            options.append((repaired, gain, reading.name))
    return options


def _repair_lines(
    lines: list[str], gates: list[tuple], report: MojibakeReport, mode: str = "unknown"
) -> tuple[list[str], list[tuple]]:
    """Each line on its own (damage is often mixed), then the lines left with only guesses, under the
    readings that repaired other lines for certain ("farms šŸ„" in a thread of broken quotes).
    `gates`: the gate patterns each line holds; returned with the lines."""
    fixed = [_repair_line_once(line, report, g, frozenset(), mode) if g else (line, g) for line, g in zip(lines, gates)]
    if report.kinds:
        trusted = frozenset(report.kinds)
        fixed = [
            _repair_line_once(line, report, g, trusted, mode) if g and line == before else (line, g)
            for (line, g), before in zip(fixed, lines)
        ]
    seen = next((e for e in ("marks", "drops", "drops?", "marks?") if report.evidence[e]), None)
    if mode == "unknown" and seen:
        # Once the document shows what its decoder did with lost bytes, repair it all that way: a decoder
        # that drops bytes writes no "?" for them ("join ‘m”?"); one that writes them keeps the spaces.
        report.__init__()
        return _repair_lines(lines, gates, report, seen.rstrip("?"))
    return [line for line, _ in fixed], [g for _, g in fixed]


def _apply(line: str, repairs: list[_Repair], kind: str, report: MojibakeReport) -> str:
    _count(report, kind, len(repairs))
    report.guessed += sum(not r.certain for r in repairs)
    report.lost_bytes += sum(r.lost for r in repairs)
    report.evidence.update(r.evidence(line) for r in repairs if r.lost)
    report.unrecoverable += sum(r.text == REPLACEMENT for r in repairs)
    return _repaired_prefix(line, len(line), repairs)


def _count(report: MojibakeReport, kind: str, runs: int) -> None:
    if kind not in report.kinds:
        report.kinds.append(kind)
    report.runs += runs


def _ftfy_pass(lines: list[str], gates: list[tuple], report: MojibakeReport) -> list[str]:
    """ftfy's fix_encoding on each suspect line (ftfy.fix_text works line by line too)."""
    lines = list(lines)
    for k, (line, gate) in enumerate(zip(lines, gates)):
        if gate and _ftfy_may_change(line, gate) and _badness(line):
            fixed, steps = ftfy.fix_encoding_and_explain(line, _FTFY_CONFIG)
            if fixed != line:
                report.kinds += [kind for step in steps or () if (kind := f"ftfy {step[0]} {step[1]}") not in report.kinds]
                report.runs += 1
                lines[k] = fixed
    return lines


def _ftfy_may_change(line: str, gate: tuple[re.Pattern, ...]) -> bool:
    """Could ftfy's fix_encoding change the line (whose gate patterns are `gate`)? Only through one of
    its steps, tried here at C speed: a code page that turns the line into UTF-8, a run its UTF-8
    detector knows, or C1 controls. Saves its badness measure (about 3 MB/s) on lines it leaves alone."""
    if _C1_OR_SURROGATE in gate or chardata.UTF8_DETECTOR_RE.search(line):
        return True
    for encoding in chardata.CHARMAP_ENCODINGS:
        if (_FTFY_PAIRS[encoding] in gate or _NBSP_AS_SPACE in gate) and chardata.possible_encoding(line, encoding):
            data = line.encode(encoding)
            if encoding != "macroman" and chardata.ALTERED_UTF8_RE.search(data):
                return True
            if encoding.startswith("sloppy"):
                data = ftfy.fixes.replace_lossy_sequences(data)
            try:
                data.decode("utf-8-variants" if (0xED in data or 0xC0 in data) else "utf-8")
                return True
            except UnicodeDecodeError:
                pass
    return False


def repair_mojibake(text: str) -> tuple[str, MojibakeReport]:
    """Repair mojibake and say what was done. Correct text comes back unchanged."""
    if text.isascii() or not (gate := _suspect(text)):
        return text, MojibakeReport()
    lines = _lines(text)
    gates = [_suspect(line, gate) for line in lines]
    report = MojibakeReport()
    ours, ours_gates = _repair_lines(lines, gates, report)
    result = "".join(_ftfy_pass(ours, ours_gates, report))
    # ftfy alone may leave less damage (its rules for NBSP, mixed runs), but not where ours leaves none (most
    # documents): only then is ftfy run on the text alone
    if ours != lines and any(ours_gates) and (left := _damage(result)):
        by_ftfy = "".join(_ftfy_pass(lines, gates, alone := MojibakeReport()))
        if by_ftfy not in (text, result) and _damage(by_ftfy) < left:
            return by_ftfy, alone
    return result, report


def _damage(text: str) -> float:
    """What is left to repair: ftfy's badness, and whether our readings would still repair something."""
    lines = _lines(text)
    return _badness(text) + (_repair_lines(lines, [_suspect(x) for x in lines], MojibakeReport())[0] != lines)


# The most characters a match of ftfy's badness pattern spans; every match holds a character beyond ASCII (a test
# checks both on the pattern).
BADNESS_WIDTH = 7


def _badness(text: str) -> int:
    """ftfy.badness.badness(text), counted in windows around the characters beyond ASCII only (most of a damaged
    text is ASCII): every match lies within BADNESS_WIDTH - 1 characters of one, and windows further apart than a
    match can span see each match as the whole text does."""
    beyond = np.flatnonzero(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32) > 0x7F)
    if not len(beyond):
        return 0
    reach = BADNESS_WIDTH - 1
    breaks = np.flatnonzero(np.diff(beyond) > 2 * reach)  # a window ends, the next begins
    firsts, lasts = beyond[np.append(0, breaks + 1)].tolist(), beyond[np.append(breaks, len(beyond) - 1)].tolist()
    pattern = ftfy.badness.BADNESS_RE
    return sum(len(pattern.findall(text, max(first - reach, 0), last + reach + 1)) for first, last in zip(firsts, lasts))


def fix_mojibake(text: str) -> str:
    """Return `text` with its mojibake repaired."""
    return repair_mojibake(text)[0]


def has_mojibake(text: str) -> bool:
    """Does text still look like mojibake? Used by the corpus check."""
    return fix_mojibake(text) != text
