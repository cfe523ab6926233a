from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.core.errors import DomainError, RateLimited
from linli.notices import selectors, services
from linli.notices.models import Attachment, FinanceLine, Notice, NoticeStatus, Question

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINES = [
    {"kind": "income", "purpose": "上级拨付办公经费", "amount": "30000.00", "voucher_no": "记-001"},
    {"kind": "expense", "purpose": "购置办公用品", "amount": "1250.50", "voucher_no": "记-002"},
    {"kind": "expense", "purpose": "社区活动场地布置", "amount": "3800", "voucher_no": "记-003"},
]


def finance(w, **kw):
    values = {
        "actor": w.c01_worker,
        "area": w.c01,
        "category": "finance",
        "title": "2026 年第三季度财务公开",
        "body": "本季度收支情况如下。",
        "publish_from": date(2026, 11, 16),
        "publish_until": date(2026, 11, 30),
        "period_label": "2026 年第三季度",
        "lines": LINES,
        "declared_income": "30000.00",
        "declared_expense": "5050.50",
    }
    values.update(kw)
    return services.notice_create(**values)


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_a_finance_disclosure_whose_totals_add_up_is_kept_as_decimals(world, clock):
    notice = finance(world)
    assert notice.status == NoticeStatus.DRAFT
    assert notice.series == notice
    assert [line.amount for line in notice.lines.all()] == [
        Decimal("30000.00"),
        Decimal("1250.50"),
        Decimal("3800.00"),
    ]
    assert notice.declared_expense == Decimal("5050.50")


def test_a_declared_total_that_does_not_add_up_is_refused_and_nothing_written(world, clock):
    with pytest.raises(DomainError, match="支出明细合计 5,050.50 元，与申报的支出合计 5,000.00 元不符"):
        finance(world, declared_expense="5000")
    with pytest.raises(DomainError, match="第 2 行的金额"):
        finance(world, lines=[LINES[0], {**LINES[1], "amount": "12.345"}], declared_expense="12.345")
    with pytest.raises(DomainError, match="凭证号 记-001 重复"):
        finance(world, lines=[LINES[0], {**LINES[1], "voucher_no": "记-001"}])
    assert Notice.objects.count() == 0
    assert FinanceLine.objects.count() == 0


def test_an_attachment_that_is_not_what_its_name_says_is_refused(world, clock):
    notice = finance(world)
    item = services.attachment_add(
        actor=world.c01_worker, notice=notice, upload=SimpleUploadedFile("凭证.pdf", PDF)
    )
    assert item.content_type == "application/pdf"
    services.attachment_add(
        actor=world.c01_worker, notice=notice, upload=SimpleUploadedFile("明细.docx", docx())
    )
    for name, content in [
        ("预算.pdf", b"MZ\x90\x00 this is a program"),
        ("明细.xlsx", docx()),
        ("图.png", PDF),
    ]:
        with pytest.raises(DomainError, match="已拒收"):
            services.attachment_add(
                actor=world.c01_worker, notice=notice, upload=SimpleUploadedFile(name, content)
            )
    with pytest.raises(DomainError, match="只能是"):
        services.attachment_add(
            actor=world.c01_worker, notice=notice, upload=SimpleUploadedFile("run.exe", b"MZ")
        )
    assert Attachment.objects.count() == 2


def test_published_is_never_edited_but_corrected_by_a_new_version(world, clock):
    notice = services.notice_publish(actor=world.c01_worker, notice=finance(world))
    with pytest.raises(DomainError, match="更正"):
        services.notice_update(
            actor=world.c01_worker, notice=notice, title="改", body="改", publish_from=date(2026, 11, 16)
        )
    draft = services.notice_correct(actor=world.c01_worker, notice=notice, reason="第 3 笔金额有误")
    assert draft.version == 2
    assert draft.supersedes == notice
    assert draft.lines.count() == 3
    services.finance_lines_set(
        actor=world.c01_worker,
        notice=draft,
        lines=[LINES[0], LINES[1], {**LINES[2], "amount": "3080"}],
        declared_income="30000",
        declared_expense="4330.50",
    )
    services.notice_publish(actor=world.c01_worker, notice=draft)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SUPERSEDED
    assert [v.version for v in selectors.versions(draft)] == [1, 2]
    assert [n.pk for n in selectors.board(world.c01)] == [draft.pk]


def test_question_on_the_board_is_due_in_working_days_and_refused_once_expired(world, clock):
    notice = services.notice_publish(actor=world.c01_worker, notice=finance(world))
    q = services.question_ask(notice=notice, text="办公用品买了什么？")
    assert q.due_at.date() == date(2026, 11, 19)  # three working days after Monday
    clock.shift(timedelta(days=4))
    assert selectors.todo(world.c01_worker)["overdue"] == [q]
    services.question_answer(actor=world.c01_worker, question=q, answer="打印纸与墨盒，清单见附件。")
    assert selectors.open_question_count(world.c01_worker) == 0
    clock.shift(timedelta(days=20))
    with pytest.raises(DomainError, match="不在公示期"):
        services.question_ask(notice=notice, text="还能问吗？")
    assert Question.objects.count() == 1


def test_questions_are_rate_limited_per_address(world, clock, settings):
    from linli.core.context import Origin, origin

    settings.LINLI_PUBLIC_QUESTIONS_PER_HOUR = 2
    notice = services.notice_publish(actor=world.c01_worker, notice=finance(world))
    with origin(Origin(via="web", ip="10.0.0.9")):
        services.question_ask(notice=notice, text="一")
        services.question_ask(notice=notice, text="二")
        with pytest.raises(RateLimited):
            services.question_ask(notice=notice, text="三")
    assert Question.objects.count() == 2


def test_withdraw_and_discard(world, clock):
    notice = services.notice_publish(actor=world.c01_worker, notice=finance(world))
    services.notice_withdraw(actor=world.c01_worker, notice=notice, reason="重复发布")
    assert selectors.board(world.c01) == []
    draft = finance(world, title="草稿")
    services.notice_discard(actor=world.c01_worker, notice=draft)
    assert not Notice.objects.filter(pk=draft.pk).exists()
