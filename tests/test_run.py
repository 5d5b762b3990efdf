"""The main job end to end on real files: outputs, codes, nesting, determinism, safety."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from tiny_county import tiny_county, write_gpkg

from eapart.api import run
from eapart.config import PartitionConfig, RunConfig
from eapart.errors import OutputError

EAPART = [sys.executable, "-m", "eapart.cli"]


def _layers(out):
    return {name: gpd.read_file(out / "eapart.gpkg", layer=name) for name, _ in
            pyogrio.list_layers(out / "eapart.gpkg")}


def _check_nesting(layers: dict) -> None:
    b, sa, ca, tw = (layers[k] for k in ("buildings", "small_areas", "census_areas", "townships"))
    assert b["small_area_code"].notna().all()
    assert b["small_area_code"].str.fullmatch(r"\d{15}").all()
    assert (b["small_area_code"].str[:12] == b["census_area_code"]).all()
    assert (b["census_area_code"].str[:9] == b["township_code"]).all()
    assert sa["small_area_code"].is_unique and ca["census_area_code"].is_unique
    assert (sa["small_area_code"].str[:12] == sa["census_area_code"]).all()
    assert set(sa["census_area_code"]) == set(ca["census_area_code"])
    assert (shapely.get_type_id(sa.geometry.array) == 3).all()  # one Polygon each
    # Counts in the layers agree with the buildings.
    per_sa = b.groupby("small_area_code").size()
    assert (sa.set_index("small_area_code")["buildings"] == per_sa.reindex(
        sa["small_area_code"]).fillna(0).to_numpy()).all()
    # Small areas tile their township: same area, no overlap.
    for code, group in sa.groupby("township_code"):
        township = tw.loc[tw.township_code == code].geometry.iloc[0]
        union = shapely.union_all(group.geometry.array)
        total = shapely.area(group.geometry.array).sum()
        assert total == pytest.approx(shapely.area(union), rel=1e-6)
        assert shapely.area(union) == pytest.approx(shapely.area(township), rel=1e-4)


def test_tiny_county_outputs_and_codes(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    out = tmp_path / "out"
    result = run(RunConfig(input=tmp_path / "c.gpkg", out=out, jobs=1, maps=False))
    assert {p.name for p in out.iterdir()} >= {"eapart.gpkg", "report.json", "summary.csv"}
    layers = _layers(out)
    assert {"buildings", "small_areas", "census_areas", "townships", "unassigned",
            "roads"} <= set(layers)
    assert layers["buildings"].crs.to_epsg() == 4547
    _check_nesting(layers)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["buildings_in"] == report["buildings_assigned"] == 42
    assert report["small_areas"] == len(layers["small_areas"]) == result.report["small_areas"]
    assert report["households"] == sum(1 + (i % 3) for i in range(20)) * 2 + 60
    summary = pd.read_csv(out / "summary.csv", dtype=str, encoding="utf-8-sig")
    assert summary["small_area_code"].tolist() == sorted(layers["small_areas"]["small_area_code"])
    assert set(summary["township_name"]) == {"城关街道", "新华镇"}


def test_andorra_end_to_end(andorra_run):
    out = andorra_run.out
    assert "small areas" in andorra_run.stdout and "Not placed: 9 building" in andorra_run.stdout
    layers = _layers(out)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["buildings_in"] == 5031
    assert report["buildings_unassigned"] == 9 == len(layers["unassigned"])
    assert report["buildings_assigned"] == 5022 == len(layers["buildings"])
    assert not set(layers["unassigned"]["building_id"]) & set(layers["buildings"]["building_id"])
    # Townships had no codes: numbered by the tool under the county code given.
    assert sorted(layers["townships"]["township_code"]) == [f"990100{i:03d}" for i in range(1, 8)]
    assert "numbered by eapart" in report["columns_used"]["township_codes"]
    _check_nesting(layers)
    assert str(out.parent) not in (out / "report.json").read_text(encoding="utf-8")


def test_kotka_runs_with_collapsed_footprints_as_point_buildings(kotka_run):
    out = kotka_run.out
    assert "15 footprint(s) have no area left after repair" in kotka_run.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    collapsed = report["repaired"]["collapsed_to_points"]
    assert collapsed["count"] == 15
    layers = _layers(out)
    _check_nesting(layers)
    buildings = layers["buildings"].set_index("building_id")
    assert report["buildings_assigned"] + report["buildings_unassigned"] == 2208
    points = buildings.loc[collapsed["ids"]]
    assert (points.geom_type == "Point").all()
    small = layers["small_areas"].set_index("small_area_code").geometry
    areas = small[points["small_area_code"]].to_crs(3067).to_numpy()
    assert shapely.dwithin(areas, points.geometry.to_crs(3067).to_numpy(), 0.05).all()


def test_same_input_and_seed_give_identical_files(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    digests = []
    for name in ("a", "b"):
        run(RunConfig(input=tmp_path / "c.gpkg", out=tmp_path / name, jobs=1, maps=False))
        digests.append({f: hashlib.sha256((tmp_path / name / f).read_bytes()).hexdigest()
                        for f in ("eapart.gpkg", "report.json", "summary.csv")})
    assert digests[0] == digests[1]


def test_existing_output_needs_force_and_foreign_dirs_are_never_replaced(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    cfg = RunConfig(input=tmp_path / "c.gpkg", out=tmp_path / "out", jobs=1, maps=False)
    run(cfg)
    with pytest.raises(OutputError, match="--force"):
        run(cfg)
    cfg.force = True
    run(cfg)
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    cfg.out = foreign
    with pytest.raises(OutputError, match="not an eapart output"):
        run(cfg)
    assert (foreign / "holiday.jpg").read_bytes() == b"\xff\xd8"
    assert not list(tmp_path.glob(".eapart-*"))  # no temporary left behind


def test_cli_exit_codes(tmp_path):
    missing = subprocess.run([*EAPART, "run", str(tmp_path / "nope.gpkg"), "--out",
                              str(tmp_path / "o")], capture_output=True, text=True)
    assert missing.returncode == 1 and "not found" in missing.stderr
    usage = subprocess.run([*EAPART, "run", "--out", str(tmp_path / "o"), "--jobs", "0"],
                           capture_output=True, text=True)
    assert usage.returncode == 2 and "--jobs" in usage.stderr
    assert not (tmp_path / "o").exists()


def test_map_rebuild_replaces_the_pages_whole(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    out = tmp_path / "out"
    run(RunConfig(input=tmp_path / "c.gpkg", out=out, jobs=1))
    before = sorted(p.relative_to(out) for p in (out / "map").rglob("*"))
    assert "tile.openstreetmap.org" not in (out / "map" / "index.html").read_text()
    proc = subprocess.run([*EAPART, "map", str(out), "--basemap", "osm"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "tile.openstreetmap.org" in (out / "map" / "index.html").read_text()
    assert sorted(p.relative_to(out) for p in (out / "map").rglob("*")) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "eapart.gpkg", "map", "report.json", "summary.csv"]
    foreign = tmp_path / "notes"
    foreign.mkdir()
    refused = subprocess.run([*EAPART, "map", str(foreign)], capture_output=True, text=True)
    assert refused.returncode == 1 and "not an eapart output" in refused.stderr
    assert not (foreign / "map").exists()


def test_small_area_total_sets_the_target_to_the_county_mean(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    out = tmp_path / "out"
    result = run(RunConfig(input=tmp_path / "c.gpkg", out=out, jobs=1, maps=False,
                           partition=PartitionConfig(small_areas=4)))
    report = result.report
    assert report["target_households"] == pytest.approx(report["households"] / 4)
    assert report["min_households"] == pytest.approx(0.8 * report["target_households"])
    assert any("county mean" in note for note in report["notes"])
