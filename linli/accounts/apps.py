from typing import Any

from linli.core.modules import HomeCard, ModuleConfig


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
