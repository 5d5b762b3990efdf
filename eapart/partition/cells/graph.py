"""The cell adjacency graph: which cells touch, along what, and what a cut there costs.

Two cells are neighbours when they share a stretch of boundary of positive length
(touching at a corner does not count: an area joined at a point is not one piece).
Neighbours are found by matching the cells' identical boundary segments
(:mod:`eapart.partition.cells.shared_edges`: cells form a clean coverage); where a cell's
boundary does not match cleanly, an STRtree query of the cells and an intersection
of boundaries (:func:`touching_pairs`) check it.

Each edge records what its shared boundary runs along: a major road, rail, a
river, a minor road, a stream, a path, or nothing (open land inside a block). That
sets the cost of cutting the edge, ``shared length x factor``: cheap along major
barriers (boundaries should run there), dear across open land. The cost matrix is
what :func:`eapart.partition.regions.split.partition` takes.

Example (a township's graph, as the partitioner sees it)::

    from eapart.partition.cells.graph import township_graph
    tess, graph, weights = township_graph(task)
    labels = regions.partition(graph.adjacency, weights, 12, positions=tess.cell_site)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely

from eapart.partition.cells.dead_ends import close_dead_ends
from eapart.partition.cells.shared_edges import SegmentMatch, cell_segments, match_segments
from eapart.partition.cells.tessellate import BLOCK_RANKS, Tessellation, barrier_lines, tessellate

# What a shared boundary runs along, weakest to strongest (a larger code wins
# where two barriers coincide, e.g. a road along a river).
NONE = 0
PATH = 1
MINOR_ROAD = 2
STREAM = 3
MAJOR_ROAD = 4
RAIL = 5
RIVER = 6

BARRIER_NAMES: dict[int, str] = {
    NONE: "none",
    PATH: "path",
    MINOR_ROAD: "minor road",
    STREAM: "stream",
    MAJOR_ROAD: "major road",
    RAIL: "rail",
    RIVER: "river",
}

#: Barriers that should not run through a small area.
MAJOR_BARRIERS: tuple[int, ...] = (MAJOR_ROAD, RAIL, RIVER)

#: Cost of cutting one metre of shared boundary, by what it runs along.
CUT_FACTOR: dict[int, float] = {
    NONE: 1.0,
    PATH: 0.8,
    MINOR_ROAD: 0.3,
    STREAM: 0.3,
    MAJOR_ROAD: 0.05,
    RAIL: 0.05,
    RIVER: 0.05,
}

#: Distance (metres) within which a shared boundary is taken to run along a barrier.
ALONG_TOLERANCE = 0.01


@dataclass
class CellGraph:
    """Adjacency of the cells of one township.

    - ``edges``: (m, 2) cell indices, ``i < j``, each pair once.
    - ``shared_length``: metres of boundary each edge's cells share.
    - ``barrier``: what the shared boundary runs along (``NONE`` ... ``RIVER``).
    - ``outer_length``: per cell, metres of its boundary on the township boundary.
    - ``adjacency``: symmetric csr matrix, data = cost of cutting the edge (> 0).
    """

    n: int
    edges: np.ndarray
    shared_length: np.ndarray
    barrier: np.ndarray
    outer_length: np.ndarray
    adjacency: sp.csr_array

    def cut_cost(self) -> np.ndarray:
        """Cost of cutting each edge: shared length times the factor of its barrier."""
        return cut_costs(self.shared_length, self.barrier)


def cut_costs(shared_length: np.ndarray, barrier: np.ndarray) -> np.ndarray:
    """Shared length times :data:`CUT_FACTOR` of the barrier, floored to stay positive."""
    factor = np.array([CUT_FACTOR[k] for k in sorted(CUT_FACTOR)])
    return np.maximum(shared_length * factor[barrier], 1e-9)


def barrier_codes(kinds: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Barrier code of each line from its ``kind`` (road/rail/water) and ``rank``.

    Water of rank ``major`` is a river, other water a stream; rail of any rank is
    rail; roads are major, minor or path by rank.
    """
    kinds = np.asarray(kinds, dtype=object).astype(str)
    ranks = np.asarray(ranks, dtype=object).astype(str)
    out = np.full(len(kinds), MINOR_ROAD, dtype=np.int8)
    out[(kinds == "road") & (ranks == "major")] = MAJOR_ROAD
    out[(kinds == "road") & (ranks == "path")] = PATH
    out[kinds == "rail"] = RAIL
    out[kinds == "water"] = STREAM
    out[(kinds == "water") & (ranks == "major")] = RIVER
    return out


def touching_pairs(
    cells: np.ndarray, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of cells sharing boundary of positive length, and the length.

    ``among``: only pairs with at least one of these cell indices (default: all).
    Each pair once, sorted. This intersects the boundaries of every candidate pair:
    exact on any cells, but slower than :func:`build_graph`'s segment match.
    """
    tree = shapely.STRtree(cells)
    if among is None:
        i, j = tree.query(cells, predicate="intersects")
    else:
        among = np.asarray(among, dtype=np.int64)
        q, j = tree.query(cells[among], predicate="intersects")
        i = among[q]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    pairs = np.unique(np.column_stack([lo, hi])[lo != hi].reshape(-1, 2), axis=0)
    shared = shapely.length(
        shapely.intersection(
            shapely.boundary(cells[pairs[:, 0]]), shapely.boundary(cells[pairs[:, 1]])
        )
    )
    ok = shared > 0
    return pairs[ok], shared[ok]


def edge_barriers(
    edges: np.ndarray,
    cells: np.ndarray,
    cell_block: np.ndarray,
    lines: np.ndarray,
    codes: np.ndarray,
) -> np.ndarray:
    """What each edge's shared boundary runs along.

    Only edges between two blocks can run along a barrier (barriers enclose blocks).
    The midpoint of the shared boundary is matched to the barrier lines within
    :data:`ALONG_TOLERANCE`; the strongest barrier wins.
    """
    out = np.zeros(len(edges), dtype=np.int8)
    cross = np.flatnonzero(cell_block[edges[:, 0]] != cell_block[edges[:, 1]])
    if len(cross) == 0 or len(lines) == 0:
        return out
    a, b = cells[edges[cross, 0]], cells[edges[cross, 1]]
    shared = shapely.line_merge(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
    first = shapely.get_geometry(shared, 0)
    first = np.where(shapely.is_missing(first), shared, first)
    mid = shapely.line_interpolate_point(first, 0.5, normalized=True)
    tree = shapely.STRtree(lines)
    e_idx, l_idx = tree.query(mid, predicate="dwithin", distance=ALONG_TOLERANCE)
    if len(e_idx):
        np.maximum.at(out, cross[e_idx], codes[l_idx])
    return out


def outer_lengths(cells: np.ndarray, edges: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """Per cell, boundary length not shared with another cell (it lies on the township edge)."""
    n = len(cells)
    inner = np.bincount(edges[:, 0], shared, minlength=n) + np.bincount(
        edges[:, 1], shared, minlength=n
    )
    return np.maximum(shapely.length(cells) - inner, 0.0)


def adjacency_matrix(n: int, edges: np.ndarray, cost: np.ndarray) -> sp.csr_array:
    """Symmetric csr matrix of ``cost`` on ``edges`` (each listed once)."""
    rows = np.r_[edges[:, 0], edges[:, 1]]
    cols = np.r_[edges[:, 1], edges[:, 0]]
    return sp.csr_array((np.r_[cost, cost], (rows, cols)), shape=(n, n))


def major_edges_among(graph: CellGraph, subset: np.ndarray) -> sp.csr_array:
    """Symmetric 0/1 matrix of the edges across a major barrier between two of ``subset``'s
    cells, indexed by their place in ``subset`` (what band repair must never cut through)."""
    local = np.full(graph.n, -1, dtype=np.int64)
    local[subset] = np.arange(len(subset))
    e = local[graph.edges[np.isin(graph.barrier, MAJOR_BARRIERS)]]
    e = e[(e >= 0).all(axis=1)]
    return adjacency_matrix(len(subset), e, np.ones(len(e)))


def segment_barriers(
    match: SegmentMatch, cell_block: np.ndarray, lines: np.ndarray, codes: np.ndarray
) -> np.ndarray:
    """What each edge of ``match`` runs along, from its shared segments.

    Only segments between two blocks can run along a barrier (barriers enclose
    blocks). Each such segment takes the strongest barrier within
    :data:`ALONG_TOLERANCE` of its midpoint (or none); each edge takes the barrier
    that covers most of its shared length, the stronger one on a tie.
    """
    n_edges = len(match.edges)
    out = np.zeros(n_edges, dtype=np.int8)
    if n_edges == 0 or len(lines) == 0:
        return out
    e = match.edges[match.seg_edge]
    cross = np.flatnonzero(cell_block[e[:, 0]] != cell_block[e[:, 1]])
    if len(cross) == 0:
        return out
    seg_code = np.zeros(len(cross), dtype=np.int64)
    tree = shapely.STRtree(lines)
    s_idx, l_idx = tree.query(
        shapely.points(match.seg_mid[cross]), predicate="dwithin", distance=ALONG_TOLERANCE
    )
    if len(s_idx):
        np.maximum.at(seg_code, s_idx, np.asarray(codes, dtype=np.int64)[l_idx])
    n_codes = max(BARRIER_NAMES) + 1
    per = np.bincount(
        match.seg_edge[cross] * n_codes + seg_code,
        match.seg_length[cross],
        minlength=n_edges * n_codes,
    ).reshape(n_edges, n_codes)
    # argmax over reversed columns: on a tie the stronger (higher) code wins.
    best = n_codes - 1 - np.argmax(per[:, ::-1], axis=1)
    has = per.sum(axis=1) > 0
    out[has] = best[has]
    return out


def _suspect_cells(match: SegmentMatch, outline: object | None) -> np.ndarray:
    """Cells with boundary that matched no neighbour yet lies off the township outline.

    In a cleanly noded coverage there are none; where there are, the cheap segment
    match may have missed a neighbour, so those cells are checked geometrically.
    """
    if outline is None or len(match.unmatched_mid) == 0:
        return np.zeros(0, dtype=np.int64)
    ring = shapely.boundary(outline)
    off = ~shapely.dwithin(ring, shapely.points(match.unmatched_mid), ALONG_TOLERANCE)
    return np.unique(match.unmatched_cell[off])


def _patch_suspects(
    cells: np.ndarray,
    suspects: np.ndarray,
    edges: np.ndarray,
    shared: np.ndarray,
    barrier: np.ndarray,
    cell_block: np.ndarray,
    lines: np.ndarray,
    codes: np.ndarray,
):
    """Redo the edges of ``suspects`` by intersecting boundaries; merge with the rest."""
    is_suspect = np.zeros(len(cells), dtype=bool)
    is_suspect[suspects] = True
    pairs, length = touching_pairs(cells, among=suspects)
    redo = is_suspect[edges[:, 0]] | is_suspect[edges[:, 1]]
    new_barrier = edge_barriers(pairs, cells, cell_block, lines, codes)
    edges = np.concatenate([edges[~redo], pairs])
    shared = np.concatenate([shared[~redo], length])
    barrier = np.concatenate([barrier[~redo], new_barrier])
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    return edges[order], shared[order], barrier[order]


def build_graph(
    tess: Tessellation, lines: np.ndarray, codes: np.ndarray
) -> CellGraph:
    """The cell graph of a tessellation, with barrier codes from ``lines``/``codes``.

    ``lines``: barrier line geometries; ``codes``: their barrier codes
    (:func:`barrier_codes`). Neighbours and shared lengths come from matching the
    cells' boundary segments (:mod:`eapart.partition.cells.shared_edges`); cells whose
    boundary does not match cleanly are checked by intersecting boundaries.
    """
    cells = tess.cells
    codes = np.asarray(codes)
    lines = barrier_lines(np.asarray(lines, dtype=object))
    match = match_segments(cell_segments(cells), len(cells))
    edges, shared = match.edges, match.shared_length
    barrier = segment_barriers(match, tess.cell_block, lines, codes)
    outer = match.outer_length
    suspects = _suspect_cells(match, tess.outline)
    if len(suspects):
        edges, shared, barrier = _patch_suspects(
            cells, suspects, edges, shared, barrier, tess.cell_block, lines, codes
        )
        outer = outer_lengths(cells, edges, shared)
    return CellGraph(
        n=len(cells),
        edges=edges,
        shared_length=shared,
        barrier=barrier,
        outer_length=outer,
        adjacency=adjacency_matrix(len(cells), edges, cut_costs(shared, barrier)),
    )


def block_lines(barriers, boundary: object = None, ranks: tuple[str, ...] = BLOCK_RANKS):
    """The barrier rows whose lines enclose blocks, as ``(geometries, codes)``.

    ``barriers``: a GeoDataFrame with columns ``kind``, ``rank`` (the
    :class:`~eapart.partition.model.TownshipTask` barriers). Rail and rivers always
    enclose blocks; roads and streams when their rank is in ``ranks``. With the
    township ``boundary``, dead ends of major barriers are carried on to the next
    line or the boundary (:func:`eapart.partition.cells.dead_ends.close_dead_ends`).
    """
    if barriers is None or len(barriers) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int8)
    codes = barrier_codes(barriers["kind"].to_numpy(), barriers["rank"].to_numpy())
    ranks_arr = barriers["rank"].astype(str).to_numpy()
    use = np.isin(ranks_arr, list(ranks)) | np.isin(codes, MAJOR_BARRIERS)
    lines, codes = barriers.geometry.to_numpy()[use], codes[use]
    if boundary is None:
        return lines, codes
    return close_dead_ends(lines, codes, boundary, np.isin(codes, MAJOR_BARRIERS))


def township_graph(task, measure: str | None = None):
    """Tessellate a :class:`~eapart.partition.model.TownshipTask` and build its cell graph.

    Returns ``(tessellation, graph, weights)``, where ``weights`` is the cell total
    of ``measure`` (default ``task.params.measure``: households or persons). This is
    the graph the engine partitions; benchmarks reuse it to compare partitioners.
    Village boundaries are not used here (see :mod:`eapart.partition.township`).
    """
    lines, codes = block_lines(task.barriers, task.geometry)
    tess = tessellate(task.geometry, task.buildings.geometry.to_numpy(), lines)
    graph = build_graph(tess, lines, codes)
    measure = measure or task.params.measure
    values = np.nan_to_num(task.buildings[measure].to_numpy(dtype=float))
    weights = np.bincount(tess.building_cell, values, minlength=tess.n_cells)
    return tess, graph, weights
