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

With a ``tight`` band inside the band (target +/-11%, what census offices compare),
the same search regroups windows around parts outside ``tight``: every part still
lands in the band, and a grouping is kept only when more of the window's parts lie
inside ``tight`` than before (the most found, then the cheapest cut). So the count in
the band never drops and the count in the tight band rises with every window kept.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from eapart.partition.regions.band import EPS, Band
from eapart.partition.regions.recombine import csr_edges, part_state

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
    failed: set[tuple] | None = None,
    tight: Band | None = None,
) -> tuple[np.ndarray, int]:
    """Re-cut disjoint windows around parts outside the band; new labels and windows kept.

    ``adjacency``: symmetric csr of cut costs, already restricted to edges a part
    may hold (same group); ``frozen_cell``: cells whose part never changes;
    ``blocked_edges``: (row, col) of the edges across a major barrier, which no part
    may hold. Labels keep their numbers; every part stays connected and non-empty.
    ``failed``: windows whose search found nothing, as (parts, cells in order); a
    window met again is skipped and new failures are added. The search depends only
    on the window's cells in order, its number of parts and the arguments here, so
    the set may be kept over rounds as long as ``adjacency``, ``weight``, ``band``,
    ``blocked_edges`` and ``budget`` stay the same (one repair keeps them).
    ``tight``: a band inside ``band``; windows then form around parts outside it, and
    a window is regrouped only when every part lands in ``band`` and more of them in
    ``tight`` than before (its key in ``failed`` holds the window's labels too: the
    same cells grouped otherwise may do better).

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
    st = part_state(csr_edges(adjacency), labels, weight, frozen_cell)
    aim = band if tight is None else tight
    outside = np.flatnonzero(~aim.inside(st.weight) & ~st.fixed)
    if len(outside) == 0:
        return labels, 0
    members_of = _cells_by_part(labels, len(st.weight))
    n = len(labels)
    rows, cols = blocked_edges if blocked_edges is not None else ([], [])
    blocked = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    graph, barriers = _Rows(adjacency), _Rows(blocked)
    labels = labels.copy()
    used: set[int] = set()
    kept = 0
    order = outside[np.lexsort((outside, -aim.excess(st.weight[outside])))]
    for p in order.tolist():
        if p in used:
            continue
        window = _window(p, st, band, used, max_cells, aim)
        if window is None:
            continue
        cells = np.concatenate([members_of[q] for q in window])
        key = (len(window), cells.tobytes())
        floor = None
        if tight is not None:  # the same cells grouped otherwise may do better: a new key
            floor = int(tight.inside(st.weight[window]).sum())
            if not fits_tight(band, tight, float(st.weight[window].sum()), len(window),
                              floor + 1):
                continue
            key += (labels[cells].tobytes(),)
        if failed is not None and key in failed:
            continue
        grouping = _solve(graph, weight, cells, len(window), band, barriers, budget,
                          tight, floor)
        if grouping is None:  # nothing changed: its parts stay free for other windows
            if failed is not None:
                failed.add(key)
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


def _window(p: int, st, band: Band, used: set[int], max_cells: int,
            aim: Band | None = None) -> list[int] | None:
    """``p``, its neighbours and their neighbours, as many as fit, or None.

    Each ring adds its parts outside ``aim`` (the band unless given) first, then the
    smallest; parts already in a window of this round, frozen parts and those that
    would pass ``max_cells`` are left out. None when the window's weight cannot make
    as many parts in the band.
    """
    aim = band if aim is None else aim
    window = [p]
    cells = st.n[p]
    nbrs = st.neighbours.get(p, [])
    second = [c for b in nbrs for c in st.neighbours.get(b, []) if c != p and c not in nbrs]
    ranked = sorted(set(nbrs), key=lambda q: (aim.holds(st.w[q]), st.n[q], q))
    ranked += sorted(set(second), key=lambda q: (aim.holds(st.w[q]), st.n[q], q))
    for q in ranked:
        if q in used or q in window or st.fixed[q] or cells + st.n[q] > max_cells:
            continue
        window.append(q)
        cells += st.n[q]
    if len(window) < 2 or not band.fits(sum(st.w[q] for q in window), len(window)):
        return None
    return window


class _Rows:
    """The rows of a csr matrix, read window by window without building sub-matrices.

    ``matrix[cells][:, cells]`` costs a millisecond of scipy's index checks and
    conversions per window, more than the search of most windows; gathering the
    rows' entries with numpy costs a tenth of that and keeps scipy's order (each
    row's entries in stored order, numbered by their place in ``cells``).
    """

    def __init__(self, matrix: sparse.csr_array):
        self.indptr = matrix.indptr.astype(np.int64)
        self.indices = matrix.indices.astype(np.int64)
        self.data = matrix.data
        self.local = np.full(matrix.shape[0], -1, dtype=np.int64)
        self.filled = np.diff(self.indptr) > 0  # rows with an entry

    def touches(self, cells: np.ndarray) -> bool:
        """True when one of ``cells`` has an entry (so :meth:`within` may find some)."""
        return bool(self.filled[cells].any())

    def within(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row bounds, columns (local numbers) and values of the entries among ``cells``."""
        start, stop = self.indptr[cells], self.indptr[cells + 1]
        length = stop - start
        flat = np.repeat(start - np.cumsum(length) + length, length) + np.arange(length.sum())
        self.local[cells] = np.arange(len(cells))
        col = self.local[self.indices[flat]]
        self.local[cells] = -1
        keep = col >= 0
        row = np.repeat(np.arange(len(cells)), length)[keep]
        bounds = np.searchsorted(row, np.arange(len(cells) + 1))
        return bounds, col[keep], self.data[flat[keep]]


def _solve(graph: _Rows, weight, cells, k, band: Band, barriers: _Rows, budget: int,
           tight: Band | None = None, floor: int | None = None):
    """Part ``0..k-1`` of each of ``cells``, every part connected and in the band, or None.

    ``graph``: the cut costs; ``barriers``: the major-barrier pairs, which no part may
    hold. With ``tight``: only a grouping with more than ``floor`` parts inside
    ``tight`` (the most found, then the cheapest cut) is returned.
    """
    bounds, col, data = graph.within(cells)
    col, data, bounds = col.tolist(), data.tolist(), bounds.tolist()
    nbr = [col[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    cost = [data[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    # The window's own major-barrier pairs, in local numbers: no part may hold one
    # (most windows have no cell on a major barrier: nothing to gather).
    no_pair: set[tuple[int, int]] = set()
    if barriers.touches(cells):
        bounds, col, _ = barriers.within(cells)
        row = np.repeat(np.arange(len(cells)), np.diff(bounds))
        no_pair = set(zip(row.tolist(), col.tolist(), strict=True))
    w = weight[cells].astype(float).tolist()
    search = _CoverSearch(nbr, cost, w, band, no_pair, budget, tight, floor)
    search.run(k)
    if search.best is None:
        return None
    return np.asarray(search.best, dtype=np.int64)


class _CoverSearch:
    """Depth-first search over groupings of a window's cells into in-band parts.

    Sets of cells are Python ints used as bit masks (bit ``i``: cell ``i``), so the
    membership tests of the search are single integer operations instead of set
    look-ups per cell. What the free cells' pieces can make depends only on which
    cells are free, so it is computed once per free set (:attr:`spans`).

    With a ``tight`` band the search maximises the parts inside it, then minimises
    the cut: a grouping counts only with more than ``floor`` of them, sets inside
    ``tight`` are drawn first, and a branch that can no longer reach the best count
    found is cut off.
    """

    def __init__(self, nbr, costs, w, band: Band, no_pair: set, budget: int,
                 tight: Band | None = None, floor: int | None = None):
        self.nbr, self.costs, self.w, self.band = nbr, costs, w, band
        n = len(w)
        self.near = [list(dict.fromkeys(vs)) for vs in nbr]  # neighbours in order, once each
        self.near_mask = [_mask(vs) for vs in self.near]
        # The same masks and weights keyed by a cell's bit: a flood fill or a sum over
        # a mask's bits reads them without working out each bit's cell number.
        self.near_of_bit = {1 << i: m for i, m in enumerate(self.near_mask)}
        self.w_of_bit = {1 << i: x for i, x in enumerate(w)}
        # Every (cell, neighbour, cost) entry in row order, for the cut of a grouping
        # (listed when the first grouping is found: most windows find none).
        self.entries: list[tuple[int, int, float]] | None = None
        self.no_pair_mask = [0] * n  # bit m of no_pair_mask[v]: (v, m) is a barrier pair
        for v, m in no_pair:
            self.no_pair_mask[v] |= 1 << m
        # Whole weights add up exactly in any order (below 2**53): a piece's total
        # may then be summed in cell order (see _piece_parts).
        self.whole = all(float(x).is_integer() for x in w) and sum(map(abs, w)) < 2.0**53
        self.drawn: list[int] = []  # the masks of the parts drawn so far, in order
        self.free = (1 << n) - 1
        self.spans: dict[int, tuple[int, int] | None] = {}  # free set -> parts range
        self.pieces: dict = {}  # piece -> the parts it can make
        self.steps, self.budget = 0, budget
        self.best: list[int] | None = None
        self.best_cut = float("inf")
        self.tight = tight
        # Band.holds of the tight band, its bounds worked out once (every set asks it).
        self.tight_lo, self.tight_hi = (0.0, 0.0) if tight is None else tight.limits()
        self.tight_bounds: dict[int, list[tuple[float, float]]] = {}  # see _tight_bounds
        # Tight parts a grouping needs to count: above ``floor``, then the best found.
        self.need = 0 if floor is None else floor + 1
        self.best_tight = -1

    def run(self, k: int) -> None:
        """Search for groupings into ``k`` parts; the best found is ``best``."""
        self._cover(0, k, sum(self.w), 0)

    def _cover(self, made: int, k: int, left_weight: float, in_tight: int) -> None:
        free = self.free
        if not free:
            if made == k:
                self._record(in_tight)
            return
        if made == k or not self.band.fits(left_weight, k - made):
            return
        root = (free & -free).bit_length() - 1  # the lowest free cell
        parts_left = k - made - 1
        # Band.fits(weight, parts_left) for every set below, its bounds worked out once.
        least, most = self.band.limits(parts_left)
        drawn, spans, tight = self.drawn, self.spans, self.tight
        tight_lo, tight_hi = self.tight_lo, self.tight_hi
        bounds = None if tight is None else self._tight_bounds(parts_left)
        budget = self.budget
        for mask, total in self._ranked_sets(root):
            if self.steps > budget:
                return
            t = 0 if tight is None else (1 if tight_lo <= total <= tight_hi else 0)
            if in_tight + t + parts_left < self.need:
                continue
            rest = free & ~mask
            # The call below would return at once: skip it (and the pieces of ``rest``).
            if rest and (parts_left == 0 or not least <= left_weight - total <= most):
                continue
            if rest and bounds is not None:  # fits_tight(band, tight, ..., need - in_tight - t)
                low, high = bounds[min(max(self.need - in_tight - t, 0), parts_left)]
                if not low <= left_weight - total <= high:
                    continue
            span = spans.get(rest, False)
            if span is False:
                span = spans[rest] = self._span(rest)
            if span is None or not span[0] <= parts_left <= span[1]:
                continue
            self.free = rest
            drawn.append(mask)
            self._cover(made + 1, k, left_weight - total, in_tight + t)
            drawn.pop()
            self.free = free

    def _tight_bounds(self, k: int) -> list[tuple[float, float]]:
        """The bounds :func:`fits_tight` tests for ``k`` parts, ``t`` of them tight, at
        index ``t`` (``0..k``): the same sums in the same order, worked out once per ``k``."""
        bounds = self.tight_bounds.get(k)
        if bounds is None:
            bounds = self.tight_bounds[k] = [tight_limits(self.band, self.tight, k, t)
                                             for t in range(k + 1)]
        return bounds

    def _ranked_sets(self, root: int):
        """The sets of :meth:`_sets`; with a tight band, those inside it first (stable)."""
        if self.tight is None:
            return self._sets(root)
        sets = list(self._sets(root))
        lo, hi = self.tight_lo, self.tight_hi
        inside = [s for s in sets if lo <= s[1] <= hi]
        if len(inside) == len(sets) or not inside:
            return sets
        return inside + [s for s in sets if not lo <= s[1] <= hi]

    def _sets(self, root: int):
        """Connected in-band sets of free cells holding ``root``, each once, with their
        weight, in depth-first order (as masks).

        A set grows by the last cell of its extension list; a cell tried and left out
        is banned for every set grown later from the same one, so no set is drawn
        twice. Each set grown counts a step; past the budget the search ends.
        """
        lo, hi = self.band.limits()
        near, near_mask, no_pair, w = self.near, self.near_mask, self.no_pair_mask, self.w
        free, budget = self.free, self.budget
        if w[root] > hi:
            return
        seed = 1 << root
        ext_mask = near_mask[root] & free & ~seed
        ext = _bits(ext_mask)
        # Steps are counted in a local between yields (the search below a yielded set
        # counts its own on ``self.steps``), stored back before every yield and return.
        steps = self.steps = self.steps + 1
        if steps > budget:
            return
        if w[root] >= lo:
            yield seed, w[root]
            steps = self.steps
        # The set being grown: its mask, weight, extension list, that list's mask and
        # the banned cells; the sets it grew from wait on ``stack`` in the same form.
        inside, total, banned = seed, w[root], seed
        stack: list[tuple] = []
        while True:
            if not ext:
                if not stack:
                    self.steps = steps
                    return
                inside, total, ext, ext_mask, banned = stack.pop()
                continue
            v = ext.pop()
            bit = 1 << v
            ext_mask ^= bit
            banned |= bit
            new_total = total + w[v]
            if new_total > hi or no_pair[v] & inside:
                continue
            stack.append((inside, total, ext, ext_mask, banned))
            inside |= bit
            total = new_total
            fresh = near_mask[v] & free & ~(inside | banned | ext_mask)
            if not fresh:
                ext = ext[:]
            elif fresh & (fresh - 1):  # several new cells, in the order of v's neighbours
                ext = ext + [x for x in near[v] if fresh >> x & 1]
                ext_mask |= fresh
            else:  # one new cell: the same list, without a comprehension's frame
                ext = ext + [fresh.bit_length() - 1]
                ext_mask |= fresh
            steps += 1
            if steps > budget:
                self.steps = steps
                return
            if total >= lo:
                self.steps = steps
                yield inside, total
                steps = self.steps  # the search below this set counted its own steps

    def _span(self, free: int) -> tuple[int, int] | None:
        """Fewest and most in-band parts the pieces of the ``free`` cells can make, or
        None when one piece can make none."""
        near_of_bit, pieces = self.near_of_bit, self.pieces
        n_free = free.bit_count()
        floor = self.band.lo > 0
        unseen = free
        low = high = 0
        while unseen:
            piece = frontier = unseen & -unseen  # grown from the lowest free cell
            unseen ^= piece  # the free cells not in a piece yet
            while frontier:
                reach = 0
                while frontier:
                    b = frontier & -frontier
                    reach |= near_of_bit[b]
                    frontier ^= b
                frontier = reach & unseen
                unseen ^= frontier
                piece |= frontier
            key = piece if floor else (piece, n_free)
            parts = pieces.get(key, False)
            if parts is False:
                parts = pieces[key] = self._piece_parts(piece, n_free)
            if parts is None:
                return None
            low, high = low + parts[0], high + parts[1]
        return low, high

    def _piece_parts(self, piece: int, n_free: int) -> tuple[int, int] | None:
        """Fewest (at least 1) and most in-band parts one connected ``piece`` can make,
        or None when it can make none (``n_free``: the most when the band has no floor).

        Whole weights add up exactly in any order; otherwise the weight is added in
        the order a depth-first search from the piece's lowest cell meets the cells,
        so a float total is the same on every run and machine.
        """
        if self.whole:
            w_of_bit = self.w_of_bit
            total = 0.0
            while piece:  # in cell order
                b = piece & -piece
                total += w_of_bit[b]
                piece ^= b
        else:
            total = self._piece_weight(piece)
        lo, hi = self.band.lo, self.band.hi
        fewest = math.ceil(total / hi - EPS)
        most = math.floor(total / lo + EPS) if lo > 0 else n_free
        if fewest > most or most == 0:
            return None
        return max(fewest, 1), most

    def _piece_weight(self, piece: int) -> float:
        """The weight of ``piece``, summed in depth-first order from its lowest cell."""
        near, near_mask, w = self.near, self.near_mask, self.w
        s = (piece & -piece).bit_length() - 1
        unseen = piece ^ (1 << s)
        stack, total = [s], 0.0
        while stack:
            u = stack.pop()
            total += w[u]
            reach = near_mask[u] & unseen
            if reach:
                unseen ^= reach
                stack.extend([x for x in near[u] if reach >> x & 1])
        return total

    def _record(self, in_tight: int = 0) -> None:
        """Keep the current grouping when it has more parts inside the tight band than
        the best so far, or as many with a cheaper cut (without a tight band: the cheapest)."""
        if in_tight < self.need:
            return
        part = [-1] * len(self.w)
        for p, mask in enumerate(self.drawn):
            for i in _bits(mask):
                part[i] = p
        if self.entries is None:
            self.entries = [(u, v, c) for u, (vs, cs) in enumerate(zip(self.nbr, self.costs,
                                                                        strict=True))
                            for v, c in zip(vs, cs, strict=True)]
        cut = sum([c for u, v, c in self.entries if part[v] != part[u]])
        if in_tight > self.best_tight or cut < self.best_cut:
            self.best, self.best_cut, self.best_tight = part, cut, in_tight
            self.need = in_tight


def fits_tight(band: Band, tight: Band, total: float, k: int, t: int) -> bool:
    """True when ``total`` could make ``k`` parts inside ``band`` of which ``t`` (or more)
    lie inside ``tight`` (a band inside ``band``).

    More tight parts only narrow the weights ``k`` parts can sum to, so ``t`` of them
    is the loosest case to test.

    >>> fits_tight(Band(62, 94), Band(70, 86), 135.0, 2, 2), fits_tight(
    ...     Band(62, 94), Band(70, 86), 135.0, 2, 1)
    (False, True)
    """
    least, most = tight_limits(band, tight, k, t)
    return least <= total <= most


def tight_limits(band: Band, tight: Band, k: int, t: int) -> tuple[float, float]:
    """The least and most ``k`` parts inside ``band`` weigh when ``t`` (or more) of
    them lie inside ``tight``, EPS included (:func:`fits_tight` as two numbers)."""
    t = min(max(t, 0), k)
    return (t * tight.lo + (k - t) * band.lo - EPS, t * tight.hi + (k - t) * band.hi + EPS)


def _bits(mask: int) -> list[int]:
    """The cell numbers of a bit mask, in increasing order."""
    cells = []
    while mask:
        low = mask & -mask
        cells.append(low.bit_length() - 1)
        mask ^= low
    return cells


def _mask(cells) -> int:
    """The bit mask of a collection of cell numbers."""
    mask = 0
    for c in cells:
        mask |= 1 << c
    return mask


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
