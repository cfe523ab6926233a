"""One entry point for the workflow's moves, shared by the pages and the JSON API.

`perform` takes the move's name and plain inputs (usernames, department codes, case
numbers), resolves them within the actor's scope and calls the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from linli.cases import routing, services
from linli.cases.models import Case, CaseEvent, Department
from linli.core.errors import DomainError

if TYPE_CHECKING:
    from linli.accounts.models import User

A = CaseEvent.Action

# The moves a person starts by name (the sweep's and residents' moves are not among them).
ACTIONS = (
    A.REGISTER,
    A.REJECT,
    A.DISPATCH,
    A.ACCEPT,
    A.RETURN,
    A.FINISH,
    A.VERIFY,
    A.PASS,
    A.REWORK,
    A.FOLLOW_UP,
    A.REOPEN,
    A.MERGE,
    A.EXTENSION_REQUEST,
)

# Moves whose note is their reason, and required.
REASON_REQUIRED = frozenset({A.REJECT, A.RETURN, A.REWORK, A.REOPEN, A.EXTENSION_REQUEST})


def _user(actor: User, username: str) -> User:
    from linli.accounts.models import User

    user = User.objects.visible_to(actor).filter(username=username.strip()).first()
    if user is None:
        raise DomainError(f"找不到用户 {username}。", field="assignee")
    return user


def _department(case: Case, code: str) -> Department:
    """Departments are chosen by the case's place, not the dispatcher's scope: a community worker
    dispatches to the street's 城管中队 (see routing.departments_for)."""
    code = code.strip().upper()
    department = routing.departments_for(case.area).filter(code=code).first()
    if department is None:
        if Department.objects.filter(code=code, active=True).exists():
            raise DomainError(
                f"部门 {code} 不负责{case.area.name}，请选择服务该区域的部门。", field="department"
            )
        raise DomainError(f"找不到部门 {code}。", field="department")
    return department


def perform(*, actor: User, case: Case, action: str, data: Mapping[str, Any]) -> Case:
    def get(key: str) -> str:
        value = data.get(key)
        return "" if value is None else str(value)

    note = get("note")
    if action == A.REGISTER:
        return services.case_register(actor=actor, case=case, note=note)
    if action == A.REJECT:
        return services.case_reject(actor=actor, case=case, reason=note)
    if action == A.DISPATCH:
        assignee = _user(actor, get("assignee")) if get("assignee") else None
        department = _department(case, get("department")) if get("department") else None
        return services.case_dispatch(
            actor=actor, case=case, assignee=assignee, department=department, note=note
        )
    if action == A.ACCEPT:
        return services.case_accept(actor=actor, case=case, note=note)
    if action == A.RETURN:
        return services.case_return(actor=actor, case=case, reason=note)
    if action == A.FINISH:
        return services.case_finish(actor=actor, case=case, result=get("result"), note=note)
    if action == A.VERIFY:
        return services.case_verify(actor=actor, case=case, note=note)
    if action == A.PASS:
        return services.case_pass(actor=actor, case=case, note=note)
    if action == A.REWORK:
        return services.case_rework(actor=actor, case=case, reason=note)
    if action == A.FOLLOW_UP:
        return services.case_follow_up(actor=actor, case=case, satisfaction=get("satisfaction"), note=note)
    if action == A.REOPEN:
        return services.case_reopen(actor=actor, case=case, reason=note)
    if action == A.MERGE:
        into = Case.objects.visible_to(actor).filter(number=get("into").strip()).first()
        if into is None:
            raise DomainError("找不到要并入的工单编号。", field="into")
        return services.case_merge(actor=actor, case=case, into=into, note=note)
    if action == A.EXTENSION_REQUEST:
        services.extension_request(
            actor=actor, case=case, amount=get("amount"), unit=get("unit"), reason=note
        )
        case.refresh_from_db()
        return case
    raise DomainError(f"未知操作：{action}。", field="action")
