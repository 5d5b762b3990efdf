"""Operations on labelled cell graphs: filling gaps, keeping one piece, absorbing empty land.

A labelling gives each cell an area (census area or small area) as an int, ``-1``
for "not yet". These functions work on the edge list of a
:class:`~eapart.partition.cells.graph.CellGraph` (``edges`` (m, 2), ``shared`` (m,))
with numpy and scipy.sparse.csgraph only, so they stay fast on whole townships.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph


def _best_per_key(key: np.ndarray, score: np.ndarray, value: np.ndarray):
    """For each distinct ``key``, the ``value`` with the highest ``score`` (ties: lowest value)."""
    order = np.lexsort((value, -score, key))
    k, v = key[order], value[order]
    first = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    return k[first], v[first]


def pair_lengths(edges: np.ndarray, shared: np.ndarray, labels: np.ndarray):
    """Boundary length shared by each pair of different labels: ``(a, b, length)``, both ways."""
    la, lb = labels[edges[:, 0]], labels[edges[:, 1]]
    cut = (la != lb) & (la >= 0) & (lb >= 0)
    a = np.r_[la[cut], lb[cut]]
    b = np.r_[lb[cut], la[cut]]
    s = np.r_[shared[cut], shared[cut]]
    if len(a) == 0:
        return a, b, s
    n = int(max(a.max(), b.max())) + 1
    m = sp.coo_array((s, (a, b)), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m = m.tocoo()
    return m.row.astype(np.int64), m.col.astype(np.int64), m.data


def spread_labels(edges: np.ndarray, shared: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Give every ``-1`` cell the label of the neighbour it shares most boundary with.

    Repeats until no unlabelled cell touches a labelled one, so gaps fill from their
    edges inwards. Cells with no labelled cell in reach keep ``-1``.
    """
    labels = labels.copy()
    while (labels < 0).any():
        la, lb = labels[edges[:, 0]], labels[edges[:, 1]]
        fwd = (la < 0) & (lb >= 0)
        back = (lb < 0) & (la >= 0)
        node = np.r_[edges[fwd, 0], edges[back, 1]]
        if len(node) == 0:
            break
        lab = np.r_[lb[fwd], la[back]]
        score = np.r_[shared[fwd], shared[back]]
        # Sum shared length per (node, label), then keep the best label per node.
        key = node * (labels.max() + 2) + lab
        uniq, inv = np.unique(key, return_inverse=True)
        total = np.bincount(inv, score)
        u_node, u_lab = uniq // (labels.max() + 2), uniq % (labels.max() + 2)
        n_best, l_best = _best_per_key(u_node, total, u_lab)
        labels[n_best] = l_best
    return labels


def components(n: int, edges: np.ndarray, keep_edge: np.ndarray) -> np.ndarray:
    """Connected component of each of ``n`` cells over the edges where ``keep_edge``."""
    e = edges[keep_edge]
    m = sp.coo_array((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return csgraph.connected_components(m, directed=False)[1]


def pieces(n: int, edges: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Connected piece of each cell, counting only edges between cells of the same label."""
    return components(n, edges, labels[edges[:, 0]] == labels[edges[:, 1]])


def keep_main_pieces(
    edges: np.ndarray, labels: np.ndarray, weight: np.ndarray, area: np.ndarray
) -> np.ndarray:
    """Unlabel (``-1``) every piece of a label but its heaviest (then largest) piece."""
    n = len(labels)
    piece = pieces(n, edges, labels)
    n_piece = piece.max() + 1 if n else 0
    p_weight = np.bincount(piece, weight, minlength=n_piece)
    p_area = np.bincount(piece, area, minlength=n_piece)
    p_label = np.full(n_piece, -1, dtype=np.int64)
    p_label[piece] = labels
    valid = np.flatnonzero(p_label >= 0)
    order = np.lexsort((valid, -p_area[valid], -p_weight[valid], p_label[valid]))
    first = np.r_[True, p_label[valid][order][1:] != p_label[valid][order][:-1]]
    main = np.zeros(n_piece, dtype=bool)
    main[valid[order][first]] = True
    out = labels.copy()
    out[~main[piece]] = -1
    return out


def make_one_piece(
    edges: np.ndarray,
    shared: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    area: np.ndarray,
    rounds: int = 10,
) -> np.ndarray:
    """Relabel stray pieces of each label into their neighbours until every label is one piece.

    Cells no labelled neighbour can reach keep their label (nothing to join).
    """
    for _ in range(rounds):
        kept = keep_main_pieces(edges, labels, weight, area)
        if (kept == labels).all():
            break
        filled = spread_labels(edges, shared, kept)
        labels = np.where(filled < 0, labels, filled)
    return labels


def absorb_empty(
    edges: np.ndarray,
    shared: np.ndarray,
    labels: np.ndarray,
    occupied: np.ndarray,
    group: np.ndarray | None = None,
) -> np.ndarray:
    """Merge every label with no building into the neighbour it shares most boundary with.

    ``occupied``: per label, True when it holds a building. ``group``: per label,
    the parent (e.g. census area) a merge must stay inside. Labels with no
    occupied neighbour in their group stay as they are. Returns the new cell labels.
    """
    labels = labels.copy()
    occupied = occupied.copy()
    for _ in range(len(occupied) + 1):
        a, b, s = pair_lengths(edges, shared, labels)
        ok = ~occupied[a] & occupied[b]
        if group is not None:
            ok &= group[a] == group[b]
        if not ok.any():
            break
        src, dst = _best_per_key(a[ok], s[ok], b[ok])
        mapping = np.arange(len(occupied))
        mapping[src] = dst
        labels = mapping[labels]
    return labels


def enclosing(
    edges: np.ndarray, labels: np.ndarray, outer: np.ndarray, n_labels: int
) -> np.ndarray:
    """Per label, the one other label it lies wholly inside (alone or with others), or -1.

    Labels are nodes of their touching graph, with one more node for "outside" joined
    to every label on the outer boundary. A label whose removal cuts some labels off
    from outside encloses them: they form a hole in it. Found from the articulation
    points of that graph (linear time), so a township of thousands of labels costs
    milliseconds.
    """
    a, b, _ = pair_lengths(edges, np.ones(len(edges)), labels)
    on_edge = np.flatnonzero(np.bincount(labels, outer, minlength=n_labels) > 1e-9)
    outside = n_labels
    g = nx.Graph()
    g.add_nodes_from(range(n_labels + 1))
    g.add_edges_from(zip(a[a < b].tolist(), b[a < b].tolist(), strict=True))
    g.add_edges_from((int(c), outside) for c in on_edge)
    out = np.full(n_labels, -1, dtype=np.int64)
    reach = nx.node_connected_component(g, outside)
    for host in sorted(nx.articulation_points(g)):
        if host == outside or host not in reach:
            continue
        rest = g.subgraph(n for n in reach if n != host)
        for comp in nx.connected_components(rest):
            if outside in comp:
                continue
            inner = np.fromiter(comp, dtype=np.int64)
            inner = inner[out[inner] < 0]
            out[inner] = host
    return out


def enclaves(
    edges: np.ndarray, labels: np.ndarray, outer: np.ndarray, n_labels: int
) -> np.ndarray:
    """Per label, True when it lies wholly inside one other label (see :func:`enclosing`)."""
    return enclosing(edges, labels, outer, n_labels) >= 0


#: Corridor costs: every cell counts 1, each unit of weight (households) it carries
#: over counts this much, and each major-barrier edge the corridor takes inside the
#: enclave this much, so a corridor runs over empty land first and crosses a major
#: road or river only where nothing else reaches out.
CORRIDOR_WEIGHT_COST = 1e3
CORRIDOR_BARRIER_COST = 1e6


def open_enclaves(
    edges: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    outer: np.ndarray,
    *,
    major: np.ndarray | None = None,
    empty_only: np.ndarray | None = None,
    group: np.ndarray | None = None,
    tries: int = 8,
) -> np.ndarray:
    """Give every enclave a corridor out through the one label around it.

    An enclave (see :func:`enclosing`) leaves its host a ring with a hole, which an
    enumerator cannot walk round. A path of host cells from the enclave (or from any
    label of an enclosed cluster) to a host cell on the outer boundary or next to a
    label outside moves to the label it starts from: the cheapest path to each of
    the ``tries`` nearest ends (fewest households carried over, then no major barrier
    taken inside, then fewest cells: the ``CORRIDOR_*`` costs). Where a path cuts
    the host in pieces, all but its heaviest piece go with the corridor; the end
    that moves the fewest households (then cells) wins. ``major``: per edge, True
    when it runs along a major barrier. ``empty_only``: per label, True when its
    corridor may only take cells of weight 0 (an institution must not gain
    households). ``group``: per label, its parent (census area); a corridor only
    starts from a label of its host's parent, as cells never change parent. An
    enclave with no corridor keeps its place (and its flag). Returns new labels;
    the same inputs give the same labels.

    >>> ring = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 0], [4, 1], [4, 2], [4, 3]])
    >>> open_enclaves(ring, np.array([0, 0, 0, 0, 1]), np.ones(5),
    ...               np.array([1.0, 1, 1, 1, 0])).tolist()
    [1, 0, 0, 0, 1]
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    n = len(labels)
    if n == 0 or len(edges) == 0:
        return labels
    major = np.zeros(len(edges), dtype=bool) if major is None else np.asarray(major, bool)
    n_labels = int(labels.max()) + 1
    stuck: set[int] = set()
    for _ in range(n_labels):
        host_of = enclosing(edges, labels, outer, n_labels)
        hosts = sorted(set(host_of[host_of >= 0].tolist()) - stuck)
        if not hosts:
            break
        host = hosts[0]
        inner = np.flatnonzero(host_of == host)
        if group is not None:
            inner = inner[group[inner] == group[host]]
        moved = _corridor(edges, labels, weight, outer, major, host_of, inner, host,
                          empty_only, tries)
        if moved is None:
            stuck.add(host)
            continue
        cells, to = moved
        labels[cells] = to
    return labels


def _corridor(edges, labels, weight, outer, major, host_of, inner, host, empty_only, tries):
    """Host cells an enclosed label takes, and that label (see :func:`open_enclaves`).

    Returns ``(cells, label)`` or None when no corridor keeps to the rules.
    """
    if len(inner) == 0:
        return None
    is_inner = np.zeros(len(host_of), dtype=bool)
    is_inner[inner] = True
    la, lb = labels[edges[:, 0]], labels[edges[:, 1]]
    cells = np.flatnonzero(is_inner[labels] | (labels == host))
    local = np.full(len(labels), -1, dtype=np.int64)
    local[cells] = np.arange(len(cells))
    # Host cells that reach out: on the outer boundary, or next to a label outside.
    away = host_of != host
    away[host] = False
    exits = np.zeros(len(labels), dtype=bool)
    exits[edges[away[lb] & (la == host), 0]] = True
    exits[edges[away[la] & (lb == host), 1]] = True
    exits |= (labels == host) & (outer > 1e-9)
    src = np.r_[edges[:, 0], edges[:, 1]]
    dst = np.r_[edges[:, 1], edges[:, 0]]
    big = np.r_[major, major]
    ok = (labels[dst] == host) & (local[src] >= 0)
    src, dst, big = src[ok], dst[ok], big[ok]
    cost = 1.0 + CORRIDOR_WEIGHT_COST * weight[dst] + CORRIDOR_BARRIER_COST * big
    m = len(cells)
    graph = sp.coo_array((cost, (local[src], local[dst])), shape=(m, m)).tocsr()
    starts = local[np.flatnonzero(is_inner[labels])]
    dist, pred, origin = csgraph.dijkstra(
        graph, indices=starts, return_predecessors=True, min_only=True
    )
    ends = np.flatnonzero(exits[cells] & np.isfinite(dist))
    ends = ends[np.lexsort((ends, dist[ends]))]
    host_cells = labels[cells] == host
    best, best_score = None, None
    for end in ends[:tries].tolist():
        path = []
        node = end
        while node >= 0 and not is_inner[labels[cells[node]]]:
            path.append(node)
            node = pred[node]
        to = int(labels[cells[origin[end]]])
        moved = _with_cut_off(edges, cells, host_cells, weight, path)
        if moved is None or (empty_only is not None and empty_only[to]
                             and (weight[moved] > 0).any()):
            continue
        score = (float(weight[moved].sum()), len(moved))
        if best_score is None or score < best_score:
            best, best_score = (moved, to), score
    return best


def _with_cut_off(edges, cells, host_cells, weight, path) -> np.ndarray | None:
    """Cells the enclave takes for a corridor ``path`` (local indices into ``cells``).

    Where the path cuts the host in pieces (a field cell that joins two arms of it),
    the pieces but the heaviest (then largest) go with the corridor: each touches it.
    None when the path would take the whole host.
    """
    rest = host_cells.copy()
    rest[path] = False
    if not rest.any():
        return None
    members = cells[rest]
    piece = _piece_of(edges, members)
    n_piece = int(piece.max()) + 1
    p_weight = np.bincount(piece, weight[members], n_piece)
    p_size = np.bincount(piece, minlength=n_piece)
    main = np.lexsort((np.arange(n_piece), -p_size, -p_weight))[0]
    return np.r_[cells[path], members[piece != main]].astype(np.int64)


def _piece_of(edges: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Connected piece ``0..p-1`` of each of ``members`` (cell ids), over the edges among them."""
    inside = np.zeros(int(max(edges.max(), members.max())) + 1, dtype=bool)
    inside[members] = True
    comp = components(len(inside), edges, inside[edges[:, 0]] & inside[edges[:, 1]])
    return np.unique(comp[members], return_inverse=True)[1].reshape(-1)


def detach_empty_sides(
    edges: np.ndarray,
    shared: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    major: np.ndarray,
    group: np.ndarray | None = None,
    rounds: int = 5,
) -> np.ndarray:
    """Hand land with no households across a major barrier to a neighbour on its side.

    A label split by major barriers (roads, rivers, rail along ``major`` edges)
    into pieces, one of which holds no weight, has the barrier running through it
    for nothing: the empty piece (fields, a park) of a label that holds some weight
    goes to the neighbouring label it shares most open boundary with, when that
    lowers the barrier length inside labels and leaves the label it quits in one
    piece. Weights do not change.
    ``group``: per label, its parent (census area); a piece only moves inside it.
    Returns new labels.

    >>> # 0 - 1 | 2 - 3 in a row, '|' a major road; cell 2 is empty land of label 0.
    >>> edges = np.array([[0, 1], [1, 2], [2, 3]])
    >>> detach_empty_sides(edges, np.ones(3), np.array([0, 0, 0, 1]),
    ...                    np.array([5.0, 5, 0, 5]), np.array([False, True, False])).tolist()
    [0, 0, 1, 1]
    """
    def empty_pieces(labels, side, piece_weight, piece_label, crossing):
        # Empty pieces of a label that crosses a major barrier, of labels that keep
        # some weight (a label of no weight at all, such as an institution of no
        # household, keeps its land).
        label_weight = np.bincount(labels, weight, minlength=int(labels.max()) + 1)
        return np.flatnonzero(crossing & (piece_weight <= 0) & (label_weight[piece_label] > 0))

    return _detach(edges, shared, labels, weight, major, empty_pieces, rounds, group=group)


def detach_weighted_sides(
    edges: np.ndarray,
    shared: np.ndarray,
    labels: np.ndarray,
    weight: np.ndarray,
    major: np.ndarray,
    band: tuple[float, float],
    group: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
    rounds: int = 3,
) -> np.ndarray:
    """Hand households across a major barrier to a neighbour on their own side.

    A label whose households lie on two or more sides of major barriers (a main
    road through a village) sends an enumerator across the road. Each such side
    piece, lightest first, goes to the neighbouring label it shares most open
    boundary with, when that lowers the barrier length inside labels, leaves the
    label it quits in one piece, and does not lower the number of the two labels
    within ``band`` (min, max). ``group``: per label, its parent; ``frozen``: per
    label, True for labels that neither give nor take (institutions, isolated
    groups). Returns new labels.

    >>> # 0 - 1 | 2 - 3 in a row, '|' a major road; label 0 holds 40 on each side.
    >>> edges = np.array([[0, 1], [1, 2], [2, 3]])
    >>> detach_weighted_sides(edges, np.ones(3), np.array([0, 0, 0, 1]),
    ...                       np.array([20.0, 20, 40, 40]), np.array([False, True, False]),
    ...                       (30, 90)).tolist()
    [0, 0, 1, 1]
    """
    def weighted_pieces(labels, side, piece_weight, piece_label, crossing):
        # Weighted pieces of labels with two or more weighted sides, lightest first.
        sides = np.unique(side)
        weighted_sides = np.bincount(piece_label[sides], piece_weight[sides] > 0,
                                     minlength=int(labels.max()) + 1)
        candidates = crossing & (piece_weight > 0) & (weighted_sides[piece_label] >= 2)
        if frozen is not None:
            candidates &= ~frozen[piece_label]
        order = np.flatnonzero(candidates)
        return order[np.argsort(piece_weight[order], kind="stable")]

    return _detach(edges, shared, labels, weight, major, weighted_pieces, rounds, band=band,
                   group=group, frozen=frozen)


def _detach(edges, shared, labels, weight, major, choose, rounds, band=None, **move
            ) -> np.ndarray:
    """Move the side pieces ``choose`` picks to a neighbour, for up to ``rounds`` rounds
    (with ``band``, only moves that keep as many labels in it)."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    major = np.asarray(major, dtype=bool)
    if len(labels) == 0 or not major.any():
        return labels
    for _ in range(rounds):
        moved = 0
        side, piece_weight, piece_label, crossing = _sides(edges, labels, weight, major)
        for piece in choose(labels, side, piece_weight, piece_label, crossing).tolist():
            cells = np.flatnonzero(side == piece)
            moved += _move_piece(edges, shared, labels, major, cells,
                                 weight=None if band is None else weight, band=band, **move)
        if moved == 0:
            break
    return labels


def _sides(edges: np.ndarray, labels: np.ndarray, weight: np.ndarray, major: np.ndarray):
    """The sides of labels: pieces of each label connected without crossing ``major`` edges.

    Returns the piece of each cell, the weight and label of each piece (indexed by
    piece), and whether a piece's label runs across a major edge at it.
    """
    n = len(labels)
    side = pieces(n, edges[~major], labels) if (~major).any() else np.arange(n)
    piece_weight = np.bincount(side, weight, minlength=n)
    piece_label = np.zeros(n, dtype=np.int64)
    piece_label[side] = labels
    crossing = np.zeros(n, dtype=bool)
    inner_major = major & (labels[edges[:, 0]] == labels[edges[:, 1]])
    crossing[side[edges[inner_major, 0]]] = True
    crossing[side[edges[inner_major, 1]]] = True
    return side, piece_weight, piece_label, crossing


def _in_band(values: np.ndarray, band: tuple[float, float]) -> int:
    return int(((values >= band[0]) & (values <= band[1])).sum())


def _move_piece(edges, shared, labels, major, cells, group=None, weight=None, band=None,
                frozen=None) -> bool:
    """Move ``cells`` (one piece of a label) to its best open neighbour; True if moved.

    With ``weight`` and ``band``, only when the two labels keep as many within the band.
    """
    own = int(labels[cells[0]])
    if (labels[cells] != own).any():
        return False
    inside = np.zeros(len(labels), dtype=bool)
    inside[cells] = True
    a_in, b_in = inside[edges[:, 0]], inside[edges[:, 1]]
    border = a_in ^ b_in
    other = np.where(a_in, labels[edges[:, 1]], labels[edges[:, 0]])
    open_to = border & ~major & (other != own)
    if group is not None:
        open_to &= group[other] == group[own]
    if frozen is not None:
        open_to &= ~frozen[other]
    if not open_to.any():
        return False
    nbr, length = np.unique(other[open_to], return_inverse=True)
    score = np.bincount(length, shared[open_to])
    to = int(nbr[np.lexsort((nbr, -score))[0]])
    # Barrier length inside labels before and after, on the piece's border.
    before = (border & major & (other == own)) * shared
    after = (border & major & (other == to)) * shared
    if after.sum() >= before.sum():
        return False
    if band is not None:
        moving = float(weight[cells].sum())
        w_own, w_to = float(weight[labels == own].sum()), float(weight[labels == to].sum())
        if _in_band(np.array([w_own - moving, w_to + moving]), band) < _in_band(
                np.array([w_own, w_to]), band):
            return False
    rest = np.flatnonzero((labels == own) & ~inside)
    if len(rest) and len(np.unique(_piece_of(edges, rest))) > 1:
        return False
    labels[cells] = to
    return True
