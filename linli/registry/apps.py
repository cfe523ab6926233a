from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import DashboardFigures, ModuleConfig, lazy, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability
from linli.core.validation import parse_id


def _residents(ids: Iterable[str]) -> dict[str, str]:
    """A resident as the audit page names them: "王芳（3栋2单元501）"."""
    from linli.registry.models import Resident

    pks = [pk for i in ids if (pk := parse_id(i)) is not None]
    found = Resident.objects.filter(pk__in=pks).select_related("house__building", "house__entrance")
    return {str(r.pk): f"{r.name}（{_place(r.house)}）" if r.house else r.name for r in found}


def _place(house: Any) -> str:
    """3栋2单元501, as a ledger writes an address."""
    entrance = f"{house.entrance.number}单元" if house.entrance_id else ""
    return f"{house.building.number}栋{entrance}{house.room_number}"


class RegistryConfig(ModuleConfig):
    name = "linli.registry"
    label = "registry"
    verbose_name = "人口与房屋台账"
    nav_items = (
        NavItem(_("人口台账"), "registry:residents", "/registry/", Capability.READ_SCOPE, icon="☷"),
    )
    access_sections = (
        section(r"^/registry/"),
        section(r"^/api/v1/residents?(/|$)"),
        section(r"^/api/v1/resident-counts(/|$)"),
    )
    dashboard = DashboardFigures(
        panels=lazy("linli.registry.dashboard:panels"),
        stamp=("registry.Resident", "registry.ResidentChange", "registry.House", "registry.Household"),
        reads=("areas", "transfers"),  # an import's entry names the import job (transfers), not the residents
        measures=lazy("linli.registry.dashboard:measures"),
        profile=lazy("linli.registry.dashboard:profile"),
        order=20,
    )

    def audit_names(self) -> dict[str, Callable[[Iterable[str]], dict[str, str]]]:
        return {"registry.resident": _residents}

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.registry.counts import COUNTS

        yield COUNTS.operator_check("register counts", "linli registry recount")

    def search(self, user: Any, query: str) -> list[Any]:
        from linli.registry.search_hits import hits

        return hits(user, query) if user.can(Capability.READ_SCOPE) else []
