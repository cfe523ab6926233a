"""Exporting the resident ledger to Excel, in the import's own column names (a round trip works)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter
from django.db.models import Prefetch, QuerySet

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import subtree_q
from linli.registry.idnumber import mask_id, mask_phone
from linli.registry.models import Resident, ResidentTag
from linli.transfers.ledger import RESIDENT_COLUMNS

if TYPE_CHECKING:
    from linli.accounts.models import User

COLUMNS = [
    "name",
    "id_number",
    "gender",
    "birth_date",
    "ethnicity",
    "phone",
    "residence_type",
    "building",
    "entrance",
    "room",
    "grid",
    "relation_to_head",
    "tags",
    "education",
    "political_status",
    "notes",
]
TITLES = {key: RESIDENT_COLUMNS[key][0] for key in COLUMNS}


def parse_columns(names: list[str] | None) -> list[str]:
    """Column keys from keys or Chinese titles (e.g. ["姓名", "phone"]), in the order given."""
    if not names:
        return list(COLUMNS)
    by_title = {title: key for key, title in TITLES.items()}
    chosen: list[str] = []
    for name in names:
        for part in name.replace("，", ",").split(","):
            part = part.strip()
            key = part if part in TITLES else by_title.get(part)
            if key is None:
                raise DomainError(f"未知的列“{part}”，可选：{'、'.join(TITLES.values())}。", field="columns")
            if key not in chosen:
                chosen.append(key)
    return chosen


def export_residents(
    *,
    actor: User | None,
    areas: Sequence[Area],
    path: Path,
    columns: list[str] | None = None,
    reveal: bool = False,
    refine: Callable[[QuerySet[Resident]], QuerySet[Resident]] | None = None,
) -> int:
    """Write the residents of `areas` (within the actor's scope) to `path`; returns the row count. Audited.

    `refine` narrows the rows further (the filters of the list a person exported from).
    """
    require(actor, Capability.EXPORT)
    if not areas:
        raise DomainError("没有可导出的区域。", field="area")
    for area in areas:
        require_path_in_scope(actor, area.path)
    if reveal and actor is not None and not actor.can(Capability.REVEAL_PERSONAL):
        raise Forbidden("您无权导出完整的身份证号和电话。")
    keys = parse_columns(columns)
    sees_sensitive = actor is None or actor.can(Capability.VIEW_SENSITIVE)
    links = ResidentTag.objects.select_related("tag").order_by("tag__group__order", "tag__order")
    if not sees_sensitive:
        links = links.filter(tag__sensitive=False)
    qs: QuerySet[Resident] = Resident.objects.all() if actor is None else Resident.objects.visible_to(actor)
    qs = qs.filter(subtree_q([a.path for a in areas], "grid__path"))
    if refine is not None:
        qs = refine(qs)
    qs = (
        qs.select_related("grid", "house__building", "house__entrance")
        .prefetch_related(Prefetch("tag_links", queryset=links, to_attr="export_tags"))
        .order_by("grid__path", "house__building__number", "house__room_number", "pk")
    )
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("人口台账")
    bold = workbook.add_format({"bold": True})
    for col, key in enumerate(keys):
        sheet.write_string(0, col, TITLES[key], bold)
    count = 0
    for count, resident in enumerate(qs.iterator(chunk_size=2000), start=1):
        row = export_row(resident, reveal)
        for col, key in enumerate(keys):
            sheet.write_string(count, col, row[key])
    workbook.close()
    audit_record(
        actor=actor,
        action=Action.EXPORT,
        obj=areas[0],
        changes={
            "what": "residents",
            "areas": [a.path for a in areas],
            "rows": count,
            "columns": keys,
            "revealed": reveal,
            "file": path.name,
        },
    )
    return count


def export_row(r: Resident, reveal: bool) -> dict[str, str]:
    """One resident as ledger cells by column key (masked unless `reveal`)."""
    house = r.house
    return {
        "name": r.name,
        "id_number": r.id_number if reveal else mask_id(r.id_number),
        "gender": r.get_gender_display(),
        "birth_date": r.birth_date.isoformat(),
        "ethnicity": r.ethnicity,
        "phone": r.phone if reveal else mask_phone(r.phone),
        "residence_type": r.get_residence_type_display(),
        "building": house.building.number if house else "",
        "entrance": house.entrance.number if house and house.entrance else "",
        "room": house.room_number if house else "",
        "grid": r.grid.code,
        "relation_to_head": r.relation_to_head,
        "tags": "、".join(link.tag.name for link in getattr(r, "export_tags", [])),
        "education": r.education,
        "political_status": r.political_status,
        "notes": r.notes,
    }
