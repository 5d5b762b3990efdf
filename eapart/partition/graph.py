"""The cell adjacency graph: which cells touch, along what, and what a cut there costs.

Two cells are neighbours when they share a stretch of boundary of positive length
(touching at a corner does not count: an area joined at a point is not one piece).
Candidates come from an STRtree query of the cells against themselves (the same
pairs as the Delaunay edges of the building points, plus the cells of empty land
that have no point), kept where the shared boundary has length.

Each edge records what its shared boundary runs along: a major road, rail, a
river, a minor road, a stream, a path, or nothing (open land inside a block). That
sets the cost of cutting the edge, ``shared length x factor``: cheap along major
barriers (boundaries should run there), dear across open land. The cost matrix is
what :func:`eapart.partition.regions.partition` takes.

Example (a township's graph, as the partitioner sees it)::

    from eapart.partition.graph import township_graph
    tess, graph, weights = township_graph(task)
    labels = regions.partition(graph.adjacency, weights, 12, positions=tess.cell_site)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely

from eapart.partition.tessellate import BLOCK_RANKS, Tessellation, barrier_lines, tessellate

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


def touching_pairs(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of cells sharing boundary of positive length, and the length."""
    tree = shapely.STRtree(cells)
    i, j = tree.query(cells, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[i]), shapely.boundary(cells[j]))
    )
    ok = shared > 0
    return np.column_stack([i[ok], j[ok]]), shared[ok]


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


def build_graph(
    tess: Tessellation, lines: np.ndarray, codes: np.ndarray
) -> CellGraph:
    """The cell graph of a tessellation, with barrier codes from ``lines``/``codes``.

    ``lines``: barrier line geometries; ``codes``: their barrier codes
    (:func:`barrier_codes`).
    """
    cells = tess.cells
    edges, shared = touching_pairs(cells)
    lines = barrier_lines(np.asarray(lines, dtype=object))
    barrier = edge_barriers(edges, cells, tess.cell_block, lines, np.asarray(codes))
    return CellGraph(
        n=len(cells),
        edges=edges,
        shared_length=shared,
        barrier=barrier,
        outer_length=outer_lengths(cells, edges, shared),
        adjacency=adjacency_matrix(len(cells), edges, cut_costs(shared, barrier)),
    )


def block_lines(barriers, ranks: tuple[str, ...] = BLOCK_RANKS):
    """The barrier rows whose lines enclose blocks, as ``(geometries, codes)``.

    ``barriers``: a GeoDataFrame with columns ``kind``, ``rank`` (the
    :class:`~eapart.partition.model.TownshipTask` barriers). Rail and rivers always
    enclose blocks; roads and streams when their rank is in ``ranks``.
    """
    if barriers is None or len(barriers) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int8)
    codes = barrier_codes(barriers["kind"].to_numpy(), barriers["rank"].to_numpy())
    ranks_arr = barriers["rank"].astype(str).to_numpy()
    use = np.isin(ranks_arr, list(ranks)) | np.isin(codes, MAJOR_BARRIERS)
    return barriers.geometry.to_numpy()[use], codes[use]


def township_graph(task, measure: str | None = None):
    """Tessellate a :class:`~eapart.partition.model.TownshipTask` and build its cell graph.

    Returns ``(tessellation, graph, weights)``, where ``weights`` is the cell total
    of ``measure`` (default ``task.params.measure``: households or persons). This is
    the graph the engine partitions; benchmarks reuse it to compare partitioners.
    Village boundaries are not used here (see :mod:`eapart.partition.hierarchy`).
    """
    lines, codes = block_lines(task.barriers)
    tess = tessellate(task.geometry, task.buildings.geometry.to_numpy(), lines)
    graph = build_graph(tess, lines, codes)
    measure = measure or task.params.measure
    values = np.nan_to_num(task.buildings[measure].to_numpy(dtype=float))
    weights = np.bincount(tess.building_cell, values, minlength=tess.n_cells)
    return tess, graph, weights
