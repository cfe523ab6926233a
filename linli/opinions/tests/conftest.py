from __future__ import annotations

import pytest
import time_machine

from linli.cases.tests.conftest import MONDAY_9AM, build_case_world


@pytest.fixture
def clock():
    """Monday 16 November 2026, 09:00 (Shanghai), stopped."""
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cw(world, clock):
    return build_case_world(world)
