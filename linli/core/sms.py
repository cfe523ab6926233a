"""Text messages to phones (one-time codes, rating links): one pluggable channel.

`send(phone, text, purpose=…)` hands the message to the backend named by `LINLI_SMS_BACKEND`:

- `console` (default): appends it to `<LINLI_VAR_DIR>/sms-outbox.log` — for a demo or an intranet without an
  SMS gateway, where a staff member reads the code to the resident. The file holds personal data: it is
  created readable by its owner only, and nothing is written to the general log but the masked phone.
- `memory`: keeps messages in `outbox` (tests read it, as Django's locmem mail backend).
- a dotted path `package.module.function(phone, text, purpose)` for a real gateway (a district's SMS
  platform); it raises `SmsError` when the gateway refuses.

Callers rate-limit and audit; this module only delivers.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from linli.core.masking import mask_phone

log = logging.getLogger("linli.sms")


class SmsError(Exception):
    """The channel could not deliver the message."""


@dataclass(frozen=True)
class Message:
    phone: str
    text: str
    purpose: str
    sent_at: datetime


outbox: list[Message] = []


def _console(message: Message) -> None:
    path = settings.VAR_DIR / "sms-outbox.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(
            f"{message.sent_at:%Y-%m-%d %H:%M:%S}\t{message.purpose}\t{message.phone}\t{message.text}\n"
        )


def send(phone: str, text: str, *, purpose: str) -> Message:
    message = Message(phone=phone, text=text, purpose=purpose, sent_at=timezone.localtime())
    backend = getattr(settings, "LINLI_SMS_BACKEND", "console")
    if backend == "memory":
        outbox.append(message)
    elif backend == "console":
        _console(message)
    else:
        import_string(backend)(phone, text, purpose)
    log.info("sms %s to %s", purpose, mask_phone(phone))
    return message
