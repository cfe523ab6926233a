from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig
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

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.cases.checks import calendar_checks

        return calendar_checks()
