from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig
from linli.core.navigation import NavItem


class RegistryConfig(ModuleConfig):
    name = "linli.registry"
    label = "registry"
    verbose_name = "人口与房屋台账"
    nav_items = (NavItem(_("人口台账"), "registry:residents", "/registry/", icon="☷"),)
