"""Blocks and cells tile the township exactly, on hand-made and real geometry."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from eapart.partition.examples import SQUARE_CRS, andorra_tasks, square_task
from eapart.partition.graph import block_lines
from eapart.partition.tessellate import make_blocks, merge_sites, tessellate

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "andorra.gpkg"


def assert_tiles(cells: np.ndarray, parent) -> None:
    """Cells are single polygons whose union is the parent and whose areas add up to it."""
    assert (shapely.get_type_id(cells) == 3).all()
    area = shapely.area(parent)
    assert abs(shapely.area(cells).sum() - area) <= 1e-6 * area
    assert abs(shapely.area(shapely.union_all(cells)) - area) <= 1e-6 * area
    assert shapely.area(shapely.symmetric_difference(shapely.union_all(cells), parent)) <= (
        1e-6 * area
    )


def test_blocks_follow_major_and_minor_barriers_not_paths():
    task = square_task()
    lines, _ = block_lines(task.barriers)
    blocks = make_blocks(task.geometry, lines)
    # Major road x=500, river y=150, minor road west of the major road; the path
    # at x=700 encloses nothing.
    assert len(blocks) == 5
    assert_tiles(blocks, task.geometry)
    assert not shapely.crosses(blocks, shapely.LineString([(500, 0), (500, 1000)])).any()


def test_cells_tile_township_and_hold_their_buildings(tmp_path):
    task = square_task()
    lines, _ = block_lines(task.barriers)
    tess = tessellate(task.geometry, task.buildings.geometry.to_numpy(), lines)
    path = tmp_path / "cells.gpkg"
    gpd.GeoDataFrame(
        {"block": tess.cell_block, "has_building": tess.cell_has_building},
        geometry=tess.cells,
        crs=SQUARE_CRS,
    ).to_file(path, layer="cells")
    back = gpd.read_file(path, layer="cells")
    assert len(back) == tess.n_cells
    assert_tiles(back.geometry.to_numpy(), task.geometry)
    assert shapely.coverage_is_valid(tess.cells)
    # Every building's point lies in its own cell, and that cell in one block.
    pts = shapely.point_on_surface(task.buildings.geometry.to_numpy())
    assert shapely.covers(tess.cells[tess.building_cell], pts).all()
    inside = shapely.area(
        shapely.intersection(tess.cells, tess.blocks[tess.cell_block])
    ) / shapely.area(tess.cells)
    assert np.allclose(inside, 1.0, atol=1e-6)
    # Every block holds at least one cell; empty blocks are cells with no building.
    assert set(tess.cell_block) == set(range(len(tess.blocks)))
    occupied = np.zeros(tess.n_cells, dtype=bool)
    occupied[tess.building_cell] = True
    assert (occupied == tess.cell_has_building).all()


def test_duplicate_points_share_one_cell():
    xy = np.array([[10.0, 10.0], [10.0, 10.0], [10.004, 10.0], [50.0, 50.0]])
    site_xy, site_block, point_site = merge_sites(xy, np.zeros(4, dtype=np.int64))
    assert len(site_xy) == 2
    assert point_site[0] == point_site[1] == point_site[2] != point_site[3]
    tess = tessellate(shapely.box(0, 0, 100, 100), shapely.points(xy))
    assert tess.building_cell[0] == tess.building_cell[1]
    assert_tiles(tess.cells, shapely.box(0, 0, 100, 100))


def test_collinear_points_and_single_point():
    box = shapely.box(0, 0, 100, 20)
    line = shapely.points(np.column_stack([np.linspace(5, 95, 10), np.full(10, 10.0)]))
    tess = tessellate(box, line)
    assert tess.n_cells == 10
    assert_tiles(tess.cells, box)
    one = tessellate(box, shapely.points([[50.0, 10.0]]))
    assert one.n_cells == 1 and shapely.equals(one.cells[0], box)


def test_no_buildings_gives_the_blocks():
    task = square_task()
    lines, _ = block_lines(task.barriers)
    tess = tessellate(task.geometry, np.zeros(0, dtype=object), lines)
    assert tess.n_cells == 5 and not tess.cell_has_building.any()
    assert_tiles(tess.cells, task.geometry)


def test_concave_block_leaves_no_gap():
    # A U-shaped township: Voronoi cells of points in one arm reach across the notch.
    u_shape = shapely.Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 50), (100, 50),
                               (100, 300), (0, 300)])
    pts = shapely.points([[50, 280], [250, 280], [150, 25], [60, 100]])
    tess = tessellate(u_shape, pts)
    assert_tiles(tess.cells, u_shape)
    assert shapely.covers(tess.cells[tess.building_cell], pts).all()


@pytest.mark.skipif(not DATA.exists(), reason=f"real data not found at {DATA}")
def test_andorra_parishes_tile():
    for task in andorra_tasks(DATA)[:3]:
        lines, _ = block_lines(task.barriers)
        tess = tessellate(task.geometry, task.buildings.geometry.to_numpy(), lines)
        assert_tiles(tess.cells, task.geometry)
        assert len(tess.building_cell) == len(task.buildings)
