"""What the dashboards, the map and the profile show, gathered from the modules' contributions
(core.modules.DashboardFigures) and kept until the next write.

Pre-aggregation by memo: a module's figures for (user, area) are computed once and kept in the cache under
the module's *stamp* — the largest audit entry id of a write of the module's app or of an app it `reads`
(every service write adds an entry naming its app, in its transaction) and the largest id of the module's
own `stamp` tables (bulk loads and the deadline sweep write rows, not audit entries) — and the clock bucket.
A write that can change a module's figures moves its stamp, so the next read counts them again: the figures
are exact as of the last write, across any number of servers sharing the database (the stamp is read from
it on every request), and a note on a case recounts the cases' figures only, not the population. Figures
that move with the clock alone are counted again every CLOCK_MINUTES.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from linli.areas.models import Area
from linli.core.models import AuditEntry
from linli.core.modules import (
    AreaMeasure,
    Chart,
    DashboardFigures,
    Figure,
    MapPoint,
    Panel,
    dashboard_figures,
)
from linli.core.permissions import Capability
from linli.core.scoping import subtree_q

if TYPE_CHECKING:
    from linli.accounts.models import User

CACHE_SECONDS = 600
# Figures that depend on the clock alone (a closing deadline passing, "this month", today's age) are
# counted again after this many minutes even without a write; writes are reflected at once (the stamp).
# The deadline sweep's overdue marks and escalations are writes (case events) and show at once too.
CLOCK_MINUTES = 5


def stamps(contributions: list[tuple[str, DashboardFigures]]) -> dict[str, str]:
    """Each module's stamp: the largest audit entry id of a write of its app, of each app it `reads` and of
    no app ("": a restore), and the largest id of each of its `stamp` tables — all read in one statement
    of index look-ups (audit_written_app_idx: the end of one app's range)."""
    written = sorted({"", *(a for app, c in contributions for a in (app, *c.reads))})
    tables = sorted({label for _, c in contributions for label in c.stamp})
    audit = connection.ops.quote_name(AuditEntry._meta.db_table)
    parts, params = [], []
    for app in written:
        parts.append(f"(SELECT MAX(id) FROM {audit} WHERE written_app = %s)")  # noqa: S608
        params.append(app)
    for label in tables:
        model = apps.get_model(label)
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        parts.append(f"(SELECT MAX({column}) FROM {table})")  # noqa: S608  (names are the models')
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)  # noqa: S608
        row = [str(v or 0) for v in cursor.fetchone()]
    found = dict(zip([f"w:{a}" for a in written] + tables, row, strict=True))
    return {
        app: ".".join(found[key] for key in (*(f"w:{a}" for a in sorted({"", app, *c.reads})), *c.stamp))
        for app, c in contributions
    }


def _who(user: User) -> str:
    """Who the figures are for: the user (their scope, capabilities and departments shape every figure)."""
    scope = ",".join(sorted(user.scope_paths()))
    return hashlib.sha256(f"{user.pk}|{user.role}|{scope}".encode()).hexdigest()[:16]


def memo(app: str, part: str, stamp: str, user: User, area: str, compute: Callable[[], Any]) -> Any:
    now = timezone.now()
    bucket = f"{now:%Y%m%d%H}.{now.minute // CLOCK_MINUTES}"
    key = f"linli:dash:{app}:{part}:{_who(user)}:{area}:{bucket}:{stamp}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found


def chosen_area(user: User, raw: str) -> Area | None:
    """The area a dashboard is narrowed to (?area=S01/C01), if it is in the user's scope; None: the whole scope."""
    raw = (raw or "").strip().strip("/").upper()
    if not raw:
        return None
    return Area.objects.visible_to(user).filter(path=raw).first()


def area_choices(user: User) -> list[tuple[str, str]]:
    areas = Area.objects.visible_to(user).exclude(kind=Area.Kind.GRID).order_by("path")
    return [(a.path, a.name) for a in areas]


def panels(user: User, area: str = "") -> list[Panel]:
    found: list[Panel] = []
    contributions = dashboard_figures(user)
    stamp = stamps(contributions)
    for app, contribution in contributions:
        found += memo(app, "panels", stamp[app], user, area, partial(contribution.panels, user, area))
    # A chart with nothing to show (no key group tagged yet) is left out, not drawn as empty axes.
    return [replace(p, charts=[c for c in p.charts if _has_data(c)]) for p in found]


def _has_data(chart: Chart) -> bool:
    return bool(chart.labels) and any(v for _, values in chart.series for v in values)


def todo(user: User) -> list[Figure]:
    found: list[Figure] = []
    contributions = dashboard_figures(user)
    stamp = stamps(contributions)
    for app, contribution in contributions:
        if contribution.todo is not None:
            found += memo(app, "todo", stamp[app], user, "", partial(contribution.todo, user))
    return found


def measures(user: User, area: str = "") -> list[AreaMeasure]:
    found: list[AreaMeasure] = []
    contributions = dashboard_figures(user)
    stamp = stamps(contributions)
    for app, contribution in contributions:
        if contribution.measures is not None and user.can(Capability.READ_SCOPE):
            found += memo(app, "measures", stamp[app], user, area, partial(contribution.measures, user, area))
    return found


def points(user: User, area: str = "") -> list[tuple[str, list[MapPoint]]]:
    found = []
    contributions = dashboard_figures(user)
    stamp = stamps(contributions)
    for app, contribution in contributions:
        if contribution.points is not None and user.can(Capability.READ_SCOPE):
            found.append(
                memo(app, "points", stamp[app], user, area, partial(contribution.points, user, area))
            )
    return found


def profile(user: User, area: str = "") -> list[tuple[str, list[Figure]]]:
    """(module's name, its figures) for the community profile, in the dashboards' order."""
    found = []
    contributions = dashboard_figures(user)
    stamp = stamps(contributions)
    for app, contribution in contributions:
        if contribution.profile is not None:
            figures = memo(app, "profile", stamp[app], user, area, partial(contribution.profile, user, area))
            if figures:
                found.append((str(apps.get_app_config(app).verbose_name), figures))
    return found


def charts_json(panel_list: list[Panel]) -> list[dict[str, Any]]:
    """The charts as the page's script reads them (json_script): kind, title, labels, series, urls."""
    out = []
    for p_index, panel in enumerate(panel_list):
        for c_index, chart in enumerate(panel.charts):
            data = asdict(chart)
            data["id"] = f"chart-{panel.key}-{p_index}-{c_index}"
            data["series"] = [{"name": n, "data": list(v)} for n, v in chart.series]
            out.append(data)
    return out


def dashboard(user: User, *, area: Area | None = None, compact: bool = False) -> dict[str, Any]:
    """The figures of one dashboard: to-dos first for those who have their own (grid workers, handlers)."""
    path = area.path if area else ""
    panel_list = panels(user, path)
    charts = charts_json(panel_list)
    index = 0
    layout = []
    for panel in panel_list:
        ids = []
        for _ in panel.charts:
            ids.append(charts[index]["id"])
            index += 1
        layout.append({"panel": panel, "chart_ids": ids})
    is_grid_worker = user.role == "grid_worker"
    return {
        "layout": layout,
        "charts": charts,
        "todo": todo(user) if (is_grid_worker or not user.can(Capability.READ_SCOPE)) else [],
        "area": area,
        "compact": compact,
        "full_url": reverse("dashboards:dashboard"),
        "as_of": timezone.localtime(),
    }


def grids_in(user: User, area: str = "") -> list[Area]:
    qs = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID)
    if area:
        qs = qs.filter(subtree_q([area]))
    grids = list(qs.order_by("path"))
    Area.qualify(grids)
    return grids
