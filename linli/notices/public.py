"""The public board (公开栏): what a community has on display, for residents, without signing in.

Nothing personal is shown: no staff logins, no askers' names. Questions are limited per address per hour.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from linli.areas.models import Area
from linli.core import pdf
from linli.core.errors import DomainError, RateLimited
from linli.core.forms import add_domain_error
from linli.notices import selectors, services
from linli.notices.forms import QuestionForm
from linli.notices.models import Attachment, LineKind, Notice, NoticeStatus
from linli.notices.views import _file


def _community(pk: int) -> Area:
    return get_object_or_404(Area.objects.filter(kind="community"), pk=pk)


def board_index(request: HttpRequest) -> HttpResponse:
    communities = list(Area.objects.filter(kind="community").order_by("path"))
    Area.qualify(communities)
    return render(request, "notices/public/index.html", {"communities": communities})


def board(request: HttpRequest, pk: int) -> HttpResponse:
    community = _community(pk)
    Area.qualify([community])
    return render(
        request, "notices/public/board.html", {"community": community, "notices": selectors.board(community)}
    )


def _on_board(pk: int) -> Notice:
    notice = get_object_or_404(Notice.objects.on_board().select_related("area"), pk=pk)
    return notice


def board_notice(request: HttpRequest, pk: int) -> HttpResponseBase:
    if request.method != "POST":
        notice = _on_board(pk)
    else:
        # A question on a notice that was once public but is no longer on display is refused with a reason;
        # a draft was never public: 404, nothing about it is shown.
        notice = get_object_or_404(
            Notice.objects.exclude(status=NoticeStatus.DRAFT).select_related("area"), pk=pk
        )
    form = QuestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.question_ask(
                    notice=notice, text=form.cleaned_data["text"], asker_name=form.cleaned_data["asker_name"]
                )
            except RateLimited as exc:
                form.add_error(None, exc.message)
                status = 429
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已收到您的问题，社区将在规定时间内在此答复。")
                return redirect("board_notice", pk=notice.pk)
    lines = list(notice.lines.all())
    context = {
        "notice": notice,
        "income": [line for line in lines if line.kind == LineKind.INCOME],
        "expense": [line for line in lines if line.kind == LineKind.EXPENSE],
        "attachments": notice.attachments.all(),
        "questions": selectors.public_questions(notice),
        "versions": selectors.versions(notice),
        "form": form,
        "open": notice.on_board(),
    }
    return render(request, "notices/public/notice.html", context, status=status)


def board_attachment(request: HttpRequest, pk: int) -> FileResponse:
    item = get_object_or_404(Attachment.objects.select_related("notice"), pk=pk)
    if not item.notice.on_board():
        raise Http404
    return _file(item)


def board_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 board: every notice on display, finance lines with their totals."""
    community = _community(pk)
    Area.qualify([community])
    doc = pdf.Document(f"{community.name} 居务公开栏", scope=community.qualified_name)
    notices = selectors.board(community)
    if not notices:
        doc.paragraph("目前没有正在公示的事项。")
    for notice in notices:
        doc.heading(f"【{notice.get_category_display()}】{notice.title}")
        until = f"{notice.publish_until:%Y-%m-%d}" if notice.publish_until else "长期"
        doc.fields(
            [("公示期", f"{notice.publish_from:%Y-%m-%d} 至 {until}")]
            + ([("所属期间", notice.period_label)] if notice.period_label else [])
        )
        doc.paragraph(notice.body)
        lines = list(notice.lines.all())
        if lines:
            doc.table_rows(
                ["收支", "日期", "事由", "凭证号", "金额（元）"],
                [
                    [
                        line.get_kind_display(),
                        f"{line.occurred_on:%Y-%m-%d}" if line.occurred_on else "",
                        line.purpose,
                        line.voucher_no,
                        f"{line.amount:,.2f}",
                    ]
                    for line in lines
                ],
                widths=[14, 24, 74, 30, 36],
            )
            doc.paragraph(
                f"收入合计 {notice.declared_income or 0:,.2f} 元；支出合计 {notice.declared_expense or 0:,.2f} 元。"
            )
        doc.ln(3)
    return pdf.response(doc, f"board-{community.code}.pdf")
