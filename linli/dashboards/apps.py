from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _home(user: Any) -> dict[str, Any]:
    from linli.dashboards.selectors import dashboard

    return dashboard(user, compact=True)


class DashboardsConfig(ModuleConfig):
    name = "linli.dashboards"
    label = "dashboards"
    verbose_name = "数据看板"
    nav_items = (
        NavItem(_("数据看板"), "dashboards:dashboard", "/dashboard/", Capability.READ_SCOPE, icon="▤"),
        NavItem(_("网格地图"), "dashboards:map", "/dashboard/map/", Capability.READ_SCOPE, icon="⌖"),
        NavItem(_("社区概况"), "dashboards:profile", "/dashboard/profile/", Capability.READ_SCOPE, icon="▥"),
    )
    # Every role's home page opens with its figures: a department handler's are their department's cases.
    home_cards = (HomeCard("dashboards/home_card.html", _home, section="header"),)
    access_sections = (section(r"^/dashboard/"),)
