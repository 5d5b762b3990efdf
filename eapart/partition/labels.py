"""Operations on labelled cell graphs: filling gaps, keeping one piece, absorbing empty land.

A labelling gives each cell an area (census area or small area) as an int, ``-1``
for "not yet". These functions work on the edge list of a
:class:`~eapart.partition.graph.CellGraph` (``edges`` (m, 2), ``shared`` (m,))
with numpy and scipy.sparse.csgraph only, so they stay fast on whole townships.
"""

from __future__ import annotations

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


def pieces(n: int, edges: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Connected piece of each cell, counting only edges between cells of the same label."""
    same = labels[edges[:, 0]] == labels[edges[:, 1]]
    e = edges[same]
    m = sp.coo_array((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    return csgraph.connected_components(m, directed=False)[1]


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


def enclaves(
    edges: np.ndarray, labels: np.ndarray, outer: np.ndarray, n_labels: int
) -> np.ndarray:
    """Per label, True when it touches exactly one other label and not the outer boundary."""
    a, b, _ = pair_lengths(edges, np.ones(len(edges)), labels)
    n_nb = np.bincount(a, minlength=n_labels)
    on_edge = np.bincount(labels, outer, minlength=n_labels) > 1e-9
    return (n_nb == 1) & ~on_edge
