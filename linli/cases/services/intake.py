"""Intake (受理): where a case is, its tracking number, the category's questions, `case_create`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from linli.accounts.roles import Capability, Role
from linli.areas.models import Area
from linli.cases import deadlines, routing
from linli.cases.models import Case, CaseCounter, Category, Channel, Notification, Status, Urgency
from linli.cases.services._common import A, _event
from linli.cases.services.notifications import notify, users_with_role
from linli.cases.workcalendar import WorkCalendar
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import clean_text as _text
from linli.core.validation import finite_number, lat_lng
from linli.registry import normalise
from linli.registry.models import Building, House, Resident

if TYPE_CHECKING:
    from linli.accounts.models import User


# --- intake ----------------------------------------------------------------------------


@dataclass
class Location:
    area: Area
    building: Building | None = None
    house: House | None = None
    resident: Resident | None = None


def locate(
    *,
    area: Area | None = None,
    building: Building | None = None,
    house: House | None = None,
    resident: Resident | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Location:
    """The most precise area the inputs give: house → building → resident → coordinates → given area."""
    if house is not None:
        building = house.building
    if building is not None:
        if area is not None and not (building.grid.path + "/").startswith(area.path + "/"):
            raise DomainError("所选楼栋不在所选区域内。", field="building")
        return Location(area=building.grid, building=building, house=house, resident=resident)
    if resident is not None:
        return Location(area=resident.grid, house=resident.house, resident=resident)
    if area is None:
        raise DomainError("请提供位置：区域、楼栋/房屋、居民或坐标。", field="area")
    if latitude is not None and longitude is not None and area.kind != Area.Kind.GRID:
        grid = routing.grid_at(area, latitude, longitude)
        if grid is not None:
            return Location(area=grid)
    return Location(area=area)


def highest_number(day: date) -> int:
    """The highest sequence already used on `day` (numbers may come from imports, demos or restores)."""
    prefix = day.strftime("%Y%m%d") + "-"
    last = (
        Case.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last.rsplit("-", 1)[1]) if last else 0


def _next_number(now: datetime) -> str:
    """Today's next tracking number. The counter row stays locked until the intake commits: two intakes
    at the same moment get consecutive numbers (tested on PostgreSQL with concurrent clients)."""
    day = timezone.localtime(now).date()
    CaseCounter.objects.get_or_create(day=day, defaults={"last": highest_number(day)})
    CaseCounter.objects.filter(day=day).update(last=F("last") + 1)
    seq = CaseCounter.objects.filter(day=day).values_list("last", flat=True).get()
    return f"{day:%Y%m%d}-{seq:04d}"


def check_answers(category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """The category's questions answered: required ones present, list answers among the choices."""
    cleaned: dict[str, Any] = {}
    known = {q["code"]: q for q in category.questions}
    for code in answers:
        if code not in known:
            raise DomainError(f"类别“{category.name}”没有问题“{code}”。", field=f"attribute[{code}]")
    for code, question in known.items():
        value = answers.get(code)
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        values = [str(v).strip() for v in values if str(v).strip()]
        label = question.get("label") or code
        if not values:
            if question.get("required"):
                raise DomainError(f"请回答：{label}。", field=f"attribute[{code}]")
            continue
        datatype = question.get("datatype", "string")
        if datatype in ("singlevaluelist", "multivaluelist"):
            keys = {str(v["key"]) for v in question.get("values", [])}
            bad = [v for v in values if v not in keys]
            if bad:
                raise DomainError(f"“{label}”的选项无效：{'、'.join(bad)}。", field=f"attribute[{code}]")
            if datatype == "singlevaluelist" and len(values) > 1:
                raise DomainError(f"“{label}”只能选一项。", field=f"attribute[{code}]")
            cleaned[code] = values if datatype == "multivaluelist" else values[0]
        elif datatype == "number":
            cleaned[code] = finite_number(values[0], field=f"attribute[{code}]", label=label)
        elif datatype == "datetime":
            try:
                cleaned[code] = datetime.fromisoformat(values[0].replace("Z", "+00:00")).isoformat()
            except ValueError as exc:
                raise DomainError(f"“{label}”应为日期时间。", field=f"attribute[{code}]") from exc
        else:
            cleaned[code] = _text(values[0], field=f"attribute[{code}]", label=label, limit=500)
    return cleaned


@transaction.atomic
def case_create(
    *,
    actor: User | None,
    category: Category,
    channel: str,
    title: str,
    description: str,
    urgency: str = Urgency.NORMAL,
    area: Area | None = None,
    building: Building | None = None,
    house: House | None = None,
    resident: Resident | None = None,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    attributes: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> Case:
    """Receive (受理) a case. `actor` is its first receiver; None for residents and Open311 without a user."""
    require(actor, Capability.WRITE)
    if not category.active or category.children.exists():
        raise DomainError("请选择一个启用的具体类别（小类）。", field="category")
    if channel not in Channel.values:
        raise DomainError("受理渠道无效。", field="channel")
    if urgency not in Urgency.values:
        raise DomainError("紧急程度应为一般、紧急或特急。", field="urgency")
    lat, lng = lat_lng(latitude, longitude)
    place = locate(area=area, building=building, house=house, resident=resident, latitude=lat, longitude=lng)
    require_path_in_scope(actor, place.area.path)
    phone = normalise.phone(reporter_phone)
    if phone is None:
        raise DomainError("联系电话格式不正确（手机 11 位，或带区号的固定电话）。", field="reporter_phone")
    now = timezone.now()
    case = Case(
        area=place.area,
        category=category,
        channel=channel,
        urgency=urgency,
        status=Status.RECEIVED,
        title=_text(title, field="title", label="标题", required=True, limit=100),
        description=_text(description, field="description", label="诉求内容", required=True),
        attributes=check_answers(category, attributes or {}),
        building=place.building,
        house=place.house,
        resident=place.resident,
        address=_text(address, field="address", label="地址", limit=200),
        latitude=lat,
        longitude=lng,
        reporter_name=_text(reporter_name, field="reporter_name", label="反映人", limit=50),
        reporter_phone=phone,
        first_receiver=actor if actor is not None and actor.pk else None,
        received_at=now,
        updated_at=now,
    )
    deadlines.start_stage(case, now, WorkCalendar())
    case.number = _next_number(now)
    case.save()
    _event(case, actor, A.RECEIVE, data={"channel": channel}, label=actor_label)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=case,
        changes={"category": category.code},
        actor_label=actor_label,
    )
    notify(
        users_with_role(case, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER),
        case,
        Notification.Kind.NEW_CASE,
        f"新诉求 {case.number}：{case.title}（{case.area.name}）",
    )
    return case
