"""The audit log read as a ledger: who (a person's name and role), did what, to which object
(its kind and name), where (area names), and each changed field as 中文名：旧 → 新.

Identity numbers and phones are masked here unless the reader may reveal them and asked to
(which is itself audited by the view): the audit page must not undo the registry's masking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from linli.core.logs import redact
from linli.core.masking import mask_id, mask_phone, mask_unknown_username
from linli.core.models import AuditEntry
from linli.core.modules import module_configs

# Chinese names for change keys that are not model fields, or whose field has no verbose_name.
LABELS = {
    "action": "操作",
    "status": "状态",
    "name": "名称",
    "full_name": "姓名",
    "username": "用户名",
    "role": "角色",
    "areas": "管辖区域",
    "members": "成员",
    "is_active": "启用",
    "is_operator": "部署运维",
    "email": "电子邮箱",
    "phone": "手机号",
    "reporter_phone": "反映人电话",
    "reporter_name": "反映人",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "education": "文化程度",
    "political_status": "政治面貌",
    "residence_type": "人口类型",
    "relation_to_head": "与户主关系",
    "grid": "网格",
    "house": "房屋",
    "household": "户",
    "building": "楼栋",
    "area": "区域",
    "category": "类别",
    "department": "部门",
    "assignee": "处置人",
    "tags": "标签",
    "added": "新增",
    "removed": "移除",
    "reason": "原因",
    "note": "说明",
    # The residents' portal: who acted (agent) for whom (principal), by resident id; the actor label names both.
    "agent": "办理居民",
    "principal": "被代办居民",
    "act_for": "代办",
    "user": "用户",
    "code": "编码",
    "sensitive": "敏感",
    "interval_days": "走访间隔（天）",
    "fingerprint": "指纹",
    "rows": "行数",
    "file": "文件",
    "count": "条数",
    "archived": "归档条数",
    "before": "截止日期",
    "boundary": "边界",
    "kind": "类型",
    "path": "编码路径",
    "parent": "上级区域",
    "latitude": "纬度",
    "longitude": "经度",
    "description": "说明",
    "duty": "职责",
    "start_date": "开始日期",
    "end_date": "结束日期",
}
# Where one kind of object names a key differently.
KIND_LABELS = {("registry.resident", "name"): "姓名", ("accounts.user", "full_name"): "姓名"}
# Change keys whose values are area paths ("S01/C01/G01"): shown by name, as the entry's own area is.
AREA_KEYS = frozenset({"grid", "areas", "area", "parent", "community"})
PERSONAL_KEYS = {"id_number": mask_id, "phone": mask_phone, "reporter_phone": mask_phone}


@dataclass
class Change:
    label: str
    old: str | None  # None: a single value, not a change
    new: str


@dataclass
class LedgerRow:
    entry: AuditEntry
    who: str
    object_kind: str
    object_name: str
    area: str
    via: str
    changes: list[Change] = field(default_factory=list)


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _label(model: type[models.Model] | None, key: str) -> str:
    if model is not None and (model._meta.label_lower, key) in KIND_LABELS:
        return KIND_LABELS[(model._meta.label_lower, key)]
    f = _field(model, key)
    verbose = str(f.verbose_name) if f is not None else ""
    # A field without an explicit verbose_name gets its own name with spaces: not Chinese.
    if verbose and verbose != key.replace("_", " "):
        return verbose
    return LABELS.get(key, key)


def _text(
    value: Any, key: str, model: type[models.Model] | None, reveal: bool, places: dict[str, str]
) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(v, key, model, reveal, places) for v in value) or "（空）"
    if isinstance(value, dict):
        return "；".join(
            f"{_label(model, k)}：{_text(v, k, model, reveal, places)}" for k, v in value.items()
        )
    text = str(value)
    if key in AREA_KEYS and text in places:
        return places[text]
    f = _field(model, key)
    if f is not None and f.choices:
        text = str(dict(f.flatchoices).get(value, text))
    kind = model._meta.label_lower if model is not None else ""
    for labels in (_value_labels().get((kind, key)), _value_labels().get(("*", key))):
        if labels:
            text = labels.get(text, text)
    if reveal or text == "***":
        return text
    if key in PERSONAL_KEYS:
        return PERSONAL_KEYS[key](text)
    return redact(text)


def _changes(
    entry: AuditEntry, model: type[models.Model] | None, reveal: bool, places: dict[str, str]
) -> list[Change]:
    out = []
    changes = entry.changes if isinstance(entry.changes, dict) else {"": entry.changes}
    for key, value in changes.items():
        label = _label(model, key)
        if (
            isinstance(value, list)
            and len(value) == 2
            and key not in ("areas", "members", "added", "removed")
        ):
            old, new = (_text(v, key, model, reveal, places) for v in value)
            out.append(Change(label, old, new))
        else:
            out.append(Change(label, None, _text(value, key, model, reveal, places)))
    return out


def _area_values(value: Any, key: str = "") -> set[str]:
    """The area paths among an entry's changed values (keys in AREA_KEYS, at any depth)."""
    if isinstance(value, dict):
        return set().union(*(_area_values(v, k) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(_area_values(v, key) for v in value))
    return {value} if key in AREA_KEYS and isinstance(value, str) and value else set()


# What the modules declare is fixed once Django is set up; the ledger reads the labels once per value shown.
@cache
def _namers() -> dict[str, Callable[[Iterable[str]], dict[str, str]]]:
    return {kind: namer for config in module_configs() for kind, namer in config.audit_names().items()}


@cache
def _value_labels() -> dict[tuple[str, str], dict[str, str]]:
    return {k: v for config in module_configs() for k, v in config.audit_value_labels().items()}


def _named(kind: str, ids: Iterable[str]) -> dict[str, str]:
    namer = _namers().get(kind)
    return namer(ids) if namer else {}


def ledger(entries: Sequence[AuditEntry], *, reveal: bool) -> list[LedgerRow]:
    namers = _namers()
    people = _named("@actor", {str(e.actor_id) for e in entries if e.actor_id})
    by_type: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        if e.object_type in namers and e.object_id:
            by_type[e.object_type].add(e.object_id)
    names = {t: namers[t](ids) for t, ids in by_type.items()}
    paths = {e.area_path for e in entries}
    places = set().union(*(_area_values(e.changes) for e in entries))
    areas = {**_named("@area", (paths | places) - {""}), "": "（不属于任何辖区）"}
    rows = []
    for e in entries:
        model = _model(e.object_type)
        who = people.get(str(e.actor_id or "")) or _console_label(e.actor_label)
        name = names.get(e.object_type, {}).get(e.object_id) or e.object_repr
        if e.action in (AuditEntry.Action.LOGIN_FAILED, AuditEntry.Action.LOCKED_OUT) and not e.object_type:
            # Entries written before names were masked at sign-in still hold what was typed.
            who = name = mask_unknown_username(e.actor_label)
        rows.append(
            LedgerRow(
                entry=e,
                who=who,
                object_kind=str(model._meta.verbose_name) if model is not None else "",
                object_name=name if reveal else redact(name),
                area=areas.get(e.area_path, e.area_path),
                via=VIA.get(e.via, e.via),
                changes=_changes(e, model, reveal, areas),
            )
        )
    return rows


VIA = {"web": "网页", "api": "API", "cli": "控制台", "system": "系统"}


def _console_label(label: str) -> str:
    if label.startswith("cli:"):
        return f"控制台（{label.removeprefix('cli:')}）"
    return "系统" if label in ("", "system") else label
