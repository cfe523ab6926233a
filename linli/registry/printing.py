"""The register on paper (core.pdf, A4): a resident's file card (居民信息卡) and the ledger in the layout
inspectors check (人口台账, by grid, building and room).

Both print what the pages show the same user, read by the same queries: numbers masked (the card shows
them in full only when the user may reveal and asked to, which is audited as a reveal), tags the user may
see, political status only for users with `party`, household members only in the user's scope. Each print
is audited as an export: paper leaves the system.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core import pdf
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.registry.models import Gender, ResidenceType, Resident, ResidentStatus
from linli.registry.selectors import list_rows, present

if TYPE_CHECKING:
    from linli.accounts.models import User

# A ledger longer than this is not a printout anyone reads: the page says to narrow it (a grid, a building).
LEDGER_MAX_ROWS = 2000


def _date(value: object) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def resident_card(user: User, resident: Resident, *, reveal: bool = False) -> pdf.Document:
    """居民信息卡 of `resident` (already read through `visible_to(user)`), as the resident's page shows
    it. `reveal` prints the full numbers: `present` refuses it without REVEAL_PERSONAL and audits it."""
    view = present(resident, user, reveal=reveal)
    Area.qualify([resident.grid])
    doc = pdf.Document("居民信息卡", scope=resident.grid.qualified_name)
    doc.heading(
        resident.name
        + ("" if resident.status == ResidentStatus.ACTIVE else f"（{resident.get_status_display()}）")
    )
    fields: list[tuple[str, object]] = [
        ("性别", resident.get_gender_display()),
        ("出生日期", _date(resident.birth_date)),
        ("民族", resident.ethnicity),
        ("公民身份号码", view.id_number),
        ("联系电话", view.phone),
        ("人口类型", resident.get_residence_type_display()),
        ("文化程度", resident.education),
    ]
    if user.can(Capability.PARTY):
        fields.append(("政治面貌", resident.political_status))
    fields += [
        ("网格", resident.grid.qualified_name),
        ("房屋", str(resident.house) if resident.house_id else "—"),
        ("与户主关系", resident.relation_to_head),
        ("标签", "、".join(view.tags)),
        ("备注", resident.notes),
    ]
    doc.fields(fields, label_width=30)
    if resident.household_id:
        members = (
            Resident.objects.visible_to(user)
            .filter(household=resident.household_id)
            .exclude(pk=resident.pk)
            .order_by("pk")
        )
        doc.heading("同户成员")
        doc.table_rows(
            ["姓名", "与户主关系", "性别", "出生日期", "人口类型"],
            [
                [
                    m.name,
                    m.relation_to_head,
                    m.get_gender_display(),
                    _date(m.birth_date),
                    m.get_residence_type_display(),
                ]
                for m in members
            ]
            or [["无其他成员（或不在您的管辖范围内）", "", "", "", ""]],
            widths=[40, 34, 20, 34, 50],
        )
    doc.ln(6)
    doc.paragraph(
        ("本卡含完整的证件号码和电话，请妥善保管，用后销毁。" if reveal else "证件号码和电话已按规定遮蔽。")
        + f"  打印人：{user.display_name}"
    )
    audit_record(
        actor=user,
        action=Action.EXPORT,
        obj=resident,
        object_repr=f"打印居民信息卡 {resident.name}",
        changes={"what": "resident_card", "revealed": reveal},
    )
    return doc


LEDGER_HEADERS = [
    "房屋",
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "联系电话",
    "人口类型",
    "与户主关系",
    "标签",
]
LEDGER_WIDTHS = [26, 22, 11, 24, 42, 30, 18, 26, 66]


def ledger(user: User, residents: QuerySet[Resident], *, filters: str = "") -> pdf.Document:
    """人口台账 in the inspection layout: landscape A4, one section per grid, rows by building and room,
    with each grid's count and the total. `residents` is the resident list's queryset for the same
    filters (scoped); numbers are masked as the list shows them. Refused above LEDGER_MAX_ROWS."""
    if not user.can(Capability.EXPORT):
        raise DomainError("您没有导出台账的权限。")
    # Numbers in the order they are walked (2 before 10, 101 before 1001): shorter first, then as text.
    ordered = residents.order_by(
        "grid__path",
        Length("house__building__number"),
        "house__building__number",
        Length("house__entrance__number"),
        "house__entrance__number",
        Length("house__room_number"),
        "house__room_number",
        "pk",
    )
    rows = list_rows(user, ordered[: LEDGER_MAX_ROWS + 1])
    if len(rows) > LEDGER_MAX_ROWS:
        raise DomainError(
            f"超过 {LEDGER_MAX_ROWS} 人，打印前请按网格、楼栋或类型缩小范围（完整台账请导出 Excel）。"
        )
    paths = sorted({r["grid_path"] for r in rows})
    grids = {a.path: a for a in Area.objects.filter(path__in=paths)}
    Area.qualify(grids.values())
    scope_areas = list(Area.objects.filter(path__in=user.scope_paths()).order_by("path"))
    Area.qualify(scope_areas)
    scope = "、".join(a.qualified_name for a in scope_areas) or "—"
    doc = pdf.Document("人口台账", scope=scope, landscape=True)
    doc.paragraph(
        f"截至 {timezone.localtime():%Y年%m月%d日}，共 {len(rows)} 人。"
        + (f"筛选：{filters}。" if filters else "")
        + "证件号码和电话已遮蔽。",
        size=9.5,
    )
    genders, kinds = dict(Gender.choices), dict(ResidenceType.choices)
    # 与户主关系 is on the inspection form but not in the list's rows: one more query for all of them.
    relations = dict(
        Resident.objects.filter(pk__in=[r["id"] for r in rows]).values_list("pk", "relation_to_head")
    )
    for path in paths:
        part = [r for r in rows if r["grid_path"] == path]
        doc.heading(f"{grids[path].qualified_name if path in grids else path}（{len(part)} 人）")
        doc.table_rows(
            LEDGER_HEADERS,
            [
                [
                    r["house"] or "—",
                    r["name"],
                    genders.get(r["gender"], r["gender"]),
                    _date(r["birth_date"]),
                    r["id_number"],
                    r["phone"] or "—",
                    kinds.get(r["residence_type"], r["residence_type"]),
                    relations.get(r["id"], ""),
                    "、".join(r["tags"]),
                ]
                for r in part
            ],
            widths=LEDGER_WIDTHS,
            size=8.5,
        )
    if not rows:
        doc.paragraph("没有符合条件的居民。")
    doc.ln(8)
    doc.paragraph("填报人：__________    审核人：__________    检查人：__________    日期：__________")
    audit_record(
        actor=user,
        action=Action.EXPORT,
        obj=scope_areas[0] if scope_areas else None,
        object_repr="打印人口台账",
        changes={"what": "residents_pdf", "rows": len(rows), "filters": filters, "revealed": False},
    )
    return doc
