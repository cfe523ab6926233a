from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import DashboardFigures, HomeCard, ModuleConfig, lazy, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _todo_count(user: Any) -> int:
    from linli.visits.selectors import todo_count

    return todo_count(user)


def _coverage(user: Any) -> dict[str, Any]:
    from linli.visits import selectors

    _, visits = selectors.coverage(user)
    return {
        "visits": visits,
        "visit_rate": selectors.coverage_text(visits, "on_time_rate"),
        "my_visits_due": selectors.todo_count(user),
    }


class VisitsConfig(ModuleConfig):
    name = "linli.visits"
    verbose_name = "走访"
    nav_items = (
        NavItem(_("走访"), "visits:todo", "/visits/", Capability.READ_SCOPE, icon="♥", badge=_todo_count),
        NavItem(_("民情日记"), "visits:diary", "/visits/diary/", Capability.READ_SCOPE, icon="✎"),
    )
    home_cards = (
        HomeCard("visits/home_coverage.html", _coverage, section="summary", capability=Capability.READ_SCOPE),
    )
    dashboard = DashboardFigures(
        panels=lazy("linli.visits.dashboard:panels"),
        stamp=("visits.Visit", "visits.VisitTask", "visits.VisitTarget"),
        reads=("areas", "registry", "transfers"),  # targets follow the register (tagged, moved, imported)
        measures=lazy("linli.visits.dashboard:measures"),
        profile=lazy("linli.visits.dashboard:profile"),
        todo=lazy("linli.visits.dashboard:todo_figures"),
        order=40,
    )
    access_sections = (
        section(r"^/visits/"),
        section(r"^/api/v1/visit"),  # visits, visit-targets, visit-tasks, visit-coverage, visits-todo
        section(r"^/api/v1/care-plans(/|$)"),
        section(r"^/api/v1/pairings(/|$)"),
        section(r"^/api/v1/diary(/|$)"),
    )

    def search(self, user: Any, query: str) -> list[Any]:
        from linli.visits.search_hits import hits

        return hits(user, query) if user.can(Capability.READ_SCOPE) else []
