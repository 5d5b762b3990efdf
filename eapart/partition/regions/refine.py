"""Boundary refinement: move single nodes between neighbouring parts.

In the spirit of AZP (Openshaw, "A geographical solution to scale and aggregation
problems in region-building, partitioning and spatial modelling", Transactions of
the Institute of British Geographers 2, 1977) and Kernighan and Lin ("An efficient
heuristic procedure for partitioning graphs", Bell System Technical Journal 49,
1970): a node on a part's boundary moves to a neighbouring part when that lowers the
objective, and never when it would disconnect the part it leaves.

The objective is lexicographic:

0. with an absolute ``band=(min, max)`` (a census office's limits), the number of
   parts outside it, and then item 1 measures the distance outside the band;
1. the total excess weight outside ``target * (1 +/- tolerance)``, summed over
   parts and measured in units of each part's target (balance first);
2. the sum of squared deviations outside a narrow ``inner`` band: convex, so
   weight diffuses from heavy parts through their neighbours to light ones even
   when no single move brings a part back inside the tolerance;
3. the total cost of edges between parts (boundaries along cheap barrier edges,
   short boundaries: compact parts). Nodes of zero weight, and parts inside the
   inner band, move for this alone.

Candidate moves are scored for every boundary node at once with numpy; the
accepted ones are applied one by one, each re-checked against the current state,
with a breadth-first connectivity test on the small part it leaves.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy import sparse

from eapart.partition.regions.band import EPS, Band


def refine_boundaries(
    adjacency: sparse.csr_array,
    weights: np.ndarray,
    labels: np.ndarray,
    targets: np.ndarray,
    *,
    movable: np.ndarray | None = None,
    tolerance: float = 0.18,
    inner: float = 0.1,
    band: tuple[float, float] | None = None,
    max_rounds: int = 30,
) -> np.ndarray:
    """Improve a contiguous partition by single-node moves; return new labels.

    ``targets[p]`` is the wanted weight of part ``p``; ``movable`` masks the nodes
    allowed to move (pinned group nodes are not). ``band``: the absolute weights
    ``(min, max)`` a part should have; when given, the objective counts parts inside
    it first, then their distance outside it (instead of ``tolerance`` around each
    target), so a census area whose mean part lies near the band's edge still has
    its parts pushed inside. Every part stays connected and non-empty. Stops when a
    round accepts no move, or after ``max_rounds`` rounds.

    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(sp.diags([1.0, 1.0], [-1, 1], shape=(4, 4)))
    >>> refine_boundaries(path, np.ones(4), np.array([0, 0, 0, 1]), np.array([2.0, 2.0])).tolist()
    [0, 0, 1, 1]
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    weights = np.asarray(weights, dtype=float)
    targets = np.asarray(targets, dtype=float)
    n = adjacency.shape[0]
    movable = np.ones(n, dtype=bool) if movable is None else np.asarray(movable, dtype=bool)
    adjacency = sparse.csr_array(adjacency)
    indptr, indices, data = adjacency.indptr, adjacency.indices, adjacency.data
    src = np.repeat(np.arange(n), np.diff(indptr))
    row_start = indptr.tolist()
    k = len(targets)
    for _ in range(max_rounds):
        part_weight = np.bincount(labels, weights, k)
        part_size = np.bincount(labels, minlength=k)
        moves = _candidate_moves(src, indices, data, labels, weights, part_weight, targets,
                                 (tolerance, inner, band), movable)
        accepted = 0
        moved = np.zeros(n, dtype=bool)
        for u, b in moves:
            a = labels[u]
            if moved[u] or part_size[a] <= 1:
                continue
            lo, hi = row_start[u], row_start[u + 1]
            nbrs = indices[lo:hi]
            nl = labels[nbrs]
            in_a, in_b = nl == a, nl == b
            if not in_b.any():  # its neighbour in b has moved away this round
                continue
            cost = data[lo:hi]
            cut_delta = float(cost[in_a].sum() - cost[in_b].sum())
            count, exc, quad = _balance_delta_one(float(part_weight[a]), float(part_weight[b]),
                                                  float(targets[a]), float(targets[b]),
                                                  (tolerance, inner, band), float(weights[u]))
            if not _improves(count, exc, quad, cut_delta):
                continue
            if not stays_connected(indptr, indices, labels, u, nbrs[in_a]):
                continue
            move_cell(labels, part_weight, part_size, u, b, weights[u])
            moved[u] = True
            accepted += 1
        if accepted == 0:
            break
    return labels


def _outside(w, t, band: float, power: int):
    """Deviation of ``w`` beyond ``t * (1 +/- band)``, in units of ``t``, to ``power``."""
    t = np.asarray(t, dtype=float)
    t_safe = np.where(t > 0, t, 1.0)
    return (np.maximum(np.abs(np.asarray(w) - t) - band * t, 0.0) / t_safe) ** power


def _beyond(w, t, band: tuple[float, float]):
    """Distance of ``w`` outside the absolute ``band``, in units of ``t``."""
    t = np.asarray(t, dtype=float)
    return Band(*band).excess(w) / np.where(t > 0, t, 1.0)


def _balance_delta(part_weight, targets, bands, a, b, w):
    """Change of (parts outside, excess, squared inner deviation) when weight ``w`` moves
    from ``a`` to ``b``.

    ``bands``: ``(tolerance, inner, absolute)``. Without an absolute band the count
    is always 0 and the excess is measured outside ``target * (1 +/- tolerance)``.
    ``a``, ``b`` and ``w`` are arrays of moves (or scalars).
    """
    tolerance, inner, absolute = bands
    wa, wb, ta, tb = part_weight[a], part_weight[b], targets[a], targets[b]
    # The terms of the parts as they are: once per part, then looked up per move.
    quad_now = _outside(part_weight, targets, inner, 2)
    quad = (_outside(wa - w, ta, inner, 2) + _outside(wb + w, tb, inner, 2)
            - quad_now[a] - quad_now[b])
    if absolute is None:
        exc_now = _outside(part_weight, targets, tolerance, 1)
        exc = (_outside(wa - w, ta, tolerance, 1) + _outside(wb + w, tb, tolerance, 1)
               - exc_now[a] - exc_now[b])
        return np.zeros_like(exc), exc, quad
    now = _beyond(part_weight, targets, absolute)
    before = [now[a], now[b]]
    after = [_beyond(wa - w, ta, absolute), _beyond(wb + w, tb, absolute)]
    count = ((after[0] > EPS).astype(np.int64) + (after[1] > EPS)
             - (before[0] > EPS) - (before[1] > EPS))
    return count, after[0] + after[1] - before[0] - before[1], quad


def _outside_one(w: float, t: float, band: float, power: int) -> float:
    """:func:`_outside` of one weight, on Python floats."""
    v = max(abs(w - t) - band * t, 0.0) / (t if t > 0 else 1.0)
    return v * v if power == 2 else v


def _beyond_one(w: float, t: float, band: tuple[float, float]) -> float:
    """:func:`_beyond` of one weight, on Python floats."""
    lo, hi = band
    return (max(lo - w, 0.0) + max(w - hi, 0.0)) / (t if t > 0 else 1.0)


def _balance_delta_one(wa: float, wb: float, ta: float, tb: float, bands,
                       w: float) -> tuple[int, float, float]:
    """:func:`_balance_delta` of one move (parts of weights ``wa``, ``wb`` and targets
    ``ta``, ``tb``), on Python floats: the same operations in the same order, so the
    same values, without numpy's cost per scalar call (the move loop asks it once per
    candidate)."""
    tolerance, inner, absolute = bands
    quad = (_outside_one(wa - w, ta, inner, 2) + _outside_one(wb + w, tb, inner, 2)
            - _outside_one(wa, ta, inner, 2) - _outside_one(wb, tb, inner, 2))
    if absolute is None:
        exc = (_outside_one(wa - w, ta, tolerance, 1) + _outside_one(wb + w, tb, tolerance, 1)
               - _outside_one(wa, ta, tolerance, 1) - _outside_one(wb, tb, tolerance, 1))
        return 0, exc, quad
    before = (_beyond_one(wa, ta, absolute), _beyond_one(wb, tb, absolute))
    after = (_beyond_one(wa - w, ta, absolute), _beyond_one(wb + w, tb, absolute))
    count = (after[0] > EPS) + (after[1] > EPS) - (before[0] > EPS) - (before[1] > EPS)
    return count, after[0] + after[1] - before[0] - before[1], quad


def _improves(count, exc, quad, cut):
    """Lexicographic improvement test of (parts outside, excess, squared deviation, cut)."""
    return (count < 0) | ((count == 0) & (
        (exc < -EPS) | ((exc <= EPS) & (
            (quad < -EPS) | ((quad <= EPS) & (cut < -EPS))))))


def _candidate_moves(src, dst, cost, labels, weights, part_weight, targets, bands, movable):
    """Improving ``(node, to_part)`` moves for all boundary nodes, best first."""
    lu, lv = labels[src], labels[dst]
    k = len(targets)
    n = len(labels)
    inside = np.bincount(src[lu == lv], cost[lu == lv], n)
    cross = (lu != lv) & movable[src]
    if not cross.any():
        return []
    key = src[cross] * k + lv[cross]
    keys, inv = np.unique(key, return_inverse=True)
    to_b = np.bincount(inv, cost[cross], len(keys))
    u = keys // k
    b = keys % k
    a = labels[u]
    cut_delta = inside[u] - to_b
    count, exc, quad = _balance_delta(part_weight, targets, bands, a, b, weights[u])
    good = _improves(count, exc, quad, cut_delta)
    idx = np.flatnonzero(good)
    idx = idx[np.lexsort((u[idx], cut_delta[idx], quad[idx], exc[idx], count[idx]))]
    return list(zip(u[idx].tolist(), b[idx].tolist(), strict=True))


def move_cell(labels: np.ndarray, part_weight: np.ndarray, part_size: np.ndarray,
              u: int, to: int, weight: float) -> None:
    """Move node ``u`` into part ``to``, keeping the parts' weights and sizes in step."""
    source = labels[u]
    labels[u] = to
    part_weight[source] -= weight
    part_weight[to] += weight
    part_size[source] -= 1
    part_size[to] += 1


def stays_connected(
    indptr: np.ndarray, indices: np.ndarray, labels: np.ndarray, u: int, same: np.ndarray
) -> bool:
    """True when ``u``'s part stays connected once ``u`` leaves it.

    ``indptr``/``indices``: the csr structure of the graph; ``labels``: the part of
    every node; ``same``: ``u``'s neighbours in its own part. The test is a
    breadth-first search inside the part from one of them, stopping as soon as all
    of them are reached, so it costs only the part's size (parts are small), not
    the graph's. Every single-node move of refinement and band repair asks it
    before moving ``u``, which is what keeps every part connected.

    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(sp.diags([1.0, 1.0], [-1, 1], shape=(3, 3)))
    >>> labels = np.zeros(3, dtype=np.int64)
    >>> stays_connected(path.indptr, path.indices, labels, 1, np.array([0, 2]))
    False
    >>> stays_connected(path.indptr, path.indices, labels, 0, np.array([1]))
    True
    """
    if len(same) <= 1:
        return True
    part = labels[u]
    targets = set(same.tolist())
    start = int(same[0])
    seen = {u, start}
    queue = deque([start])
    targets.discard(start)
    while queue and targets:
        v = queue.popleft()
        for x in indices[indptr[v] : indptr[v + 1]].tolist():
            if x not in seen and labels[x] == part:
                seen.add(x)
                targets.discard(x)
                queue.append(x)
    return not targets
