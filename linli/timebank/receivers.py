"""The time bank listens to one thing: service confirmed in the volunteers' record, which it credits."""

from __future__ import annotations

from typing import Any

from linli.volunteers.signals import service_confirmed

DISPATCH_UID = "linli.timebank.credit_confirmed_service"


def credit_confirmed_service(sender: Any, *, records: Any, actor: Any = None, **kwargs: Any) -> None:
    """Runs inside the confirmation's transaction: if it fails, the confirmation rolls back with it, so a
    confirmed record and its credit never disagree. Crediting twice is impossible (see service_credit)."""
    from linli.timebank.services import service_credit

    for record in records:
        service_credit(record=record, actor=actor)


def connect() -> None:
    service_confirmed.connect(credit_confirmed_service, dispatch_uid=DISPATCH_UID)
