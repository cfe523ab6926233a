"""Import an existing volunteer roster (志愿者名册) from Excel or CSV into one community.

Read with the ledger import's safe readers (transfers.ledger.iter_cells: size, ratio and time limits). Each
row goes through `services.volunteer_register` in its own savepoint, so a bad row is reported and skipped
and the others are kept; `dry_run` checks everything and keeps nothing. The report lists every row with an
error or warning as it was, with what to fix, in the registry import's layout (原行号 / 结果 / 问题说明 …).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.xlsx import open_workbook
from linli.registry import normalise
from linli.transfers.ledger import header_text, iter_cells
from linli.volunteers import services
from linli.volunteers.models import Skill, Team, Volunteer, VolunteerKind

if TYPE_CHECKING:
    from linli.accounts.models import User

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "志愿者姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "手机"),
    "kind": ("志愿者类型", "来源", "类别", "人员类别"),
    "unit_name": ("所在单位", "工作单位", "单位"),
    "skills": ("服务技能", "技能", "特长"),
    "preferences": ("服务意向", "意向"),
    "team": ("所在队伍", "队伍", "服务队"),
    "notes": ("备注",),
}
REQUIRED = ("name", "id_number", "phone")
KIND_WORDS = {
    "居民": VolunteerKind.RESIDENT,
    "社区居民": VolunteerKind.RESIDENT,
    "共建单位": VolunteerKind.UNIT,
    "单位": VolunteerKind.UNIT,
    "在职党员": VolunteerKind.PARTY_MEMBER,
    "在职党员报到": VolunteerKind.PARTY_MEMBER,
    "党员": VolunteerKind.PARTY_MEMBER,
    "其他": VolunteerKind.OTHER,
}
MAX_ROWS = 50_000


class _DryRun(Exception):
    pass


@dataclass
class RosterRow:
    number: int
    values: dict[str, str]
    outcome: str = "created"  # created | skipped | error
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class RosterResult:
    rows: list[RosterRow]
    headers: list[str]
    dry_run: bool

    @property
    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "created": sum(r.outcome == "created" for r in self.rows),
            "skipped": sum(r.outcome == "skipped" for r in self.rows),
            "errors": sum(r.outcome == "error" for r in self.rows),
            "warnings": sum(bool(r.warnings) for r in self.rows),
        }


def _synonyms() -> dict[str, str]:
    return {header_text(word): key for key, words in COLUMNS.items() for word in words}


def import_roster(*, actor: User | None, community: Area, path: Path, dry_run: bool = False) -> RosterResult:
    if community.kind != Area.Kind.COMMUNITY:
        raise DomainError("名册须导入到一个社区。", field="community")
    cells, _ = iter_cells(path)
    head = list(itertools.islice(cells, 10))
    table = _synonyms()
    scores = [len({table[t] for c in row if (t := header_text(c)) in table}) for row in head]
    if not scores or max(scores) == 0:
        raise DomainError("前 10 行中找不到表头：至少需要“姓名”“身份证号”“手机号”三列。")
    at = scores.index(max(scores))
    headers = [header_text(c) for c in head[at]]
    columns = {col: table[h] for col, h in enumerate(headers) if h in table}
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in columns.values()]
    if missing:
        raise DomainError(f"表头缺少必需的列：{'、'.join(missing)}。")
    skills = {s.name: s for s in Skill.objects.all()} | {s.code: s for s in Skill.objects.all()}
    teams = {t.name: t for t in Team.objects.filter(community=community, active=True)}
    rows: list[RosterRow] = []
    try:
        with transaction.atomic():
            for number, raw in enumerate(itertools.chain(head[at + 1 :], cells), start=at + 2):
                texts = [normalise.text(c) for c in raw]
                if not any(texts):
                    continue
                if len(rows) >= MAX_ROWS:
                    raise DomainError(f"名册超过 {MAX_ROWS:,} 行的上限，请拆分后分批导入。")
                original = {
                    (headers[i] if i < len(headers) and headers[i] else f"列{i + 1}"): t
                    for i, t in enumerate(texts)
                }
                keyed = {key: texts[col] if col < len(texts) else "" for col, key in columns.items()}
                row = RosterRow(number, original)
                rows.append(row)
                _import_row(actor, community, keyed, row, skills, teams)
            if dry_run:
                raise _DryRun
            audit_record(
                actor=actor,
                action=Action.IMPORT,
                obj=community,
                object_type="volunteers.roster",
                object_repr=f"志愿者名册 {path.name}",
                changes=RosterResult(rows, headers, dry_run).summary,
            )
    except _DryRun:
        pass
    return RosterResult(rows, headers, dry_run)


def _import_row(
    actor: User | None,
    community: Area,
    keyed: dict[str, str],
    row: RosterRow,
    skills: dict[str, Skill],
    teams: dict[str, Team],
) -> None:
    kind = VolunteerKind.RESIDENT
    if word := keyed.get("kind", ""):
        if word not in KIND_WORDS:
            row.warnings.append(f"志愿者类型“{word}”无法识别，按“社区居民”登记")
        else:
            kind = KIND_WORDS[word]
    chosen: list[Skill] = []
    for word in filter(
        None, (w.strip() for w in keyed.get("skills", "").replace("，", "、").replace(",", "、").split("、"))
    ):
        if word in skills:
            chosen.append(skills[word])
        else:
            row.warnings.append(f"服务技能“{word}”不在技能表中，已忽略")
    existing = Volunteer.objects.filter(
        community=community, id_number=normalise.text(keyed.get("id_number", "")).upper()
    ).first()
    if existing is not None:
        row.outcome = "skipped"
        row.warnings.append("该身份证号已在本社区登记，未重复导入")
        return
    try:
        with transaction.atomic():
            volunteer = services.volunteer_register(
                actor=actor,
                community=community,
                name=keyed.get("name", ""),
                id_number=keyed.get("id_number", ""),
                phone=keyed.get("phone", ""),
                kind=kind,
                unit_name=keyed.get("unit_name", ""),
                skills=chosen,
                preferences=keyed.get("preferences", ""),
                notes=keyed.get("notes", ""),
                channel="import",
            )
            if team_name := keyed.get("team", ""):
                team = teams.get(team_name)
                if team is None:
                    row.warnings.append(f"队伍“{team_name}”不存在，未编入队伍")
                else:
                    services.team_add_member(actor=actor, team=team, volunteer=volunteer)
    except DomainError as exc:
        row.outcome = "error"
        row.errors.append(exc.message)


def write_report(result: RosterResult, path: Path | Any) -> int:
    """Every row with an error or warning, as it was, with what to fix (the registry import's layout)."""
    rows = [r for r in result.rows if r.errors or r.warnings]
    book = open_workbook(path)
    sheet = book.add_worksheet("问题行")
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    error_format = book.add_format({"font_color": "#C62828", "text_wrap": True})
    warning_format = book.add_format({"font_color": "#B35900", "text_wrap": True})
    headers: list[str] = []
    for r in rows:
        for key in r.values:
            if key not in headers:
                headers.append(key)
    fixed = ["原行号", "结果", "问题说明"]
    for col, title in enumerate(fixed + headers):
        sheet.write_string(0, col, title, bold)
    sheet.set_column(2, 2, 50)
    labels = {"created": "已导入", "skipped": "已跳过", "error": "未导入"}
    for i, r in enumerate(rows, start=1):
        problems = [f"错误：{e}" for e in r.errors] + [f"提示：{w}" for w in r.warnings]
        sheet.write_number(i, 0, r.number)
        sheet.write_string(i, 1, labels[r.outcome])
        sheet.write_string(i, 2, "；".join(problems), error_format if r.errors else warning_format)
        for col, key in enumerate(headers, start=len(fixed)):
            sheet.write_string(i, col, r.values.get(key, ""))
    summary = book.add_worksheet("汇总")
    for n, (key, value) in enumerate(result.summary.items()):
        summary.write_string(n, 0, key)
        summary.write_number(n, 1, value)
    book.close()
    return len(rows)
