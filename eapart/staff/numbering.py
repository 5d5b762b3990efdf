"""Names of workloads and teams, numbered in the serpentine order of the codes.

An enumerator slot is named after the census area holding most of its load and
numbered inside it: ``420117001001-E01``; a supervisor team after its township:
``420117001-S01``. Numbers follow the same serpentine walk from the north-west as
the small-area codes (:func:`eapart.domain.codes.serpentine_order`). Names kept
from an earlier assignment stay; new ones take the next free numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from eapart.domain.codes import serpentine_order

SLOT_MARK = "E"
TEAM_MARK = "S"
_NAME = re.compile(r"^(\d+)-([ES])(\d+)$")


def name(prefix: str, mark: str, number: int) -> str:
    """``name('420117001001', 'E', 3)`` is ``'420117001001-E03'``."""
    return f"{prefix}-{mark}{number:02d}"


def parse(value: str) -> tuple[str, str, int] | None:
    """``(prefix, mark, number)`` of a slot or team name, or None for anything else."""
    match = _NAME.match(str(value))
    return (match.group(1), match.group(2), int(match.group(3))) if match else None


def number_new(prefix: pd.Series, x: np.ndarray, y: np.ndarray, mark: str,
               taken: set[str]) -> list[str]:
    """Names for new slots or teams (one per row, in row order): serpentine inside each
    prefix, after the largest number already ``taken`` under that prefix."""
    prefix = prefix.astype(str).to_numpy()
    highest: dict[str, int] = {}
    for used in taken:
        parsed = parse(used)
        if parsed and parsed[1] == mark:
            highest[parsed[0]] = max(highest.get(parsed[0], 0), parsed[2])
    names = [""] * len(prefix)
    for p in np.unique(prefix):
        rows = np.flatnonzero(prefix == p)
        order = rows[serpentine_order(x[rows], y[rows])]
        start = highest.get(p, 0)
        for rank, row in enumerate(order, start=1):
            names[row] = name(p, mark, start + rank)
    return names
