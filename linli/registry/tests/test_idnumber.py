from __future__ import annotations

from datetime import date

import pytest

from linli.registry.idnumber import InvalidIdNumber, check_char, mask_id, mask_phone, normalise, parse

# The example printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_own_example_is_valid():
    number = parse(STANDARD_EXAMPLE)
    assert number.birth_date == date(1949, 12, 31)
    assert number.gender == "female"  # sequence 002 is even
    assert number.last6 == "31002X"


def test_check_character_is_iso_7064_mod_11_2():
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


def test_lower_case_x_full_width_and_spaces_are_normalised():
    assert parse("１１０１０５ 19491231002x").value == STANDARD_EXAMPLE


def test_excel_numbers_are_read_as_digits():
    # Excel stores a 15-digit number exactly, as a float; 18 digits it cannot (the import flags those).
    assert normalise(110105491231002.0) == "110105491231002"
    assert normalise(110105491231002) == "110105491231002"


def test_legacy_15_digit_numbers_are_converted():
    number = parse("110105491231002")
    assert number.value == STANDARD_EXAMPLE
    assert number.converted_from_legacy


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "为空"),
        ("1101051949123100", "应为 18 位"),
        ("11010519491231002Y", "只能由数字组成"),
        ("11010519491231002A", "只能由数字组成"),
        # Digits of other scripts pass str.isdigit() but not int(): refused, not a crash.
        ("110105194912310\U00010a402X", "只能由数字组成"),
        ("1101051949123\u06631002", "只能由数字组成"),
        ("11010549123100\U00010a40", "只能由数字组成"),
        ("99010519491231002X", "地区码"),
        ("110105194902300021", "出生日期 19490230 不存在"),
        ("110105209901010021", "不合理"),
        ("110105194912310021", "校验位不正确"),
        ("11010549123100A", "只能由数字组成"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        parse(raw, today=date(2026, 11, 22))


def test_masks_keep_only_what_recognition_needs():
    assert mask_id(STANDARD_EXAMPLE) == "1101**********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("12") == "**"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 132-0271 1567", "13202711567"),
        ("0086 13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("0571-88886666", "0571-88886666"),
        ("(0571)88886666", "057188886666"),
        ("", ""),
        ("12345", None),
        ("电话", None),
        ("23800138000", None),
    ],
)
def test_phone_numbers_are_read_as_people_write_them(raw, expected):
    from linli.registry.normalise import phone

    assert phone(raw) == expected


def _with_check(body17: str) -> str:
    return body17 + check_char(body17)


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("81000019900101123", "港澳台居民居住证"),  # Hong Kong
        ("82000019900101123", "港澳台居民居住证"),  # Macao
        ("83000019900101124", "港澳台居民居住证"),  # Taiwan: refused before this change
        ("11010519491231002", "居民身份证"),
    ],
)
def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_valid(body, label):
    number = parse(_with_check(body))
    assert number.kind_label == label
    assert number.birth_date.year in (1990, 1949)


def test_a_permit_number_carries_the_whole_region_as_its_address_code():
    with pytest.raises(InvalidIdNumber, match="台湾居民居住证号码的地区码应为 830000"):
        parse(_with_check("83010119900101124"))
    with pytest.raises(InvalidIdNumber, match="香港居民居住证号码的地区码应为 810000"):
        parse(_with_check("81990019900101124"))


def test_the_2023_foreign_permanent_residence_card_is_valid_by_its_own_rule():
    # The example of the 2023 rules: 9, issued in Jiangsu (32), nationality 682, born 1985-01-01.
    number = parse("932682198501010017")
    assert number.kind_label == "外国人永久居留身份证"
    assert (number.birth_date, number.gender) == (date(1985, 1, 1), "male")
    with pytest.raises(InvalidIdNumber, match="校验位不正确"):
        parse("932682198501010018")
    with pytest.raises(InvalidIdNumber, match="受理地区码 81 无效"):
        parse(_with_check("98168219850101001"))  # issued on the mainland only
    with pytest.raises(InvalidIdNumber, match="国籍代码 000 无效"):
        parse(_with_check("93200019850101001"))
    with pytest.raises(InvalidIdNumber, match="出生日期 19850230 不存在"):
        parse(_with_check("93268219850230001"))


def test_the_2017_foreign_permanent_residence_card_is_refused_with_a_message_that_says_so():
    for raw in ("KAZ110090123105", "kaz 1100 9012 3105"):
        with pytest.raises(InvalidIdNumber, match="2017 版外国人永久居留身份证号码.*以 9 开头的 18 位"):
            parse(raw)
