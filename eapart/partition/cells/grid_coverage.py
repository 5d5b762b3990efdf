"""Cells made a clean polygonal coverage on the :data:`~.precision.GRID`, in numpy.

The cells of a township are built one overlay at a time (a Voronoi cell clipped to
its block, a footprint's cells clipped to their hole), so neighbours that meet along
one line carry vertices a floating-point hair apart, and a cell's block edge lacks
the vertices that the cells across the block boundary have on it (a T-junction).
GEOS coverage cleaning fixes both, but it nodes every edge of the township and
costs more than all the rest of the tessellation. The defects are all far smaller
than a grid step, so rounding every vertex onto the grid makes almost every shared
vertex identical; what is left is fixed on the few edges that still match no other:

1. vertices of such edges closer than :data:`SNAP_PIXELS` grid steps become one
   (Voronoi vertices of cocircular sites, a crossing point rounded to two sides of a
   grid line);
2. a vertex lying on such an edge of another cell, within that distance, is put
   into it (the T-junctions along block boundaries, and a vertex one convex hull
   dropped and its neighbour's kept).

Then every edge inside the township is carried by exactly two cells with the same
vertices, as :mod:`.shared_edges` and :func:`shapely.coverage_union_all` need. The
result is checked (:func:`_tiles`): each edge left unmatched must lie on the
township outline and add up to its length, and each cell must be a valid polygon
(a neck narrower than a grid step closes, and the cell comes back in pieces, as
coverage cleaning leaves it). If the check fails, :func:`snap_coverage` returns
``None`` and the caller cleans the cells with GEOS instead.

Example::

    snapped = snap_coverage(cells, outline)   # None: use shapely.coverage_clean
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import cKDTree

from eapart.partition.cells.precision import GRID

#: Distance (grid steps) within which vertices of unmatched edges merge, and a
#: vertex is put into an unmatched edge it lies on. Rounding moves a vertex by at
#: most 0.71 steps, so a vertex that lay on its neighbour's edge is within 1.5.
SNAP_PIXELS = 2.0

#: Grid steps per metre. Vertices go on and off the grid as GEOS puts them there
#: (``round(x * scale) / scale``), so that the blocks' vertices come back unchanged.
SCALE = float(round(1.0 / GRID))

#: Rounds of merging and inserting; one is nearly always enough.
MAX_ROUNDS = 4

#: Largest difference (metres) between the unmatched edges' length and the outline's.
LENGTH_TOLERANCE = 1e-5


def snap_coverage(cells: np.ndarray, outline: object) -> np.ndarray | None:
    """``cells`` (Polygons tiling ``outline``) on the grid as a clean coverage, or ``None``.

    Returns one geometry per cell: a Polygon, a MultiPolygon where a neck
    narrower than a grid step closed, or ``None`` where the cell collapsed (a
    hair of area thinner than a grid step). ``None`` as a whole when the result
    would not be a clean coverage of ``outline`` (see the module docstring).
    """
    cells = np.asarray(cells, dtype=object)
    if len(cells) == 0 or not (shapely.get_type_id(cells) == 3).all():
        return None
    xy, ring, ring_cell = _ring_vertices(cells)
    k = np.round(xy * SCALE).astype(np.int64)
    k, ring = _drop_repeats(k, ring)
    for _ in range(MAX_ROUNDS):
        edges, nxt = _unmatched_edges(k, ring)
        k, merged = _merge_close(k, edges, nxt)
        if merged:
            k, ring = _drop_repeats(k, ring)
            edges, nxt = _unmatched_edges(k, ring)
        k, ring, inserted = _insert_on_edges(k, ring, edges, nxt)
        if not (merged or inserted):
            break
        k, ring = _drop_repeats(k, ring)
    if not _tiles(k, ring, outline):
        return None
    out = _polygons(k, ring, ring_cell, len(cells))
    return _split_pinched(out)


def _ring_vertices(cells: np.ndarray):
    """Vertices of every ring without its closing repeat: ``(xy, ring, ring_cell)``."""
    rings, ring_cell = shapely.get_rings(cells, return_index=True)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    closing = np.r_[ring[1:] != ring[:-1], True]
    return xy[~closing], ring[~closing], ring_cell


def _next_in_ring(ring: np.ndarray) -> np.ndarray:
    """Index of the vertex after each vertex in its (cyclic) ring."""
    n = len(ring)
    index = np.arange(n)
    start = np.r_[True, ring[1:] != ring[:-1]]
    first = np.maximum.accumulate(np.where(start, index, 0))
    end = np.r_[ring[1:] != ring[:-1], True]
    return np.where(end, first, index + 1)


def _drop_repeats(k: np.ndarray, ring: np.ndarray):
    """Drop vertices equal to the next one, then spikes (A-B-A: B and one A), until
    none; then the rings that collapsed (:func:`_collapsed`)."""
    while len(k):
        nxt = _next_in_ring(ring)
        index = np.arange(len(k))
        repeat = (k[nxt] == k).all(axis=1) & (nxt != index)
        if repeat.any():
            k, ring = k[~repeat], ring[~repeat]
            continue
        prev = np.empty_like(nxt)
        prev[nxt] = index
        spike = (k[prev] == k[nxt]).all(axis=1) & (prev != nxt)
        if not spike.any():
            break
        drop = spike.copy()
        drop[nxt[spike]] = True
        k, ring = k[~drop], ring[~drop]
    gone = _collapsed(k, ring)
    return k[~gone], ring[~gone]


def _collapsed(k: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Per vertex, True when its ring has under three vertices or under half a grid
    cell of area (a hair of a cell whose vertices all rounded onto one line)."""
    rings, first, count = np.unique(ring, return_index=True, return_counts=True)
    if len(rings) == 0:
        return np.zeros(0, dtype=bool)
    rel = (k - np.repeat(k[first], count, axis=0)).astype(float)
    nxt = rel[_next_in_ring(ring)]
    twice_area = np.add.reduceat(rel[:, 0] * nxt[:, 1] - nxt[:, 0] * rel[:, 1], first)
    return np.repeat((count < 3) | (np.abs(twice_area) < 1.0), count)


def _vertex_ids(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One id per distinct vertex: ``(id of each vertex, first index of each id)``."""
    order = np.lexsort((k[:, 1], k[:, 0]))
    ordered = k[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    ids = np.empty(len(k), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids, order[new]


def _unmatched_edges(k: np.ndarray, ring: np.ndarray, crowded: bool = False):
    """Edges (start vertex index) that no other ring edge repeats; and each vertex's next.

    With ``crowded``, also whether any edge is carried by more than two rings
    (cells that overlap).
    """
    nxt = _next_in_ring(ring)
    ids, _ = _vertex_ids(k)
    a, b = ids, ids[nxt]
    key = np.minimum(a, b) * np.int64(ids.max() + 1) + np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    matched = np.zeros(len(k), dtype=bool)
    matched[order[1:][same]] = True
    matched[order[:-1][same]] = True
    if crowded:
        return np.flatnonzero(~matched), nxt, bool((same[1:] & same[:-1]).any())
    return np.flatnonzero(~matched), nxt


def _merge_close(k: np.ndarray, edges: np.ndarray, nxt: np.ndarray) -> tuple[np.ndarray, bool]:
    """Vertices of the unmatched ``edges`` within :data:`SNAP_PIXELS` of each other made one.

    Each cluster takes its lowest vertex (in x, then y); every occurrence of a
    merged vertex in every ring moves, so neighbours stay equal.
    """
    ids, first = _vertex_ids(k)
    cand = np.unique(np.r_[ids[edges], ids[nxt[edges]]])
    if len(cand) < 2:
        return k, False
    pairs = cKDTree(k[first[cand]]).query_pairs(SNAP_PIXELS, output_type="ndarray")
    if len(pairs) == 0:
        return k, False
    label = _components(len(cand), pairs)
    target = np.arange(len(first))
    target[cand] = cand[label]
    return k[first[target[ids]]], True


def _components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Label of each of ``n`` nodes: the lowest node of its connected component."""
    label = np.arange(n)
    while True:
        low = np.minimum(label[pairs[:, 0]], label[pairs[:, 1]])
        new = label.copy()
        np.minimum.at(new, pairs[:, 0], low)
        np.minimum.at(new, pairs[:, 1], low)
        new = new[new]
        if (new == label).all():
            return label
        label = new


def _insert_on_edges(k: np.ndarray, ring: np.ndarray, edges: np.ndarray, nxt: np.ndarray):
    """Each vertex of an unmatched edge that lies on another unmatched edge put into it.

    "On" is within :data:`SNAP_PIXELS` of the edge and farther than that from both
    its ends. Several vertices on one edge go in in their order along it.
    """
    if len(edges) == 0:
        return k, ring, False
    ids, first = _vertex_ids(k)
    points = k[first[np.unique(np.r_[ids[edges], ids[nxt[edges]]])]]
    start, end = k[edges].astype(float), k[nxt[edges]].astype(float)
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    p_idx, e_idx = shapely.STRtree(lines).query(
        shapely.points(points.astype(float)), predicate="dwithin", distance=SNAP_PIXELS
    )
    step = end[e_idx] - start[e_idx]
    length = np.hypot(step[:, 0], step[:, 1])
    along = ((points[p_idx] - start[e_idx]) * step).sum(axis=1) / length
    inside = (along > SNAP_PIXELS) & (along < length - SNAP_PIXELS)
    if not inside.any():
        return k, ring, False
    p_idx, e_idx = p_idx[inside], e_idx[inside]
    after = edges[e_idx]
    position = np.r_[np.arange(len(k), dtype=float), after + along[inside] / length[inside]]
    all_ring = np.r_[ring, ring[after]]
    order = np.lexsort((position, all_ring))
    return np.r_[k, points[p_idx]][order], all_ring[order], True


def _tiles(k: np.ndarray, ring: np.ndarray, outline: object) -> bool:
    """True when no edge is carried by more than two rings, and the edges that only
    one ring carries lie on the outline and measure as long."""
    edges, nxt, crowded = _unmatched_edges(k, ring, crowded=True)
    if crowded:
        return False
    start, end = k[edges] / SCALE, k[nxt[edges]] / SCALE
    length = float(np.hypot(*(end - start).T).sum())
    if abs(length - float(shapely.length(outline))) > LENGTH_TOLERANCE:
        return False
    rim = shapely.boundary(outline)
    shapely.prepare(rim)
    mid = shapely.points((start + end) / 2.0)
    return bool(shapely.dwithin(rim, mid, SNAP_PIXELS * GRID).all())


def _polygons(k: np.ndarray, ring: np.ndarray, ring_cell: np.ndarray, n_cells: int):
    """One Polygon per cell from its rings (first the shell); ``None`` where the shell
    collapsed (:func:`_drop_repeats`; a collapsed hole is just left out)."""
    rings, count = np.unique(ring, return_counts=True)
    shell = np.r_[True, ring_cell[1:] != ring_cell[:-1]][rings]
    cell = ring_cell[rings]
    alive_shell = np.zeros(n_cells, dtype=bool)
    alive_shell[cell[shell]] = True
    keep = alive_shell[cell]
    vertex_keep = np.repeat(keep, count)
    local = np.repeat(np.cumsum(keep) - 1, count)[vertex_keep]
    linear = shapely.linearrings(k[vertex_keep] / SCALE, indices=local)
    out = np.full(n_cells, None, dtype=object)
    kept_cells = cell[keep]
    _, polygon_of = np.unique(kept_cells, return_inverse=True)
    polygons = shapely.polygons(linear, indices=polygon_of.reshape(-1))
    out[np.unique(kept_cells)] = polygons
    return out


def _split_pinched(cells: np.ndarray) -> np.ndarray | None:
    """Cells whose ring touches itself at a vertex (a neck that closed) as MultiPolygons.

    :func:`shapely.make_valid` splits such a ring at the vertex it touches, adding no
    vertex, so the neighbours still match. ``None`` when it would change a cell
    otherwise (a ring crossing itself, which rounding should never make): the
    caller then cleans the cells with GEOS.
    """
    present = ~shapely.is_missing(cells)
    bad = np.flatnonzero(present & ~shapely.is_valid(np.where(present, cells, None)))
    if len(bad) == 0:
        return cells
    cells = cells.copy()
    for i in bad:
        fixed = shapely.make_valid(cells[i])
        area = shapely.area(cells[i])
        same = _vertex_set(fixed) == _vertex_set(cells[i])
        if not same or abs(shapely.area(fixed) - area) > 1e-9 * area:
            return None
        cells[i] = fixed
    return cells


def _vertex_set(geom: object) -> set[tuple[float, float]]:
    """The distinct vertices of ``geom``."""
    return set(map(tuple, shapely.get_coordinates(geom)))
