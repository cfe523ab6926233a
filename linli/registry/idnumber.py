"""Citizen identity numbers (公民身份号码), GB 11643-1999.

18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence
(odd = male, even = female), and a check character computed with ISO 7064
MOD 11-2 (0–9 or X). First-generation cards carry 15 digits (2-digit year, no
check character); they are converted by inserting the century "19".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from linli.registry.normalise import text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits of the address code: the provincial-level divisions of GB/T 2260
# (91 is not a province but is not issued either; 71/81/82 are Taiwan, Hong Kong, Macao).
PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42"}
    | {"43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}
)
EARLIEST_BIRTH = date(1880, 1, 1)


class InvalidIdNumber(ValueError):
    """The reason is a Chinese sentence fit for a worker fixing a ledger row."""


@dataclass(frozen=True)
class IdNumber:
    value: str  # always the 18-character form
    birth_date: date
    gender: str  # "male" / "female"
    converted_from_legacy: bool = False

    @property
    def last6(self) -> str:
        return self.value[-6:]


def check_char(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalise(raw: object) -> str:
    """Full-width to half-width, spaces removed, x upper-cased; numbers from Excel kept as digits."""
    return re.sub(r"\s+", "", text(raw)).upper()


def parse(raw: object, *, today: date | None = None) -> IdNumber:
    """Validate and return the 18-character number, or raise InvalidIdNumber with the reason."""
    value = normalise(raw)
    if not value:
        raise InvalidIdNumber("身份证号为空。")
    legacy = False
    if len(value) == 15:
        if not value.isdigit():
            raise InvalidIdNumber("15 位身份证号只能由数字组成。")
        body = value[:6] + "19" + value[6:]
        value = body + check_char(body)
        legacy = True
    elif len(value) != 18:
        raise InvalidIdNumber(f"身份证号应为 18 位（或旧式 15 位），实际 {len(value)} 位。")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber("身份证号只能由数字组成，最后一位可以是 X。")
    if value[:2] not in PROVINCES:
        raise InvalidIdNumber(f"身份证号的地区码 {value[:6]} 无效。")
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {value[6:14]} 不存在。") from None
    if not EARLIEST_BIRTH <= birth <= (today or date.today()):  # noqa: DTZ011  (a calendar date, no zone)
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth:%Y-%m-%d} 不合理。")
    if not legacy and check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对是否录错。")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender, converted_from_legacy=legacy)


def mask_id(value: str) -> str:
    """`370502199001011234` → `3705**********1234`: region and the last four stay for recognition."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """`13800138000` → `138****8000`."""
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
