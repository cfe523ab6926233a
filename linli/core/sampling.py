"""Reproducible random draws: the same frame and seed give the same sample on any machine, forever.

Used where a sample must be fair and checkable (assessment raters, survey households): the seed is published
when the draw is made, so anyone can re-run it. The order does not depend on Python's `random` (whose
algorithms may change between versions) nor on the database's row order: each unit's key is
SHA-256(seed ‖ stratum ‖ unit id), units are ranked by that key, and the frame is sorted first.

`draw(frame, seed, size)` → the whole frame in draw order, stratified: strata take turns in proportion to
their size (largest remainder), so the first `size` units are the sample and the rest, in order, are the
replacements for non-respondents ("drawn in order from the same frame").
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True)
class Drawn:
    unit: Hashable
    stratum: str
    rank: int  # 1-based position in the draw order
    in_sample: bool


def new_seed() -> str:
    """A fresh seed to publish: 16 hex digits from the OS's random source."""
    return secrets.token_hex(8)


def _key(seed: str, stratum: str, unit: Hashable) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{stratum}\x1f{unit}".encode()).digest()


def draw(frame: Iterable[tuple[Hashable, str]], seed: str, size: int) -> list[Drawn]:
    """Rank every (unit, stratum) of `frame`; the first `size` (all, if fewer) are the sample.

    Within a stratum units come in key order; across strata the next unit is taken from the stratum
    furthest below its proportional share so far, ties broken by stratum name — a deterministic
    systematic allocation, so any prefix of the order is itself stratified.
    """
    if size < 0:
        raise ValueError("size must be ≥ 0")
    by_stratum: dict[str, list[Hashable]] = {}
    seen: set[Hashable] = set()
    for unit, stratum in frame:
        if unit in seen:
            continue
        seen.add(unit)
        by_stratum.setdefault(str(stratum), []).append(unit)
    queues = {s: sorted(units, key=partial(_key, seed, s)) for s, units in by_stratum.items()}
    total = sum(len(q) for q in queues.values())
    taken = dict.fromkeys(queues, 0)
    order: list[Drawn] = []
    for position in range(1, total + 1):
        # The stratum whose share of the first `position` units is furthest ahead of what it has had.
        best = min(
            (s for s in queues if taken[s] < len(queues[s])),
            key=lambda s: (taken[s] - position * len(queues[s]) / total, s),
        )
        unit = queues[best][taken[best]]
        taken[best] += 1
        order.append(Drawn(unit=unit, stratum=best, rank=position, in_sample=position <= size))
    return order
