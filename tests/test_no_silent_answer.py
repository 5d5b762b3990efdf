"""No silent wrong answer (through the real CLI).

A run that places (almost) no building is an error that says why (and suggests
swapped axes); options that contradict each other are usage errors; a county total
that cannot be met is a warning with the number delivered; township codes of
another county than ``--county-code`` are refused; ``--keep-codes-from`` must be an
earlier output of the same buildings; out-of-range values and NaN vertices are
named as such.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from cli_run import QUICK, assert_message, invoke, tiny_gpkg
from tiny_county import X0, Y0, tiny_county


def report_of(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def with_geometry(frame: gpd.GeoDataFrame, row: int, geometry) -> gpd.GeoDataFrame:
    geoms = np.asarray(frame.geometry.array).copy()
    geoms[row] = geometry
    return frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))


# --- nothing placed ----------------------------------------------------------------------

def degree_county(folder: Path, swap: bool) -> list[str]:
    """Two townships near Andorra (EPSG:4326) and a CSV of 20 building points."""
    townships = gpd.GeoDataFrame(
        {"code": ["200101001", "200101002"], "name": ["Nord", "Sud"]},
        geometry=[shapely.box(1.50, 42.50, 1.52, 42.52), shapely.box(1.50, 42.48, 1.52, 42.50)],
        crs="EPSG:4326")
    townships.to_file(folder / "townships.gpkg", layer="townships")
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(1.501, 1.519, 20), rng.uniform(42.481, 42.519, 20)
    if swap:
        lon, lat = lat, lon
    pd.DataFrame({"id": [f"B{i}" for i in range(20)], "households": 3, "lon": lon,
                  "lat": lat}).to_csv(folder / "buildings.csv", index=False)
    return ["--buildings", "buildings.csv", "--townships", "townships.gpkg",
            "--csv-crs", "EPSG:4326"]


def test_longitude_and_latitude_swapped_is_an_error_that_says_so(tmp_path):
    args = degree_county(tmp_path, swap=True)
    proc = invoke("run", *args, "--out", "out", *QUICK, cwd=tmp_path)
    assert_message(proc, 1, "only 0 of 20 buildings lie inside a township",
                   "with x and y exchanged, 20 of them would fall inside", "swapped")
    assert not (tmp_path / "out").exists()
    assert invoke("run", *degree_county(tmp_path, swap=False), "--out", "out", *QUICK,
                  cwd=tmp_path).returncode == 0


def test_townships_elsewhere_place_nothing_and_fail(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].translate(50_000, 0)
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK,
                  cwd=tmp_path)
    assert_message(proc, 1, "only 0 of 42 buildings", "same place and CRS")


def test_placed_under_the_chosen_share_fails_and_names_the_option(tmp_path):
    layers = tiny_county()
    far = [shapely.box(X0 - 900 + 30 * i, Y0, X0 - 880 + 30 * i, Y0 + 12) for i in range(5)]
    for row, box in enumerate(far):
        layers["buildings"] = with_geometry(layers["buildings"], row, box)
    county = tiny_gpkg(tmp_path, layers=layers)
    proc = invoke("run", county, "--out", "out", *QUICK, "--min-placed-share", "0.9",
                  cwd=tmp_path)
    assert_message(proc, 1, "only 37 of 42", "90%", "--min-placed-share")
    assert invoke("run", county, "--out", "out", *QUICK, cwd=tmp_path).returncode == 0


# --- options that contradict each other ------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--small-areas", "3", "--target-households", "100"],
    ["--census-areas", "2", "--census-area-households", "300"],
    ["--target-households", "80", "--target-persons", "200"],
])
def test_conflicting_options_are_usage_errors(tmp_path, args):
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, *args, cwd=tmp_path)
    assert_message(proc, 2, args[0], args[2], "cannot be given together")


def test_conflicting_options_in_the_run_file_are_usage_errors(tmp_path):
    (tmp_path / "run.toml").write_text("[partition]\nsmall_areas = 3\ntarget_households = 100\n",
                                       encoding="utf-8")
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, "--config", "run.toml",
                  cwd=tmp_path)
    assert_message(proc, 2, "--small-areas and --target-households")


# --- totals that cannot be met ------------------------------------------------------------

@pytest.mark.parametrize("option, layer", [("--census-areas", "census_areas"),
                                           ("--small-areas", "small_areas")])
def test_an_unmet_county_total_is_a_warning_with_the_number_delivered(tmp_path, option, layer):
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, option, "60", "-q",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    delivered = report_of(tmp_path / "out")[layer]
    assert delivered < 60
    line = f"Warning: {option} 60: {delivered} delivered."
    assert line in proc.stderr, proc.stderr
    assert "420117001 asked" in proc.stderr and "it holds" in proc.stderr
    assert any(w.startswith(f"{option} 60: {delivered} delivered")
               for w in report_of(tmp_path / "out")["warnings"])


# --- codes of another county -------------------------------------------------------------

def test_county_code_of_another_county_than_the_townships_is_refused(tmp_path):
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, "--county-code", "110101",
                  cwd=tmp_path)
    assert_message(proc, 1, "--county-code is 110101", "420117001", "another county")


def test_a_manifest_row_for_one_county_never_writes_another_countys_codes(tmp_path):
    tiny_gpkg(tmp_path)
    (tmp_path / "m.csv").write_text("input,county_code,out\nc.gpkg,110101,r/110101\n"
                                    "c.gpkg,420117,r/420117\n", encoding="utf-8")
    proc = invoke("batch", "m.csv", "--no-maps", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1
    table = pd.read_csv(tmp_path / "national_summary.csv", dtype=str, encoding="utf-8-sig")
    assert list(table["status"]) == ["failed", "done"]
    assert "--county-code is 110101" in table["message"][0]
    assert not (tmp_path / "r" / "110101").exists()


# --- keeping codes from an earlier output ------------------------------------------------

def test_keep_codes_from_another_county_is_refused(tmp_path):
    from eapart.synthetic.county import make_county, write_county

    write_county(tmp_path / "other.gpkg",
                 make_county(n_buildings=200, n_townships=2, seed=1, county_code="110101"))
    assert invoke("run", "other.gpkg", "--out", "other", *QUICK, cwd=tmp_path).returncode == 0
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, "--keep-codes-from",
                  "other", cwd=tmp_path)
    assert_message(proc, 1, "other is an output of county 110101", "county 420117")


def test_keep_codes_from_other_buildings_with_coincident_ids_is_refused(tmp_path):
    layers = tiny_county()
    b = layers["buildings"]
    layers["buildings"] = b.assign(id=list(reversed(b["id"])))  # same ids, other places
    assert invoke("run", tiny_gpkg(tmp_path, "shuffled.gpkg", layers), "--out", "old", *QUICK,
                  cwd=tmp_path).returncode == 0
    proc = invoke("run", tiny_gpkg(tmp_path), "--out", "out", *QUICK, "--keep-codes-from",
                  "old", cwd=tmp_path)
    assert_message(proc, 1, "42 building ids in common", "lie where they were")


@pytest.mark.parametrize("damage", ["not an output", "truncated gpkg"])
def test_keep_codes_from_a_folder_that_is_no_good_output_is_a_clear_error(tmp_path, damage):
    county = tiny_gpkg(tmp_path)
    old = tmp_path / "old"
    if damage == "not an output":
        old.mkdir()
        (old / "notes.txt").write_text("hello", encoding="utf-8")
        needle = "is not an eapart output"
    else:
        assert invoke("run", county, "--out", "old", *QUICK, cwd=tmp_path).returncode == 0
        data = (old / "eapart.gpkg").read_bytes()
        (old / "eapart.gpkg").write_bytes(data[: len(data) // 3])
        needle = "is damaged"
    proc = invoke("run", county, "--out", "out", *QUICK, "--keep-codes-from", "old",
                  cwd=tmp_path)
    assert_message(proc, 1, "--keep-codes-from", needle)


# --- values out of range, NaN vertices ---------------------------------------------------

@pytest.mark.parametrize("value", [1e19, float("inf")])
def test_a_huge_household_count_is_named_out_of_range_not_negative(tmp_path, value):
    layers = tiny_county()
    layers["buildings"]["households"] = layers["buildings"]["households"].astype(float)
    layers["buildings"].loc[7, "households"] = value
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK,
                  cwd=tmp_path)
    message = assert_message(proc, 1, "households", "out of range", "T0H07")
    assert "negative" not in message


def test_a_nan_vertex_in_a_building_is_named_by_its_id(tmp_path):
    layers = tiny_county()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        broken = shapely.Polygon([(X0 + 100, Y0 + 100), (np.nan, Y0 + 100), (X0 + 120, Y0 + 120)])
    layers["buildings"] = with_geometry(layers["buildings"], 3, broken)
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK,
                  cwd=tmp_path)
    assert_message(proc, 1, "T0H03", "not numbers (NaN or infinity)")
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
