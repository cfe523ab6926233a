"""Configuration: categories and their questions and limits, departments, the work calendar."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction

from linli.accounts.roles import Capability, Role
from linli.areas.models import Area
from linli.cases.models import CalendarOverride, Category, CategoryLimit, Department, LimitUnit, Stage
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import clean_text as _text

if TYPE_CHECKING:
    from linli.accounts.models import User


# --- configuration ------------------------------------------------------------------------


def _code(value: str, field: str = "code") -> str:
    code = (value or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{0,31}", code):
        raise DomainError("编码只能包含大写字母、数字、下划线和连字符，最长 32 位。", field=field)
    return code


@transaction.atomic
def category_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    parent: Category | None = None,
    department: Department | None = None,
    description: str = "",
    keywords: str = "",
    questions: list[dict[str, Any]] | None = None,
    limits: dict[str, tuple[int, str]] | None = None,
) -> Category:
    require(actor, Capability.CONFIGURE)
    code = _code(code)
    if Category.objects.filter(code=code).exists():
        raise DomainError(f"类别编码 {code} 已存在。", field="code")
    if parent is not None and parent.parent_id is not None:
        raise DomainError("类别只有大类和小类两级。", field="parent")
    if parent is not None and parent.cases.exists():
        raise DomainError("该大类下已有工单，不能再添加小类。", field="parent")
    category = Category.objects.create(
        code=code,
        name=_text(name, field="name", label="名称", required=True, limit=60),
        parent=parent,
        department=department,
        description=_text(description, field="description", label="说明", limit=200),
        keywords=_text(keywords, field="keywords", label="关键词", limit=200),
        questions=check_questions(questions or []),
    )
    for stage, (amount, unit) in (limits or {}).items():
        category_set_limit(actor=actor, category=category, stage=stage, amount=amount, unit=unit)
    audit_record(actor=actor, action=Action.CREATE, obj=category, area_path="")
    return category


@transaction.atomic
def category_update(*, actor: User | None, category: Category, **fields: Any) -> Category:
    require(actor, Capability.CONFIGURE)
    before = {k: getattr(category, k) for k in fields}
    for key, value in fields.items():
        if key == "name":
            category.name = _text(value, field="name", label="名称", required=True, limit=60)
        elif key in ("description", "keywords"):
            setattr(category, key, _text(value, field=key, label="说明", limit=200))
        elif key == "questions":
            category.questions = check_questions(value)
        elif key in ("department", "active", "order"):
            setattr(category, key, value)
        else:
            raise DomainError(f"不能修改字段 {key}。", field=key)
    category.save()
    changes = {
        k: [str(before[k]), str(getattr(category, k))] for k in fields if before[k] != getattr(category, k)
    }
    audit_record(actor=actor, action=Action.UPDATE, obj=category, area_path="", changes=changes)
    return category


QUESTION_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


def check_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    codes: set[str] = set()
    for i, q in enumerate(questions, start=1):
        code = str(q.get("code", "")).strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", code):
            raise DomainError(f"第 {i} 个问题的编码应为小写字母开头的字母、数字、下划线。", field="questions")
        if code in codes:
            raise DomainError(f"问题编码 {code} 重复。", field="questions")
        codes.add(code)
        datatype = q.get("datatype", "string")
        if datatype not in QUESTION_TYPES:
            raise DomainError(f"问题 {code} 的类型无效。", field="questions")
        values = [{"key": str(v["key"]), "name": str(v["name"])} for v in q.get("values", [])]
        if datatype.endswith("valuelist") and not values:
            raise DomainError(f"问题 {code} 是选择题，需要选项。", field="questions")
        cleaned.append(
            {
                "code": code,
                "label": str(q.get("label") or code)[:60],
                "datatype": datatype,
                "required": bool(q.get("required", False)),
                "description": str(q.get("description", ""))[:200],
                "order": int(q.get("order", i)),
                "values": values,
            }
        )
    return cleaned


def category_set_limit(
    *, actor: User | None, category: Category, stage: str, amount: Any, unit: str
) -> CategoryLimit:
    require(actor, Capability.CONFIGURE)
    if stage not in Stage.values:
        raise DomainError("环节应为立案、派遣、处置或核查。", field="stage")
    if unit not in LimitUnit.values:
        raise DomainError("时限单位应为工作小时或工作日。", field="unit")
    try:
        value = int(amount)
    except (TypeError, ValueError) as exc:
        raise DomainError("时限应为正整数。", field="amount") from exc
    if value < 1:
        raise DomainError("时限应为正整数。", field="amount")
    limit, _ = CategoryLimit.objects.update_or_create(
        category=category, stage=stage, defaults={"amount": value, "unit": unit}
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=category,
        area_path="",
        changes={f"limit.{stage}": f"{value} {unit}"},
    )
    return limit


@transaction.atomic
def department_create(
    *, actor: User | None, area: Area, code: str, name: str, phone: str = "", members: Iterable[User] = ()
) -> Department:
    require(actor, Capability.CONFIGURE)
    require_path_in_scope(actor, area.path)
    code = _code(code)
    if Department.objects.filter(code=code).exists():
        raise DomainError(f"部门编码 {code} 已存在。", field="code")
    department = Department.objects.create(
        area=area,
        code=code,
        name=_text(name, field="name", label="部门名称", required=True, limit=60),
        phone=phone,
    )
    department_set_members(actor=actor, department=department, members=members)
    audit_record(actor=actor, action=Action.CREATE, obj=department)
    return department


def department_set_members(*, actor: User | None, department: Department, members: Iterable[User]) -> None:
    require(actor, Capability.CONFIGURE)
    people = list(members)
    for person in people:
        if person.role != Role.DEPARTMENT_HANDLER:
            raise DomainError(f"{person.username} 不是职能部门处置人。", field="members")
    department.members.set(people)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=department,
        changes={"members": sorted(p.username for p in people)},
    )


@transaction.atomic
def calendar_override_set(
    *, actor: User | None, day: Any, is_workday: bool, note: str = ""
) -> CalendarOverride:
    require(actor, Capability.CONFIGURE)
    override, _ = CalendarOverride.objects.update_or_create(
        day=day,
        defaults={"is_workday": is_workday, "note": _text(note, field="note", label="说明", limit=60)},
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=override,
        area_path="",
        changes={"day": str(day), "workday": is_workday},
    )
    return override


@transaction.atomic
def calendar_override_delete(*, actor: User | None, day: Any) -> None:
    require(actor, Capability.CONFIGURE)
    deleted, _ = CalendarOverride.objects.filter(day=day).delete()
    if not deleted:
        raise DomainError(f"{day} 没有工作日调整。", field="day")
    audit_record(
        actor=actor,
        action=Action.DELETE,
        object_type="cases.calendaroverride",
        object_id=str(day),
        area_path="",
    )


def case_counts_recount(*, actor: User | None) -> tuple[int, int]:
    """Rebuild the dashboards' running counts of cases from the cases (when `linli check` found them
    different): (places that differed, rows kept); audited."""
    from linli.cases.counts import COUNTS

    return COUNTS.recount(actor=actor, object_type="cases.casecount", label="诉求统计")
