"""Reads of visits: to-do lists, coverage per grid and community, reasons named for the reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.scoping import PATH_SEPARATOR
from linli.registry.idnumber import mask_phone
from linli.registry.models import Tag
from linli.visits.models import TaskStatus, Visit, VisitTarget, VisitTask
from linli.visits.services import PERSON_REASON

if TYPE_CHECKING:
    from linli.accounts.models import User

# Targets due within this many days are listed as "due soon" on the to-do list.
SOON_DAYS = 7
TARGET_STATES = {
    "overdue": "已超期",
    "soon": f"{SOON_DAYS} 天内到期",
    "never": "从未走访",
    "ok": "按期",
}


def reason_text(reasons: list[str], user: User | None, tags: dict[str, Tag] | None = None) -> str:
    """Why someone must be visited, naming sensitive tags (低保 …) only to users who may see them."""
    tags = tags if tags is not None else {t.code: t for t in Tag.objects.all()}
    names = []
    for code in reasons:
        if code == PERSON_REASON:
            names.append("个人关怀计划")
        elif (tag := tags.get(code)) is not None:
            names.append("重点关怀" if tag.hidden_from(user) else tag.name)
    return "、".join(dict.fromkeys(names))


def filter_targets(qs: QuerySet[VisitTarget], state: str, today: date) -> QuerySet[VisitTarget]:
    if state == "overdue":
        return qs.filter(due_on__lt=today)
    if state == "soon":
        return qs.filter(due_on__gte=today, due_on__lte=today + timedelta(days=SOON_DAYS))
    if state == "never":
        return qs.filter(last_visited_on__isnull=True)
    if state == "ok":
        return qs.filter(due_on__gte=today)
    return qs


@dataclass
class Todo:
    overdue: list[VisitTarget]
    soon: list[VisitTarget]
    tasks: list[VisitTask]
    unassigned: int

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.tasks)


def todo(user: User, *, today: date | None = None, limit: int = 200) -> Todo:
    """A visitor's list: open 八必访 tasks first, then people overdue, then people due within a week."""
    today = today or timezone.localdate()
    # The resident's house and building come along: the list shows where to go and whom to ring.
    place = ("resident__house__building", "resident__house__entrance", "grid")
    mine = VisitTarget.objects.visible_to(user).filter(visitor=user).select_related(*place)
    tasks = list(
        VisitTask.objects.visible_to(user)
        .filter(assignee=user, status=TaskStatus.OPEN)
        .select_related(*place)
        .order_by("due_at")[:limit]
    )
    overdue = list(filter_targets(mine, "overdue", today).order_by("due_on", "pk")[:limit])
    soon = list(filter_targets(mine, "soon", today).order_by("due_on", "pk")[:limit])
    unassigned = 0
    if user.can(Capability.DISPATCH):
        unassigned = VisitTarget.objects.visible_to(user).filter(visitor__isnull=True).count()
    tags = {t.code: t for t in Tag.objects.all()}
    for target in [*overdue, *soon]:
        target.reason = reason_text(target.reasons, user, tags)  # type: ignore[attr-defined]
    for item in [*tasks, *overdue, *soon]:
        item.address = resident_address(item.resident)  # type: ignore[attr-defined]
        item.phone = mask_phone(item.resident.phone) if item.resident.phone else ""  # type: ignore[attr-defined]
    return Todo(overdue=overdue, soon=soon, tasks=tasks, unassigned=unassigned)


def resident_address(resident: Any) -> str:
    """Where a resident lives, as a visitor looks for it: "锦绣路 8 号 3-101"."""
    house = resident.house
    if house is None:
        return ""
    street_address = house.building.address
    return f"{street_address} {house}" if street_address else f"{house}"


def next_visit(todo: Todo, *, after: int | None = None) -> VisitTask | VisitTarget | None:
    """Who to visit next: the first person on the list other than the one just visited."""
    items: list[VisitTask | VisitTarget] = [*todo.tasks, *todo.overdue, *todo.soon]
    for item in items:
        if item.resident_id != after:
            return item
    return None


def todo_count(user: User) -> int:
    """The navigation badge: open tasks and overdue people on the user's own list."""
    today = timezone.localdate()
    return (
        VisitTask.objects.filter(assignee=user, status=TaskStatus.OPEN).count()
        + VisitTarget.objects.filter(visitor=user, due_on__lt=today).count()
    )


@dataclass
class CoverageRow:
    key: str
    label: str
    targets: int = 0
    on_time: int = 0
    overdue: int = 0
    never: int = 0
    visits: int = 0
    in_person: int = 0
    tasks_open: int = 0
    tasks_overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.targets if self.targets else None

    def add(self, other: CoverageRow) -> None:
        for name in (
            "targets",
            "on_time",
            "overdue",
            "never",
            "visits",
            "in_person",
            "tasks_open",
            "tasks_overdue",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


COVERAGE_TITLES: list[tuple[str, str]] = [
    ("targets", "走访对象"),
    ("on_time", "按期走访"),
    ("on_time_rate", "按期走访率"),
    ("overdue", "超期未访"),
    ("never", "从未走访"),
    ("visits", "期间走访次数"),
    ("in_person", "其中入户"),
    ("tasks_open", "八必访待办"),
    ("tasks_overdue", "八必访超期"),
]
GROUP_LABELS = {"grid": "网格", "community": "社区"}


def coverage(
    user: User | None,
    *,
    group: str = "grid",
    area: Area | None = None,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[CoverageRow], CoverageRow]:
    """Coverage per grid or community ("纵向到底、横向到边"): targets visited on time (not past their due
    date today), overdue, never visited; visits made from `start` to `end` (default: the last 30 days)."""
    today = timezone.localdate()
    end = end or today
    start = start or end - timedelta(days=29)
    targets = VisitTarget.objects.visible_to(user) if user is not None else VisitTarget.objects.all()
    visits = Visit.objects.visible_to(user) if user is not None else Visit.objects.all()
    tasks = VisitTask.objects.visible_to(user) if user is not None else VisitTask.objects.all()
    grids = Area.objects.visible_to(user) if user is not None else Area.objects.all()
    grids = grids.filter(kind=Area.Kind.GRID)
    if area is not None:
        prefix = Q(grid__path=area.path) | Q(grid__path__startswith=area.path + PATH_SEPARATOR)
        targets, visits, tasks = targets.filter(prefix), visits.filter(prefix), tasks.filter(prefix)
        grids = grids.filter(Q(path=area.path) | Q(path__startswith=area.path + PATH_SEPARATOR))

    per_grid: dict[int, CoverageRow] = {}
    grid_info = {g.pk: g for g in grids.only("pk", "path", "name", "parent_id", "depth")}

    def row(grid_id: int) -> CoverageRow:
        if grid_id not in per_grid:
            g = grid_info.get(grid_id)
            per_grid[grid_id] = CoverageRow(key=g.path if g else str(grid_id), label=g.name if g else "")
        return per_grid[grid_id]

    for item in targets.values("grid_id").annotate(
        n=Count("pk"),
        ok=Count("pk", filter=Q(due_on__gte=today)),
        late=Count("pk", filter=Q(due_on__lt=today)),
        never=Count("pk", filter=Q(last_visited_on__isnull=True)),
    ):
        r = row(item["grid_id"])
        r.targets, r.on_time, r.overdue, r.never = item["n"], item["ok"], item["late"], item["never"]
    for counted in (
        visits.filter(visited_on__gte=start, visited_on__lte=end)
        .values("grid_id")
        .annotate(n=Count("pk"), home=Count("pk", filter=Q(mode="in_person")))
    ):
        r = row(counted["grid_id"])
        r.visits, r.in_person = counted["n"], counted["home"]
    now = timezone.now()
    for open_tasks in (
        tasks.filter(status=TaskStatus.OPEN)
        .values("grid_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lte=now)))
    ):
        r = row(open_tasks["grid_id"])
        r.tasks_open, r.tasks_overdue = open_tasks["n"], open_tasks["late"]
    for grid_id in grid_info:
        row(grid_id)  # grids with nobody to visit still show, with zeros

    if group == "community":
        communities = {a.path: a for a in Area.objects.filter(kind=Area.Kind.COMMUNITY)}
        rolled: dict[str, CoverageRow] = {}
        for r in per_grid.values():
            community = community_of(r.key, communities)
            key = community.path if community else r.key
            label = community.name if community else r.label
            rolled.setdefault(key, CoverageRow(key=key, label=label)).add(r)
        rows = sorted(rolled.values(), key=lambda r: r.key)
    else:
        rows = sorted(per_grid.values(), key=lambda r: r.key)
        qualified = Area.qualified_names((r.key, r.label) for r in rows)
        for r in rows:
            r.label = qualified[r.key]
    total = CoverageRow(key="", label="合计")
    for r in rows:
        total.add(r)
    return rows, total


def community_of(path: str, communities: dict[str, Area]) -> Area | None:
    """The community whose subtree holds `path` (grids nest, so walk up the path)."""
    parts = path.split(PATH_SEPARATOR)
    while parts:
        found = communities.get(PATH_SEPARATOR.join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def coverage_value(row: CoverageRow, name: str) -> Any:
    return getattr(row, name)


def coverage_text(row: CoverageRow, name: str) -> str:
    value = coverage_value(row, name)
    if value is None:
        return "—"
    if name.endswith("_rate"):
        return f"{value:.1%}"
    return f"{value:,}"
