"""What goes to the server log carries no personal data (issue 15.12).

Server logs are copied, rotated and read by people who may not see the registry: a phone or an
identity number written there escapes masking, reveal auditing and scope. `redact` masks both in
any text bound for a log; `ClientErrorsOneLine` keeps refused requests (403) to one line."""

from __future__ import annotations

import logging
import re

# Mainland mobiles, with or without +86 and separators; identity numbers (18 and legacy 15 digits).
_MOBILE = re.compile(r"(?<![\dA-Za-z])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?![\dA-Za-z])")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{4})(?:\d{13}[\dXx]|\d{10}(\d))(?![\dA-Za-z])")


def redact(text: str) -> str:
    """Phones as `138****8000`, identity numbers as `3705**********`; the rest untouched."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 4), text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class ClientErrorsOneLine(logging.Filter):
    """Django logs a refused request (PermissionDenied → 403) with the exception's traceback: forty
    lines per curious click, burying real errors. A 4xx is the client's doing; one line says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
