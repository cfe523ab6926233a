"""Writing the audit log. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from linli.core.context import current_origin
from linli.core.models import AuditEntry

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
