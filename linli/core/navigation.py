"""Navigation per module. Each app adds its entry here when it exists; no placeholders."""

from __future__ import annotations

from dataclasses import dataclass

from linli.accounts.roles import Capability


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    prefix: str  # path prefix that marks the item active
    capability: Capability | None = None
    icon: str = "•"


NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "core:home", "/", icon="⌂"),
    NavItem("区域网格", "areas:tree", "/areas/", icon="▦"),
    NavItem("审计日志", "core:audit", "/audit/", Capability.VIEW_AUDIT, icon="☰"),
]
