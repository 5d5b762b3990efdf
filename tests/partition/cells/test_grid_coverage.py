"""Cells rounded onto the grid and matched up in numpy form a clean coverage."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from township_builders import square_task

import eapart.partition.cells.tessellate as tessellate_module
from eapart.partition.cells.graph import block_lines
from eapart.partition.cells.grid_coverage import _within, snap_coverage
from eapart.partition.cells.tessellate import tessellate

HAIR = 1e-9


def two_blocks_cells() -> np.ndarray:
    """Two blocks side by side; the left one cut in two at y = 5 (a T-junction on the
    block edge x = 10, which the right cell lacks), its cut's end a hair apart in the
    two cells, and the right cell's top corner a hair off the left cell's."""
    return np.array([
        shapely.Polygon([(0, 0), (10, 0), (10, 5), (0, 5)]),
        shapely.Polygon([(0, 5), (10 + HAIR, 5 - HAIR), (10, 10), (0, 10)]),
        shapely.Polygon([(10, 0), (20, 0), (20, 10), (10 - HAIR, 10 + HAIR)]),
    ], dtype=object)


def test_t_junctions_and_hairs_become_shared_vertices():
    cells = two_blocks_cells()
    outline = shapely.box(0, 0, 20, 10)
    assert not shapely.coverage_is_valid(cells)
    snapped = snap_coverage(cells, outline)
    assert snapped is not None
    assert shapely.coverage_is_valid(snapped) and shapely.is_valid(snapped).all()
    assert np.allclose(shapely.area(snapped), [50, 50, 100])
    # The right cell took the left block's cut point, exactly.
    assert (10.0, 5.0) in set(map(tuple, shapely.get_coordinates(snapped[2])))
    assert shapely.equals(shapely.coverage_union_all(snapped), outline)


def test_cells_that_do_not_tile_the_outline_are_refused():
    overlapping = np.array([shapely.box(0, 0, 12, 10), shapely.box(10, 0, 20, 10)])
    assert snap_coverage(overlapping, shapely.box(0, 0, 20, 10)) is None
    gap = np.array([shapely.box(0, 0, 9, 10), shapely.box(10, 0, 20, 10)])
    assert snap_coverage(gap, shapely.box(0, 0, 20, 10)) is None
    doubled = np.array([shapely.box(0, 0, 10, 10), shapely.box(0, 0, 10, 10),
                        shapely.box(10, 0, 20, 10)])
    assert snap_coverage(doubled, shapely.box(0, 0, 20, 10)) is None


def test_a_hair_of_a_cell_collapses():
    """A triangle thinner than a grid step along an edge goes; its neighbour keeps
    the land, and the cell across takes the neighbour's vertex on that edge."""
    hair = shapely.Polygon([(0, 5), (20, 5), (10, 5 + 1e-7)])
    above = shapely.Polygon([(0, 5), (10, 5 + 1e-7), (20, 5), (20, 10), (0, 10)])
    below = shapely.box(0, 0, 20, 5)
    snapped = snap_coverage(np.array([hair, above, below]), shapely.box(0, 0, 20, 10))
    assert snapped is not None and snapped[0] is None
    assert shapely.coverage_is_valid(snapped[1:]) and shapely.is_valid(snapped[1:]).all()
    assert np.allclose(shapely.area(snapped[1:]), [100, 100])


def test_a_neck_a_hair_wide_closes_and_the_cell_comes_in_pieces():
    """An hourglass cell whose waist is 1e-7 m wide: on the grid its two halves touch
    at one vertex, and it comes back as their MultiPolygon, adding no vertex."""
    hourglass = shapely.Polygon([(0, 0), (20, 0), (10, 5), (20, 10), (0, 10),
                                 (10, 5 + 1e-7)])
    left = shapely.Polygon([(0, 0), (10, 5 + 1e-7), (0, 10)])
    right = shapely.Polygon([(20, 0), (20, 10), (10, 5)])
    snapped = snap_coverage(np.array([hourglass, left, right]), shapely.box(0, 0, 20, 10))
    assert snapped is not None
    assert shapely.get_type_id(snapped[0]) == 6 and shapely.is_valid(snapped[0])
    assert shapely.get_num_geometries(snapped[0]) == 2
    assert abs(shapely.area(snapped[0]) - 100) < 1e-4
    assert shapely.coverage_is_valid(snapped)


def test_tessellation_needs_no_geos_cleaning(monkeypatch):
    """On the hand-made township, the numpy path gives the clean coverage alone."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("GEOS coverage cleaning was called")

    monkeypatch.setattr(tessellate_module.shapely, "coverage_clean", refuse)
    task = square_task()
    lines, _ = block_lines(task.barriers)
    tess = tessellate(task.geometry, task.buildings.geometry.to_numpy(), lines)
    assert shapely.coverage_is_valid(tess.cells) and shapely.is_valid(tess.cells).all()
    assert shapely.covers(tess.cells[tess.building_cell],
                          shapely.points(tess.building_xy)).all()


@pytest.mark.parametrize("shift", [0.0, 0.3e-5, 0.5e-5 - HAIR / 2, 0.5e-5 + HAIR / 2])
def test_a_vertex_on_either_side_of_a_grid_line_still_matches(shift):
    """Two cells' copies of one crossing point, a hair apart across a rounding boundary."""
    x = 10.0 + shift
    cells = np.array([
        shapely.Polygon([(0, 0), (x, 0), (x, 10), (0, 10)]),
        shapely.Polygon([(x + HAIR, 0), (20, 0), (20, 10), (x, 10)]),
    ])
    snapped = snap_coverage(cells, shapely.box(0, 0, 20, 10))
    assert snapped is not None and shapely.coverage_is_valid(snapped)


def test_an_edge_of_micrometres_collapses_into_a_point():
    """Four cells round a vertex split 30 um in two: the two cells that shared the
    30 um edge only touch at a point after, and the long edges stay."""
    a, b = (10, 10 - 1.5e-5), (10, 10 + 1.5e-5)
    sw = shapely.Polygon([(0, 0), (10, 0), a, (0, 10)])
    se = shapely.Polygon([(10, 0), (20, 0), (20, 10), b, a])
    ne = shapely.Polygon([b, (20, 10), (20, 20), (10, 20)])
    nw = shapely.Polygon([(0, 10), a, b, (10, 20), (0, 20)])
    cells = np.array([sw, se, ne, nw])
    assert shapely.coverage_is_valid(cells)
    assert shapely.length(shapely.intersection(se, nw)) > 0
    snapped = snap_coverage(cells, shapely.box(0, 0, 20, 20))
    assert snapped is not None and shapely.coverage_is_valid(snapped)
    assert shapely.length(shapely.intersection(snapped[1], snapped[3])) == 0
    assert shapely.length(shapely.intersection(snapped[0], snapped[1])) > 9.9
    assert np.allclose(shapely.area(snapped), 100, atol=1e-3)


def test_cells_with_holes_keep_their_holes_and_the_cells_inside_them():
    """A cell with two holes among plain cells: each ring stays whole and in place,
    and the cells filling the holes match it (the rings are numbered cell by cell)."""
    left = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)],
        [[(2, 2), (4, 2), (4, 4), (2, 4)], [(6, 6), (8, 6), (8, 8), (6, 8)]],
    )
    cells = np.array([shapely.box(2, 2, 4, 4), left, shapely.box(10, 0, 20, 10),
                      shapely.box(6, 6, 8, 8)], dtype=object)
    snapped = snap_coverage(cells, shapely.box(0, 0, 20, 10))
    assert snapped is not None
    assert all(shapely.equals(a, b) for a, b in zip(snapped, cells, strict=True))
    assert shapely.get_num_interior_rings(snapped).tolist() == [0, 2, 0, 0]


def test_points_near_an_edge_are_those_geos_finds_within_the_distance():
    rng = np.random.default_rng(11)
    start = np.round(rng.random((4000, 2)) * 2e6)
    end = start + np.round((rng.random((4000, 2)) - 0.5) * np.array([[4e5], [40]])[
        rng.integers(0, 2, 4000)])
    t = rng.random((4000, 1)) * 0.8 + 0.1
    offset = np.round((rng.random((4000, 2)) - 0.5) * 12)
    points = np.round(start + t * (end - start)) + offset
    # And points exactly the distance off axis-aligned edges.
    start = np.r_[start, [[0.0, 0.0], [0.0, 0.0]]]
    end = np.r_[end, [[100.0, 0.0], [0.0, 100.0]]]
    points = np.r_[points, [[50.0, 2.0], [2.0, 50.0]]]
    lines = shapely.linestrings(np.stack([start, end], axis=1))
    step = end - start
    length = np.hypot(step[:, 0], step[:, 1])
    along = ((points - start) * step).sum(axis=1) / np.maximum(length, 1.0)
    for tol in (2.0, 5.0):
        # As the grid matching asks: only of points whose projection is on the edge.
        ask = np.flatnonzero((along > tol) & (along < length - tol))
        geos = shapely.dwithin(shapely.points(points[ask]), lines[ask], tol)
        assert 0 < geos.sum() < len(ask) and geos[-2:].all()
        assert (_within(points[ask], start[ask], end[ask], tol) == geos).all()
