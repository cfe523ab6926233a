from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from linli.core.scoping import ScopedQuerySet


class BuildingPointQuerySet(ScopedQuerySet):
    scope_lookup = "building__grid__path"


class BuildingPoint(models.Model):
    """Where a building stands on the grid map (WGS-84), drawn by an area manager. Kept beside the register
    (which has no coordinates) so the map owns its geometry; one point per building."""

    building = models.OneToOneField("registry.Building", on_delete=models.CASCADE, related_name="map_point")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[BuildingPointQuerySet] = BuildingPointQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "楼栋位置"
        verbose_name_plural = "楼栋位置"
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90) & Q(longitude__gte=-180, longitude__lte=180),
                name="buildingpoint_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.building_id} @ {self.latitude},{self.longitude}"

    @property
    def audit_area_path(self) -> str:
        return self.building.grid.path
