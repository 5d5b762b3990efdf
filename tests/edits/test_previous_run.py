"""Re-running on corrected inputs with ``--previous`` keeps the codes of what did not change.

Random changes to 2% of Andorra's buildings (1% removed, 1% added, 1% with new
storeys) go through ``eapart run --previous``; at least 95% of the unchanged
buildings keep their small-area code, and ``changes.csv`` names every old and new code.
"""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pyogrio
from paths import REAL_COUNTY_CODE

from eapart.synthetic.changes import perturb_buildings

EAPART = [sys.executable, "-m", "eapart.cli", "run"]


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def test_two_percent_changes_keep_codes(andorra, andorra_run, tmp_path):
    out0, out1 = andorra_run.out, tmp_path / "out1"
    changed_input = tmp_path / "changed.gpkg"
    for name in pyogrio.list_layers(andorra)[:, 0]:
        frame = gpd.read_file(andorra, layer=name)
        if name == "buildings":
            frame, what = perturb_buildings(frame, 0.01, seed=3)
        frame.to_file(changed_input, layer=name, driver="GPKG")
    done = run(changed_input, "--out", out1, "--previous", out0, "--county-code", REAL_COUNTY_CODE,
               "--no-maps", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "small-area codes kept" in done.stdout
    old = gpd.read_file(out0 / "eapart.gpkg", layer="buildings").set_index("building_id")
    new = gpd.read_file(out1 / "eapart.gpkg", layer="buildings").set_index("building_id")
    assert set(what["removed"]).isdisjoint(new.index)
    assert set(what["added"]) & set(new.index)
    unchanged = old.index.difference(what["removed"]).difference(what["changed"])
    unchanged = unchanged.intersection(new.index)
    same = (old.loc[unchanged, "small_area_code"] == new.loc[unchanged, "small_area_code"])
    assert same.mean() >= 0.95
    changes = pd.read_csv(out1 / "changes.csv", dtype=str, encoding="utf-8-sig").fillna("")
    old_sa = gpd.read_file(out0 / "eapart.gpkg", layer="small_areas")
    new_sa = gpd.read_file(out1 / "eapart.gpkg", layer="small_areas")
    assert set(changes.old_code) - {""} == set(old_sa.small_area_code)
    assert set(changes.new_code) - {""} == set(new_sa.small_area_code)
    assert (changes.change != "U").sum() >= 1
