"""Reading residents: search, and what a given user may see of one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core.audit import Action, audit_record
from linli.core.db import count_upto
from linli.core.errors import Forbidden
from linli.core.scoping import subtree_q
from linli.registry import normalise
from linli.registry.idnumber import mask_id, mask_phone
from linli.registry.models import (
    NameGram,
    Resident,
    ResidentTag,
    Tag,
    house_label,
    name_grams,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

ROOM_RE = re.compile(r"^(?P<building>[0-9A-Za-z]+)-(?:(?P<entrance>[0-9A-Za-z]+)-)?(?P<room>[0-9A-Za-z]+)$")


def prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, as a range both SQLite and PostgreSQL answer from a B-tree index.

    (Django's `startswith` is a LIKE, which neither uses with a plain index: SQLite's LIKE ignores
    case, PostgreSQL's needs the C collation.) Values here are digits, X and lower-case letters.
    """
    upper = value[:-1] + chr(ord(value[-1]) + 1)
    return Q(**{f"{field}__gte": value, f"{field}__lt": upper})


def query_kind(query: str) -> str:
    """How `search` reads the box: "" (empty), "phone" (a whole mobile number), "place" (building-room),
    "digits" (the end of an ID or phone number), "letters" (pinyin or initials) or "name" (characters)."""
    q = normalise.text(query).replace(" ", "")
    if not q:
        return ""
    if re.fullmatch(r"1[3-9]\d{9}", q.replace("-", "")):
        return "phone"
    if ROOM_RE.match(q):
        return "place"
    if re.fullmatch(r"\d{3,17}[\dX]", q.upper()):
        return "digits"
    return "letters" if q.isascii() and q.isalpha() else "name"


def search(qs: QuerySet[Resident], query: str, *, any_suffix: bool = False) -> QuerySet[Resident]:
    """One box: name (Chinese substring), pinyin or initials, last digits of ID or phone, building-room.

    Digits and pinyin use prefix scans on indexed columns (ID and phone are stored
    reversed, so "ends with" is a prefix). A Chinese substring scans the caller's scope.

    Digits match as the masked view shows them unless `any_suffix` (for users who may reveal): the
    last VISIBLE_DIGITS of an ID or phone, or a complete number exactly. Any longer ending would
    answer, one digit at a time, what the mask hides (see DigitQuery); callers refuse those first,
    so that the user is told why, and this keeps a caller that forgets from leaking.
    """
    q = normalise.text(query).replace(" ", "")
    kind = query_kind(q)
    if kind == "":
        return qs
    if kind == "phone":
        return qs.filter(phone=q.replace("-", ""))
    if kind == "place" and (match := ROOM_RE.match(q)):
        place = Q(house__building__number=match["building"], house__room_number=match["room"])
        if match["entrance"]:
            place &= Q(house__entrance__number=match["entrance"])
        return qs.filter(place)
    if kind == "digits":
        upper = q.upper()
        if not any_suffix and len(upper) != VISIBLE_DIGITS:
            exact = DigitQuery(upper)
            found = Q(pk__in=[])
            if exact.complete_id:
                found |= Q(id_number=upper)
            if exact.complete_phone:
                found |= Q(phone=upper)
            return qs.filter(found)
        reversed_q = upper[::-1]
        found = prefix("id_reversed", reversed_q)
        if upper.isdigit() and len(upper) <= 11:
            found |= prefix("phone_reversed", reversed_q)
        return qs.filter(found)
    if kind == "letters":
        full, initials = pinyin_terms(q)
        return qs.filter(full | initials)
    return _name_contains(qs, q)


# How many trailing characters mask_id and mask_phone leave visible: what a search may match by its end
# for a user who may not reveal.
VISIBLE_DIGITS = 4


@dataclass(frozen=True)
class DigitQuery:
    """A search by identity-number or phone digits, normalised (half-width, no spaces, X upper-cased)."""

    digits: str

    @property
    def complete_id(self) -> bool:
        return len(self.digits) == 18

    @property
    def complete_phone(self) -> bool:
        return normalise.phone(self.digits) == self.digits

    def shows_no_more_than_the_mask(self) -> bool:
        """Whether anyone may search this: the ending the masked view shows, or a whole number (an
        exact match confirms a guess; it does not answer a digit at a time)."""
        return len(self.digits) == VISIBLE_DIGITS or self.complete_id or self.complete_phone

    @property
    def match(self) -> str:
        """How `search` matches it for someone who may not reveal: "ending" or "exact"."""
        return "ending" if len(self.digits) == VISIBLE_DIGITS else "exact"

    def masked(self) -> str:
        """The query as the audit log keeps it: no more than a masked number shows."""
        if self.complete_id:
            return mask_id(self.digits)
        if self.complete_phone:
            return mask_phone(self.digits)
        return "*" * max(0, len(self.digits) - VISIBLE_DIGITS) + self.digits[-VISIBLE_DIGITS:]


def digit_query(query: str) -> DigitQuery | None:
    """The digits `search` matches against identity numbers and phones, or None if it reads `query`
    otherwise (a name, pinyin, a place)."""
    q = normalise.text(query).replace(" ", "")
    kind = query_kind(q)
    if kind == "phone":
        return DigitQuery(q.replace("-", ""))
    if kind == "digits":
        return DigitQuery(q.upper())
    return None


def pinyin_terms(query: str) -> tuple[Q, Q]:
    """Letters are a prefix of the full pinyin or of the initials: zhang → 张…, zs → 张三."""
    lower = normalise.text(query).replace(" ", "").lower()
    return prefix("name_pinyin", lower), prefix("name_initials", lower)


def is_pinyin_query(query: str) -> bool:
    """Whether `search` reads the query as pinyin or initials (letters only)."""
    return query_kind(query) == "letters"


def short_name_query(query: str) -> str | None:
    """The query if `search` would answer it from the name index alone (one or two Chinese characters)."""
    q = normalise.text(query).replace(" ", "")
    return q if 1 <= len(q) <= 2 and not q.isascii() else None


@dataclass(frozen=True)
class SearchPage:
    """Ids of one page of a search, in order, and how many match.

    Searches that can match a large part of the register (one character of a name, a pinyin or
    initials prefix) count up to settings.LINLI_SEARCH_COUNT_CAP (10,000) and then say "more than":
    `count` is the cap and `count_exact` False. An exact count reads every match ("zh" is 142,000
    index entries at 1,000,000 residents: 26 ms on PostgreSQL), and no one pages past a search's
    200th page.
    """

    ids: list[int]
    count: int
    count_exact: bool = True


def capped_count(qs: QuerySet[Any]) -> int:
    """How many rows `qs` has, reading no more than the search cap + 1 of them."""
    return count_upto(qs, settings.LINLI_SEARCH_COUNT_CAP)


def _found(ids: list[int], count: int) -> SearchPage:
    cap = settings.LINLI_SEARCH_COUNT_CAP
    return SearchPage(ids=ids, count=min(count, cap), count_exact=count <= cap)


def _grid_ids(user: User, grid: str) -> list[int]:
    """The grids in `user`'s scope (within `grid`'s subtree if given), as a list of ids: indexes that
    carry the grid are then read grid by grid with nothing to probe per entry (王 on a 260,000-resident
    street, 19,420 entries: count 3.1 → 1.7 ms on PostgreSQL, against a subquery)."""
    grids = Area.objects.visible_to(user).filter(kind=Area.Kind.GRID)
    if grid:
        grids = grids.filter(subtree_q([grid.strip("/").upper()], "path"))
    return list(grids.values_list("pk", flat=True))


def name_index_page(user: User, gram: str, *, grid: str = "", start: int, size: int) -> SearchPage:
    """One page of residents whose name holds `gram`, straight from the name index: grid by grid, in
    registration order. The index carries each resident's grid, so scope and count need no join (a
    common surname matches ~7% of a street: sorting all of them by name took 30 ms of the page's 50
    at 260,000 residents)."""
    hits = NameGram.objects.filter(gram=gram, grid_id__in=_grid_ids(user, grid))
    ids = list(
        hits.order_by("grid_id", "resident_id").values_list("resident_id", flat=True)[start : start + size]
    )
    return _found(ids, capped_count(hits))


@dataclass(frozen=True)
class PinyinMatches:
    """Residents whose pinyin or initials start with a query, in the caller's scope: first those
    whose full pinyin does, alphabetically (zh → 张…, 赵…, 周…), then those matching by initials alone
    (左辉 for zh). Each part is read in the order of its own index and stops at the page, so a prefix
    matching a seventh of the register costs what a rare one does; counts stop at the cap (SearchPage).

    Tried before: the union of both ranges sorted by (grid, id) — "zh" at 1,000,000 residents sorted
    142,000 entries, 62 ms; and one OR walked in (grid, id) order, which read table rows (initials
    p95 18 → 70 ms).
    """

    by_pinyin: QuerySet[Resident]
    by_initials_only: QuerySet[Resident]

    @classmethod
    def of(cls, user: User, query: str, *, grid: str = "") -> PinyinMatches:
        full, initials = pinyin_terms(query)
        in_scope = Resident.objects.filter(grid_id__in=_grid_ids(user, grid))
        by_initials_only = in_scope.filter(initials).exclude(full)
        if len(normalise.text(query).replace(" ", "")) == 1:
            # Initials start with the pinyin's first letter: one letter matches no one by initials
            # alone, and proving that would read the letter's whole range ("z": 22 ms at 1,000,000).
            by_initials_only = by_initials_only.none()
        return cls(in_scope.filter(full), by_initials_only)

    def ids(self, start: int, size: int) -> list[int]:
        ids = list(
            self.by_pinyin.order_by("name_pinyin", "grid_id", "name_initials", "pk").values_list(
                "pk", flat=True
            )[start : start + size]
        )
        if len(ids) < size:
            # The pinyin matches end on this page (or before it): go on with the initials-only ones.
            skip = 0 if ids else start - (self.by_pinyin.count() if start else 0)
            ids += self.by_initials_only.order_by(
                "name_initials", "grid_id", "name_pinyin", "pk"
            ).values_list("pk", flat=True)[skip : skip + size - len(ids)]
        return ids

    def count(self) -> int:
        """How many match, up to the cap + 1 (more than the cap: SearchPage says "more than")."""
        return capped_count(self.by_pinyin) + capped_count(self.by_initials_only)


def pinyin_page(user: User, query: str, *, grid: str = "", start: int, size: int) -> SearchPage:
    """One page of residents whose pinyin or initials start with `query` (PinyinMatches)."""
    matches = PinyinMatches.of(user, query, grid=grid)
    return _found(matches.ids(start, size), matches.count())


class PinyinResults:
    """PinyinMatches as Django's Paginator reads a list: count() first, then one slice, as residents
    of `residents` (the page's queryset: scoped, with what its rows show) in the matches' order.
    `count_exact` is False once count() has found more than the cap."""

    def __init__(self, user: User, query: str, residents: QuerySet[Resident], *, grid: str = "") -> None:
        self.matches = PinyinMatches.of(user, query, grid=grid)
        self.residents = residents
        self.count_exact = True

    def count(self) -> int:
        found = _found([], self.matches.count())
        self.count_exact = found.count_exact
        return found.count

    def __getitem__(self, part: slice) -> list[Resident]:
        ids = self.matches.ids(part.start or 0, part.stop - (part.start or 0))
        rows = {r.pk: r for r in self.residents.filter(pk__in=ids)}
        return [rows[i] for i in ids if i in rows]


def _name_contains(qs: QuerySet[Resident], q: str) -> QuerySet[Resident]:
    """A name substring through the gram index: one or two characters are one lookup; longer
    strings must hold all their bigrams, and the name itself is checked for the exact substring."""
    if len(q) <= 2:
        return qs.filter(pk__in=NameGram.objects.filter(gram=q).values("resident_id"))
    for gram in sorted(name_grams(q) - set(q)):
        qs = qs.filter(pk__in=NameGram.objects.filter(gram=gram).values("resident_id"))
    return qs.filter(name__contains=q)


def _visible_tag_links(user: User) -> QuerySet[ResidentTag]:
    """Tag links `user` may see (sensitive tags only with view_sensitive), in display order."""
    links = ResidentTag.objects.order_by("tag__group__order", "tag__order")
    return links.exclude(Tag.hidden_q(user, "tag__"))


def with_visible_tags(qs: QuerySet[Resident], user: User) -> QuerySet[Resident]:
    links = _visible_tag_links(user).select_related("tag")
    return qs.prefetch_related(Prefetch("tag_links", queryset=links, to_attr="visible_tag_links"))


# What a list row shows of a resident, read as values.
LIST_COLUMNS = (
    "pk",
    "name",
    "id_number",
    "phone",
    "gender",
    "birth_date",
    "residence_type",
    "status",
    "grid__path",
    "house_id",
    "house__building__number",
    "house__entrance__number",
    "house__room_number",
)


def list_rows(user: User, residents: QuerySet[Resident]) -> list[dict[str, Any]]:
    """List rows of `residents` (already scoped, ordered and sliced) as `user` may see them: ID number
    and phone masked, only the tags the user may see. Never revealed; `present` reveals one resident.

    Read as values, with the tags in one more query: building the five model instances per row
    (resident, grid, house, building, entrance) and their tag links was ~4 ms of a 50-row page's
    6 ms on PostgreSQL at 1,000,000 residents.
    """
    rows = list(residents.values(*LIST_COLUMNS))
    tags: dict[int, list[str]] = {r["pk"]: [] for r in rows}
    links = _visible_tag_links(user).filter(resident_id__in=list(tags))
    for resident_id, name in links.values_list("resident_id", "tag__name"):
        tags[resident_id].append(name)
    return [
        {
            "id": r["pk"],
            "name": r["name"],
            "id_number": mask_id(r["id_number"]),
            "phone": mask_phone(r["phone"]),
            "gender": r["gender"],
            "birth_date": r["birth_date"],
            "residence_type": r["residence_type"],
            "status": r["status"],
            "grid_path": r["grid__path"],
            "house": house_label(
                r["house__building__number"], r["house__entrance__number"], r["house__room_number"]
            )
            if r["house_id"]
            else None,
            "tags": tags[r["pk"]],
            "revealed": False,
        }
        for r in rows
    ]


@dataclass(frozen=True)
class ResidentView:
    """A resident as one user may see them: personal numbers masked unless revealed."""

    resident: Resident
    id_number: str
    phone: str
    tags: list[str]
    revealed: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resident, name)


def present(resident: Resident, user: User, *, reveal: bool = False) -> ResidentView:
    """Mask identity number and phone; `reveal` shows them in full, if permitted, and is audited."""
    if reveal:
        if not user.can(Capability.REVEAL_PERSONAL):
            raise Forbidden("您无权查看完整的身份证号和电话。")
        audit_record(
            actor=user, action=Action.REVEAL, obj=resident, changes={"fields": ["id_number", "phone"]}
        )
    links = getattr(resident, "visible_tag_links", None)
    if links is None:
        links = [link for link in resident.tag_links.select_related("tag") if not link.tag.hidden_from(user)]
    return ResidentView(
        resident=resident,
        id_number=resident.id_number if reveal else mask_id(resident.id_number),
        phone=resident.phone if reveal else mask_phone(resident.phone),
        tags=[link.tag.name for link in links],
        revealed=reveal,
    )


FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "gender": "性别",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "ethnicity": "民族",
    "education": "文化程度",
    "political_status": "政治面貌",
    "residence_type": "人口类型",
    "relation_to_head": "与户主关系",
    "notes": "备注",
    "grid": "网格",
    "house": "房屋",
    "household": "户",
    "status": "状态",
    "note": "说明",
    "tags": "标签",
    "tags_added": "增加标签",
    "tags_removed": "移除标签",
    "head_of": "户主（原户）",
    "merged": "并入重复记录",
    "merged_into": "已合并到",
    "moved": "转入",
}
VALUE_LABELS = {
    "gender": dict(Resident.Gender.choices),
    "residence_type": dict(Resident.ResidenceType.choices),
    "status": dict(Resident.Status.choices),
}
MASKERS = {"id_number": mask_id, "phone": mask_phone}


TAG_KEYS = {"tags", "tags_added", "tags_removed"}


def hidden_tag_names(user: User) -> frozenset[str]:
    """Names of the tags `user` may not see (empty for roles with view_sensitive)."""
    return frozenset(Tag.objects.filter(Tag.hidden_q(user)).values_list("name", flat=True))


def describe_changes(
    changes: dict[str, Any], hidden_tags: frozenset[str] = frozenset()
) -> list[tuple[str, str]]:
    """History lines for people: Chinese labels, choice labels, personal numbers always masked,
    and tags the reader may not see left out."""

    def show(key: str, value: Any) -> str:
        if value in (None, ""):
            return "（空）"
        if isinstance(value, list):
            return "、".join(str(v) for v in value) or "（空）"
        text = str(value)
        if key in MASKERS:
            return MASKERS[key](text)
        return str(VALUE_LABELS.get(key, {}).get(text, text))

    lines = []
    for key, value in changes.items():
        if key in TAG_KEYS:
            value = [v for v in value if v not in hidden_tags]
            if not value:
                continue
        label = FIELD_LABELS.get(key, key)
        pair = isinstance(value, list) and len(value) == 2 and key not in TAG_KEYS
        lines.append((label, f"{show(key, value[0])} → {show(key, value[1])}" if pair else show(key, value)))
    return lines


@dataclass
class PopulationRow:
    """One grid's current residents: by residence type and by (visible) key-group tag."""

    path: str
    name: str
    total: int = 0
    by_residence_type: dict[str, int] = field(default_factory=dict)
    by_tag: dict[str, int] = field(default_factory=dict)


def population_counts(user: User, *, area: str = "") -> tuple[list[PopulationRow], PopulationRow]:
    """Residents on the register (在册) per grid in `user`'s scope (optionally under `area`), by
    residence type and by tag, and the total. Sensitive tags only for those who may see them.

    Read from the register's running counts (registry/counts.py: a few rows per grid, kept by the database
    in every write's transaction), named afterwards; `counts.COUNTS.direct` is the same from the residents.
    """
    from linli.registry import counts

    kept = counts.by_grid(user, area, ("type", "tag"))
    grids = list(Area.objects.filter(pk__in=kept).values_list("pk", "path", "name"))
    names = Area.qualified_names((path, name) for _, path, name in grids)
    rows = {pk: PopulationRow(path=path, name=names[path]) for pk, path, _ in grids}
    hidden = {str(pk) for pk in Tag.objects.filter(Tag.hidden_q(user)).values_list("pk", flat=True)}
    tag_names = {str(pk): name for pk, name in Tag.objects.order_by().values_list("pk", "name")}
    total = PopulationRow(path="", name="合计")
    for grid_id, figures in kept.items():
        if grid_id not in rows:  # a grid since deleted (counts are not tied to areas by a constraint)
            continue
        for (kind, key), n in sorted(figures.items()):
            for row in (rows[grid_id], total):
                if kind == "type":
                    row.total += n
                    row.by_residence_type[key] = row.by_residence_type.get(key, 0) + n
                elif key not in hidden and key in tag_names:
                    row.by_tag[tag_names[key]] = row.by_tag.get(tag_names[key], 0) + n
    return sorted((r for r in rows.values() if r.total or r.by_tag), key=lambda r: r.path), total
