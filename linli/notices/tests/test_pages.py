from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from linli.notices import services
from linli.notices.models import Attachment, Notice, Question
from linli.notices.tests.test_services import PDF, finance


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_create_attach_publish_and_board(world, clock):
    w = world
    client = login(w.c01_worker)
    bad = client.post(
        "/notices/new/",
        {
            "area": w.c01.pk,
            "category": "finance",
            "title": "三季度财务公开",
            "body": "收支如下",
            "publish_from": "2026-11-16",
            "publish_until": "2026-11-30",
            "lines": "收入 | 办公经费 | 1000 | 记-1\n支出 | 文具 | 200 | 记-2",
            "declared_income": "1000",
            "declared_expense": "250",
        },
    )
    assert bad.status_code == 400
    assert "与申报的支出合计 250.00 元不符" in bad.content.decode()
    assert Notice.objects.count() == 0
    notice = finance(w)
    fake = client.post(
        f"/notices/{notice.pk}/attach/", {"file": SimpleUploadedFile("凭证.pdf", b"<html>not a pdf")}
    )
    assert fake.status_code == 400
    assert "已拒收" in fake.content.decode()
    assert Attachment.objects.count() == 0
    assert (
        client.post(
            f"/notices/{notice.pk}/attach/", {"file": SimpleUploadedFile("凭证.pdf", PDF)}
        ).status_code
        == 302
    )
    assert client.post(f"/notices/{notice.pk}/publish/").status_code == 302
    public = Client()
    board = public.get(f"/board/{w.c01.pk}/").content.decode()
    assert "2026 年第三季度财务公开" in board
    page = public.get(f"/board/notices/{notice.pk}/").content.decode()
    assert "30000.00" in page
    assert "公示剩余 15 天" in page
    asked = public.post(f"/board/notices/{notice.pk}/", {"text": "文具买了多少？", "asker_name": "钱女士"})
    assert asked.status_code == 302
    question = Question.objects.get()
    assert "钱女士" not in public.get(f"/board/notices/{notice.pk}/").content.decode()
    pdf = public.get(f"/board/{w.c01.pk}/print.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert public.get(f"/board/attachments/{notice.attachments.get().pk}/").status_code == 200
    # Staff answer; the answer shows on the board.
    assert (
        client.post(f"/notices/questions/{question.pk}/answer/", {"answer": "共 1250.50 元"}).status_code
        == 302
    )
    assert "共 1250.50 元" in public.get(f"/board/notices/{notice.pk}/").content.decode()


def test_question_on_an_expired_notice_is_refused(world, clock):
    notice = services.notice_publish(actor=world.c01_worker, notice=finance(world))
    clock.shift(60 * 60 * 24 * 30)
    public = Client()
    assert public.get(f"/board/notices/{notice.pk}/").status_code == 404
    response = public.post(f"/board/notices/{notice.pk}/", {"text": "还能问吗"})
    assert response.status_code == 400
    assert "不在公示期" in response.content.decode()
    assert Question.objects.count() == 0


def test_a_draft_is_not_shown_on_the_board_even_to_a_question(world, clock):
    draft = finance(world)
    public = Client()
    assert public.get(f"/board/notices/{draft.pk}/").status_code == 404
    assert public.post(f"/board/notices/{draft.pk}/", {"text": "这是什么？"}).status_code == 404
    assert Question.objects.count() == 0
