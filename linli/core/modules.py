"""What each module adds to the shared parts: navigation entries, home-page cards, global search, and
the checks `linli check` runs.

A module declares them on its AppConfig, a `ModuleConfig`; core collects them in the order of
INSTALLED_APPS, so adding a module touches no central file and core imports no module. (Its command-line
commands and demo data are in its own `cli.py` and `demo.py`: see core.cli and core.demo.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import AppConfig, apps

from linli.core.navigation import NAV_SECTIONS, NavItem
from linli.core.permissions import Capability


@dataclass(frozen=True)
class Section:
    pattern: re.Pattern[str]
    capability: Capability
    methods: frozenset[str] | None = None  # None: every method

    def covers(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and bool(self.pattern.match(path))


def _section(regex: str, capability: Capability, *methods: str) -> Section:
    return Section(re.compile(regex), capability, frozenset(methods) if methods else None)


def section(regex: str, capability: Capability = Capability.READ_SCOPE, *methods: str) -> Section:
    """A part of the site (a path pattern, optionally only some methods) that needs `capability`.
    Each module declares its own on its AppConfig (`access_sections`); core only applies them."""
    return Section(re.compile(regex), capability, frozenset(methods) if methods else None)


# The home page runs in sections, each in the order of INSTALLED_APPS: who you are, the figures of your
# area, then the lists to act on.
HOME_SECTIONS = ("header", "summary", "lists")


@dataclass(frozen=True)
class HomeCard:
    template: str  # rendered with `card` = context(user) and the page's context
    context: Callable[[Any], dict[str, Any]]
    section: str = "summary"  # one of HOME_SECTIONS
    # Shown only to users who have it (or, with `lacking`, only to those who do not).
    capability: Capability | None = None
    lacking: bool = False

    def shown_to(self, user: Any) -> bool:
        return self.capability is None or user.can(self.capability) != self.lacking


@dataclass(frozen=True)
class PortalCard:
    """A card on the residents' portal home page (/portal/), for modules that have something for residents
    (notices of their community, surveys addressed to them, assessment ratings they were sampled for).

    `context(resident)` gets the resident the portal is showing (the signed-in resident, or the relative
    they act for) and returns the card's context, or None to leave the card out; the template is rendered
    with `card` = that context. The card must show only what is this resident's own or public: the portal
    has no staff scope to filter by. Links inside go to the module's own resident pages under /portal/."""

    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


@dataclass(frozen=True)
class SearchHit:
    """One result of the global search: what it is, its name as the user may see it, where it opens."""

    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class RecordAction:
    """What another module offers on a record's page: an action on it ("转为互助需求" on a visit) or what it
    keeps about it (a volunteer's time-bank balance), as a link. `detail` is a short figure shown with the
    label ("12.5 小时"); `url` may be "" for a figure with nowhere to go; `key` names it for tests."""

    key: str
    label: str
    url: str = ""
    detail: str = ""


def lazy(target: str) -> Callable[..., Any]:
    """ "pkg.module:function", imported on the first call: an AppConfig is read before the models are ready."""
    module_name, _, attr = target.partition(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        from importlib import import_module

        return getattr(import_module(module_name), attr)(*args, **kwargs)

    call.__qualname__ = call.__name__ = attr
    return call


@dataclass(frozen=True)
class Figure:
    """One number on a dashboard or profile, with the filtered list behind it (`url`, "" when there is none)."""

    label: str
    value: int | float | None
    url: str = ""
    percent: bool = False  # a rate in [0, 1], shown as "87.5%"
    tone: str = ""  # "" | "warn" | "bad": overdue and red cards stand out

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.percent:
            return f"{self.value * 100:.1f}%"
        return f"{self.value:,}" if isinstance(self.value, int) else str(self.value)


@dataclass(frozen=True)
class Chart:
    """A chart of a panel (drawn by ECharts on the page): `kind` is "bar", "hbar", "pie", "line" or
    "pyramid"; one value per label in each series; `urls[i]` opens the list behind label i."""

    kind: str
    title: str
    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[float | int | None]]]
    urls: Sequence[str] = ()


@dataclass(frozen=True)
class Panel:
    """A module's block on a dashboard: its figures (first is the headline) and charts."""

    key: str
    title: str
    figures: Sequence[Figure] = ()
    charts: Sequence[Chart] = ()
    link: str = ""  # the module's own page for more


@dataclass(frozen=True)
class AreaMeasure:
    """A figure per area, for colouring the map: {area path: value}; `percent` as in Figure."""

    key: str
    label: str
    values: dict[str, float | int | None]
    percent: bool = False


@dataclass(frozen=True)
class MapPoint:
    """A point on the grid map (WGS-84): a case, a building. `group` picks its colour and legend line."""

    latitude: float
    longitude: float
    label: str
    url: str
    group: str
    detail: str = ""


@dataclass(frozen=True)
class DashboardFigures:
    """What a module contributes to the dashboards, the map and the community profile (linli.dashboards).

    Each callable takes (user, area path or "" for the whole scope) and reads through `visible_to(user)`.
    The dashboards keep a module's computed figures until a write that can change them, so a figure is
    exact as of the last write: a service write of the module's own app or of an app in `reads` (every
    service write leaves an audit entry naming its app, in its transaction), or a new row in one of the
    `stamp` tables ("cases.CaseEvent": bulk loads and the deadline sweep add rows without audit entries).
    A module whose figures count another app's rows names that app in `reads`.
    """

    panels: Callable[[Any, str], list[Panel]]
    capability: Capability | None = Capability.READ_SCOPE
    stamp: Sequence[str] = ()
    reads: Sequence[str] = ("areas",)
    measures: Callable[[Any, str], list[AreaMeasure]] | None = None
    profile: Callable[[Any, str], list[Figure]] | None = None
    todo: Callable[[Any], list[Figure]] | None = None  # "my to-dos" first on a grid worker's phone
    points: Callable[[Any, str], tuple[str, list[MapPoint]]] | None = None  # (layer title, points)
    order: int = 50

    def shown_to(self, user: Any) -> bool:
        return self.capability is None or user.can(self.capability)


class ModuleConfig(AppConfig):
    # Django takes the one AppConfig subclass an apps.py holds; importing this base there makes two, and
    # it would then fall back to a plain AppConfig. So the base says "not me", and each module's config
    # is the default again without having to say so.
    default = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.default = True

    nav_items: Sequence[NavItem] = ()
    home_cards: Sequence[HomeCard] = ()
    # Parts of the site a user needs a capability to enter at all (core.access): 403 before any object.
    access_sections: Sequence[Section] = ()
    # Cards on the residents' portal home page (see PortalCard).
    portal_cards: Sequence[PortalCard] = ()
    # Other ways to sign in at an activity with its place QR code, offered on the volunteers' public
    # sign-in page (/v/checkin/<token>/): each a function(token) -> (label, url). The residents' portal
    # offers its own page there, because its session cookie never reaches /v/.
    checkin_links: Sequence[Callable[[str], tuple[str, str]]] = ()
    # The module's figures on the dashboards, the map and the community profile.
    dashboard: DashboardFigures | None = None

    def capability_grants(self, user: Any) -> frozenset[Capability]:
        """Capabilities `user` holds because of this module's records, on top of their role's (e.g. a sitting
        party branch secretary's `party_branch`). Asked once per user object (accounts.User.capabilities);
        what the grant lets them see is the module's own querysets' business."""
        return frozenset()

    def audit_names(self) -> dict[str, Callable[[Iterable[str]], dict[str, str]]]:
        """What this module names on the audit page from the live rows (core.ledger): object kind
        ("registry.resident") → function(ids) → {id: name}. Two kinds are not models: "@actor" names the
        people who acted, by user id ("刘芳（社区工作者）"), "@area" names area paths ("望江街道 · 锦绣社区")."""
        return {}

    def audit_value_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        """Labels for stored values on the audit page: (object kind, or "*" for any, change key) → {value: label}."""
        return {}

    def search(self, user: Any, query: str) -> list[SearchHit]:
        """The module's matches for the global search, already scoped and masked for `user`."""
        return []

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        """(ok, message) lines for `linli check`: what an operator may have got wrong for this module."""
        return iter(())

    def linked_from(self, user: Any, obj: Any) -> list[SearchHit]:
        """This module's records that `obj` (another module's row, e.g. a case) came from, as `user` may see
        them: the page of `obj` lists them without its module importing this one (arrows point down)."""
        return []

    def record_actions(self, user: Any, obj: Any) -> list[RecordAction]:
        """What this module offers on the page of `obj` (another module's row: a volunteer, a visit, a
        case) for `user`: links to act on it or to what this module keeps about it, already checked
        against the user's capabilities and scope. The page renders them (`_record_actions.html`) without
        its module importing this one."""
        return []


def module_configs() -> list[ModuleConfig]:
    return [c for c in apps.get_app_configs() if isinstance(c, ModuleConfig)]


def nav_items() -> list[NavItem]:
    items = [item for config in module_configs() for item in config.nav_items]
    return sorted(items, key=lambda item: NAV_SECTIONS.index(item.section))  # stable: app order within


@cache  # the modules' declarations do not change once Django is set up; read on every request
def access_sections() -> tuple[Section, ...]:
    return tuple(s for config in module_configs() for s in config.access_sections)


def granted_capabilities(user: Any) -> frozenset[Capability]:
    """Every module's capability grants for `user` (see ModuleConfig.capability_grants)."""
    granted: frozenset[Capability] = frozenset()
    for config in module_configs():
        granted |= config.capability_grants(user)
    return granted


def home_cards(user: Any) -> list[HomeCard]:
    cards = [card for config in module_configs() for card in config.home_cards if card.shown_to(user)]
    return sorted(cards, key=lambda card: HOME_SECTIONS.index(card.section))


def portal_cards(resident: Any) -> list[tuple[PortalCard, dict[str, Any]]]:
    """Every module's portal cards that have something for `resident`, with their contexts."""
    cards = sorted((c for config in module_configs() for c in config.portal_cards), key=lambda c: c.order)
    return [(card, context) for card in cards if (context := card.context(resident)) is not None]


def checkin_links(token: str) -> list[tuple[str, str]]:
    """(label, url) of every module's other way to sign in at the activity whose place code is `token`."""
    return [link(token) for config in module_configs() for link in config.checkin_links]


def linked_from(user: Any, obj: Any) -> list[SearchHit]:
    """Every module's records that `obj` came from (see ModuleConfig.linked_from), in app order."""
    return [hit for config in module_configs() for hit in config.linked_from(user, obj)]


def record_actions(user: Any, obj: Any) -> list[RecordAction]:
    """Every module's offers on the page of `obj` (see ModuleConfig.record_actions), in app order."""
    return [action for config in module_configs() for action in config.record_actions(user, obj)]


def dashboard_figures(user: Any) -> list[tuple[str, DashboardFigures]]:
    """(app label, contribution) of every module whose figures `user` may see, by their `order`."""
    found = [
        (config.label, config.dashboard)
        for config in module_configs()
        if config.dashboard is not None and config.dashboard.shown_to(user)
    ]
    return sorted(found, key=lambda item: item[1].order)


def global_search(user: Any, query: str) -> list[SearchHit]:
    """Every module's matches, in the order of INSTALLED_APPS, for the search page (/search/): each module
    answers for its own data here instead of the page importing it."""
    return [hit for config in module_configs() for hit in config.search(user, query)]
