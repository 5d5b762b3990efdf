"""Which cells share which stretch of boundary, found by matching boundary segments.

Cells are a clean polygonal coverage (:func:`eapart.partition.cells.tessellate.clean_coverage`):
two cells that share a stretch of boundary carry the very same vertices along it. So
every shared segment appears exactly twice among all the cells' ring segments (once
per side, in opposite directions), and a segment that appears once lies on the outer
edge of the coverage. Sorting the segments by their end points finds every pair at
once, in numpy, with no geometric overlay: several times faster than intersecting the
boundaries of every pair of touching cells, and it gives the length each pair shares,
the length each cell has on the outer edge, and a point on every shared segment.

Example::

    seg = cell_segments(cells)
    match = match_segments(seg, len(cells))
    match.edges, match.shared_length, match.outer_length
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely


@dataclass
class Segments:
    """Boundary segments of cells: ``cell`` index, start ``a`` (k, 2) and end ``b`` (k, 2)."""

    cell: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @property
    def length(self) -> np.ndarray:
        """Length of each segment."""
        return np.hypot(*(self.b - self.a).T)

    @property
    def midpoint(self) -> np.ndarray:
        """Midpoint (k, 2) of each segment."""
        return (self.a + self.b) / 2.0


@dataclass
class SegmentMatch:
    """Cell pairs that share boundary, and what is left on the outer edge.

    - ``edges``: (m, 2) cell indices ``i < j``, each pair once, sorted.
    - ``shared_length``: boundary length each pair shares.
    - ``outer_length``: per cell, boundary length shared with no other cell.
    - ``seg_edge``: for each shared segment (one per matched pair of segments), its edge.
    - ``seg_mid``, ``seg_length``: midpoint and length of each shared segment.
    - ``unmatched_mid``, ``unmatched_cell``: midpoint and cell of each segment that
      matched none (on the outer edge, or where the coverage is not cleanly noded).
    """

    edges: np.ndarray
    shared_length: np.ndarray
    outer_length: np.ndarray
    seg_edge: np.ndarray
    seg_mid: np.ndarray
    seg_length: np.ndarray
    unmatched_mid: np.ndarray
    unmatched_cell: np.ndarray


def cell_segments(cells: np.ndarray) -> Segments:
    """Every ring segment (outer ring and holes) of every polygon, with its cell index.

    Segments of zero length (repeated vertices) are dropped.
    """
    cells = np.asarray(cells, dtype=object)
    rings, ring_cell = shapely.get_rings(cells, return_index=True)
    xy, ring_idx = shapely.get_coordinates(rings, return_index=True)
    if len(xy) < 2:
        empty = np.zeros((0, 2))
        return Segments(np.zeros(0, dtype=np.int64), empty, empty)
    same_ring = ring_idx[1:] == ring_idx[:-1]
    a, b = xy[:-1][same_ring], xy[1:][same_ring]
    cell = ring_cell[ring_idx[:-1][same_ring]]
    real = (a != b).any(axis=1)
    return Segments(cell[real].astype(np.int64), a[real], b[real])


def _canonical(seg: Segments) -> np.ndarray:
    """(k, 4) end points of each segment, the lexicographically smaller end first."""
    ax, ay, bx, by = seg.a[:, 0], seg.a[:, 1], seg.b[:, 0], seg.b[:, 1]
    swap = (ax > bx) | ((ax == bx) & (ay > by))
    lo = np.where(swap[:, None], seg.b, seg.a)
    hi = np.where(swap[:, None], seg.a, seg.b)
    return np.column_stack([lo, hi])


def match_segments(seg: Segments, n_cells: int) -> SegmentMatch:
    """Pair identical segments of different cells into cell edges (see module docstring)."""
    key = _canonical(seg)
    order = np.lexsort((seg.cell, key[:, 3], key[:, 2], key[:, 1], key[:, 0]))
    k_sorted, c_sorted = key[order], seg.cell[order]
    same = (k_sorted[1:] == k_sorted[:-1]).all(axis=1) & (c_sorted[1:] != c_sorted[:-1])
    first = np.flatnonzero(same)
    ci, cj = c_sorted[first], c_sorted[first + 1]
    lo, hi = np.minimum(ci, cj), np.maximum(ci, cj)
    length = seg.length[order]
    seg_length = length[first]
    pair_key = lo * np.int64(n_cells) + hi
    uniq, seg_edge = np.unique(pair_key, return_inverse=True)
    edges = np.column_stack([uniq // n_cells, uniq % n_cells]).astype(np.int64)
    shared = np.bincount(seg_edge, seg_length, minlength=len(uniq))
    matched = np.zeros(len(order), dtype=bool)
    matched[first] = True
    matched[first + 1] = True
    outer = np.bincount(c_sorted[~matched], length[~matched], minlength=n_cells)
    mid = seg.midpoint[order]
    return SegmentMatch(
        edges=edges.reshape(-1, 2),
        shared_length=shared,
        outer_length=outer,
        seg_edge=seg_edge.reshape(-1).astype(np.int64),
        seg_mid=mid[first],
        seg_length=seg_length,
        unmatched_mid=mid[~matched],
        unmatched_cell=c_sorted[~matched],
    )
