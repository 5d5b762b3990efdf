"""Re-running after a small correction keeps the codes of the areas that did not change."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from eapart.api import run
from eapart.config import PartitionConfig, RunConfig
from eapart.stages.kept_codes import match_groups
from eapart.synthetic.county import make_county, write_county


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stable")
    layers = make_county(n_buildings=2500, n_townships=3, seed=11)
    write_county(folder / "county.gpkg", layers)
    out = folder / "first"
    run(RunConfig(input=folder / "county.gpkg", out=out, jobs=1, maps=False,
                  layers={}, partition=PartitionConfig()))
    return folder, layers, out


def _buildings(out):
    return gpd.read_file(out / "eapart.gpkg", layer="buildings", columns=[
        "building_id", "census_area_code", "small_area_code"], ignore_geometry=True)


def test_identical_rerun_keeps_every_code(first, tmp_path):
    folder, _, out = first
    again = run(RunConfig(input=folder / "county.gpkg", out=tmp_path / "again", jobs=1,
                          maps=False, keep_codes_from=out))
    pd.testing.assert_frame_equal(_buildings(out), _buildings(tmp_path / "again"))
    assert again.report["codes_kept"]["small_areas_kept"] == again.report["small_areas"]


def test_a_corrected_township_leaves_the_others_codes_alone(first, tmp_path):
    folder, layers, out = first
    buildings = layers["buildings"]
    before = _buildings(out)
    # Correct one township: remove a tenth of its buildings (demolished since marking).
    target = before["census_area_code"].str[:9].value_counts().index[-1]
    theirs = set(before.loc[before["census_area_code"].str[:9] == target, "building_id"])
    drop = sorted(theirs)[::10]
    edited = {**layers, "buildings": buildings[~buildings["id"].isin(drop)]}
    write_county(tmp_path / "edited.gpkg", edited)
    result = run(RunConfig(input=tmp_path / "edited.gpkg", out=tmp_path / "second", jobs=1,
                           maps=False, keep_codes_from=out))
    after = _buildings(tmp_path / "second")
    merged = before.merge(after, on="building_id", suffixes=("_old", "_new"))
    others = ~merged["census_area_code_old"].str.startswith(target)
    assert (merged.loc[others, "small_area_code_old"]
            == merged.loc[others, "small_area_code_new"]).all()
    # Codes stay unique, nested, and numbered from 001 upward without clashes.
    sa = gpd.read_file(tmp_path / "second" / "eapart.gpkg", layer="small_areas")
    assert sa["small_area_code"].is_unique
    assert (sa["small_area_code"].str[:12] == sa["census_area_code"]).all()
    assert result.report["codes_kept"]["small_areas_kept"] >= 0.8 * len(sa)


def test_match_groups_needs_a_majority_of_both():
    new = pd.Series(["a", "a", "a", "b", "b", "c"])
    old = pd.Series(["x", "x", "y", "y", "y", "z"])
    assert match_groups(new, old) == {"a": "x", "b": "y", "c": "z"}
    assert match_groups(pd.Series(["a", "a", "b", "b"]), pd.Series(["x", "y", "x", "y"])) == {}
