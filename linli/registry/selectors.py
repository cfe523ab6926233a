"""Reading residents: search, and what a given user may see of one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from linli.accounts.roles import Capability
from linli.core.audit import Action, audit_record
from linli.core.errors import Forbidden
from linli.registry import normalise
from linli.registry.idnumber import mask_id, mask_phone
from linli.registry.models import Resident, ResidentTag

if TYPE_CHECKING:
    from linli.accounts.models import User

ROOM_RE = re.compile(r"^(?P<building>[0-9A-Za-z]+)-(?:(?P<entrance>[0-9A-Za-z]+)-)?(?P<room>[0-9A-Za-z]+)$")


def search(qs: QuerySet[Resident], query: str) -> QuerySet[Resident]:
    """One box: name (Chinese substring), pinyin or initials, last digits of ID or phone, building-room.

    Digits and pinyin use prefix scans on indexed columns (ID and phone are stored
    reversed, so "ends with" is a prefix). A Chinese substring scans the caller's scope.
    """
    q = normalise.text(query).replace(" ", "")
    if not q:
        return qs
    if re.fullmatch(r"1[3-9]\d{9}", q.replace("-", "")):
        return qs.filter(phone=q.replace("-", ""))
    if match := ROOM_RE.match(q):
        place = Q(house__building__number=match["building"], house__room_number=match["room"])
        if match["entrance"]:
            place &= Q(house__entrance__number=match["entrance"])
        return qs.filter(place)
    upper = q.upper()
    if re.fullmatch(r"\d{3,17}[\dX]", upper):
        reversed_q = upper[::-1]
        found = Q(id_reversed__startswith=reversed_q)
        if upper.isdigit() and len(upper) <= 11:
            found |= Q(phone_reversed__startswith=reversed_q)
        return qs.filter(found)
    if q.isascii() and q.isalpha():
        lower = q.lower()
        return qs.filter(Q(name_pinyin__startswith=lower) | Q(name_initials__startswith=lower))
    return qs.filter(name__contains=q)


def with_visible_tags(qs: QuerySet[Resident], user: User) -> QuerySet[Resident]:
    links = ResidentTag.objects.select_related("tag").order_by("tag__group__order", "tag__order")
    if not user.can(Capability.VIEW_SENSITIVE):
        links = links.filter(tag__sensitive=False)
    return qs.prefetch_related(Prefetch("tag_links", queryset=links, to_attr="visible_tag_links"))


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
        links = [
            link
            for link in resident.tag_links.select_related("tag")
            if user.can(Capability.VIEW_SENSITIVE) or not link.tag.sensitive
        ]
    return ResidentView(
        resident=resident,
        id_number=resident.id_number if reveal else mask_id(resident.id_number),
        phone=resident.phone if reveal else mask_phone(resident.phone),
        tags=[link.tag.name for link in links],
        revealed=reveal,
    )
