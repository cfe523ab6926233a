from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from linli.core.audit import Action, audit_record
from linli.core.models import AuditEntry


def test_audit_entries_cannot_be_changed_through_the_orm(world):
    entry = AuditEntry.objects.first()
    entry.object_repr = "tampered"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="tampered")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


def test_audit_entries_cannot_be_changed_with_raw_sql(world):
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = 'tampered' WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.object_repr != "tampered"


def test_every_create_in_the_world_was_audited(world):
    created = AuditEntry.objects.filter(action=Action.CREATE)
    assert created.filter(object_type="areas.area").count() == 8
    assert created.filter(object_type="accounts.user").count() == 9
    assert created.filter(object_type="areas.gridassignment").count() == 3


def test_console_actions_name_the_operator(world):
    from linli.core.context import Origin, origin

    with origin(Origin(via="cli", operator="cli:ops")):
        entry = audit_record(actor=None, action=Action.BACKUP, object_repr="backup.jsonl.gz")
    assert entry.actor_label == "cli:ops"
    assert entry.via == "cli"


def test_audit_page_is_for_street_admins_only(world, client_for):
    assert client_for(world.street_admin).get(reverse("core:audit")).status_code == 200
    for user in (world.c01_leader, world.grid_worker_c01_g01, world.viewer):
        assert client_for(user).get(reverse("core:audit")).status_code == 403


def test_audit_page_shows_only_entries_in_the_admins_scope(world, client_for):
    body = client_for(world.street_admin).get(reverse("core:audit"), {"q": "东湖"}).content.decode()
    assert "东湖社区" not in body
    other = client_for(world.other_street_admin).get(reverse("core:audit"), {"q": "东湖"}).content.decode()
    assert "东湖社区" in other


def test_audit_page_filters_by_action_and_date(world, client_for, password):
    from django.test import Client

    Client().post("/accounts/login/", {"username": "c01-worker", "password": "bad-password-9"})
    client = client_for(world.street_admin)
    body = client.get(reverse("core:audit"), {"action": "login_failed"}).content.decode()
    assert "c01-worker" in body
    assert "共 1 条" in body
    bad_date = client.get(reverse("core:audit"), {"since": "2026-13-45"}).content.decode()
    assert "开始日期格式应为 YYYY-MM-DD" in bad_date


def test_audit_page_htmx_request_gets_only_the_results(world, client_for):
    response = client_for(world.street_admin).get(reverse("core:audit"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="audit-results"' in body
    assert "<html" not in body


def test_failed_logins_for_unknown_names_are_visible_to_root_admins(world, client_for):
    from django.test import Client

    Client().post("/accounts/login/", {"username": "ghost", "password": "bad-password-9"})
    body = client_for(world.street_admin).get(reverse("core:audit"), {"q": "ghost"}).content.decode()
    assert "ghost" in body
