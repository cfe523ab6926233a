"""Every write of the residents' portal: signing in, acting for a relative, corrections, filing and
following cases. The resident is not a user account: they act through a `PortalSession`, and each write
names them (and the relative they act for) in the audit entry and the case history.

Sign-in is two steps. `signin_start` matches name + identity number + phone against the registry and,
only if all three match one living resident, sends a code to that phone; its answer is the same whether
or not they matched (the page says "if the details match, a code was sent"), so it tells no one which of
the three was wrong, nor whether a person is registered. `signin_verify` checks the code.

Limits: codes per phone and requests per address per hour (SignInCode rows, kept for the window); failed
matches and wrong codes count towards the lockout of the residents' bucket (`accounts.lockout`, the bucket
`/track/` uses, keyed `portal:<phone>`), as staff sign-in does for accounts.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from linli.accounts import lockout
from linli.accounts.roles import Capability
from linli.cases import services as cases
from linli.cases.models import Case, Category, Channel
from linli.core import sms
from linli.core.audit import Action, audit_record
from linli.core.context import current_origin
from linli.core.errors import DomainError, NotFound
from linli.core.permissions import require, require_path_in_scope
from linli.core.validation import check_photo, lat_lng
from linli.core.validation import clean_text as _text
from linli.portal.models import (
    CorrectionRequest,
    CorrectionStatus,
    LinkStatus,
    PortalFiling,
    PortalSession,
    ProxyLink,
    SignInCode,
    digest,
)
from linli.registry import normalise
from linli.registry.models import Resident, ResidentStatus

if TYPE_CHECKING:
    from linli.accounts.models import User

CODE_LENGTH = 6
CODE_ATTEMPTS = 5  # wrong codes before a code is spent
LOCK_MESSAGE = "尝试次数过多，请 15 分钟后再试，或到社区办理。"
# 代办 is for relatives who cannot easily act themselves: the elderly (this age or more) or people with a
# disability (the registry's "disabled" tag).
PROXY_MIN_AGE = 60
PROXY_TAGS = ("disabled",)
MAX_PHOTOS = 3


def _now() -> Any:
    return timezone.now()


def _ip() -> str | None:
    return current_origin().ip


def _hour_ago() -> Any:
    return _now() - timedelta(hours=1)


def resident_label(resident: Resident) -> str:
    return f"居民 {resident.name}"


# --- sign-in -------------------------------------------------------------------------------------


def _lock_key(phone: str) -> str:
    return f"portal:{phone}"


def signin_start(*, name: str, id_number: str, phone: str) -> SignInCode:
    """Step one. Returns the request (its id goes, signed, into the code step); raises only for limits
    and malformed input, never for a mismatch."""
    name = normalise.text(name)
    number = normalise.text(id_number).upper()
    wanted = normalise.phone(phone)
    if not name or not number or not wanted:
        raise DomainError("请填写姓名、身份证号和手机号。", field="phone")
    ip = _ip()
    if lockout.is_locked(_lock_key(wanted), ip, bucket=lockout.Bucket.TRACK):
        raise DomainError(LOCK_MESSAGE, code="locked")
    since = _hour_ago()
    if (
        SignInCode.objects.filter(phone=wanted, created_at__gte=since).count()
        >= settings.LINLI_PORTAL_CODES_PER_PHONE
    ):
        raise DomainError("该手机号本小时内请求验证码次数过多，请稍后再试。", code="throttled")
    if (
        ip
        and SignInCode.objects.filter(ip=ip, created_at__gte=since).count()
        >= settings.LINLI_PORTAL_REQUESTS_PER_ADDRESS
    ):
        raise DomainError("请求过于频繁，请稍后再试。", code="throttled")
    _prune()
    resident = (
        Resident.objects.filter(id_number=number, name=name, phone=wanted, status=ResidentStatus.ACTIVE)
        .select_related("grid")
        .first()
    )
    now = _now()
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    with transaction.atomic():
        request = SignInCode.objects.create(
            phone=wanted,
            resident=resident,
            code_hash=digest(code) if resident else "",
            ip=ip,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.LINLI_PORTAL_CODE_MINUTES),
        )
        if resident is None:
            lockout.record(_lock_key(wanted), ip, succeeded=False, bucket=lockout.Bucket.TRACK)
            audit_record(
                actor=None,
                action=Action.LOGIN_FAILED,
                object_type="portal.signin",
                object_id=str(request.pk),
                object_repr="居民端登录：信息与登记不符",
                area_path="",
                actor_label="居民端",
            )
    if resident is not None:
        minutes = settings.LINLI_PORTAL_CODE_MINUTES
        sms.send(
            wanted,
            f"【邻里】您的登录验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。",
            purpose="portal_code",
        )
    return request


def _prune() -> None:
    """Sign-in requests hold typed phones and addresses: kept a day (the limits look back an hour), then
    deleted. Ended or expired sessions go after a month (the audit log keeps the sign-ins)."""
    now = _now()
    SignInCode.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    PortalSession.objects.filter(
        Q(ended_at__lt=now - timedelta(days=30)) | Q(last_seen_at__lt=now - timedelta(days=30))
    ).delete()


def signin_verify(*, request_id: int | None, code: str) -> tuple[PortalSession, str]:
    """Step two: the code sent for request `request_id`. Returns the session and its key (for the cookie)."""
    code = normalise.text(code)
    ip = _ip()
    with transaction.atomic():
        request = SignInCode.objects.select_for_update().filter(pk=request_id).first() if request_id else None
        phone = request.phone if request else ""
        if lockout.is_locked(_lock_key(phone) if phone else None, ip, bucket=lockout.Bucket.TRACK):
            raise DomainError(LOCK_MESSAGE, code="locked")
        fresh = (
            request is not None
            and request.resident_id is not None
            and request.used_at is None
            and request.expires_at > _now()
            and request.attempts < CODE_ATTEMPTS
        )
        if request is not None and fresh and secrets.compare_digest(request.code_hash, digest(code)):
            request.used_at = _now()
            request.save(update_fields=["used_at"])
            resident = Resident.objects.select_related("grid").get(pk=request.resident_id or 0)
            key = secrets.token_urlsafe(32)
            session = PortalSession.objects.create(key_hash=digest(key), resident=resident)
            lockout.record(_lock_key(phone), ip, succeeded=True, bucket=lockout.Bucket.TRACK)
            audit_record(
                actor=None,
                action=Action.LOGIN,
                obj=resident,
                object_repr=resident.name,
                changes={"portal_session": session.pk},
                actor_label=resident_label(resident),
            )
            return session, key
    # A failure is recorded outside the transaction that raised nothing, so it stays.
    with transaction.atomic():
        if request is not None:
            SignInCode.objects.filter(pk=request.pk).update(attempts=request.attempts + 1)
        lockout.record(_lock_key(phone) if phone else None, ip, succeeded=False, bucket=lockout.Bucket.TRACK)
        audit_record(
            actor=None,
            action=Action.LOGIN_FAILED,
            object_type="portal.signin",
            object_id=str(request.pk) if request else "",
            object_repr="居民端登录：验证码错误或已过期",
            area_path=request.resident.grid.path if request and request.resident else "",
            actor_label="居民端",
        )
    raise DomainError("验证码不正确或已过期，请重新获取。", field="code")


def session_for(key: str | None) -> PortalSession | None:
    """The live session of a cookie's key: not ended, not idle longer than the staff idle limit, not older
    than LINLI_PORTAL_SESSION_HOURS, and its resident still living here."""
    if not key:
        return None
    session = (
        PortalSession.objects.select_related("resident__grid", "acting_for__grid")
        .filter(key_hash=digest(key), ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    now = _now()
    if (
        now - session.last_seen_at > timedelta(seconds=settings.SESSION_COOKIE_AGE)
        or now - session.created_at > timedelta(hours=settings.LINLI_PORTAL_SESSION_HOURS)
        or session.resident.status != ResidentStatus.ACTIVE
    ):
        PortalSession.objects.filter(pk=session.pk).update(ended_at=now)
        return None
    if now - session.last_seen_at > timedelta(minutes=1):  # one write a minute, not one per request
        PortalSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    if session.acting_for is not None and not _live_link(session.resident, session.acting_for):
        # The link was ended or refused since: back to acting for oneself.
        PortalSession.objects.filter(pk=session.pk).update(acting_for=None)
        session.acting_for = None
    return session


@transaction.atomic
def session_end(*, session: PortalSession) -> None:
    PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=_now())
    audit_record(
        actor=None,
        action=Action.LOGOUT,
        obj=session.resident,
        object_repr=session.resident.name,
        changes={"portal_session": session.pk},
        actor_label=resident_label(session.resident),
    )


# --- who acts for whom -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Acting:
    """Who is at the keyboard (`agent`) and whose affairs they handle (`principal`)."""

    agent: Resident
    principal: Resident

    @property
    def for_relative(self) -> bool:
        return self.agent.pk != self.principal.pk

    @property
    def label(self) -> str:
        if self.for_relative:
            return f"居民 {self.agent.name}（代 {self.principal.name}）"
        return resident_label(self.agent)

    def audit_changes(self, **more: Any) -> dict[str, Any]:
        return {"agent": self.agent.pk, "principal": self.principal.pk, **more}


def acting(session: PortalSession) -> Acting:
    return Acting(agent=session.resident, principal=session.acting_for or session.resident)


def _tell_principal(who: Acting, what: str) -> None:
    """The relative is told of everything done for them (by text, if the registry has their phone)."""
    if not who.for_relative or not who.principal.phone:
        return
    phone, text = who.principal.phone, f"【邻里】{who.agent.name} 已代您{what}。如有疑问请联系社区。"
    transaction.on_commit(lambda: sms.send(phone, text, purpose="portal_proxy"))


def _live_link(agent: Resident, principal: Resident) -> ProxyLink | None:
    return ProxyLink.objects.filter(agent=agent, principal=principal, status=LinkStatus.APPROVED).first()


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def may_be_represented(resident: Resident) -> bool:
    """Elderly (PROXY_MIN_AGE or more) or tagged disabled."""
    if age_on(resident.birth_date, timezone.localdate()) >= PROXY_MIN_AGE:
        return True
    return resident.tags.filter(code__in=PROXY_TAGS).exists()


@transaction.atomic
def act_for(*, session: PortalSession, principal: Resident | None) -> PortalSession:
    """Start acting for a linked relative (None: back to oneself). Audited either way."""
    locked = PortalSession.objects.select_for_update().get(pk=session.pk)
    if principal is not None and principal.pk != locked.resident_id:
        if _live_link(locked.resident, principal) is None:
            raise NotFound()
        locked.acting_for = principal
    else:
        locked.acting_for = None
    locked.save(update_fields=["acting_for"])
    who = Acting(agent=locked.resident, principal=locked.acting_for or locked.resident)
    audit_record(
        actor=None,
        action=Action.UPDATE,
        obj=who.principal,
        object_repr=who.principal.name,
        changes=who.audit_changes(act_for=who.for_relative),
        actor_label=who.label if who.for_relative else resident_label(who.agent),
    )
    return locked


@transaction.atomic
def link_request(*, session: PortalSession, name: str, id_number: str, relation: str) -> ProxyLink:
    """Ask to act for a relative, named by name and identity number as the registry holds them. The answer
    does not say whether such a person is registered beyond "check the details"."""
    agent = session.resident
    relation = _text(relation, field="relation", label="与您的关系", required=True, limit=20)
    number = normalise.text(id_number).upper()
    principal = Resident.objects.filter(
        id_number=number, name=normalise.text(name), status=ResidentStatus.ACTIVE
    ).first()
    if principal is None or principal.pk == agent.pk:
        raise DomainError("未找到与该姓名和身份证号一致的居民，请核对。", field="id_number")
    if not may_be_represented(principal):
        raise DomainError(
            f"代办只适用于 {PROXY_MIN_AGE} 岁以上老人或残疾人，请让本人登录或到社区办理。", field="id_number"
        )
    try:
        with transaction.atomic():
            link = ProxyLink.objects.create(
                agent=agent, principal=principal, grid=principal.grid, relation=relation
            )
    except IntegrityError as exc:
        raise DomainError("您已申请或已获准为这位亲属代办。", code="conflict") from exc
    audit_record(
        actor=None,
        action=Action.CREATE,
        obj=link,
        changes={"agent": agent.pk, "principal": principal.pk, "relation": relation},
        actor_label=resident_label(agent),
    )
    return link


def _decide_guard(actor: User | None, link: ProxyLink) -> ProxyLink:
    require(actor, Capability.DISPATCH)
    require_path_in_scope(actor, link.grid.path)
    return ProxyLink.objects.select_for_update().select_related("agent", "principal", "grid").get(pk=link.pk)


@transaction.atomic
def link_decide(*, actor: User | None, link: ProxyLink, approve: bool, note: str = "") -> ProxyLink:
    """A community worker of the relative's area approves or refuses (after checking with the relative)."""
    locked = _decide_guard(actor, link)
    if locked.status != LinkStatus.REQUESTED:
        raise DomainError("该申请已处理过。", code="conflict")
    note = _text(note, field="note", label="说明", limit=200)
    if not approve and not note:
        raise DomainError("不批准时请说明理由。", field="note")
    before = locked.status
    locked.status = LinkStatus.APPROVED if approve else LinkStatus.REFUSED
    locked.decided_by = actor if actor is not None and actor.pk else None
    locked.decided_at = _now()
    locked.note = note
    locked.save()
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": [before, locked.status]})
    if approve and locked.principal.phone:
        phone = locked.principal.phone
        text = f"【邻里】社区已同意 {locked.agent.name}（{locked.relation}）在居民端代您办事，代办的每件事都会短信告知您。"
        transaction.on_commit(lambda: sms.send(phone, text, purpose="portal_proxy"))
    return locked


@transaction.atomic
def link_end(
    *, link: ProxyLink, actor: User | None = None, session: PortalSession | None = None, note: str = ""
) -> ProxyLink:
    """End a link: by staff in scope, or in the portal by either of the two residents."""
    if session is not None:
        if session.resident_id not in (link.agent_id, link.principal_id):
            raise NotFound()
        label = resident_label(session.resident)
        locked = (
            ProxyLink.objects.select_for_update().select_related("agent", "principal", "grid").get(pk=link.pk)
        )
    else:
        locked = _decide_guard(actor, link)
        label = None
    if locked.status not in (LinkStatus.REQUESTED, LinkStatus.APPROVED):
        raise DomainError("该代办关系已结束。", code="conflict")
    before = locked.status
    locked.status = LinkStatus.ENDED
    locked.ended_at = _now()
    locked.note = _text(note, field="note", label="说明", limit=200) or locked.note
    locked.save()
    PortalSession.objects.filter(resident=locked.agent, acting_for=locked.principal).update(acting_for=None)
    audit_record(
        actor=actor if session is None else None,
        action=Action.UPDATE,
        obj=locked,
        changes={"status": [before, locked.status]},
        actor_label=label,
    )
    return locked


# --- corrections ---------------------------------------------------------------------------------


@transaction.atomic
def correction_create(*, session: PortalSession, text: str) -> CorrectionRequest:
    """The resident (or a relative for them) says what the registry has wrong; the grid worker gets it."""
    who = acting(session)
    body = _text(text, field="text", label="需要更正的内容", required=True, limit=1000)
    principal = who.principal
    correction = CorrectionRequest.objects.create(
        household=principal.household,
        resident=principal,
        reported_by=who.agent,
        grid=principal.grid,
        text=body,
    )
    audit_record(
        actor=None, action=Action.CREATE, obj=correction, changes=who.audit_changes(), actor_label=who.label
    )
    _tell_principal(who, "提交了户籍信息更正申请")
    return correction


@transaction.atomic
def correction_resolve(
    *, actor: User | None, correction: CorrectionRequest, done: bool, reply: str
) -> CorrectionRequest:
    """The grid worker has corrected the registry (through the registry's own pages) or explains why not."""
    require(actor, Capability.KEEP_REGISTRY)
    require_path_in_scope(actor, correction.grid.path)
    locked = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
    if locked.status != CorrectionStatus.OPEN:
        raise DomainError("该更正申请已处理过。", code="conflict")
    reply = _text(reply, field="reply", label="答复", limit=200)
    if not done and not reply:
        raise DomainError("无需更正时请告诉居民原因。", field="reply")
    before = locked.status
    locked.status = CorrectionStatus.DONE if done else CorrectionStatus.DECLINED
    locked.handled_by = actor if actor is not None and actor.pk else None
    locked.handled_at = _now()
    locked.reply = reply
    locked.save()
    audit_record(actor=actor, action=Action.UPDATE, obj=locked, changes={"status": [before, locked.status]})
    return locked


# --- cases ------------------------------------------------------------------------------------


def my_cases(principal: Resident) -> QuerySet[Case]:
    """The cases that are this resident's: filed in the portal for them, or reported elsewhere (the hall, the
    hotline, /track/new/) with their phone — the phone they proved by the sign-in code, the same proof
    /track/ asks for — wherever the case is (their building, a street lamp). Both parts read an index
    (`case_reporter_phone_idx`: without it the phone lookup scanned the case table)."""
    ids = set(PortalFiling.objects.filter(principal=principal).order_by().values_list("case_id", flat=True))
    if principal.phone:
        ids.update(
            Case.objects.filter(reporter_phone=principal.phone).order_by().values_list("pk", flat=True)
        )
    return Case.objects.filter(pk__in=sorted(ids))


def my_case(principal: Resident, number: str) -> Case:
    case = my_cases(principal).filter(number=number).select_related("category", "area").first()
    if case is None:
        raise NotFound()
    return case


@transaction.atomic
def case_file(
    *,
    session: PortalSession,
    category: Category,
    title: str,
    description: str,
    at_home: bool,
    address: str = "",
    community: Any = None,
    photos: Sequence[UploadedFile] = (),
    attributes: dict[str, Any] | None = None,
    latitude: Any = None,
    longitude: Any = None,
) -> Case:
    """File a case from the portal: at the resident's home (their house in the registry, so it is routed
    to their grid at once) or at an address in a community, optionally with the point picked on the map
    (the cases service places it in the community's grid holding that point). Photos are checked by their
    bytes."""
    who = acting(session)
    principal = who.principal
    if len(photos) > MAX_PHOTOS:
        raise DomainError(f"最多上传 {MAX_PHOTOS} 张照片。", field="photos")
    for upload in photos:
        check_photo(upload)
        upload.seek(0)
    place: dict[str, Any]
    if at_home:
        if principal.house_id is None:
            raise DomainError("登记信息中没有您的住址，请填写地点。", field="address")
        place = {"house": principal.house, "resident": principal, "address": address or str(principal.house)}
    else:
        if community is None:
            raise DomainError("请选择所在社区。", field="community")
        if not _text(address, field="address", label="地点", limit=200):
            raise DomainError("请填写地点。", field="address")
        try:
            lat, lng = lat_lng(latitude or None, longitude or None)
        except DomainError as exc:  # the point comes from the map, not a field the resident sees
            raise DomainError(f"地图选点无效：{exc.message}", field="address") from exc
        place = {"area": community, "address": address, "latitude": lat, "longitude": lng}
    case = cases.case_create(
        actor=None,
        actor_label=who.label,
        category=category,
        channel=Channel.ONLINE,
        title=title,
        description=description,
        reporter_name=principal.name,
        reporter_phone=principal.phone or who.agent.phone,
        attributes=attributes or {},
        **place,
    )
    PortalFiling.objects.create(case=case, principal=principal, agent=who.agent)
    for upload in photos:
        cases.photo_add(actor=None, case=case, upload=upload, label=who.label)
    audit_record(
        actor=None,
        action=Action.UPDATE,
        obj=case,
        changes=who.audit_changes(portal_filing=True, photos=len(photos)),
        actor_label=who.label,
    )
    _tell_principal(who, f"反映问题（工单 {case.number}）")
    return case


def _audit_acting_for(who: Any, case: Case, **changes: Any) -> None:
    """A resident acting for a relative leaves an audit entry naming both (their own acts are in the case's
    history already)."""
    if who.for_relative:
        audit_record(
            actor=None,
            action=Action.UPDATE,
            obj=case,
            changes=who.audit_changes(**changes),
            actor_label=who.label,
        )


def case_verdict(*, session: PortalSession, case: Case, solved: bool, note: str = "") -> Case:
    who = acting(session)
    with transaction.atomic():
        moved = cases.resident_verdict(case=case, solved=solved, note=note, label=who.label)
        _audit_acting_for(who, moved, solved=solved)
        _tell_principal(who, f"{'确认已解决' if solved else '反映未解决'}（工单 {moved.number}）")
    return moved


def case_rate(*, session: PortalSession, case: Case, satisfaction: str, note: str = "") -> Case:
    who = acting(session)
    with transaction.atomic():
        moved = cases.resident_rate(case=case, satisfaction=satisfaction, note=note, label=who.label)
        _audit_acting_for(who, moved, satisfaction=satisfaction)
        _tell_principal(who, f"评价了工单 {moved.number}")
    return moved


def case_add_photo(*, session: PortalSession, case: Case, upload: UploadedFile) -> None:
    """A further photo on an open case of the resident's."""
    who = acting(session)
    if not case.is_open:
        raise DomainError("工单已办结，不能再添加照片。", code="conflict")
    with transaction.atomic():
        cases.photo_add(actor=None, case=case, upload=upload, label=who.label)
        audit_record(
            actor=None,
            action=Action.UPDATE,
            obj=case,
            changes=who.audit_changes(photo=True),
            actor_label=who.label,
        )
        _tell_principal(who, f"为工单 {case.number} 补充了照片")
