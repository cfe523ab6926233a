from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, SearchHit, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _due_count(user: Any) -> int:
    from linli.opinions.selectors import due_count

    return due_count(user)


def _todo(user: Any) -> dict[str, Any]:
    from linli.opinions.selectors import todo

    return todo(user)


class OpinionsConfig(ModuleConfig):
    name = "linli.opinions"
    verbose_name = "社情民意"
    nav_items = (
        NavItem(
            _("社情民意"), "opinions:list", "/opinions/", Capability.READ_SCOPE, icon="☏", badge=_due_count
        ),
    )
    home_cards = (
        HomeCard("opinions/home_todo.html", _todo, section="lists", capability=Capability.READ_SCOPE),
    )
    access_sections = (
        section(r"^/opinions/"),
        section(r"^/api/v1/opinions(/|$|-report)"),
        section(r"^/api/v1/open-days(/|$)"),
    )

    def audit_value_labels(self) -> dict[tuple[str, str], dict[str, str]]:
        from linli.opinions.models import OpinionEvent

        return {("opinions.opinion", "action"): {k: str(v) for k, v in OpinionEvent.Action.choices}}

    def linked_from(self, user: Any, obj: Any) -> list[SearchHit]:
        if obj._meta.label_lower != "cases.case":
            return []
        from django.urls import reverse

        from linli.opinions.models import Opinion

        return [
            SearchHit(
                kind="社情民意",
                label=f"{o.number} {o.summary[:30]}",
                url=reverse("opinions:detail", args=[o.pk]),
            )
            for o in Opinion.objects.visible_to(user).filter(case_id=obj.pk)
        ]
