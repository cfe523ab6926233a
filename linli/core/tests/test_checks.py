"""`linli check` reports what an operator must fix: secret key, HTTPS, disk, sweeps that went quiet, backups."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from linli.core.audit import Action, audit_record
from linli.core.checks import deployment_checks
from linli.core.models import Heartbeat


def failures() -> list[str]:
    return [message for ok, message in deployment_checks() if not ok]


def messages() -> str:
    return "\n".join(message for _, message in deployment_checks())


@pytest.fixture
def installed_long_ago(db):
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(days=30))


def test_a_fresh_local_install_passes_and_says_what_is_still_to_do(db):
    assert failures() == []
    assert "sweeps have not run yet" in messages()
    assert "no backup yet" in messages()


def test_a_short_secret_key_fails(db, settings):
    settings.SECRET_KEY = "abc" * 5
    assert failures() == ["SECRET_KEY is too short or too simple: set at least 50 random characters"]


def test_a_public_host_without_https_fails_and_with_https_passes(db, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "linli.street.gov.cn"]
    assert failures() == [
        "served as linli.street.gov.cn over plain HTTP: put TLS in front and set LINLI_HTTPS=1"
    ]
    settings.LINLI_HTTPS = True
    assert failures() == []


def test_too_little_free_disk_fails(db, settings):
    settings.LINLI_MIN_FREE_DISK_MB = 10**12
    (failure,) = failures()
    assert "MB free on the data disk: below" in failure


def test_sweeps_that_went_quiet_fail(db, settings):
    settings.LINLI_TICK_SECONDS = 60
    Heartbeat.beat("tick")
    assert "sweeps ran 0 s ago" in messages()
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert failures() == ["sweeps last ran 16 min ago: is 'linli serve' (or cron 'linli tick') running?"]


def test_the_tick_command_leaves_a_heartbeat(db, capsys):
    from tests.test_cli import run

    assert run(capsys, "tick")[0] == 0
    assert Heartbeat.last("tick") is not None


def test_backups_must_be_recent_once_the_database_is_older_than_the_limit(installed_long_ago, settings):
    (failure,) = failures()
    assert (
        failure == "no backup yet: schedule 'linli backup' (docs/deployment.md); this database is 30 days old"
    )
    audit_record(actor=None, action=Action.BACKUP, object_repr="/backups/a.json.gz")
    assert failures() == []
    with time_machine.travel(timezone.now() + timedelta(hours=27), tick=False):
        assert failures() == ["last backup 27 h ago: older than 26 h; schedule 'linli backup'"]
