from django.utils.translation import gettext_noop as _

from linli.core.access import section
from linli.core.modules import ModuleConfig
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class RegistryConfig(ModuleConfig):
    name = "linli.registry"
    label = "registry"
    verbose_name = "人口与房屋台账"
    nav_items = (
        NavItem(_("人口台账"), "registry:residents", "/registry/", Capability.READ_SCOPE, icon="☷"),
    )
    access_sections = (
        section(r"^/registry/"),
        section(r"^/api/v1/residents?(/|$)"),
        section(r"^/api/v1/resident-counts(/|$)"),
    )
