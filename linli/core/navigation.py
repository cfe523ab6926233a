"""Navigation entries. Each module declares its own on its AppConfig (`nav_items`, see core.modules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linli.core.permissions import Capability

# The menu runs in sections, each in the order of INSTALLED_APPS: daily work, then what configures a
# module, then what watches the whole system (the audit log).
NAV_SECTIONS = ("main", "settings", "system")
BADGE_MAX = 99  # a badge above this reads "99+"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    prefix: str  # path prefix that marks the item active
    capability: Capability | None = None
    icon: str = "•"
    badge: Callable[[Any], int] | None = None  # user → the count shown next to the label
    section: str = "main"  # one of NAV_SECTIONS


def badge_label(count: int) -> str:
    """What a navigation badge shows: nothing for 0, the count up to 99, then "99+"."""
    return "" if count <= 0 else f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)
