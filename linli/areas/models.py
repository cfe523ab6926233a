from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from linli.areas.querysets import AreaQuerySet, GridAssignmentQuerySet

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{0,31}$", "编码只能包含大写字母、数字、下划线和连字符，最长 32 位。"
)


class AreaKind(models.TextChoices):
    DISTRICT = "district", "区"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"


class Area(models.Model):
    """A node of district → street → community → grid (grids may nest).

    `path` is the chain of codes from the root (`S01/C01/G01`). It is what data
    scope filters on, so a subtree is one indexed prefix range.
    """

    Kind = AreaKind

    # Which kinds may sit directly under which; None = may be a root.
    ALLOWED_PARENTS: ClassVar[dict[str, set[str | None]]] = {
        Kind.DISTRICT: {None},
        Kind.STREET: {None, Kind.DISTRICT},
        Kind.COMMUNITY: {None, Kind.STREET},
        Kind.GRID: {Kind.COMMUNITY, Kind.GRID},
    }

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=32, validators=[code_validator])
    name = models.CharField(max_length=100)
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    # GeoJSON geometry (Polygon/MultiPolygon) of the area's boundary, WGS-84.
    boundary = models.JSONField(null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[AreaQuerySet] = AreaQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["path"]
        verbose_name = "区域"
        verbose_name_plural = "区域"
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="area_code_unique_among_siblings"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(parent__isnull=True), name="area_code_unique_among_roots"
            ),
            models.CheckConstraint(condition=Q(kind__in=AreaKind.values), name="area_kind_valid"),
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | ~Q(kind="grid"), name="area_grid_has_parent"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="area_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="area_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.path}）"

    @property
    def audit_area_path(self) -> str:
        return self.path

    @property
    def is_grid(self) -> bool:
        return self.kind == self.Kind.GRID

    def ancestor_paths(self) -> list[str]:
        return _ancestor_paths(self.path)

    @cached_property
    def qualified_name(self) -> str:
        """The name to show wherever areas of more than one community may be in view: a grid's name
        after its community's, "锦绣社区 · 第一网格" (every community has a 第一网格); others as named.

        One query for this area alone. A list calls `Area.qualify(areas)` first, which names them all
        with one query, not one per row.
        """
        Area.qualify([self])
        return self.__dict__["qualified_name"]

    @staticmethod
    def qualify(areas: Iterable[Area | None]) -> None:
        """Fill `qualified_name` of every area given (None is skipped), with one query."""
        todo = [a for a in areas if a is not None and "qualified_name" not in a.__dict__]
        labels = Area.qualified_names((a.path, a.name) for a in todo)
        for area in todo:
            area.__dict__["qualified_name"] = labels[area.path]

    @staticmethod
    def qualified_names(areas: Iterable[tuple[str, str]]) -> dict[str, str]:
        """`qualified_name` by path, for rows read as values: (path, name) pairs in, {path: label} out."""
        pairs = dict(areas)
        ancestors = {a for path in pairs for a in _ancestor_paths(path)}
        communities = (
            dict(
                Area.objects.filter(kind=AreaKind.COMMUNITY, path__in=ancestors)
                .order_by()
                .values_list("path", "name")
            )
            if ancestors
            else {}
        )
        return {path: Area.label(path, name, communities) for path, name in pairs.items()}

    @staticmethod
    def label(path: str, name: str, communities: dict[str, str]) -> str:
        """The qualified name of the area at `path` named `name`, given {path: name} of the communities
        among its ancestors (more may be there; if its community is missing, it is named alone)."""
        community = next((communities[a] for a in _ancestor_paths(path) if a in communities), None)
        return f"{community}{QUALIFIER}{name}" if community else name

    @staticmethod
    def community_among_ancestors(path: str, communities: dict[str, str]) -> bool:
        return any(a in communities for a in _ancestor_paths(path))


# Between a community's name and its grid's: "锦绣社区 · 第一网格".
QUALIFIER = " · "


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]


class GridAssignment(models.Model):
    """A named person responsible for a grid over a period: 网定格、格定责、责定人."""

    class Duty(models.TextChoices):
        WORKER = "worker", "网格员"
        LEADER = "leader", "网格长"

    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grid_assignments"
    )
    duty = models.CharField(max_length=10, choices=Duty.choices, default=Duty.WORKER)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects: ClassVar[GridAssignmentQuerySet] = GridAssignmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["grid__path", "duty", "start_date"]
        verbose_name = "网格责任人"
        verbose_name_plural = "网格责任人"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="gridassignment_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(duty__in=["worker", "leader"]), name="gridassignment_duty_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "end_date"], name="gridassign_user_end_idx")]

    def __str__(self) -> str:
        return f"{self.grid.name} {self.get_duty_display()} {self.user}"

    @property
    def audit_area_path(self) -> str:
        return self.grid.path
