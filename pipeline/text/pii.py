"""Masking personal data in a text: e-mail addresses, IP addresses and phone numbers become <EMAIL_ADDRESS>,
<IP_ADDRESS> and <PHONE_NUMBER> (Presidio's entity names). Phone numbers are found by phonenumbers (Google's
libphonenumber): a number in international form anywhere, a national one as the region of the document's
language dials it (an English text as the United States'); it rejects dates, versions and prices that a pattern
of digits would take. IPv4 and IPv6 addresses are checked by the standard library's ipaddress."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import phonenumbers

EMAIL = "<EMAIL_ADDRESS>"
IP = "<IP_ADDRESS>"
PHONE = "<PHONE_NUMBER>"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_DIGITS = re.compile(r"\d(?:[\s().\-/]*\d){6}")  # seven digits, perhaps apart: a phone number may be there
# The region a national number is read in, by the document's language (langdetect's codes); others: international only.
REGIONS = {"en": "US", "de": "DE", "fr": "FR", "es": "ES", "it": "IT", "pt": "BR", "nl": "NL", "pl": "PL",
           "ru": "RU", "uk": "UA", "ja": "JP", "ko": "KR", "zh-cn": "CN", "zh-tw": "TW", "sv": "SE", "tr": "TR"}  # fmt: skip


@dataclass(frozen=True)
class Masked:
    text: str
    emails: int
    ips: int
    phones: int


def _is_ip(found: str) -> bool:
    try:
        ipaddress.ip_address(found)
    except ValueError:
        return False
    return True


def mask_pii(text: str, language: str | None = None) -> Masked:
    text, emails = _EMAIL.subn(EMAIL, text)
    ips = 0

    def ip(match: re.Match) -> str:
        nonlocal ips
        if not _is_ip(match[0]):
            return match[0]
        ips += 1
        return IP

    text = _IPV6.sub(ip, _IPV4.sub(ip, text))
    phones = 0
    if _DIGITS.search(text):  # the matcher reads the whole text slowly: only where seven digits stand together
        found = list(phonenumbers.PhoneNumberMatcher(text, REGIONS.get(language or "")))
        for match in reversed(found):
            text = text[: match.start] + PHONE + text[match.end :]
        phones = len(found)
    return Masked(text, emails, ips, phones)
