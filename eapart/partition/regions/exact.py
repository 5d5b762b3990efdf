"""Exact re-cuts of small windows: the partitions that no spanning-tree cut reaches.

After single-cell moves and recombination (:mod:`eapart.partition.regions.recombine`), a
few parts of dense townships stay outside the band: a 52-household block whose
neighbours are 33 + 36, 31 + 41 and 88. What would fit them in is a new grouping
of the whole neighbourhood, which a cut of a random spanning tree of the union
rarely draws. A window here is a part outside the band, its neighbours and
theirs (parts outside the band first), at most :data:`MAX_CELLS` cells; its cells
are grouped again into as many connected parts, every one inside the band, by a
depth-first search over exact covers:

- the part that holds the lowest free cell is chosen among the connected sets of
  free cells containing it whose weight is inside the band, each set enumerated
  once (the exclusion scheme of Wernicke's ESU algorithm, "Efficient detection of
  network motifs", IEEE/ACM TCBB 3, 2006), pruned as soon as a set is above the
  maximum or would hold a major-barrier edge;
- a branch ends when the free cells left fall in pieces that cannot make the parts
  still to draw (each piece needs between ``w / max`` and ``w / min`` parts);
- among the covers found within :data:`STEP_BUDGET` steps the cheapest cut wins,
  so boundaries keep to roads where they can.

A window is re-cut only when every part of it lands in the band, so the number of
parts outside the band drops by at least one each time; the labels of the parts
are kept (each new part takes the old label it shares most weight with).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from eapart.partition.regions.band import EPS, Band
from eapart.partition.regions.recombine import part_state

#: Most cells a window may hold: the search grows with the cells. A window of two
#: rings of parts of one to four buildings holds twenty to forty; 56 cells fixed
#: no more parts on the default county and took 60% longer.
MAX_CELLS = 40
#: Connected sets tried per window before the search gives up.
STEP_BUDGET = 5000


def exact_round(
    adjacency: sparse.csr_array,
    weight: np.ndarray,
    labels: np.ndarray,
    band: Band,
    *,
    frozen_cell: np.ndarray,
    blocked_edges: tuple[np.ndarray, np.ndarray] | None,
    max_cells: int = MAX_CELLS,
    budget: int = STEP_BUDGET,
) -> tuple[np.ndarray, int]:
    """Re-cut disjoint windows around parts outside the band; new labels and windows kept.

    ``adjacency``: symmetric csr of cut costs, already restricted to edges a part
    may hold (same group); ``frozen_cell``: cells whose part never changes;
    ``blocked_edges``: (row, col) of the edges across a major barrier, which no part
    may hold. Labels keep their numbers; every part stays connected and non-empty.

    Three parts of 30, 60 + 50 and 40 + 40 + 40 on a path: one re-cut of two of
    them leaves one outside [64, 96]; the window of all three regroups them.

    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(sp.diags([1.0, 1.0], [-1, 1], shape=(6, 6)))
    >>> w = np.array([30.0, 60, 50, 40, 40, 40])
    >>> labels, kept = exact_round(path, w, np.array([0, 1, 1, 2, 2, 2]), Band(64, 96),
    ...                            frozen_cell=np.zeros(6, dtype=bool), blocked_edges=None)
    >>> kept, labels.tolist(), np.bincount(labels, w).tolist()
    (1, [1, 1, 0, 0, 2, 2], [90.0, 90.0, 80.0])
    """
    coo = adjacency.tocoo()
    edges = (coo.row.astype(np.int64), coo.col.astype(np.int64))
    st = part_state(edges, labels, weight, frozen_cell)
    outside = np.flatnonzero(~band.inside(st.weight) & ~st.fixed)
    if len(outside) == 0:
        return labels, 0
    members_of = _cells_by_part(labels, len(st.weight))
    n = len(labels)
    rows, cols = blocked_edges if blocked_edges is not None else ([], [])
    blocked = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    labels = labels.copy()
    used: set[int] = set()
    kept = 0
    order = outside[np.lexsort((outside, -band.excess(st.weight[outside])))]
    for p in order.tolist():
        if p in used:
            continue
        window = _window(p, st, band, used, max_cells)
        if window is None:
            continue
        cells = np.concatenate([members_of[q] for q in window])
        grouping = _solve(adjacency, weight, cells, len(window), band, blocked, budget)
        if grouping is None:  # nothing changed: its parts stay free for other windows
            continue
        used.update(window)
        labels[cells] = _keep_names(grouping, labels[cells], weight[cells], window)
        kept += 1
    return labels, kept


def _cells_by_part(labels: np.ndarray, k: int) -> list[np.ndarray]:
    """The cells of every part, in cell order."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(k)]


def _window(p: int, st, band: Band, used: set[int], max_cells: int) -> list[int] | None:
    """``p``, its neighbours and their neighbours, as many as fit, or None.

    Each ring adds its parts outside the band first, then the smallest; parts already in a
    window of this round, frozen parts and those that would pass ``max_cells`` are
    left out. None when the window's weight cannot make as many parts in the band.
    """
    window = [p]
    cells = st.n[p]
    nbrs = st.neighbours.get(p, [])
    second = [c for b in nbrs for c in st.neighbours.get(b, []) if c != p and c not in nbrs]
    ranked = sorted(set(nbrs), key=lambda q: (band.holds(st.w[q]), st.n[q], q))
    ranked += sorted(set(second), key=lambda q: (band.holds(st.w[q]), st.n[q], q))
    for q in ranked:
        if q in used or q in window or st.fixed[q] or cells + st.n[q] > max_cells:
            continue
        window.append(q)
        cells += st.n[q]
    if len(window) < 2 or not band.fits(sum(st.w[q] for q in window), len(window)):
        return None
    return window


def _solve(adjacency, weight, cells, k, band: Band, blocked: sparse.csr_array, budget: int):
    """Part ``0..k-1`` of each of ``cells``, every part connected and in the band, or None."""
    n = len(cells)
    sub = sparse.csr_array(adjacency[cells][:, cells])
    nbr = [sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tolist() for i in range(n)]
    cost = [sub.data[sub.indptr[i] : sub.indptr[i + 1]].tolist() for i in range(n)]
    # The window's own major-barrier pairs, in local numbers: no part may hold one.
    inner = sparse.coo_array(blocked[cells][:, cells])
    no_pair = set(zip(inner.row.tolist(), inner.col.tolist(), strict=True))
    w = weight[cells].astype(float).tolist()
    search = _CoverSearch(nbr, cost, w, band, no_pair, budget)
    search.run(k)
    if search.best is None:
        return None
    return np.asarray(search.best, dtype=np.int64)


class _CoverSearch:
    """Depth-first search over groupings of a window's cells into in-band parts."""

    def __init__(self, nbr, costs, w, band: Band, no_pair: set, budget: int):
        self.nbr, self.costs, self.w, self.band, self.no_pair = nbr, costs, w, band, no_pair
        self.part = [-1] * len(w)
        self.steps, self.budget = 0, budget
        self.best: list[int] | None = None
        self.best_cut = float("inf")

    def run(self, k: int) -> None:
        """Search for groupings into ``k`` parts; the cheapest cut found is ``best``."""
        self._cover(0, k, sum(self.w))

    def _cover(self, made: int, k: int, left_weight: float) -> None:
        free = [i for i, p in enumerate(self.part) if p < 0]
        if not free:
            if made == k:
                self._record()
            return
        if made == k or not self.band.fits(left_weight, k - made):
            return
        root = free[0]
        for members, total in self._sets(root):
            if self.steps > self.budget:
                return
            for i in members:
                self.part[i] = made
            if self._rest_can_make(k - made - 1):
                self._cover(made + 1, k, left_weight - total)
            for i in members:
                self.part[i] = -1

    def _sets(self, root: int):
        """Connected in-band sets of free cells holding ``root``, each once."""
        lo, hi = self.band.lo - EPS, self.band.hi + EPS
        part, nbr, w, no_pair = self.part, self.nbr, self.w, self.no_pair

        def grow(members: list[int], total: float, ext: list[int], banned: set[int]):
            self.steps += 1
            if total >= lo:
                yield members, total
            ext = list(ext)
            banned = set(banned)
            while ext:
                v = ext.pop()
                banned.add(v)
                new_total = total + w[v]
                if new_total > hi or any((v, m) in no_pair for m in members):
                    continue
                grown = members + [v]
                inside = set(grown)
                more = [x for x in nbr[v] if part[x] < 0 and x not in inside
                        and x not in banned and x not in ext]
                yield from grow(grown, new_total, ext + more, banned)
                if self.steps > self.budget:
                    return

        if w[root] > hi:
            return
        start = [x for x in nbr[root] if part[x] < 0 and x != root]
        yield from grow([root], w[root], sorted(set(start)), {root})

    def _rest_can_make(self, parts_left: int) -> bool:
        """True when the free cells' pieces can still make ``parts_left`` in-band parts."""
        free = [i for i, p in enumerate(self.part) if p < 0]
        seen: set[int] = set()
        low = high = 0
        for s in free:
            if s in seen:
                continue
            stack, total = [s], 0.0
            seen.add(s)
            while stack:
                u = stack.pop()
                total += self.w[u]
                for x in self.nbr[u]:
                    if self.part[x] < 0 and x not in seen:
                        seen.add(x)
                        stack.append(x)
            fewest = int(np.ceil(total / self.band.hi - EPS))
            most = int(np.floor(total / self.band.lo + EPS)) if self.band.lo > 0 else len(free)
            if fewest > most or most == 0:
                return False
            low, high = low + max(fewest, 1), high + most
        return low <= parts_left <= high

    def _record(self) -> None:
        """Keep the current grouping when its cut is the cheapest so far."""
        part = self.part
        cut = sum(
            c
            for u, (vs, cs) in enumerate(zip(self.nbr, self.costs, strict=True))
            for v, c in zip(vs, cs, strict=True)
            if part[v] != part[u]
        )
        if cut < self.best_cut:
            self.best, self.best_cut = list(self.part), cut


def _keep_names(grouping, old, weight, window) -> np.ndarray:
    """Old part labels for the new groups: each takes the label it shares most weight with."""
    k = len(window)
    index = {q: i for i, q in enumerate(window)}
    old_local = np.array([index[int(o)] for o in old.tolist()])
    share = np.zeros((k, k))
    np.add.at(share, (grouping, old_local), weight + 1e-6)
    name = np.full(k, -1, dtype=np.int64)
    taken = np.zeros(k, dtype=bool)
    for g in np.argsort(-share.max(axis=1), kind="stable").tolist():
        choices = np.argsort(-share[g], kind="stable")
        o = next(int(c) for c in choices if not taken[c])
        name[g], taken[o] = o, True
    return np.asarray(window, dtype=np.int64)[name[grouping]]
