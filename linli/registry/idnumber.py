"""Identity numbers a resident may be registered with.

Citizen identity numbers (公民身份号码), GB 11643-1999: 18 characters — 6-digit
address code, 8-digit birth date, 3-digit sequence (odd = male, even = female),
and a check character computed with ISO 7064 MOD 11-2 (0–9 or X).
First-generation cards carry 15 digits (2-digit year, no check character); they
are converted by inserting the century "19".

Two other cards carry numbers of the same shape and are accepted with their own rule:

- 港澳台居民居住证 (residence permits of Hong Kong, Macao and Taiwan residents, since
  2018): the address code is exactly 810000, 820000 or 830000; the rest as above.
- 外国人永久居留身份证, 2023 version (issued from 1 December 2023): first digit 9 (no
  province starts with 9), then the 2-digit province code of the issuing office, a
  3-digit nationality code (GB/T 2659 numeric), the birth date, the sequence and a
  MOD 11-2 check character — the National Immigration Administration modelled it on
  GB 11643.

The 2017 foreign permanent residence card (3 Latin letters + 12 digits) is refused
with a message that says so: its number holds a 2-digit year and no sex, and its
check rule is not published, so the birth date and gender every resident carries
cannot be derived from it. Holders are registered with the 2023 card's number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from linli.core.masking import mask_id, mask_phone  # noqa: F401  (re-exported: callers mask through the registry)
from linli.registry.normalise import text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits of the address code: the provincial-level divisions of GB/T 2260 on the mainland,
# which are also the issuing offices of the 2023 foreign permanent residence card.
MAINLAND_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42"}
    | {"43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
)
# 71 is Taiwan's GB/T 2260 code, kept as before (older ledgers carry it); 81/82/83 are the
# residence permits of Hong Kong, Macao and Taiwan residents, whose address code is the whole
# region (810000, 820000, 830000), never a district below it.
PERMIT_REGIONS = {"810000": "香港", "820000": "澳门", "830000": "台湾"}
PROVINCES = MAINLAND_PROVINCES | {"71"} | {code[:2] for code in PERMIT_REGIONS}
FOREIGN_2017 = re.compile(r"[A-Z]{3}\d{12}")


class Kind:
    CITIZEN = "citizen"  # 居民身份证
    HMT_PERMIT = "hmt_permit"  # 港澳台居民居住证
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证（2023 版）


KIND_LABELS = {
    Kind.CITIZEN: "居民身份证",
    Kind.HMT_PERMIT: "港澳台居民居住证",
    Kind.FOREIGN_PERMANENT: "外国人永久居留身份证",
}
EARLIEST_BIRTH = date(1880, 1, 1)


class InvalidIdNumber(ValueError):
    """The reason is a Chinese sentence fit for a worker fixing a ledger row."""


@dataclass(frozen=True)
class IdNumber:
    value: str  # always the 18-character form
    birth_date: date
    gender: str  # "male" / "female"
    converted_from_legacy: bool = False
    kind: str = Kind.CITIZEN

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

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
    if FOREIGN_2017.fullmatch(value):
        raise InvalidIdNumber(
            "这是 2017 版外国人永久居留身份证号码（3 位字母加 12 位数字）：号码中没有完整的出生年份和性别，"
            "本系统不能据此登记。请按持证人的 2023 版永居证号码（以 9 开头的 18 位）登记。"
        )
    if len(value) == 15:
        if not (value.isascii() and value.isdigit()):
            raise InvalidIdNumber("15 位身份证号只能由数字组成。")
        body = value[:6] + "19" + value[6:]
        value = body + check_char(body)
        legacy = True
    elif len(value) != 18:
        raise InvalidIdNumber(f"身份证号应为 18 位（或旧式 15 位），实际 {len(value)} 位。")
    # ASCII digits only: str.isdigit() also accepts digits of other scripts (𐩀, ١), which int() refuses.
    if not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber("身份证号只能由数字组成，最后一位可以是 X。")
    kind = Kind.CITIZEN
    if value[0] == "9" and not legacy:
        kind = Kind.FOREIGN_PERMANENT
        if value[1:3] not in MAINLAND_PROVINCES:
            raise InvalidIdNumber(f"外国人永久居留身份证号码的受理地区码 {value[1:3]} 无效。")
        if value[3:6] == "000":
            raise InvalidIdNumber("外国人永久居留身份证号码的国籍代码 000 无效。")
    elif value[:2] not in PROVINCES:
        raise InvalidIdNumber(f"身份证号的地区码 {value[:6]} 无效。")
    elif value[:2] in {c[:2] for c in PERMIT_REGIONS}:
        if value[:6] not in PERMIT_REGIONS:
            region = PERMIT_REGIONS[value[:2] + "0000"]
            raise InvalidIdNumber(f"{region}居民居住证号码的地区码应为 {value[:2]}0000，实际为 {value[:6]}。")
        kind = Kind.HMT_PERMIT
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {value[6:14]} 不存在。") from None
    if not EARLIEST_BIRTH <= birth <= (today or date.today()):  # noqa: DTZ011  (a calendar date, no zone)
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth:%Y-%m-%d} 不合理。")
    if not legacy and check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对是否录错。")
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender, converted_from_legacy=legacy, kind=kind)
