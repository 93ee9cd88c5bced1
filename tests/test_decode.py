import codecs

import pytest

from pipeline.text import Undecodable, decode_bytes

FRENCH = "Les élèves ont déjà «réussi» l’examen — très bien… C’était l’été à Paris, où l’on mange des crêpes."
JAPANESE = "日本語のテキストです。これはシフトJISでエンコードされた文章であり、検出されるべきです。東京都渋谷区"
RUSSIAN = "Привет, как дела? Это текст на русском языке в кодировке Windows-1251, его нужно распознать."


def test_utf8_with_and_without_bom():
    assert decode_bytes("naïve ✓".encode()).encoding == "utf-8"
    d = decode_bytes(codecs.BOM_UTF8 + "naïve ✓".encode())
    assert (d.text, d.encoding, d.method) == ("naïve ✓", "utf-8-sig", "bom")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    d = decode_bytes(bom + "Hello wörld — 文字".encode(codec))
    assert d.text == "Hello wörld — 文字" and d.encoding == "utf-16" and d.method == "bom"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [(FRENCH, "cp1252", "cp1252"), (JAPANESE, "shift_jis", "cp932"), (RUSSIAN, "cp1251", "cp1251")],
)
def test_legacy_encodings_detected(text, codec, expected):
    d = decode_bytes(text.encode(codec))
    assert d.text == text
    assert d.encoding == expected and d.method == "detected"


def test_meta_charset_is_used_when_bytes_are_not_utf8():
    page = '<html><head><meta charset="windows-1252"></head><body><p>café crème</p></body></html>'
    d = decode_bytes(page.encode("cp1252"))
    assert "café crème" in d.text and d.method == "meta" and d.encoding == "cp1252"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\n", "only whitespace"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG image"),
        (b"%PDF-1.7\n" + bytes(range(256)), "PDF"),
        (bytes(range(256)) * 8, "binary file"),
    ],
)
def test_non_text_is_rejected_with_a_reason(data, reason):
    with pytest.raises(Undecodable, match=reason):
        decode_bytes(data)


def test_control_characters_are_taken_out_and_counted():
    raw = "Build log\r\n\x1b[1;32mPASSED\x1b[0m all\x00 tests\x07\r\nPage one\x0cPage two\x7f\x1b]0;title\x07\n"
    d = decode_bytes(raw.encode())
    assert d.text == "Build log\nPASSED all tests\nPage one\nPage two\n"
    assert d.controls == 6  # two colour codes, a window title, NUL, BEL, DEL; not the line breaks
    assert "\t" in decode_bytes(b"a\tb c").text


def test_nul_padding_after_text_is_dropped_not_a_reason_to_reject():
    d = decode_bytes(b"A text file a tool padded to its block size with NUL bytes." + b"\x00" * 4000)
    assert d.text == "A text file a tool padded to its block size with NUL bytes." and d.controls == 4000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00" * 64, "64 control characters and no text"),
        (b"\x1b[2J\x1b[H", "2 control characters and no text"),
        (bytes(range(128)) * 16, "binary file: control characters in"),  # valid ASCII, yet a table of bytes
    ],
)
def test_control_characters_without_text_are_binary(data, reason):
    with pytest.raises(Undecodable, match=reason):
        decode_bytes(data)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_told_by_its_nul_bytes(codec):
    d = decode_bytes(FRENCH.encode(codec))
    assert (d.text, d.encoding, d.controls) == (FRENCH, codec, 0)


def test_c1_controls_wait_for_the_mojibake_repair():
    from pipeline.text import strip_controls

    assert decode_bytes("He said \x93hi\x94".encode()).text == "He said \x93hi\x94"  # cp1252 quotes read as Latin-1
    assert strip_controls("stray \x81 and \x9d", c1=True) == ("stray  and ", 2)


def test_unseen_characters_go_after_the_repair_not_before():
    from pipeline.text import fix_mojibake, strip_controls

    # "í" in UTF-8 read as Latin-1 is "Ã" and a soft hyphen: the repair needs it
    broken = "La decisi\u00c3\u00b3n fue r\u00c3\u00a1pida y un\u00c3\u00adsona, dijo el Bundes\xadministerium."
    assert strip_controls(broken) == (broken, 0)
    repaired = fix_mojibake(broken)
    assert "unísona" in repaired and "Bundes\xadministerium" in repaired
    assert strip_controls(repaired, c1=True) == (repaired.replace("\xad", ""), 1)  # after it, a word split where none shows
    # a byte-order mark and word joiners inside words, zero-width spaces at a line's ends and beside spaces: all go;
    # one between two letters stays (Thai marks its words so)
    unseen = "\u200bH\ufeffow to \u2060apply\u2060 it?\u200b\nคำ\u200bไทย"
    assert strip_controls(unseen, c1=True) == ("How to apply it?\nคำ\u200bไทย", 5)
