"""Staff pages of the volunteers module: volunteers, teams, activities (list, calendar, roll call, bulk
confirmation), service records (history, correction), proofs and statistics."""

from __future__ import annotations

import calendar as cal
import io
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.areas.models import Area
from linli.core import qr
from linli.core.errors import DomainError, RateLimited
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate
from linli.core.modules import record_actions
from linli.core.validation import parse_id
from linli.registry import services as registry_services
from linli.registry.models import House, Resident
from linli.volunteers import export, proof_pdf, selectors, services
from linli.volunteers.forms import (
    ActivityForm,
    AssignForm,
    CorrectForm,
    MemberForm,
    ProofForm,
    ReasonForm,
    StatsForm,
    StatusForm,
    TeamForm,
    VolunteerForm,
)
from linli.volunteers.models import (
    AVAILABILITY_CHOICES,
    HOLDING_STATUSES,
    Activity,
    ActivityStatus,
    Proof,
    RecordStatus,
    ServiceRecord,
    SignMethod,
    Team,
    TeamMembership,
    Volunteer,
    VolunteerStatus,
)

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user: User, capability: Capability) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _volunteer(user: User, pk: int) -> Volunteer:
    return get_object_or_404(
        Volunteer.objects.visible_to(user).select_related("community", "grid", "resident"), pk=pk
    )


def _activity(user: User, pk: int) -> Activity:
    return get_object_or_404(
        Activity.objects.visible_to(user).select_related("community", "team", "grid", "leader"), pk=pk
    )


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# --- volunteers ----------------------------------------------------------------------------------


@login_required
def volunteer_list(request: HttpRequest) -> HttpResponse:
    """志愿者: search by name, pinyin, ID or phone ending; masked unless revealed."""
    user = acting_user(request)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    qs: QuerySet[Volunteer] = selectors.in_scope(user)
    if status in VolunteerStatus.values:
        qs = qs.filter(status=status)
    error = ""
    try:
        registry_services.resident_search_digits(actor=user, query=query)
        qs = selectors.search(qs, query, any_suffix=selectors.may_reveal(user))
    except DomainError as exc:
        error, qs = exc.message, qs.none()
    page, querystring = paginate(request, qs.order_by("name_pinyin", "pk"), PAGE_SIZE)
    rows = selectors.list_rows(user, list(page.object_list))
    context = {
        "page": page,
        "rows": rows,
        "querystring": querystring,
        "query": query,
        "status": status,
        "statuses": VolunteerStatus.choices,
        "error": error,
        "can_manage": user.can(Capability.MANAGE_VOLUNTEERS),
    }
    return render(
        request,
        "volunteers/volunteer_list.html",
        context,
        status=400 if error and not isinstance(error, RateLimited) else 200,
    )


@login_required
def volunteer_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.MANAGE_VOLUNTEERS)
    form = VolunteerForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            volunteer = services.volunteer_register(
                actor=user,
                community=data["community"],
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                kind=data["kind"],
                unit_name=data["unit_name"],
                grid=data["grid"],
                skills=data["skills"],
                preferences=data["preferences"],
                availability=data["availability"],
                photo_consent=data["photo_consent"],
                notes=data["notes"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记志愿者{volunteer.name}。")
            return redirect("volunteers:detail", volunteer.pk)
    return render(request, "volunteers/volunteer_form.html", {"form": form, "title": "登记志愿者"})


@login_required
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    _require(user, Capability.MANAGE_VOLUNTEERS)
    volunteer = _volunteer(user, pk)
    initial = {
        "name": volunteer.name,
        "id_number": volunteer.id_number,
        "phone": volunteer.phone,
        "kind": volunteer.kind,
        "unit_name": volunteer.unit_name,
        "grid": volunteer.grid,
        "skills": list(volunteer.skills.all()),
        "preferences": volunteer.preferences,
        "availability": volunteer.availability,
        "photo_consent": volunteer.photo_consent,
        "notes": volunteer.notes,
    }
    reveal = selectors.may_reveal(user)
    if not reveal:
        # The form shows what the mask shows; an unchanged masked value leaves the number as it is.
        from linli.core.masking import mask_id, mask_phone

        initial["id_number"], initial["phone"] = mask_id(volunteer.id_number), mask_phone(volunteer.phone)
    form = VolunteerForm(request.POST or None, user=user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        for key in ("id_number", "phone"):
            if data[key] == initial[key] and not reveal:
                data.pop(key)
        try:
            services.volunteer_update(actor=user, volunteer=volunteer, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("volunteers:detail", volunteer.pk)
    return render(
        request,
        "volunteers/volunteer_form.html",
        {"form": form, "title": f"修改：{volunteer.name}", "volunteer": volunteer},
    )


@login_required
def volunteer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    volunteer = _volunteer(user, pk)
    reveal = request.GET.get("reveal") == "1" and selectors.may_reveal(user)
    if reveal:
        services.volunteer_reveal(actor=user, volunteer=volunteer)
    row = selectors.list_rows(user, [volunteer], reveal=reveal)[0]
    records = list(
        ServiceRecord.objects.visible_to(user)
        .filter(volunteer=volunteer)
        .select_related("activity")
        .order_by("-day", "-pk")[:100]
    )
    minutes, _ = services.confirmed_minutes(volunteer)
    can_manage = user.can(Capability.MANAGE_VOLUNTEERS)
    card_url = _absolute(request, reverse("volunteers_public:card", args=[services.card_token(volunteer)]))
    context = {
        "v": volunteer,
        "row": row,
        "reveal": reveal,
        "may_reveal": selectors.may_reveal(user),
        "records": records,
        "hours": round(minutes / 60, 1),
        "stars": services.star_level(minutes),
        "memberships": volunteer.memberships.filter(left_on__isnull=True).select_related("team"),
        "changes": volunteer.changes.order_by("-at", "-pk")[:30],
        "proofs": volunteer.proofs.order_by("-issued_at"),
        "can_manage": can_manage,
        "status_form": StatusForm(),
        "proof_form": ProofForm(),
        "availability": "、".join(
            label for code, label in AVAILABILITY_CHOICES if code in volunteer.availability
        ),
        "transitions": sorted(services.VOLUNTEER_TRANSITIONS[volunteer.status]),
        "status_labels": dict(VolunteerStatus.choices),
        "card_url": card_url if can_manage and volunteer.status == VolunteerStatus.ACTIVE else "",
        # The time bank's balance (it sits above this module: core.modules.record_actions).
        "record_actions": record_actions(user, volunteer),
        "card_qr": qr.svg(card_url, scale=6, title="签到卡")
        if can_manage and volunteer.status == VolunteerStatus.ACTIVE
        else "",
    }
    return render(request, "volunteers/volunteer_detail.html", context)


@login_required
@require_POST
def volunteer_status(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    volunteer = _volunteer(user, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择状态。")
        return redirect("volunteers:detail", pk)
    try:
        services.volunteer_set_status(
            actor=user,
            volunteer=volunteer,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, "状态已更新。")
    return redirect("volunteers:detail", pk)


@login_required
@require_POST
def volunteer_card_reset(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    volunteer = _volunteer(user, pk)
    try:
        services.volunteer_card_reset(actor=user, volunteer=volunteer)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, "已更换签到卡链接，旧链接失效。")
    return redirect("volunteers:detail", pk)


@login_required
def join_links(request: HttpRequest) -> HttpResponse:
    """The communities' self-registration links and QR codes, to print and post."""
    user = acting_user(request)
    _require(user, Capability.MANAGE_VOLUNTEERS)
    links = []
    for community in Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY).order_by("path"):
        url = _absolute(request, reverse("volunteers_public:join", args=[services.join_token(community)]))
        links.append(
            {
                "community": community,
                "url": url,
                "qr": qr.svg(url, scale=6, title=f"{community.name}志愿者报名"),
            }
        )
    pending = Volunteer.objects.visible_to(user).filter(status=VolunteerStatus.APPLIED).order_by("created_at")
    return render(request, "volunteers/join_links.html", {"links": links, "pending": pending[:100]})


# --- proofs --------------------------------------------------------------------------------------


@login_required
@require_POST
def proof_issue(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    volunteer = _volunteer(user, pk)
    form = ProofForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写证明期间。")
        return redirect("volunteers:detail", pk)
    try:
        proof = services.proof_issue(actor=user, volunteer=volunteer, **form.cleaned_data)
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
        return redirect("volunteers:detail", pk)
    messages.success(request, f"已出具证明 {proof.number}。")
    return redirect("volunteers:proof_pdf", proof.pk)


@login_required
def proof_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    proof = get_object_or_404(Proof.objects.visible_to(user).select_related("volunteer", "community"), pk=pk)
    verify = _absolute(request, reverse("volunteers_public:verify", args=[proof.verify_token]))
    return proof_pdf.response(proof, verify_url=verify)


@login_required
@require_POST
def proof_revoke(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    proof = get_object_or_404(Proof.objects.visible_to(user).select_related("community"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写作废原因。")
    else:
        try:
            services.proof_revoke(actor=user, proof=proof, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            if exc.code == "forbidden":
                raise PermissionDenied(exc.message) from exc
            messages.error(request, exc.message)
        else:
            messages.success(request, f"证明 {proof.number} 已作废。")
    return redirect("volunteers:detail", proof.volunteer_id)


# --- teams ---------------------------------------------------------------------------------------


@login_required
def team_list(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    can_manage = user.can(Capability.MANAGE_VOLUNTEERS)
    form = TeamForm(request.POST or None, user=user)
    if request.method == "POST":
        _require(user, Capability.MANAGE_VOLUNTEERS)
        if form.is_valid():
            try:
                team = services.team_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已建立{team.name}。")
                return redirect("volunteers:team", team.pk)
    return render(
        request,
        "volunteers/team_list.html",
        {"tree": selectors.team_tree(user), "form": form, "can_manage": can_manage},
    )


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    team = get_object_or_404(Team.objects.visible_to(user).select_related("community", "parent"), pk=pk)
    can_manage = user.can(Capability.MANAGE_VOLUNTEERS)
    year = (
        asked
        if (asked := parse_id(request.GET.get("year"))) is not None and 2000 <= asked <= 2100
        else timezone.localdate().year
    )
    member_form = MemberForm(request.POST or None, team=team)
    edit_form = TeamForm(
        None,
        user=user,
        editing=True,
        initial={"name": team.name, "parent": team.parent, "description": team.description},
    )
    if request.method == "POST":
        _require(user, Capability.MANAGE_VOLUNTEERS)
        if member_form.is_valid():
            try:
                services.team_add_member(actor=user, team=team, **member_form.cleaned_data)
            except DomainError as exc:
                add_domain_error(member_form, exc)
            else:
                messages.success(request, "已加入队伍。")
                return redirect("volunteers:team", team.pk)
    members = (
        team.memberships.filter(left_on__isnull=True)
        .select_related("volunteer")
        .order_by("-is_leader", "volunteer__name_pinyin")
    )
    activities = team.activities.order_by("-starts_at")[:20]
    return render(
        request,
        "volunteers/team_detail.html",
        {
            "team": team,
            "members": members,
            "member_form": member_form,
            "edit_form": edit_form,
            "activities": activities,
            "ranking": selectors.team_ranking(team, year=year),
            "year": year,
            "can_manage": can_manage,
            "children": team.children.filter(active=True),
        },
    )


@login_required
@require_POST
def team_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    team = get_object_or_404(Team.objects.visible_to(user).select_related("community"), pk=pk)
    _require(user, Capability.MANAGE_VOLUNTEERS)
    try:
        if request.POST.get("close") == "1":
            services.team_update(actor=user, team=team, active=False)
            messages.success(request, f"{team.name}已撤销。")
            return redirect("volunteers:teams")
        form = TeamForm(request.POST, user=user, editing=True)
        if not form.is_valid():
            messages.error(request, "请检查填写的内容。")
        else:
            services.team_update(
                actor=user,
                team=team,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                parent=form.cleaned_data["parent"],
            )
            messages.success(request, "已保存。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("volunteers:team", team.pk)


@login_required
@require_POST
def membership_change(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    membership = get_object_or_404(
        TeamMembership.objects.visible_to(user).select_related("team__community", "volunteer"), pk=pk
    )
    _require(user, Capability.MANAGE_VOLUNTEERS)
    action = request.POST.get("action", "")
    try:
        if action == "leader":
            services.team_set_leader(actor=user, membership=membership, is_leader=True)
        elif action == "member":
            services.team_set_leader(actor=user, membership=membership, is_leader=False)
        elif action == "remove":
            services.team_remove_member(actor=user, membership=membership)
        else:
            messages.error(request, "操作不正确。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("volunteers:team", membership.team_id)


# --- activities ----------------------------------------------------------------------------------


def _month(request: HttpRequest) -> date:
    raw = request.GET.get("month", "")
    try:
        return datetime.strptime(raw, "%Y-%m").date().replace(day=1)  # noqa: DTZ007  (a calendar month)
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    """活动日历: the month's activities, day by day (a list on a phone), with places taken."""
    user = acting_user(request)
    month = _month(request)
    last = month.replace(day=cal.monthrange(month.year, month.month)[1])
    tz = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)
    activities = list(
        Activity.objects.visible_to(user)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("community", "team")
        .annotate(taken=Count("records", filter=Q(records__status__in=HOLDING_STATUSES)))
        .order_by("starts_at", "pk")[:500]
    )
    days: dict[date, list[Activity]] = {}
    for a in activities:
        days.setdefault(timezone.localdate(a.starts_at), []).append(a)
    prev_month = (month - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return render(
        request,
        "volunteers/activity_list.html",
        {
            "month": month,
            "days": sorted(days.items()),
            "prev": prev_month.strftime("%Y-%m"),
            "next": next_month.strftime("%Y-%m"),
            "can_organise": user.can(Capability.MANAGE_VOLUNTEERS) or hasattr(user, "volunteer"),
        },
    )


def _may_organise(user: User) -> None:
    if not (user.can(Capability.MANAGE_VOLUNTEERS) or hasattr(user, "volunteer")):
        raise PermissionDenied


def _ids(values: list[str]) -> list[int]:
    return [pk for v in values if (pk := parse_id(v)) is not None][: services.MAX_TARGETS + 1]


def _picker(request: HttpRequest, user: User, *, activity: Activity | None = None) -> dict[str, Any]:
    """The target picker's state: the residents and houses ticked so far (from the submitted form, else the
    activity's), and what the search box finds in the community beside them — all through the user's scope."""
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" or request.htmx:
        resident_ids = _ids(source.getlist("target_residents"))
        house_ids = _ids(source.getlist("target_houses"))
    elif activity is not None:
        resident_ids = list(activity.target_residents.values_list("pk", flat=True))
        house_ids = list(activity.target_houses.values_list("pk", flat=True))
    else:
        resident_ids, house_ids = [], []
    resident_ids = list(
        Resident.objects.visible_to(user).filter(pk__in=resident_ids).values_list("pk", flat=True)
    )
    house_ids = list(House.objects.visible_to(user).filter(pk__in=house_ids).values_list("pk", flat=True))
    chosen = selectors.target_rows(resident_ids, house_ids)
    query = source.get("target_q", "").strip()[:50]
    community = activity.community if activity is not None else None
    if community is None and (pk := parse_id(source.get("community"))) is not None:
        community = Area.objects.visible_to(user).filter(pk=pk, kind=Area.Kind.COMMUNITY).first()
    if community is None:
        communities = list(Area.objects.visible_to(user).filter(kind=Area.Kind.COMMUNITY)[:2])
        community = communities[0] if len(communities) == 1 else None
    found: list[selectors.TargetRow] = []
    error = ""
    if query and community is None:
        error = "请先选择组织社区，再查找服务对象。"
    elif query and community is not None:
        try:
            taken = {(r.kind, r.pk) for r in chosen}
            found = [
                r for r in selectors.target_search(user, community, query) if (r.kind, r.pk) not in taken
            ]
        except DomainError as exc:
            error = exc.message
        else:
            if not found:
                error = "没有找到符合的居民或房屋。"
    return {
        "chosen": chosen,
        "found": found,
        "target_q": query,
        "target_error": error,
        "searched": bool(query),
    }


@login_required
def activity_targets(request: HttpRequest) -> HttpResponse:
    """The picker's search (htmx, as you type): the ticked targets and the matches in the community."""
    user = acting_user(request)
    _may_organise(user)
    activity = None
    if (pk := parse_id(request.GET.get("activity"))) is not None:
        activity = _activity(user, pk)
    return render(request, "volunteers/_target_results.html", _picker(request, user, activity=activity))


def _activity_form_page(
    request: HttpRequest, user: User, form: ActivityForm, title: str, activity: Activity | None = None
) -> HttpResponse:
    context = {
        "form": form,
        "title": title,
        "activity": activity,
        **_picker(request, user, activity=activity),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "volunteers/activity_form.html", context, status=status)


@login_required
def activity_new(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    _may_organise(user)
    form = ActivityForm(request.POST or None, user=user)
    # 查找 (or Enter) in the picker posts the form to search: it is shown again with the matches, unsaved.
    if request.method == "POST" and "find_targets" not in request.POST and form.is_valid():
        try:
            activity = services.activity_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已发布活动“{activity.title}”。")
            return redirect("volunteers:activity", activity.pk)
    return _activity_form_page(request, user, form, "发布活动")


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    activity = _activity(user, pk)
    if not services.may_run(user, activity):
        raise PermissionDenied
    initial = {
        "title": activity.title,
        "description": activity.description,
        "place": activity.place,
        "starts_at": timezone.localtime(activity.starts_at),
        "ends_at": timezone.localtime(activity.ends_at),
        "capacity": activity.capacity,
        "skills": list(activity.skills.all()),
        "target_note": activity.target_note,
    }
    form = ActivityForm(request.POST or None, user=user, editing=True, initial=initial)
    if request.method == "POST" and "find_targets" not in request.POST and form.is_valid():
        try:
            services.activity_update(actor=user, activity=activity, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("volunteers:activity", activity.pk)
    return _activity_form_page(request, user, form, f"修改：{activity.title}", activity)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One activity: details, the place's QR code, the roll (roll call on a phone) and bulk confirmation."""
    user = acting_user(request)
    activity = _activity(user, pk)
    records = list(activity.records.select_related("volunteer").order_by("status", "volunteer__name_pinyin"))
    may_run = services.may_run(user, activity)
    checkin_url = _absolute(request, reverse("volunteers_public:checkin", args=[activity.checkin_token]))
    now = timezone.now()
    return render(
        request,
        "volunteers/activity_detail.html",
        {
            "a": activity,
            "records": records,
            "taken": sum(1 for r in records if r.status in HOLDING_STATUSES),
            "may_run": may_run,
            "checkin_url": checkin_url if may_run else "",
            "checkin_qr": qr.svg(checkin_url, scale=6, title="签到二维码") if may_run else "",
            "assign_form": AssignForm(community=activity.community) if may_run else None,
            "cancel_form": ReasonForm(),
            "ended": activity.ends_at <= now,
            "started": activity.starts_at <= now,
            "published": activity.status == ActivityStatus.PUBLISHED,
            "to_confirm": sum(
                1
                for r in records
                if r.status in (RecordStatus.SIGNED_OUT, RecordStatus.SIGNED_IN, RecordStatus.BOOKED)
            ),
            "skills": activity.skills.all(),
            "targets": selectors.activity_targets([activity.pk]).get(activity.pk, []),
        },
    )


def _run_action(request: HttpRequest, activity: Activity, fn: Any, ok: str) -> HttpResponseBase:
    try:
        fn()
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from exc
        messages.error(request, exc.message)
    else:
        messages.success(request, ok)
    return redirect(reverse("volunteers:activity", args=[activity.pk]) + "#roll")


@login_required
@require_POST
def activity_assign(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    activity = _activity(user, pk)
    form = AssignForm(request.POST, community=activity.community)
    if not form.is_valid():
        messages.error(request, "请选择在册志愿者。")
        return redirect("volunteers:activity", pk)
    volunteer = form.cleaned_data["volunteer"]
    return _run_action(
        request,
        activity,
        lambda: services.activity_assign(actor=user, activity=activity, volunteer=volunteer),
        f"已指派{volunteer.name}。",
    )


@login_required
@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    activity = _activity(user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写取消原因。")
        return redirect("volunteers:activity", pk)
    return _run_action(
        request,
        activity,
        lambda: services.activity_cancel(actor=user, activity=activity, reason=form.cleaned_data["reason"]),
        "活动已取消。",
    )


@login_required
@require_POST
def activity_confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Bulk confirmation: the ticked records, or all of them."""
    user = acting_user(request)
    activity = _activity(user, pk)
    chosen = [rid for x in request.POST.getlist("record") if (rid := parse_id(x)) is not None]
    records = list(activity.records.filter(pk__in=chosen)) if chosen else None
    result: list[ServiceRecord] = []

    def run() -> None:
        result.extend(services.records_confirm(actor=user, activity=activity, records=records))

    response = _run_action(request, activity, run, "已确认服务记录。")
    return response


@login_required
@require_POST
def activity_code(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = acting_user(request)
    activity = _activity(user, pk)
    return _run_action(
        request,
        activity,
        lambda: services.activity_rotate_code(actor=user, activity=activity),
        "已更换签到二维码。",
    )


# --- records -------------------------------------------------------------------------------------


def _record(user: User, pk: int) -> ServiceRecord:
    return get_object_or_404(
        ServiceRecord.objects.visible_to(user).select_related(
            "activity__community", "activity__team", "volunteer"
        ),
        pk=pk,
    )


@login_required
@require_POST
def record_sign(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Roll call: the leader signs a volunteer in or out from the roll."""
    user = acting_user(request)
    record = _record(user, pk)
    action = request.POST.get("action", "")
    if action == "in":
        fn: Any = lambda: services.record_sign_in(actor=user, record=record, method=SignMethod.ROLL_CALL)  # noqa: E731
        ok = f"{record.volunteer.name}已签到。"
    elif action == "out":
        fn = lambda: services.record_sign_out(actor=user, record=record, method=SignMethod.ROLL_CALL)  # noqa: E731
        ok = f"{record.volunteer.name}已签退。"
    elif action == "cancel":
        fn = lambda: services.record_cancel(actor=user, record=record, reason="组织者取消")  # noqa: E731
        ok = f"已取消{record.volunteer.name}的报名。"
    else:
        messages.error(request, "操作不正确。")
        return redirect("volunteers:activity", record.activity_id)
    return _run_action(request, record.activity, fn, ok)


@login_required
def record_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One service record with its whole history, and the organiser's correction form."""
    user = acting_user(request)
    record = _record(user, pk)
    may_run = services.may_run(user, record.activity)
    initial = {
        "signed_in_at": timezone.localtime(record.signed_in_at or record.activity.starts_at),
        "signed_out_at": timezone.localtime(record.signed_out_at or record.activity.ends_at),
    }
    form = CorrectForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.record_correct(actor=user, record=record, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已更正，更正记录保留在历史中。")
                return redirect("volunteers:record", record.pk)
    return render(
        request,
        "volunteers/record_detail.html",
        {
            "r": record,
            "changes": record.changes.order_by("at", "pk"),
            "form": form,
            "may_correct": may_run
            and record.status not in (RecordStatus.CONFIRMED, RecordStatus.CANCELLED)
            and record.activity.ends_at <= timezone.now(),
        },
    )


# --- statistics ----------------------------------------------------------------------------------


@login_required
def stats(request: HttpRequest) -> HttpResponseBase:
    user = acting_user(request)
    form = StatsForm(request.GET or None)
    year = timezone.localdate().year
    if form.is_valid() and form.cleaned_data.get("year"):
        year = form.cleaned_data["year"]
    figures = selectors.statistics(user, year=year)
    if request.GET.get("format") == "xlsx":
        _require(user, Capability.EXPORT)
        buf = io.BytesIO()
        export.export_statistics(actor=user, target=buf, figures=figures)
        response = HttpResponse(buf.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="volunteers-{year}.xlsx"'
        return response
    return render(
        request,
        "volunteers/stats.html",
        {
            "s": figures,
            "form": form,
            "year": year,
            "can_export": user.can(Capability.EXPORT),
            "tables": [
                ("按队伍服务时长（小时）", figures.by_team),
                ("按网格服务时长（小时）", figures.by_grid),
            ],
        },
    )
