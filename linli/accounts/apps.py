from collections.abc import Callable, Iterable
from typing import Any

from linli.core.modules import HomeCard, ModuleConfig
from linli.core.validation import parse_id


def _actors(ids: Iterable[str]) -> dict[str, str]:
    """Who acted, as the audit page names them: "刘芳（社区工作者）", never a login alone."""
    from linli.accounts.models import User
    from linli.accounts.roles import Role

    roles = dict(Role.choices)
    pks = [pk for i in ids if (pk := parse_id(i)) is not None]
    return {
        str(pk): f"{full_name or username}（{roles.get(role, role)}）"
        for pk, full_name, username, role in User.objects.filter(pk__in=pks).values_list(
            "pk", "full_name", "username", "role"
        )
    }


def _users(ids: Iterable[str]) -> dict[str, str]:
    from linli.accounts.models import User

    pks = [pk for i in ids if (pk := parse_id(i)) is not None]
    return {
        str(pk): full or name
        for pk, full, name in User.objects.filter(pk__in=pks).values_list("pk", "full_name", "username")
    }


def _my_areas(user: Any) -> dict[str, Any]:
    from linli.areas.models import Area

    areas = list(Area.objects.filter(pk__in=user.bindings.values("area")))
    Area.qualify(areas)  # "锦绣社区 · 第一网格", the names of a page read in one query
    return {"my_areas": areas}


class AccountsConfig(ModuleConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = "账户"
    home_cards = (HomeCard("accounts/home_me.html", _my_areas, section="header"),)

    def ready(self) -> None:
        from linli.accounts import auth_audit  # noqa: F401  (connects Django's auth signals to the audit log)

    def audit_names(self) -> dict[str, Callable[[Iterable[str]], dict[str, str]]]:
        return {"@actor": _actors, "accounts.user": _users}

    def audit_value_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        from linli.accounts.roles import Role

        return {("*", "role"): {k: str(v) for k, v in Role.choices}}
