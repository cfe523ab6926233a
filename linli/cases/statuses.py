"""A case's statuses, apart from the models so that the querysets can name them without an import circle."""

from __future__ import annotations

from django.db import models


class Status(models.TextChoices):
    RECEIVED = "received", "已受理"
    REGISTERED = "registered", "已立案"
    REJECTED = "rejected", "不予立案"
    DISPATCHED = "dispatched", "已派遣"
    HANDLING = "handling", "处置中"
    HANDLED = "handled", "处置完成"
    VERIFYING = "verifying", "核查中"
    CLOSED = "closed", "已结案"
    MERGED = "merged", "已合并"


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.REGISTERED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.HANDLED,
    Status.VERIFYING,
)
ENDED_STATUSES = (Status.REJECTED, Status.CLOSED, Status.MERGED)
