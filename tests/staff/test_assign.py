"""`eapart assign` through the real command line, on a real output of `eapart run`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

EAPART = [sys.executable, "-m", "eapart.cli"]
CODES = {"small_area_code": str, "census_area_code": str, "township_code": str,
         "enumerator_id": str, "supervisor_id": str}


def eapart(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, *map(str, args)], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture()
def out(sample_output: Path, tmp_path: Path) -> Path:
    """A fresh copy of the bundled sample's output."""
    target = tmp_path / "out"
    shutil.copytree(sample_output, target)
    return target


def assignments(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "assignments.csv", dtype=CODES, keep_default_na=False,
                       encoding="utf-8-sig")


def layer(out: Path, name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(out / "eapart.gpkg", layer=name)


def test_every_small_area_has_one_enumerator_or_a_stated_share(out):
    done = eapart("assign", out)
    assert done.returncode == 0, done.stderr
    table = assignments(out)
    small = layer(out, "small_areas")
    assert set(table["small_area_code"]) == set(small["small_area_code"])
    rows = table.groupby("small_area_code")
    count, shares = rows.size(), rows["shares"].first()
    assert (count == shares).all()
    for code, group in table[table["shares"] > 1].groupby("small_area_code"):
        assert sorted(group["share"]) == list(range(1, len(group) + 1))
        assert group["enumerator_slot"].is_unique
        expected = small.set_index("small_area_code").loc[code, "households"]
        assert group["households"].sum() == pytest.approx(expected)
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]
    assert report["enumerators"] == table["enumerator_slot"].nunique()
    assert report["small_areas"] == len(small)
    assert "enumerator workloads" in done.stdout and "Within +/-20%" in done.stdout


def test_workloads_and_teams_are_one_piece_inside_their_township(out):
    assert eapart("assign", out).returncode == 0
    table = assignments(out)
    slots, teams = layer(out, "enumerator_areas"), layer(out, "supervisor_areas")
    townships = layer(out, "townships").set_index("township_code").geometry
    for frame in (slots, teams):
        assert (shapely.get_type_id(frame.geometry.array) == 3).all()  # one Polygon each
        own = townships.loc[frame["township_code"]].to_numpy()
        inside = shapely.area(shapely.intersection(frame.geometry.array, own))
        assert inside == pytest.approx(shapely.area(frame.geometry.array), rel=1e-6)
    # A workload lies in one township; a team's workloads too; names nest in codes.
    assert (table.groupby("enumerator_slot")["township_code"].nunique() == 1).all()
    assert (table.groupby("supervisor_team")["township_code"].nunique() == 1).all()
    assert (table["enumerator_slot"].str[:9] == table["township_code"]).all()
    assert (table["supervisor_team"].str[:9] == table["township_code"]).all()
    sizes = table.drop_duplicates("enumerator_slot").groupby("supervisor_team").size()
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]
    assert report["team_sizes"] == {str(k): int(v) for k, v in
                                    sizes.value_counts().sort_index().items()}
    assert sizes.max() <= 7 and sizes.median() >= 4


def test_workloads_are_balanced_and_the_report_says_how_well(out):
    assert eapart("assign", out).returncode == 0
    slots = layer(out, "enumerator_areas")
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]
    households = slots["households"].to_numpy()
    within = np.abs(households - 80) <= 16 + 1e-9
    assert report["households"]["within_tolerance_share"] == pytest.approx(within.mean(),
                                                                           abs=1e-6)
    assert report["households"]["median"] == pytest.approx(np.median(households))
    assert within.mean() >= 0.85


def test_slots_are_numbered_serpentine_inside_each_census_area(out):
    assert eapart("assign", out).returncode == 0
    slots = layer(out, "enumerator_areas")
    for prefix, group in slots.groupby(slots["enumerator_slot"].str[:12]):
        numbers = sorted(int(name.split("-E")[1]) for name in group["enumerator_slot"])
        assert numbers == list(range(1, len(numbers) + 1)), prefix


def test_norms_from_options_and_from_the_run_file(out, tmp_path):
    assert eapart("assign", out, "--households-per-enumerator", 160).returncode == 0
    wide = assignments(out)["enumerator_slot"].nunique()
    run_file = tmp_path / "run.toml"
    run_file.write_text("[staff]\nhouseholds_per_enumerator = 60\n"
                        "enumerators_per_supervisor = 3\n", encoding="utf-8")
    assert eapart("assign", out, "--config", run_file, "--previous-assignments",
                  tmp_path / "none.csv").returncode == 1  # named file must exist
    (out / "assignments.csv").unlink()
    assert eapart("assign", out, "--config", run_file).returncode == 0
    narrow = assignments(out)
    # Workloads are whole small areas (64-96 households here) unless one is far above
    # the norm, so at 60 each area is one workload or two: not 160/60 times as many.
    assert narrow["enumerator_slot"].nunique() >= 2 * wide
    households = layer(out, "small_areas")["households"].sum()
    assert households / narrow["enumerator_slot"].nunique() <= 60 * 1.25  # the file's norm
    assert households / wide >= 160 * 0.8
    sizes = narrow.drop_duplicates("enumerator_slot").groupby("supervisor_team").size()
    assert sizes.median() <= 3 and sizes.mean() <= 3.3
    bad = eapart("assign", out, "--enumerators-per-supervisor", 0)
    assert bad.returncode == 2 and "--enumerators-per-supervisor" in bad.stderr


def test_a_rerun_moves_only_the_small_areas_whose_code_changed(out, tmp_path):
    assert eapart("assign", out).returncode == 0
    first = assignments(out)
    # An earlier assignment in which one census area's small areas had other codes.
    changed = first["census_area_code"].drop_duplicates().iloc[3]
    earlier = first.copy()
    moved = earlier["census_area_code"] == changed
    earlier.loc[moved, "small_area_code"] = "9" + earlier.loc[moved, "small_area_code"].str[1:]
    previous = tmp_path / "earlier.csv"
    earlier.to_csv(previous, index=False, encoding="utf-8-sig")
    done = eapart("assign", out, "--previous-assignments", previous)
    assert done.returncode == 0, done.stderr
    second = assignments(out)
    both = first.merge(second, on=["small_area_code", "share"], suffixes=("_1", "_2"))
    same = both["census_area_code_1"] != changed
    assert (both.loc[same, "enumerator_slot_1"] == both.loc[same, "enumerator_slot_2"]).all()
    assert (both.loc[same, "supervisor_team_1"] == both.loc[same, "supervisor_team_2"]).all()
    # The re-formed areas take names the earlier run never gave.
    new_names = set(both.loc[~same, "enumerator_slot_2"])
    assert not new_names & set(earlier["enumerator_slot"][~moved])
    report = json.loads((out / "report.json").read_text("utf-8"))["staff"]
    assert report["kept_from_previous"] == both.loc[same, "small_area_code"].nunique()


def test_a_failed_assignment_leaves_the_output_as_it_was(out, tmp_path):
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    staff = tmp_path / "staff.csv"
    staff.write_text("id,name\n1,张三\n", encoding="utf-8")
    done = eapart("assign", out, "--staff", staff)
    assert done.returncode == 1 and "role" in done.stderr and "Traceback" not in done.stderr
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_the_same_output_gives_the_same_bytes(sample_output, tmp_path):
    copies = []
    for name in ("a", "b"):
        target = tmp_path / name
        shutil.copytree(sample_output, target)
        assert eapart("assign", target).returncode == 0
        copies.append({p.relative_to(target): p.read_bytes()
                       for p in sorted(target.rglob("*")) if p.is_file()})
    assert copies[0] == copies[1]
    assert Path("assignments.xlsx") in copies[0]
