"""Cut every census area of a township into small areas, all census areas at once.

Each census area's cells are cut into parts near the target (households or persons):

1. kept apart first: institutional quarters (connected groups of institution cells),
   and groups of cells cut off by major barriers whose total is below the minimum
   (``undersize_isolated``), unless barriers may be crossed;
2. the rest cut by :func:`eapart.partition.regions.split.partition_groups`, every census
   area in the same call: one part per cell above the maximum plus the rest's total
   over the target, rounded (or the census area's share of a requested count);
   census areas whose cut leaves a part outside [min, max] are cut again with one
   part more, then one less, and keep whichever brings the larger share of its
   parts into the band (:func:`best_cut`); land with no household takes no part
   of the count (:func:`eapart.partition.regions.split.allocate_parts`);
3. :func:`eapart.partition.regions.band_repair.repair_band` moves single boundary cells
   between neighbouring parts of a census area to bring more of them into the band,
   re-cuts neighbouring parts together and regroups small windows exactly, never
   across a major barrier; then draws parts towards target +/-11% (:func:`tight_band`)
   without taking any out of the band;
4. parts with no household (no building, or only garages, offices, ...) join the
   neighbour in their census area they share most boundary with, and empty land
   across a major barrier from the rest of its part goes to a neighbour on its own
   side (:func:`eapart.partition.regions.labels.detach_empty_sides`), and so do
   households across one, where the move keeps as many small areas in the band
   (:func:`eapart.partition.regions.labels.detach_weighted_sides`);
5. a part wholly inside one other part gets a corridor of that part's cells out to
   a third part or the township edge (:func:`eapart.partition.regions.labels.open_enclaves`),
   over empty land where it can, so that no small area is a ring with a hole; where
   the corridor had to carry households out of the band, the two areas are balanced
   again along their shared boundary, the corridor held
   (:func:`eapart.partition.regions.corridor_balance.rebalance_corridors`).

Doing all census areas in one vectorised call per step costs about what one of them
costs alone; cutting them one by one spent most of its time in per-call overhead.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from eapart.domain import flags as fl
from eapart.partition.cells.graph import MAJOR_BARRIERS, CellGraph, major_edges_among
from eapart.partition.model import PartitionParams
from eapart.partition.regions import split as regions
from eapart.partition.regions.band import EPS, Band, part_fit
from eapart.partition.regions.band_repair import repair_band
from eapart.partition.regions.corridor_balance import rebalance_corridors
from eapart.partition.regions.labels import (
    absorb_empty,
    components,
    detach_empty_sides,
    detach_weighted_sides,
    open_enclaves,
)


def fixed_parts(
    graph: CellGraph,
    group: np.ndarray,
    weight: np.ndarray,
    inst: np.ndarray,
    params: PartitionParams,
) -> tuple[np.ndarray, list[str], list[int]]:
    """Cells kept apart before balancing: institutions, then isolated undersize groups.

    Returns per-cell fixed part (``-1`` for the rest), the flag of each fixed part and
    its group. A group of cells cut off by major barriers stays with the rest when it
    is all the free land of its census area, or at least as heavy as the rest of it.
    """
    n = len(weight)
    e = graph.edges
    same = group[e[:, 0]] == group[e[:, 1]]
    fixed = np.full(n, -1, dtype=np.int64)
    kinds: list[str] = []
    groups: list[int] = []
    if inst.any():
        comp = components(n, e, same & inst[e[:, 0]] & inst[e[:, 1]])
        comps, first = np.unique(comp[inst], return_index=True)
        fixed[inst] = np.searchsorted(comps, comp[inst])
        kinds += [fl.INSTITUTION] * len(comps)
        groups += group[np.flatnonzero(inst)[first]].tolist()
    if params.allow_barrier_crossing:
        return fixed, kinds, groups
    free = fixed < 0
    open_edge = same & ~np.isin(graph.barrier, MAJOR_BARRIERS) & free[e[:, 0]] & free[e[:, 1]]
    comp = components(n, e, open_edge)
    n_comp = int(comp.max()) + 1
    comp_w = np.bincount(comp[free], weight[free], minlength=n_comp)
    comp_cells = np.bincount(comp[free], minlength=n_comp)
    comp_group = np.zeros(n_comp, dtype=np.int64)
    comp_group[comp] = group
    n_groups = int(group.max()) + 1
    group_w = np.bincount(group[free], weight[free], minlength=n_groups)
    group_cells = np.bincount(group[free], minlength=n_groups)
    small = (
        (comp_w > 0)
        & (comp_w < params.min_size)
        & (comp_w < group_w[comp_group])
        & (comp_cells < group_cells[comp_group])
    )
    chosen = np.flatnonzero(small)
    index = np.full(n_comp, -1, dtype=np.int64)
    index[chosen] = len(kinds) + np.arange(len(chosen))
    isolated = free & (index[comp] >= 0)
    fixed[isolated] = index[comp[isolated]]
    kinds += [fl.UNDERSIZE_ISOLATED] * len(chosen)
    groups += comp_group[chosen].tolist()
    return fixed, kinds, groups


def band_score(labels: np.ndarray, weight: np.ndarray, params: PartitionParams):
    """How well parts fit the [min, max] band: (parts inside, minus total excess outside).

    Parts of a single cell heavier than the maximum count as inside: nothing can
    make them smaller. Larger tuples are better.
    """
    inside, excess, heavy = part_fit(np.bincount(labels, weight), np.bincount(labels),
                                     params.min_size, params.max_size)
    return int(inside.sum()), -float(excess[~heavy].sum())


#: Small areas are drawn towards ``target * (1 +/- TIGHT_SHARE)`` once the band is
#: as full as it gets: a census office's +/-20% limits are where workloads start to
#: differ, not where they should be (the +/-11% share is what offices compare).
TIGHT_SHARE = 0.11


def tight_band(params: PartitionParams) -> tuple[float, float]:
    """The whole numbers within ``target * (1 +/- TIGHT_SHARE)``, kept inside the band
    ``[min_size, max_size]``.

    The report rounds each area's fractional total up or down (:mod:`eapart.rounding`),
    so an area of 71.3 may be reported as 71, outside +/-11% of 80: the bounds are
    taken in to whole numbers, where any rounding stays inside. With whole weights
    (given households) that is the same band. When no whole number lies inside, the
    bounds as they are.

    >>> from eapart.partition.model import PartitionParams
    >>> tight_band(PartitionParams(target=80, min_size=64, max_size=96))
    (72.0, 88.0)
    >>> tight_band(PartitionParams(target=78.11, min_size=62.488, max_size=93.732))
    (70.0, 86.0)
    """
    lo = max(params.min_size, params.target * (1 - TIGHT_SHARE))
    hi = min(params.max_size, params.target * (1 + TIGHT_SHARE))
    whole_lo, whole_hi = float(math.ceil(lo - EPS)), float(math.floor(hi + EPS))
    if whole_lo <= whole_hi:
        return whole_lo, whole_hi
    return (lo, max(lo, hi))


def part_counts(weight: np.ndarray, group: np.ndarray, n_groups: int, params) -> np.ndarray:
    """Best-guess number of parts per group: one per cell above the maximum, plus the
    rest's total over the target, rounded (at least one)."""
    heavy = weight > params.max_size
    n_heavy = np.bincount(group, heavy, minlength=n_groups).astype(np.int64)
    light = np.bincount(group[~heavy], weight[~heavy], minlength=n_groups)
    return n_heavy + np.maximum(1, np.floor(light / params.target + 0.5)).astype(np.int64)


def _scores(labels: np.ndarray, weight: np.ndarray, group: np.ndarray, n_groups: int, params):
    """Per group: its parts, the parts inside the band, and total excess outside it
    (see :func:`band_score`)."""
    n_parts = int(labels.max()) + 1
    w = np.bincount(labels, weight, minlength=n_parts)
    cells = np.bincount(labels, minlength=n_parts)
    part_group = np.zeros(n_parts, dtype=np.int64)
    part_group[labels] = group
    inside, excess, _ = part_fit(w, cells, params.min_size, params.max_size)
    present = np.bincount(labels, minlength=n_parts) > 0
    return (
        np.bincount(part_group[present], minlength=n_groups),
        np.bincount(part_group, inside & present, minlength=n_groups),
        np.bincount(part_group, excess, minlength=n_groups),
    )


def best_cut(
    adj: sparse.csr_array,
    weight: np.ndarray,
    group: np.ndarray,
    n_parts: np.ndarray,
    params: PartitionParams,
    free_count: bool,
) -> np.ndarray:
    """Cut every group into its parts; retry groups off the band with one part more or less.

    A retry is kept when it brings a larger *share* of the group's parts into the
    band (the report's measure), or the same share with less excess outside it:
    counting parts out of the band instead would prefer one part fewer whatever
    became of the others (4 parts with 1 outside beats 5 parts with 1 outside,
    though 4 of 5 inside is the better plan).
    ``free_count``: when False the counts are a requested share and are kept as given.
    Returns labels (unique over all groups).
    """
    n_groups = len(n_parts)
    labels = regions.partition_groups(
        adj, weight, group, n_parts, max_weight=params.max_size, seed=params.seed
    )
    if not free_count:
        return labels
    total, inside, excess = _scores(labels, weight, group, n_groups, params)
    count = np.bincount(group, minlength=n_groups)
    heavy = np.bincount(group, weight > params.max_size, minlength=n_groups)
    for delta in (1, -1):
        retry = np.flatnonzero((inside < total) & (n_parts + delta > heavy)
                               & (n_parts + delta >= 1) & (n_parts + delta <= count))
        if len(retry) == 0:
            continue
        nodes = np.flatnonzero(np.isin(group, retry))
        local = np.searchsorted(retry, group[nodes])
        trial = regions.partition_groups(
            adj[nodes][:, nodes], weight[nodes], local, n_parts[retry] + delta,
            max_weight=params.max_size, seed=params.seed,
        )
        t_total, t_inside, t_excess = _scores(trial, weight[nodes], local, len(retry), params)
        # Compare inside/total shares without dividing: a/b > c/d <=> a*d > c*b.
        new, old = t_inside * total[retry], inside[retry] * t_total
        better = (new > old) | ((new == old) & (t_excess < excess[retry] - EPS))
        if not better.any():
            continue
        take = np.isin(local, np.flatnonzero(better))
        labels[nodes[take]] = trial[take] + int(labels.max()) + 1
        chosen = retry[better]
        total[chosen], inside[chosen] = t_total[better], t_inside[better]
        excess[chosen] = t_excess[better]
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def _occupied(labels, weight, has_building, kept, part_group) -> np.ndarray:
    """Per part, True when it stands as a small area of its own (else it joins a neighbour).

    A part with no building, or whose buildings house nobody (garages, offices), is not
    a workload. Kept parts (institutions, isolated groups) always stand. In a group
    where nothing would stand, parts with buildings do.
    """
    n = len(kept)
    with_building = np.bincount(labels, has_building, minlength=n) > 0
    weighted = np.bincount(labels, weight, minlength=n) > 0
    occupied = with_building & (weighted | kept)
    n_groups = int(part_group.max()) + 1 if n else 0
    none = np.bincount(part_group, occupied, minlength=n_groups) == 0
    return occupied | (with_building & none[part_group])


def join_isolated(graph: CellGraph, labels: np.ndarray, kinds: list[str], weight: np.ndarray,
                  part_group: np.ndarray, params: PartitionParams):
    """Join each isolated group far below the minimum to its cheapest neighbour.

    An ``undersize_isolated`` part lighter than ``join_isolated_below x min`` (a
    farm or two across a river) joins the neighbouring part of its census area,
    across the barrier, whose size it brings nearest the target (the longest shared
    boundary on a tie); that part is flagged ``joined_across_barrier``. Heavier
    isolated groups stay apart. Returns new labels and kinds (the joined part's
    label is left empty, and absorbed as empty land is).
    """
    limit = params.join_isolated_below * params.min_size
    n_parts = len(kinds)
    part_w = np.bincount(labels, weight, minlength=n_parts)
    kinds = list(kinds)
    e = graph.edges
    for p in np.flatnonzero([k == fl.UNDERSIZE_ISOLATED for k in kinds]).tolist():
        if part_w[p] >= limit:
            continue
        la, lb = labels[e[:, 0]], labels[e[:, 1]]
        out = (la == p) != (lb == p)
        other = np.where(la == p, lb, la)[out]
        ok = (part_group[other] == part_group[p]) & np.isin(
            np.asarray(kinds, dtype=object)[other], ["", fl.JOINED_ACROSS_BARRIER])
        if not ok.any():
            continue
        nbr, inv = np.unique(other[ok], return_inverse=True)
        shared = np.bincount(inv, graph.shared_length[out][ok])
        miss = np.abs(part_w[nbr] + part_w[p] - params.target)
        to = int(nbr[np.lexsort((nbr, -shared, miss))[0]])
        labels[labels == p] = to
        part_w[to] += part_w[p]
        part_w[p] = 0
        kinds[to], kinds[p] = fl.JOINED_ACROSS_BARRIER, ""
    return labels, kinds


def cut_small_areas(
    graph: CellGraph,
    group: np.ndarray,
    weight: np.ndarray,
    has_building: np.ndarray,
    inst: np.ndarray,
    params: PartitionParams,
    shares: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Small area of every cell, the group (census area) of each small area and its flag.

    ``group``: per cell, its census area ``0..g-1``; ``shares``: small areas wanted
    per census area (a requested count), else chosen from the target. Small areas are
    numbered ``0..s-1``; each lies in one group and is connected.
    """
    n_groups = int(group.max()) + 1
    fixed, kinds, kind_group = fixed_parts(graph, group, weight, inst, params)
    labels = fixed.copy()
    rest = np.flatnonzero(fixed < 0)
    if len(rest):
        present, rest_group = np.unique(group[rest], return_inverse=True)
        if shares is None:
            n_parts = part_counts(weight[rest], rest_group, len(present), params)
        else:
            fixed_per = np.bincount(np.asarray(kind_group, dtype=np.int64), minlength=n_groups)
            n_parts = np.maximum(1, shares[present] - fixed_per[present]).astype(np.int64)
        adj = graph.adjacency[rest][:, rest]
        rest_labels = best_cut(adj, weight[rest], rest_group, n_parts, params, shares is None)
        blocked = None if params.allow_barrier_crossing else major_edges_among(graph, rest)
        rest_labels = repair_band(
            adj, weight[rest], rest_labels, params.min_size, params.max_size,
            blocked=blocked, group=rest_group, tight=tight_band(params),
        )
        labels[rest] = rest_labels + len(kinds)
        kinds = kinds + [""] * (int(rest_labels.max()) + 1)
    part_group = np.zeros(len(kinds), dtype=np.int64)
    part_group[labels] = group
    if params.join_isolated_below > 0 and not params.allow_barrier_crossing:
        labels, kinds = join_isolated(graph, labels, kinds, weight, part_group, params)
    joined = np.array([k == fl.JOINED_ACROSS_BARRIER for k in kinds], dtype=bool)
    kept = np.array([bool(k) for k in kinds], dtype=bool) & ~joined
    occupied = _occupied(labels, weight, has_building, kept, part_group)
    labels = absorb_empty(graph.edges, graph.shared_length, labels, occupied, part_group)
    major = np.isin(graph.barrier, MAJOR_BARRIERS)
    if not params.allow_barrier_crossing:
        labels = detach_empty_sides(graph.edges, graph.shared_length, labels, weight, major,
                                    part_group)
        labels = detach_weighted_sides(graph.edges, graph.shared_length, labels, weight, major,
                                       (params.min_size, params.max_size), part_group,
                                       frozen=kept | joined)
    part_weight = np.bincount(labels, weight, minlength=len(kinds))
    opened = open_enclaves(
        graph.edges, labels, weight, graph.outer_length,
        major=major,
        empty_only=kept | (part_weight > params.max_size), group=part_group,
    )
    labels = rebalance_corridors(graph, labels, opened, weight,
                                 Band(params.min_size, params.max_size), part_group,
                                 kept | joined)
    used, labels = np.unique(labels, return_inverse=True)
    return labels.astype(np.int64), part_group[used], [kinds[u] for u in used]
