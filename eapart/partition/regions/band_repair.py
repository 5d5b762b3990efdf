"""Band repair: move boundary cells so that more small areas land inside [min, max].

The partitioner balances parts around their mean weight; what a census office counts
is how many small areas fall inside the [min, max] band. With atomic buildings of
tens of households, a part just outside the band often has a neighbour that can
give or take one cell and stay inside it. :func:`repair_band` makes such moves:

- a cell moves from part ``a`` to a neighbouring part ``b`` when that raises the
  number of the two parts inside the band, or keeps it and lowers their total
  distance outside it (so the objective only ever improves, and the loop ends);
- the part left behind must stay connected (breadth-first search over its cells)
  and keep at least one cell;
- a cell never moves across a major barrier: every edge between it and its new
  part must be an open edge, so no repair makes a major road run through an area;
- among equal moves, the one whose cell shares the most cut cost with its new part
  goes first (it keeps areas compact).

When single moves run out (dense townships: parts of one to three cells of 30-90
households), a part still outside the band is cut again together with one or two
neighbours (:mod:`eapart.partition.regions.recombine`), which reaches what swaps and chains
of moves would; where that fails too, the part and two rings of its neighbours are
regrouped exactly (:mod:`eapart.partition.regions.exact`), keeping their number. A cell
heavier than ``max_size`` stays a part of its own and counts as inside (nothing
can shrink it). Only cells marked ``movable`` move, and only between parts of the
same ``group`` (census area) when groups are given.

Last, with a ``tight`` band (target +/-11%), parts are drawn towards it without any
leaving [min, max]: single moves that keep the band score, then exact regrouping of
small windows around parts outside the tight band that brings more of them inside
it (:func:`_tighten`).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from eapart.partition.regions.band import EPS, Band
from eapart.partition.regions.exact import exact_round
from eapart.partition.regions.recombine import OptionCache, recombine_round
from eapart.partition.regions.refine import move_cell, stays_connected

#: Most cells of a window regrouped towards the tight band: its search costs more
#: per cell than the band's (most windows are proved to have no better grouping).
#: On the default county (jobs 1, summed over its 20 townships) 16 cells bring
#: +/-11% from 70.8% to 78.3% for about 1.2 s more CPU in cut_small_areas (9.5 s),
#: 20 cells to 80.0% for about 2.7 s, 28 cells to 80.8% for about 10 s.
TIGHT_CELLS = 16
#: Rounds of exact regrouping towards the tight band: the first brings most (20 cells,
#: a +/-10% band: 76.3% within +/-11% after one round, 78.3% after two, 79.0% after
#: thirty, for twice the CPU of two).
TIGHT_ROUNDS = 2


def _candidates(src, dst, cost, labels, weight, part_weight, part_size, movable, lo, hi,
                tight: Band | None = None):
    """Moves ``(cell, to_part)`` that improve the band score, best first.

    With a ``tight`` band, a move that leaves the band score as it is may still go
    when it brings more of the two parts inside ``tight`` (or, as many, nearer it).
    """
    a, b = labels[src], labels[dst]
    ok = np.flatnonzero(a != b)  # the edges between parts (few), then the rest of the test
    ok = ok[movable[src[ok]] & movable[dst[ok]] & (part_size[a[ok]] > 1)]
    u, a, b, c = src[ok], a[ok], b[ok], cost[ok]
    if len(u) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    n_parts = len(part_weight)
    key = u * n_parts + b
    uniq, inv = np.unique(key, return_inverse=True)
    share = np.bincount(inv, c)
    u, b = uniq // n_parts, uniq % n_parts
    a = labels[u]
    w = weight[u]
    wa, wb = part_weight[a], part_weight[b]
    heavy_a = (part_size[a] == 1) & (wa > hi)  # only a heavy cell alone: it never moves
    band = Band(lo, hi)

    def inside(x: np.ndarray) -> np.ndarray:
        return band.inside(x).astype(np.int64)

    before = inside(wa) + inside(wb) + heavy_a
    after = inside(wa - w) + inside(wb + w)
    ex_before = band.excess(wa) * ~heavy_a + band.excess(wb)
    ex_after = band.excess(wa - w) + band.excess(wb + w)
    d_count = after - before
    d_excess = ex_after - ex_before
    good = (d_count > 0) | ((d_count == 0) & (d_excess < -EPS))
    keys = [u, -share, d_excess, -d_count]
    if tight is not None:
        t_count = (tight.inside(wa - w).astype(np.int64) + tight.inside(wb + w)
                   - tight.inside(wa) - tight.inside(wb))
        t_excess = (tight.excess(wa - w) + tight.excess(wb + w)
                    - tight.excess(wa) - tight.excess(wb))
        level = (d_count == 0) & (np.abs(d_excess) <= EPS)
        good |= level & ((t_count > 0) | ((t_count == 0) & (t_excess < -EPS)))
        keys = [u, -share, t_excess, -t_count, d_excess, -d_count]
    order = np.lexsort([k[good] for k in keys])
    return np.column_stack([u[good], b[good]])[order]


def repair_band(
    adjacency: sparse.csr_array,
    weight: np.ndarray,
    labels: np.ndarray,
    min_size: float,
    max_size: float,
    *,
    movable: np.ndarray | None = None,
    blocked: sparse.csr_array | None = None,
    group: np.ndarray | None = None,
    max_rounds: int = 30,
    recombine_rounds: int = 30,
    resize: bool = False,
    seed: int = 0,
    tight: tuple[float, float] | None = None,
) -> np.ndarray:
    """Bring more parts into the band: single-cell moves, then re-cuts of neighbours.

    ``adjacency``: symmetric csr matrix of cut costs between cells; ``weight``: per
    cell; ``labels``: contiguous parts ``0..k-1``. ``movable``: cells allowed to move
    (and to receive: a cell of an immovable part is never a neighbour to join).
    ``blocked``: symmetric matrix whose non-zeros are edges across a major barrier.
    ``group``: per cell, the parent a part must stay inside (edges between groups
    are ignored). A cell heavier than ``max_size`` stays a part of its own.
    ``recombine_rounds``: rounds of :func:`eapart.partition.regions.recombine.recombine_round`,
    then as many of :func:`eapart.partition.regions.exact.exact_round` at most (0: single
    moves only); ``resize``: recombination may also merge two parts or split one,
    so the number of parts may change, and exact regrouping (which keeps the
    count) is left out (off: a requested count is kept). ``tight``: a narrower
    ``(lo, hi)`` inside the band; once nothing more comes inside the band, single
    moves that keep the band score and exact regrouping of small windows go on
    bringing parts inside it (so areas sit near the target, not only inside the
    office's limits: :func:`_tighten`); it is the last step of the full
    repair, so single moves alone (``recombine_rounds`` 0) and ``resize`` skip it. Returns
    labels ``0..k'-1`` (the old order kept); every part stays connected and
    non-empty. Same inputs, same labels.

    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(sp.diags([1.0, 1.0], [-1, 1], shape=(4, 4)))
    >>> repair_band(path, np.array([50.0, 30, 40, 40]), np.array([0, 0, 0, 1]), 64, 96).tolist()
    [0, 0, 1, 1]
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    weight = np.asarray(weight, dtype=float)
    n = len(labels)
    if n == 0:
        return labels
    movable = np.ones(n, dtype=bool) if movable is None else np.asarray(movable, dtype=bool)
    # A cell above the maximum is an area of its own: it neither moves nor takes cells in.
    movable = movable & (weight <= max_size)
    adjacency = sparse.csr_array(adjacency)
    indptr, indices, data = adjacency.indptr, adjacency.indices, adjacency.data
    src = np.repeat(np.arange(n), np.diff(indptr))
    keep = np.ones(len(src), dtype=bool)
    if group is not None:
        keep &= group[src] == group[indices]
    e_src, e_dst, e_cost = src[keep], indices[keep], data[keep]
    blocked_edges = None
    if blocked is not None and blocked.nnz:
        bc = sparse.csr_array(blocked).tocoo()
        blocked_edges = (bc.row.astype(np.int64), bc.col.astype(np.int64))
    edges = (e_src, e_dst, e_cost)
    labels = _single_moves(adjacency, weight, labels, edges, movable, blocked_edges,
                           (min_size, max_size), max_rounds)
    if recombine_rounds <= 0:
        return labels
    own = sparse.csr_array((e_cost, (e_src, e_dst)), shape=(n, n))
    band = Band(float(min_size), float(max_size))
    refused: dict[tuple, int] = {}
    cache = OptionCache()
    rng = np.random.default_rng(int(seed))
    for _ in range(recombine_rounds):
        labels, tried, kept = recombine_round(
            own, weight, labels, band, frozen_cell=~movable, blocked_edges=blocked_edges,
            resize=resize, refused=refused, rng=rng, cache=cache,
        )
        if not tried:
            break
        if kept:
            labels = _single_moves(adjacency, weight, labels, edges, movable, blocked_edges,
                                   (min_size, max_size), max_rounds)
    if resize:
        return labels
    failed: set[tuple[int, bytes]] = set()  # windows no round can re-cut: searched once
    for _ in range(recombine_rounds):
        labels, kept = exact_round(own, weight, labels, band, frozen_cell=~movable,
                                   blocked_edges=blocked_edges, failed=failed)
        if not kept:
            break
    if tight is not None:
        labels = _tighten(adjacency, own, weight, labels, edges, movable, blocked_edges,
                          band, Band(*tight), max_rounds)
    return labels


def _tighten(adjacency, own, weight, labels, edges, movable, blocked_edges, band: Band,
             tight: Band, max_rounds: int) -> np.ndarray:
    """Bring more parts inside ``tight`` without taking any out of ``band``.

    Single moves that keep the band score, then :data:`TIGHT_ROUNDS` rounds of exact
    regrouping of windows of at most :data:`TIGHT_CELLS` cells around parts outside
    ``tight`` (every part of a window inside the band, more of them inside ``tight``
    than before: :func:`eapart.partition.regions.exact.exact_round`), then single
    moves again. Where parts are one to three cells of 30-60 households (the default
    county: 845 of the 863 parts inside +/-20% but outside +/-11% hold a cell wider
    than the +/-11% band) no single move helps; regrouping two rings of neighbours does.
    """
    def moves(current: np.ndarray) -> np.ndarray:
        return _single_moves(adjacency, weight, current, edges, movable, blocked_edges,
                             (band.lo, band.hi), max_rounds, tight=tight)

    labels = moves(labels)
    failed: set[tuple] = set()
    kept_any = False
    for _ in range(TIGHT_ROUNDS):
        labels, kept = exact_round(own, weight, labels, band, frozen_cell=~movable,
                                   blocked_edges=blocked_edges, failed=failed, tight=tight,
                                   max_cells=TIGHT_CELLS)
        if not kept:
            break
        kept_any = True
    return moves(labels) if kept_any else labels


def _single_moves(adjacency, weight, labels, edges, movable, blocked_edges, band, max_rounds,
                  tight: Band | None = None):
    """Rounds of improving single-cell moves, at most one move per part and round
    (``tight``: see :func:`_candidates`)."""
    indptr, indices = adjacency.indptr, adjacency.indices
    e_src, e_dst, e_cost = edges
    min_size, max_size = band
    labels = labels.copy()
    k = int(labels.max()) + 1
    for _ in range(max_rounds):
        part_weight = np.bincount(labels, weight, k)
        part_size = np.bincount(labels, minlength=k)
        moves = _candidates(e_src, e_dst, e_cost, labels, weight, part_weight, part_size,
                            movable, min_size, max_size, tight)
        no_go = _blocked_moves(blocked_edges, labels, k)
        accepted = 0
        touched = np.zeros(k, dtype=bool)
        for u, b in moves.tolist():  # Python ints: cheaper to index with, one by one
            a = labels[u]
            if touched[a] or touched[b] or part_size[a] <= 1:
                continue
            if no_go is not None and u * k + b in no_go:
                continue
            nbrs = indices[indptr[u] : indptr[u + 1]]
            if not (labels[nbrs] == b).any():  # it no longer touches the part it would join
                continue
            if not stays_connected(indptr, indices, labels, u, nbrs[labels[nbrs] == a]):
                continue
            move_cell(labels, part_weight, part_size, u, b, weight[u])
            touched[a] = touched[b] = True
            accepted += 1
        if accepted == 0:
            break
    return labels


def _blocked_moves(blocked_edges, labels: np.ndarray, k: int) -> set[int] | None:
    """Keys ``cell * k + part`` of moves that would put a major barrier inside ``part``."""
    if blocked_edges is None:
        return None
    row, col = blocked_edges
    return set((row * k + labels[col]).tolist())
