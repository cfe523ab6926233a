"""Sign-in, sign-out and failed sign-in go to the audit log.

These are Django's own authentication signals (not domain signals): they are
the one place every sign-in path, form or otherwise, passes through.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linli.accounts import lockout
from linli.core.audit import Action, audit_record


@receiver(user_logged_in, dispatch_uid="linli_audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="linli_audit_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=Action.LOGOUT, obj=user)


@receiver(user_login_failed, dispatch_uid="linli_audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from linli.accounts.models import User
    from linli.core.context import client_ip

    username = lockout.normalise_username(credentials.get("username"))
    user = User.objects.filter(username__iexact=username).first() if username else None
    locked = lockout.is_locked(username, client_ip(request))
    audit_record(
        actor=None,
        actor_label=username or "(空)",
        action=Action.LOCKED_OUT if locked else Action.LOGIN_FAILED,
        object_type="accounts.user" if user else "",
        object_id=str(user.pk) if user else "",
        object_repr=username,
        area_path=user.audit_area_path if user else "",
    )
