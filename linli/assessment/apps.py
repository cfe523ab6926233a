from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


def _open_rounds(user: Any) -> int:
    from linli.assessment.models import Round, RoundStatus

    return Round.objects.visible_to(user).filter(status=RoundStatus.OPEN).count()


class AssessmentConfig(ModuleConfig):
    name = "linli.assessment"
    verbose_name = "考核"
    nav_items = (
        NavItem(
            _("考核评议"),
            "assessment:rounds",
            "/assessment/",
            Capability.ASSESS,
            icon="★",
            badge=_open_rounds,
        ),
        NavItem(_("我的考核"), "assessment:mine", "/assessment/mine/", Capability.WRITE, icon="☆"),
        # Departments read how the communities rated them (政社互动); so does everyone who works cases.
        NavItem(
            _("部门评价"), "assessment:departments", "/assessment/departments/", Capability.WRITE, icon="⇄"
        ),
    )
    access_sections = (
        # The published duties and their standards are read by everyone assessed by them (publishing: `assess`).
        section(r"^/assessment/(?!mine/|departments/|duties/$)", Capability.ASSESS),
        section(r"^/api/v1/assessment-rounds", Capability.ASSESS),
    )
