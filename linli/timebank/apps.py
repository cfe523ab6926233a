from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_noop as _

from linli.core.modules import ModuleConfig, RecordAction, section
from linli.core.navigation import NavItem
from linli.core.permissions import Capability


class TimeBankConfig(ModuleConfig):
    name = "linli.timebank"
    verbose_name = "时间银行"
    nav_items = (
        NavItem(_("互助需求"), "timebank:requests", "/time-bank/requests/", Capability.READ_SCOPE, icon="✚"),
        NavItem(_("时间银行"), "timebank:accounts", "/time-bank/", Capability.READ_SCOPE, icon="⇄"),
    )
    access_sections = (
        section(r"^/time-bank/"),
        section(r"^/api/v1/time-bank/"),
        section(r"^/api/v1/help-requests(/|$)"),
    )

    def ready(self) -> None:
        from linli.timebank import receivers

        receivers.connect()

    def operator_checks(self) -> Iterator[tuple[bool, str]]:
        from linli.timebank.services import ledger_problems

        problems = ledger_problems()
        if problems:
            yield False, "time bank ledger: " + "; ".join(problems[:5])
        else:
            yield True, "time bank ledger balanced (every transfer two equal sides, balances sum to zero)"

    def record_actions(self, user: Any, obj: Any) -> list[RecordAction]:
        from linli.timebank.offers import record_actions

        return record_actions(user, obj)
