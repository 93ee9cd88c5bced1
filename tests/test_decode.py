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
