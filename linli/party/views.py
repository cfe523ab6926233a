from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.accounts.roles import Capability
from linli.core import pdf, qr
from linli.core.audit import Action, audit_record
from linli.core.errors import DomainError
from linli.core.forms import add_domain_error
from linli.core.http import HttpRequest, acting_user, paginate, photo_response
from linli.core.validation import parse_id
from linli.party import access, export, forms, rules, selectors, services
from linli.party.models import (
    Applicant,
    Attendance,
    CardKind,
    CardStatus,
    Meeting,
    MeetingPhoto,
    MeetingRule,
    MemberCard,
    MemberKind,
    MemberStatus,
    MinutesStatus,
    PartyMember,
    PartyOrganisation,
    PointEntry,
    PointRule,
    Stage,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50


def _user(request: HttpRequest, capability: Capability = Capability.PARTY_BRANCH) -> User:
    user = acting_user(request)
    if not user.can(capability):
        raise PermissionDenied
    return user


def _officer(request: HttpRequest) -> User:
    """Writes a sitting branch officer may make too (the service checks which organisation)."""
    user = acting_user(request)
    if not access.manages_any(user):
        raise PermissionDenied
    return user


def _xlsx(write: Any, filename: str) -> FileResponse:
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)


def _year(request: HttpRequest) -> int:
    year = parse_id(request.GET.get("year"))
    today = timezone.localdate()
    return year if year is not None and 2000 <= year <= today.year + 1 else today.year


def _org_param(user: User, request: HttpRequest) -> PartyOrganisation | None:
    pk = parse_id(request.GET.get("organisation"))
    if pk is None:
        return None
    return get_object_or_404(PartyOrganisation.objects.visible_to(user), pk=pk)


def _tree(user: User) -> list[tuple[int, PartyOrganisation]]:
    orgs = list(PartyOrganisation.objects.visible_to(user).select_related("area").order_by("name"))
    children: dict[int | None, list[PartyOrganisation]] = {}
    ids = {o.pk for o in orgs}
    for o in orgs:
        children.setdefault(o.parent_id if o.parent_id in ids else None, []).append(o)
    out: list[tuple[int, PartyOrganisation]] = []

    def walk(parent: int | None, depth: int) -> None:
        for o in children.get(parent, []):
            out.append((depth, o))
            walk(o.pk, depth + 1)

    walk(None, 0)
    return out


def _officer_of(user: User) -> list[PartyOrganisation]:
    """The organisations a user without `party` sees because of their term (shown as "your branch")."""
    if user.can(Capability.PARTY):
        return []
    return list(PartyOrganisation.objects.filter(pk__in=access.officer_terms(user)).order_by("name"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """党建: the organisation tree, each branch's compliance at a glance, who is due in the pipeline."""
    user = _user(request)
    today = timezone.localdate()
    branch_rows = []
    orgs = list(selectors.branches(user).select_related("area").order_by("name")[:200])
    calendars = selectors.compliance_of(orgs, today.year, today)
    for org in orgs:
        rows = calendars[org.pk]
        branch_rows.append(
            {
                "org": org,
                "overdue": sum(1 for r in rows if r.last_overdue),
                "due": sum(r.due for r in rows),
                "members": org.members.filter(
                    status__in=[MemberStatus.PROBATIONARY, MemberStatus.FULL]
                ).count(),
            }
        )
    context = {
        "tree": _tree(user),
        "branches": branch_rows,
        "due": selectors.pipeline_due(user).select_related("organisation")[:20],
        "summary": selectors.home_summary(user),
        "can_manage": user.can(Capability.PARTY_MANAGE),
        "officer_of": _officer_of(user),
    }
    return render(request, "party/home.html", context)


@login_required
def organisations(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    form = forms.OrganisationForm(request.POST or None, user=user)
    if request.method == "POST":
        _user(request, Capability.PARTY_MANAGE)
        if form.is_valid():
            d = form.cleaned_data
            try:
                org = services.organisation_create(
                    actor=user,
                    name=d["name"],
                    kind=d["kind"],
                    area=d["area"],
                    parent=d["parent"],
                    partner_units=d["partner_units"],
                    founded_on=d["founded_on"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已设立{org.name}。")
                return redirect("party:organisation", pk=org.pk)
    context = {"tree": _tree(user), "form": form, "can_manage": user.can(Capability.PARTY_MANAGE)}
    return render(request, "party/organisations.html", context, status=400 if form.errors else 200)


@login_required
def organisation(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    org = get_object_or_404(
        PartyOrganisation.objects.visible_to(user).select_related("parent", "area"), pk=pk
    )
    form = forms.PositionForm(request.POST or None, user=user, organisation=org)
    if request.method == "POST":
        _user(request, Capability.PARTY_MANAGE)
        action = request.POST.get("action", "position")
        try:
            if action == "end_position":
                position = get_object_or_404(org.positions.all(), pk=request.POST.get("position") or 0)
                services.position_end(actor=user, position=position, end_date=timezone.localdate())
                messages.success(request, "已结束任期。")
                return redirect("party:organisation", pk=org.pk)
            if action == "edit":
                edit = forms.OrgEditForm(request.POST)
                if edit.is_valid():
                    services.organisation_update(actor=user, organisation=org, **edit.cleaned_data)
                    messages.success(request, "已保存。")
                    return redirect("party:organisation", pk=org.pk)
                raise DomainError("名称不能为空。", field="name")
            if action == "dissolve":
                services.organisation_dissolve(actor=user, organisation=org, on=timezone.localdate())
                messages.success(request, f"已撤销{org.name}。")
                return redirect("party:organisation", pk=org.pk)
            if form.is_valid():
                d = form.cleaned_data
                services.position_assign(
                    actor=user,
                    organisation=org,
                    member=d["member"],
                    role=d["role"],
                    start_date=d["start_date"],
                )
                messages.success(request, "已记录任职。")
                return redirect("party:organisation", pk=org.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    context = {
        "org": org,
        "children": org.children.all().order_by("name"),
        "positions": org.positions.select_related("member").order_by("end_date", "role", "-start_date"),
        "members": org.members.filter(status__in=[MemberStatus.PROBATIONARY, MemberStatus.FULL]).order_by(
            "name"
        ),
        "joint_areas": list(org.joint_areas.all()),
        "form": form,
        "edit": forms.OrgEditForm(initial={"name": org.name, "partner_units": org.partner_units}),
        "can_manage": user.can(Capability.PARTY_MANAGE),
    }
    return render(request, "party/organisation.html", context, status=400 if form.errors else 200)


@login_required
def members(request: HttpRequest) -> HttpResponseBase:
    """党员台账: filtered; the same filters export to Excel (audited)."""
    user = _user(request)
    org = _org_param(user, request)
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in MemberKind.values else ""
    status = request.GET.get("status", "")
    qs = selectors.member_filter(
        PartyMember.objects.visible_to(user),
        organisation=org,
        kind=kind,
        status=status,
        q=request.GET.get("q", "").strip()[:50],
    )
    if request.GET.get("hardship") == "on":
        qs = qs.filter(hardship=True)
    if request.GET.get("format") == "xlsx":
        if not user.can(Capability.EXPORT):
            raise PermissionDenied
        return _xlsx(
            lambda b: export.export_members(actor=user, target=b, members=qs, organisation=org),
            "party-members.xlsx",
        )
    page, query = paginate(
        request, qs.select_related("organisation").order_by("organisation__name", "name", "pk"), PAGE_SIZE
    )
    context = {
        "page": page,
        "querystring": query,
        "organisations": selectors.branches(user).order_by("name"),
        "kinds": MemberKind.choices,
        "statuses": MemberStatus.choices,
        "f": request.GET,
        "can_manage": user.can(Capability.PARTY_MANAGE),
        "can_cards": access.manages_any(user),
        "can_export": user.can(Capability.EXPORT),
    }
    return render(request, "party/members.html", context)


@login_required
def member_new(request: HttpRequest) -> HttpResponseBase:
    user = _user(request, Capability.PARTY_MANAGE)
    form = forms.MemberForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            member = services.member_create(
                actor=user,
                organisation=d["organisation"],
                resident=d["resident"],
                name=d["name"],
                kind=d["kind"],
                status=d["status"],
                joined_on=d["joined_on"],
                work_unit=d["work_unit"],
                reported_on=d["reported_on"],
                hardship=d["hardship"],
                hardship_note=d["hardship_note"],
                transferred_in_on=d["transferred_in_on"],
                transferred_from=d["transferred_from"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记党员{member.name}。")
            return redirect("party:member", pk=member.pk)
    return render(request, "party/member_new.html", {"form": form}, status=400 if form.errors else 200)


def _member(user: User, pk: int) -> PartyMember:
    return get_object_or_404(
        PartyMember.objects.visible_to(user).select_related("organisation__area", "resident"), pk=pk
    )


@login_required
def member(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One member's record. Opening it is a reveal of political status: audited."""
    user = _user(request)
    m = _member(user, pk)
    edit = forms.MemberEditForm(
        request.POST if request.POST.get("action") == "edit" else None,
        initial={
            "kind": m.kind,
            "work_unit": m.work_unit,
            "reported_on": m.reported_on,
            "hardship": m.hardship,
            "hardship_note": m.hardship_note,
            "note": m.note,
        },
    )
    transfer = forms.TransferForm(
        request.POST if request.POST.get("action") == "transfer" else None, user=user
    )
    end = forms.EndForm(request.POST if request.POST.get("action") == "end" else None)
    care = forms.CarePlanForm(request.POST if request.POST.get("action") == "care" else None)
    area = forms.BuildingForm(
        request.POST if request.POST.get("action") == "area" else None, user=user, member=m
    )
    contact = forms.ContactForm(request.POST if request.POST.get("action") == "contact" else None, user=user)
    link = forms.VolunteerLinkForm(
        request.POST if request.POST.get("action") == "volunteer" else None,
        user=user,
        member=m,
        initial={"volunteer": m.volunteer_id},
    )
    extend = forms.ExtendProbationForm(request.POST if request.POST.get("action") == "extend" else None)
    card = forms.CardForm(request.POST if request.POST.get("action") == "card" else None, member=m)
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("extend", "card"):  # a sitting officer of the branch may; the service checks which
            _officer(request)
        else:
            _user(request, Capability.PARTY_MANAGE)
        try:
            if action == "extend" and extend.is_valid():
                ext = services.member_extend_probation(actor=user, member=m, **extend.cleaned_data)
                messages.success(request, f"已延长预备期至 {ext.new_end}。")
                return redirect("party:member", pk=m.pk)
            if action == "card" and card.is_valid():
                made = services.card_create(actor=user, member=m, **card.cleaned_data)
                messages.success(request, f"已登记{made.get_kind_display()}。")
                return redirect("party:member", pk=m.pk)
            if action == "edit" and edit.is_valid():
                services.member_update(actor=user, member=m, **edit.cleaned_data)
                messages.success(request, "已保存。")
                return redirect("party:member", pk=m.pk)
            if action == "transfer" and transfer.is_valid():
                services.member_transfer(actor=user, member=m, **transfer.cleaned_data)
                messages.success(request, "已办理组织关系转接。")
                return redirect("party:member", pk=m.pk)
            if action == "end" and end.is_valid():
                services.member_end(actor=user, member=m, **end.cleaned_data)
                messages.success(request, "已注销。")
                return redirect("party:member", pk=m.pk)
            if action == "area" and area.is_valid():
                services.responsibility_assign(actor=user, member=m, building=area.cleaned_data["building"])
                messages.success(request, "已划定责任区。")
                return redirect("party:member", pk=m.pk)
            if action == "end_area":
                item = get_object_or_404(m.responsibility_areas.all(), pk=request.POST.get("item") or 0)
                services.responsibility_end(actor=user, item=item)
                messages.success(request, "已结束责任区。")
                return redirect("party:member", pk=m.pk)
            if action == "contact" and contact.is_valid():
                services.contact_pair(actor=user, member=m, resident=contact.cleaned_data["resident"])
                messages.success(request, "已结对联系户。")
                return redirect("party:member", pk=m.pk)
            if action == "volunteer" and link.is_valid():
                services.member_link_volunteer(actor=user, member=m, volunteer=link.cleaned_data["volunteer"])
                messages.success(request, "已关联志愿者。")
                return redirect("party:member", pk=m.pk)
            if action == "care" and care.is_valid():
                services.member_care_plan(
                    actor=user, member=m, interval_days=care.cleaned_data["interval_days"]
                )
                messages.success(request, "已制定关怀计划，走访对象已更新。")
                return redirect("party:member", pk=m.pk)
        except DomainError as exc:
            target = {
                "edit": edit,
                "transfer": transfer,
                "end": end,
                "care": care,
                "area": area,
                "contact": contact,
                "volunteer": link,
                "extend": extend,
                "card": card,
            }.get(action or "", edit)
            add_domain_error(target, exc)
    else:
        audit_record(actor=user, action=Action.REVEAL, obj=m, changes={"viewed": "party_member"})
    year = timezone.localdate().year
    context = {
        "m": m,
        "edit": edit,
        "transfer": transfer,
        "end": end,
        "care": care,
        "area": area,
        "contact": contact,
        "contacts": _contacts(m),
        "link": link,
        "service": _service(m),
        "transfers": m.transfers.select_related("from_organisation", "to_organisation"),
        "positions": m.positions.select_related("organisation"),
        "appraisal": selectors.appraisal(m, year),
        "areas": m.responsibility_areas.select_related("building__grid"),
        "can_manage": user.can(Capability.PARTY_MANAGE),
        "can_officer": access.manages(user, m.organisation),
        "extend": extend,
        "extension": getattr(m, "probation_extension", None)
        if m.status == MemberStatus.PROBATIONARY
        else None,
        "card": card,
        "cards": m.cards.select_related("resident")[:30],
        "households": services.contact_households(m).count(),
    }
    failed = any(f.errors for f in (edit, transfer, end, care, area, contact, link, extend, card))
    return render(request, "party/member.html", context, status=400 if failed else 200)


def _service(m: PartyMember) -> dict[str, Any]:
    """The member's confirmed volunteer service, read from volunteers' own records (counted there)."""
    from django.db.models import Count, Sum

    from linli.party.volunteering import member_for
    from linli.volunteers.models import ServiceRecord, Volunteer

    volunteer = m.volunteer
    if volunteer is None:
        candidates = Volunteer.objects.filter(
            **({"resident_id": m.resident_id} if m.resident_id else {"user_id": m.user_id or 0})
        )
        volunteer = next((v for v in candidates if member_for(v) == m), None)
    if volunteer is None:
        return {"volunteer": None}
    totals = ServiceRecord.objects.filter(volunteer=volunteer, status="confirmed").aggregate(
        n=Count("pk"), minutes=Sum("minutes")
    )
    return {
        "volunteer": volunteer,
        "records": totals["n"] or 0,
        "hours": round((totals["minutes"] or 0) / 60, 1),
        "points": m.points.filter(rule__code="volunteer", status="approved").aggregate(s=Sum("points"))["s"]
        or 0,
    }


def _contacts(m: PartyMember) -> list[Any]:
    """The member's contact households: visits' open pairings of kind 党员 with their login."""
    from linli.visits.models import Pairing, PairingKind

    if m.user_id is None:
        return []
    return list(
        Pairing.objects.filter(visitor_id=m.user_id, kind=PairingKind.PARTY_MEMBER, end_date__isnull=True)
        .select_related("resident")
        .order_by("start_date")
    )


@login_required
def pipeline(request: HttpRequest) -> HttpResponseBase:
    """发展党员: everyone in the pipeline, who is due for the next step first."""
    user = _user(request)
    form = forms.ApplicantForm(request.POST or None, user=user)
    if request.method == "POST":
        _officer(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                a = services.applicant_create(
                    actor=user,
                    organisation=d["organisation"],
                    resident=d["resident"],
                    name=d["name"],
                    birth_date=d["birth_date"],
                    applied_on=d["applied_on"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已登记{a.name}的入党申请。")
                return redirect("party:applicant", pk=a.pk)
    stage = request.GET.get("stage", "")
    qs = Applicant.objects.visible_to(user).select_related("organisation")
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    else:
        qs = qs.exclude(stage__in=[Stage.FULL, Stage.STOPPED])
    today = timezone.localdate()
    rows = [
        {
            "a": a,
            "next": selectors.next_stage_label(a),
            "due": a.next_due_on is not None and a.next_due_on <= today,
        }
        for a in qs.order_by("next_due_on", "pk")[:200]
    ]
    context = {
        "rows": rows,
        "stages": Stage.choices,
        "stage": stage,
        "form": form,
        "rules": [(Stage(k).label, Stage(r.to_stage).label, r) for k, r in rules.PIPELINE.items()],
        "can_manage": access.manages_any(user),
    }
    return render(request, "party/pipeline.html", context, status=400 if form.errors else 200)


@login_required
def applicant(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    a = get_object_or_404(Applicant.objects.visible_to(user).select_related("organisation__area"), pk=pk)
    rule = rules.PIPELINE.get(a.stage)
    form = forms.AdvanceForm(
        request.POST if request.POST.get("action") == "advance" else None,
        initial={"to_stage": rule.to_stage if rule else "", "introducers": a.introducers},
    )
    stop = forms.EndForm(request.POST if request.POST.get("action") == "stop" else None)
    if request.method == "POST":
        _officer(request)
        try:
            if request.POST.get("action") == "stop" and stop.is_valid():
                services.applicant_stop(actor=user, applicant=a, **stop.cleaned_data)
                messages.success(request, "已终止培养。")
                return redirect("party:applicant", pk=a.pk)
            if request.POST.get("action") == "advance" and form.is_valid():
                a = services.applicant_advance(actor=user, applicant=a, **form.cleaned_data)
                messages.success(request, f"{a.name}已进入{a.get_stage_display()}阶段。")
                return redirect("party:applicant", pk=a.pk)
        except DomainError as exc:
            add_domain_error(stop if request.POST.get("action") == "stop" else form, exc)
    context = {
        "a": a,
        "rule": rule,
        "next": Stage(rule.to_stage).label if rule else "",
        "earliest": services.add_months(a.stage_since, rule.min_months) if rule else None,
        "steps": a.steps.all(),
        "form": form,
        "stop": stop,
        "can_manage": access.manages(user, a.organisation) and rule is not None,
    }
    return render(
        request, "party/applicant.html", context, status=400 if (form.errors or stop.errors) else 200
    )


@login_required
def meetings(request: HttpRequest) -> HttpResponseBase:
    """三会一课: the meetings in scope; record a new one; export the year's records."""
    user = _user(request)
    form = forms.MeetingForm(
        request.POST or None, user=user, initial={"organisation": request.GET.get("organisation")}
    )
    if request.method == "POST":
        _officer(request)
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已登记会议，请签到或点名。")
                return redirect("party:meeting", pk=meeting.pk)
    year = _year(request)
    qs = Meeting.objects.visible_to(user).select_related("organisation")
    org = _org_param(user, request)
    if org is not None:
        qs = qs.filter(organisation__in=[org, *org.children.all()])
    if request.GET.get("format") == "xlsx":
        if not user.can(Capability.EXPORT):
            raise PermissionDenied
        return _xlsx(
            lambda b: export.export_meetings(actor=user, target=b, meetings=qs, year=year),
            f"party-meetings-{year}.xlsx",
        )
    page, query = paginate(request, qs.filter(held_on__year=year).order_by("-held_on", "-pk"), PAGE_SIZE)
    context = {
        "page": page,
        "querystring": query,
        "year": year,
        "form": form,
        "can_manage": access.manages_any(user),
        "can_export": user.can(Capability.EXPORT),
        "org": org,
    }
    return render(request, "party/meetings.html", context, status=400 if form.errors else 200)


def _meeting(user: User, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.visible_to(user).select_related("organisation__area", "organisation__parent"), pk=pk
    )


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One meeting: the sign-in QR, the roll call, minutes (submitted, approved by the secretary) and photos."""
    user = _user(request)
    m = _meeting(user, pk)
    action = request.POST.get("action", "")
    locked = m.minutes_status in (MinutesStatus.SUBMITTED, MinutesStatus.APPROVED)
    minutes = forms.MinutesForm(
        request.POST if action == "minutes" else None,
        initial={"minutes": m.minutes, "place": m.place, "topic": m.topic, "host": m.host},
    )
    if locked:  # approved (or awaiting approval): the text is not edited here, see the correction form
        minutes.fields["minutes"].disabled = True
    photo = forms.PhotoForm(
        request.POST if action == "photo" else None, request.FILES if action == "photo" else None
    )
    correction = forms.CorrectionForm(
        request.POST if action == "correct_minutes" else None, initial={"text": m.minutes}
    )
    returning = forms.ReasonForm(request.POST if action == "return_minutes" else None)
    pending = m.minutes_versions.filter(status=MinutesStatus.SUBMITTED).first()
    error = ""
    if request.method == "POST":
        if action not in ("approve_minutes", "return_minutes"):  # approval: the service checks the secretary
            _officer(request)
        try:
            if action == "roll":
                statuses = {
                    member: str(value)
                    for key, value in request.POST.items()
                    if key.startswith("member_") and (member := parse_id(key[7:])) is not None and value
                }
                services.attendance_roll_call(actor=user, meeting=m, statuses=statuses)
                messages.success(request, "已保存出席情况。")
                return redirect("party:meeting", pk=m.pk)
            if action == "minutes" and minutes.is_valid():
                services.meeting_update(actor=user, meeting=m, **minutes.cleaned_data)
                messages.success(request, "已保存。")
                return redirect("party:meeting", pk=m.pk)
            if action == "submit_minutes":
                services.minutes_submit(actor=user, meeting=m)
                messages.success(request, "会议记录已提交书记审定。")
                return redirect("party:meeting", pk=m.pk)
            if action == "correct_minutes" and correction.is_valid():
                services.minutes_submit(actor=user, meeting=m, **correction.cleaned_data)
                messages.success(request, "更正稿已提交书记审定。")
                return redirect("party:meeting", pk=m.pk)
            if action == "approve_minutes" and pending is not None:
                services.minutes_decide(actor=user, version=pending, approve=True)
                messages.success(request, "会议记录已审定。")
                return redirect("party:meeting", pk=m.pk)
            if action == "return_minutes" and pending is not None and returning.is_valid():
                services.minutes_decide(
                    actor=user, version=pending, approve=False, reason=returning.cleaned_data["reason"]
                )
                messages.success(request, "已退回记录人修改。")
                return redirect("party:meeting", pk=m.pk)
            if action == "photo" and photo.is_valid():
                services.meeting_photo_add(actor=user, meeting=m, upload=photo.cleaned_data["photo"])
                messages.success(request, "已上传照片。")
                return redirect("party:meeting", pk=m.pk)
            if action == "cancel":
                services.meeting_cancel(
                    actor=user, meeting=m, reason=request.POST.get("reason", "") or "取消"
                )
                messages.success(request, "会议已取消。")
                return redirect("party:meeting", pk=m.pk)
        except DomainError as exc:
            error = exc.message
            target = {"photo": photo, "correct_minutes": correction, "return_minutes": returning}.get(action)
            if target is not None:
                add_domain_error(target, exc)
                error = ""
    recorded = {a.member_id: a for a in m.attendance.all()}
    roll = [{"member": p, "row": recorded.get(p.pk)} for p in services.meeting_members(m)]
    today = timezone.localdate()
    checkin_url = request.build_absolute_uri(reverse("party_checkin", args=[m.checkin_code]))
    can_manage = access.manages(user, m.organisation)
    context = {
        "m": m,
        "roll": roll,
        "statuses": Attendance.choices,
        "minutes": minutes,
        "locked": locked,
        "correction": correction,
        "returning": returning,
        "pending": pending,
        "versions": list(m.minutes_versions.all()),
        "can_approve": pending is not None
        and access.approves_minutes(user, m.organisation)
        and pending.submitted_by_id != user.pk,
        "photo": photo,
        "photos": list(m.photos.all()),
        "error": error,
        "qr": qr.svg(checkin_url, scale=6, title="扫码签到")
        if m.held_on == today and not m.cancelled
        else "",
        "checkin_url": checkin_url,
        "future": m.held_on > today,
        "counts": {
            label: sum(1 for a in recorded.values() if a.status == value)
            for value, label in Attendance.choices
        },
        "qr_count": sum(1 for a in recorded.values() if a.via_qr),
        "can_manage": can_manage,
    }
    failed = bool(error or minutes.errors or photo.errors or correction.errors or returning.errors)
    return render(request, "party/meeting.html", context, status=400 if failed else 200)


@login_required
def meeting_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    m = _meeting(user, pk)
    return pdf.response(export.meeting_sheet(actor=user, meeting=m), f"meeting-{m.pk}.pdf")


@login_required
def meeting_photo(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    return photo_response(MeetingPhoto.objects.visible_to(user), pk)


@login_required
def checkin(request: HttpRequest, code: str) -> HttpResponseBase:
    """扫码签到: any signed-in member of the meeting's branch, on the day (no `party` capability needed:
    the page shows nothing but the meeting's topic to the member themself)."""
    user = acting_user(request)
    meeting = Meeting.objects.select_related("organisation").filter(checkin_code=code[:32]).first()
    if meeting is None:
        return render(request, "party/checkin.html", {"error": "签到码无效。"}, status=404)
    done = None
    error = ""
    if request.method == "POST":
        try:
            done = services.attendance_checkin(actor=user, code=code)
        except DomainError as exc:
            error = exc.message
    context = {"meeting": meeting, "done": done, "error": error}
    return render(request, "party/checkin.html", context, status=400 if error else 200)


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """组织生活合规日历: each branch's required meetings this year, held / due / overdue."""
    user = _user(request)
    year = _year(request)
    org = _org_param(user, request)
    orgs = [org] if org is not None else list(selectors.branches(user).order_by("name")[:30])
    today = timezone.localdate()
    found = selectors.compliance_of(orgs, year, today)
    calendars = [{"org": o, "rows": found[o.pk]} for o in orgs]
    context = {
        "calendars": calendars,
        "year": year,
        "rules": MeetingRule.objects.all(),
        "organisations": selectors.branches(user).order_by("name"),
        "org": org,
        "can_configure": user.can(Capability.CONFIGURE),
    }
    return render(request, "party/compliance.html", context)


@login_required
def points(request: HttpRequest) -> HttpResponseBase:
    """党员积分: rankings per branch, manual entries waiting for approval, the rule table."""
    user = _user(request)
    year = _year(request)
    org = _org_param(user, request)
    form = forms.ManualPointForm(request.POST or None, user=user)
    if request.method == "POST":
        _officer(request)
        if form.is_valid():
            try:
                services.point_manual_create(actor=user, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已录入，待另一位管理人员审核。")
                return redirect("party:points")
    if request.GET.get("format") == "xlsx":
        if not user.can(Capability.EXPORT):
            raise PermissionDenied
        return _xlsx(
            lambda b: export.export_appraisal(actor=user, target=b, organisation=org, year=year),
            f"party-appraisal-{year}.xlsx",
        )
    context = {
        "ranking": selectors.ranking(user, org, year)[:200],
        "year": year,
        "org": org,
        "organisations": selectors.branches(user).order_by("name"),
        "pending": PointEntry.objects.visible_to(user)
        .filter(status="pending")
        .select_related("member", "rule")[:100],
        "rules": PointRule.objects.all(),
        "form": form,
        "can_manage": access.manages_any(user),
        "can_export": user.can(Capability.EXPORT),
    }
    return render(request, "party/points.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def point_decide(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _officer(request)
    entry = get_object_or_404(
        PointEntry.objects.visible_to(user).select_related("member__organisation__area"), pk=pk
    )
    try:
        services.point_decide(actor=user, entry=entry, approve=request.POST.get("approve") == "yes")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已审核。")
    return redirect("party:points")


@login_required
def appraisal(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's yearly appraisal sheet (党员目标管理量化考评)."""
    user = _user(request)
    m = _member(user, pk)
    year = _year(request)
    entries = m.points.filter(earned_on__year=year).select_related("rule")
    return render(
        request,
        "party/appraisal.html",
        {"a": selectors.appraisal(m, year), "entries": entries, "m": m, "year": year},
    )


@login_required
def cards(request: HttpRequest) -> HttpResponseBase:
    """三卡: the cards of the members in scope, by branch, kind, status and year; Excel (audited)."""
    user = _user(request)
    year = _year(request)
    org = _org_param(user, request)
    qs = MemberCard.objects.visible_to(user).select_related("member__organisation", "resident")
    if org is not None:
        qs = qs.filter(member__organisation__in=[org, *org.children.all()])
    if (member_id := parse_id(request.GET.get("member"))) is not None:
        qs = qs.filter(member_id=member_id)
    kind = request.GET.get("kind", "")
    if kind in CardKind.values:
        qs = qs.filter(kind=kind)
    status = request.GET.get("status", "")
    if status in CardStatus.values:
        qs = qs.filter(status=status)
    qs = qs.filter(day__year=year)
    if request.GET.get("format") == "xlsx":
        if not user.can(Capability.EXPORT):
            raise PermissionDenied
        return _xlsx(
            lambda b: export.export_cards(actor=user, target=b, cards=qs, year=year),
            f"party-cards-{year}.xlsx",
        )
    page, query = paginate(request, qs.order_by("-day", "-pk"), PAGE_SIZE)
    context = {
        "page": page,
        "querystring": query,
        "year": year,
        "org": org,
        "organisations": selectors.branches(user).order_by("name"),
        "kinds": CardKind.choices,
        "statuses": CardStatus.choices,
        "f": request.GET,
        "can_export": user.can(Capability.EXPORT),
        "counts": selectors.card_counts(qs),
    }
    return render(request, "party/cards.html", context)


@login_required
def card(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One card; a feedback card is closed with its outcome; a card entered by mistake is voided."""
    user = _user(request)
    c = get_object_or_404(
        MemberCard.objects.visible_to(user).select_related("member__organisation__area", "resident"), pk=pk
    )
    action = request.POST.get("action", "")
    close = forms.CardCloseForm(request.POST if action == "close" else None)
    void = forms.ReasonForm(request.POST if action == "void" else None)
    if request.method == "POST":
        _officer(request)
        try:
            if action == "close" and close.is_valid():
                services.card_close(actor=user, card=c, **close.cleaned_data)
                messages.success(request, "已办结。")
                return redirect("party:card", pk=c.pk)
            if action == "void" and void.is_valid():
                services.card_void(actor=user, card=c, reason=void.cleaned_data["reason"])
                messages.success(request, "已作废。")
                return redirect("party:card", pk=c.pk)
        except DomainError as exc:
            add_domain_error(close if action == "close" else void, exc)
    context = {
        "c": c,
        "close": close,
        "void": void,
        "can_manage": access.manages(user, c.member.organisation),
        "points": PointEntry.objects.filter(member_id=c.member_id, source=f"card:{c.pk}").first(),
    }
    return render(request, "party/card.html", context, status=400 if (close.errors or void.errors) else 200)
