"""Dead ends of major roads, rail and rivers are carried on so that they bound areas."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_county import X0, Y0, tiny_county, write_gpkg

from eapart.partition.cells.dead_ends import NEAREST_REACH, REACH, TOUCH, close_dead_ends
from eapart.partition.cells.tessellate import make_blocks

BOX = shapely.box(0, 0, 1000, 1000)
segments = st.tuples(*(st.floats(20, 980) for _ in range(4)))


def test_a_road_stopping_short_of_the_edge_closes_its_block():
    road = np.array([shapely.LineString([(0, 500), (900, 500)])], dtype=object)
    assert len(make_blocks(BOX, road)) == 1  # a dead end encloses nothing
    lines, codes = close_dead_ends(road, np.array([4]), BOX, np.array([True]))
    assert len(make_blocks(BOX, lines)) == 2 and codes.tolist() == [4, 4]


def test_minor_roads_and_far_ends_stay_as_they_are():
    road = np.array([shapely.LineString([(0, 500), (500, 500)])], dtype=object)
    same, _ = close_dead_ends(road, np.array([2]), BOX, np.array([False]))
    assert len(same) == 1
    far, _ = close_dead_ends(road, np.array([4]), BOX, np.array([True]))
    assert len(far) == 1, "500 m from the edge is beyond reach"


@settings(max_examples=60, deadline=None)
@given(st.lists(segments, min_size=1, max_size=8), st.lists(st.booleans(), min_size=8,
                                                           max_size=8))
def test_extensions_run_from_a_free_end_to_another_line_or_the_edge(raw, major):
    lines = np.array([shapely.LineString([(a, b), (c, d)]) for a, b, c, d in raw
                      if np.hypot(a - c, b - d) > 1], dtype=object)
    if len(lines) == 0:
        return
    extend = np.array(major[:len(lines)])
    out, codes = close_dead_ends(lines, np.arange(len(lines)), BOX, extend)
    ring = shapely.boundary(BOX)
    for ext, code in zip(out[len(lines):], codes[len(lines):], strict=True):
        assert extend[code], "only major lines are extended"
        start, end = shapely.get_coordinates(ext)
        own = lines[code]
        ends = shapely.get_coordinates(own)[[0, -1]]
        assert np.min(np.hypot(*(ends - start).T)) < 1e-9, "starts at an end of its line"
        others = np.r_[np.delete(lines, code), [ring]]
        assert np.min(shapely.distance(others, shapely.Point(start))) > TOUCH, "was free"
        assert np.min(shapely.distance(others, shapely.Point(end))) < 1e-6, "meets a line"
        assert shapely.length(ext) <= max(REACH, NEAREST_REACH) + 1e-6


def test_a_county_road_stopping_short_of_the_township_edge_bounds_the_areas(tmp_path):
    layers = tiny_county()
    # The major road through both townships now stops 100 m short of the county's edges.
    roads = layers["roads"].copy()
    roads.loc[0, "geometry"] = shapely.LineString([(X0 + 100, Y0 + 500), (X0 + 1900, Y0 + 500)])
    layers["roads"] = roads
    write_gpkg(layers, tmp_path / "c.gpkg")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "eapart.cli", "run", str(tmp_path / "c.gpkg"),
                           "--out", str(out), "--no-maps", "--jobs", "1", "--quiet",
                           "--target-households", "10"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    small = gpd.read_file(out / "eapart.gpkg", layer="small_areas").to_crs(layers["roads"].crs)
    whole = shapely.LineString([(X0, Y0 + 500), (X0 + 2000, Y0 + 500)])
    rim = shapely.buffer(shapely.boundary(small.geometry.to_numpy()), 0.05)
    through = shapely.length(shapely.difference(
        shapely.intersection(small.geometry.to_numpy(), whole), rim))
    assert (through < 1.0).all(), "no small area straddles the road or its continuation"
    report = json.loads((out / "report.json").read_text())
    assert report["flags"]["crosses_major_road"] == 0
