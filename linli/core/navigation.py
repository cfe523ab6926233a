"""Navigation per module. Each app adds its entry here when it exists; no placeholders."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop as _

from linli.accounts.roles import Capability


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    prefix: str  # path prefix that marks the item active
    capability: Capability | None = None
    icon: str = "•"
    badge: str = ""  # name of a count shown next to the label (see context_processors.BADGES)


NAV_ITEMS: list[NavItem] = [
    NavItem(_("首页"), "core:home", "/", icon="⌂"),
    NavItem(_("区域网格"), "areas:tree", "/areas/", Capability.READ_SCOPE, icon="▦"),
    NavItem(_("人口台账"), "registry:residents", "/registry/", Capability.READ_SCOPE, icon="☷"),
    NavItem(_("台账导入"), "transfers:imports", "/transfers/", Capability.WRITE, icon="⇪"),
    NavItem(_("我的待办"), "cases:inbox", "/cases/inbox/", icon="✉", badge="inbox"),
    NavItem(_("诉求工单"), "cases:list", "/cases/", icon="☎"),
    NavItem(_("走访"), "visits:todo", "/visits/", Capability.READ_SCOPE, icon="♥", badge="visits"),
    NavItem(_("民情日记"), "visits:diary", "/visits/diary/", Capability.READ_SCOPE, icon="✎"),
    NavItem(_("类别与时限"), "cases:categories", "/cases/categories/", Capability.CONFIGURE, icon="⚙"),
    NavItem(_("审计日志"), "core:audit", "/audit/", Capability.VIEW_AUDIT, icon="☰"),
]
