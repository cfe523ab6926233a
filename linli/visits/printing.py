"""A visit on paper (走访记录, core.pdf, A4): what the visit's page shows, with places to sign, for the
paper files inspectors ask for. Audited as an export: it names a person and what was found at home."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linli.areas.models import Area
from linli.core import pdf
from linli.core.audit import Action, audit_record
from linli.visits.models import Visit, VisitPhoto

if TYPE_CHECKING:
    from linli.accounts.models import User


def visit_record(user: User, visit: Visit) -> pdf.Document:
    """走访记录 of `visit` (read through `visible_to(user)`): the same fields as its page."""
    Area.qualify([visit.grid])
    doc = pdf.Document("走访记录", scope=visit.grid.qualified_name)
    subject = visit.resident.name if visit.resident_id and visit.resident else str(visit.household or "")
    doc.heading(f"{visit.get_mode_display()}：{subject}")
    place = ""
    if visit.household_id and visit.household:
        place = str(visit.household.house)
    elif visit.resident_id and visit.resident and visit.resident.house_id:
        place = str(visit.resident.house)
    pairs: list[tuple[str, object]] = [
        ("走访日期", f"{visit.visited_on:%Y-%m-%d}"),
        ("走访方式", visit.get_mode_display()),
        ("走访对象", subject + ("（入户访全户）" if visit.household_id and not visit.resident_id else "")),
        ("住址", place or "—"),
        ("网格", visit.grid.qualified_name),
        ("走访人", visit.visitor.display_name if visit.visitor else visit.visitor_label),
    ]
    if visit.latitude is not None:
        pairs.append(("位置", f"{visit.latitude}, {visit.longitude}"))
    doc.fields(pairs, label_width=28)
    doc.heading("走访情况")
    doc.paragraph(visit.observations)
    doc.heading("发现的需求")
    doc.paragraph(visit.needs or "—")
    tasks = [t.get_trigger_display() for t in visit.tasks.all()]
    cases = [f"{link.case.number} {link.case.title}" for link in visit.case_links.select_related("case")]
    photos = VisitPhoto.objects.visible_to(user).filter(visit=visit).count()
    doc.fields(
        [
            ("完成八必访", "、".join(tasks) or "—"),
            ("转为诉求", "；".join(cases) or "—"),
            ("现场照片", f"{photos} 张（见系统）" if photos else "—"),
        ],
        label_width=28,
    )
    doc.ln(12)
    doc.paragraph("走访人签字：______________        被走访人签字：______________        日期：__________")
    audit_record(
        actor=user,
        action=Action.EXPORT,
        obj=visit,
        object_repr=f"打印走访记录 {visit.visited_on:%Y-%m-%d} {subject}",
        changes={"what": "visit_record"},
    )
    return doc
