from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class PartnersConfig(ModuleConfig):
    name = "linli.partners"
    verbose_name = "驻区单位"
    nav_items = (NavItem(_("驻区单位"), "partners:list", "/partners/", Capability.READ_SCOPE, icon="⌂"),)
    access_sections = (section(r"^/partners/"), section(r"^/api/v1/partners(/|$)"))
