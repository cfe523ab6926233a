from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _waiting(user: Any) -> int:
    from linli.portal.selectors import open_corrections_count, open_links_count

    return open_corrections_count(user) + open_links_count(user)


def _card(user: Any) -> dict[str, Any]:
    from linli.portal.selectors import open_corrections_count, open_links_count

    return {"corrections": open_corrections_count(user), "links": open_links_count(user)}


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
