"""Outbound notification channels. Each copies an inbox item to somewhere outside Linli.

Configure with LINLI_NOTIFY_CHANNELS (dotted paths). A channel is a class with
`name` and `send(notification) -> bool`; an SMS or WeChat gateway is one more class.
A channel that fails is logged and does not stop the others or the inbox item.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from linli.core.logs import redact
from linli.registry.idnumber import mask_phone

if TYPE_CHECKING:
    from linli.cases.models import Notification

log = logging.getLogger("linli.notify")


class Channel(Protocol):
    name: str

    def send(self, notification: Notification) -> bool: ...


class ConsoleChannel:
    """Writes each message to the server log: the default, and what a test deployment wants.

    The log is no place for personal data: the recipient's phone is masked, and so is any phone or
    identity number in the text (reasons and notes are free text a resident may have written)."""

    name = "console"

    def send(self, notification: Notification) -> bool:
        user = notification.user
        phone = mask_phone(user.phone) if user.phone else "no phone"
        log.info("notify %s (%s): %s", user.username, phone, redact(notification.text))
        return True


@cache
def configured() -> list[Channel]:
    return [import_string(path)() for path in settings.LINLI_NOTIFY_CHANNELS]


def deliver(notification_ids: list[int]) -> None:
    from linli.cases.models import Notification

    for notification in Notification.objects.filter(pk__in=notification_ids).select_related("user"):
        sent: list[str] = []
        for channel in configured():
            try:
                if channel.send(notification):
                    sent.append(channel.name)
            except Exception:  # a gateway being down must not lose the inbox item
                log.exception("notification channel %s failed", channel.name)
        if sent:
            Notification.objects.filter(pk=notification.pk).update(sent_via=",".join(sent))
