"""The rules for one ledger row of residents: what is an error, what is a warning, what is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from linli.areas.models import Area
from linli.registry import idnumber, normalise
from linli.registry.models import ResidenceType, Tag

TAG_SPLIT = re.compile(r"[、，,；;/\s]+")
RESIDENCE_TYPES = {
    "户籍": ResidenceType.REGISTERED,
    "常住": ResidenceType.PERMANENT,
    "流动": ResidenceType.FLOATING,
    "寄住": ResidenceType.LODGING,
}
GENDERS = {"男": "male", "女": "female", "m": "male", "f": "female", "male": "male", "female": "female"}
BUILDING_RE = re.compile(r"^(?:第)?([0-9A-Za-z-]+?)(?:号楼|号|栋|幢|楼|座)?$")
ENTRANCE_RE = re.compile(r"^(?:第)?([0-9A-Za-z]+?)(?:单元|门|号)?$")
ROOM_RE = re.compile(r"^([0-9A-Za-z-]+?)(?:室|号|房)?$")


@dataclass
class RowPlan:
    number: int
    original: dict[str, str]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    grid: Area | None = None
    place: tuple[str, str, str] | None = None  # (building, entrance, room)
    tags: list[Tag] = field(default_factory=list)
    # Worked out ahead of writing (transfers/planner.py): the name's pinyin and initials, its grams, and
    # the row as the report keeps it, as JSON text.
    keys: tuple[str, str] = ("", "")
    grams: list[str] = field(default_factory=list)
    original_json: str = ""
    snapshot_json: str = ""  # a new resident's first history entry


class RowContext:
    """What every row is checked against: the community's grids and the configured tags."""

    def __init__(self, community: Area, *, may_set_sensitive: bool) -> None:
        grids = Area.objects.filter(path__startswith=community.path + "/", kind=Area.Kind.GRID)
        self.grids_by_code: dict[str, Area] = {}
        self.grids_by_name: dict[str, Area] = {}
        for grid in grids:
            self.grids_by_code.setdefault(grid.code, grid)
            self.grids_by_name.setdefault(grid.name, grid)
        self.tags: dict[str, Tag] = {}
        for tag in Tag.objects.all():
            self.tags[tag.name] = tag
            for alias in TAG_SPLIT.split(tag.aliases):
                if alias:
                    self.tags.setdefault(alias, tag)
        self.may_set_sensitive = may_set_sensitive
        # The file's ID numbers so far → the row that had each first. Keyed by the first 17 digits as a
        # number (a valid number's check character follows from them): 35 MB less at 1,000,000 rows.
        self.seen_ids: dict[int, int] = {}


def plain(value: Any) -> Any:
    """A value as history keeps it (JSON): dates as YYYY-MM-DD."""
    return value.isoformat() if isinstance(value, date) else value


def snapshot(plan: RowPlan) -> dict[str, Any]:
    """What a new resident's first history entry holds: the values given, and the grid."""
    return {k: plain(v) for k, v in plan.values.items() if v not in ("", None)} | {
        "grid": plan.grid.path if plan.grid else None
    }


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007  (a calendar date, no zone)
        except ValueError:
            continue
    return None


def _place_part(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.match(text)
    return match.group(1).upper() if match else text.upper()


def plan_row(number: int, values: dict[str, str], original: dict[str, str], ctx: RowContext) -> RowPlan:
    plan = RowPlan(number=number, original=original)
    name = values.get("name", "")
    if not name:
        plan.errors.append("缺少姓名")
    elif len(name) > 50:
        plan.errors.append("姓名超过 50 个字")

    raw_id = values.get("id_number", "")
    parsed = None
    if not raw_id:
        plan.errors.append("缺少身份证号")
    else:
        try:
            parsed = idnumber.parse(raw_id)
        except idnumber.InvalidIdNumber as exc:
            plan.errors.append(str(exc).rstrip("。"))
    if parsed is not None:
        key = int(parsed.value[:17])
        if (first := ctx.seen_ids.get(key)) is not None:
            plan.errors.append(f"身份证号与第 {first} 行重复")
        else:
            ctx.seen_ids[key] = number
        if parsed.converted_from_legacy:
            plan.warnings.append("15 位旧身份证号已转换为 18 位")
        gender = GENDERS.get(values.get("gender", "").lower())
        if values.get("gender") and gender != parsed.gender:
            plan.warnings.append("性别与身份证号不符，以身份证号为准")
        if birth_text := values.get("birth_date", ""):
            birth = _parse_date(birth_text)
            if birth is None:
                plan.warnings.append("出生日期无法识别，以身份证号为准")
            elif birth != parsed.birth_date:
                plan.warnings.append("出生日期与身份证号不符，以身份证号为准")

    grid_text = values.get("grid", "")
    if not grid_text:
        plan.errors.append("缺少网格")
    else:
        plan.grid = ctx.grids_by_code.get(grid_text.upper()) or ctx.grids_by_name.get(grid_text)
        if plan.grid is None:
            plan.errors.append(f"网格“{grid_text}”不在本社区")

    phone = normalise.phone(values.get("phone", ""))
    if phone is None:
        plan.warnings.append(f"联系电话“{values.get('phone')}”无法识别，已留空")
        phone = ""

    residence_text = re.sub(r"(人口|人员)$", "", values.get("residence_type", ""))
    residence = RESIDENCE_TYPES.get(residence_text)
    if residence is None:
        residence = ResidenceType.PERMANENT
        if residence_text:
            plan.warnings.append(f"人口类型“{values.get('residence_type')}”无法识别，按常住登记")

    building, room = values.get("building", ""), values.get("room", "")
    if building and room:
        entrance = values.get("entrance", "")
        plan.place = (
            _place_part(BUILDING_RE, building),
            _place_part(ENTRANCE_RE, entrance) if entrance else "",
            _place_part(ROOM_RE, room),
        )
    else:
        plan.warnings.append("未填写房屋（楼栋和房号）")

    for word in TAG_SPLIT.split(values.get("tags", "")):
        if not word:
            continue
        tag = ctx.tags.get(word)
        if tag is None:
            plan.warnings.append(f"未知标签“{word}”，已忽略")
        elif tag.sensitive and not ctx.may_set_sensitive:
            plan.warnings.append(f"无权设置敏感标签“{word}”，已忽略")
        elif tag not in plan.tags:
            plan.tags.append(tag)

    if parsed is not None:
        plan.values = {
            "name": name,
            "id_number": parsed.value,
            "gender": parsed.gender,
            "birth_date": parsed.birth_date,
            "phone": phone,
            "residence_type": str(residence),
            "ethnicity": values.get("ethnicity", "")[:20],
            "education": values.get("education", "")[:20],
            "political_status": values.get("political_status", "")[:20],
            "relation_to_head": values.get("relation_to_head", "")[:20],
            "notes": values.get("notes", ""),
        }
    return plan
