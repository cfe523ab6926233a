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


def test_failed_sign_ins_under_unknown_names_are_for_deployment_operators_only_and_masked(world, client_for):
    from django.test import Client

    from linli.accounts.services import user_set_operator

    # A password typed into the username box: the log must not keep it, nor show it to every street.
    Client().post("/accounts/login/", {"username": "Secret-pass-99", "password": "bad-password-9"})
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.area_path == ""
    assert "secret-pass-99" not in str(entry.__dict__).lower()
    assert entry.actor_label == "s***"
    for admin in (world.street_admin, world.other_street_admin):
        body = client_for(admin).get(reverse("core:audit"), {"action": "login_failed"}).content.decode()
        assert "共 0 条" in body
    operator = user_set_operator(actor=None, user=world.street_admin, operator=True)
    body = client_for(operator).get(reverse("core:audit"), {"action": "login_failed"}).content.decode()
    assert "共 1 条" in body
    assert "s***" in body
    assert "secret-pass-99" not in body.lower()
    # Operators still see their own street's entries, and only those.
    assert "东湖社区" not in client_for(operator).get(reverse("core:audit"), {"q": "东湖"}).content.decode()


def test_the_same_unknown_name_tried_twice_has_the_same_fingerprint(world):
    from django.test import Client

    for name in ("ghost", "ghost", "gremlin"):
        Client().post("/accounts/login/", {"username": name, "password": "bad-password-9"})
    prints = [
        e.changes["fingerprint"] for e in AuditEntry.objects.filter(action="login_failed").order_by("id")
    ]
    assert prints[0] == prints[1] != prints[2]


def test_only_the_console_makes_a_deployment_operator(world):
    from linli.accounts.services import user_set_operator
    from linli.core.errors import Forbidden

    with pytest.raises(Forbidden):
        user_set_operator(actor=world.street_admin, user=world.c01_leader, operator=True)


def test_linli_user_operator_grants_and_withdraws(world, capsys):
    from linli.core.cli import main

    assert main(["user", "operator", "admin"]) == 0
    assert "admin is a deployment operator" in capsys.readouterr().out
    world.street_admin.refresh_from_db()
    assert world.street_admin.is_operator
    assert main(["user", "operator", "admin", "--off"]) == 0
    world.street_admin.refresh_from_db()
    assert not world.street_admin.is_operator


def test_audit_keyword_finds_a_two_character_name_an_actor_an_id_and_an_address(world, client_for):
    """The keyword box: a name of two characters anywhere in what the entry names, the person who acted
    (by their name, though the entry keeps the label of the time), an object's id, a sign-in's address."""
    audit_record(
        actor=world.c01_leader,
        action=Action.REVEAL,
        object_type="registry.resident",
        object_id="4711",
        object_repr="欧阳娜娜",
        area_path=world.c01.path,
    )
    audit_record(actor=None, action=Action.UPDATE, object_repr="Hello World", area_path=world.c01.path)
    client = client_for(world.street_admin)

    def found(**params: str) -> str:
        return client.get(reverse("core:audit"), params).content.decode()

    assert "欧阳娜娜" in found(q="阳娜")  # two characters from the middle
    assert "欧阳娜娜" in found(q="欧阳娜娜")
    assert "欧阳娜娜" in found(q="娜")  # one character: no index piece, still found
    assert "欧阳娜娜" not in found(q="阳欧")
    assert "Hello World" in found(q="LO wo")  # case-insensitive, across the space
    assert "欧阳娜娜" in found(q="4711")
    assert "欧阳娜娜" in found(q=world.c01_leader.full_name, action="reveal")
    assert "欧阳娜娜" not in found(q="4711", action="login")


def test_the_audit_page_counts_no_further_than_its_cap(world, client_for, monkeypatch):
    from linli.core import views

    for i in range(7):
        audit_record(actor=None, action=Action.UPDATE, object_repr=f"第{i}条", area_path=world.c01.path)
    monkeypatch.setattr(views, "AUDIT_COUNT_CAP", 5)
    client = client_for(world.street_admin)
    body = client.get(reverse("core:audit"), {"q": "条"}).content.decode()
    assert 'data-testid="audit-capped"' in body
    assert "超过 5 条" in body
    assert body.count('class="ledger-entry"') == 5
    # Below the cap, the exact count as before; a page beyond the cap shows the last one there is.
    assert "共 1 条" in client.get(reverse("core:audit"), {"q": "第3条"}).content.decode()
    assert client.get(reverse("core:audit"), {"q": "条", "page": "9"}).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the two-character index is PostgreSQL's")
@pytest.mark.parametrize(
    ("expression", "unowned", "index"),
    [
        ("_OBJECT_BIGRAMS", False, "audit_object_bigrams_not_users_idx"),
        ("_LABEL_BIGRAMS", True, "audit_unowned_label_bigrams_idx"),
    ],
)
def test_postgresql_answers_a_name_from_the_two_character_indexes(world, expression, unowned, index):
    """The search's expressions are the indexes', character for character, or the planner reads every
    entry; the label's index holds only entries no user account wrote, and the search says so too."""
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    from linli.core import audit

    match = AuditEntry.objects.filter(
        RawSQL(getattr(audit, expression), ["阳娜"], output_field=BooleanField()),  # noqa: S611
        **({"actor__isnull": True} if unowned else {}),
    ).order_by()
    sql, params = match.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT linli_bigrams('欧阳Na')")
        assert sorted(cursor.fetchone()[0]) == sorted(["欧阳", "阳n", "na"])
        # A table of a few rows is read whole; forbid that and the other indexes, and see which is left.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        # The other indexes on the actor answer `actor_id IS NULL` in a table this small: drop them for
        # the test's transaction (rolled back after it).
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'core_auditentry' AND indexname <> %s "
            "AND indexdef LIKE '%%(actor_id%%'",
            [index],
        )
        for (other,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{other}"')
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


def test_the_keyword_finds_what_a_user_did_by_their_login_and_unowned_entries_by_their_label(
    world, client_for
):
    """Entries a user wrote are found by the user (name or login, whatever label they were written with);
    entries no account wrote by their label."""
    audit_record(
        actor=world.c01_leader, action=Action.UPDATE, object_repr="楼道杂物", area_path=world.c01.path
    )
    audit_record(
        actor=None,
        actor_label="居民网上提交",
        action=Action.CREATE,
        object_repr="噪音扰民",
        area_path=world.c01.path,
    )
    client = client_for(world.street_admin)

    def found(q: str) -> str:
        return client.get(reverse("core:audit"), {"q": q}).content.decode()

    assert "楼道杂物" in found(world.c01_leader.username)
    assert "楼道杂物" in found(world.c01_leader.full_name[:2])
    assert "噪音扰民" in found("网上提交")
    assert "楼道杂物" not in found("网上提交")


def test_entries_about_a_user_are_found_by_the_user_not_their_text(world, client_for, django_user_model):
    """Sign-ins name their user; they are found through the users table (name or login, as it is now),
    like what the user did, and the text index keeps only what else entries are about (core 0009)."""
    from linli.core.audit import USER_OBJECTS

    assert django_user_model._meta.label_lower == USER_OBJECTS
    worker = world.c01_leader
    audit_record(actor=worker, action=Action.LOGIN, obj=worker)
    audit_record(
        actor=world.street_admin,
        action=Action.REVEAL,
        object_type="registry.resident",
        object_id="99",
        object_repr=worker.full_name,  # a resident of the same name
        area_path=world.c01.path,
    )
    client = client_for(world.street_admin)

    def found(**params: str) -> str:
        return client.get(reverse("core:audit"), params).content.decode()

    assert "共 1 条" in found(q=worker.full_name, action="login")
    assert "共 1 条" in found(q=worker.username, action="login")
    assert "共 1 条" in found(q=worker.full_name, action="login")
    assert "共 1 条" in found(q=worker.full_name, action="reveal")  # the resident, by text
    # What was done to the account by others, and a failed sign-in under its login, by the user's name.
    audit_record(actor=world.street_admin, action=Action.UPDATE, obj=worker, area_path=world.c01.path)
    audit_record(
        actor=None,
        actor_label=worker.username,
        action=Action.LOGIN_FAILED,
        object_type=USER_OBJECTS,
        object_id=str(worker.pk),
        object_repr=worker.username,
        area_path=world.c01.path,
    )
    assert "共 1 条" in found(q=worker.full_name, action="update")
    assert "共 1 条" in found(q=worker.full_name, action="login_failed")
    # Renamed: the sign-in is found by the name the user has now.
    old = worker.full_name
    type(worker).objects.filter(pk=worker.pk).update(full_name="改名后")
    assert "共 1 条" in found(q="改名后", action="login")
    assert "没有符合条件的记录" in found(q=old, action="login")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial index is PostgreSQL's")
def test_postgresql_finds_entries_about_accounts_from_their_own_index(world):
    """The search's condition is the partial index's, character for character (migration core 0009)."""
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    from linli.core import audit

    match = AuditEntry.objects.filter(
        RawSQL(audit._USER_OBJECTS, [["7", "8"]], output_field=BooleanField())  # noqa: S611
    ).order_by()
    sql, params = match.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("DROP INDEX audit_object_idx")  # the (type, id) index would do too; rolled back
        cursor.execute("DROP INDEX audit_object_id_idx")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_user_objects_idx" in plan
