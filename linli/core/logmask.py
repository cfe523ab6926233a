"""Secrets out of log lines: API tokens in URLs (Open311's `api_key=`), in any access-log field or message.

A token is shown as its first 12 characters — the prefix Linli stores to recognise it (profile page,
`linli token list`) — so an operator can still tell which token made a request, but cannot use it.
"""

from __future__ import annotations

import logging
import re

TOKEN_PREFIX = 12
# Tokens are "linli_" and 43 URL-safe characters; any longer run than the kept prefix is cut.
TOKEN = re.compile(r"linli_[A-Za-z0-9_-]{7,}")
# Query or form parameters that carry a credential, whatever their value looks like.
SECRET_PARAMETER = re.compile(r"\b(api_key|access_token|password)=([^&\s\"']*)", re.IGNORECASE)


def _param(match: re.Match[str]) -> str:
    value = match.group(2)
    if not value or value.startswith("linli_"):  # empty, or a token already cut to its prefix
        return match.group(0)
    return f"{match.group(1)}=***"


def mask_secrets(text: str) -> str:
    if "linli_" not in text and "=" not in text:
        return text
    text = TOKEN.sub(lambda m: m.group(0)[:TOKEN_PREFIX] + "***", text)
    return SECRET_PARAMETER.sub(_param, text)


class MaskSecrets(logging.Filter):
    """A logging filter for handlers: the record's message with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
