"""The ceiling: how many small areas any partition could bring into the band.

A share within [min, max] means little without knowing what is attainable: a
township of towers, each above the maximum, cannot be balanced, and a county
figure hides it. :func:`band_ceiling` computes an upper bound on the number of a
township's small areas that lie within [min, max], over every partition with as
many small areas in each census area as this run made (the township when the tool
forms census areas, since small areas are then cut township-wide) that follows the
engine's rules. The bound is counted, not searched, and holds because each
term below counts areas that no such partition can bring into the band:

1. **Atomic buildings above the maximum.** A cell heavier than the maximum is a
   small area of its own (domain rule), above the band (unless rounding reports
   it at the maximum: see :func:`reported_band`).
2. **Groups cut off by barriers below the minimum** (``undersize_isolated``):
   land that major roads, rail or rivers close off, weighing less than the
   minimum, stands alone unless barriers may be crossed: below the band.
   Institutional quarters kept apart are in the band only if their weight is.
   (Areas are counted in the band here as the report counts them, after the
   rounding of fractional households: :func:`reported_band`.)
3. **Totals that fit no whole number of areas.** What is left of a census area
   (its *free* land) falls into connected components once the cells above are
   set aside, and each component's areas lie inside it. A component of weight
   ``W`` can be cut into parts all within [min, max] only if some whole ``k``
   has ``k x min <= W <= k x max``; where none has (``W`` below the minimum, or
   between ``k x max`` and ``(k + 1) x min``), at least one of its areas is out
   of the band. A component holds at most ``floor(W / min)`` areas in the band.
   With ``K`` free areas in the census area, at most ``K - F`` are in the band
   (``F``: components that fit no whole number), at most ``K - 1`` when ``F`` is 0
   but the free total exceeds ``K x max``, and at most the sum of
   ``floor(W / min)`` over its components.

So ``ceiling = institutions in band + sum over census areas of
max(0, min(K - F - [F = 0 and W > K x max], sum floor(W / min)))``, divided by
the small areas of the township. The achieved share can reach the ceiling but
never pass it; a township far below it is where the engine, not the map, falls short.
(The report states it as ``ceiling_share`` and warns of such townships:
:func:`eapart.report.below_ceiling`.)
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array, csgraph

from eapart.domain import flags as fl
from eapart.partition.cells.graph import CellGraph
from eapart.partition.model import PartitionParams


def band_ceiling(
    graph: CellGraph,
    cell_weight: np.ndarray,
    group: np.ndarray,
    sa_of_cell: np.ndarray,
    sa_kind: list[str],
    params: PartitionParams,
) -> int:
    """Upper bound on the small areas within [min, max] (see the module docstring).

    ``group``: census area of each cell (zeros when small areas are cut
    township-wide); ``sa_of_cell``/``sa_kind``: this run's small areas and the kind
    of each (``institution``, ``undersize_isolated`` or empty).
    """
    n_sa = len(sa_kind)
    if n_sa == 0:
        return 0
    lo, hi = reported_band(cell_weight, params)
    sa_weight = np.bincount(sa_of_cell, cell_weight, minlength=n_sa)
    kind = np.asarray(sa_kind, dtype=object)
    heavy_cell = cell_weight > params.max_size
    heavy_sa = np.bincount(sa_of_cell, heavy_cell, minlength=n_sa) > 0
    fixed_sa = np.isin(kind, [fl.INSTITUTION, fl.UNDERSIZE_ISOLATED]) | heavy_sa
    in_band_fixed = int((fixed_sa & (sa_weight >= lo) & (sa_weight <= hi)).sum())
    free_cell = ~fixed_sa[sa_of_cell]
    n_groups = int(group.max()) + 1
    sa_group = np.zeros(n_sa, dtype=np.int64)
    sa_group[sa_of_cell] = group
    k = np.bincount(sa_group[~fixed_sa], minlength=n_groups)
    comp_w, comp_group = _free_components(graph, cell_weight, group, free_cell)
    fits = _fits_whole_number(comp_w, lo, hi)
    f = np.bincount(comp_group, ~fits, minlength=n_groups)
    w = np.bincount(comp_group, comp_w, minlength=n_groups)
    per_min = np.floor(comp_w / lo + 1e-9) if lo > 0 else np.full(len(comp_w), 1e12)
    room = np.bincount(comp_group, np.minimum(per_min, 1e12), minlength=n_groups)
    over = (f == 0) & (w > k * hi + 1e-9)
    best = np.maximum(0, np.minimum(k - f - over, room))
    return in_band_fixed + int(best.sum())


def reported_band(weight: np.ndarray, params: PartitionParams) -> tuple[float, float]:
    """The band on the partition's own values that can report as within [min, max].

    Estimated households are fractions; the report rounds each area's total up or
    down (:mod:`eapart.rounding`), so an area of 63.5 may be reported as 64. With
    fractional weights the band is widened by one on each side, which keeps the
    ceiling an upper bound on the reported share; with whole weights it is exact.
    """
    whole = bool(np.all(np.mod(weight, 1.0) == 0))
    slack = 0.0 if whole else 1.0
    return max(params.min_size - slack, 0.0), params.max_size + slack


def _free_components(graph: CellGraph, weight: np.ndarray, group: np.ndarray,
                     free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weight and group of each weighted connected component of the free cells
    (edges within one group only)."""
    e = graph.edges
    keep = free[e[:, 0]] & free[e[:, 1]] & (group[e[:, 0]] == group[e[:, 1]])
    n = graph.n
    adj = coo_array((np.ones(int(keep.sum())), (e[keep, 0], e[keep, 1])), shape=(n, n))
    n_comp, comp = csgraph.connected_components(adj, directed=False)
    comp_w = np.bincount(comp[free], weight[free], minlength=n_comp)
    comp_group = np.zeros(n_comp, dtype=np.int64)
    comp_group[comp] = group
    has = (np.bincount(comp[free], minlength=n_comp) > 0) & (comp_w > 0)
    return comp_w[has], comp_group[has]


def _fits_whole_number(weights: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """True where some whole ``k >= 1`` has ``k x lo <= weight <= k x hi``.

    >>> _fits_whole_number(np.array([50.0, 80, 100, 130, 200]), 64, 96).tolist()
    [False, True, False, True, True]
    """
    weights = np.asarray(weights, dtype=float)
    k = np.maximum(1, np.ceil(weights / hi - 1e-9))  # fewest parts none of which is over
    return k * lo <= weights + 1e-9


__all__ = ["band_ceiling"]
