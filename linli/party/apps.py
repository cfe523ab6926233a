from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _overdue(user: Any) -> int:
    from linli.party.selectors import overdue_count

    return overdue_count(user)


def _card(user: Any) -> dict[str, Any]:
    from linli.party.selectors import home_summary

    return home_summary(user)


class PartyConfig(ModuleConfig):
    name = "linli.party"
    verbose_name = "党建"
    nav_items = (
        NavItem(_("党建"), "party:home", "/party/", Capability.PARTY_BRANCH, icon="★", badge=_overdue),
    )
    home_cards = (
        HomeCard("party/home_card.html", _card, section="summary", capability=Capability.PARTY_BRANCH),
    )

    def capability_grants(self, user: Any) -> frozenset[Capability]:
        from linli.party.access import grants

        return grants(user)

    def ready(self) -> None:
        super().ready()
        from linli.party.volunteering import on_service_confirmed
        from linli.volunteers.signals import service_confirmed

        service_confirmed.connect(on_service_confirmed, dispatch_uid="party.volunteer_points")

    access_sections = (
        section(r"^/party/", Capability.PARTY_BRANCH),
        section(r"^/api/v1/party-", Capability.PARTY_BRANCH),
    )

    def search(self, user: Any, query: str) -> list[Any]:
        from linli.party.search_hits import hits

        return hits(user, query)
