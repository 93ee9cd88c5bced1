"""Repair mojibake: UTF-8 text that was decoded with a single-byte code page.

Two passes, each recorded:

1. Readings ftfy does not model: UTF-8 read through a code page whose upper half is one ISO page and whose
   0x80-0x9F range is windows-1252 (what browsers do with a legacy label), with bytes lost on the way.
   Each character is mapped back to every byte that reading turns into it, and the bytes are decoded as
   UTF-8 again. See `_evidence` for when a reading applies, `_choose` for the rule among candidates.
2. ftfy's `fix_encoding` on the result, when ftfy's badness measure flags it, for the classic cases
   (windows-1252, latin-1, cp1250/1251/1257, Mac Roman, ...), with everything that normalises turned off.
The result of both is kept only when it leaves less damage than ftfy's pass alone (`_damage`).
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import itertools
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy

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


@dataclass(frozen=True)
class Reading:
    """How a single-byte code page turned each byte 0x80-0xFF into a character."""

    name: str
    bytes_of: dict[str, tuple[int, ...]]  # character -> every byte this reading decodes to it
    lost: tuple[int, ...]  # continuation bytes this reading cannot show: they vanish from the text


def _reading(upper: str, c1: str | None = None) -> Reading:
    bytes_of: dict[str, list[int]] = {}
    lost = []
    for b in range(0x80, 0x100):
        codec = c1 if (c1 and b < 0xA0) else upper
        try:
            ch = bytes([b]).decode(codec)
        except UnicodeDecodeError:
            lost.append(b)
            bytes_of.setdefault(chr(b), []).append(b)  # kept as a C1 control by sloppy decoders
            continue
        bytes_of.setdefault(ch, []).append(b)
    lost = [b for b in lost if b < 0xC0]  # only a continuation byte can go missing inside a sequence
    name = f"utf-8 read as {upper}" + (f" with {c1} in 0x80-0x9F" if c1 else "")
    return Reading(name, {ch: tuple(bs) for ch, bs in bytes_of.items()}, tuple(lost))


# Readings that ftfy's own charmap list cannot express (it has sloppy-windows-1257, not the mixed page).
READINGS = (_reading("iso8859_13", c1="cp1252"),)


def _lead_length(b: int) -> int:
    if 0xC2 <= b <= 0xDF:
        return 2
    if 0xE0 <= b <= 0xEF:
        return 3
    if 0xF0 <= b <= 0xF4:
        return 4
    return 0


def _is_cont(b: int) -> bool:
    return 0x80 <= b <= 0xBF


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


def _visible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LMNPS" and cat != "Co"


_OPEN_CLOSE = {"“": "”", "‘": "’", "„": "”", "«": "»", "‹": "›"}


def _choose(candidates: list[str], line: str) -> str:
    """Pick the character a damaged sequence most likely was. The rule, in order:

    1. a closing quote that closes a quote still open earlier on the same line (`line`, repaired so far);
    2. an emoji with Emoji_Presentation, the most used first (Emoji Sentiment Ranking occurrences);
    3. the character most frequent in real text (char_frequency.tsv);
    4. the lowest code point, so the choice is deterministic.
    """
    open_quotes: list[str] = []
    for c in line:
        if c in _OPEN_CLOSE:
            open_quotes.append(c)
        elif c in _OPEN_CLOSE.values():
            for k in range(len(open_quotes) - 1, -1, -1):  # close the innermost opener it matches
                if _OPEN_CLOSE[open_quotes[k]] == c:
                    del open_quotes[k]
                    break
    closing = {_OPEN_CLOSE[o] for o in open_quotes}
    emoji_set, usage, freq = _emoji_presentation(), _emoji_usage(), _char_frequency()

    def key(ch: str) -> tuple:
        return (ch in closing, ch in emoji_set, usage.get(ch, 0), freq.get(ch, 0), -ord(ch))

    return max(candidates, key=key)


def _decode_one(bs: tuple[int, ...]) -> str | None:
    try:
        s = bytes(bs).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return s if len(s) == 1 and _visible(s) else None


def _repaired_line(text: str, i: int, repairs: list["_Repair"]) -> str:
    """The current line up to position i, with the repairs made so far applied."""
    start = text.rfind("\n", 0, i) + 1
    on_line = list(itertools.takewhile(lambda r: r.start >= start, reversed(repairs)))[::-1]
    parts, last = [], start
    for r in on_line:
        parts += [text[last : r.start], r.text]
        last = r.end
    return "".join(parts) + text[last:i]


@dataclass
class _Repair:
    start: int
    end: int
    text: str
    guessed: bool  # a lost byte or an ambiguous byte was chosen by rule


def _scan(text: str, reading: Reading) -> list[_Repair]:
    """Find every UTF-8 sequence hidden in `text` under `reading` and what it decodes to."""
    bytes_of = reading.bytes_of
    repairs = []
    i, n = 0, len(text)
    while i < n:
        options = bytes_of.get(text[i])
        length = max((_lead_length(b) for b in options), default=0) if options else 0
        if not length:
            i += 1
            continue
        leads = [b for b in options if _lead_length(b) == length]
        conts: list[tuple[int, ...]] = []
        j = i + 1
        while j < n and len(conts) < length - 1:
            opts = tuple(b for b in bytes_of.get(text[j], ()) if _is_cont(b))
            if text[j] == REPLACEMENT and j + 1 < n and len(conts) + 1 < length - 1:
                opts = reading.lost  # a byte replaced by U+FFFD inside the sequence
            if not opts:
                break
            conts.append(opts)
            j += 1
        missing = length - 1 - len(conts)
        if not conts or missing > MAX_LOST_BYTES + 1:
            i += 1
            continue
        slot_sets = []
        if missing == 0:
            slot_sets.append(conts)
        else:  # the lost bytes may have stood anywhere among the continuation bytes
            for where in itertools.combinations(range(length - 1), missing):
                it = iter(conts)
                slot_sets.append([reading.lost if k in where else next(it) for k in range(length - 1)])
        candidates = sorted(
            {
                ch
                for slots in slot_sets
                for lead in leads
                for combo in itertools.product(*slots)
                if (ch := _decode_one((lead, *combo)))
            }
        )
        if missing > MAX_LOST_BYTES:
            candidates = []
        if not candidates:
            if missing:  # a broken sequence with nothing plausible: say so instead of leaving garbage
                repairs.append(_Repair(i, j, REPLACEMENT, guessed=True))
                i = j
            else:
                i += 1
            continue
        choice = _choose(candidates, _repaired_line(text, i, repairs))
        repairs.append(_Repair(i, j, choice, guessed=len(candidates) > 1 or missing > 0))
        i = j
    return repairs


_HIGH_RUN = re.compile(r"[^\x00-\x7f]+")


def _cp1252_reads(chars: str) -> str | None:
    """What `chars` decode to when read back as windows-1252 bytes, or None if that is not UTF-8."""
    try:
        return chars.encode("sloppy-windows-1252").decode("utf-8")
    except UnicodeError:
        return None


def _sure(text: str, repairs: list[_Repair]) -> list[_Repair]:
    """Repairs that are certain and that windows-1252 cannot explain: a complete, unambiguous sequence
    that windows-1252 would not repair the same way, in a run of non-ASCII characters that is not UTF-8
    when read back as windows-1252. Where windows-1252 explains it, the damage is ftfy's to judge
    ("MÄ£ÄM" and "HÅØYA" declined, "ÙŠØ¯" repaired as cp1252, each for good reasons)."""
    sure = []
    for r in repairs:
        if r.guessed or _cp1252_reads(text[r.start : r.end]) == r.text:
            continue
        start = r.start
        while start and not text[start - 1].isascii():  # the whole run, not just its tail
            start -= 1
        if _cp1252_reads(_HIGH_RUN.match(text, start).group()) is None:
            sure.append(r)
    return sure


def _evidence(text: str, repairs: list[_Repair]) -> bool:
    """Is this reading really what happened to the text?"""
    sure = _sure(text, repairs)
    if any(len(r.text.encode()) >= 3 for r in sure):
        return True  # a whole 3- or 4-byte sequence is never a coincidence of real text
    return len(sure) >= 2 and ftfy.badness.is_bad(text)  # two-byte ones are ("ÅØ" in Norwegian)


def _damage(text: str) -> int:
    """What is left to repair: ftfy's badness plus the certain sequences of our readings."""
    return ftfy.badness.badness(text) + sum(len(_sure(text, _scan(text, r))) for r in READINGS)


@dataclass
class MojibakeReport:
    kinds: list[str] = field(default_factory=list)  # which readings / ftfy steps were undone
    runs: int = 0  # damaged sequences repaired
    guessed: int = 0  # of those, chosen among several candidates or with a lost byte
    unrecoverable: int = 0  # written as U+FFFD

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


# Characters that some reading maps to a UTF-8 lead byte: a text with none of them has nothing for pass 1.
_LEADS = "".join(sorted({ch for r in READINGS for ch, bs in r.bytes_of.items() if any(map(_lead_length, bs))}))
_SUSPECT = re.compile("[" + re.escape(_LEADS) + "]")


def repair_mojibake(text: str) -> tuple[str, MojibakeReport]:
    """Repair mojibake and say what was done. Correct text comes back unchanged."""
    if text.isascii():
        return text, MojibakeReport()
    by_ftfy = _ftfy_pass(text, MojibakeReport())
    if _SUSPECT.search(text):
        report = MojibakeReport()
        for reading in READINGS:
            repairs = _scan(text, reading)
            if _evidence(text, repairs):
                text = _apply(text, repairs, reading, report)
        if report.changed:
            ours = _ftfy_pass(text, report)
            if _damage(ours[0]) < _damage(by_ftfy[0]):  # ties go to ftfy, the reference
                return ours
    return by_ftfy


def _apply(text: str, repairs: list[_Repair], reading: Reading, report: MojibakeReport) -> str:
    parts, last = [], 0
    for r in repairs:
        parts += [text[last : r.start], r.text]
        last = r.end
    report.kinds.append(reading.name)
    report.runs += len(repairs)
    report.guessed += sum(r.guessed for r in repairs)
    report.unrecoverable += sum(r.text == REPLACEMENT for r in repairs)
    return "".join(parts) + text[last:]


def _ftfy_pass(text: str, report: MojibakeReport) -> tuple[str, MojibakeReport]:
    if ftfy.badness.is_bad(text):
        fixed, steps = ftfy.fix_encoding_and_explain(text, _FTFY_CONFIG)
        if fixed != text:
            report.kinds += [f"ftfy {step[0]} {step[1]}" for step in steps or ()]
            report.runs += 1
            text = fixed
    return text, report


def fix_mojibake(text: str) -> str:
    """Return `text` with its mojibake repaired."""
    return repair_mojibake(text)[0]


def has_mojibake(text: str) -> bool:
    """Does text still look like mojibake? Used by the corpus check."""
    if ftfy.badness.is_bad(text):
        return True
    return bool(_SUSPECT.search(text)) and any(_evidence(text, _scan(text, r)) for r in READINGS)
