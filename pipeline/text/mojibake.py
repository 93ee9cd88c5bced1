"""Repair mojibake: UTF-8 text that was decoded with a single-byte code page, possibly losing bytes.

Three steps, each recorded:

1. A cheap gate: mojibake made of UTF-8 always holds a character some code page maps to a UTF-8 lead byte
   followed by one it maps to a continuation byte (or a C1 control, or a stray surrogate). Text without one
   is returned at once; that is most text.
2. Our readings (`READINGS`), line by line: each character is mapped back to every byte the reading turns
   into it and the bytes are decoded as UTF-8 again, with bytes the code page does not define inferred
   where they were dropped or written as `?` or U+FFFD. A line is repaired under a reading when every
   non-ASCII character in it belongs to a sequence that decodes (`_accept`), and the result is more
   likely text than the original (`_cost`, from character frequencies in real text). Repeated, for text
   damaged twice.
3. ftfy's `fix_encoding`, when its badness measure still flags the text, for what ftfy knows and we do
   not (NBSP turned into a space, UTF-8 variants, inconsistent runs), with everything that normalises off.
   If ftfy alone leaves less damage than steps 2 and 3 together, ftfy's result is kept.
"""

from __future__ import annotations

import csv
import functools
import importlib.resources
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field

import ftfy

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
MAX_ROUNDS = 3  # text damaged three times over is repaired; more is noise


@dataclass(frozen=True)
class Reading:
    """How one or more single-byte code pages turned each byte 0x80-0xFF into a character."""

    name: str
    bytes_of: dict[str, tuple[int, ...]]  # character -> every byte this reading decodes to it
    lost: tuple[int, ...]  # continuation bytes the code page does not define: dropped or a placeholder
    pair: re.Pattern  # a lead character followed by a continuation character or a placeholder

    @functools.cached_property
    def leads(self) -> re.Pattern:
        return re.compile("[" + re.escape("".join(ch for ch, bs in self.bytes_of.items() if _lead_bytes(bs))) + "]")


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


def _reading(name: str, codec: str, c1: str | None = None) -> Reading:
    """One decoder: `codec` for 0x80-0xFF, or `c1` for 0x80-0x9F if given, as browsers do with a legacy
    label. A byte the code page does not define may survive as the C1 control of the same number (as
    sloppy decoders keep it), or be lost."""
    bytes_of: dict[str, list[int]] = {}
    lost = []
    for b in range(0x80, 0x100):
        try:
            ch = bytes([b]).decode(c1 if (c1 and b < 0xA0) else codec)
        except UnicodeDecodeError:
            ch = chr(b)
            if b < 0xC0:  # only a continuation byte can go missing inside a sequence
                lost.append(b)
        bytes_of.setdefault(ch, []).append(b)
    table = {ch: tuple(bs) for ch, bs in bytes_of.items()}
    leads = [ch for ch, bs in table.items() if _lead_bytes(bs)]
    conts = [ch for ch, bs in table.items() if _cont_bytes(bs)] + (list(PLACEHOLDERS) if lost else [])
    pair = re.compile(_char_class(leads) + _char_class(conts))
    return Reading(name, table, tuple(lost), pair)


READINGS = (
    _reading("windows-1252", "cp1252"),
    _reading("latin-1", "latin-1"),
    _reading("windows-1250", "cp1250"),
    _reading("iso-8859-2", "iso8859_2"),
    _reading("windows-1251", "cp1251"),
    _reading("windows-1257", "cp1257"),
    _reading("iso-8859-13", "iso8859_13"),
    # Browsers decode a Baltic label with windows-1252 in 0x80-0x9F: the leaked-memo thread.
    _reading("iso-8859-13 with windows-1252 in 0x80-0x9F", "iso8859_13", c1="cp1252"),
    _reading("mac-roman", "mac_roman"),
    _reading("cp437", "cp437"),
)

# The gate: ftfy's code pages too, since ftfy can repair only what one of them explains.
_GATE = re.compile(
    "|".join(
        [r.pair.pattern for r in READINGS]
        + [_reading(c, c).pair.pattern for c in ("cp1253", "cp1254")]
        + [r"[\x80-\x9f\ud800-\udfff]", "[\u00c2-\u00df][ ]"]  # C1 controls, surrogates, NBSP made a space
    )
)


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


_OPEN_CLOSE = {"“": "”", "‘": "’", "„": "”", "«": "»", "‹": "›"}


def _choose(candidates: list[str], line: str) -> str:
    """Pick the character a damaged sequence most likely was. The rule, in order:

    1. a closing quote that closes a quote still open earlier on the same line (`line`, repaired so far);
    2. an emoji with Emoji_Presentation, the most used first (Emoji Sentiment Ranking occurrences);
    3. the character most frequent in real text (char_frequency.tsv);
    4. the lowest code point, so the choice is deterministic.
    """
    closing = _closing_quotes(line)
    emoji_set, usage, freq = _emoji_presentation(), _emoji_usage(), _char_frequency()

    def key(ch: str) -> tuple:
        return (ch in closing, ch in emoji_set, usage.get(ch, 0), freq.get(ch, 0), -ord(ch))

    return max(candidates, key=key)


def _closing_quotes(line: str) -> set[str]:
    """The closing quotes of the quotes still open in `line`."""
    open_quotes: list[str] = []
    for c in line:
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
    return s if len(s) == 1 and (_visible(s) or _latin1_control(s)) else None


@dataclass
class _Repair:
    start: int
    end: int
    text: str
    ambiguous: bool  # several characters fit; one was chosen by rule
    lost: bool  # a byte was missing and inferred
    dropped: bool = False  # that byte left no trace (no "?", no U+FFFD)

    @property
    def certain(self) -> bool:
        return not (self.ambiguous or self.lost)


def _repaired_prefix(line: str, i: int, repairs: list[_Repair]) -> str:
    parts, last = [], 0
    for r in repairs:
        parts += [line[last : r.start], r.text]
        last = r.end
    return "".join(parts) + line[last:i]


def _candidates(leads: list[int], conts: list[tuple[int, ...]], length: int, reading: Reading) -> list[str]:
    """Every visible character the lead byte and continuation bytes can form, the lost ones anywhere."""
    missing = length - 1 - len(conts)
    slot_sets = []
    for where in itertools.combinations(range(length - 1), missing):
        it = iter(conts)
        slot_sets.append([reading.lost if k in where else next(it) for k in range(length - 1)])
    return sorted(
        {
            ch
            for slots in slot_sets
            for lead in leads
            for combo in itertools.product(*slots)
            if (ch := _decode_one((lead, *combo)))
        }
    )


def _scan(line: str, reading: Reading, drops: bool = False) -> list[_Repair]:
    """Every UTF-8 sequence hidden in `line` under `reading`, and what it decodes to. `drops`: the
    document shows bytes dropped, so a "?" that ends a sentence is a question mark, not a byte."""
    bytes_of, placeholders = reading.bytes_of, PLACEHOLDERS if reading.lost else ""
    nbsp_is_a0 = 0xA0 in bytes_of.get("\xa0", ())
    repairs: list[_Repair] = []
    n, i = len(line), 0
    for m in reading.leads.finditer(line):
        if m.start() < i:
            continue
        i = m.start()
        options = _lead_bytes(bytes_of[line[i]])
        length = max(map(_lead_length, options))
        leads = [b for b in options if _lead_length(b) == length]
        conts: list[tuple[int, ...]] = []
        guessed_byte = False
        j = i + 1
        while j < n and len(conts) < length - 1:
            opts = _cont_bytes(bytes_of.get(line[j], ()))
            if not opts and line[j] in placeholders and not (drops and _ends_sentence(line, j, len(conts) == length - 2)):
                opts, guessed_byte = reading.lost, True
            elif not opts and line[j] == " " and nbsp_is_a0:  # a no-break space that became a space
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
        if line[j - 1] == " " and reading.lost and len(conts) > 1:
            # The space may also be a real space after a dropped byte: it is where the document drops
            # bytes ("farms šŸ„ and"), or where that closes a quote ("ā€œtinkerersā€ are").
            dropped = _candidates(leads, conts[:-1], length, reading)
            if not (drops and any(map(_common, dropped))):
                closing = _closing_quotes(_repaired_prefix(line, i, repairs))
                dropped = [ch for ch in dropped if ch in closing]
            candidates = dropped or candidates
        if not candidates:
            continue
        if len(candidates) == 1:
            choice = candidates[0]
        elif any(_common(ch) for ch in candidates):
            choice = _choose(candidates, _repaired_prefix(line, i, repairs))
        else:  # several candidates, none of them a character people write: say so
            choice = REPLACEMENT
        dropped = bool(missing)
        if line[j - 1] == " " and len(conts) > 1 and choice not in _candidates(leads, conts, length, reading):
            j, dropped = j - 1, True  # the space is a space; the byte before it was dropped
        elif line[j - 1] == " " and choice == "à" and not _A_GRAVE_JOINS.match(line, j):
            j -= 1  # "Ã perturber": the space was both the byte of "à" and the space after it (ftfy's rule)
        repairs.append(
            _Repair(i, j, choice, ambiguous=len(candidates) > 1, lost=dropped or guessed_byte, dropped=dropped)
        )
        i = j
    return repairs


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
    """Could the repaired character be what was written? A 2-byte character must be common in real text
    (a rare one like "ɮ" from "NESTLÉ®" is a coincidence); a longer one must be seen in real text, or be a
    letter among other repairs (a rare ideograph in a damaged Chinese line). Among other repairs, a
    character of the reading itself may be what a first repair of text damaged twice gives."""
    ch = r.text
    if ch == REPLACEMENT or ch in _emoji():
        return True
    count = _char_frequency().get(ch, 0)
    if not alone and (ch in reading.bytes_of or ch == "\xad"):
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
        return ftfy.badness.is_bad(line)
    before, run, after = line[r.start - 1 : r.start], line[r.start : r.end], line[r.end : r.end + 1]
    breaks_word = before.isalpha() and (
        (before.islower() and run[0].isupper()) or not run[0].isalpha() or (after.isalpha() and not run.isalpha())
    )
    return breaks_word and any(c.isalpha() and _script(c) == _script(r.text) for c in before + after)


def _accept(line: str, repairs: list[_Repair], reading: Reading, trusted: bool = False) -> list[_Repair]:
    """The repairs to make in `line`: all of them when they account for every non-ASCII character in it,
    as many are certain (complete and unambiguous) as guessed, or the reading is `trusted` (certain
    elsewhere in the document), each is plausible and the line becomes more likely;
    otherwise only whole 3- and 4-byte sequences that are certain, common and more likely, which real text
    hardly forms by chance (some runs of a line damaged, others fine)."""
    certain = sum(r.certain for r in repairs)
    if not trusted and (not certain or certain < len(repairs) - certain):
        return []  # guesses need certain repairs beside them
    covered = sum(r.end - r.start for r in repairs)
    non_ascii = sum(not ch.isascii() for ch in line) + sum(
        line[r.start : r.end].count("?") + line[r.start : r.end].count(" ") for r in repairs
    )
    found = [r for r in repairs if r.text != REPLACEMENT]
    alone = len(found) == 1
    if (
        covered == non_ascii
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
    dropped: int = 0  # of those, a byte that was dropped
    unrecoverable: int = 0  # written as U+FFFD

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def _repair_line(line: str, report: MojibakeReport, trusted: frozenset[str] = frozenset(), drops: bool = False) -> str:
    """Repair under the reading that makes the line most likely; where readings repair the same runs
    differently, under the one whose letters fit one language's alphabet ("jābūt", not "jābōt").
    Again, for text damaged twice."""
    for _ in range(MAX_ROUNDS):
        options = []
        for reading in READINGS:
            if not reading.pair.search(line):
                continue
            if repairs := _accept(line, _scan(line, reading, drops), reading, reading.name in trusted):
                options.append((_gain(line, repairs), reading.name, repairs))
        if not options:
            break
        runs = [(r.start, r.end) for r in max(options, key=lambda o: o[0])[2]]
        rivals = [o for o in options if [(r.start, r.end) for r in o[2]] == runs]
        if len(rivals) > 1:
            rivals.sort(key=lambda o: (round(_coherence(_repaired_prefix(line, len(line), o[2])), 2), o[0]))
        _, name, repairs = rivals[-1] if len(rivals) > 1 else max(options, key=lambda o: o[0])
        line = _apply(line, repairs, name, report)
    return line


def _repair_lines(text: str, report: MojibakeReport, drops: bool = False) -> str:
    """Each line on its own (damage is often mixed), then the lines left with only guesses, under the
    readings that repaired other lines for certain ("farms šŸ„" in a thread of broken quotes)."""
    lines = [_repair_line(line, report, drops=drops) if _GATE.search(line) else line for line in text.splitlines(True)]
    if report.kinds:
        trusted = frozenset(report.kinds)
        lines = [_repair_line(line, report, trusted, drops) if _GATE.search(line) else line for line in lines]
    if report.dropped and not drops:  # a decoder that drops bytes writes no "?" for them: "join ‘m”?"
        report.__init__()
        return _repair_lines(text, report, drops=True)
    return "".join(lines)


def _apply(line: str, repairs: list[_Repair], kind: str, report: MojibakeReport) -> str:
    if kind not in report.kinds:
        report.kinds.append(kind)
    report.runs += len(repairs)
    report.guessed += sum(not r.certain for r in repairs)
    report.lost_bytes += sum(r.lost for r in repairs)
    report.dropped += sum(r.dropped for r in repairs)
    report.unrecoverable += sum(r.text == REPLACEMENT for r in repairs)
    return _repaired_prefix(line, len(line), repairs)


def _ftfy_pass(text: str, report: MojibakeReport) -> tuple[str, MojibakeReport]:
    if _GATE.search(text) and ftfy.badness.is_bad(text):
        fixed, steps = ftfy.fix_encoding_and_explain(text, _FTFY_CONFIG)
        if fixed != text:
            report.kinds += [f"ftfy {step[0]} {step[1]}" for step in steps or ()]
            report.runs += 1
            text = fixed
    return text, report


def repair_mojibake(text: str) -> tuple[str, MojibakeReport]:
    """Repair mojibake and say what was done. Correct text comes back unchanged."""
    if text.isascii() or not _GATE.search(text):
        return text, MojibakeReport()
    report = MojibakeReport()
    ours = _repair_lines(text, report)
    result = _ftfy_pass(ours, report)
    if ours != text:  # ftfy alone may still leave less damage (its rules for NBSP and mixed runs)
        by_ftfy = _ftfy_pass(text, MojibakeReport())
        if by_ftfy[0] != result[0] and _damage(by_ftfy[0]) < _damage(result[0]):
            return by_ftfy
    return result


def _damage(text: str) -> float:
    """What is left to repair: ftfy's badness, and whether our readings would still repair something."""
    return ftfy.badness.badness(text) + (_repair_lines(text, MojibakeReport()) != text)


def fix_mojibake(text: str) -> str:
    """Return `text` with its mojibake repaired."""
    return repair_mojibake(text)[0]


def has_mojibake(text: str) -> bool:
    """Does text still look like mojibake? Used by the corpus check."""
    return fix_mojibake(text) != text
