"""志愿服务证明 as a PDF (core/pdf.py): number, date, the community's name, a place for its seal, and a QR
code of the public verification page. The ID number is printed masked: the proof travels."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from linli.core import pdf
from linli.core.masking import mask_id
from linli.volunteers.models import Proof, RecordStatus, ServiceRecord


def document(proof: Proof, *, verify_url: str) -> pdf.Document:
    volunteer = proof.volunteer
    community = proof.community
    doc = pdf.Document("志愿服务证明", scope=community.name, printed_at=timezone.now())
    doc.qr(verify_url, size=26, y=doc.get_y(), caption="扫码核验")
    doc.fields(
        [
            ("证明编号", proof.number),
            ("出具日期", f"{timezone.localtime(proof.issued_at):%Y年%m月%d日}"),
            ("出具单位", community.name),
        ]
    )
    doc.ln(14)
    hours = proof.minutes / 60
    doc.paragraph(
        f"兹证明 {volunteer.name}（身份证号 {mask_id(volunteer.id_number)}）于 "
        f"{proof.period_start:%Y年%m月%d日} 至 {proof.period_end:%Y年%m月%d日} 期间，在{community.name}"
        f"参加志愿服务 {proof.records} 次，累计服务时长 {hours:.1f} 小时。",
        size=11.5,
    )
    if proof.purpose:
        doc.paragraph(f"用途：{proof.purpose}")
    doc.paragraph(
        "服务时长依据签到、签退记录计算，并经活动负责人确认（《志愿服务记录与证明出具办法（试行）》）。",
        size=9,
    )
    doc.heading("服务记录")
    records = (
        ServiceRecord.objects.filter(
            volunteer=volunteer,
            community=community,
            status=RecordStatus.CONFIRMED,
            minutes__gt=0,
            day__gte=proof.period_start,
            day__lte=proof.period_end,
        )
        .select_related("activity")
        .order_by("day", "pk")[:200]
    )
    rows: list[list[Any]] = [
        [
            r.day.isoformat(),
            r.activity.title,
            r.activity.place,
            f"{timezone.localtime(r.signed_in_at):%H:%M}–{timezone.localtime(r.signed_out_at):%H:%M}"
            if r.signed_in_at and r.signed_out_at
            else "",
            f"{r.minutes / 60:.1f}",
        ]
        for r in records
    ]
    doc.table_rows(["日期", "服务内容", "地点", "时间", "时长（小时）"], rows, widths=(24, 60, 48, 26, 20))
    if proof.records > len(rows):
        doc.paragraph(f"（共 {proof.records} 条，仅列出前 {len(rows)} 条）", size=9)
    doc.ln(4)
    doc.paragraph(f"{community.name}（盖章）", align="R")
    doc.seal_box()
    if proof.revoked_at:
        doc.paragraph(
            f"本证明已于 {timezone.localtime(proof.revoked_at):%Y-%m-%d} 作废：{proof.revoke_reason}"
        )
    return doc


def response(proof: Proof, *, verify_url: str) -> Any:
    return pdf.response(document(proof, verify_url=verify_url), f"{proof.number}.pdf")
