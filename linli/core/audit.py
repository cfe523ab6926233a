"""Writing the audit log. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from linli.core.context import current_origin
from linli.core.models import WRITE_ACTIONS, AuditEntry, AuditQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User  # the configured user model (django-stubs)

Action = AuditEntry.Action


def _label(actor: Any) -> str:
    if actor is None:
        return ""
    return str(getattr(actor, "username", "") or actor)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    area_path: str | None = None,
    changes: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_label: str | None = None,
) -> AuditEntry:
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
        if area_path is None:
            area_path = getattr(obj, "audit_area_path", None)
    if area_path is None and actor is not None and getattr(actor, "pk", None):
        paths = actor.scope_paths()
        area_path = paths[0] if paths else ""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label if actor_label is not None else (_label(actor) or origin.operator),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        area_path=area_path or "",
        changes=changes or {},
        ip=origin.ip,
        via=origin.via,
        written_app=object_type.partition(".")[0] if action in WRITE_ACTIONS else None,
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed; values made JSON-friendly."""
    out: dict[str, list[Any]] = {}
    for key in after:
        old, new = before.get(key), after[key]
        if old != new:
            out[key] = [_jsonable(old), _jsonable(new)]
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def audit_search(user: Any, params: Mapping[str, str]) -> tuple[QuerySet[AuditEntry], list[str]]:
    """The audit page's filters (text, action, actor, dates) over the entries `user` may read, newest
    first, and the errors to show for filters that could not be read. The page and `linli bench` (the
    audit log at city scale, issue #24) run this one function."""
    from django.contrib.auth import get_user_model

    from linli.core.permissions import Capability
    from linli.core.scoping import scope_q

    entries = (
        AuditEntry.objects.visible_to(user) if user.can(Capability.VIEW_AUDIT) else AuditEntry.objects.none()
    )
    # Entries about no area (failed sign-ins under unknown names, console backups) belong to the
    # deployment's operators, not to every street admin of every street sharing the deployment. One OR
    # of the two conditions, not `id IN (their scope) OR …`: at millions of entries the planner can only
    # walk the time index for the former (0.3–0.8 s at 200,000 entries).
    if user.can(Capability.OPERATE):
        reach = Q(area_path="")
        if (
            user.can(Capability.VIEW_AUDIT)
            and user.can(Capability.READ_SCOPE)
            and (paths := user.scope_paths())
        ):
            reach |= scope_q(paths, AuditQuerySet.scope_lookup)
        entries = AuditEntry.objects.filter(reach)
    errors: list[str] = []
    if q := params.get("q", "").strip():
        # By text: what the entry is about, and the label of entries no user account wrote (failed
        # sign-ins under unknown names, residents' submissions, the console). By the user's id, their
        # name or login read from the small users table first: what a user did (migration core 0008), and
        # what was done to a user account other than its own sign-ins, which have the user as actor
        # (core 0009). A busy worker's name is then the (actor, action, at) index and the small accounts
        # index, not the tens of thousands of labels and sign-ins naming them, which PostgreSQL
        # cannot estimate.
        about = Q(object_repr__icontains=q) & ~Q(object_type=USER_OBJECTS)
        unowned = Q(actor__isnull=True, actor_label__icontains=q)
        if connection.vendor == "postgresql" and len(q) >= 2:
            # The two-character pieces indexes find the candidates; LIKE confirms them. A longer keyword
            # is looked up by the pieces of its last PIECES_CHARS characters: more pieces are more lists
            # for the index to intersect but seldom fewer candidates (a case number's twelve pieces, most
            # of them in every case number of the month: 210 ms at 20,000,000 entries; its last six: 58).
            tail = q[-PIECES_CHARS:]
            about &= Q(RawSQL(_OBJECT_BIGRAMS, [tail], output_field=BooleanField()))  # noqa: S611  (a parameter)
            unowned &= Q(RawSQL(_LABEL_BIGRAMS, [tail], output_field=BooleanField()))  # noqa: S611
        named = list(
            get_user_model()
            .objects.filter(Q(full_name__icontains=q) | Q(username__icontains=q))
            .values_list("pk", flat=True)[:500]
        )
        ids = [str(pk) for pk in named]
        if connection.vendor == "postgresql":
            # The partial index's condition, written as the migration writes it.
            accounts = Q(RawSQL(_USER_OBJECTS, [ids], output_field=BooleanField()))  # noqa: S611
        else:
            accounts = Q(object_type=USER_OBJECTS, object_id__in=ids) & ~Q(action__in=OWN_SIGN_INS)
        text = (
            about | unowned | Q(actor_id__in=named) | accounts | Q(object_id=q) | Q(area_path__startswith=q)
        )
        entries = entries.filter(text | Q(ip=q) if _is_ip(q) else text)
    if action := params.get("action", ""):
        entries = entries.filter(action=action)
    if actor := params.get("actor", "").strip():
        entries = entries.filter(actor_label__iexact=actor)
    tz = timezone.get_current_timezone()
    if since := params.get("since", ""):
        if (day := _date_or_none(since)) is None:
            errors.append("开始日期格式应为 YYYY-MM-DD。")
        else:
            entries = entries.filter(at__gte=datetime.combine(day, time.min, tzinfo=tz))
    if until := params.get("until", ""):
        if (day := _date_or_none(until)) is None:
            errors.append("结束日期格式应为 YYYY-MM-DD。")
        else:
            entries = entries.filter(at__lte=datetime.combine(day, time.max, tzinfo=tz))
    return entries.order_by("-at", "-id"), errors


# The expressions of the two-character pieces indexes (migration core 0008), as the planner must see them
# to use the indexes.
PIECES_CHARS = 7
# What `audit_record` writes as the object type of a user account (`get_user_model()`'s label); the index
# of what entries are about leaves them out (a partial index: its condition is written out here as in the
# migration, so the planner can see that the search's condition implies it).
USER_OBJECTS = "accounts.user"
OWN_SIGN_INS = (Action.LOGIN, Action.LOGOUT)  # written with the user as both actor and object
_USER_OBJECTS = (
    "core_auditentry.object_type = 'accounts.user' AND core_auditentry.action NOT IN ('login', 'logout') "
    "AND core_auditentry.object_id = ANY(%s)"
)
_OBJECT_BIGRAMS = (
    "core_auditentry.object_type <> 'accounts.user' "
    "AND linli_bigrams(core_auditentry.object_repr::text) @> linli_bigrams(%s)"
)
_LABEL_BIGRAMS = "linli_bigrams(core_auditentry.actor_label::text) @> linli_bigrams(%s)"


def _date_or_none(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
