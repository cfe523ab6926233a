from collections.abc import Iterator

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class SurveysConfig(ModuleConfig):
    name = "linli.surveys"
    verbose_name = "问卷调查"
    nav_items = (NavItem(_("问卷调查"), "surveys:list", "/surveys/", Capability.READ_SCOPE, icon="☑"),)
    access_sections = (
        # Residents answer by link or QR code without an account: those two paths are open to all.
        section(r"^/surveys/(?!answer/|open/)"),
        section(r"^/api/v1/surveys(/|$)"),
    )

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.surveys.checks import tally_checks

        return tally_checks()
