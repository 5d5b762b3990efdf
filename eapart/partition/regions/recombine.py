"""Recombination: cut two or three neighbouring parts again, together, to fit the band.

Single-cell moves run out in dense townships, where a part is one to three cells
of 30-90 households: no one cell can pass between two parts without pushing one of
them out of [min, max]. Re-cutting the union of a part outside the band and its
neighbours reaches what chains of moves and swaps would, in one step. It is the
move of GerryChain's ReCom chain (DeFord, Duchin and Solomon, "Recombination: a
family of Markov chains for redistricting", Harvard Data Science Review, 2021):
merge neighbouring parts, draw spanning trees of the union, cut the tree edges
whose sides land in the band. Both sides of a tree edge are connected, so every
new part is connected by construction.

Each round gives every part outside the band one option (a union and a number of
parts for it), all options of a round disjoint, and cuts all of them with one
vectorised call of :func:`eapart.partition.regions.spanning.bisect_pieces`. An option is
kept only when it leaves fewer parts outside the band (or as many, closer to it),
and no more major-barrier edges inside parts than before. When ``resize`` is set
the number of parts may change: two undersize neighbours whose sum fits merge, and
a part heavy enough for two (or three) in-band parts is split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from eapart.partition.regions.band import EPS, Band
from eapart.partition.regions.refine import refine_boundaries
from eapart.partition.regions.spanning import BisectionOptions, bisect_pieces


@dataclass
class PartState:
    """Part weights, sizes and neighbours of the current labels.

    ``w``, ``n`` and ``first``: the same weights, sizes and first cells as Python
    lists, for the scalar look-ups of option ranking (numpy scalars are slow there).
    """

    weight: np.ndarray
    size: np.ndarray
    first_cell: np.ndarray
    fixed: np.ndarray
    neighbours: dict[int, list[int]]
    w: list[float]
    n: list[int]
    first: list[int]


def csr_edges(adjacency: sparse.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (int64) of every stored entry of ``adjacency``, in stored order."""
    rows = np.repeat(np.arange(adjacency.shape[0], dtype=np.int64), np.diff(adjacency.indptr))
    return rows, adjacency.indices.astype(np.int64)


def part_state(edges: tuple[np.ndarray, np.ndarray], labels, weight, frozen_cell) -> PartState:
    """Weights, frozen parts and the neighbour lists of every part (one vectorised pass)."""
    k = int(labels.max()) + 1
    pw = np.bincount(labels, weight, k)
    size = np.bincount(labels, minlength=k)
    first_cell = np.full(k, len(labels), dtype=np.int64)
    np.minimum.at(first_cell, labels, np.arange(len(labels)))
    fixed = np.bincount(labels, frozen_cell, k) > 0
    la, lb = labels[edges[0]], labels[edges[1]]
    keep = (la != lb) & ~fixed[la] & ~fixed[lb]
    pairs = _sorted_unique(la[keep] * k + lb[keep])
    a, b = pairs // k, pairs % k
    starts = np.searchsorted(a, np.arange(k + 1)).tolist()
    b_list = b.tolist()
    neighbours = {p: b_list[starts[p] : starts[p + 1]] for p in _sorted_unique(a).tolist()}
    return PartState(pw, size, first_cell, fixed, neighbours, pw.tolist(), size.tolist(),
                  first_cell.tolist())


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by a sort: numpy 2's hash-based unique of plain values is
    many times slower on these arrays (9.8 ms against 0.4 ms for 40,000 pair keys)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


#: The rank of the path option (see :func:`_wider_options`).
PATH_RANK = 5.0


def _options(
    p: int, st: PartState, band: Band, resize: bool
) -> Iterator[tuple[tuple[int, ...], int]]:
    """Ranked ways to re-cut part ``p`` (outside the band): (parts of the union, new count),
    best first.

    Generated lazily: the pairs and single splits ranked below 4 come before every
    triple (4 to 5), path (5) and ring (6), so those are only worked out for a part
    whose pairs are all taken or refused; the breadth-first search of the path, the
    dearest of them, only once every option ranked below it is too. Options are in
    ``(rank, members)`` order, so those ranked below the path come first whatever
    their members.
    """
    pairs = _pair_options(p, st, band, resize)
    yield from _feasible([o for o in pairs if o[0] < 4], st)
    rest = [o for o in pairs if o[0] >= 4] + _wider_options(p, st, band)
    yield from _feasible([o for o in rest if o[0] < PATH_RANK], st)
    later = [o for o in rest if o[0] >= PATH_RANK]
    path = _path_to_partner(p, st, band)
    if path is not None:
        later.append((PATH_RANK, path, len(path)))
    yield from _feasible(later, st)


def _feasible(ranked: list[tuple[float, tuple[int, ...], int]], st: PartState):
    """``(members, count)`` of options by rank (ties by members), each union having at least
    as many cells as parts."""
    ranked.sort(key=lambda o: (o[0], o[1]))
    n = st.n
    for _, members, k in ranked:
        if sum([n[q] for q in members]) >= k:
            yield members, k


def _pair_options(p: int, st: PartState, band: Band, resize: bool):
    """Ranked re-cuts of ``p`` with one neighbour, and (with ``resize``) of ``p`` alone."""
    pw, mid = st.w, band.middle
    out: list[tuple[float, tuple[int, ...], int]] = []
    counts = (2, 1, 3) if resize else (2,)
    for b in st.neighbours.get(p, []):
        total = pw[p] + pw[b]
        b_out = not band.holds(pw[b])
        for k in counts:
            if band.fits(total, k):
                # Both outside first, then the count kept, then the nearest to the middle.
                rank = (0 if b_out else 2) + (0 if k == 2 else 1) + abs(total / k - mid) / mid
                out.append((rank, (p, b), k))
    if resize:
        for k in (2, 3):
            if band.fits(pw[p], k):
                out.append((1.5 + abs(pw[p] / k - mid) / mid, (p,), k))
    return out


def _wider_options(p: int, st: PartState, band: Band):
    """Ranked re-cuts of ``p`` with two others (the best four) and with its whole
    neighbourhood; the third kind, along a path to a partner (:func:`_path_to_partner`,
    rank :data:`PATH_RANK`), is left to :func:`_options`."""
    pw, mid = st.w, band.middle
    nbrs = st.neighbours.get(p, [])
    triples: list[tuple[float, tuple[int, ...], int]] = []
    near = set(nbrs)
    for i, b in enumerate(nbrs):
        for c in nbrs[i + 1 :] + [c for c in st.neighbours.get(b, []) if c != p and c not in near]:
            total = pw[p] + pw[b] + pw[c]
            if band.fits(total, 3):
                triples.append((4 + abs(total / 3 - mid) / mid, (p, b, c), 3))
    triples.sort()
    out = triples[:4]
    # The whole neighbourhood, cut again into as many parts: room for longer chains.
    ring = tuple([p] + nbrs)
    if len(nbrs) >= 3 and band.fits(sum(pw[q] for q in ring), len(ring)):
        out.append((6.0, ring, len(ring)))
    return out


#: How far (in parts) the options of a part reach: :func:`_path_to_partner` walks this
#: many rings of neighbours; pairs, triples and rings stay within two.
OPTION_REACH = 5


def _path_to_partner(p: int, st: PartState, band: Band, depth: int = OPTION_REACH):
    """The parts on a shortest path from ``p`` to the nearest other part outside the band
    with which the path's total fits as many parts, or None (breadth-first search)."""
    parent = {p: p}
    frontier = [p]
    for _ in range(depth):
        nxt = []
        for u in frontier:
            for v in st.neighbours.get(u, []):
                if v in parent:
                    continue
                parent[v] = u
                nxt.append(v)
        for v in nxt:
            if band.holds(st.w[v]):
                continue
            path = [v]
            while path[-1] != p:
                path.append(parent[path[-1]])
            if len(path) > 3 and band.fits(sum(st.w[q] for q in path), len(path)):
                return tuple(path[::-1])
        frontier = nxt
    return None


@dataclass
class OptionCache:
    """The options of parts, kept over the rounds of one repair while nothing near them
    changes.

    Most parts outside the band in the later rounds have had every option refused, yet
    each round worked all of them out again (pairs, triples, ring, path search and
    signatures) only to skip them. A part's options and their signatures depend only on
    the weights, sizes, first cells and neighbour lists of the parts within
    :data:`OPTION_REACH` of it, so they are kept until one of those changes.
    ``options[p]``: ``[members, count, signature or None]`` in the order
    :func:`_options` yields them (a signature is worked out when first needed).
    """

    state: PartState | None = None
    options: dict[int, list[list]] = field(default_factory=dict)

    def update(self, st: PartState) -> None:
        """Forget the options of every part within :data:`OPTION_REACH` of a part that
        changed since the last round (all of them when the number of parts changed)."""
        prev, self.state = self.state, st
        if not self.options:
            return
        if prev is None or len(prev.w) != len(st.w):
            self.options.clear()
            return
        changed = set(np.flatnonzero((prev.weight != st.weight) | (prev.size != st.size)
                                     | (prev.first_cell != st.first_cell)).tolist())
        old, new = prev.neighbours, st.neighbours
        changed.update(q for q in old.keys() | new.keys() if old.get(q) != new.get(q))
        frontier = list(changed)
        for _ in range(OPTION_REACH):  # the parts within reach, in the new part graph
            nxt = [v for u in frontier for v in new.get(u, []) if v not in changed]
            changed.update(nxt)
            frontier = nxt
        for q in changed:
            self.options.pop(q, None)


def _signature(members: tuple[int, ...], k: int, st: PartState) -> tuple:
    """What identifies an option across renumbering: its parts' first cells and weights.

    List comprehensions rather than generators: the same values (the weights summed in
    the members' order), at half the cost of the ~100 signatures a round asks for.
    """
    first, w = st.first, st.w
    return (tuple(sorted([first[q] for q in members])), k,
            round(sum([w[q] for q in members]), 6))


def _pick(outside: np.ndarray, st: PartState, band: Band, resize: bool, refused: dict,
          cache: OptionCache | None = None):
    """One option per part outside the band, no part in two options (deterministic).

    An option refused once (same parts, same weights) is not tried again. ``cache``:
    the options of parts that found none to try in an earlier round, read from there
    while still valid (:class:`OptionCache`); the options of a part that finds none
    now are kept in it. Returns ``(part, members, count, signature)`` tuples.
    """
    used: set[int] = set()
    picks: list[tuple[int, tuple[int, ...], int, tuple]] = []
    kept = {} if cache is None else cache.options
    # Worst first: the parts farthest outside the band choose before the others.
    order = outside[np.lexsort((outside, -band.excess(st.weight[outside])))]
    for p in order.tolist():
        known = kept.get(p)
        seen: list[list] = []
        for option in known if known is not None else _listed(_options(p, st, band, resize),
                                                             seen):
            members, k, sig = option
            if not used.isdisjoint(members):
                continue
            if sig is None:
                sig = option[2] = _signature(members, k, st)
            if sig in refused:
                continue
            used.update(members)
            picks.append((p, members, k, sig))
            break
        else:
            if known is None and cache is not None:
                kept[p] = seen
    return picks


def _listed(options: Iterator[tuple[tuple[int, ...], int]], seen: list[list]):
    """The options as ``[members, count, None]`` lists, each also appended to ``seen``."""
    for members, k in options:
        option = [members, k, None]
        seen.append(option)
        yield option


def _union_graph(adjacency: sparse.csr_array, edges: tuple[np.ndarray, np.ndarray],
                 nodes: np.ndarray, piece: np.ndarray) -> sparse.csr_array:
    """The edges of ``adjacency`` (whose rows and columns are ``edges``) with both ends
    in ``nodes`` (ascending) and in one piece, renumbered ``0..len(nodes)-1`` (canonical
    csr).

    One pass over the edge list instead of scipy's row and column indexing, shared by
    the cut and the polish of a round. Renumbering ascending nodes keeps the order of a
    canonical matrix's entries, so its kept entries are already a canonical csr
    matrix's arrays: no sort by coordinates, which the general case needs.
    """
    m = len(nodes)
    at = np.full(adjacency.shape[0], -1, dtype=np.int64)
    at[nodes] = np.arange(m)
    row, col = at[edges[0]], at[edges[1]]
    keep = (row >= 0) & (col >= 0)
    keep[keep] = piece[row[keep]] == piece[col[keep]]
    row, col, data = row[keep], col[keep], adjacency.data[keep]
    if not adjacency.has_canonical_format:
        return sparse.csr_array((data, (row, col)), shape=(m, m))
    indptr = np.zeros(m + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=m), out=indptr[1:])
    return sparse.csr_array((data, col.astype(np.int32), indptr), shape=(m, m))


def _cut(sub: sparse.csr_array, weight, piece, parts, rng, options: BisectionOptions):
    """Local part ``0..k-1`` of every node of ``sub`` (the unions' graph), cutting each
    piece into its number of parts."""
    _, piece = np.unique(piece, return_inverse=True)
    labels = bisect_pieces(sub, weight, piece, parts, rng=rng, options=options)
    # New parts are numbered over all pieces; rank them inside their own piece.
    pairs, inverse = np.unique(piece * (int(labels.max()) + 1) + labels, return_inverse=True)
    owner = pairs // (int(labels.max()) + 1)
    rank = np.arange(len(pairs)) - np.searchsorted(owner, owner)
    return rank[inverse]


def _polish(sub: sparse.csr_array, weight, piece, local, band: Band) -> np.ndarray:
    """Single-cell moves inside each union of ``sub`` after its cut, aiming at the band."""
    k_max = int(local.max()) + 1
    part = piece * k_max + local
    _, part = np.unique(part, return_inverse=True)
    targets = np.full(int(part.max()) + 1, band.middle)
    moved = refine_boundaries(sub, weight, part, targets, band=(band.lo, band.hi),
                              max_rounds=5)
    # Back to the local numbering: each part keeps its number inside its union.
    first = np.zeros(int(part.max()) + 1, dtype=np.int64)
    first[part] = local
    return first[moved]


def recombine_round(
    adjacency: sparse.csr_array,
    weight: np.ndarray,
    labels: np.ndarray,
    band: Band,
    *,
    frozen_cell: np.ndarray,
    blocked_edges: tuple[np.ndarray, np.ndarray] | None,
    resize: bool,
    refused: dict,
    rng: np.random.Generator,
    trees: int = 16,
    cache: OptionCache | None = None,
) -> tuple[np.ndarray, int, int]:
    """One round of recombination: new labels (parts ``0..k-1``), options tried and kept.

    ``adjacency``: symmetric csr of cut costs, already restricted to edges a part may
    hold (same group). ``frozen_cell``: cells whose part never changes (immovable
    cells, cells above the maximum). ``blocked_edges``: (row, col) of edges across a
    major barrier. ``refused``: how often each option was refused, updated in
    place so that later rounds try others. ``cache``: the parts' options kept from
    round to round of one repair (:class:`OptionCache`), for the same picks at less cost.

    A ring of four cells, 60-40-40-20: parts {0, 1} = 100 and {2, 3} = 60 are both
    outside [64, 96] and no single cell can pass; cut again, {0, 3} and {1, 2} fit.

    >>> import scipy.sparse as sp
    >>> a = np.arange(4)
    >>> ring = sp.csr_array((np.ones(8), (np.r_[a, (a + 1) % 4], np.r_[(a + 1) % 4, a])))
    >>> labels, tried, kept = recombine_round(
    ...     ring, np.array([60.0, 40, 40, 20]), np.array([0, 0, 1, 1]), Band(64, 96),
    ...     frozen_cell=np.zeros(4, dtype=bool), blocked_edges=None, resize=False,
    ...     refused={}, rng=np.random.default_rng(0))
    >>> bool(labels[0] == labels[3] != labels[1] == labels[2]), kept
    (True, 1)
    """
    edges = csr_edges(adjacency)
    st = part_state(edges, labels, weight, frozen_cell)
    outside = np.flatnonzero(~band.inside(st.weight) & ~st.fixed)
    if cache is not None:
        cache.update(st)
    picks = _pick(outside, st, band, resize, refused, cache)
    if not picks:
        return labels, 0, 0
    member_of = np.full(len(st.weight), -1, dtype=np.int64)
    for i, (_, members, _, _) in enumerate(picks):
        member_of[list(members)] = i
    nodes = np.flatnonzero(member_of[labels] >= 0)
    piece = member_of[labels[nodes]]
    counts = np.array([pick[2] for pick in picks], dtype=np.int64)
    local = np.zeros(len(nodes), dtype=np.int64)
    good = np.zeros(len(picks), dtype=bool)
    merge = counts == 1
    good[merge] = _verdicts(weight, labels, band, blocked_edges, st.weight, picks,
                            nodes, piece, local, np.flatnonzero(merge))
    todo = np.flatnonzero(~merge)
    # First the cheapest cut whose sides' mean parts fit the band; where that misses
    # it, the most balanced cut.
    for options in (BisectionOptions(trees=trees, tolerance=0.0, retries=0,
                                     limits=(band.lo, band.hi)),
                    BisectionOptions(trees=trees, tolerance=0.0, retries=0)):
        if len(todo) == 0:
            break
        mine = np.isin(piece, todo)
        sub = _union_graph(adjacency, edges, nodes[mine], piece[mine])
        trial = local.copy()
        try:
            trial[mine] = _cut(sub, weight[nodes[mine]], piece[mine], counts[todo], rng, options)
        except ValueError:  # no tree cut keeps every side whole: leave these unions be
            break
        trial[mine] = _polish(sub, weight[nodes[mine]], piece[mine], trial[mine], band)
        ok = _verdicts(weight, labels, band, blocked_edges, st.weight, picks,
                       nodes, piece, trial, todo)
        take = np.isin(piece, todo[ok])
        local[take] = trial[take]
        good[todo[ok]] = True
        todo = todo[~ok]
    for i in np.flatnonzero(~good).tolist():
        refused[picks[i][3]] = refused.get(picks[i][3], 0) + 1
    new = labels.copy()
    next_label = len(st.weight)
    for i in np.flatnonzero(good).tolist():
        _, members, k, _ = picks[i]
        extra = max(0, k - len(members))
        names = np.array(list(members[:k]) + list(range(next_label, next_label + extra)))
        next_label += extra
        mine = piece == i
        new[nodes[mine]] = names[local[mine]]
    return np.unique(new, return_inverse=True)[1].astype(np.int64), len(picks), int(good.sum())


def _verdicts(weight, labels, band: Band, blocked_edges, part_weight, picks,
              nodes, piece, local, which) -> np.ndarray:
    """For the picks ``which``: keep the re-cut when it leaves fewer parts outside the
    band (or as many, nearer to it), every new part non-empty, and no more
    major-barrier edges inside parts than before."""
    if len(which) == 0:
        return np.zeros(0, dtype=bool)
    n_picks = len(picks)
    k_max = max(pick[2] for pick in picks)
    key = piece * k_max + local
    new_w = np.bincount(key, weight[nodes], n_picks * k_max).reshape(n_picks, k_max)
    new_n = np.bincount(key, minlength=n_picks * k_max).reshape(n_picks, k_max)
    inner_before = inner_after = np.zeros(n_picks, dtype=np.int64)
    if blocked_edges is not None:
        row, col = blocked_edges
        pos = np.full(len(labels), -1, dtype=np.int64)
        pos[nodes] = np.arange(len(nodes))
        both = (pos[row] >= 0) & (pos[col] >= 0)
        r, c = pos[row[both]], pos[col[both]]
        same_piece = piece[r] == piece[c]
        r, c = r[same_piece], c[same_piece]
        inner_before = np.bincount(piece[r], labels[nodes[r]] == labels[nodes[c]], n_picks)
        inner_after = np.bincount(piece[r], local[r] == local[c], n_picks)
    which = np.asarray(which)
    chosen = [picks[i] for i in which.tolist()]
    k = np.array([pick[2] for pick in chosen], dtype=np.int64)
    new_in = np.arange(k_max) < k[:, None]
    whole = ~((new_n[which] == 0) & new_in).any(axis=1)
    fewer_barriers = inner_after[which] <= inner_before[which]
    members = [list(pick[1]) for pick in chosen]
    old_w, old_in = _padded([part_weight[m] for m in members])
    old_out, old_excess = _scores(old_w, old_in, band)
    new_out, new_excess = _scores(new_w[which], new_in, band)
    better = (new_out < old_out) | ((new_out == old_out) & (new_excess < old_excess - EPS))
    return whole & fewer_barriers & better


def _padded(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of different lengths as one zero-padded matrix, and the mask of their entries."""
    width = max(len(r) for r in rows)
    mask = np.arange(width) < np.array([len(r) for r in rows])[:, None]
    out = np.zeros(mask.shape)
    out[mask] = np.concatenate(rows)
    return out, mask


def _scores(weights: np.ndarray, mask: np.ndarray, band: Band) -> tuple[np.ndarray, np.ndarray]:
    """(parts outside the band, total distance outside it) of every row of
    ``weights`` (its entries where ``mask``).

    Each row's excess is summed over its own entries, as scoring it alone would, so
    the floats compared are the same whatever the row's length.
    """
    outside = (~band.inside(weights) & mask).sum(axis=1)
    excess = band.excess(weights)
    total = np.array([row[keep].sum() for row, keep in zip(excess, mask, strict=True)])
    return outside, total
