from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Passwords mix letters and digits: the usual rule of government IT security checklists."""

    def validate(self, password: str, user: Any = None) -> None:
        has_letter = any(c.isalpha() for c in password)
        has_digit = any(c.isdigit() for c in password)
        if not (has_letter and has_digit):
            raise ValidationError("密码必须同时包含字母和数字。", code="password_classes")

    def get_help_text(self) -> str:
        return "密码必须同时包含字母和数字。"


class MinimumLengthValidator:
    """Django's rule with a Chinese message (its zh-hans catalogue lacks this plural form).

    Whitespace does not count towards the length: "        a1" is ten characters but two of
    substance, and a guesser tries padding first. Spaces at either end are refused outright —
    almost always a paste accident that would make the password impossible to type again.
    """

    def __init__(self, min_length: int = 10) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if sum(1 for c in password if not c.isspace()) < self.min_length:
            raise ValidationError(
                f"密码长度太短，不算空格至少需要 {self.min_length} 个字符。", code="password_too_short"
            )
        if password != password.strip():
            raise ValidationError("密码首尾不能有空格。", code="password_edge_whitespace")

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符（不算空格）。"
