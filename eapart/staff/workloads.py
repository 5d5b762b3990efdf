"""Enumerator workloads: whole small areas that touch, inside one census area, to the norm.

A workload ("slot", one enumerator's task) is one or more whole small areas that
touch each other and lie in one census area, holding about the norm (80 households
or 250 persons by default). Loads are counted in enumerators' worth: a small area
of 120 households is 1.5 at a norm of 80.

- A small area far above the norm (a tower) is shared: it gets the number of
  enumerators ``k`` whose share lies nearest the norm. Where it has at least ``k``
  buildings, they are cut into ``k`` runs along the serpentine walking order of
  the sheets (so each share is a walk of neighbouring buildings); where it has
  fewer, every share covers all of them, ``1/k`` each (by floor or entrance, as
  the office decides), and says so.
- A census area that cannot be balanced on its own (below one workload, or
  between one and two) is joined with a neighbouring census area of its township
  (:func:`census_groups`; off with ``join_small_census_areas=False``), so a
  workload may then cross that border; cuts along census-area borders are cheap,
  so the rest follow them.
- The other small areas of a census area are grouped by the engine's own
  partitioner (:func:`eapart.partition.regions.split.partition_groups`, connected
  balanced parts) on the graph of touching small areas, then band repair
  (:func:`eapart.partition.regions.band_repair.repair_band`) moves areas between
  neighbouring workloads, and may merge or split workloads, until as many as it
  can hold between ``1 - tolerance`` and ``1 + tolerance`` of the norm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eapart.domain.codes import serpentine_order
from eapart.domain.schema import BUILDING_ID, CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.partition.regions.band_repair import repair_band
from eapart.partition.regions.split import partition_groups, parts_for
from eapart.staff.adjacency import adjacency
from eapart.staff.norms import StaffNorms

#: Columns of a table of pieces: one row per small area and workload holding it.
#: Cost of cutting along a census-area border, as a share of the same length inside one.
BORDER_COST_SHARE = 0.05

PIECE_COLUMNS = (SMALL_AREA_CODE, "slot", "share", "shares", "share_buildings",
                 "households", "persons", "buildings")


def area_load(households, persons, norms: StaffNorms) -> np.ndarray:
    """Each area's workload in enumerators' worth, on the norms' measure.

    With ``measure="both"`` it is whichever of households and persons fills first.

    >>> area_load([40, 160], [250, 100], StaffNorms()).tolist()
    [0.5, 2.0]
    >>> area_load([40, 160], [250, 100], StaffNorms(measure="both")).tolist()
    [1.0, 2.0]
    """
    h = np.nan_to_num(np.asarray(households, dtype=float)) / norms.households_per_enumerator
    if norms.measure == "households":
        return h
    p = np.nan_to_num(np.asarray(persons, dtype=float)) / norms.persons_per_enumerator
    return p if norms.measure == "persons" else np.maximum(h, p)


def shares_needed(load: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Enumerators each area needs on its own: 1, or for an area above the band the
    count whose shares land inside the band (nearest the norm when both do; the
    fewer when neither does, so fewer people carry a workload off the norm).

    >>> shares_needed(np.array([0.9, 1.3, 1.45, 1.7, 3.2]), (0.8, 1.2)).tolist()
    [1, 1, 1, 2, 3]
    """
    load = np.asarray(load, dtype=float)
    fewer = np.maximum(1.0, np.floor(load))
    more = fewer + 1
    lo, hi = band
    fits_fewer = (load / fewer >= lo) & (load / fewer <= hi)
    fits_more = (load / more >= lo) & (load / more <= hi)
    nearer_more = np.abs(load / more - 1) < np.abs(load / fewer - 1)
    pick_more = fits_more & (~fits_fewer | nearer_more)
    return np.where(load > hi, np.where(pick_more, more, fewer), 1).astype(np.int64)


def balanceable(total: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """True where a total of loads can be cut into workloads that all lie in the band
    (some whole ``k`` with ``lo <= total / k <= hi``).

    >>> balanceable(np.array([0.0, 0.5, 1.0, 1.4, 1.7, 2.5]), (0.8, 1.2)).tolist()
    [False, False, True, False, True, True]
    """
    total = np.asarray(total, dtype=float)
    lo, hi = band
    k = np.maximum(1.0, np.ceil(total / hi - 1e-9))
    return (total > 0) & (total / k >= lo - 1e-9)


def census_groups(areas: pd.DataFrame, pairs: np.ndarray, shared: np.ndarray,
                  load: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """The group of each area that workloads are cut inside: its census area, or, for a
    census area that cannot be balanced on its own (too small for one workload, or
    between one and two), that census area joined with a neighbour of its township.

    Census areas are joined one at a time, the one with the least load first, to
    the neighbour it shares most boundary with, until every group can be balanced
    or has no neighbour left. Returns the group number of each area.
    """
    census = areas[CENSUS_AREA_CODE].to_numpy()
    township = areas[TOWNSHIP_CODE].to_numpy()
    if len(census) == 0:
        return np.zeros(0, dtype=np.int64)
    names, ca = np.unique(census, return_inverse=True)
    parent = np.arange(len(names))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    total = np.bincount(ca, load, len(names))
    across = (ca[pairs[:, 0]] != ca[pairs[:, 1]]) & (
        township[pairs[:, 0]] == township[pairs[:, 1]]) if len(pairs) else np.zeros(0, bool)
    a, b, length = ca[pairs[across, 0]], ca[pairs[across, 1]], shared[across]
    while True:
        roots = np.array([root(i) for i in range(len(names))])
        group_total = np.bincount(roots, total, len(names))
        bad = [r for r in np.unique(roots) if not balanceable(group_total[r:r + 1], band)[0]]
        ra, rb = roots[a], roots[b]
        joined = False
        for r in sorted(bad, key=lambda r: (group_total[r], r)):
            touching = (ra == r) ^ (rb == r)
            if not touching.any():
                continue
            other = np.where(ra[touching] == r, rb[touching], ra[touching])
            border = pd.Series(length[touching]).groupby(other).sum()
            parent[r] = root(int(border.idxmax()))
            joined = True
            break
        if not joined:
            return np.array([root(i) for i in ca])


def walk_shares(points: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Share ``0..k-1`` of each of ``n >= k`` buildings: the walking order cut into ``k``
    runs of about equal weight, none empty.

    >>> walk_shares(np.array([[0.0, 1], [1, 1], [0, 0], [1, 0]]), np.ones(4), 2).tolist()
    [0, 0, 1, 1]
    """
    n = len(weight)
    order = serpentine_order(points[:, 0], points[:, 1])
    w = np.asarray(weight, dtype=float)[order]
    total = w.sum()
    if total <= 0:
        w, total = np.ones(n), float(n)
    middle = (np.cumsum(w) - w / 2) / total
    wanted = np.minimum((middle * k).astype(np.int64), k - 1)
    share_sorted = np.empty(n, dtype=np.int64)
    previous = -1
    for i in range(n):  # monotone, no share skipped, enough buildings left for the rest
        s = min(max(int(wanted[i]), previous), previous + 1)
        s = max(s, k - (n - i))
        share_sorted[i] = previous = s
    share = np.empty(n, dtype=np.int64)
    share[order] = share_sorted
    return share


def _spread(total: float, k: int) -> list[float]:
    """``total`` cut into ``k`` whole numbers differing by at most one, larger first."""
    base, extra = divmod(int(round(total)), k)
    return [float(base + (1 if i < extra else 0)) for i in range(k)]


def tower_pieces(code: str, k: int, buildings: pd.DataFrame, norms: StaffNorms) -> list[dict]:
    """The ``k`` shares of one small area, by building where it has at least ``k``.

    ``buildings``: its buildings with ``building_id``, ``households``, ``persons``,
    ``x``, ``y``.
    """
    n = len(buildings)
    if n >= k:
        weight = area_load(buildings["households"], buildings["persons"], norms)
        share = walk_shares(buildings[["x", "y"]].to_numpy(), weight, k)
        rows = []
        for s in range(k):
            mine = buildings[share == s]
            rows.append({SMALL_AREA_CODE: code, "share": s + 1, "shares": k,
                         "share_buildings": ";".join(mine[BUILDING_ID].astype(str)),
                         "households": float(mine["households"].fillna(0).sum()),
                         "persons": float(mine["persons"].fillna(0).sum()),
                         "buildings": int(len(mine))})
        return rows
    ids = ";".join(buildings[BUILDING_ID].astype(str))
    households = _spread(buildings["households"].fillna(0).sum(), k)
    persons = _spread(buildings["persons"].fillna(0).sum(), k)
    return [{SMALL_AREA_CODE: code, "share": s + 1, "shares": k, "share_buildings": ids,
             "households": households[s], "persons": persons[s], "buildings": n}
            for s in range(k)]


def group_areas(pairs: np.ndarray, cost: np.ndarray, load: np.ndarray, group: np.ndarray,
                norms: StaffNorms) -> np.ndarray:
    """Workload label ``0..k-1`` of each area: connected, balanced, inside its group.

    ``pairs``/``cost``: touching areas and the cost of cutting between them (only
    pairs in one group count); ``group``: census area of each area.
    """
    n = len(load)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _, g = np.unique(group, return_inverse=True)
    same = g[pairs[:, 0]] == g[pairs[:, 1]] if len(pairs) else np.zeros(0, dtype=bool)
    graph = adjacency(n, pairs, cost, keep=same)
    totals = np.bincount(g, load)
    n_parts = np.array([parts_for(t, 1.0) for t in totals], dtype=np.int64)
    lo, hi = norms.band
    labels = partition_groups(graph, load, g, n_parts, max_weight=hi, seed=norms.seed,
                              band=(lo, hi))
    labels = repair_band(graph, load, labels, lo, hi, group=g, resize=True, seed=norms.seed)
    return merge_empty(graph, load, labels)


def merge_empty(graph, load: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Join each workload with no load to the lightest workload it touches (if any):
    nobody is sent to count an empty area alone. Labels are renumbered ``0..k-1``."""
    labels = labels.copy()
    coo = graph.tocoo()
    while True:
        weight = np.bincount(labels, load)
        empty = weight[labels[coo.row]] <= 0
        touching = empty & (labels[coo.row] != labels[coo.col])
        if not touching.any():
            break
        src, dst = labels[coo.row[touching]], labels[coo.col[touching]]
        order = np.lexsort((dst, weight[dst], src))
        first = np.unique(src[order], return_index=True)[1]
        label, into = src[order][first[0]], dst[order][first[0]]
        labels[labels == label] = into
    return np.unique(labels, return_inverse=True)[1]


def form_workloads(areas: pd.DataFrame, pairs: np.ndarray, cost: np.ndarray,
                   buildings: pd.DataFrame, norms: StaffNorms,
                   free: np.ndarray | None = None) -> pd.DataFrame:
    """Pieces (:data:`PIECE_COLUMNS`) of the ``free`` areas, with a ``slot`` label each.

    ``areas``: one row per small area (``small_area_code``, ``census_area_code``,
    ``households``, ``persons``, ``buildings``), positions matching ``pairs``;
    ``buildings``: ``small_area_code``, ``building_id``, ``households``, ``persons``,
    ``x``, ``y`` (metric). Labels are ``0..k-1``; the caller numbers them.
    """
    n = len(areas)
    free = np.ones(n, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    load = area_load(areas["households"], areas["persons"], norms)
    k = shares_needed(load, norms.band)
    tower = free & (k > 1)
    grouped = free & ~tower
    index = np.flatnonzero(grouped)
    local = np.full(n, -1, dtype=np.int64)
    local[index] = np.arange(len(index))
    pairs = pairs.reshape(-1, 2)
    inside = (local[pairs[:, 0]] >= 0) & (local[pairs[:, 1]] >= 0)
    census = areas[CENSUS_AREA_CODE].to_numpy()
    if norms.join_small_census_areas:
        group = census_groups(areas.iloc[index], local[pairs[inside]], cost[inside],
                              load[index], norms.band)
    else:
        group = np.unique(census[index], return_inverse=True)[1]
    # Cutting along a census-area border is cheap: joined groups split there first.
    border = census[pairs[:, 0]] != census[pairs[:, 1]]
    cut_cost = np.where(border, BORDER_COST_SHARE, 1.0) * cost
    labels = group_areas(local[pairs[inside]], cut_cost[inside], load[index], group, norms)
    rows = []
    for position, label in zip(index, labels, strict=True):
        row = areas.iloc[position]
        rows.append({SMALL_AREA_CODE: row[SMALL_AREA_CODE], "slot": int(label),
                     "share": 1, "shares": 1, "share_buildings": "",
                     "households": float(np.nan_to_num(row["households"])),
                     "persons": float(np.nan_to_num(row["persons"])),
                     "buildings": int(row["buildings"])})
    next_label = int(labels.max()) + 1 if len(labels) else 0
    by_area = buildings.groupby(SMALL_AREA_CODE, sort=False).indices
    for position in np.flatnonzero(tower):
        code = areas[SMALL_AREA_CODE].iat[position]
        mine = buildings.iloc[by_area.get(code, [])]
        for piece in tower_pieces(code, int(k[position]), mine, norms):
            piece["slot"] = next_label
            next_label += 1
            rows.append(piece)
    return pd.DataFrame(rows, columns=list(PIECE_COLUMNS))
