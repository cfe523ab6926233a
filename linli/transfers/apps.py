from collections.abc import Iterator

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class TransfersConfig(ModuleConfig):
    name = "linli.transfers"
    label = "transfers"
    verbose_name = "导入导出"
    nav_items = (NavItem(_("台账导入"), "transfers:imports", "/transfers/", Capability.EXPORT, icon="⇪"),)
    access_sections = (section(r"^/transfers/"),)

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.transfers.checks import worker_checks

        return worker_checks()
