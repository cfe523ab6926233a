from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# A copy of the project's shared sample (shared/samples/), kept here so the suite runs from any checkout.
SAMPLES = Path(__file__).resolve().parent / "data"


@pytest.fixture
def sample_ledger() -> Path:
    """The shared ledger sample (title row, messy values) for community C01 with grids G01–G04."""
    return SAMPLES / "residents-ledger-sample.xlsx"


@pytest.fixture
def expected() -> dict[str, Any]:
    """What the import rules imply for the sample: rows, created, errors, warn_rows_min, blank_rows."""
    return json.loads((SAMPLES / "residents-ledger-sample.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def sample_community(world):
    """Community C01 of the world, completed with the sample's grids G03 and G04 (第三/第四网格)."""
    from linli.areas.services import area_create

    area_create(actor=None, kind="grid", code="G03", name="第三网格", parent=world.c01)
    area_create(actor=None, kind="grid", code="G04", name="第四网格", parent=world.c01)
    return world.c01


@pytest.fixture(params=["in this process", "in a second process"])
def reading(request, settings):
    """Run the test twice: the ledger read and checked in the writing process, and in a second one
    (transfers/planner.py; a large file goes there)."""
    settings.LINLI_IMPORT_PARALLEL_BYTES = -1 if request.param == "in this process" else 0
    return request.param
