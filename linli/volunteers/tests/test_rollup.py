"""The statistics' monthly roll-up (`ServiceMonth`) is written with each confirmation, always equals a count of
the confirmed records, is checked by `linli check` and rebuilt by `linli volunteer recount`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db.models import Count, Sum

from linli.accounts.services import user_create
from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from linli.volunteers import rollup, selectors, services
from linli.volunteers.models import RecordStatus, ServiceMonth, ServiceRecord
from linli.volunteers.signals import service_confirmed
from linli.volunteers.tests.conftest import ELEVEN, NINE, VolunteerWorld


def _attend(vw: VolunteerWorld, clock) -> tuple[ServiceRecord, ServiceRecord]:
    """Ann signs in and out (120 minutes); Bo signs in 40 minutes late and forgets to sign out: the sweep
    closes the record at the slot's end (80 minutes, two thirds of the slot: counted)."""
    ann = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.ann)
    bo = services.activity_assign(actor=vw.w.c01_worker, activity=vw.activity, volunteer=vw.bo)
    clock.move_to(NINE)
    services.record_sign_in(actor=None, record=ann, token=vw.activity.checkin_token)
    clock.move_to(NINE + timedelta(minutes=40))
    services.record_sign_in(actor=None, record=bo, token=vw.activity.checkin_token)
    clock.move_to(ELEVEN)
    services.record_sign_out(actor=None, record=ann, token=vw.activity.checkin_token)
    clock.move_to(ELEVEN + timedelta(hours=1))
    services.records_close_forgotten()
    return ann, bo


def _direct() -> tuple[int, int]:
    found = ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED).aggregate(
        m=Sum("minutes"), n=Count("pk")
    )
    return found["m"] or 0, found["n"]


def _kept() -> tuple[int, int]:
    found = ServiceMonth.objects.aggregate(m=Sum("minutes"), n=Sum("records"))
    return found["m"] or 0, found["n"] or 0


def test_confirming_adds_the_records_to_their_month_team_and_grid(vw: VolunteerWorld, clock):
    ann, bo = _attend(vw, clock)
    assert not ServiceMonth.objects.exists()  # signed out is not yet service
    # Bo's correction (a phone without signal) happens before confirmation: counted once, corrected.
    services.record_correct(
        actor=vw.w.c01_worker,
        record=bo,
        signed_in_at=NINE + timedelta(minutes=30),
        signed_out_at=ELEVEN,
        reason="没有信号",
    )
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    assert _direct() == _kept() == (120 + 90, 2)
    assert rollup.stored() == rollup.recount()
    rows = {(r.team, r.grid): (r.minutes, r.records) for r in ServiceMonth.objects.all()}
    # Ann lives in G01 (the resident's grid); Bo, a partner unit's volunteer, has no grid.
    assert rows == {(vw.team.pk, vw.w.c01_g01.pk): (120, 1), (vw.team.pk, 0): (90, 1)}
    assert {r.month for r in ServiceMonth.objects.all()} == {date(2026, 11, 1)}
    figures = selectors.statistics(vw.w.c01_leader, year=2026)
    assert figures.by_team == [("锦绣助老队", [0.0] * 10 + [3.5, 0.0], 3.5)]
    assert [total for _, _, total in figures.by_grid] == [2.0, 1.5]
    assert figures.by_grid[1][0] == "（未定网格）"


def test_a_confirmed_record_cannot_be_corrected_so_the_roll_up_stays_exact(vw: VolunteerWorld, clock):
    ann, _ = _attend(vw, clock)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity, records=[ann])
    assert _kept() == _direct() == (120, 1)
    with pytest.raises(DomainError, match="已确认"):
        services.record_correct(
            actor=vw.w.c01_worker,
            record=ann,
            signed_in_at=NINE,
            signed_out_at=NINE + timedelta(minutes=70),
            reason="x",
        )
    # The second confirmation (Bo's 80 minutes) adds only what it confirms.
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    assert _kept() == _direct() == (120 + 80, 2)
    assert rollup.mismatches() == []


def test_a_receiver_that_refuses_undoes_the_roll_up_with_the_confirmation(vw: VolunteerWorld, clock):
    _attend(vw, clock)

    def refuse(**kwargs):
        raise DomainError("时间银行拒绝")

    service_confirmed.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(DomainError, match="时间银行拒绝"):
            services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    finally:
        service_confirmed.disconnect(dispatch_uid="test-refuse")
    assert not ServiceMonth.objects.exists()
    assert _direct() == (0, 0)


def test_linli_check_reports_a_difference_and_recount_rebuilds_the_roll_up_audited(vw: VolunteerWorld, clock):
    from linli.core.cli import main
    from linli.volunteers.apps import VolunteersConfig

    _attend(vw, clock)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    config = apps.get_app_config("volunteers")
    assert isinstance(config, VolunteersConfig)
    assert all(ok for ok, _ in config.operator_checks())
    ServiceMonth.objects.filter(grid=0).update(minutes=75)  # a hand edit in the database
    ServiceRecord.objects.filter(volunteer=vw.ann).update(day=date(2026, 10, 31))  # another
    lines = list(config.operator_checks())
    assert not lines[0][0]
    assert "3 cells" in lines[0][1]
    assert "linli volunteer recount" in lines[0][1]
    main(["volunteer", "recount"])
    assert all(ok for ok, _ in config.operator_checks())
    assert _kept() == _direct() == (120 + 80, 2)
    assert ServiceMonth.objects.get(grid=vw.w.c01_g01.pk, records=1).month == date(2026, 10, 1)
    entry = AuditEntry.objects.get(object_type="volunteers.servicemonth")
    assert entry.changes == {"cells_differing": [3, 0]}


def test_statistics_read_only_the_communities_in_scope(vw: VolunteerWorld, clock):
    _attend(vw, clock)
    services.records_confirm(actor=vw.w.c01_worker, activity=vw.activity)
    c02_leader, _ = user_create(actor=None, username="c02-leader", role="community_leader", areas=[vw.w.c02])
    figures = selectors.statistics(c02_leader, year=2026)
    assert [c.name for c in figures.communities] == [vw.w.c02.name]
    assert figures.by_team == []
    assert figures.by_grid == []
    assert selectors.statistics(vw.w.c01_leader, year=2026).by_team[0][2] == 3.3  # 200 minutes
    assert selectors.statistics(vw.w.c01_leader, year=2025).by_team == []
