"""Normalising what people type (or what ledgers contain) into registry values."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime

from linli.core.validation import xml_safe

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def text(value: object) -> str:
    """NFKC (full-width → half-width) and trimmed, without what XML cannot carry; None → ''.

    Also what a spreadsheet cell holds: whole floats lose their '.0' (an ID or phone number typed
    into Excel), dates become YYYY-MM-DD.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", xml_safe(str(value))).strip()


def phone(value: object) -> str | None:
    """A usable phone number, or None if unusable; empty → ''.

    Mobiles come back as 11 digits whatever the punctuation or country code
    ("+86 132-0271 1567" → "13202711567"); landlines keep their area code; numbers abroad, given with
    their country code, come back as "+" and their digits ("+1 555 555 0100" → "+15555550100").
    """
    raw = text(value)
    if not raw:
        return ""
    compact = re.sub(r"[\s()（）.]", "", raw)
    digits = compact.replace("-", "")
    if mobile := re.fullmatch(r"(?:\+?86|0086)?(1[3-9]\d{9})", digits):
        return mobile.group(1)
    if LANDLINE_RE.match(compact):
        return compact
    if re.fullmatch(r"0\d{9,11}", digits):
        return digits
    if international := re.fullmatch(r"(?:\+|00)([1-9]\d{6,14})", digits):
        number = international.group(1)
        if not number.startswith("86"):
            # A number abroad in E.164 form ("+1 555 555 0100" → "+15555550100"): Open311 clients and
            # residents with foreign numbers are not all Chinese.
            return "+" + number
        if re.fullmatch(r"86[1-9]\d{8,10}", number):
            return "0" + number[2:]  # a landline written internationally: +86 10 1234 5678 → 01012345678
    return None


@functools.lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a Chinese name: 张三 → ("zhangsan", "zs").

    Cached: names repeat (a street of 260,000 has far fewer distinct names), and pinyin conversion is the
    import's largest single cost per row.
    """
    # Imported when first needed: its dictionaries are ~56 MB, which a process that never converts a
    # name (an import's writing process, a worker running sweeps) need not hold.
    from pypinyin import lazy_pinyin

    # One conversion: the initials are the syllables' first letters (what Style.FIRST_LETTER gives, at
    # half the cost of asking pypinyin twice).
    syllables = [s.lower() for s in lazy_pinyin(name, errors="ignore") if s.isascii() and s]
    return "".join(syllables), "".join(s[0] for s in syllables)
