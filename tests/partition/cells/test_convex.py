"""Convex rings told in numpy: "yes" only where GEOS would find the polygon valid."""

import numpy as np
import shapely

from eapart.partition.cells.convex import convex_rings, plainly_convex


def _rings(*rings):
    """``(x, y, count)`` of rings given as vertex lists without the closing repeat."""
    xy = np.concatenate([np.asarray(r, dtype=float) for r in rings])
    return xy[:, 0], xy[:, 1], np.array([len(r) for r in rings])


def test_convex_rings_either_way_round_are_convex():
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert convex_rings(*_rings(square, square[::-1])).tolist() == [True, True]


def test_repeated_collinear_and_spiked_vertices_are_not_shown_convex():
    repeated = [(0, 0), (1, 0), (1, 0), (0, 1)]
    collinear = [(0, 0), (1, 0), (2, 0), (0, 1)]
    spike = [(0, 0), (2, 0), (1, 0), (0, 1)]
    assert not convex_rings(*_rings(repeated, collinear, spike)).any()


def test_crossing_and_twice_winding_rings_are_not_convex():
    bowtie = [(0, 0), (1, 1), (0, 1), (1, 0)]
    angle = np.arange(5) * 4 * np.pi / 5
    pentagram = np.c_[np.cos(angle), np.sin(angle)]
    assert not convex_rings(*_rings(bowtie, pentagram)).any()


def test_a_turn_too_slight_to_be_sure_of_is_not_shown_convex():
    # A left turn of 1e-13 at (1, 1): its sign is below what rounding could flip.
    slight = [(0, 0), (1, 1), (2, 2 + 1e-13), (0, 2)]
    clear = [(0, 0), (1, 1), (2, 2.1), (0, 2)]
    assert convex_rings(*_rings(slight, clear)).tolist() == [False, True]


def test_plainly_convex_polygons_are_valid_voronoi_cells_and_nothing_else():
    rng = np.random.default_rng(7)
    sites = shapely.multipoints(np.round(rng.random((400, 2)) * 50, 1))
    cells = shapely.get_parts(shapely.voronoi_polygons(sites))
    sure = plainly_convex(cells)
    assert sure.mean() > 0.9 and shapely.is_valid(cells[sure]).all()
    holed = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2)]])
    others = np.array([holed, shapely.Polygon(), shapely.Point(0, 0), None], dtype=object)
    assert not plainly_convex(others).any()
