"""What the time bank offers on other modules' pages (core.modules.record_actions): the balance on a
volunteer's page, and "转为互助需求" on a visit or a case. Those modules sit below this one and never import
it; the pages render what this returns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from linli.cases.models import Case
from linli.core.modules import RecordAction
from linli.core.permissions import Capability
from linli.timebank.models import Account, HelpRequest
from linli.timebank.services import hours_label
from linli.visits.models import Visit
from linli.volunteers.models import Volunteer

if TYPE_CHECKING:
    from linli.accounts.models import User


def record_actions(user: User, obj: Any) -> list[RecordAction]:
    if not user.can(Capability.READ_SCOPE):
        return []
    if isinstance(obj, Volunteer):
        return _balance(user, obj)
    if isinstance(obj, Visit):
        return _help_requests(user, "visit", obj)
    if isinstance(obj, Case):
        return _help_requests(user, "case", obj)
    return []


def _balance(user: User, volunteer: Volunteer) -> list[RecordAction]:
    """The volunteer's time-bank balance, linked to the account when the user may open it. No account yet:
    nothing has been credited (accounts open on first use), so the balance is 0."""
    account = (
        Account.objects.visible_to(user).filter(volunteer=volunteer).only("pk", "balance_minutes").first()
    )
    if account is None:
        if Account.objects.filter(volunteer=volunteer).exists():
            return []  # an account the user may not see (another grid's): say nothing rather than 0
        return [RecordAction("timebank.balance", _("时间银行余额"), detail=_("未开户 · 0 小时"))]
    return [
        RecordAction(
            "timebank.balance",
            _("时间银行余额"),
            url=reverse("timebank:account", args=[account.pk]),
            detail=hours_label(account.balance_minutes),
        )
    ]


def _help_requests(user: User, origin: str, obj: Visit | Case) -> list[RecordAction]:
    """The help requests already made from this visit or case (in scope), and the link to make one —
    for users who may record help requests."""
    made = HelpRequest.objects.visible_to(user).filter(**{origin: obj}).order_by("pk")[:5]
    actions = [
        RecordAction(
            "timebank.help_request",
            _("互助需求"),
            url=reverse("timebank:request", args=[r.pk]),
            detail=f"{r.title} · {r.get_status_display()}",
        )
        for r in made
    ]
    if user.can(Capability.WRITE):
        actions.append(
            RecordAction(
                "timebank.to_help_request",
                _("转为互助需求"),
                url=reverse("timebank:request_new") + "?" + urlencode({origin: obj.pk}),
            )
        )
    return actions
