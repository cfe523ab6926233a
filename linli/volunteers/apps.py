from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _pending(user: Any) -> int:
    from linli.volunteers.selectors import pending_count

    return pending_count(user)


class VolunteersConfig(ModuleConfig):
    name = "linli.volunteers"
    verbose_name = "志愿服务"
    nav_items = (
        NavItem(
            _("志愿者"), "volunteers:list", "/volunteers/", Capability.READ_SCOPE, icon="☘", badge=_pending
        ),
        NavItem(
            _("志愿活动"), "volunteers:activities", "/volunteers/activities/", Capability.READ_SCOPE, icon="☀"
        ),
    )
    access_sections = (
        section(r"^/volunteers/"),
        section(r"^/api/v1/volunteer"),  # volunteers, volunteer-activities, volunteer-teams
        section(r"^/api/v1/service-records(/|$)"),
    )

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.volunteers.rollup import mismatches

        wrong = mismatches()
        if wrong:
            yield (
                False,
                f"volunteer statistics: the monthly roll-up differs from a recount of the confirmed records in "
                f"{len(wrong)} cells (e.g. {wrong[0]}) — run `linli volunteer recount`",
            )
        else:
            yield True, "volunteer statistics: the monthly roll-up equals a recount of the confirmed records"

    def search(self, user: Any, query: str) -> list[Any]:
        from linli.volunteers.search_hits import hits

        return hits(user, query)
