"""Every write to public notices goes through here: drafts, finance lines, attachments, publishing,
corrections as new versions, withdrawal, and residents' questions with their answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.cases import services as case_services
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, RateLimited
from linli.core.models import AuditEntry
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import clean_text
from linli.notices.attachments import check_attachment
from linli.notices.models import (
    Attachment,
    FinanceLine,
    LineKind,
    Notice,
    NoticeCategory,
    NoticeStatus,
    Question,
    QuestionStatus,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

MAX_LINES = 500
MAX_PERIOD_DAYS = 366
MAX_AMOUNT = Decimal("999999999999.99")
PUBLIC_LABEL = "居民（公示栏）"


def _label(actor: User | None) -> str:
    return case_services._label(actor)


def _community(actor: User | None, area: Area) -> Area:
    if area.kind not in ("community", "street"):
        raise DomainError("公开事项按社区（或街道）发布。", field="area")
    require_path_in_scope(actor, area.path)
    return area


def _period(publish_from: date, publish_until: date | None) -> None:
    if publish_until is not None:
        if publish_until < publish_from:
            raise DomainError("公示截止日期不能早于开始日期。", field="publish_until")
        if (publish_until - publish_from).days > MAX_PERIOD_DAYS:
            raise DomainError("公示期不能超过一年。", field="publish_until")


def money(value: Any, *, field: str, label: str) -> Decimal:
    """An amount in yuan: positive, at most two decimals (分), as Decimal — never a float."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(f"{label}应为金额（元，最多两位小数）。", field=field) from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError(f"{label}应为大于 0 的金额。", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(f"{label}最多两位小数（精确到分）。", field=field)
    return amount.quantize(Decimal("0.01"))


def _total(value: Any, *, field: str, label: str) -> Decimal:
    if value in (None, ""):
        return Decimal("0.00")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(f"{label}应为金额。", field=field) from exc
    if (
        not amount.is_finite()
        or amount < 0
        or amount > MAX_AMOUNT
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise DomainError(f"{label}应为不小于 0、精确到分的金额。", field=field)
    return amount.quantize(Decimal("0.01"))


def check_lines(
    lines: Iterable[Mapping[str, Any]], declared_income: Any, declared_expense: Any
) -> tuple[list[FinanceLine], Decimal, Decimal]:
    """The lines, cleaned, and the declared totals; refused unless each kind's lines add up to its total."""
    cleaned: list[FinanceLine] = []
    vouchers: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if n > MAX_LINES:
            raise DomainError(f"一次公开最多 {MAX_LINES} 笔收支。", field="lines")
        where = f"第 {n} 行"
        kind = str(line.get("kind") or "").strip()
        if kind not in LineKind.values:
            raise DomainError(f"{where}：收支应为收入或支出。", field=f"lines[{n}].kind")
        purpose = clean_text(
            line.get("purpose"), field=f"lines[{n}].purpose", label=f"{where}的事由", required=True, limit=200
        )
        voucher = clean_text(
            line.get("voucher_no"),
            field=f"lines[{n}].voucher_no",
            label=f"{where}的凭证号",
            required=True,
            limit=40,
        )
        if voucher in vouchers:
            raise DomainError(f"{where}：凭证号 {voucher} 重复。", field=f"lines[{n}].voucher_no")
        vouchers.add(voucher)
        occurred = line.get("occurred_on") or None
        if occurred is not None and not isinstance(occurred, date):
            try:
                occurred = date.fromisoformat(str(occurred).strip())
            except ValueError as exc:
                raise DomainError(f"{where}：日期应为 YYYY-MM-DD。", field=f"lines[{n}].occurred_on") from exc
        amount = money(line.get("amount"), field=f"lines[{n}].amount", label=f"{where}的金额")
        cleaned.append(
            FinanceLine(
                order=n, kind=kind, purpose=purpose, voucher_no=voucher, amount=amount, occurred_on=occurred
            )
        )
    income = _total(declared_income, field="declared_income", label="收入合计")
    expense = _total(declared_expense, field="declared_expense", label="支出合计")
    summed = {
        k: sum((line.amount for line in cleaned if line.kind == k), Decimal("0.00")) for k in LineKind.values
    }
    if summed[LineKind.INCOME] != income:
        raise DomainError(
            f"收入明细合计 {summed[LineKind.INCOME]:,.2f} 元，与申报的收入合计 {income:,.2f} 元不符。",
            field="declared_income",
        )
    if summed[LineKind.EXPENSE] != expense:
        raise DomainError(
            f"支出明细合计 {summed[LineKind.EXPENSE]:,.2f} 元，与申报的支出合计 {expense:,.2f} 元不符。",
            field="declared_expense",
        )
    return cleaned, income, expense


def _draft(actor: User | None, notice: Notice | int) -> Notice:
    pk = notice if isinstance(notice, int) else notice.pk
    locked = Notice.objects.select_for_update().select_related("area").get(pk=pk)
    require_path_in_scope(actor, locked.area.path)
    if locked.status != NoticeStatus.DRAFT:
        raise DomainError("已发布的公开事项不能直接修改，请“更正”发布新版本。")
    return locked


def notice_create(
    *,
    actor: User | None,
    area: Area,
    category: str,
    title: str,
    body: str,
    publish_from: date,
    publish_until: date | None = None,
    period_label: str = "",
    lines: Iterable[Mapping[str, Any]] | None = None,
    declared_income: Any = None,
    declared_expense: Any = None,
) -> Notice:
    """A draft. A finance disclosure's lines come with it and must add up to its declared totals."""
    require(actor, Capability.DISPATCH)
    area = _community(actor, area)
    if category not in NoticeCategory.values:
        raise DomainError("请选择公开类别。", field="category")
    title = clean_text(title, field="title", label="标题", required=True, limit=100)
    body = clean_text(body, field="body", label="正文", required=True, limit=20000)
    _period(publish_from, publish_until)
    period_label = clean_text(period_label, field="period_label", label="所属期间", limit=40)
    finance = category == NoticeCategory.FINANCE
    checked = check_lines(lines or [], declared_income, declared_expense) if finance else None
    with transaction.atomic():
        notice = Notice.objects.create(
            area=area,
            category=category,
            title=title,
            body=body,
            publish_from=publish_from,
            publish_until=publish_until,
            period_label=period_label,
            declared_income=checked[1] if checked else None,
            declared_expense=checked[2] if checked else None,
            created_by=actor if actor is not None and actor.pk else None,
        )
        notice.series = notice
        notice.save(update_fields=["series"])
        if checked:
            for line in checked[0]:
                line.notice = notice
            FinanceLine.objects.bulk_create(checked[0])
        audit_record(
            actor=actor,
            action=Action.CREATE,
            obj=notice,
            changes={"category": category, "lines": len(checked[0]) if checked else 0},
        )
    return notice


def notice_update(
    *,
    actor: User | None,
    notice: Notice | int,
    title: str,
    body: str,
    publish_from: date,
    publish_until: date | None = None,
    period_label: str = "",
) -> Notice:
    require(actor, Capability.DISPATCH)
    title = clean_text(title, field="title", label="标题", required=True, limit=100)
    body = clean_text(body, field="body", label="正文", required=True, limit=20000)
    _period(publish_from, publish_until)
    period_label = clean_text(period_label, field="period_label", label="所属期间", limit=40)
    with transaction.atomic():
        locked = _draft(actor, notice)
        changes = {
            k: [str(getattr(locked, k)), str(v)]
            for k, v in {
                "title": title,
                "body": body,
                "publish_from": publish_from,
                "publish_until": publish_until,
                "period_label": period_label,
            }.items()
            if getattr(locked, k) != v
        }
        locked.title, locked.body, locked.period_label = title, body, period_label
        locked.publish_from, locked.publish_until = publish_from, publish_until
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes=changes)
    return locked


def finance_lines_set(
    *,
    actor: User | None,
    notice: Notice | int,
    lines: Iterable[Mapping[str, Any]],
    declared_income: Any,
    declared_expense: Any,
) -> Notice:
    """Replace a draft disclosure's lines and totals. A total that does not add up writes nothing."""
    require(actor, Capability.DISPATCH)
    cleaned, income, expense = check_lines(lines, declared_income, declared_expense)
    with transaction.atomic():
        locked = _draft(actor, notice)
        if not locked.is_finance:
            raise DomainError("只有财务公开才有收支明细。")
        locked.lines.all().delete()
        for line in cleaned:
            line.notice = locked
        FinanceLine.objects.bulk_create(cleaned)
        before = [str(locked.declared_income), str(locked.declared_expense)]
        locked.declared_income, locked.declared_expense = income, expense
        locked.save(update_fields=["declared_income", "declared_expense"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"totals": [before, [str(income), str(expense)]], "lines": len(cleaned)},
        )
    return locked


def attachment_add(*, actor: User | None, notice: Notice | int, upload: UploadedFile) -> Attachment:
    """Attach a file to a draft; its bytes must be what its name says (see notices.attachments)."""
    require(actor, Capability.DISPATCH)
    content_type, safe_name = check_attachment(upload)
    with transaction.atomic():
        locked = _draft(actor, notice)
        if locked.attachments.count() >= 10:
            raise DomainError("每条公开事项最多 10 个附件。", field="file")
        item = Attachment(
            notice=locked,
            name=clean_text(upload.name, field="file", label="文件名", limit=100),
            content_type=content_type,
            size=upload.size or 0,
        )
        item.file.save(safe_name, upload, save=False)
        item.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"attachment": item.name})
    return item


def attachment_remove(*, actor: User | None, attachment: Attachment) -> None:
    require(actor, Capability.DISPATCH)
    with transaction.atomic():
        locked = _draft(actor, attachment.notice_id)
        name = attachment.name
        Attachment.objects.filter(pk=attachment.pk, notice=locked).delete()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"attachment_removed": name})


def notice_publish(*, actor: User | None, notice: Notice | int) -> Notice:
    """Publish a draft. A correction takes the place of the version it corrects, which stays in the history."""
    require(actor, Capability.DISPATCH)
    with transaction.atomic():
        locked = _draft(actor, notice)
        today = timezone.localdate()
        if locked.publish_until is not None and locked.publish_until < today:
            raise DomainError("公示截止日期已过，请修改公示期。", field="publish_until")
        if locked.is_finance:
            if not locked.lines.exists():
                raise DomainError("财务公开至少要有一笔收支明细。", field="lines")
            check_lines(
                locked.lines.values("kind", "purpose", "voucher_no", "amount", "occurred_on"),
                locked.declared_income,
                locked.declared_expense,
            )
        if locked.supersedes_id:
            old = Notice.objects.select_for_update().get(pk=locked.supersedes_id)
            if old.status != NoticeStatus.PUBLISHED:
                raise DomainError("被更正的版本已不在公示中。")
            old.status = NoticeStatus.SUPERSEDED
            old.save(update_fields=["status"])
            audit_record(
                actor=actor, action=Action.UPDATE, obj=old, changes={"status": ["published", "superseded"]}
            )
        locked.status = NoticeStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by_label = _label(actor)
        locked.save()
        audit_record(
            actor=actor, action=Action.UPDATE, obj=locked, changes={"status": ["draft", "published"]}
        )
    return locked


def notice_correct(*, actor: User | None, notice: Notice | int, reason: str) -> Notice:
    """更正: a published notice is never edited; this opens a new draft version that will replace it."""
    require(actor, Capability.DISPATCH)
    reason = clean_text(reason, field="reason", label="更正原因", required=True, limit=200)
    with transaction.atomic():
        pk = notice if isinstance(notice, int) else notice.pk
        old = Notice.objects.select_for_update().select_related("area").get(pk=pk)
        require_path_in_scope(actor, old.area.path)
        if old.status != NoticeStatus.PUBLISHED:
            raise DomainError("只能更正正在公示的版本。")
        if Notice.objects.filter(supersedes=old).exists():
            raise DomainError("已有一份更正稿，请先编辑并发布它。")
        new = Notice.objects.create(
            area=old.area,
            category=old.category,
            title=old.title,
            body=old.body,
            series_id=old.series_id or old.pk,
            version=old.version + 1,
            supersedes=old,
            correction_reason=reason,
            publish_from=max(old.publish_from, timezone.localdate()),
            publish_until=old.publish_until,
            period_label=old.period_label,
            declared_income=old.declared_income,
            declared_expense=old.declared_expense,
            created_by=actor if actor is not None and actor.pk else None,
        )
        FinanceLine.objects.bulk_create(
            [
                FinanceLine(
                    notice=new,
                    order=line.order,
                    kind=line.kind,
                    purpose=line.purpose,
                    voucher_no=line.voucher_no,
                    amount=line.amount,
                    occurred_on=line.occurred_on,
                )
                for line in old.lines.all()
            ]
        )
        for item in old.attachments.all():  # the same stored file: a version never changes it
            Attachment.objects.create(
                notice=new,
                file=item.file.name,
                name=item.name,
                content_type=item.content_type,
                size=item.size,
            )
        audit_record(
            actor=actor, action=Action.CREATE, obj=new, changes={"corrects": old.pk, "reason": reason}
        )
    return new


def notice_withdraw(*, actor: User | None, notice: Notice | int, reason: str) -> Notice:
    require(actor, Capability.DISPATCH)
    reason = clean_text(reason, field="reason", label="撤回原因", required=True, limit=200)
    with transaction.atomic():
        pk = notice if isinstance(notice, int) else notice.pk
        locked = Notice.objects.select_for_update().select_related("area").get(pk=pk)
        require_path_in_scope(actor, locked.area.path)
        if locked.status != NoticeStatus.PUBLISHED:
            raise DomainError("只能撤回正在公示的版本。")
        locked.status = NoticeStatus.WITHDRAWN
        locked.withdraw_reason = reason
        locked.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            obj=locked,
            changes={"status": ["published", "withdrawn"], "reason": reason},
        )
    return locked


def notice_discard(*, actor: User | None, notice: Notice | int) -> None:
    """Throw away a draft that was never published (nothing public refers to it)."""
    require(actor, Capability.DISPATCH)
    with transaction.atomic():
        locked = _draft(actor, notice)
        audit_record(actor=actor, action=Action.DELETE, obj=locked, changes={"title": locked.title})
        if locked.series_id == locked.pk:
            Notice.objects.filter(pk=locked.pk).update(series=None)
        locked.delete()


# --- questions -------------------------------------------------------------------------------


def questions_from(ip: str | None) -> int:
    if not ip:
        return 0
    return AuditEntry.objects.filter(
        action=Action.CREATE,
        object_type="notices.question",
        ip=ip,
        actor__isnull=True,
        at__gte=timezone.now() - timedelta(hours=1),
    ).count()


def question_ask(*, notice: Notice | int, text: str, asker_name: str = "") -> Question:
    """A resident's question from the public board (no account). Only while the notice is on the board;
    a few per address per hour. Staff must answer within the set number of working days."""
    text = clean_text(text, field="text", label="问题", required=True, limit=500)
    asker_name = clean_text(asker_name, field="asker_name", label="称呼", limit=30)
    if questions_from(current_origin().ip) >= settings.LINLI_PUBLIC_QUESTIONS_PER_HOUR:
        raise RateLimited("提问过于频繁，请一小时后再试或到社区咨询。")
    with transaction.atomic():
        pk = notice if isinstance(notice, int) else notice.pk
        locked = Notice.objects.select_for_update().select_related("area").get(pk=pk)
        if not locked.on_board():
            raise DomainError("该公开事项已不在公示期内，不能再提问。")
        now = timezone.now()
        question = Question.objects.create(
            notice=locked,
            text=text,
            asker_name=asker_name,
            asked_at=now,
            due_at=WorkCalendar().end_of_workdays(now, settings.LINLI_NOTICE_ANSWER_DAYS),
        )
        audit_record(
            actor=None,
            action=Action.CREATE,
            obj=question,
            changes={"notice": locked.pk},
            actor_label=PUBLIC_LABEL,
        )
    return question


def question_answer(*, actor: User | None, question: Question | int, answer: str) -> Question:
    """Answer (or, later, amend the answer: the old one stays in the audit log). Shown on the board."""
    require(actor, Capability.WRITE)
    answer = clean_text(answer, field="answer", label="答复", required=True, limit=2000)
    with transaction.atomic():
        pk = question if isinstance(question, int) else question.pk
        locked = Question.objects.select_for_update().select_related("notice__area").get(pk=pk)
        require_path_in_scope(actor, locked.notice.area.path)
        before = locked.answer
        locked.answer = answer
        locked.status = QuestionStatus.ANSWERED
        if locked.answered_at is None:
            locked.answered_at = timezone.now()
        locked.answered_by = actor if actor is not None and actor.pk else None
        locked.answered_by_label = _label(actor)
        locked.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"answer": [before, answer]})
    return locked
