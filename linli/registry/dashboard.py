"""The register's figures on the dashboards, the map and the community profile (core.modules.DashboardFigures).

Every figure reads through `visible_to(user)` and names the resident list's own filters as its link, so a
click shows the very people counted (the list counts 在册 residents by default, as these do).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from linli.areas.models import Area
from linli.core.modules import AreaMeasure, Chart, Figure, Panel
from linli.core.scoping import subtree_q
from linli.registry import counts as register_counts
from linli.registry.forms import AGE_BANDS, _years_ago
from linli.registry.models import Gender, HouseUse, ResidenceType, Resident, ResidentStatus
from linli.registry.selectors import population_counts

if TYPE_CHECKING:
    from linli.accounts.models import User


def _under(qs: QuerySet[Any], area: str, lookup: str) -> QuerySet[Any]:
    if not area:
        return qs
    return qs.filter(**{f"{lookup}__in": Area.objects.filter(subtree_q([area])).values("pk")})


def _grid_param(area: str) -> dict[str, str]:
    """The resident list filters by grid (its id); a community or street is the whole scope of the page."""
    if not area:
        return {}
    grid = Area.objects.filter(path=area, kind=Area.Kind.GRID).values_list("pk", flat=True).first()
    return {"grid": str(grid)} if grid else {}


def residents_url(area: str, **params: str) -> str:
    query = _grid_param(area) | {k: v for k, v in params.items() if v}
    return reverse("registry:residents") + (f"?{urlencode(query)}" if query else "")


def house_counts(user: User, area: str) -> dict[str, int]:
    """Houses by use, and "total": from the register's running counts (registry/counts.py)."""
    counts = register_counts.totals(user, area, "house")
    counts["total"] = sum(counts.values())
    return counts


def household_count(user: User, area: str) -> int:
    return register_counts.totals(user, area, "household").get("", 0)


def age_bands(user: User, area: str, today: date | None = None) -> dict[tuple[str, str], int]:
    """(gender, band of the resident list's age filter) → residents on the register.

    From the register's running counts by gender and year of birth (registry/counts.py, kind "born"): the
    residents born on or before a day d are the kept years before d's year plus those born from 1 January
    of d's year to d, counted live — one query over the four boundary days' partial years, each an index
    range of (status, grid, gender, birth_date). (Eight range counts over a street's 260,000 residents, as
    before, were ~90 ms on PostgreSQL, the band of working age alone reading ~150,000 index entries.)"""
    today = today or date.today()  # noqa: DTZ011  (as the resident list's age filter counts)
    # The bands' edges as "born on or before": 80 years ago, 60, 18 and today (bands are (older, younger]).
    edges = [_years_ago(today, 80), _years_ago(today, 60), _years_ago(today, 18), today]
    kept: dict[tuple[str, int], int] = {}
    for key, n in register_counts.totals(user, area, "born").items():
        gender, _, year = key.partition(":")
        kept[(gender, int(year))] = n
    areas = list(_under(Area.objects.visible_to(user), area, "pk").values_list("pk", flat=True))
    residents = _under(Resident.objects.visible_to(user), area, "grid").filter(
        status=ResidentStatus.ACTIVE, grid_id__in=areas
    )
    spans = [Q(birth_date__gte=d.replace(month=1, day=1), birth_date__lte=d) for d in edges]
    either = Q(pk__in=[])
    for span in spans:
        either |= span
    live = {
        row["gender"]: row
        for row in residents.filter(either)
        .order_by()
        .values("gender")
        .annotate(**{f"e{i}": Count("pk", filter=span) for i, span in enumerate(spans)})
    }
    found: dict[tuple[str, str], int] = {}
    for gender, _ in Gender.choices:
        upto = [
            sum(n for (g, year), n in kept.items() if g == gender and year < d.year)
            + live.get(gender, {}).get(f"e{i}", 0)
            for i, d in enumerate(edges)
        ]
        older = 0
        for (band, _), count in zip(AGE_BANDS[::-1], upto, strict=True):
            found[(gender, band)] = count - older
            older = count
    return found


def panels(user: User, area: str) -> list[Panel]:
    _, total = population_counts(user, area=area)
    houses = house_counts(user, area)
    types = ResidenceType.choices
    figures = [
        Figure("在册人口", total.total, residents_url(area)),
        Figure("户数", household_count(user, area)),
        *[
            Figure(f"{label}人口", total.by_residence_type.get(v, 0), residents_url(area, residence_type=v))
            for v, label in types
        ],
        Figure("房屋", houses["total"]),
        Figure("出租房屋", houses.get(HouseUse.RENTED, 0)),
        Figure("空置房屋", houses.get(HouseUse.VACANT, 0)),
    ]
    bands = age_bands(user, area)
    pyramid = Chart(
        "pyramid",
        "年龄结构",
        [label for _, label in AGE_BANDS],
        [(label, [bands.get((g, band), 0) for band, _ in AGE_BANDS]) for g, label in Gender.choices],
        [residents_url(area, age=band) for band, _ in AGE_BANDS],
    )
    residence = Chart(
        "pie",
        "人口类型",
        [label for _, label in types],
        [("人口", [total.by_residence_type.get(v, 0) for v, _ in types])],
        [residents_url(area, residence_type=v) for v, _ in types],
    )
    tag_ids = _tag_ids()
    tags = sorted(total.by_tag.items(), key=lambda kv: -kv[1])[:10]
    groups = Chart(
        "hbar",
        "重点人群",
        [name for name, _ in tags],
        [("人数", [n for _, n in tags])],
        [residents_url(area, tag=str(tag_ids.get(name, ""))) for name, _ in tags],
    )
    use = Chart(
        "pie",
        "房屋用途",
        [label for _, label in HouseUse.choices],
        [("套", [houses.get(v, 0) for v, _ in HouseUse.choices])],
    )
    return [
        Panel(
            "registry",
            "人口与房屋",
            figures,
            [residence, pyramid, groups, use],
            reverse("registry:residents"),
        )
    ]


def _tag_ids() -> dict[str, int]:
    from linli.registry.models import Tag

    return {name: pk for pk, name in Tag.objects.order_by().values_list("pk", "name")}


def measures(user: User, area: str) -> list[AreaMeasure]:
    rows, _ = population_counts(user, area=area)
    return [AreaMeasure("population", "在册人口", {r.path: r.total for r in rows})]


def profile(user: User, area: str) -> list[Figure]:
    _, total = population_counts(user, area=area)
    houses = house_counts(user, area)
    bands = age_bands(user, area)
    older = sum(n for (_, band), n in bands.items() if band in ("60-79", "80-"))
    figures = [
        Figure("户数", household_count(user, area)),
        Figure("在册人口", total.total, residents_url(area)),
        *[
            Figure(f"{label}人口", total.by_residence_type.get(v, 0), residents_url(area, residence_type=v))
            for v, label in ResidenceType.choices
        ],
        Figure("60 岁以上老年人", older),
        Figure(
            "80 岁以上高龄老人",
            sum(n for (_, band), n in bands.items() if band == "80-"),
            residents_url(area, age="80-"),
        ),
        Figure("房屋", houses["total"]),
        Figure("出租房屋", houses.get(HouseUse.RENTED, 0)),
        Figure("空置房屋", houses.get(HouseUse.VACANT, 0)),
    ]
    tag_ids = _tag_ids()
    figures += [
        Figure(f"重点人群：{name}", n, residents_url(area, tag=str(tag_ids.get(name, ""))))
        for name, n in sorted(total.by_tag.items(), key=lambda kv: -kv[1])
    ]
    return figures
