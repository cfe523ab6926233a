"""Exporting the resident ledger to Excel, in the import's own column names (a round trip works)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope
from linli.core.scoping import subtree_q
from linli.core.xlsx import open_workbook
from linli.registry.idnumber import mask_id, mask_phone
from linli.registry.models import Gender, ResidenceType, Resident, ResidentTag, Tag
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
    if actor is not None and not actor.can(Capability.PARTY):
        # Political status says who is a party member: only users with `party` export it.
        keys = [k for k in keys if k != "political_status"]
    hidden_tags = frozenset(Tag.objects.filter(Tag.hidden_q(actor)).values_list("pk", flat=True))
    qs: QuerySet[Resident] = Resident.objects.all() if actor is None else Resident.objects.visible_to(actor)
    qs = qs.filter(subtree_q([a.path for a in areas], "grid__path"))
    if refine is not None:
        qs = refine(qs)
    qs = qs.order_by("grid__path", "house__building__number", "house__room_number", "pk")
    workbook = open_workbook(path)
    sheet = workbook.add_worksheet("人口台账")
    bold = workbook.add_format({"bold": True})
    for col, key in enumerate(keys):
        sheet.write_string(0, col, TITLES[key], bold)
    count = 0
    for count, row in enumerate(ledger_rows(qs, reveal=reveal, hidden_tags=hidden_tags), start=1):
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


# Columns read per resident, in this order; the rows are plain tuples, not model instances
# (building a resident, its grid, house, building and entrance per row was a fifth of the export's time).
VALUE_FIELDS = (
    "pk",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "ethnicity",
    "phone",
    "residence_type",
    "house__building__number",
    "house__entrance__number",
    "house__room_number",
    "grid__code",
    "relation_to_head",
    "education",
    "political_status",
    "notes",
)
CHUNK = 2000


def ledger_rows(
    qs: QuerySet[Resident], *, reveal: bool, hidden_tags: frozenset[int] = frozenset()
) -> Iterator[dict[str, str]]:
    """The residents of `qs`, in its order, as ledger cells by column key (masked unless `reveal`)."""
    chunk: list[tuple[Any, ...]] = []
    for values in qs.values_list(*VALUE_FIELDS).iterator(chunk_size=CHUNK):
        chunk.append(values)
        if len(chunk) == CHUNK:
            yield from _cells(chunk, reveal, hidden_tags)
            chunk = []
    yield from _cells(chunk, reveal, hidden_tags)


def _cells(
    chunk: list[tuple[Any, ...]], reveal: bool, hidden_tags: frozenset[int]
) -> Iterator[dict[str, str]]:
    if not chunk:
        return
    links = ResidentTag.objects.filter(resident_id__in=[v[0] for v in chunk])
    if hidden_tags:
        links = links.exclude(tag_id__in=hidden_tags)
    tags: dict[int, list[str]] = {}
    for rid, name in links.order_by("tag__group__order", "tag__order").values_list(
        "resident_id", "tag__name"
    ):
        tags.setdefault(rid, []).append(name)
    genders, types = dict(Gender.choices), dict(ResidenceType.choices)
    for (
        pk,
        name,
        id_number,
        gender,
        birth,
        ethnicity,
        phone,
        rtype,
        bno,
        eno,
        room,
        grid,
        rel,
        edu,
        pol,
        notes,
    ) in chunk:
        yield {
            "name": name,
            "id_number": id_number if reveal else mask_id(id_number),
            "gender": str(genders.get(gender, gender)),
            "birth_date": birth.isoformat(),
            "ethnicity": ethnicity,
            "phone": phone if reveal else mask_phone(phone),
            "residence_type": str(types.get(rtype, rtype)),
            "building": bno or "",
            "entrance": eno or "",
            "room": room or "",
            "grid": grid,
            "relation_to_head": rel,
            "tags": "、".join(tags.get(pk, [])),
            "education": edu,
            "political_status": pol,
            "notes": notes,
        }
