"""Supervisor teams: neighbouring workloads of one township, about the norm each.

A team is a set of workloads (enumerator slots) whose areas touch, inside one
township, with at most ``enumerators_per_supervisor`` of them (the norm, 5 by
default): a township of ``n`` slots gets ``ceil(n / norm)`` teams, cut by the
engine's partitioner on the graph of touching slots with every slot weighing 1.
Cutting between two slots of one census area costs ten times as much as cutting
along a census-area border, so teams follow census areas where the sizes allow.
The shares of one tower are tied together, so they stay in one team.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from eapart.domain.schema import CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.partition.regions.band_repair import repair_band
from eapart.partition.regions.split import partition_groups
from eapart.staff.adjacency import adjacency

#: Cost of cutting between slots of one census area, against one along a border.
SAME_CENSUS_AREA_COST = 10.0
#: Cost that keeps the shares of one small area together.
SHARE_COST = 1e6


def slot_pairs(pieces: pd.DataFrame, area_index: pd.Series, pairs: np.ndarray,
               shared: np.ndarray) -> pd.DataFrame:
    """Touching slots ``a < b`` (positions in the slot list) and their cutting cost.

    ``pieces`` has ``small_area_code`` and ``slot_index``; ``area_index`` maps a small
    area code to its position in ``pairs``.
    """
    held = pd.DataFrame({"area": pieces[SMALL_AREA_CODE].map(area_index).to_numpy(),
                         "slot": pieces["slot_index"].to_numpy()})
    edges = pd.DataFrame({"i": pairs[:, 0], "j": pairs[:, 1], "cost": shared})
    edges = edges.merge(held.rename(columns={"area": "i", "slot": "a"}), on="i")
    edges = edges.merge(held.rename(columns={"area": "j", "slot": "b"}), on="j")
    siblings = held.merge(held, on="area", suffixes=("_a", "_b"))
    siblings = pd.DataFrame({"a": siblings["slot_a"], "b": siblings["slot_b"],
                             "cost": SHARE_COST})
    both = pd.concat([edges[["a", "b", "cost"]], siblings], ignore_index=True)
    both = both[both["a"] != both["b"]]
    lo, hi = np.minimum(both["a"], both["b"]), np.maximum(both["a"], both["b"])
    out = pd.DataFrame({"a": lo, "b": hi, "cost": both["cost"]})
    return out.groupby(["a", "b"], as_index=False)["cost"].sum()


def form_teams(slots: pd.DataFrame, links: pd.DataFrame, per_supervisor: int,
               seed: int = 0, unit: np.ndarray | None = None) -> np.ndarray:
    """Team label ``0..t-1`` of each slot: connected, inside its township.

    ``slots``: one row per slot (position = index in ``links``) with
    ``township_code`` and ``census_area_code``; ``links``: :func:`slot_pairs`;
    ``unit``: slots that must share a team carry the same number (the shares of a
    tower), cut as one node weighing their count.
    """
    n = len(slots)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    unit = np.arange(n) if unit is None else np.unique(unit, return_inverse=True)[1]
    m = int(unit.max()) + 1
    first = np.zeros(m, dtype=np.int64)
    first[unit[::-1]] = np.arange(n)[::-1]
    township = np.unique(slots[TOWNSHIP_CODE].to_numpy(), return_inverse=True)[1][first]
    census = slots[CENSUS_AREA_CODE].to_numpy()
    a, b = links["a"].to_numpy(), links["b"].to_numpy()
    cost = links["cost"].to_numpy(dtype=float) * np.where(
        census[a] == census[b], SAME_CENSUS_AREA_COST, 1.0)
    ua, ub = unit[a], unit[b]
    keep = (township[ua] == township[ub]) & (ua != ub)
    graph = adjacency(m, np.column_stack([ua, ub]), cost, keep=keep)
    weight = np.bincount(unit, minlength=m).astype(float)
    count = np.bincount(township, weight)
    n_teams = np.array([max(1, math.ceil(c / per_supervisor)) for c in count], dtype=np.int64)
    band = (float(max(1, per_supervisor - 1)), float(per_supervisor))
    labels = partition_groups(graph, weight, township, n_teams, seed=seed, band=band,
                              max_weight=float(per_supervisor))
    labels = repair_band(graph, weight, labels, band[0], band[1], group=township, seed=seed)
    return labels[unit]
