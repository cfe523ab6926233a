from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import HomeCard, ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _open_questions(user: Any) -> int:
    from linli.notices.selectors import open_question_count

    return open_question_count(user)


def _todo(user: Any) -> dict[str, Any]:
    from linli.notices.selectors import todo

    return todo(user)


class NoticesConfig(ModuleConfig):
    name = "linli.notices"
    verbose_name = "居务公开"
    nav_items = (
        NavItem(
            _("居务公开"), "notices:list", "/notices/", Capability.READ_SCOPE, icon="▤", badge=_open_questions
        ),
    )
    home_cards = (
        HomeCard("notices/home_todo.html", _todo, section="lists", capability=Capability.READ_SCOPE),
    )
    access_sections = (section(r"^/notices/"), section(r"^/api/v1/notices(/|$)"))
