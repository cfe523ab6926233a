from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import ApiToken, AreaBinding, User
from linli.accounts.roles import ROLE_AREA_KINDS, Capability, Role
from linli.areas.models import Area
from linli.core.audit import Action, audit_record, diff
from linli.core.errors import DomainError, Forbidden
from linli.core.permissions import require, require_path_in_scope

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")


def generate_password() -> str:
    # Letters and digits guaranteed, so it always passes the character-class rule.
    return secrets.token_urlsafe(9) + secrets.choice("abcdefghjkmnpqrstuvwxyz") + str(secrets.randbelow(10))


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc


def _check_areas_for_role(role: str, areas: Sequence[Area]) -> None:
    if role not in Role.values:
        raise DomainError(f"角色 {role!r} 无效，可选：{'、'.join(Role.values)}。", field="role")
    if not areas:
        raise DomainError("至少要指定一个管辖区域。", field="areas")
    allowed = ROLE_AREA_KINDS[role]
    for area in areas:
        if area.kind not in allowed:
            kinds = "、".join(str(Area.Kind(k).label) for k in sorted(allowed))
            raise DomainError(
                f"{Role(role).label}只能绑定到{kinds}，{area.path} 是{area.get_kind_display()}。",
                field="areas",
            )


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    areas: Sequence[Area],
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
    assigned_from: date | None = None,
) -> tuple[User, str | None]:
    """Create a user bound to `areas`. Returns the user and the generated password, if one was generated.

    Grid workers are also made the responsible worker of each grid they are bound to,
    from `assigned_from` (default today).
    """
    from linli.areas.services import grid_assign

    require(actor, Capability.MANAGE_USERS)
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise DomainError(
            "用户名须为 2–40 位小写字母、数字、点、下划线或连字符，并以字母或数字开头。", field="username"
        )
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"用户名 {username} 已存在。", field="username")
    _check_areas_for_role(role, areas)
    for area in areas:
        require_path_in_scope(actor, area.path)
    if actor is not None and role == Role.STREET_ADMIN and actor.role != Role.STREET_ADMIN:
        raise Forbidden("只有街道管理员可以创建街道管理员。")
    user = User(username=username, role=role, full_name=full_name.strip()[:60], phone=phone.strip()[:20])
    generated = None
    if password is None:
        generated = password = generate_password()
    _check_password(password, user)
    user.set_password(password)
    user.save()
    for area in areas:
        AreaBinding.objects.get_or_create(user=user, area=area)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=user,
        changes={"username": username, "role": role, "areas": [a.path for a in areas]},
    )
    if role == Role.GRID_WORKER:
        for area in areas:
            grid_assign(actor=actor, grid=area, user=user, start_date=assigned_from or timezone.localdate())
    return user, generated


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    full_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> User:
    """Profile fields. A user may edit their own; managers may edit users in scope."""
    if actor.pk != user.pk:
        require(actor, Capability.MANAGE_USERS)
        if not User.objects.visible_to(actor).filter(pk=user.pk).exists():
            raise Forbidden()
    fields = ["full_name", "phone", "email"]
    before = {f: getattr(user, f) for f in fields}
    if full_name is not None:
        user.full_name = full_name.strip()[:60]
    if phone is not None:
        phone = phone.strip()
        if phone and not re.fullmatch(r"[0-9+\- ]{5,20}", phone):
            raise DomainError("手机号格式不正确。", field="phone")
        user.phone = phone
    if email is not None:
        user.email = email.strip()
    changes = diff(before, {f: getattr(user, f) for f in fields})
    if changes:
        user.save(update_fields=fields)
        audit_record(actor=actor, action=Action.UPDATE, obj=user, changes=changes)
    return user


@transaction.atomic
def user_set_password(
    *, actor: User | None, user: User, password: str, old_password: str | None = None
) -> int:
    """Set a new password and revoke the user's API tokens. Returns how many tokens were revoked."""
    if actor is not None and actor.pk == user.pk:
        if old_password is None or not user.check_password(old_password):
            raise DomainError("原密码不正确。", field="old_password")
    else:
        require(actor, Capability.MANAGE_USERS)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=Action.PASSWORD_CHANGE, obj=user)
    return _revoke_all_tokens(actor=actor, user=user, reason="password_change")


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool) -> int:
    """Enable or disable; disabling revokes every API token. Returns how many tokens were revoked."""
    require(actor, Capability.MANAGE_USERS)
    if actor is not None and actor.pk == user.pk and not active:
        raise DomainError("不能停用自己的账户。")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action=Action.UPDATE, obj=user, changes={"is_active": [not active, active]})
    return 0 if active else _revoke_all_tokens(actor=actor, user=user, reason="disabled")


@transaction.atomic
def user_set_operator(*, actor: User | None, user: User, operator: bool) -> User:
    """Grant or withdraw 部署运维. Only at the console: no account can make another an operator."""
    if actor is not None:
        raise Forbidden("部署运维只能在服务器控制台（linli user operator）设置。")
    if user.is_operator != operator:
        user.is_operator = operator
        user.save(update_fields=["is_operator"])
        audit_record(
            actor=actor, action=Action.UPDATE, obj=user, changes={"is_operator": [not operator, operator]}
        )
    return user


def _revoke_all_tokens(*, actor: User | None, user: User, reason: str) -> int:
    """A changed password or a disabled account ends every token: a token copied by whoever knew
    the old password must not outlive it. Re-enabling does not bring tokens back."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=Action.TOKEN_REVOKE, obj=token, changes={"reason": reason})
    return len(tokens)


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`. The raw token is returned once and never stored."""
    if actor is not None and actor.pk != user.pk:
        require(actor, Capability.MANAGE_USERS)
    if not user.is_active:
        raise DomainError(f"用户 {user.username} 已停用，不能创建令牌。")
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:60], lookup_prefix=raw[:12], key_hash=ApiToken.hash_key(raw)
    )
    audit_record(
        actor=actor, action=Action.TOKEN_CREATE, obj=token, changes={"user": user.username, "name": name}
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        require(actor, Capability.MANAGE_USERS)
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=Action.TOKEN_REVOKE, obj=locked)
    return locked


def token_authenticate(raw: str) -> User | None:
    """The active user behind a bearer token, or None. Revoked tokens and inactive users fail."""
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(raw)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    # Write last-use at most once a minute: a busy client must not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
