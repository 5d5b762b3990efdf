"""The cell graph: who touches whom, along what, at what cost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph

from eapart.partition import graph as g
from eapart.partition.examples import andorra_tasks, square_task

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "andorra.gpkg"


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
