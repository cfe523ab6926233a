"""Visits to Excel: the visit log (走访台账) and coverage per grid or community. Both audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.db.models import Q

from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.scoping import PATH_SEPARATOR
from linli.core.xlsx import open_workbook, write_figures
from linli.visits import selectors
from linli.visits.models import Visit

if TYPE_CHECKING:
    from linli.accounts.models import User

VISIT_COLUMNS = ["走访日期", "方式", "网格", "居民 / 户", "走访人", "走访情况", "发现的需求", "转诉求"]


def export_visits(
    *, actor: User | None, target: Path | IO[bytes], start: date, end: date, area: Area | None = None
) -> int:
    """The visit log from `start` to `end` inclusive, newest first. Names only: no ID numbers or phones."""
    visits = Visit.objects.visible_to(actor) if actor is not None else Visit.objects.all()
    visits = visits.filter(visited_on__gte=start, visited_on__lte=end)
    if area is not None:
        visits = visits.filter(Q(grid__path=area.path) | Q(grid__path__startswith=area.path + PATH_SEPARATOR))
    rows = (
        visits.select_related("resident", "household__house__building", "grid")
        .prefetch_related("case_links__case")
        .order_by("-visited_on", "-pk")
    )
    book = open_workbook(target)
    sheet = book.add_worksheet("走访台账")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, [f"走访台账 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"], bold)
    sheet.write_row(2, 0, VISIT_COLUMNS, bold)
    grids = Area.objects.filter(pk__in=visits.order_by().values("grid_id").distinct())
    grid_names = Area.qualified_names(grids.values_list("path", "name"))
    count = 0
    for count, visit in enumerate(rows.iterator(chunk_size=2000), start=1):
        sheet.write_row(
            count + 2,
            0,
            [
                visit.visited_on.isoformat(),
                visit.get_mode_display(),
                grid_names[visit.grid.path],
                visit.subject_label,
                visit.visitor_label,
                visit.observations,
                visit.needs,
                "、".join(link.case.number for link in visit.case_links.all()),
            ],
        )
    sheet.set_column(0, 4, 12)
    sheet.set_column(5, 6, 40)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="visits.visit",
        object_repr=f"走访台账 {start} 至 {end}",
        area_path=area.path if area else None,
        changes={"start": str(start), "end": str(end), "rows": count, "area": area.path if area else ""},
    )
    return count


def export_coverage(
    *,
    actor: User | None,
    target: Path | IO[bytes],
    group: str = "grid",
    area: Area | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    rows, total = selectors.coverage(actor, group=group, area=area, start=start, end=end)
    book = open_workbook(target)
    sheet = book.add_worksheet("走访覆盖")
    write_figures(
        book,
        sheet,
        title="走访覆盖情况（纵向到底、横向到边）",
        group_label=selectors.GROUP_LABELS[group],
        columns=selectors.COVERAGE_TITLES,
        rows=[*rows, total],
        value=selectors.coverage_value,
    )
    sheet.set_column(0, 1, 16)
    book.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        object_type="visits.coverage",
        object_repr=f"走访覆盖（{selectors.GROUP_LABELS[group]}）",
        area_path=area.path if area else None,
        changes={"group": group, "rows": len(rows), "area": area.path if area else ""},
    )
    return len(rows)
