"""API tokens die with the password that created them, and passwords are not padded with spaces."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.accounts.models import ApiToken
from linli.accounts.services import token_create, user_set_active, user_set_password
from linli.core.cli import main
from linli.core.errors import DomainError
from linli.core.models import AuditEntry


def _me(headers: dict[str, str]) -> int:
    return Client().get("/api/v1/me", headers={"authorization": headers["HTTP_AUTHORIZATION"]}).status_code


def test_a_password_change_on_the_page_revokes_the_users_tokens(world, bearer, client_for, password):
    headers = bearer(world.c01_worker)
    assert _me(headers) == 200
    response = client_for(world.c01_worker).post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "fresh-pass-2027", "new_password2": "fresh-pass-2027"},
        follow=True,
    )
    assert "密码已修改" in response.content.decode()
    assert "1 个 API 令牌已一并吊销" in response.content.decode()
    assert _me(headers) == 401
    revoked = AuditEntry.objects.filter(action="token_revoke", changes__reason="password_change")
    assert revoked.count() == 1


def test_a_password_set_by_a_manager_revokes_the_users_tokens(world, bearer):
    headers = bearer(world.c01_worker)
    revoked = user_set_password(actor=world.street_admin, user=world.c01_worker, password="fresh-pass-2027")
    assert revoked == 1
    assert _me(headers) == 401


def test_tokens_stay_revoked_when_a_disabled_user_is_enabled_again(world, bearer):
    headers = bearer(world.c01_worker)
    assert user_set_active(actor=None, user=world.c01_worker, active=False) == 1
    user_set_active(actor=None, user=world.c01_worker, active=True)
    assert _me(headers) == 401
    assert not ApiToken.objects.filter(user=world.c01_worker, revoked_at__isnull=True).exists()


def test_the_cli_says_which_tokens_a_password_change_revoked(world, capsys):
    token_create(actor=None, user=world.grid_worker_c01_g01, name="phone app")
    assert main(["user", "passwd", "c01g01", "--password", "brand-new-pass-1"]) == 0
    assert "1 API token(s) of c01g01 revoked" in capsys.readouterr().out
    token_create(actor=None, user=world.grid_worker_c01_g01, name="phone app")
    assert main(["user", "disable", "c01g01"]) == 0
    assert "1 API token(s) of c01g01 revoked" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        ("        a1", "不算空格至少需要 10 个字符"),
        ("a1 b2 c3 d4", "不算空格至少需要 10 个字符"),
        (" long-enough-pass-1", "首尾不能有空格"),
        ("long-enough-pass-1 ", "首尾不能有空格"),
    ],
)
def test_passwords_padded_with_spaces_are_refused(world, candidate, message):
    with pytest.raises(DomainError, match=message):
        user_set_password(actor=None, user=world.c01_worker, password=candidate)


def test_a_passphrase_with_inner_spaces_is_accepted(world):
    user_set_password(actor=None, user=world.c01_worker, password="river stone 1984 lamp")
    assert world.c01_worker.check_password("river stone 1984 lamp")


def test_the_password_page_refuses_spaces_and_a1_in_chinese(world, client_for, password):
    response = client_for(world.c01_worker).post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "        a1", "new_password2": "        a1"},
    )
    assert "不算空格至少需要 10 个字符" in response.content.decode()
    world.c01_worker.refresh_from_db()
    assert world.c01_worker.check_password(password)
