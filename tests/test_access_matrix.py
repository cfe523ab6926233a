"""Who can reach what: every page, API operation and export, probed as every role.

The table below is the decision for each endpoint (docs/security.md prints it). The test walks the
URL resolver and the OpenAPI schema, so an endpoint added without a row here fails, and probes each
row over real HTTP as each of the six roles of the test street (a case dispatched to the street's
城管 department, a second case not dispatched, a resident, a visit, an import …). Every probe runs
in a savepoint that is rolled back, so one role's POST does not change what the next one finds.

"Reach" means the request got past the gates: anything but 401, 403 and 404 (a form answered 400
for its empty input was reached; a 403 from the service was not).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from linli.accounts.models import User
from linli.accounts.roles import Role
from linli.accounts.services import token_create
from linli.api.v1 import api
from linli.cases import services as cases
from linli.cases.tests.conftest import build_case_world, new_case
from linli.core.errors import Forbidden
from linli.notices import services as notices
from linli.opinions import services as opinions
from linli.party import services as party
from linli.party.models import PointRule
from linli.portal.models import CorrectionRequest, ProxyLink
from linli.registry.models import Household
from linli.registry.services import resident_create
from linli.transfers.services import import_job_create, import_job_run
from linli.visits import services as visits
from tests.factories import make_id_number

ROLES = [r.value for r in Role]
ALL = frozenset(ROLES)
NONE: frozenset[str] = frozenset()
SA = frozenset({"street_admin"})
READERS = ALL - {"department_handler"}
WRITERS = READERS - {"viewer"}
DISPATCHERS = frozenset({"street_admin", "community_leader", "community_worker"})
LEADERS = frozenset({"street_admin", "community_leader"})
COMMUNITY_UP = READERS - {"grid_worker"}  # objects of a community, not of one grid
HANDLERS = frozenset({"street_admin", "community_leader", "department_handler"})  # handler or supervisor
CALLERS = frozenset({"street_admin", "community_leader", "community_worker", "department_handler"})
KEEPERS = frozenset({"street_admin", "community_leader", "community_worker", "grid_worker"})  # keep_registry
MERGERS = KEEPERS & LEADERS  # keep_registry and reveal_personal: judging a duplicate needs both numbers
EXPORTERS = frozenset({"street_admin", "community_leader", "community_worker"})  # export
MANAGERS = frozenset({"street_admin", "community_leader", "community_worker"})  # manage_volunteers
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class Row:
    key: str  # URL name, or "METHOD /api/v1/path" as in the OpenAPI schema
    method: str
    path: str  # formatted with the objects of `street`
    reach: frozenset[str]
    data: dict[str, Any] | None = None


def page(key: str, path: str, reach: frozenset[str], method: str = "GET", **data: Any) -> Row:
    return Row(key, method, path, reach, data or None)


def op(method: str, template: str, path: str, reach: frozenset[str], **data: Any) -> Row:
    return Row(f"{method} {template}", method, path, reach, data or None)


TABLE: list[Row] = [
    # core, accounts
    page("core:home", "/", ALL),
    page("core:audit", "/audit/", SA),
    page("core:search", "/search/?q=王", ALL),
    page("accounts:login", "/accounts/login/", ALL),
    page("accounts:logout", "/accounts/logout/", ALL, "POST"),
    page("accounts:profile", "/accounts/profile/", ALL),
    page("accounts:password_change", "/accounts/password/", ALL),
    page("accounts:token_create", "/accounts/tokens/", ALL, "POST"),
    page("accounts:token_revoke", "/accounts/tokens/{own_token}/revoke/", ALL, "POST"),
    # areas
    page("areas:tree", "/areas/", READERS),
    page("areas:detail", "/areas/{grid}/", READERS),
    page("areas:children", "/areas/{grid}/children/", READERS),
    page("areas:create_child", "/areas/{grid}/create/", SA, "POST", kind="grid", code="G09", name="子网格"),
    page("areas:edit", "/areas/{grid}/edit/", SA, "POST", name="第一网格"),
    page(
        "areas:assign",
        "/areas/{grid}/assign/",
        SA,
        "POST",
        username="c01g01",
        duty="leader",
        start_date="2026-11-16",
    ),
    # registry
    page("registry:residents", "/registry/residents/", READERS),
    page("registry:export", "/registry/residents/export/", DISPATCHERS, "POST"),
    page("registry:resident", "/registry/residents/{resident}/", READERS),
    page("registry:reveal", "/registry/residents/{resident}/reveal/", LEADERS, "POST"),
    page("registry:ledger_pdf", "/registry/residents/ledger.pdf", EXPORTERS),
    page("registry:card", "/registry/residents/{resident}/card.pdf", READERS),
    Row("registry:card?reveal", "POST", "/registry/residents/{resident}/card.pdf", LEADERS, {"reveal": "1"}),
    page("registry:household", "/registry/households/{household}/", READERS),
    page("registry:house", "/registry/houses/{house}/", READERS),
    page("registry:resident_new", "/registry/residents/new/", KEEPERS),
    page("registry:place", "/registry/place/", KEEPERS),
    page("registry:resident_edit", "/registry/residents/{resident}/edit/", KEEPERS),
    page("registry:resident_move", "/registry/residents/{resident}/move/", KEEPERS),
    page("registry:resident_move_out", "/registry/residents/{resident}/move-out/", KEEPERS),
    page("registry:resident_death", "/registry/residents/{resident}/death/", KEEPERS),
    page("registry:resident_merge", "/registry/residents/{resident}/merge/", MERGERS),
    page("registry:resident_tags", "/registry/residents/{resident}/tags/", KEEPERS, "POST", add="{tag}"),
    # transfers
    page("transfers:imports", "/transfers/imports/", READERS),
    page("transfers:import_new", "/transfers/imports/new/", KEEPERS),
    page("transfers:import", "/transfers/imports/{import_job}/", COMMUNITY_UP),
    page("transfers:import_report", "/transfers/imports/{import_job}/report.xlsx", EXPORTERS),
    page("transfers:import_resume", "/transfers/imports/{import_job}/resume/", EXPORTERS, "POST"),
    # cases
    page("cases:list", "/cases/", ALL),
    page("cases:list?format=xlsx", "/cases/?format=xlsx", EXPORTERS),
    page("cases:new", "/cases/new/", WRITERS),
    page("cases:questions", "/cases/new/questions/", READERS),
    page("cases:inbox", "/cases/inbox/", ALL),
    page("cases:inbox_read", "/cases/inbox/read/", ALL, "POST"),
    page("cases:indicators", "/cases/indicators/", ALL),
    page("cases:indicators?format=xlsx", "/cases/indicators/?format=xlsx", EXPORTERS),
    page("cases:categories", "/cases/categories/", ALL),
    page("cases:category_limits", "/cases/categories/{category}/limits/", SA, "POST"),
    page("cases:calendar", "/cases/calendar/", ALL),
    page("cases:photo", "/cases/photos/{case_photo}/", ALL),
    page(
        "cases:extension_decide", "/cases/extensions/{extension}/decide/", LEADERS, "POST", decision="approve"
    ),
    page("cases:detail", "/cases/{case}/", ALL),
    page("cases:print", "/cases/{case}/print/", ALL),
    page("cases:reveal", "/cases/{case}/reveal/", CALLERS, "POST"),
    page("cases:comment", "/cases/{case}/comment/", ALL - {"viewer"}, "POST"),
    page("cases:photo_add", "/cases/{case}/photos/", ALL, "POST"),
    page("cases:act", "/cases/{case}/accept/", HANDLERS, "POST"),
    page(
        "cases:location",
        "/cases/{case}/location/",
        DISPATCHERS,
        "POST",
        area="{grid}",
        address="幸福路 1 号",
    ),
    # assessment (考核评议): its pages need `assess`; a worker's own results, the departments' page and the published duties are
    # everyone's; the resident's rating page answers only a live one-time token (none here: 404 to all).
    page("assessment:rounds", "/assessment/", LEADERS),
    page("assessment:round_new", "/assessment/new/", LEADERS),
    page("assessment:round", "/assessment/{round}/", LEADERS),
    page("assessment:round_edit", "/assessment/{round}/edit/", LEADERS),
    page("assessment:round_open", "/assessment/{round}/open/", LEADERS, "POST"),
    page("assessment:round_close", "/assessment/{round}/close/", LEADERS, "POST"),
    page("assessment:round_cancel", "/assessment/{round}/cancel/", LEADERS, "POST", reason="重复"),
    page("assessment:send", "/assessment/{round}/send/", LEADERS, "POST"),
    page("assessment:sample", "/assessment/{round}/sample/", LEADERS),
    page("assessment:slips", "/assessment/{round}/slips/", LEADERS, "POST"),
    page("assessment:results", "/assessment/{round}/results/", LEADERS),
    page("assessment:results?format=xlsx", "/assessment/{round}/results/?format=xlsx", LEADERS),
    page("assessment:ratings", "/assessment/{round}/ratings/", LEADERS),
    page("assessment:raters", "/assessment/{round}/raters/", SA),
    page("assessment:round_departments", "/assessment/{round}/departments/", LEADERS),
    page("assessment:member_scores", "/assessment/{round}/workers/{member}/scores/", LEADERS),
    page("assessment:entry_phone", "/assessment/entries/{entry}/phone/", LEADERS),
    page("assessment:entry_no_response", "/assessment/entries/{entry}/no-response/", LEADERS, "POST"),
    page(
        "assessment:rating_check",
        "/assessment/ratings/{rating}/check/",
        LEADERS,
        "POST",
        action="untrue",
        note="核查",
    ),
    page("assessment:duties", "/assessment/duties/", ALL),  # published: read by everyone assessed by it
    page(
        "assessment:duty_edit", "/assessment/duties/{duty}/", SA
    ),  # the street's list: not a community's to edit
    page("assessment:tasks", "/assessment/tasks/", LEADERS),
    page("assessment:task_close", "/assessment/tasks/{one_off_task}/close/", LEADERS),
    page(
        "assessment:task_cancel", "/assessment/tasks/{one_off_task}/cancel/", LEADERS, "POST", reason="取消"
    ),
    page("assessment:weighting", "/assessment/settings/", SA),
    page("assessment:profiles", "/assessment/staff/", LEADERS),
    page("assessment:profile_edit", "/assessment/staff/{worker_user}/", LEADERS),
    page("assessment:agreements", "/assessment/agreements/", LEADERS),
    page("assessment:agreement_end", "/assessment/agreements/{agreement}/end/", LEADERS, "POST"),
    page("assessment:case_review", "/assessment/cases/{case}/review/", LEADERS),
    page("assessment:mine", "/assessment/mine/", ALL),
    page("assessment:departments", "/assessment/departments/", ALL),
    page("assessment_rate", "/rate/no-such-token/", NONE),
    page("assessment_rate_photo", "/rate/no-such-token/photo/", NONE),
    # visits
    page("visits:todo", "/visits/", READERS),
    page("visits:new", "/visits/new/", WRITERS),
    page("visits:list", "/visits/log/", READERS),
    page("visits:detail", "/visits/{visit}/", READERS),
    page("visits:print", "/visits/{visit}/print/", READERS),
    page("visits:to_case", "/visits/{visit}/case/", WRITERS, "POST"),
    page("visits:photo", "/visits/photos/{visit_photo}/", READERS),
    page("visits:targets", "/visits/targets/", READERS),
    page("visits:coverage", "/visits/coverage/", READERS),
    page("visits:tasks", "/visits/tasks/", READERS),
    page("visits:task_cancel", "/visits/tasks/{task}/cancel/", WRITERS, "POST", reason="已出院"),
    page("visits:task_new", "/visits/residents/{resident}/task/", WRITERS),
    # dashboards (a department handler's figures are on the home page)
    page("dashboards:dashboard", "/dashboard/", READERS),
    page("dashboards:screen", "/dashboard/screen/", READERS),
    page("dashboards:map", "/dashboard/map/", READERS),
    page("dashboards:map_data", "/dashboard/map/data/", READERS),
    page("dashboards:locate", "/dashboard/map/locate/?lat=30.5&lng=104.0", READERS),
    page("dashboards:boundary", "/dashboard/map/areas/{grid}/", SA),
    page(
        "dashboards:building_point",
        "/dashboard/map/buildings/{building}/",
        SA,
        "POST",
        latitude="",
        longitude="",
    ),
    page("dashboards:profile", "/dashboard/profile/", READERS),
    page("dashboards:profile?format=pdf", "/dashboard/profile/?format=pdf", EXPORTERS),
    page("dashboards:profile?format=xlsx", "/dashboard/profile/?format=xlsx", EXPORTERS),
    page("visits:resident_care", "/visits/residents/{resident}/care/", WRITERS),
    page("visits:plans", "/visits/plans/", READERS),
    page("visits:plan_set", "/visits/plans/{plan}/", SA, "POST", interval_days="14"),
    page("visits:diary", "/visits/diary/", READERS),
    # party (党建): only the roles with the party capability (leaders and street admins)
    page("party:home", "/party/", LEADERS),
    page("party:organisations", "/party/organisations/", LEADERS),
    page("party:organisation", "/party/organisations/{party_org}/", LEADERS),
    page("party:members", "/party/members/", LEADERS),
    page("party:members?format=xlsx", "/party/members/?format=xlsx", LEADERS),
    page("party:member_new", "/party/members/new/", LEADERS),
    page("party:member", "/party/members/{party_member}/", LEADERS),
    page("party:appraisal", "/party/members/{party_member}/appraisal/", LEADERS),
    page("party:pipeline", "/party/pipeline/", LEADERS),
    page("party:applicant", "/party/pipeline/{party_applicant}/", LEADERS),
    page("party:meetings", "/party/meetings/", LEADERS),
    page("party:meeting", "/party/meetings/{party_meeting}/", LEADERS),
    page("party:meeting_sheet", "/party/meetings/{party_meeting}/sheet.pdf", LEADERS),
    page("party:meeting_photo", "/party/meetings/photos/{party_photo}/", LEADERS),
    page("party:compliance", "/party/compliance/", LEADERS),
    page("party:points", "/party/points/", LEADERS),
    page("party:point_decide", "/party/points/{party_point}/decide/", LEADERS, "POST", approve="yes"),
    page("party:cards", "/party/cards/", LEADERS),
    page("party:cards?format=xlsx", "/party/cards/?format=xlsx", LEADERS),
    page("party:card", "/party/cards/{party_card}/", LEADERS),
    # the sign-in page behind a meeting's QR: any signed-in user may open it; only the meeting's members sign
    page("party_checkin", "/party-checkin/{party_code}/", ALL),
    page("visits:diary_edit", "/visits/diary/{diary}/", frozenset({"community_worker"})),
    # volunteers (community records: a grid worker's scope holds none of them)
    page("volunteers:list", "/volunteers/", READERS),
    page("volunteers:new", "/volunteers/new/", MANAGERS),
    page("volunteers:join_links", "/volunteers/join/", MANAGERS),
    page("volunteers:detail", "/volunteers/{volunteer}/", COMMUNITY_UP),
    page("volunteers:edit", "/volunteers/{volunteer}/edit/", MANAGERS),
    page(
        "volunteers:status",
        "/volunteers/{volunteer}/status/",
        MANAGERS,
        "POST",
        status="suspended",
        note="休假",
    ),
    page("volunteers:card_reset", "/volunteers/{volunteer}/card/", MANAGERS, "POST"),
    page(
        "volunteers:proof_issue",
        "/volunteers/{volunteer}/proof/",
        MANAGERS,
        "POST",
        period_start="2026-01-01",
        period_end="2026-11-01",
    ),
    page("volunteers:proof_pdf", "/volunteers/proofs/{proof}/", COMMUNITY_UP),
    page("volunteers:proof_revoke", "/volunteers/proofs/{proof}/revoke/", MANAGERS, "POST", reason="填错"),
    page("volunteers:teams", "/volunteers/teams/", READERS),
    page("volunteers:team", "/volunteers/teams/{team}/", COMMUNITY_UP),
    page(
        "volunteers:team_edit",
        "/volunteers/teams/{team}/edit/",
        MANAGERS,
        "POST",
        name="助老队",
        description="",
    ),
    page("volunteers:membership", "/volunteers/memberships/{membership}/", MANAGERS, "POST", action="leader"),
    page("volunteers:activities", "/volunteers/activities/", READERS),
    page("volunteers:activity_new", "/volunteers/activities/new/", MANAGERS),
    page("volunteers:activity_targets", "/volunteers/activities/targets/?target_q=zh", MANAGERS),
    page("volunteers:activity", "/volunteers/activities/{activity}/", COMMUNITY_UP),
    page("volunteers:activity_edit", "/volunteers/activities/{activity}/edit/", MANAGERS),
    page(
        "volunteers:activity_assign",
        "/volunteers/activities/{activity}/assign/",
        MANAGERS,
        "POST",
        volunteer="{volunteer}",
    ),
    page(
        "volunteers:activity_cancel",
        "/volunteers/activities/{activity}/cancel/",
        MANAGERS,
        "POST",
        reason="雨",
    ),
    page("volunteers:activity_confirm", "/volunteers/activities/{activity}/confirm/", MANAGERS, "POST"),
    page("volunteers:activity_code", "/volunteers/activities/{activity}/code/", MANAGERS, "POST"),
    page("volunteers:record", "/volunteers/records/{record}/", COMMUNITY_UP),
    page("volunteers:record_sign", "/volunteers/records/{record}/sign/", MANAGERS, "POST", action="in"),
    page("volunteers:stats", "/volunteers/stats/", READERS),
    page("volunteers:stats?format=xlsx", "/volunteers/stats/?format=xlsx", EXPORTERS),
    # volunteers on their phones, and anyone checking a proof: no account needed
    page("volunteers_public:join", "/v/join/{join_token}/", ALL),
    page("volunteers_public:card", "/v/card/{card_token}/", ALL),
    page("volunteers_public:checkin", "/v/checkin/{checkin_token}/", ALL),
    page("volunteers_public:verify", "/v/proof/{verify_token}/", ALL),
    # residents following a case, and Open311: no account needed
    # opinions (社情民意) and open days
    page("opinions:list", "/opinions/", READERS),
    page("opinions:list?format=xlsx", "/opinions/?format=xlsx", EXPORTERS),
    page("opinions:new", "/opinions/new/", WRITERS),
    page("opinions:report", "/opinions/report/", READERS),
    page("opinions:report?format=xlsx", "/opinions/report/?format=xlsx", EXPORTERS),
    page("opinions:detail", "/opinions/{opinion}/", READERS),
    page("opinions:triage", "/opinions/{opinion}/triage/", WRITERS, "POST"),
    page("opinions:to_case", "/opinions/{opinion}/case/", WRITERS, "POST"),
    page("opinions:merge", "/opinions/{opinion}/merge/", WRITERS, "POST"),
    page("opinions:reply", "/opinions/{opinion}/reply/", WRITERS, "POST"),
    page("opinions:close", "/opinions/{opinion}/close/", WRITERS, "POST"),
    page("opinions:reopen", "/opinions/{opinion}/reopen/", WRITERS, "POST"),
    page("opinions:correct", "/opinions/{opinion}/correct/", WRITERS, "POST"),
    page("opinions:open_days", "/opinions/open-days/", READERS),
    page("opinions:open_day_rule", "/opinions/open-days/rule/", DISPATCHERS, "POST"),
    page("opinions:open_day_new", "/opinions/open-days/new/", DISPATCHERS, "POST"),
    page("opinions:open_day", "/opinions/open-days/{open_day}/", COMMUNITY_UP),
    page("opinions:open_day_entry", "/opinions/open-days/{open_day}/entry/", EXPORTERS, "POST"),
    page("opinions:open_day_attendance", "/opinions/open-days/{open_day}/attendance/", EXPORTERS, "POST"),
    page("opinions:open_day_cancel", "/opinions/open-days/{open_day}/cancel/", DISPATCHERS, "POST"),
    # notices (居务公开 · 财务公开): staff pages, and the public board (no sign-in)
    page("notices:list", "/notices/", READERS),
    page("notices:new", "/notices/new/", DISPATCHERS),
    page("notices:detail", "/notices/{notice}/", COMMUNITY_UP),
    page("notices:edit", "/notices/{notice}/edit/", DISPATCHERS, "POST"),
    page("notices:lines", "/notices/{notice}/lines/", DISPATCHERS, "POST"),
    page("notices:attach", "/notices/{notice}/attach/", DISPATCHERS, "POST"),
    page("notices:publish", "/notices/{notice}/publish/", DISPATCHERS, "POST"),
    page("notices:correct", "/notices/{notice}/correct/", DISPATCHERS, "POST"),
    page("notices:withdraw", "/notices/{notice}/withdraw/", DISPATCHERS, "POST"),
    page("notices:discard", "/notices/{notice}/discard/", DISPATCHERS, "POST"),
    page("notices:attachment", "/notices/attachments/{notice_attachment}/", COMMUNITY_UP),
    page(
        "notices:attachment_remove", "/notices/attachments/{notice_attachment}/remove/", DISPATCHERS, "POST"
    ),
    page("notices:answer", "/notices/questions/{notice_question}/answer/", EXPORTERS, "POST"),
    page("board_index", "/board/", ALL),
    page("board", "/board/{community}/", ALL),
    page("board_print", "/board/{community}/print.pdf", ALL),
    page("board_notice", "/board/notices/{notice}/", ALL),
    page("board_attachment", "/board/attachments/{notice_attachment}/", ALL),
    page("track", "/track/", ALL),
    page("track_submit", "/track/new/", ALL),
    page("track_case", "/track/{case_number}/", NONE),
    page("track_verdict", "/track/{case_number}/verdict/", NONE, "POST"),
    # the residents' portal: its shell and sign-in are public; everything personal needs a resident's own
    # session, which no staff role has (they are sent to the portal's sign-in)
    page("portal:manifest", "/portal/manifest.webmanifest", ALL),
    page("portal:service_worker", "/portal/sw.js", ALL),
    page("portal:offline", "/portal/offline/", ALL),
    page("portal:text_size", "/portal/text-size/", ALL, "POST", large="1"),
    page("portal:signin", "/portal/signin/", ALL),
    page("portal:signin_code", "/portal/signin/code/", ALL, "POST"),
    page("portal:signout", "/portal/signout/", ALL, "POST"),
    page("portal:home", "/portal/", NONE),
    page("portal:household", "/portal/household/", NONE),
    page("portal:grid_worker", "/portal/grid-worker/", NONE),
    page("portal:cases", "/portal/cases/", NONE),
    page("portal:case_new", "/portal/cases/new/", NONE),
    page("portal:map_areas", "/portal/map/areas/", NONE),
    page("portal:map_locate", "/portal/map/locate/?lat=36.61&lng=117.01", NONE),
    page("portal:case", "/portal/cases/{case_number}/", NONE),
    page("portal:case_verdict", "/portal/cases/{case_number}/verdict/", NONE, "POST", solved="1"),
    page("portal:case_rate", "/portal/cases/{case_number}/rate/", NONE, "POST", satisfaction="satisfied"),
    page("portal:case_photo_add", "/portal/cases/{case_number}/photos/", NONE, "POST"),
    page("portal:case_photo", "/portal/cases/{case_number}/photos/{case_photo}/", NONE),
    page("portal:relatives", "/portal/relatives/", NONE),
    page("portal:relative_end", "/portal/relatives/{proxy_link}/end/", NONE, "POST"),
    page("portal:act_for", "/portal/act-for/", NONE, "POST", link="{proxy_link}"),
    page("portal:volunteer", "/portal/volunteer/", NONE),
    page("portal:volunteer_join", "/portal/volunteer/join/", NONE),
    page("portal:activity_signup", "/portal/volunteer/activities/{activity}/signup/", NONE, "POST"),
    page("portal:booking_cancel", "/portal/volunteer/bookings/{record}/cancel/", NONE, "POST"),
    page("portal:volunteer_checkin", "/portal/volunteer/checkin/{checkin_token}/", NONE),
    page("portal:proof", "/portal/volunteer/proofs/{proof}/", NONE),
    page("portal:time_bank", "/portal/time-bank/", NONE),
    page("portal:help_new", "/portal/time-bank/help/", NONE),
    page("portal:help", "/portal/time-bank/help/{help_request}/", NONE),
    page("portal:help_withdraw", "/portal/time-bank/help/{help_request}/withdraw/", NONE, "POST"),
    # the staff side of the portal: residents' correction requests and 代办 links, in scope
    page("portal_admin:requests", "/portal-admin/", READERS),
    page(
        "portal_admin:correction_resolve",
        "/portal-admin/corrections/{correction}/resolve/",
        KEEPERS,
        "POST",
        done="1",
    ),
    page(
        "portal_admin:link_decide",
        "/portal-admin/links/{proxy_link}/decide/",
        DISPATCHERS,
        "POST",
        approve="1",
    ),
    page("portal_admin:link_end", "/portal-admin/links/{proxy_link}/end/", DISPATCHERS, "POST"),
    page("open311:discovery", "/open311/v2/discovery.json", ALL),
    page("open311:services", "/open311/v2/services.json", ALL),
    page("open311:service", "/open311/v2/services/T-NOISE.json", ALL),
    page("open311:requests", "/open311/v2/requests.json", ALL),
    page("open311:request", "/open311/v2/requests/{case_number}.json", ALL),
    page("open311:token", "/open311/v2/tokens/unknown.json", NONE),
    page("set_language", "/i18n/setlang/", ALL, "POST"),
    # API
    op("GET", "/api/v1/health", "/api/v1/health", ALL),
    op("GET", "/api/v1/me", "/api/v1/me", ALL),
    op("GET", "/api/v1/areas", "/api/v1/areas", READERS),
    op(
        "POST",
        "/api/v1/areas",
        "/api/v1/areas",
        SA,
        parent_id="{grid}",
        kind="grid",
        code="G09",
        name="子网格",
    ),
    op("GET", "/api/v1/areas/{area_id}", "/api/v1/areas/{grid}", READERS),
    op("PATCH", "/api/v1/areas/{area_id}", "/api/v1/areas/{grid}", SA),
    op("GET", "/api/v1/areas/{area_id}/assignments", "/api/v1/areas/{grid}/assignments", READERS),
    op("GET", "/api/v1/residents", "/api/v1/residents", READERS),
    op(
        "POST",
        "/api/v1/residents",
        "/api/v1/residents",
        KEEPERS,
        grid="S01/C01/G01",
        name="李四",
        id_number="{new_id}",
    ),
    op("GET", "/api/v1/residents/{resident_id}", "/api/v1/residents/{resident}", READERS),
    op(
        "PATCH",
        "/api/v1/residents/{resident_id}",
        "/api/v1/residents/{resident}",
        KEEPERS,
        phone="13700000000",
    ),
    op(
        "POST",
        "/api/v1/residents/{resident_id}/move",
        "/api/v1/residents/{resident}/move",
        KEEPERS,
        grid="S01/C01/G01",
        new_house={"building": "9", "room": "101"},
    ),
    op(
        "POST",
        "/api/v1/residents/{resident_id}/move-out",
        "/api/v1/residents/{resident}/move-out",
        KEEPERS,
        effective_date="2026-11-16",
    ),
    op(
        "POST",
        "/api/v1/residents/{resident_id}/death",
        "/api/v1/residents/{resident}/death",
        KEEPERS,
        date_of_death="2026-11-16",
    ),
    op(
        "POST",
        "/api/v1/residents/{resident_id}/merge",
        "/api/v1/residents/{resident}/merge",
        MERGERS,
        duplicate_id="{duplicate}",
    ),
    op(
        "POST",
        "/api/v1/residents/{resident_id}/tags",
        "/api/v1/residents/{resident}/tags",
        KEEPERS,
        tag="elderly_alone",
    ),
    op(
        "DELETE",
        "/api/v1/residents/{resident_id}/tags/{tag}",
        "/api/v1/residents/{resident}/tags/elderly_alone",
        KEEPERS,
    ),
    op("GET", "/api/v1/resident-counts", "/api/v1/resident-counts", READERS),
    op("GET", "/api/v1/case-categories", "/api/v1/case-categories", ALL),
    op("GET", "/api/v1/case-indicators", "/api/v1/case-indicators", ALL),
    op("GET", "/api/v1/cases", "/api/v1/cases", ALL),
    op(
        "POST",
        "/api/v1/cases",
        "/api/v1/cases",
        WRITERS,
        category="T-STALL",
        channel="walk_in",
        title="占道",
        description="门口占道",
        area="S01/C01/G01",
    ),
    op("GET", "/api/v1/cases/{case_id}", "/api/v1/cases/{case}", ALL),
    op("POST", "/api/v1/cases/{case_id}/actions", "/api/v1/cases/{case}/actions", HANDLERS, action="accept"),
    op(
        "POST",
        "/api/v1/cases/{case_id}/location",
        "/api/v1/cases/{case}/location",
        DISPATCHERS,
        area="S01/C01/G01",
        address="幸福路 1 号",
    ),
    op(
        "POST", "/api/v1/cases/{case_id}/comments", "/api/v1/cases/{case}/comments", ALL - {"viewer"}, note=""
    ),
    op(
        "POST",
        "/api/v1/case-extensions/{extension_id}/decision",
        "/api/v1/case-extensions/{extension}/decision",
        LEADERS,
        approve=True,
    ),
    op("GET", "/api/v1/inbox", "/api/v1/inbox", ALL),
    op("POST", "/api/v1/inbox/read", "/api/v1/inbox/read", ALL),
    op("GET", "/api/v1/opinions", "/api/v1/opinions", READERS),
    op(
        "POST",
        "/api/v1/opinions",
        "/api/v1/opinions",
        WRITERS,
        area="S01/C01/G01",
        topics=["safety"],
        summary="x",
    ),
    op("GET", "/api/v1/opinions/{opinion_id}", "/api/v1/opinions/{opinion}", READERS),
    op(
        "POST",
        "/api/v1/opinions/{opinion_id}/reply",
        "/api/v1/opinions/{opinion}/reply",
        WRITERS,
        reply="已答复",
    ),
    op(
        "POST",
        "/api/v1/opinions/{opinion_id}/case",
        "/api/v1/opinions/{opinion}/case",
        WRITERS,
        category="X",
        title="t",
    ),
    op("GET", "/api/v1/opinions-report", "/api/v1/opinions-report", READERS),
    op("GET", "/api/v1/open-days", "/api/v1/open-days", READERS),
    op(
        "POST",
        "/api/v1/open-days",
        "/api/v1/open-days",
        DISPATCHERS,
        area="S01/C01",
        held_on="2026-12-20",
        place="大厅",
    ),
    op(
        "POST",
        "/api/v1/open-day-rules",
        "/api/v1/open-day-rules",
        DISPATCHERS,
        area="S01/C01",
        week_of_month=2,
        weekday=6,
        place="大厅",
    ),
    op("GET", "/api/v1/open-days/{day_id}", "/api/v1/open-days/{open_day}", COMMUNITY_UP),
    op(
        "POST",
        "/api/v1/open-days/{day_id}/attendance",
        "/api/v1/open-days/{open_day}/attendance",
        EXPORTERS,
        residents_met=3,
    ),
    op(
        "POST",
        "/api/v1/open-days/{day_id}/cancel",
        "/api/v1/open-days/{open_day}/cancel",
        DISPATCHERS,
        reason="改期",
    ),
    op(
        "POST",
        "/api/v1/open-days/{day_id}/opinions",
        "/api/v1/open-days/{open_day}/opinions",
        EXPORTERS,
        topics=["safety"],
        summary="x",
    ),
    op("GET", "/api/v1/notices", "/api/v1/notices", READERS),
    op(
        "POST",
        "/api/v1/notices",
        "/api/v1/notices",
        DISPATCHERS,
        area="S01/C01",
        category="affairs",
        title="公示",
        body="内容",
        publish_from="2026-11-16",
    ),
    op("GET", "/api/v1/notices/{notice_id}", "/api/v1/notices/{notice}", COMMUNITY_UP),
    op(
        "PUT",
        "/api/v1/notices/{notice_id}",
        "/api/v1/notices/{notice}",
        DISPATCHERS,
        title="公示",
        body="内容",
        publish_from="2026-11-16",
    ),
    op("DELETE", "/api/v1/notices/{notice_id}", "/api/v1/notices/{notice}", DISPATCHERS),
    op("PUT", "/api/v1/notices/{notice_id}/lines", "/api/v1/notices/{notice}/lines", DISPATCHERS, lines=[]),
    op("POST", "/api/v1/notices/{notice_id}/publish", "/api/v1/notices/{notice}/publish", DISPATCHERS),
    op(
        "POST",
        "/api/v1/notices/{notice_id}/correct",
        "/api/v1/notices/{notice}/correct",
        DISPATCHERS,
        reason="更正",
    ),
    op(
        "POST",
        "/api/v1/notices/{notice_id}/withdraw",
        "/api/v1/notices/{notice}/withdraw",
        DISPATCHERS,
        reason="撤回",
    ),
    op(
        "POST",
        "/api/v1/notices/{notice_id}/questions/{question_id}/answer",
        "/api/v1/notices/{notice}/questions/{notice_question}/answer",
        COMMUNITY_UP - {"viewer"},
        answer="已答复",
    ),
    op("GET", "/api/v1/visits", "/api/v1/visits", READERS),
    op(
        "POST",
        "/api/v1/visits",
        "/api/v1/visits",
        WRITERS,
        observations="好",
        resident_id="{resident}",
        mode="phone",
    ),
    op("GET", "/api/v1/visits/{visit_id}", "/api/v1/visits/{visit}", READERS),
    op(
        "POST",
        "/api/v1/visits/{visit_id}/case",
        "/api/v1/visits/{visit}/case",
        WRITERS,
        category="T-STALL",
        title="占道",
    ),
    op("GET", "/api/v1/visits-todo", "/api/v1/visits-todo", READERS),
    op("GET", "/api/v1/visit-targets", "/api/v1/visit-targets", READERS),
    op("GET", "/api/v1/visit-coverage", "/api/v1/visit-coverage", READERS),
    op("GET", "/api/v1/visit-tasks", "/api/v1/visit-tasks", READERS),
    op(
        "POST",
        "/api/v1/visit-tasks",
        "/api/v1/visit-tasks",
        WRITERS,
        resident_id="{resident}",
        trigger="hardship",
        note="困难",
    ),
    op(
        "POST",
        "/api/v1/visit-tasks/{task_id}/cancel",
        "/api/v1/visit-tasks/{task}/cancel",
        WRITERS,
        reason="出院",
    ),
    op("GET", "/api/v1/care-plans", "/api/v1/care-plans", READERS),
    op(
        "POST", "/api/v1/care-plans", "/api/v1/care-plans", WRITERS, interval_days=7, resident_id="{resident}"
    ),
    op("PATCH", "/api/v1/care-plans/{plan_id}", "/api/v1/care-plans/{plan}", SA, interval_days=14),
    op("POST", "/api/v1/pairings", "/api/v1/pairings", WRITERS, resident_id="{resident}", visitor="c01g01"),
    op("POST", "/api/v1/pairings/{pairing_id}/end", "/api/v1/pairings/{pairing}/end", WRITERS),
    op("GET", "/api/v1/party-organisations", "/api/v1/party-organisations", LEADERS),
    op(
        "POST",
        "/api/v1/party-organisations",
        "/api/v1/party-organisations",
        LEADERS,
        name="新支部",
        kind="branch",
        area_path="S01/C01",
    ),
    op("GET", "/api/v1/party-members", "/api/v1/party-members", LEADERS),
    op(
        "POST",
        "/api/v1/party-members",
        "/api/v1/party-members",
        LEADERS,
        organisation_id="{party_org}",
        joined_on="2001-07-01",
        name="新党员",
    ),
    op("GET", "/api/v1/party-members/{member_id}", "/api/v1/party-members/{party_member}", LEADERS),
    op(
        "POST",
        "/api/v1/party-members/{member_id}/transfer",
        "/api/v1/party-members/{party_member}/transfer",
        LEADERS,
        direction="out",
        date="2026-01-05",
        outside_unit="外区某党委",
    ),
    op("GET", "/api/v1/party-applicants", "/api/v1/party-applicants", LEADERS),
    op(
        "POST",
        "/api/v1/party-applicants",
        "/api/v1/party-applicants",
        LEADERS,
        organisation_id="{party_org}",
        applied_on="2025-01-01",
        name="申请人",
        birth_date="1995-01-01",
    ),
    op(
        "POST",
        "/api/v1/party-applicants/{applicant_id}/advance",
        "/api/v1/party-applicants/{party_applicant}/advance",
        LEADERS,
        to_stage="activist",
        date="2025-12-01",
        resolution="支委会",
    ),
    op("GET", "/api/v1/party-meetings", "/api/v1/party-meetings", LEADERS),
    op(
        "POST",
        "/api/v1/party-meetings",
        "/api/v1/party-meetings",
        LEADERS,
        organisation_id="{party_org}",
        kind="general",
        held_on="2026-01-05",
        place="会议室",
        topic="学习",
    ),
    op("GET", "/api/v1/party-meetings/{meeting_id}", "/api/v1/party-meetings/{party_meeting}", LEADERS),
    op(
        "POST",
        "/api/v1/party-meetings/{meeting_id}/attendance",
        "/api/v1/party-meetings/{party_meeting}/attendance",
        LEADERS,
        items=[],
    ),
    op("GET", "/api/v1/party-compliance", "/api/v1/party-compliance", LEADERS),
    op("GET", "/api/v1/party-points", "/api/v1/party-points", LEADERS),
    op(
        "POST",
        "/api/v1/party-points",
        "/api/v1/party-points",
        LEADERS,
        member_id="{party_member}",
        rule="merit",
        earned_on="2026-01-05",
        reason="表彰",
    ),
    op(
        "POST",
        "/api/v1/party-members/{member_id}/extend-probation",
        "/api/v1/party-members/{party_member}/extend-probation",
        LEADERS,
        resolved_on="2026-01-05",
        months=6,
        resolution="支部党员大会决议",
        reason="继续考察",
    ),
    op(
        "POST",
        "/api/v1/party-meetings/{meeting_id}/minutes",
        "/api/v1/party-meetings/{party_meeting}/minutes",
        LEADERS,
        text="会议记录",
    ),
    op(
        "POST",
        "/api/v1/party-meetings/{meeting_id}/minutes/decision",
        "/api/v1/party-meetings/{party_meeting}/minutes/decision",
        LEADERS,
        approve=True,
    ),
    op("GET", "/api/v1/party-cards", "/api/v1/party-cards", LEADERS),
    op(
        "POST",
        "/api/v1/party-cards",
        "/api/v1/party-cards",
        LEADERS,
        member_id="{party_member}",
        kind="activity",
        day="2026-01-04",
        title="文明劝导",
        place="小区门口",
    ),
    op(
        "POST",
        "/api/v1/party-cards/{card_id}/close",
        "/api/v1/party-cards/{party_card}/close",
        LEADERS,
        outcome="已办结",
        closed_on="2026-01-05",
    ),
    op(
        "POST",
        "/api/v1/party-cards/{card_id}/void",
        "/api/v1/party-cards/{party_card}/void",
        LEADERS,
        reason="登记有误",
    ),
    op("GET", "/api/v1/diary", "/api/v1/diary", READERS),
    op("POST", "/api/v1/diary", "/api/v1/diary", WRITERS, text="巡查"),
    op("GET", "/api/v1/assessment-rounds", "/api/v1/assessment-rounds", LEADERS),
    op("GET", "/api/v1/assessment-rounds/{round_id}", "/api/v1/assessment-rounds/{round}", LEADERS),
    op(
        "GET",
        "/api/v1/assessment-rounds/{round_id}/sample",
        "/api/v1/assessment-rounds/{round}/sample",
        LEADERS,
    ),
    op(
        "GET",
        "/api/v1/assessment-rounds/{round_id}/results",
        "/api/v1/assessment-rounds/{round}/results",
        LEADERS,
    ),
    # surveys (问卷): {survey} is a sampled survey of C01, open; {question} its first question; {invitation}
    # a sampled household of C01/G01; {survey_key} the open link of an area survey of C01
    page("surveys:list", "/surveys/", READERS),
    page("surveys:new", "/surveys/new/", DISPATCHERS),
    page("surveys:detail", "/surveys/{survey}/", READERS),
    page("surveys:edit", "/surveys/{survey}/edit/", DISPATCHERS),
    page("surveys:question_new", "/surveys/{survey}/questions/new/", DISPATCHERS),
    page("surveys:question_edit", "/surveys/{survey}/questions/{question}/", DISPATCHERS),
    page("surveys:question_delete", "/surveys/{survey}/questions/{question}/delete/", DISPATCHERS, "POST"),
    page("surveys:question_move", "/surveys/{survey}/questions/{question}/move/", DISPATCHERS, "POST"),
    page("surveys:draw", "/surveys/{survey}/draw/", DISPATCHERS, "POST"),
    page("surveys:open", "/surveys/{survey}/open/", DISPATCHERS, "POST"),
    page("surveys:close", "/surveys/{survey}/close/", DISPATCHERS, "POST"),
    page("surveys:reopen", "/surveys/{survey}/reopen/", DISPATCHERS, "POST", reason="延期"),
    page("surveys:copy", "/surveys/{survey}/copy/", DISPATCHERS, "POST"),
    page("surveys:invitations", "/surveys/{survey}/invitations/", READERS),
    page(
        "surveys:invitation_decline",
        "/surveys/{survey}/invitations/{invitation}/decline/",
        WRITERS,
        "POST",
        note="无人",
    ),
    page("surveys:door", "/surveys/{survey}/door/", WRITERS),
    page("surveys:door_upload", "/surveys/{survey}/door/upload/", WRITERS, "POST"),
    page("surveys:results", "/surveys/{survey}/results/", READERS),
    page("surveys:texts", "/surveys/{survey}/results/texts/{text_question}/", READERS),
    page("surveys:export", "/surveys/{survey}/results.xlsx", EXPORTERS),
    page("surveys:answer", "/surveys/answer/{invitation_token}/", ALL),
    page("surveys:answer_open", "/surveys/open/{survey_key}/", ALL),
    op("GET", "/api/v1/surveys", "/api/v1/surveys", READERS),
    op("GET", "/api/v1/surveys/{survey_id}", "/api/v1/surveys/{survey}", READERS),
    op("GET", "/api/v1/surveys/{survey_id}/results", "/api/v1/surveys/{survey}/results", READERS),
    op(
        "GET",
        "/api/v1/surveys/{survey_id}/questions/{question_id}/texts",
        "/api/v1/surveys/{survey}/questions/{text_question}/texts",
        READERS,
    ),
    op(
        "POST",
        "/api/v1/surveys/{survey_id}/responses",
        "/api/v1/surveys/{survey}/responses",
        WRITERS,
        items=[],
    ),
    # partner units (驻区单位) of C01: {partner}, {partner_agreement}, {commitment}, {resource}, {need}, {partner_activity}
    page("partners:list", "/partners/", READERS),
    page("partners:new", "/partners/new/", DISPATCHERS),
    page("partners:detail", "/partners/{partner}/", COMMUNITY_UP),
    page("partners:edit", "/partners/{partner}/edit/", DISPATCHERS),
    page("partners:end", "/partners/{partner}/end/", DISPATCHERS),
    page("partners:restore", "/partners/{partner}/restore/", DISPATCHERS, "POST"),
    page("partners:report", "/partners/{partner}/report/", COMMUNITY_UP),
    page("partners:report?format=xlsx", "/partners/{partner}/report/?format=xlsx", EXPORTERS),
    page("partners:agreement_new", "/partners/{partner}/agreements/new/", DISPATCHERS),
    page("partners:resource_new", "/partners/{partner}/resources/new/", DISPATCHERS),
    page("partners:member_checkin_new", "/partners/{partner}/check-ins/new/", DISPATCHERS),
    page("partners:agreement_end", "/partners/agreements/{partner_agreement}/end/", DISPATCHERS),
    page("partners:commitment_new", "/partners/agreements/{partner_agreement}/commitments/new/", DISPATCHERS),
    page("partners:commitment_record", "/partners/commitments/{commitment}/", DISPATCHERS),
    page("partners:resource_toggle", "/partners/resources/{resource}/toggle/", DISPATCHERS, "POST"),
    page("partners:needs", "/partners/needs/", READERS),
    page("partners:need_new", "/partners/needs/new/", DISPATCHERS),
    page("partners:need_act", "/partners/needs/{need}/", DISPATCHERS, "POST", action="close", note="已解决"),
    page("partners:activities", "/partners/activities/", READERS),
    page("partners:activity_new", "/partners/activities/new/", DISPATCHERS),
    page("partners:activity_delete", "/partners/activities/{partner_activity}/delete/", DISPATCHERS, "POST"),
    op("GET", "/api/v1/partners", "/api/v1/partners", READERS),
    op("GET", "/api/v1/partners/{unit_id}", "/api/v1/partners/{partner}", COMMUNITY_UP),
    op(
        "POST",
        "/api/v1/partners",
        "/api/v1/partners",
        DISPATCHERS,
        area="S01/C01",
        name="新单位",
        kind="school",
    ),
    op("GET", "/api/v1/volunteers", "/api/v1/volunteers", READERS),
    op(
        "POST",
        "/api/v1/volunteers",
        "/api/v1/volunteers",
        MANAGERS,
        community="S01/C01",
        name="钱七",
        id_number="{new_id}",
        phone="13900000077",
    ),
    op("GET", "/api/v1/volunteers/{volunteer_id}", "/api/v1/volunteers/{volunteer}", COMMUNITY_UP),
    op("PATCH", "/api/v1/volunteers/{volunteer_id}", "/api/v1/volunteers/{volunteer}", MANAGERS, notes="x"),
    op(
        "POST",
        "/api/v1/volunteers/{volunteer_id}/status",
        "/api/v1/volunteers/{volunteer}/status",
        MANAGERS,
        status="suspended",
        note="休假",
    ),
    op("GET", "/api/v1/volunteer-activities", "/api/v1/volunteer-activities", READERS),
    op(
        "POST",
        "/api/v1/volunteer-activities",
        "/api/v1/volunteer-activities",
        MANAGERS,
        community="S01/C01",
        title="义诊",
        place="服务站",
        starts_at="2030-01-05T09:00:00+08:00",
        ends_at="2030-01-05T11:00:00+08:00",
        capacity=5,
    ),
    op(
        "GET",
        "/api/v1/volunteer-activities/{activity_id}",
        "/api/v1/volunteer-activities/{activity}",
        COMMUNITY_UP,
    ),
    op(
        "POST",
        "/api/v1/volunteer-activities/{activity_id}/assign",
        "/api/v1/volunteer-activities/{activity}/assign",
        MANAGERS,
        volunteer_id="{volunteer}",
    ),
    op(
        "POST",
        "/api/v1/volunteer-activities/{activity_id}/cancel",
        "/api/v1/volunteer-activities/{activity}/cancel",
        MANAGERS,
        reason="雨",
    ),
    op(
        "POST",
        "/api/v1/volunteer-activities/{activity_id}/confirm",
        "/api/v1/volunteer-activities/{activity}/confirm",
        MANAGERS,
    ),
    op("GET", "/api/v1/service-records", "/api/v1/service-records", READERS),
    op("GET", "/api/v1/service-records/{record_id}", "/api/v1/service-records/{record}", COMMUNITY_UP),
    op(
        "POST",
        "/api/v1/service-records/{record_id}/roll-call",
        "/api/v1/service-records/{record}/roll-call",
        MANAGERS,
        action="in",
    ),
    op(
        "POST",
        "/api/v1/service-records/{record_id}/correct",
        "/api/v1/service-records/{record}/correct",
        MANAGERS,
        signed_in_at="2030-01-04T09:00:00+08:00",
        signed_out_at="2030-01-04T10:00:00+08:00",
        reason="补记",
    ),
    # time bank and help requests (accounts of residents of C01/G01, so its grid worker sees them)
    page("timebank:accounts", "/time-bank/", READERS),
    page("timebank:account_open", "/time-bank/open/", WRITERS, "POST", resident="{duplicate}"),
    page("timebank:account", "/time-bank/accounts/{tb_account}/", READERS),
    page("timebank:transfer_new", "/time-bank/accounts/{tb_account}/transfer/", WRITERS),
    page(
        "timebank:account_limits",
        "/time-bank/accounts/{tb_account}/limits/",
        LEADERS,
        "POST",
        debt_limit="60",
    ),
    page("timebank:account_close", "/time-bank/accounts/{tb_account}/close/", LEADERS, "POST", reason="迁出"),
    page(
        "timebank:transfer_reverse",
        "/time-bank/transfers/{tb_transfer}/reverse/",
        LEADERS,
        "POST",
        reason="录错",
    ),
    page("timebank:pools", "/time-bank/pools/", READERS),
    page("timebank:requests", "/time-bank/requests/", READERS),
    page("timebank:request_new", "/time-bank/requests/new/", WRITERS),
    page("timebank:request", "/time-bank/requests/{help_request}/", READERS),
    page("timebank:request_edit", "/time-bank/requests/{help_request}/edit/", WRITERS),
    page("timebank:match", "/time-bank/requests/{help_request}/match/", READERS),
    page("timebank:serve", "/time-bank/requests/{help_request}/serve/", WRITERS, "POST"),
    page("timebank:confirm", "/time-bank/requests/{help_request}/confirm/", WRITERS, "POST"),
    page("timebank:unmatch", "/time-bank/requests/{help_request}/unmatch/", WRITERS, "POST", reason="改期"),
    page("timebank:cancel", "/time-bank/requests/{help_request}/cancel/", WRITERS, "POST", reason="不需要了"),
    op("GET", "/api/v1/time-bank/accounts", "/api/v1/time-bank/accounts", READERS),
    op(
        "POST", "/api/v1/time-bank/accounts", "/api/v1/time-bank/accounts", WRITERS, resident_id="{duplicate}"
    ),
    op("GET", "/api/v1/time-bank/accounts/{account_id}", "/api/v1/time-bank/accounts/{tb_account}", READERS),
    op("GET", "/api/v1/time-bank/transfers", "/api/v1/time-bank/transfers", READERS),
    op(
        "POST",
        "/api/v1/time-bank/transfers",
        "/api/v1/time-bank/transfers",
        WRITERS,
        source_id="{tb_account}",
        target_id="{tb_account2}",
        minutes=5,
    ),
    op(
        "GET",
        "/api/v1/time-bank/transfers/{transfer_id}",
        "/api/v1/time-bank/transfers/{tb_transfer}",
        READERS,
    ),
    op(
        "POST",
        "/api/v1/time-bank/transfers/{transfer_id}/reverse",
        "/api/v1/time-bank/transfers/{tb_transfer}/reverse",
        LEADERS,
        reason="录错",
    ),
    op("GET", "/api/v1/help-requests", "/api/v1/help-requests", READERS),
    op(
        "POST",
        "/api/v1/help-requests",
        "/api/v1/help-requests",
        WRITERS,
        resident_id="{resident}",
        need="shopping",
        title="买菜",
        wanted_at="{wanted_at}",
        estimated_minutes=60,
    ),
    op("GET", "/api/v1/help-requests/{request_id}", "/api/v1/help-requests/{help_request}", READERS),
    op(
        "PATCH",
        "/api/v1/help-requests/{request_id}",
        "/api/v1/help-requests/{help_request}",
        WRITERS,
        place="家中",
    ),
    op(
        "GET",
        "/api/v1/help-requests/{request_id}/suggestions",
        "/api/v1/help-requests/{help_request}/suggestions",
        READERS,
    ),
    op(
        "POST",
        "/api/v1/help-requests/{request_id}/match",
        "/api/v1/help-requests/{help_request}/match",
        WRITERS,
        volunteer_id="{tb_volunteer}",
    ),
    op(
        "POST",
        "/api/v1/help-requests/{request_id}/unmatch",
        "/api/v1/help-requests/{help_request}/unmatch",
        WRITERS,
        reason="改期",
    ),
    op(
        "POST",
        "/api/v1/help-requests/{request_id}/serve",
        "/api/v1/help-requests/{help_request}/serve",
        WRITERS,
        minutes=30,
    ),
    op(
        "POST",
        "/api/v1/help-requests/{request_id}/confirm",
        "/api/v1/help-requests/{help_request}/confirm",
        WRITERS,
    ),
    op(
        "POST",
        "/api/v1/help-requests/{request_id}/cancel",
        "/api/v1/help-requests/{help_request}/cancel",
        WRITERS,
        reason="不需要了",
    ),
]
# Served by the same views as pages above, or not pages at all.
NOT_ENDPOINTS = {"api_v1:openapi-json", "api_v1:openapi-view"}


def _url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue  # the API is walked through its OpenAPI schema
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _url_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}"


def _api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


def test_every_endpoint_has_a_decision():
    """A page or API operation added without a row in TABLE fails here: decide who may reach it."""
    decided = {row.key.split("?")[0] for row in TABLE}  # "?format=xlsx": the same page's export
    found = set(_url_names(get_resolver().url_patterns)) | _api_operations()
    assert found - decided - NOT_ENDPOINTS == set(), "endpoints without an access decision"
    assert decided - found == set(), "decisions for endpoints that no longer exist"


@pytest.fixture
def street(world, tmp_path) -> dict[str, Any]:
    """One of everything, placed so that the department handler's case is the first one."""
    cw = build_case_world(world)
    w = world
    dept_case = cases.case_register(
        actor=w.c01_worker, case=new_case(cw, category=cw.dept_category, attributes={})
    )
    dept_case = cases.case_dispatch(actor=w.c01_worker, case=dept_case, department=cw.department)
    cases.case_accept(actor=w.department, case=dept_case)
    extension = cases.extension_request(
        actor=w.department, case=dept_case, amount=1, unit="days", reason="待配件"
    )
    photo = cases.photo_add(
        actor=w.c01_worker, case=dept_case, upload=SimpleUploadedFile("p.png", PNG, content_type="image/png")
    )
    new_case(cw, title="另一件：未派给部门")
    household = Household.objects.create(house=cw.house, number="H1")
    resident = resident_create(
        actor=None,
        grid=w.c01_g01,
        name="王芳",
        id_number=make_id_number(),
        house=cw.house,
        household=household,
    )
    duplicate = resident_create(actor=None, grid=w.c01_g01, name="王芳", id_number=make_id_number(seq=3))
    resident.phone = "13900000001"  # reachable: she is in the assessment round's frame below
    resident.save(update_fields=["phone"])
    visit = visits.visit_create(
        actor=w.grid_worker_c01_g01,
        mode="in_person",
        observations="身体尚好",
        resident=resident,
        photo=SimpleUploadedFile("v.png", PNG, content_type="image/png"),
    )
    task = visits.task_create(actor=w.c01_worker, resident=resident, trigger="hospitalised", note="住院")
    plan = visits.care_plan_create(actor=None, area=w.s01, tag=_tag(), interval_days=7)
    pairing = visits.pairing_create(actor=None, resident=resident, visitor=w.grid_worker_c01_g01)
    diary = visits.diary_create(actor=w.c01_worker, text="今日巡查")
    opinion = opinions.opinion_record(
        actor=w.c01_worker, area=w.c01_g01, channel="hotline", summary="路灯坏了", topics=["facilities"]
    )
    open_day = opinions.open_day_create(
        actor=w.c01_worker, area=w.c01, held_on=date(2026, 11, 15), start_time=time(9), place="服务大厅"
    )
    notice = notices.notice_create(
        actor=w.c01_worker,
        area=w.c01,
        category="affairs",
        title="公示",
        body="内容",
        publish_from=date(2026, 11, 16),
        publish_until=date(2026, 11, 30),
    )
    notice_attachment = notices.attachment_add(
        actor=w.c01_worker, notice=notice, upload=SimpleUploadedFile("a.png", PNG)
    )
    notices.notice_publish(actor=w.c01_worker, notice=notice)
    notice_question = notices.question_ask(notice=notice, text="何时完成？")
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("姓名,身份证号\n", encoding="utf-8")
    job = import_job_create(actor=None, community=w.c01, path=Path(ledger))
    import_job_run(actor=None, job=job)
    elder = resident_create(
        actor=None, grid=w.c01_g01, name="李秀英", id_number=make_id_number("19450101", 5), house=cw.house
    )
    proxy_link = ProxyLink.objects.create(agent=resident, principal=elder, grid=w.c01_g01, relation="母亲")
    correction = CorrectionRequest.objects.create(
        household=household, resident=resident, reported_by=resident, grid=w.c01_g01, text="电话换了"
    )
    assessed = _assessment_objects(w, dept_case)
    survey_objects = _survey_objects(w, cw.house)
    party_org = party.organisation_create(actor=None, name="第一党支部", kind="branch", area=w.c01)
    party_member = party.member_create(
        actor=None, organisation=party_org, resident=resident, joined_on=date(2000, 7, 1)
    )
    party_applicant = party.applicant_create(
        actor=None,
        organisation=party_org,
        name="申请人",
        birth_date=date(1990, 1, 1),
        applied_on=date(2025, 1, 1),
    )
    party_meeting = party.meeting_create(
        actor=None,
        organisation=party_org,
        kind="general",
        held_on=date(2026, 1, 5),
        place="会议室",
        topic="学习",
    )
    party_card = party.card_create(
        actor=None,
        member=party_member,
        kind="feedback",
        day=date(2026, 1, 2),
        title="楼道灯坏了",
        passed_to="物业公司",
    )
    party_photo = party.meeting_photo_add(
        actor=None, meeting=party_meeting, upload=SimpleUploadedFile("m.png", PNG, content_type="image/png")
    )
    party_point = party.point_manual_create(
        actor=None,
        member=party_member,
        rule=PointRule.objects.get(code="merit"),
        earned_on=date(2026, 1, 5),
        reason="表彰",
    )
    vol = _volunteer_objects(w)
    tb = _time_bank(w, resident, duplicate)
    return {
        **assessed,
        **survey_objects,
        **vol,
        "proxy_link": proxy_link.pk,
        "correction": correction.pk,
        **tb,
        "party_org": party_org.pk,
        "party_member": party_member.pk,
        "party_applicant": party_applicant.pk,
        "party_meeting": party_meeting.pk,
        "party_photo": party_photo.pk,
        "party_point": party_point.pk,
        "party_card": party_card.pk,
        "party_code": party_meeting.checkin_code,
        "new_id": make_id_number("19900101", 77),
        "case": dept_case.pk,
        "case_number": dept_case.number,
        "extension": extension.pk,
        "case_photo": photo.pk,
        "category": cw.category.pk,
        "resident": resident.pk,
        "duplicate": duplicate.pk,
        "tag": _tag().pk,
        "household": household.pk,
        "house": cw.house.pk,
        "building": cw.house.building_id,
        "grid": w.c01_g01.pk,
        "community": w.c01.pk,
        "visit": visit.pk,
        "visit_photo": visit.photos.get().pk,
        "task": task.pk,
        "plan": plan.pk,
        "pairing": pairing.pk,
        "diary": diary.pk,
        "import_job": job.pk,
        "opinion": opinion.pk,
        "open_day": open_day.pk,
        "notice": notice.pk,
        "notice_attachment": notice_attachment.pk,
        "notice_question": notice_question.pk,
    }


def _assessment_objects(w: Any, case: Any) -> dict[str, Any]:
    """An open C01 round whose sample holds the visited resident, one phone rating, a duty, a task, an
    agreement."""
    from datetime import date

    from linli.assessment import services as assessment
    from linli.assessment.models import SampleEntry

    round_ = assessment.round_create(
        actor=None,
        area=w.c01,
        kind="quarter",
        title="第四季度",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        workers=[w.grid_worker_c01_g01],
        auditor=w.street_admin,
    )
    round_ = assessment.round_open(actor=None, round=round_, seed="matrix")
    entry = SampleEntry.objects.get(round=round_)
    rating = assessment.rating_record_by_phone(actor=None, entry=entry, grade="excellent", reason="热心")
    duty = assessment.duty_create(
        actor=None, area=w.s01, kind="routine", role="grid_worker", title="巡查", standard="每日"
    )
    task = assessment.task_create(
        actor=None,
        area=w.c01,
        title="迎检",
        standard="无堆物",
        start_date=date(2026, 11, 1),
        deadline=date(2026, 11, 30),
        workers=[w.grid_worker_c01_g01],
    )
    agreement = assessment.agreement_create(
        actor=None, area=w.c01, department=case.department, title="共建协议", signed_on=date(2026, 1, 5)
    )
    return {
        "round": round_.pk,
        "member": round_.members.get().pk,
        "entry": entry.pk,
        "rating": rating.pk,
        "duty": duty.pk,
        "one_off_task": task.pk,
        "agreement": agreement.pk,
        "worker_user": w.grid_worker_c01_g01.pk,
    }


def _survey_objects(w: Any, house: Any) -> dict[str, Any]:
    from datetime import date

    from linli.partners import services as partners
    from linli.surveys import services as surveys
    from linli.surveys.services import QuestionInput

    household = Household.objects.create(house=house, number="S1")
    resident_create(
        actor=None, grid=w.c01_g01, name="抽样户", id_number=make_id_number(seq=41), household=household
    )
    sampled = surveys.survey_create(actor=None, area=w.c01, title="抽样调查", target="sample", sample_size=1)
    question = surveys.question_add(
        actor=None, survey=sampled, data=QuestionInput(kind="single", text="满意吗", options=["是", "否"])
    )
    text_question = surveys.question_add(
        actor=None, survey=sampled, data=QuestionInput(kind="text", text="还有什么建议")
    )
    surveys.survey_draw(actor=None, survey=sampled, seed="matrix")
    surveys.survey_open(actor=None, survey=sampled)
    invitation = sampled.invitations.filter(in_sample=True).get()
    open_survey = surveys.survey_create(actor=None, area=w.c01, title="公开调查", open_link=True)
    surveys.question_add(actor=None, survey=open_survey, data=QuestionInput(kind="text", text="建议"))
    surveys.survey_open(actor=None, survey=open_survey)
    unit = partners.unit_create(actor=None, area=w.c01, data={"name": "第一中学", "kind": "school"})
    agreement = partners.agreement_create(
        actor=None,
        unit=unit,
        title="共建协议",
        signed_on=date(2026, 1, 1),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        commitments=[("开放操场", date(2026, 6, 30))],
    )
    resource = partners.resource_add(actor=None, unit=unit, kind="room", description="会议室")
    need = partners.need_create(actor=None, area=w.c01, kind="room", title="活动场地")
    activity = partners.activity_create(
        actor=None, area=w.c01, title="义诊", held_on=date(2026, 10, 1), units=[unit], participants=30
    )
    return {
        "survey": sampled.pk,
        "question": question.pk,
        "text_question": text_question.pk,
        "invitation": invitation.pk,
        "invitation_token": invitation.token,
        "survey_key": open_survey.link_key,
        "partner": unit.pk,
        "partner_agreement": agreement.pk,
        "commitment": agreement.commitments.get().pk,
        "resource": resource.pk,
        "need": need.pk,
        "partner_activity": activity.pk,
    }


def _volunteer_objects(w: Any) -> dict[str, Any]:
    from datetime import date, timedelta

    from django.utils import timezone

    from linli.volunteers import services as volunteers
    from linli.volunteers.models import Proof

    def register(name: str, seq: int) -> Any:
        return volunteers.volunteer_register(
            actor=None,
            community=w.c01,
            name=name,
            id_number=make_id_number("19880101", seq),
            phone="13700000000",
        )

    volunteer, other = register("孙志", 41), register("周愿", 43)
    team = volunteers.team_create(actor=None, community=w.c01, name="锦绣助老队")
    membership = volunteers.team_add_member(actor=None, team=team, volunteer=other)
    start = timezone.now() + timedelta(days=2)
    activity = volunteers.activity_create(
        actor=None,
        community=w.c01,
        team=team,
        title="陪老人就医",
        place="社区卫生站",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        leader=w.c01_worker,
    )
    record = volunteers.activity_sign_up(volunteer=other, activity=activity)
    proof = Proof.objects.create(
        number="ZYFW-C01-2026-00001",
        volunteer=other,
        community=w.c01,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 10, 31),
        minutes=120,
        records=1,
        verify_token="verify-token-for-the-matrix",
    )
    return {
        "volunteer": volunteer.pk,
        "team": team.pk,
        "membership": membership.pk,
        "activity": activity.pk,
        "record": record.pk,
        "proof": proof.pk,
        "join_token": volunteers.join_token(w.c01),
        "card_token": volunteers.card_token(other),
        "checkin_token": activity.checkin_token,
        "verify_token": proof.verify_token,
    }


def _time_bank(w: Any, resident: Any, duplicate: Any) -> dict[str, Any]:
    """Two resident accounts in C01/G01 with a transfer between them, a volunteer and an open help request."""
    from datetime import timedelta

    from django.utils import timezone

    from linli.timebank import services as timebank
    from linli.volunteers.models import Volunteer

    number = make_id_number("19900101", 55)
    volunteer = Volunteer.objects.create(
        community=w.c01,
        grid=w.c01_g01,
        name="志愿者甲",
        id_number=number,
        id_reversed=number[::-1],
        status="active",
    )
    first = timebank.account_open(actor=None, resident=resident)
    second = timebank.account_open(actor=None, resident=duplicate)
    transfer = timebank.transfer_create(actor=None, source=first, target=second, minutes=30)
    wanted = timezone.now() + timedelta(days=1)
    help_request = timebank.help_request_create(
        actor=None,
        resident=resident,
        need="company",
        title="陪伴聊天",
        wanted_at=wanted,
        estimated_minutes=60,
    )
    return {
        "tb_account": first.pk,
        "tb_account2": second.pk,
        "tb_transfer": transfer.pk,
        "tb_volunteer": volunteer.pk,
        "help_request": help_request.pk,
        "wanted_at": wanted.isoformat(),
    }


def _tag() -> Any:
    from linli.registry.models import Tag, TagGroup

    group, _ = TagGroup.objects.get_or_create(code="care", defaults={"name": "关爱服务对象"})
    return Tag.objects.get_or_create(code="elderly_alone", defaults={"name": "独居老人", "group": group})[0]


def _user(world: Any, role: str) -> User:
    return {
        "street_admin": world.street_admin,
        "community_leader": world.c01_leader,
        "community_worker": world.c01_worker,
        "grid_worker": world.grid_worker_c01_g01,
        "department_handler": world.department,
        "viewer": world.viewer,
    }[role]


def _fill(value: Any, objects: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return objects[value[1:-1]]
    return value


def _reached(client: Client, row: Row, path: str, objects: dict[str, Any]) -> bool:
    api_call = path.startswith("/api/")
    data = {k: _fill(v, objects) for k, v in (row.data or {}).items()}
    kwargs: dict[str, Any] = {}
    if row.method != "GET":
        if api_call:
            import json

            kwargs = {"data": json.dumps(data), "content_type": "application/json"}
        else:
            kwargs = {"data": data}
    with transaction.atomic():
        response = getattr(client, row.method.lower())(path, **kwargs)
        transaction.set_rollback(True)
    assert response.status_code not in (405, 500), (
        f"{row.key}: {response.status_code} (wrong method in TABLE?)"
    )
    if response.status_code in (401, 403, 404):
        return False
    # Some forms report a refusal as a message on the page they redirect to.
    if any(str(m) == Forbidden().message for m in get_messages(response.wsgi_request)):
        return False
    # Sent to sign in (login_required adds ?next=; the portal's pages send staff to the residents' sign-in
    # the same way); signing out also lands there, reached.
    location = response.get("Location", "")
    return not (
        response.status_code == 302
        and ("/accounts/login/?next=" in location or "/portal/signin/?next=" in location)
    )


def observed(world: Any, street: dict[str, Any]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    users = {role: _user(world, role) for role in ROLES}
    for row in TABLE:
        reached = set()
        for role in ROLES:
            objects = dict(street)
            if "{own_token}" in row.path:
                objects["own_token"] = token_create(actor=None, user=_user(world, role), name="probe")[0].pk
            client = Client()  # fresh each time: a probed sign-out must not sign the next probe out
            client.force_login(users[role])
            if _reached(client, row, row.path.format(**objects), objects):
                reached.add(role)
        out[row.key] = frozenset(reached)
    return out


def test_each_role_reaches_exactly_what_the_table_says(clock_at_monday, world, street):
    seen = observed(world, street)
    wrong = {
        row.key: {"expected": sorted(row.reach), "seen": sorted(seen[row.key])}
        for row in TABLE
        if seen[row.key] != row.reach
    }
    for key, sets in wrong.items():
        print(f"{key}: expected {sets['expected']}, seen {sets['seen']}")  # noqa: T201
    assert wrong == {}


@pytest.fixture
def clock_at_monday():
    import time_machine

    from linli.cases.tests.conftest import MONDAY_9AM

    with time_machine.travel(MONDAY_9AM, tick=False):
        yield


def markdown_table() -> str:
    """The role × endpoint table as docs/security.md prints it."""
    head = "| endpoint | " + " | ".join(ROLES) + " |\n| --- |" + " :-: |" * len(ROLES) + "\n"
    lines = [
        f"| `{row.key}` | " + " | ".join("✓" if r in row.reach else "·" for r in ROLES) + " |"
        for row in TABLE
    ]
    return head + "\n".join(lines) + "\n"


# A sitting branch secretary (a grid worker by role, linked to a member who holds the term) reaches their
# branch's party pages and operations, not the roll keeping (members, organisations, transfers) nor the
# exports their role lacks (docs/security.md, "Party branch officers").
SECRETARY_KEEPS_OUT = {
    "party:members?format=xlsx",
    "party:member_new",
    "party:cards?format=xlsx",
    "POST /api/v1/party-organisations",
    "POST /api/v1/party-members",
    "POST /api/v1/party-members/{member_id}/transfer",
    "POST /api/v1/party-applicants",
}


def test_a_branch_secretary_reaches_their_branchs_party_work(clock_at_monday, world, street):
    from linli.party.models import PartyMember, PartyOrganisation

    org = PartyOrganisation.objects.get(pk=street["party_org"])
    member = PartyMember.objects.create(
        organisation=org, name="网格员书记", joined_on=date(2001, 7, 1), user=world.grid_worker_c01_g01
    )
    party.position_assign(
        actor=None, organisation=org, member=member, role="secretary", start_date=date(2025, 1, 1)
    )
    party_rows = [r for r in TABLE if "party" in r.key and r.key != "party_checkin"]
    reached = set()
    for row in party_rows:
        client = Client()
        client.force_login(world.grid_worker_c01_g01)
        if _reached(client, row, row.path.format(**street), street):
            reached.add(row.key)
    assert {r.key for r in party_rows} - reached == SECRETARY_KEEPS_OUT


def test_docs_print_the_same_table():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "security.md").read_text(encoding="utf-8")
    assert markdown_table() in docs, "docs/security.md: paste tests.test_access_matrix.markdown_table()"


def test_a_department_handler_sees_their_departments_cases_and_no_other(
    clock_at_monday, world, street, bearer
):
    from linli.cases.models import Case

    handler = world.department
    other = Case.objects.exclude(pk=street["case"]).get()
    client = Client()
    client.force_login(handler)
    listing = client.get("/cases/").content.decode()
    assert street["case_number"] in listing
    assert other.number not in listing
    assert client.get(f"/cases/{other.pk}/").status_code == 404
    api_list = Client().get("/api/v1/cases", **bearer(handler)).json()
    assert [c["number"] for c in api_list["items"]] == [street["case_number"]]
    assert Client().get(f"/api/v1/cases/{other.pk}", **bearer(handler)).status_code == 404
    # The people on the case, masked: the reporter's name and phone, not the registry behind them.
    detail = client.get(f"/cases/{street['case']}/").content.decode()
    assert "赵女士" in detail
    assert "13800138000" not in detail
    assert Client().get("/api/v1/residents", **bearer(handler)).status_code == 403


def test_a_department_handler_has_no_registry_visits_or_imports_in_the_menu(world):
    client = Client()
    client.force_login(world.department)
    menu = client.get("/").content.decode()
    for label in ("人口台账", "台账导入", "走访", "民情日记", "区域网格"):
        assert f">{label}<" not in menu
    assert "诉求工单" in menu
    assert 'data-testid="home-department"' in menu  # the home page points to their cases, not empty areas
    assert "走访覆盖" not in menu
    worker = Client()
    worker.force_login(world.c01_worker)
    assert ">人口台账<" in worker.get("/").content.decode()
