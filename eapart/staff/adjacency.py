"""Which small areas touch: the graph that enumerator workloads and teams are cut on.

Two small areas are neighbours when their polygons share boundary of positive
length (a corner is not enough: an enumerator cannot walk through a point). The
pairs come from one STR-tree query (:func:`eapart.partition.cells.graph.touching_pairs`);
the shared length is the cost of cutting between them, so cuts follow short
borders and workloads stay compact.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from eapart.partition.cells.graph import touching_pairs
from eapart.partition.regions.labels import pieces

__all__ = ["area_edges", "adjacency", "pieces"]


def area_edges(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of touching areas, and their shared boundary length."""
    if len(geometry) < 2:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    pairs, shared = touching_pairs(np.asarray(geometry, dtype=object))
    return pairs.astype(np.int64), shared.astype(float)


def adjacency(n: int, pairs: np.ndarray, cost: np.ndarray,
              keep: np.ndarray | None = None) -> sparse.csr_array:
    """Symmetric ``n x n`` matrix of cutting costs over the pairs (``keep``: those only)."""
    if keep is not None:
        pairs, cost = pairs[keep], cost[keep]
    cost = np.maximum(np.asarray(cost, dtype=float), 1e-6)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return sparse.csr_array((np.concatenate([cost, cost]), (rows, cols)), shape=(n, n))

