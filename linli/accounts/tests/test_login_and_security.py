from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import LoginAttempt, User
from linli.core.models import AuditEntry

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, ip: str = "10.1.2.3"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_passwords_are_hashed_with_argon2(world):
    assert world.c01_worker.password.startswith("argon2$")


def test_successful_login_is_audited_with_the_address(world, password):
    client = Client()
    response = sign_in(client, "c01-worker", password, ip="192.0.2.7")
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action="login").latest("at")
    assert entry.actor == world.c01_worker
    assert entry.ip == "192.0.2.7"
    assert entry.via == "web"
    assert entry.area_path == "S01/C01"


def test_username_is_case_insensitive_at_login(world, password):
    assert sign_in(Client(), "C01-Worker", password).status_code == 302


def test_failed_login_is_audited_and_explained_in_chinese(world):
    response = sign_in(Client(), "c01-worker", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    entry = AuditEntry.objects.filter(action="login_failed").latest("at")
    assert entry.actor_label == "c01-worker"
    assert entry.ip == "10.1.2.3"
    assert entry.area_path == "S01/C01"


def test_logout_is_audited_and_requires_post(world, password):
    client = Client()
    sign_in(client, "c01-worker", password)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert AuditEntry.objects.filter(action="logout", actor=world.c01_worker).exists()
    assert client.get("/").status_code == 302


def test_account_locks_after_five_failures_even_for_the_right_password(world, password):
    client = Client()
    for _ in range(5):
        sign_in(client, "c01-worker", "wrong-password-1")
    response = sign_in(client, "c01-worker", password)
    assert response.status_code == 200
    assert "账户已暂时锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="locked_out", actor_label="c01-worker").exists()
    # Another account from another address is unaffected.
    assert sign_in(Client(), "c01-leader", password, ip="10.9.9.9").status_code == 302


def test_lockout_ends_when_the_window_has_passed(world, password):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            sign_in(Client(), "c01-worker", "wrong-password-1")
        assert sign_in(Client(), "c01-worker", password).status_code == 200
        traveller.shift(timedelta(minutes=16))
        assert sign_in(Client(), "c01-worker", password).status_code == 302


def test_an_address_guessing_many_accounts_is_locked_out(world, password):
    for i in range(20):
        sign_in(Client(), f"nobody{i}", "wrong-password-1", ip="203.0.113.5")
    response = sign_in(Client(), "c01-leader", password, ip="203.0.113.5")
    assert "账户已暂时锁定" in response.content.decode()
    assert sign_in(Client(), "c01-leader", password, ip="203.0.113.6").status_code == 302


def test_a_success_does_not_reset_the_address_counter(world, password):
    for i in range(19):
        sign_in(Client(), f"nobody{i}", "wrong-password-1", ip="203.0.113.5")
    assert sign_in(Client(), "c01-leader", password, ip="203.0.113.5").status_code == 302
    sign_in(Client(), "nobody-else", "wrong-password-1", ip="203.0.113.5")
    assert "账户已暂时锁定" in sign_in(Client(), "c01-worker", password, ip="203.0.113.5").content.decode()


def test_old_login_attempts_are_pruned(world):
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        sign_in(Client(), "c01-worker", "wrong-password-1")
    sign_in(Client(), "c01-worker", "wrong-password-1")
    assert LoginAttempt.objects.count() == 1


def test_disabled_users_cannot_sign_in(world, password):
    from linli.accounts.services import user_set_active

    user_set_active(actor=None, user=world.c01_worker, active=False)
    response = sign_in(Client(), "c01-worker", password)
    assert response.status_code == 200


def test_session_expires_after_idle_time(world, password, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        sign_in(client, "c01-worker", password)
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get("/").status_code == 200  # activity pushes the expiry forward
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        assert client.get("/").status_code == 302


def test_posts_without_a_csrf_token_are_refused(world, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.street_admin)
    response = client.post(
        reverse("areas:create_child", args=[world.c01.pk]), {"kind": "grid", "code": "G7", "name": "x"}
    )
    assert response.status_code == 403


def test_cookies_are_secure_and_hsts_on_behind_https():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='linli.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_PROXY_SSL_HEADER[0])"
    )
    import os

    env = {**os.environ, "LINLI_HTTPS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "HTTP_X_FORWARDED_PROTO"]


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short1", "密码长度太短"),
        ("12345678901234", "密码只包含数字"),
        ("abcdefghijklmn", "必须同时包含字母和数字"),
        ("password123", "太常见"),
    ],
)
def test_weak_passwords_are_refused_with_reasons(world, password, client_for, new, message):
    client = client_for(world.c01_worker)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    world.c01_worker.refresh_from_db()
    assert world.c01_worker.check_password(password)


def test_password_change_needs_the_old_password(world, client_for):
    response = client_for(world.c01_worker).post(
        reverse("accounts:password_change"),
        {
            "old_password": "not-it-123",
            "new_password1": "new-secret-2027",
            "new_password2": "new-secret-2027",
        },
    )
    assert "原密码不正确" in response.content.decode()


def test_password_change_keeps_the_user_signed_in_and_is_audited(world, password, client_for):
    client = client_for(world.c01_worker)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "new-secret-2027", "new_password2": "new-secret-2027"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert User.objects.get(pk=world.c01_worker.pk).check_password("new-secret-2027")
    assert AuditEntry.objects.filter(action="password_change", actor=world.c01_worker).exists()


def test_profile_edit_validates_and_audits(world, client_for):
    client = client_for(world.c01_worker)
    bad = client.post(reverse("accounts:profile"), {"full_name": "李秀英", "phone": "电话", "email": ""})
    assert "手机号格式不正确" in bad.content.decode()
    ok = client.post(
        reverse("accounts:profile"), {"full_name": "李秀英", "phone": "13800138000", "email": ""}
    )
    assert ok.status_code == 302
    assert AuditEntry.objects.filter(action="update", object_id=str(world.c01_worker.pk)).exists()


def test_failed_tracking_lookups_do_not_lock_staff_sign_in_from_that_address(world, password):
    # A street office's hall: residents mistype tracking numbers behind the same address as the staff.
    for i in range(20):
        Client().post(
            "/track/", {"number": f"20261116-{i:04d}", "phone": "13000000000"}, REMOTE_ADDR="198.51.100.9"
        )
    assert sign_in(Client(), "c01-worker", password, ip="198.51.100.9").status_code == 302
    # The lookups themselves are still locked for that address.
    locked = Client().post(
        "/track/", {"number": "20261116-0099", "phone": "13000000000"}, REMOTE_ADDR="198.51.100.9"
    )
    assert "次数过多" in locked.content.decode()


def test_failed_sign_ins_do_not_lock_tracking_lookups_from_that_address(world):
    for i in range(20):
        sign_in(Client(), f"nobody{i}", "wrong-password-1", ip="198.51.100.10")
    response = Client().post(
        "/track/", {"number": "20261116-0001", "phone": "13000000000"}, REMOTE_ADDR="198.51.100.10"
    )
    assert "次数过多" not in response.content.decode()
    assert "工单编号或手机号不正确" in response.content.decode()
