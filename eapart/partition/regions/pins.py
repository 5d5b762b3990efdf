"""Pinned groups: nodes that must share a part, and groups that must not.

A pin maps a node to a group label (a manual edit, a locked area). Nodes of one
label must end in one connected part, so the group is joined by shortest paths
(hop count) that avoid every other group's nodes, and the joined group is
contracted to one node. The partitioner then only has to keep contracted group
nodes in distinct parts, and :func:`expand` maps its labels back.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph


@dataclass
class Contraction:
    """A graph with every pin group merged into one node.

    ``node_of``: for each original node, its node in the contracted graph.
    ``pinned``: boolean mask over contracted nodes that stand for a pin group.
    ``group_of``: pin label of each contracted pinned node (None elsewhere).
    """

    adjacency: sparse.csr_array
    weights: np.ndarray
    node_of: np.ndarray
    pinned: np.ndarray
    group_of: list


def normalise_pins(
    pinned: Mapping | Iterable[tuple[int, Hashable]] | None, n: int
) -> dict[int, Hashable]:
    """Check pins and return them as ``{node: label}``.

    Accepts a mapping or an iterable of ``(node, label)`` pairs. The same pair given
    twice is harmless; one node pinned to two labels is a ``ValueError``, as is a
    node that is not an integer in ``0..n-1``.
    """
    if pinned is None:
        return {}
    pairs = pinned.items() if isinstance(pinned, Mapping) else pinned
    out: dict[int, Hashable] = {}
    for node, label in pairs:
        if isinstance(node, bool) or not isinstance(node, (int, np.integer)):
            raise ValueError(f"pinned node {node!r} is not an integer node index")
        node = int(node)
        if not 0 <= node < n:
            raise ValueError(f"pinned node {node} is outside the graph's nodes 0..{n - 1}")
        if node in out and out[node] != label:
            raise ValueError(
                f"node {node} is pinned to two groups, {out[node]!r} and {label!r}: "
                "keep one pin per node"
            )
        out[node] = label
    return out


def contract_pins(
    adjacency: sparse.csr_array,
    weights: np.ndarray,
    pins: dict[int, Hashable],
    blocked: np.ndarray,
) -> Contraction:
    """Join each pin group by shortest paths and merge it into one node.

    ``blocked`` marks nodes no group may use (oversize nodes that stand alone).
    Groups are joined in the sorted order of their labels' text; a group's paths
    avoid the nodes of every other group, joined ones included. Raises
    ``ValueError`` when a group cannot be joined (its nodes lie in different
    connected pieces once other groups and blocked nodes are set aside).
    """
    n = adjacency.shape[0]
    groups: dict[Hashable, list[int]] = {}
    for node, label in pins.items():
        groups.setdefault(label, []).append(node)
    owner = np.full(n, -1, dtype=np.int64)
    labels = sorted(groups, key=repr)
    for g, label in enumerate(labels):
        owner[groups[label]] = g
    for g, label in enumerate(labels):
        members = np.array(sorted(groups[label]), dtype=np.int64)
        if blocked[members].any() and len(members) > 1:
            heavy = members[blocked[members]].tolist()
            raise ValueError(
                f"pin group {label!r} holds node(s) {heavy} heavier than max_weight, "
                "which must stand alone: unpin them or raise max_weight"
            )
        if len(members) > 1:
            owner[_join(adjacency, members, (owner >= 0) & (owner != g) | blocked, label)] = g
    size = n - int((owner >= 0).sum()) + len(labels)
    node_of = np.empty(n, dtype=np.int64)
    free = owner < 0
    node_of[free] = np.arange(int(free.sum()))
    base = int(free.sum())
    node_of[~free] = base + owner[~free]
    pick = sparse.csr_array((np.ones(n), (np.arange(n), node_of)), shape=(n, size))
    merged = sparse.csr_array(pick.T @ adjacency @ pick)
    merged.setdiag(0)
    merged.eliminate_zeros()
    pinned = np.zeros(size, dtype=bool)
    pinned[base:] = True
    return Contraction(
        adjacency=merged,
        weights=np.bincount(node_of, weights, size),
        node_of=node_of,
        pinned=pinned,
        group_of=[None] * base + list(labels),
    )


def _join(
    adjacency: sparse.csr_array, members: np.ndarray, avoid: np.ndarray, label: Hashable
) -> np.ndarray:
    """Nodes of shortest paths from the first member to every other, avoiding ``avoid``."""
    keep = ~avoid
    keep[members] = True
    coo = adjacency.tocoo()
    ok = keep[coo.row] & keep[coo.col]
    open_graph = sparse.csr_array((coo.data[ok], (coo.row[ok], coo.col[ok])), shape=coo.shape)
    _, pred = csgraph.breadth_first_order(
        open_graph, int(members[0]), directed=False, return_predecessors=True
    )
    reached = pred[members[1:]] >= 0
    if not reached.all():
        lost = members[1:][~reached].tolist()
        raise ValueError(
            f"pin group {label!r} cannot be joined: node(s) {lost} are not connected to "
            f"node {int(members[0])} without crossing another pin group, an oversize node "
            "or a gap between graph components; split the group or remove conflicting pins"
        )
    path: list[int] = [int(members[0])]
    seen = {int(members[0])}
    for m in members[1:]:
        v = int(m)
        while v not in seen:
            seen.add(v)
            path.append(v)
            v = int(pred[v])
    return np.array(path, dtype=np.int64)


def expand(labels: np.ndarray, contraction: Contraction) -> np.ndarray:
    """Labels of the original nodes from labels of the contracted graph."""
    return labels[contraction.node_of]
