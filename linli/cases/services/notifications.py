"""Who hears about a case, and the inbox: the roles bound to its area, who must act next, `notify`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import Role
from linli.areas.models import Area, GridAssignment
from linli.cases import channels
from linli.cases.models import Case, Notification, Status

if TYPE_CHECKING:
    from linli.accounts.models import User


def users_with_role_in(area: Area, *roles: str) -> list[User]:
    """Active users of these roles bound to `area` or one of its ancestors."""
    from linli.accounts.models import User

    paths = [*area.ancestor_paths(), area.path]
    return list(
        User.objects.filter(role__in=roles, is_active=True, bindings__area__path__in=paths)
        .distinct()
        .order_by("pk")
    )


def users_with_role(case: Case, *roles: str) -> list[User]:
    return users_with_role_in(case.area, *roles)


def grid_leaders(case: Case) -> list[User]:
    if case.area.kind != Area.Kind.GRID:
        return []
    paths = [*case.area.ancestor_paths(), case.area.path]
    assignments = (
        GridAssignment.objects.current(timezone.localdate())
        .filter(grid__path__in=paths, duty=GridAssignment.Duty.LEADER, user__is_active=True)
        .select_related("user")
    )
    return [a.user for a in assignments]


def responsible(case: Case) -> list[User]:
    """Who must act next: the handler(s) while handling, the community's dispatchers otherwise."""
    if case.status in (Status.DISPATCHED, Status.HANDLING):
        if case.assignee_id:
            return [case.assignee]  # type: ignore[list-item]
        if case.department_id:
            return list(case.department.members.filter(is_active=True))  # type: ignore[union-attr]
    if case.status == Status.VERIFYING and case.verifier_id:
        return [case.verifier]  # type: ignore[list-item]
    return users_with_role(case, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER)


def notify(users: Iterable[User | None], case: Case | None, kind: str, text: str, *, link: str = "") -> None:
    """Put an item in each user's inbox; outbound channels copy it once the transaction commits."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, case=case, kind=kind, text=text[:300], link=link))
    if not rows:
        return
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.pk] or list(
        Notification.objects.filter(case=case, kind=kind, user__in=seen).values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: channels.deliver(ids))


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
