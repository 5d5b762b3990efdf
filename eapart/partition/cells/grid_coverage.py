"""Cells made a clean polygonal coverage on the :data:`~.precision.GRID`, in numpy.

The cells of a township are built one overlay at a time (a Voronoi cell clipped to
its block, a footprint's cells clipped to their hole), so neighbours that meet along
one line carry vertices a floating-point hair apart, and a cell's block edge lacks
the vertices that the cells across the block boundary have on it (a T-junction).
GEOS coverage cleaning fixes both, but it nodes every edge of the township and
costs more than all the rest of the tessellation. Nearly all the defects are far
smaller than a grid step, so rounding every vertex onto the grid makes almost every
shared vertex identical; what is left is fixed on the few edges that still match
no other, within a few grid steps (:data:`SNAP_PIXELS`):

1. a ring's spike thinner than that loses its tip (a hair an overlay left: the
   ring runs out along its neighbour's edge and back beside it);
2. vertices of such edges that close become one (Voronoi vertices of cocircular
   sites, a crossing point rounded to two sides of a grid line);
3. a vertex lying that close to such an edge of another cell is put into it (the
   T-junctions along block boundaries, and a vertex one convex hull dropped and
   its neighbour's kept).

Then every edge inside the township is carried by exactly two cells with the same
vertices, as :mod:`.shared_edges` and :func:`shapely.coverage_union_all` need. The
result is checked (:func:`_tiles`): no edge may be carried by three cells, each
edge left unmatched must lie on the township outline and they must add up to its
length, and each cell must be a valid polygon (a neck narrower than a grid step
closes, and the cell comes back in pieces, as coverage cleaning leaves it). Failing
that, the next distance of :data:`SNAP_PIXELS` is tried; failing them all,
:func:`snap_coverage` returns ``None`` and the caller cleans the cells with GEOS.

Example::

    snapped = snap_coverage(cells, outline)   # None: use shapely.coverage_clean
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from eapart.partition.cells.boxes import points_in_boxes
from eapart.partition.cells.convex import convex_rings
from eapart.partition.cells.precision import GRID
from eapart.partition.regions.labels import components

#: Distances (grid steps) within which vertices of unmatched edges merge, a vertex
#: is put into an unmatched edge it lies on, and a spike counts as a hair; tried in
#: turn until the cells match up. Rounding alone moves a vertex by at most 0.71
#: steps, so two copies of one vertex end up within 2; but the overlays leave a few
#: hairs wider than that (measured on the generated county: three copies of one
#: vertex strung over 2.8 steps, a gap 9 cm long with a mouth 5.8 steps wide), and
#: merging at a wider distance moves vertices far enough to open wedges of its own,
#: so the narrowest that works is kept. The widest is a tenth of a millimetre, as
#: far as GEOS coverage cleaning snaps on a township 10 km across (extent / 1e8).
SNAP_PIXELS: tuple[float, ...] = (2.0, 5.0, 10.0)

#: Edges shorter than this (grid steps: a tenth of a millimetre, GEOS cleaning's
#: snapping distance on a township 10 km across) collapse into a point.
SHORT_EDGE_PIXELS = 10.0

#: Grid steps per metre. Vertices go on and off the grid as GEOS puts them there
#: (``round(x * scale) / scale``), so that the blocks' vertices come back unchanged.
SCALE = float(round(1.0 / GRID))

#: Rounds of merging and inserting; one is nearly always enough.
MAX_ROUNDS = 4

#: Largest difference (metres) between the unmatched edges' length and the outline's:
#: a millimetre, as vertices merged on the outline cut its corners by a hair each.
LENGTH_TOLERANCE = 1e-3


def snap_coverage(cells: np.ndarray, outline: object) -> np.ndarray | None:
    """``cells`` (Polygons tiling ``outline``) on the grid as a clean coverage, or ``None``.

    Returns one geometry per cell: a Polygon, a MultiPolygon where a neck
    narrower than a grid step closed, or ``None`` where the cell collapsed (a
    hair of area thinner than a grid step). ``None`` as a whole when no distance
    of :data:`SNAP_PIXELS` makes a clean coverage of ``outline`` (see the module
    docstring).
    """
    cells = np.asarray(cells, dtype=object)
    if len(cells) == 0 or not (shapely.get_type_id(cells) == 3).all():
        return None
    xy, ring, ring_cell = _ring_vertices(cells)
    rounded = np.round(xy * SCALE).astype(np.int64)
    for tol in SNAP_PIXELS:
        matched = _match_up(rounded, ring, outline, tol)
        if matched is None:
            continue
        out = _split_pinched(*_polygons(*matched, ring_cell, len(cells)))
        if out is not None:
            return out
    return None


def _match_up(k: np.ndarray, ring: np.ndarray, outline: object, tol: float):
    """Rounded ring vertices ``k`` merged and put into edges within ``tol`` grid steps
    until every edge is matched (module docstring); ``(k, ring)``, or ``None`` when
    the result does not tile ``outline`` (:func:`_tiles`).

    After the first :func:`_drop_repeats`, each later one only looks at the rings
    that the step before it changed (:func:`_changed_rings`): the others are as it
    left them, and it would leave them so again. The vertex ids are sorted out once
    (:func:`_vertex_ids`) and then carried along: a merged vertex takes its
    target's id, an inserted one the id of the vertex it copies, so they still
    follow the vertices' order and name one point each.
    """
    k, ring, ids = _drop_repeats(k, ring, tol)
    edges = None
    for _ in range(MAX_ROUNDS):
        edges = _edges(k, ring, ids)
        moved, merged, ids = _merge_close(k, edges, tol)
        if merged:
            changed = _changed_rings(k, ring, moved, ring)
            k, ring, ids = _drop_repeats(moved, ring, tol, changed, ids)
            edges = _edges(k, ring, ids)
        grown, longer, inserted, grown_ids = _insert_on_edges(k, ring, edges, tol)
        if not inserted:
            break  # ``edges`` still describes the rings
        changed = _changed_rings(k, ring, grown, longer)
        k, ring, ids = _drop_repeats(grown, longer, tol, changed, grown_ids)
        edges = None
    edges = edges if edges is not None else _edges(k, ring, ids)
    moved, collapsed, ids = _collapse_short(k, edges)
    if collapsed:
        k, ring, ids = _drop_repeats(moved, ring, tol, _changed_rings(k, ring, moved, ring), ids)
        edges = _edges(k, ring, ids)
    if not _tiles(k, edges, outline, tol):
        return None
    return k, ring


def _changed_rings(k: np.ndarray, ring: np.ndarray, new_k: np.ndarray,
                   new_ring: np.ndarray) -> np.ndarray:
    """Mask over ring ids: the rings whose vertices differ between ``(k, ring)`` and
    ``(new_k, new_ring)``, where each ring either kept its vertex count (vertices
    moved) or gained vertices (none moved)."""
    n = int(ring.max()) + 1 if len(ring) else 0
    if len(new_ring) == len(ring):
        changed = np.zeros(n, dtype=bool)
        changed[ring[(new_k != k).any(axis=1)]] = True
        return changed
    return np.bincount(new_ring, minlength=n) != np.bincount(ring, minlength=n)


def _ring_vertices(cells: np.ndarray):
    """Vertices of every ring without its closing repeat: ``(xy, ring, ring_cell)``.

    Rings are numbered cell by cell, each shell before its holes, as
    :func:`shapely.get_rings` gives them; but only the cells with holes are split
    into ring geometries (a cell's coordinates already come ring after ring).
    """
    n_rings = 1 + shapely.get_num_interior_rings(cells)
    xy, _ = shapely.get_coordinates(cells, return_index=True)
    ring_cell = np.repeat(np.arange(len(cells)), n_rings)
    first_ring = np.cumsum(n_rings) - n_rings
    ring_length = np.empty(len(ring_cell), dtype=np.int64)
    plain = n_rings == 1
    ring_length[first_ring[plain]] = shapely.get_num_coordinates(cells[plain])
    holed = np.flatnonzero(~plain)
    if len(holed):
        rings, of = shapely.get_rings(cells[holed], return_index=True)
        rank = np.arange(len(of)) - np.searchsorted(of, of)
        ring_length[first_ring[holed][of] + rank] = shapely.get_num_coordinates(rings)
    ring = np.repeat(np.arange(len(ring_cell)), ring_length)
    closing = np.r_[ring[1:] != ring[:-1], True]
    return xy[~closing], ring[~closing], ring_cell


def _next_in_ring(ring: np.ndarray) -> np.ndarray:
    """Index of the vertex after each vertex in its (cyclic) ring; ``ring`` sorted."""
    n = len(ring)
    nxt = np.arange(1, n + 1)
    if n == 0:
        return nxt
    # Each ring's last vertex is followed by its first (np.r_ would cost more than the rest).
    last = np.flatnonzero(ring[1:] != ring[:-1])
    ends = np.append(last, n - 1)
    nxt[ends] = np.insert(last + 1, 0, 0)
    return nxt


def _equal(k: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether vertices ``k[i]`` and ``k[j]`` are the same point."""
    return (k[i, 0] == k[j, 0]) & (k[i, 1] == k[j, 1])


def _drop_repeats(k: np.ndarray, ring: np.ndarray, tol: float,
                  rings: np.ndarray | None = None, ids: np.ndarray | None = None):
    """Drop vertices equal to the next one, then spike tips (:func:`_spikes`), until
    none; then the rings that collapsed (:func:`_collapsed`). Returns ``(k, ring,
    ids)`` of the vertices kept (``ids`` ``None`` if not given).

    Each ring is handled on its own, so ``rings`` (a mask over ring ids) may name
    the only rings that can have any: the others are kept whole.
    """
    if rings is None:
        keep = _kept(k, ring, tol)
    else:
        look = np.flatnonzero(rings[ring])
        keep = np.ones(len(k), dtype=bool)
        keep[look] = _kept(k[look], ring[look], tol)
    return k[keep], ring[keep], None if ids is None else ids[keep]


def _kept(k: np.ndarray, ring: np.ndarray, tol: float) -> np.ndarray:
    """Mask of the vertices :func:`_drop_repeats` keeps.

    Each ring is handled on its own, so a ring found with neither a repeat nor a
    spike tip is finished there: only the rings that lost a tip go round again.
    """
    keep = np.zeros(len(k), dtype=bool)
    index = np.arange(len(k))
    while len(k):
        nxt = _next_in_ring(ring)
        here = np.arange(len(k))
        repeat = _equal(k, nxt, here) & (nxt != here)
        if repeat.any():
            k, ring, index = k[~repeat], ring[~repeat], index[~repeat]
            continue
        prev = np.empty_like(nxt)
        prev[nxt] = here
        spike = _spikes(k, prev, nxt, tol) & (prev != nxt)
        # Of two spike tips in a row only the first goes: the second may not be one after.
        spike &= ~spike[prev]
        if not spike.any():
            break
        again = np.zeros(int(ring.max()) + 1, dtype=bool)
        again[ring[spike]] = True
        done = ~again[ring]
        keep[index[done][~_collapsed(k[done], ring[done])]] = True
        stay = ~done & ~spike
        k, ring, index = k[stay], ring[stay], index[stay]
    keep[index[~_collapsed(k, ring)]] = True
    return keep


def _spikes(k: np.ndarray, prev: np.ndarray, nxt: np.ndarray, tol: float) -> np.ndarray:
    """Per vertex, True when the ring turns back there along a spike thinner than
    ``tol`` grid steps: the nearer of its two neighbours lies that close to the
    line from the vertex to the farther one, on the same side of the vertex.

    A-B-A is one; so is a hair the overlays left (measured: a cell's ring ran 75 m
    out along its neighbours' edge and back 0.03 grid steps beside it), which
    rounding keeps and neighbours would be given too.
    """
    a = (k[prev] - k).astype(float)
    c = (k[nxt] - k).astype(float)
    back = np.flatnonzero((a * c).sum(axis=1) > 0)
    # Only the few vertices where the ring turns back can be spikes: the rest skip
    # the lengths and cross products.
    a, c = a[back], c[back]
    la, lc = np.hypot(a[:, 0], a[:, 1]), np.hypot(c[:, 0], c[:, 1])
    cross = np.abs(a[:, 0] * c[:, 1] - a[:, 1] * c[:, 0])
    out = np.zeros(len(k), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[back] = cross < tol * np.maximum(la, lc)
    return out


def _collapsed(k: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Per vertex, True when its ring has under three vertices or under half a grid
    cell of area (a hair of a cell whose vertices all rounded onto one line)."""
    if len(ring) == 0:
        return np.zeros(0, dtype=bool)
    first = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    count = np.diff(np.r_[first, len(ring)])
    rel = (k - np.repeat(k[first], count, axis=0)).astype(float)
    nxt = rel[_next_in_ring(ring)]
    twice_area = np.add.reduceat(rel[:, 0] * nxt[:, 1] - nxt[:, 0] * rel[:, 1], first)
    return np.repeat((count < 3) | (np.abs(twice_area) < 1.0), count)


def _vertex_ids(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One id per distinct vertex: ``(id of each vertex, index of one vertex of each id)``.

    Ids follow the vertices' order in x, then y. Both coordinates relative to the
    lowest go into one int64 when they fit in 31 bits (a township up to 21 km
    across): one sort instead of two.
    """
    # Column by column: a reduction along axis 0 of an (n, 2) array is several times slower.
    x, y = (k[:, 0] - k[:, 0].min(), k[:, 1] - k[:, 1].min()) if len(k) else (k[:, 0], k[:, 1])
    if len(k) and max(x.max(), y.max()) < 2**31:
        key = (x << 32) | y
        # Equal keys are one vertex, whichever of its copies sorts first: no need
        # for a stable sort (twice as slow).
        order = np.argsort(key)
        ordered = key[order]
        new = np.r_[True, ordered[1:] != ordered[:-1]]
    else:
        order = np.lexsort((k[:, 1], k[:, 0]))
        ordered = k[order]
        new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    ids = np.empty(len(k), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids, order[new]


@dataclass
class _Edges:
    """The ring edges of one state of the vertices.

    - ``ids``, ``first``: each vertex's id, and one vertex of each id
      (:func:`_vertex_ids`).
    - ``nxt``: the vertex after each vertex in its ring (an edge is named by its
      first vertex).
    - ``unmatched``: the edges that no other ring carries too.
    - ``crowded``: whether any edge is carried by more than two rings (cells that
      overlap).
    """

    ids: np.ndarray
    first: np.ndarray
    nxt: np.ndarray
    unmatched: np.ndarray
    crowded: bool


def _edges(k: np.ndarray, ring: np.ndarray, ids: np.ndarray | None = None) -> _Edges:
    """Which ring edges two rings share, found by sorting their vertex-id pairs.

    ``ids``: the vertices' ids if known (one per distinct point, in the order of
    :func:`_vertex_ids`, gaps allowed); else they are sorted out.
    """
    nxt = _next_in_ring(ring)
    if ids is None:
        ids, first = _vertex_ids(k)
    else:
        first = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
        first[ids] = np.arange(len(ids))
    a, b = ids, ids[nxt]
    key = np.minimum(a, b) * np.int64(len(first)) + np.maximum(a, b)
    order = np.argsort(key)  # only runs of equal keys matter, not their order
    same = key[order][1:] == key[order][:-1]
    matched = np.zeros(len(k), dtype=bool)
    matched[order[1:][same]] = True
    matched[order[:-1][same]] = True
    crowded = bool((same[1:] & same[:-1]).any())
    return _Edges(ids, first, nxt, np.flatnonzero(~matched), crowded)


def _merge_close(k: np.ndarray, edges: _Edges, tol: float):
    """Vertices of unmatched edges within ``tol`` grid steps of each other made one
    (:func:`_merge`).

    Each cluster takes its lowest vertex (in x, then y); every occurrence of a
    merged vertex in every ring moves, so neighbours stay equal.
    """
    ids, nxt, unmatched = edges.ids, edges.nxt, edges.unmatched
    cand = np.unique(np.r_[ids[unmatched], ids[nxt[unmatched]]])
    if len(cand) < 2:
        return k, False, edges.ids
    pairs = cKDTree(k[edges.first[cand]]).query_pairs(tol, output_type="ndarray")
    return _merge(k, edges, cand, pairs)


def _collapse_short(k: np.ndarray, edges: _Edges):
    """The two ends of every edge shorter than :data:`SHORT_EDGE_PIXELS` made one
    (:func:`_merge`).

    Run once the edges match: every cell carrying a short edge carries it whole, so
    all of them lose it together. A Voronoi vertex of cocircular sites split a hair
    in two leaves two cells that meet at a point sharing an edge of micrometres, a
    link in the cell graph that no area boundary can follow (GEOS cleaning snapped
    those together; one such link in the generated county's 柳店镇 moved 13 of its
    753 small areas out of +/-11%).
    """
    ids, nxt = edges.ids, edges.nxt
    step = k[nxt] - k
    short = np.flatnonzero(np.hypot(step[:, 0], step[:, 1]) < SHORT_EDGE_PIXELS)
    if len(short) == 0:
        return k, False, edges.ids
    cand, local = np.unique(np.r_[ids[short], ids[nxt[short]]], return_inverse=True)
    pairs = local.reshape(2, -1).T
    return _merge(k, edges, cand, pairs)


def _merge(k: np.ndarray, edges: _Edges, cand: np.ndarray, pairs: np.ndarray):
    """Vertex ids ``cand`` linked by ``pairs`` (indices into ``cand``) made one, at the
    lowest of each connected group; ``(k, whether any moved, ids)``."""
    if len(pairs) == 0:
        return k, False, edges.ids
    group = components(len(cand), pairs, np.ones(len(pairs), dtype=bool))
    # scipy numbers the groups in the order of their lowest member: its first index.
    lowest = np.unique(group, return_index=True)[1]
    target = np.arange(len(edges.first))
    target[cand] = cand[lowest[group]]
    ids = target[edges.ids]
    return k[edges.first[ids]], True, ids


def _insert_on_edges(k: np.ndarray, ring: np.ndarray, edges: _Edges, tol: float):
    """Each vertex of an unmatched edge that lies on another unmatched edge put into it.

    "On" is within ``tol`` grid steps of the edge and farther than that from both
    its ends. Several vertices on one edge go in in their order along it. Returns
    ``(k, ring, whether any went in, ids)``.
    """
    ids, first, nxt, unmatched = edges.ids, edges.first, edges.nxt, edges.unmatched
    if len(unmatched) == 0:
        return k, ring, False, ids
    point_ids = np.unique(np.r_[ids[unmatched], ids[nxt[unmatched]]])
    points = k[first[point_ids]]
    start, end = k[unmatched].astype(float), k[nxt[unmatched]].astype(float)
    p_idx, e_idx = _near_edges(points.astype(float), start, end, tol)
    step = end[e_idx] - start[e_idx]
    length = np.hypot(step[:, 0], step[:, 1])
    along = ((points[p_idx] - start[e_idx]) * step).sum(axis=1) / length
    inside = (along > tol) & (along < length - tol)
    p_idx, e_idx = p_idx[inside], e_idx[inside]
    near = _within(points[p_idx].astype(float), start[e_idx], end[e_idx], tol)
    if not near.any():
        return k, ring, False, ids
    p_idx, e_idx, inside = p_idx[near], e_idx[near], np.flatnonzero(inside)[near]
    after = unmatched[e_idx]
    position = np.r_[np.arange(len(k), dtype=float), after + along[inside] / length[inside]]
    all_ring = np.r_[ring, ring[after]]
    order = np.lexsort((position, all_ring))
    all_ids = np.r_[ids, point_ids[p_idx]]
    return np.r_[k, points[p_idx]][order], all_ring[order], True, all_ids[order]


def _near_edges(points: np.ndarray, start: np.ndarray, end: np.ndarray, tol: float):
    """Every (point, edge) pair with the point in the edge's box widened by ``tol``:
    all the pairs within ``tol`` of each other and a few more; ordered by point,
    then edge, as a spatial tree's query by the points gives them."""
    bounds = np.c_[np.minimum(start, end) - tol, np.maximum(start, end) + tol]
    edge, point = points_in_boxes(points, bounds)
    order = np.lexsort((edge, point))
    return point[order], edge[order]


def _within(points: np.ndarray, start: np.ndarray, end: np.ndarray, tol: float) -> np.ndarray:
    """Per pair, whether the point lies within ``tol`` of the segment from ``start`` to
    ``end``, its projection falling inside the segment: GEOS's ``dwithin``.

    The perpendicular distance settles every pair but those within rounding of
    ``tol``; GEOS answers for those few, so the answer is GEOS's own.
    """
    step = end - start
    length = np.hypot(step[:, 0], step[:, 1])
    left = (points[:, 0] - start[:, 0]) * step[:, 1]
    right = (points[:, 1] - start[:, 1]) * step[:, 0]
    distance = np.abs(left - right) / length
    slack = 1e-9 * (1.0 + (np.abs(left) + np.abs(right)) / length)
    out = distance < tol - slack
    close = np.flatnonzero(np.abs(distance - tol) <= slack)
    if len(close):
        lines = shapely.linestrings(np.stack([start[close], end[close]], axis=1))
        out[close] = shapely.dwithin(shapely.points(points[close]), lines, tol)
    return out


def _tiles(k: np.ndarray, edges: _Edges, outline: object, tol: float) -> bool:
    """True when no edge is carried by more than two rings, and the edges that only
    one ring carries lie on the outline and measure as long."""
    if edges.crowded:
        return False
    unmatched = edges.unmatched
    start, end = k[unmatched] / SCALE, k[edges.nxt[unmatched]] / SCALE
    length = float(np.hypot(*(end - start).T).sum())
    if abs(length - float(shapely.length(outline))) > LENGTH_TOLERANCE:
        return False
    rim = shapely.boundary(outline)
    shapely.prepare(rim)
    mid = shapely.points((start + end) / 2.0)
    return bool(shapely.dwithin(rim, mid, tol * GRID).all())


def _polygons(k: np.ndarray, ring: np.ndarray, ring_cell: np.ndarray, n_cells: int):
    """One Polygon per cell from its rings (first the shell); ``None`` where the shell
    collapsed (:func:`_drop_repeats`; a collapsed hole is just left out). Also, per
    cell, True where it is surely valid (one plainly convex ring, :mod:`.convex`)."""
    # ``ring`` is sorted: its runs are its distinct rings.
    start = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    rings, count = ring[start], np.diff(np.r_[start, len(ring)])
    shell = np.r_[True, ring_cell[1:] != ring_cell[:-1]][rings]
    cell = ring_cell[rings]
    alive_shell = np.zeros(n_cells, dtype=bool)
    alive_shell[cell[shell]] = True
    keep = alive_shell[cell]
    vertex_keep = np.repeat(keep, count)
    local = np.repeat(np.cumsum(keep) - 1, count)[vertex_keep]
    xy = k[vertex_keep] / SCALE
    linear = shapely.linearrings(xy, indices=local)
    out = np.full(n_cells, None, dtype=object)
    kept_cells = cell[keep]  # sorted, as the rings are
    new_cell = np.r_[True, kept_cells[1:] != kept_cells[:-1]]
    polygons = shapely.polygons(linear, indices=np.cumsum(new_cell) - 1)
    out[kept_cells[new_cell]] = polygons
    # A cell of one ring that is plainly convex is valid: GEOS need not check it.
    one_ring = np.diff(np.r_[np.flatnonzero(new_cell), len(kept_cells)]) == 1
    convex = convex_rings(xy[:, 0], xy[:, 1], count[keep])[new_cell] & one_ring
    sure = np.zeros(n_cells, dtype=bool)
    sure[kept_cells[new_cell][convex]] = True
    return out, sure


def _split_pinched(cells: np.ndarray, sure: np.ndarray) -> np.ndarray | None:
    """Cells whose ring touches itself at a vertex (a neck that closed) as MultiPolygons.

    :func:`shapely.make_valid` splits such a ring at the vertex it touches, adding no
    vertex, so the neighbours still match. ``None`` when it would change a cell
    otherwise (a ring crossing itself, which rounding should never make): the
    caller then cleans the cells with GEOS. ``sure``: the cells known to be valid,
    which GEOS does not check again.
    """
    check = np.flatnonzero(~sure & ~shapely.is_missing(cells))
    bad = check[~shapely.is_valid(cells[check])]
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
