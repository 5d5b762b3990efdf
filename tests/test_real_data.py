"""Real maps through the real command line: every building in its own area, balance at
the ceiling, the ceiling reported and warned about."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from tiny_county import tiny_county, write_gpkg

EAPART = [sys.executable, "-m", "eapart.cli"]
QUICK = ["--no-maps", "--jobs", "1", "--force"]


def run_eapart(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, "run", *args], capture_output=True, text=True)


def check_every_building_in_its_own_area(out) -> None:
    gpkg = out / "eapart.gpkg"
    small = gpd.read_file(gpkg, layer="small_areas")
    crs = small.estimate_utm_crs()
    small = small.to_crs(crs).set_index("small_area_code")
    buildings = gpd.read_file(gpkg, layer="buildings").to_crs(crs)
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    own = small.geometry.loc[buildings["small_area_code"].to_numpy()].to_numpy()
    assert shapely.dwithin(own, points, 0.05).all(), "a building lies outside its own area"
    townships = gpd.read_file(gpkg, layer="townships").to_crs(crs)
    for tw in townships.itertuples():
        mine = small[small["township_code"] == tw.township_code].geometry.to_numpy()
        gap = shapely.get_parts(shapely.difference(tw.geometry, shapely.union_all(mine)))
        gap = gap[shapely.area(gap) > 0]
        if len(gap):
            held = shapely.STRtree(gap).query(points, predicate="intersects")[1]
            assert len(held) == 0, f"a tiling gap holds buildings in {tw.name}"


@pytest.mark.parametrize("name,floor", [("andorra", 0.88), ("kotka", 0.0)])
def test_real_county_is_placed_and_balanced_near_its_ceiling(name, floor, request):
    out = request.getfixturevalue(f"{name}_run").out
    report = json.loads((out / "report.json").read_text())
    check_every_building_in_its_own_area(out)
    assert report["ceiling_share"] >= report["within_tolerance_share"] - 1e-9
    assert report["ceiling_gap"] <= 0.015
    # The floor asked, unless the map itself cannot reach it (the ceiling is an upper bound).
    assert report["within_tolerance_share"] >= min(floor, report["ceiling_share"] - 0.015)
    for row in report["per_township"]:
        assert row["ceiling_gap"] == pytest.approx(
            row["ceiling_share"] - row["within_tolerance_share"])
        assert row["ceiling_share"] >= row["within_tolerance_share"] - 1e-9


def test_summary_shows_each_township_against_its_ceiling_and_warnings_survive_quiet(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].drop(columns="code")  # warns: no codes
    write_gpkg(layers, tmp_path / "c.gpkg")
    out = tmp_path / "out"
    loud = run_eapart(str(tmp_path / "c.gpkg"), "--out", str(out), *QUICK)
    assert loud.returncode == 0, loud.stderr
    report = json.loads((out / "report.json").read_text())
    for row in report["per_township"]:
        share, ceiling = row["within_tolerance_share"], row["ceiling_share"]
        assert f"{row['name']}" in loud.stdout
        assert f"{share:6.1%} / {ceiling:6.1%}" in loud.stdout
    assert np.isclose(report["ceiling_gap"],
                      report["ceiling_share"] - report["within_tolerance_share"])
    quiet = run_eapart(str(tmp_path / "c.gpkg"), "--out", str(out), *QUICK, "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert "Warning: townships have no codes" in quiet.stderr
