from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import DashboardFigures, HomeCard, ModuleConfig, lazy, section
from linli.core.navigation import BADGE_MAX, NavItem
from linli.core.permissions import Capability


def _inbox_count(user: Any) -> int:
    from linli.cases.selectors import inbox_counts

    counts = inbox_counts(user, upto=BADGE_MAX)
    return counts["todo"] + counts["unread"]


class CasesConfig(ModuleConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = "诉求工单"
    nav_items = (
        NavItem(_("我的待办"), "cases:inbox", "/cases/inbox/", icon="✉", badge=_inbox_count),
        NavItem(_("诉求工单"), "cases:list", "/cases/", icon="☎"),
        NavItem(
            _("类别与时限"),
            "cases:categories",
            "/cases/categories/",
            Capability.CONFIGURE,
            icon="⚙",
            section="settings",
        ),
    )
    # A department handler files no cases: one they filed would be one they may not see.
    access_sections = (section(r"^/cases/new/"), section(r"^/api/v1/cases/?$", Capability.READ_SCOPE, "POST"))
    # Department handlers (no READ_SCOPE) see their department's cases: the panels pick by capability.
    dashboard = DashboardFigures(
        panels=lazy("linli.cases.dashboard:panels"),
        capability=None,
        stamp=("cases.Case", "cases.CaseEvent"),
        measures=lazy("linli.cases.dashboard:measures"),
        profile=lazy("linli.cases.dashboard:profile"),
        todo=lazy("linli.cases.dashboard:todo_figures"),
        points=lazy("linli.cases.dashboard:points"),
        order=30,
    )
    # Department handlers see no areas, grids or visits: their home page points to their cases.
    home_cards = (
        HomeCard(
            "cases/home_department.html",
            lambda user: {},
            section="summary",
            capability=Capability.READ_SCOPE,
            lacking=True,
        ),
    )

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.cases.checks import calendar_checks
        from linli.cases.counts import COUNTS

        yield from calendar_checks()
        yield COUNTS.operator_check("case counts", "linli case recount")

    def search(self, user: Any, query: str) -> list[Any]:
        from linli.cases.search_hits import hits

        return hits(user, query)

    def audit_value_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        from linli.cases.models import CaseEvent

        return {("cases.case", "action"): {k: str(v) for k, v in CaseEvent.Action.choices}}
