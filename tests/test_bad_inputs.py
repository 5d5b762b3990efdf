"""Bad inputs, one by one, through the real command line on real files.

Each case either stops with a clear error (exit code 1, a message that names the
file, layer, row or column and says what to do, and no output or temporary
directory left behind) or finishes with a repaired result whose report says what
was repaired and accounts for every building.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from tiny_county import CRS, X0, Y0, tiny_county, write_gpkg

from eapart.cli import main

QUICK = ["--no-maps", "--jobs", "1"]


def eapart_run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``eapart run ARGS --out out`` in ``cwd`` (relative paths, as a user would).

    The real command line runs in this process (click's runner), which saves the
    interpreter start-up of a subprocess; tests/test_exit_codes.py runs subprocesses.
    """
    argv = ["run", *args, "--out", "out", *QUICK]
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)


def assert_clear_error(proc: subprocess.CompletedProcess, cwd: Path, *needles: str) -> str:
    """Exit code 1, one clean message holding every needle, nothing left on disk."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    message = errors[0]
    for needle in needles:
        assert needle.lower() in message.lower(), f"{needle!r} not in {message!r}"
    assert not (cwd / "out").exists()
    assert not list(cwd.glob(".eapart-*")), "a temporary directory was left behind"
    return message


def assert_accounted(proc: subprocess.CompletedProcess, cwd: Path) -> dict:
    """Exit code 0 and a report in which every building is placed or listed as unassigned."""
    assert proc.returncode == 0, proc.stderr
    report = json.loads((cwd / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["buildings_assigned"] + report["buildings_unassigned"] == report["buildings_in"]
    gpkg = cwd / "out" / "eapart.gpkg"
    placed = gpd.read_file(gpkg, layer="buildings")
    unassigned = gpd.read_file(gpkg, layer="unassigned")
    assert len(placed) + len(unassigned) == report["buildings_in"]
    assert placed["small_area_code"].notna().all()
    assert not set(placed["building_id"]) & set(unassigned["building_id"])
    assert not list(cwd.glob(".eapart-*"))
    return report


def output_layer(cwd: Path, layer: str) -> gpd.GeoDataFrame:
    return gpd.read_file(cwd / "out" / "eapart.gpkg", layer=layer)


def write_county(cwd: Path, layers: dict[str, gpd.GeoDataFrame], name: str = "c.gpkg") -> str:
    write_gpkg(layers, cwd / name)
    return name


def with_geometry(frame: gpd.GeoDataFrame, row: int, geometry) -> gpd.GeoDataFrame:
    geoms = np.asarray(frame.geometry.array).copy()
    geoms[row] = geometry
    return frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))


# --- files and layers -------------------------------------------------------------------

def test_missing_file(tmp_path):
    proc = eapart_run(tmp_path, "nowhere.gpkg")
    assert_clear_error(proc, tmp_path, "nowhere.gpkg", "not found", "check the path")


@pytest.mark.parametrize("content", [b"this is not a geopackage\n" * 40, b""])
def test_corrupt_file(tmp_path, content):
    (tmp_path / "c.gpkg").write_bytes(content)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg", "cannot open")


def test_truncated_geopackage(tmp_path):
    write_county(tmp_path, tiny_county(), "whole.gpkg")
    data = (tmp_path / "whole.gpkg").read_bytes()
    (tmp_path / "c.gpkg").write_bytes(data[: len(data) // 3])
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg")


def test_missing_layer(tmp_path):
    layers = tiny_county()
    del layers["townships"]
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "no 'townships' layer in c.gpkg", "buildings, roads",
                       "--townships")


def test_named_layer_that_does_not_exist(tmp_path):
    write_county(tmp_path, tiny_county())
    proc = eapart_run(tmp_path, "--buildings", "c.gpkg:buildings",
                      "--townships", "c.gpkg:parishes")
    assert_clear_error(proc, tmp_path, "c.gpkg has no layer 'parishes'", "townships",
                       "FILE:LAYER")


def test_layer_with_no_crs(tmp_path):
    layers = tiny_county()
    layers["townships"].to_file(tmp_path / "t.shp", engine="pyogrio")
    layers["buildings"].to_file(tmp_path / "b.shp", engine="pyogrio")
    (tmp_path / "t.prj").unlink()
    proc = eapart_run(tmp_path, "--buildings", "b.shp", "--townships", "t.shp")
    assert_clear_error(proc, tmp_path, "t.shp", "no coordinate reference system", ".prj")


def test_different_crs_per_layer_is_reprojected_and_reported(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].to_crs("EPSG:4490")
    layers["roads"] = layers["roads"].to_crs("EPSG:3857")
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    notes = " ".join(report["notes"])
    assert "(townships) was in EPSG:4490" in notes and "(roads) was in EPSG:3857" in notes
    assert report["buildings_assigned"] == 42
    assert output_layer(tmp_path, "small_areas").crs.to_epsg() == 4547


def test_degree_values_in_a_projected_layer(tmp_path):
    layers = tiny_county()
    degrees = layers["buildings"].to_crs("EPSG:4490")
    layers["buildings"] = degrees.set_crs(CRS, allow_override=True)
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "look like degrees",
                       "EPSG:4490")


@pytest.mark.parametrize("corner", [(5e9, 5e9), (1e13, -1e13)])
def test_projected_coordinates_far_out_of_range(tmp_path, corner):
    layers = tiny_county()
    far = shapely.box(corner[0], corner[1], corner[0] + 20, corner[1] + 12)
    layers["buildings"] = with_geometry(layers["buildings"], 3, far)
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "T0H03", "CRS")


def test_geographic_coordinates_out_of_range(tmp_path):
    layers = {k: v.to_crs("EPSG:4490") for k, v in tiny_county().items()}
    layers["buildings"] = with_geometry(layers["buildings"], 0,
                                        shapely.box(400.0, 95.0, 400.001, 95.001))
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "out of range", "T0H00")


def test_non_finite_coordinates(tmp_path):
    layers = tiny_county()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely warns about the NaN
        broken = shapely.Polygon([(X0, Y0), (np.inf, Y0), (X0, np.nan)])
    layers["buildings"] = with_geometry(layers["buildings"], 5, broken)
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "T0H05")


@pytest.mark.parametrize("layer", ["buildings", "townships"])
def test_empty_required_layer(tmp_path, layer):
    layers = tiny_county()
    layers[layer] = layers[layer].iloc[:0]
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, f"c.gpkg layer '{layer}'", "is empty",
                       "at least one feature")


def test_empty_optional_layer_is_skipped(tmp_path):
    layers = tiny_county()
    layers["roads"] = layers["roads"].iloc[:0]
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert report["buildings_assigned"] == 42


def test_gbk_shapefile_read_as_utf8(tmp_path):
    layers = tiny_county()
    layers["townships"].to_file(tmp_path / "t.shp", encoding="GBK", engine="pyogrio")
    layers["buildings"].to_file(tmp_path / "b.shp", encoding="GBK", engine="pyogrio")
    for cpg in tmp_path.glob("*.cpg"):
        cpg.unlink()
    files = ["--buildings", "b.shp", "--townships", "t.shp"]
    for extra in ([], ["--encoding", "UTF-8"]):
        proc = eapart_run(tmp_path, *files, *extra)
        assert_clear_error(proc, tmp_path, "b.shp", "--encoding GBK")
    (tmp_path / "t.cpg").write_text("UTF-8")  # a .cpg that says UTF-8 for GBK bytes
    proc = eapart_run(tmp_path, "--buildings", "t.shp", "--townships", "t.shp")
    assert_clear_error(proc, tmp_path, "t.shp", "'UTF-8'", "--encoding GBK")
    # The code page given on the command line wins over the .cpg.
    report = assert_accounted(eapart_run(tmp_path, *files, "--encoding", "GBK"), tmp_path)
    assert report["buildings_assigned"] == 42
    assert set(output_layer(tmp_path, "townships")["name"]) == {"城关街道", "新华镇"}


# --- geometries -------------------------------------------------------------------------

def test_point_buildings(tmp_path):
    layers = tiny_county()
    layers["buildings"] = layers["buildings"].set_geometry(
        layers["buildings"].geometry.representative_point())
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert report["buildings_assigned"] == 42
    assert (output_layer(tmp_path, "buildings").geom_type == "Point").all()
    assert (output_layer(tmp_path, "small_areas").geom_type == "Polygon").all()


def test_multipolygon_buildings_and_township(tmp_path):
    layers = tiny_county()
    b = layers["buildings"]
    first = b.geometry.iloc[0]
    b = with_geometry(b, 0, shapely.MultiPolygon([first, shapely.affinity.translate(first, 0, 30)]))
    layers["buildings"] = b.set_geometry(b.geometry.apply(
        lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])))
    # The second township as two pieces: the main one and a detached exclave.
    t = layers["townships"]
    exclave = shapely.box(X0 + 2300, Y0, X0 + 2600, Y0 + 300)
    layers["townships"] = with_geometry(t, 1, shapely.MultiPolygon([t.geometry.iloc[1], exclave]))
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert report["buildings_assigned"] == 42
    assert report["repaired"]["multipart"]["buildings"] == 1
    assert report["repaired"]["multipart"]["townships"] == 1
    small = output_layer(tmp_path, "small_areas")
    assert (small.geom_type == "Polygon").all()
    area = shapely.area(shapely.union_all(small.to_crs(CRS).geometry.array))
    assert area == pytest.approx(2_000_000 + 90_000, rel=1e-4)


def test_invalid_and_self_intersecting_polygons_are_repaired(tmp_path):
    layers = tiny_county()
    bowtie = shapely.Polygon([(X0 + 100, Y0 + 100), (X0 + 120, Y0 + 112),
                              (X0 + 120, Y0 + 100), (X0 + 100, Y0 + 112)])
    layers["buildings"] = with_geometry(layers["buildings"], 0, bowtie)
    t = layers["townships"]
    # A township whose ring crosses itself at a corner spike.
    ring = [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000),
            (X0, Y0 + 500), (X0 - 1, Y0 + 501), (X0 + 1, Y0 + 501), (X0, Y0 + 500)]
    layers["townships"] = with_geometry(t, 0, shapely.Polygon(ring))
    assert not shapely.is_valid(bowtie) and not shapely.is_valid(shapely.Polygon(ring))
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert report["repaired"]["buildings"] == 1 and report["repaired"]["townships"] == 1
    assert report["buildings_assigned"] == 42
    assert shapely.is_valid(output_layer(tmp_path, "buildings").geometry.array).all()


def test_collapsed_footprints_become_point_buildings_placed_in_their_areas(tmp_path):
    layers = tiny_county()
    # A ring drawn back on itself (a, b, a) and one whose vertices all lie on a line:
    # make_valid leaves no area in either.
    spike = shapely.Polygon([(X0 + 100, Y0 + 100), (X0 + 120, Y0 + 110), (X0 + 100, Y0 + 100)])
    flat = shapely.Polygon([(X0 + 1100, Y0 + 100), (X0 + 1110, Y0 + 100), (X0 + 1130, Y0 + 100),
                            (X0 + 1100, Y0 + 100)])
    b = with_geometry(layers["buildings"], 0, spike)
    layers["buildings"] = with_geometry(b, 20, flat)
    ids = [layers["buildings"].loc[0, "id"], layers["buildings"].loc[20, "id"]]
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg", "--quiet")
    report = assert_accounted(proc, tmp_path)
    assert report["buildings_assigned"] == 42
    assert report["repaired"]["collapsed_to_points"] == {"count": 2, "ids": ids}
    warning = [line for line in proc.stderr.splitlines() if "collapsed" in line]
    assert len(warning) == 1 and "2 footprint(s)" in warning[0], proc.stderr
    assert all(i in warning[0] for i in ids)
    assert any("collapsed" in w for w in report["warnings"])
    placed = output_layer(tmp_path, "buildings").to_crs(CRS).set_index("building_id")
    small = output_layer(tmp_path, "small_areas").to_crs(CRS).set_index("small_area_code")
    for building_id, want in zip(ids, [(X0 + 110, Y0 + 105), (X0 + 1113.33, Y0 + 100)],
                                 strict=True):
        point = placed.geometry[building_id]
        assert point.geom_type == "Point"
        assert (point.x, point.y) == pytest.approx(want, abs=0.01)
        area = small.geometry[placed.loc[building_id, "small_area_code"]]
        assert shapely.dwithin(area, point, 0.05)
        assert placed.loc[building_id, "township_code"] == placed.loc[
            layers["buildings"].loc[1 if building_id == ids[0] else 21, "id"], "township_code"]


def test_collapsed_township_is_still_an_error(tmp_path):
    layers = tiny_county()
    t = layers["townships"]
    layers["townships"] = with_geometry(t, 1, shapely.Polygon(
        [(X0 + 1000, Y0), (X0 + 2000, Y0), (X0 + 1000, Y0)]))
    write_county(tmp_path, layers)
    assert_clear_error(eapart_run(tmp_path, "c.gpkg"), tmp_path, "collapsed", "row 2")


def test_lines_instead_of_polygons(tmp_path):
    layers = tiny_county()
    layers["buildings"] = with_geometry(layers["buildings"], 7,
                                        shapely.LineString([(X0, Y0), (X0 + 5, Y0 + 5)]))
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "T0H07", "LineString")


def test_missing_geometry(tmp_path):
    layers = tiny_county()
    layers["buildings"] = with_geometry(layers["buildings"], 2, None)
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "T0H02", "empty or missing")


# --- ids and households -----------------------------------------------------------------

def test_duplicate_ids(tmp_path):
    layers = tiny_county()
    layers["buildings"].loc[5, "id"] = "T0H01"
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "column 'id'", "T0H01",
                       "unique")


def test_null_ids(tmp_path):
    layers = tiny_county()
    layers["buildings"].loc[[3, 9], "id"] = None
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "column 'id'", "row(s) 4, 10",
                       "fill them in")


@pytest.mark.parametrize("value,needle", [(-3, "negative"), ("many", "text")])
def test_bad_household_values(tmp_path, value, needle):
    layers = tiny_county()
    b = layers["buildings"]
    b["households"] = b["households"].astype(object)
    b.loc[4, "households"] = value
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'buildings'", "column 'households'",
                       needle, "T0H04")


def test_text_households_in_a_csv_name_the_row_id(tmp_path):
    layers = tiny_county()
    b = layers["buildings"]
    table = pd.DataFrame({"id": b["id"], "households": b["households"].astype(str),
                          "wkt": b.geometry.to_wkt()})
    table.loc[11, "households"] = "3 户"
    table.to_csv(tmp_path / "b.csv", index=False)
    write_county(tmp_path, {"townships": layers["townships"]}, "t.gpkg")
    proc = eapart_run(tmp_path, "--buildings", "b.csv", "--townships", "t.gpkg",
                      "--csv-crs", CRS)
    assert_clear_error(proc, tmp_path, "b.csv", "column 'households'", "T0H11")


def test_missing_households_are_estimated_and_reported(tmp_path):
    layers = tiny_county()
    layers["buildings"]["households"] = layers["buildings"]["households"].astype(float)
    layers["buildings"].loc[[0, 1, 2], "households"] = np.nan
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    method = report["households_method"]
    assert method["method"] == "households column, estimated where missing"
    assert method["missing_estimated"] == 3
    hh = output_layer(tmp_path, "buildings").set_index("building_id")["households"]
    assert (hh.loc[["T0H00", "T0H01", "T0H02"]] >= 0).all()
    assert hh.loc["T0H03"] == 1 + (3 % 3)


def test_zero_households_everywhere(tmp_path):
    layers = tiny_county()
    layers["buildings"]["households"] = 0
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert report["households"] == 0 and report["buildings_assigned"] == 42
    small = output_layer(tmp_path, "small_areas")
    assert len(small) >= 2 and (small.geom_type == "Polygon").all()
    assert set(small["township_code"]) == {"420117001", "420117100"}
    census = output_layer(tmp_path, "census_areas")
    assert set(small["census_area_code"]) == set(census["census_area_code"])


# --- townships and villages -------------------------------------------------------------

def test_buildings_outside_every_township(tmp_path):
    layers = tiny_county()
    b = layers["buildings"]
    b = with_geometry(b, 0, shapely.box(X0 - 500, Y0, X0 - 480, Y0 + 12))
    layers["buildings"] = with_geometry(b, 1, shapely.box(X0 + 900, Y0 + 2000, X0 + 920,
                                                          Y0 + 2012))
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    report = assert_accounted(proc, tmp_path)
    assert report["buildings_unassigned"] == 2 and report["buildings_assigned"] == 40
    assert set(output_layer(tmp_path, "unassigned")["building_id"]) == {"T0H00", "T0H01"}
    assert "Not placed: 2 building(s)" in proc.stdout


def test_overlapping_townships_name_both_and_the_area(tmp_path):
    layers = tiny_county()
    t = layers["townships"]
    layers["townships"] = with_geometry(t, 1, shapely.box(X0 + 900, Y0, X0 + 2000, Y0 + 1000))
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    assert_clear_error(proc, tmp_path, "c.gpkg layer 'townships'", "420117001 (城关街道)",
                       "420117100 (新华镇)", "100,000 m2", "fix the boundaries")


def test_gaps_between_townships_are_reported(tmp_path):
    layers = tiny_county()
    t = layers["townships"]
    # A 3 m sliver between the townships' northern halves, open onto the county's
    # edge, and a 40 m x 50 m hole cut out of both where they meet further south.
    hole = shapely.box(X0 + 980, Y0 + 300, X0 + 1020, Y0 + 350)
    left = shapely.difference(t.geometry.iloc[0], hole)
    right = shapely.difference(shapely.union(shapely.box(X0 + 1003, Y0 + 600, X0 + 2000,
                                                         Y0 + 1000),
                                             shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 600)),
                               hole)
    layers["townships"] = with_geometry(with_geometry(t, 0, left), 1, right)
    b = layers["buildings"]
    layers["buildings"] = with_geometry(b, 20, shapely.box(X0 + 1005, Y0 + 310, X0 + 1015,
                                                           Y0 + 320))
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg")
    report = assert_accounted(proc, tmp_path)
    gaps = [w for w in report["warnings"] if "gap" in w]
    assert gaps, report["warnings"]
    assert "2 gap(s)" in gaps[0] and "3,200 m2 in all" in gaps[0]  # 3 x 400 + 40 x 50
    assert "420117001" in gaps[0] and "420117100" in gaps[0]
    assert report["buildings_unassigned"] == 1
    assert "gap" in proc.stderr  # warnings go to stderr, even with --quiet


def test_village_straddling_two_townships_is_cut_and_reported(tmp_path):
    layers = tiny_county()
    layers["villages"] = gpd.GeoDataFrame(
        {"code": ["420117001001", "420117001002", "420117100201"],
         "name": ["东社区", "跨界村", None]},
        geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 1000),
                  shapely.box(X0 + 500, Y0, X0 + 1400, Y0 + 1000),
                  shapely.box(X0 + 1400, Y0, X0 + 2000, Y0 + 1000)],
        crs=CRS)
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    cut = [w for w in report["warnings"] if "420117001002" in w]
    assert cut and "township 420117100" in cut[0]
    census = output_layer(tmp_path, "census_areas").set_index("census_area_code")
    assert len(census) == 4
    assert census.loc["420117001002", "township_code"] == "420117001"
    piece = census[(census["name"] == "跨界村") & (census["township_code"] == "420117100")]
    assert len(piece) == 1 and piece.index[0].startswith("420117100")
    assert shapely.area(piece.to_crs(CRS).geometry.iloc[0]) == pytest.approx(400_000, rel=1e-4)
    assert cut[0].startswith("c.gpkg layer 'villages'")
    assert "village 420117001002 (跨界村) is cut by the boundary of township 420117100; its " \
        f"piece there is census area {piece.index[0]}" in cut[0]
    # A village with no name is named by its code.
    assert census.loc["420117100201", "name"] == "420117100201"


def test_township_with_no_building_and_township_with_one(tmp_path):
    layers = tiny_county()
    t = layers["townships"]
    extra = gpd.GeoDataFrame(
        {"code": ["420117200", "420117201"], "name": ["空乡", "独户乡"]},
        geometry=[shapely.box(X0, Y0 + 1000, X0 + 1000, Y0 + 2000),
                  shapely.box(X0 + 1000, Y0 + 1000, X0 + 2000, Y0 + 2000)], crs=CRS)
    layers["townships"] = pd.concat([t, extra], ignore_index=True)
    b = layers["buildings"]
    lone = gpd.GeoDataFrame({"id": ["LONE"], "households": [2], "type": ["house"],
                             "name": ["独屋"]},
                            geometry=[shapely.box(X0 + 1500, Y0 + 1500, X0 + 1520, Y0 + 1512)],
                            crs=CRS)
    layers["buildings"] = pd.concat([b, lone], ignore_index=True)
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    small = output_layer(tmp_path, "small_areas")
    empty = small[small["township_code"] == "420117200"]
    assert len(empty) == 1 and empty["buildings"].iloc[0] == 0
    assert "no_buildings" in empty["flags"].iloc[0]
    one = small[small["township_code"] == "420117201"]
    assert len(one) == 1 and one["buildings"].iloc[0] == 1
    census = output_layer(tmp_path, "census_areas")
    assert (census.groupby("township_code").size().reindex(
        ["420117200", "420117201"]) == 1).all()
    assert report["flags"]["no_buildings"] >= 1
    for code in ("420117200", "420117201"):
        area = shapely.area(shapely.union_all(
            small[small.township_code == code].to_crs(CRS).geometry.array))
        assert area == pytest.approx(1_000_000, rel=1e-6)


def test_inputs_are_not_modified(tmp_path):
    layers = tiny_county()
    write_county(tmp_path, layers)
    before = (tmp_path / "c.gpkg").read_bytes()
    assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    assert (tmp_path / "c.gpkg").read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} == {"c.gpkg", "out"}
    assert len(pyogrio.list_layers(tmp_path / "c.gpkg")) == 3
