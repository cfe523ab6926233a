from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class CoreConfig(ModuleConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "核心"
    nav_items = (
        NavItem(_("首页"), "core:home", "/", icon="⌂"),
        NavItem(_("搜索"), "core:search", "/search/", icon="⌕"),
        NavItem(_("审计日志"), "core:audit", "/audit/", Capability.VIEW_AUDIT, icon="☰", section="system"),
    )
