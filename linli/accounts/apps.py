from typing import Any

from linli.core.modules import HomeCard, ModuleConfig


def _my_areas(user: Any) -> dict[str, Any]:
    from linli.areas.models import Area

    return {"my_areas": Area.objects.filter(pk__in=user.bindings.values("area"))}


class AccountsConfig(ModuleConfig):
    name = "linli.accounts"
    label = "accounts"
    verbose_name = "账户"
    home_cards = (HomeCard("accounts/home_me.html", _my_areas, section="header"),)

    def ready(self) -> None:
        from linli.accounts import auth_audit  # noqa: F401  (connects Django's auth signals to the audit log)
