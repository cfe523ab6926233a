from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, PortalCard, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _waiting(user: Any) -> int:
    from linli.portal.selectors import open_corrections_count, open_links_count

    return open_corrections_count(user) + open_links_count(user)


def _card(user: Any) -> dict[str, Any]:
    from linli.portal.selectors import open_corrections_count, open_links_count

    return {"corrections": open_corrections_count(user), "links": open_links_count(user)}


def _volunteering_card(resident: Any) -> dict[str, Any] | None:
    """The portal's own card on its home page: volunteering (hours, bookings) and the time bank."""
    from linli.portal import volunteering
    from linli.timebank.models import HelpStatus
    from linli.timebank.services import hours_label

    registrations = volunteering.my_volunteers(resident)
    active = volunteering.active_volunteer(resident)
    accounts = volunteering.accounts(resident)
    return {
        "registered": bool(registrations),
        "active": active,
        "hours": volunteering.hours(registrations),
        "bookings": volunteering.bookings(active)[:3] if active else [],
        "balances": [(a, hours_label(a.balance_minutes)) for a in accounts],
        "open_requests": volunteering.help_requests(resident)
        .filter(status__in=(HelpStatus.OPEN, HelpStatus.MATCHED))
        .count(),
    }


def _checkin_link(token: str) -> tuple[str, str]:
    from django.urls import reverse
    from django.utils.translation import gettext

    return (gettext("已在居民端登录？用居民端签到"), reverse("portal:volunteer_checkin", args=[token]))


class PortalConfig(ModuleConfig):
    name = "linli.portal"
    verbose_name = "居民端"
    nav_items = (
        NavItem(
            _("居民申请"),
            "portal_admin:requests",
            "/portal-admin/",
            Capability.READ_SCOPE,
            icon="☺",
            badge=_waiting,
        ),
    )
    home_cards = (
        HomeCard("portal/home_card.html", _card, section="lists", capability=Capability.KEEP_REGISTRY),
    )
    access_sections = (section(r"^/portal-admin/"),)
    portal_cards = (PortalCard("portal/volunteer_card.html", _volunteering_card, order=50),)
    checkin_links = (_checkin_link,)
