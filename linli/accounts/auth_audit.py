"""Sign-in, sign-out and failed sign-in go to the audit log.

These are Django's own authentication signals (not domain signals): they are
the one place every sign-in path, form or otherwise, passes through.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linli.accounts import lockout
from linli.core.audit import Action, audit_record
from linli.core.masking import EMPTY, mask_unknown_username  # noqa: F401  (re-exported)


@receiver(user_logged_in, dispatch_uid="linli_audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="linli_audit_logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=Action.LOGOUT, obj=user)


def username_fingerprint(name: str) -> str:
    """A keyed digest, so repeated tries of the same unknown name can be told apart and counted
    without the log holding the name (a plain hash of a short password is a dictionary away)."""
    return hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()[:12]


@receiver(user_login_failed, dispatch_uid="linli_audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from linli.accounts.models import User
    from linli.core.context import client_ip

    username = lockout.normalise_username(credentials.get("username"))
    user = User.objects.filter(username__iexact=username).first() if username else None
    locked = lockout.is_locked(username, client_ip(request))
    action = Action.LOCKED_OUT if locked else Action.LOGIN_FAILED
    if user is None:
        # Belongs to no area: only deployment operators read it (Capability.OPERATE).
        masked = mask_unknown_username(username)
        audit_record(
            actor=None,
            actor_label=masked,
            action=action,
            object_repr=masked,
            area_path="",
            changes={"fingerprint": username_fingerprint(username)} if username else {},
        )
        return
    audit_record(
        actor=None,
        actor_label=username,
        action=action,
        object_type="accounts.user",
        object_id=str(user.pk),
        object_repr=username,
        area_path=user.audit_area_path,
    )
