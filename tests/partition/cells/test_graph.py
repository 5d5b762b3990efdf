"""The cell graph: who touches whom, along what, at what cost."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from paths import ANDORRA
from scipy.sparse import csgraph
from township_builders import andorra_tasks, square_task

from eapart.partition.cells import graph as g
from eapart.partition.cells.shared_edges import cell_segments, match_segments
from eapart.partition.cells.tessellate import Tessellation

DATA = ANDORRA


@pytest.fixture(scope="module")
def square():
    task = square_task()
    tess, graph, weights = g.township_graph(task)
    return task, tess, graph, weights


def test_edges_are_real_shared_boundaries(square):
    task, tess, graph, _ = square
    i, j = graph.edges[:, 0], graph.edges[:, 1]
    assert (i < j).all() and len(np.unique(graph.edges, axis=0)) == len(graph.edges)
    assert (graph.shared_length > 0).all()
    # Every cell's perimeter is its shared boundary plus what lies on the township edge.
    perimeters = shapely.length(tess.cells).sum()
    assert np.isclose(perimeters, 2 * graph.shared_length.sum() + task.geometry.length)
    assert np.isclose(graph.outer_length.sum(), task.geometry.length)
    bounds = shapely.boundary(tess.cells)
    touching = shapely.intersection(bounds[i], bounds[j])
    assert np.allclose(shapely.length(touching), graph.shared_length)


def test_barriers_on_edges_and_costs(square):
    _, tess, graph, _ = square
    across_road = (
        (tess.cell_site[graph.edges[:, 0], 0] < 500) != (tess.cell_site[graph.edges[:, 1], 0] < 500)
    )
    assert across_road.any()
    assert (graph.barrier[across_road] == g.MAJOR_ROAD).all()
    assert (graph.barrier == g.RIVER).any() and (graph.barrier == g.MINOR_ROAD).any()
    # The path does not enclose blocks: nothing runs along a path.
    assert not (graph.barrier == g.PATH).any()
    cost = graph.cut_cost()
    per_metre = cost / graph.shared_length
    assert np.allclose(per_metre[graph.barrier == g.MAJOR_ROAD], g.CUT_FACTOR[g.MAJOR_ROAD])
    assert np.allclose(per_metre[graph.barrier == g.NONE], g.CUT_FACTOR[g.NONE])


def test_adjacency_matrix_for_the_partitioner(square):
    task, tess, graph, weights = square
    adj = graph.adjacency
    assert adj.shape == (tess.n_cells, tess.n_cells)
    assert abs(adj - adj.T).max() == 0
    assert (adj.data > 0).all() and adj.diagonal().sum() == 0
    assert csgraph.connected_components(adj)[0] == 1
    assert weights.sum() == task.buildings["households"].sum()
    assert len(weights) == tess.n_cells


def test_barrier_codes_from_kind_and_rank():
    kinds = np.array(["road", "road", "road", "rail", "water", "water"], dtype=object)
    ranks = np.array(["major", "minor", "path", "minor", "major", "minor"], dtype=object)
    assert g.barrier_codes(kinds, ranks).tolist() == [
        g.MAJOR_ROAD, g.MINOR_ROAD, g.PATH, g.RAIL, g.RIVER, g.STREAM,
    ]


@pytest.mark.skipif(not DATA.exists(), reason=f"real data not found at {DATA}")
def test_andorra_graph_is_connected_and_consistent():
    task = andorra_tasks(DATA)[0]
    tess, graph, weights = g.township_graph(task)
    assert csgraph.connected_components(graph.adjacency)[0] == 1
    assert np.isclose(
        shapely.length(tess.cells).sum(),
        2 * graph.shared_length.sum() + shapely.length(task.geometry),
    )
    assert (graph.barrier == g.MAJOR_ROAD).any()
    assert weights.sum() == task.buildings["households"].sum()


def test_segment_match_finds_the_same_neighbours_as_intersecting_boundaries(square):
    _, tess, graph, _ = square
    pairs, shared = g.touching_pairs(tess.cells)
    assert np.array_equal(pairs, graph.edges)
    assert np.allclose(shared, graph.shared_length)


def test_segment_match_on_a_grid_of_squares():
    # 3 x 2 unit squares: 7 shared sides of length 1, 10 outer sides.
    x, y = np.meshgrid(np.arange(3.0), np.arange(2.0))
    cells = shapely.box(x.ravel(), y.ravel(), x.ravel() + 1, y.ravel() + 1)
    match = match_segments(cell_segments(cells), len(cells))
    assert match.edges.tolist() == [[0, 1], [0, 3], [1, 2], [1, 4], [2, 5], [3, 4], [4, 5]]
    assert np.allclose(match.shared_length, 1.0)
    assert np.isclose(match.outer_length.sum(), 10.0)
    assert len(match.unmatched_mid) == 10


def test_badly_noded_cells_are_checked_by_intersection():
    # The right half is cut in two at y=1, but the left cell's side x=1 is one segment
    # with no vertex at (1, 1): the segment match misses both of its neighbours.
    left = shapely.box(0, 0, 1, 2)
    right_low, right_high = shapely.box(1, 0, 2, 1), shapely.box(1, 1, 2, 2)
    cells = np.array([left, right_low, right_high], dtype=object)
    outline = shapely.box(0, 0, 2, 2)
    tess = Tessellation(
        blocks=np.array([outline], dtype=object),
        cells=cells,
        cell_block=np.zeros(3, dtype=np.int64),
        cell_site=shapely.get_coordinates(shapely.centroid(cells)),
        cell_has_building=np.ones(3, dtype=bool),
        building_cell=np.arange(3),
        outline=outline,
    )
    graph = g.build_graph(tess, np.zeros(0, dtype=object), np.zeros(0, dtype=np.int8))
    assert graph.edges.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert np.allclose(graph.shared_length, 1.0)
    assert np.isclose(graph.outer_length.sum(), 8.0)
