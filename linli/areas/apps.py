from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import DashboardFigures, HomeCard, ModuleConfig, lazy, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _figures(user: Any) -> dict[str, Any]:
    from django.db.models import Count, Q

    from linli.areas.models import Area, GridAssignment

    counts = Area.objects.visible_to(user).aggregate(
        streets=Count("pk", filter=Q(kind=Area.Kind.STREET)),
        communities=Count("pk", filter=Q(kind=Area.Kind.COMMUNITY)),
        grids=Count("pk", filter=Q(kind=Area.Kind.GRID)),
    )
    workers = GridAssignment.objects.visible_to(user).current().values("user").distinct().count()
    return {"counts": counts, "workers": workers}


def _grids(user: Any) -> dict[str, Any]:
    from linli.areas.models import Area, GridAssignment

    current = GridAssignment.objects.visible_to(user).current()
    grids_without_worker = (
        Area.objects.visible_to(user)
        .grids()
        .filter(children__isnull=True)
        .exclude(pk__in=current.filter(duty=GridAssignment.Duty.WORKER).values("grid"))
        .order_by("path")
    )
    shown = list(grids_without_worker[:20])
    mine = list((user.grid_assignments.all() & GridAssignment.objects.current()).select_related("grid"))
    Area.qualify([*shown, *(a.grid for a in mine)])  # "锦绣社区 · 第一网格", in one query
    return {
        "grids_without_worker": shown,
        "grids_without_worker_count": grids_without_worker.count(),
        "my_assignments": mine,
    }


def _area_names(paths: Iterable[str]) -> dict[str, str]:
    """Area paths as the audit page names them: "望江街道 · 锦绣社区 · 第一网格"."""
    from linli.areas.models import Area

    paths = list(paths)
    wanted: set[str] = set()
    for path in paths:
        parts = path.split("/")
        wanted |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
    names = dict(Area.objects.filter(path__in=wanted).values_list("path", "name"))
    out: dict[str, str] = {}
    for path in paths:
        parts = path.split("/")
        out[path] = " · ".join(names.get("/".join(parts[: i + 1]), parts[i]) for i in range(len(parts)))
    return out


class AreasConfig(ModuleConfig):
    name = "linli.areas"
    label = "areas"
    verbose_name = "区域网格"
    nav_items = (NavItem(_("区域网格"), "areas:tree", "/areas/", Capability.READ_SCOPE, icon="▦"),)
    home_cards = (
        HomeCard("areas/home_figures.html", _figures, section="summary", capability=Capability.READ_SCOPE),
        HomeCard("areas/home_grids.html", _grids, section="lists", capability=Capability.READ_SCOPE),
    )
    access_sections = (section(r"^/areas/"), section(r"^/api/v1/areas(/|$)"))
    dashboard = DashboardFigures(
        panels=lazy("linli.areas.dashboard:panels"),
        stamp=("areas.Area", "areas.GridAssignment"),
        profile=lazy("linli.areas.dashboard:profile"),
        order=10,
    )

    def audit_names(self) -> dict[str, Callable[[Iterable[str]], dict[str, str]]]:
        return {"@area": _area_names}
