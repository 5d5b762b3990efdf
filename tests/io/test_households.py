"""Household counts through the real command line: estimates, totals, given values."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_bad_inputs import assert_accounted, eapart_run, output_layer, write_county
from tiny_county import CRS, X0, Y0, tiny_county

from eapart.config import RunConfig
from eapart.io.read import read_inputs


def _estimate_county() -> dict[str, gpd.GeoDataFrame]:
    """The tiny county without household counts, plus buildings that test each rule."""
    layers = tiny_county()
    b = layers["buildings"].drop(columns=["households"])
    house = b.geometry.iloc[1]  # T0H01, a 20 m x 12 m house

    def box(dx, dy, w, h):
        return shapely.box(X0 + dx, Y0 + dy, X0 + dx + w, Y0 + dy + h)

    extra = [
        ("Y_SMALL", "yes", None, box(150, 700, 10, 10)),          # one dwelling
        ("Y_SHED", "yes", None, box(300, 700, 5, 4)),             # under 30 m2
        ("Y_OUT", None, None, shapely.box(house.bounds[2] + 4, house.bounds[1],
                                          house.bounds[2] + 12, house.bounds[1] + 8)),
        ("Y_HALL", "yes", None, box(1150, 600, 60, 60)),          # 3,600 m2, no storeys
        ("Y_MALL", "yes", "Centre Comercial Illa", box(1300, 700, 20, 15)),
        ("Y_SCHOOL", "residential", "城关小学", box(1450, 700, 30, 20)),
        ("STABLE", "stable", None, box(1600, 600, 20, 10)),
        ("Y_MID", "yes", None, box(450, 700, 20, 15)),            # 300 m2: 1 + 150 x 2 / 90
    ]
    rows = pd.DataFrame({"id": [e[0] for e in extra], "type": [e[1] for e in extra],
                         "name": [e[2] for e in extra]})
    added = gpd.GeoDataFrame(rows, geometry=[e[3] for e in extra], crs=CRS)
    layers["buildings"] = pd.concat([b, added], ignore_index=True)
    return layers


def _report(tmp_path) -> dict:
    return json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))


def test_estimate_without_totals_follows_type_size_and_name_and_says_uncalibrated(tmp_path):
    write_county(tmp_path, _estimate_county())
    proc = eapart_run(tmp_path, "c.gpkg", "--quiet")
    report = assert_accounted(proc, tmp_path)
    b = output_layer(tmp_path, "buildings").set_index("building_id")
    estimate = b["households_estimate"]
    assert estimate["Y_SMALL"] == 1 and estimate["T0H00"] == 1  # a house is one dwelling
    for building in ("Y_SHED", "Y_OUT", "Y_HALL", "Y_MALL", "Y_SCHOOL", "STABLE", "OFF1"):
        assert estimate[building] == 0, building
    assert estimate["Y_MID"] == pytest.approx(1 + 150 * 2 / 90)
    assert estimate["APT1"] == pytest.approx(60 * 40 * 6 / 90)
    # Reported counts are whole and add up to the rounded fractional total.
    assert b["households"].dtype == np.int64
    assert report["households"] == b["households"].sum() == round(estimate.sum())
    small = output_layer(tmp_path, "small_areas")
    assert small["households"].sum() == report["households"]
    method = report["households_method"]
    assert method["calibration"] == "uncalibrated"
    assert method["non_residential_by_name"] == 2
    assert method["outbuildings_beside_a_dwelling_as_zero"] == 1
    assert method["large_untyped_as_non_residential"] == 1
    # The user is told, even with --quiet, and told how to calibrate.
    warning = [line for line in proc.stderr.splitlines() if "uncalibrated" in line]
    assert len(warning) == 1 and "--total-households" in warning[0], proc.stderr
    figures = {t["township_code"]: t["household_figures"] for t in report["per_township"]}
    assert figures["420117001"]["calibration"] == "uncalibrated estimate"
    inhabited = (b["township_code"] == "420117001") & (estimate > 0)
    assert figures["420117001"]["inhabited_buildings"] == inhabited.sum()
    persons = b.loc[b["township_code"] == "420117001", "persons"].sum()
    assert figures["420117001"]["persons_per_inhabited_building"] == pytest.approx(
        persons / inhabited.sum(), abs=0.05)
    assert figures["420117001"]["households_per_hectare"] == pytest.approx(
        estimate[b["township_code"] == "420117001"].sum() / 100, abs=0.01)


def test_county_total_calibrates_the_estimate(tmp_path):
    write_county(tmp_path, _estimate_county())
    proc = eapart_run(tmp_path, "c.gpkg", "--total-households", "500", "--quiet")
    report = assert_accounted(proc, tmp_path)
    assert report["households"] == 500
    assert report["households_method"]["calibration"] == "calibrated"
    assert report["households_method"]["county_total"]["households"] == 500
    assert "uncalibrated" not in proc.stderr
    b = output_layer(tmp_path, "buildings")
    assert b["households_estimate"].sum() == pytest.approx(500)
    # The same from a run file, and by persons.
    (tmp_path / "run.toml").write_text("[households]\ntotal_persons = 1310\n", encoding="utf-8")
    proc = eapart_run(tmp_path, "c.gpkg", "--config", "run.toml", "--force")
    report = assert_accounted(proc, tmp_path)
    assert report["households"] == 500  # 1,310 persons / 2.62
    assert report["persons"] == 1310


@pytest.mark.parametrize("args,needle", [
    (["--total-households", "0"], "positive"),
    (["--total-households", "nan"], "positive"),
    (["--total-households", "5", "--total-persons", "9"], "not both"),
])
def test_bad_county_totals_are_usage_errors(tmp_path, args, needle):
    write_county(tmp_path, _estimate_county())
    proc = eapart_run(tmp_path, "c.gpkg", *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_county_total_with_a_households_column_is_a_usage_error(tmp_path):
    write_county(tmp_path, tiny_county())
    proc = eapart_run(tmp_path, "c.gpkg", "--total-households", "500")
    assert proc.returncode == 2 and "households column" in proc.stderr, proc.stderr


def test_with_township_totals_no_inhabited_building_is_rounded_to_zero(tmp_path):
    layers = tiny_county()
    layers["buildings"] = layers["buildings"].drop(columns=["households"])
    # 20 houses (1 each) and a 160-household block scaled down to 100 households:
    # every house is 0.56 of a household.
    layers["townships"]["population"] = [262.0, 262.0]
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    b = output_layer(tmp_path, "buildings")
    inhabited = b["type"] != "office"
    assert (b.loc[inhabited, "households_estimate"] > 0.5).all()
    assert b.loc[b["building_id"] == "T0H00", "households_estimate"].iloc[0] < 1
    per = b.groupby("township_code")
    assert per["households_estimate"].sum().to_numpy() == pytest.approx([100, 100])
    assert per["households"].sum().tolist() == [100, 100]
    assert per["persons"].sum().tolist() == [262, 262]
    assert report["households"] == 200
    small = output_layer(tmp_path, "small_areas")
    fractional = b.groupby("small_area_code")["households_estimate"].sum()
    whole = small.set_index("small_area_code")["households"]
    assert (abs(whole - fractional[whole.index]) < 1).all()
    assert report["households_method"]["calibration"] == "calibrated"


def test_fractional_households_given_are_kept_as_given(tmp_path):
    layers = tiny_county()
    b = layers["buildings"]
    b["households"] = b["households"].astype(float) + 0.25  # 42 buildings: .5 in all
    given = dict(zip(b["id"], b["households"], strict=True))
    total = float(b["households"].sum())
    write_county(tmp_path, layers)
    report = assert_accounted(eapart_run(tmp_path, "c.gpkg"), tmp_path)
    out = output_layer(tmp_path, "buildings")
    assert dict(zip(out["building_id"], out["households"], strict=True)) == given
    assert "households_estimate" not in out.columns
    assert report["households"] == total and total % 1 == 0.5
    small = output_layer(tmp_path, "small_areas")
    assert small["households"].sum() == pytest.approx(total)
    assert (small["households"] % 1 != 0).any()
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", encoding="utf-8-sig")
    assert summary["households"].sum() == pytest.approx(total)
    townships = output_layer(tmp_path, "townships")
    assert townships["households"].sum() == pytest.approx(total)


def test_implausible_estimate_is_named(tmp_path):
    layers = tiny_county()
    b = layers["buildings"].drop(columns=["households"])
    b["levels"] = np.where(b["id"] == "APT1", 500.0, np.nan)  # 13,333 households
    layers["buildings"] = b
    write_county(tmp_path, layers)
    proc = eapart_run(tmp_path, "c.gpkg", "--quiet")
    assert_accounted(proc, tmp_path)
    lines = [line for line in proc.stderr.splitlines() if "implausible households" in line]
    assert len(lines) == 1 and "420117001" in lines[0], proc.stderr
    assert "households per hectare" in lines[0] and "persons per inhabited building" in lines[0]


def test_andorra_estimate_without_totals_is_near_the_published_figures(andorra):
    """Andorra, 2021: 79,535 residents (Departament d'Estadística); 2.33 persons per
    household (Enquesta de pressupostos familiars 2021), so about 34,100 households;
    the register counted 39,027 households at the end of 2022."""
    cfg = RunConfig(input=andorra)
    cfg.households.scale_to_townships = False
    cfg.households.persons_per_household = 2.33
    inputs = read_inputs(cfg)
    placed = inputs.buildings["township_code"].notna()
    households = inputs.buildings.loc[placed, "households"].sum()
    persons = inputs.buildings.loc[placed, "persons"].sum()
    for truth in (79_535 / 2.33, 39_027):
        assert abs(households / truth - 1) < 0.3, (households, truth)
    assert abs(persons / 79_535 - 1) < 0.3, persons
    assert inputs.households_method["calibration"] == "uncalibrated"


def test_county_total_from_a_manifest_row(tmp_path):
    from eapart.batch import BatchOptions, run_batch

    write_county(tmp_path, _estimate_county())
    (tmp_path / "m.csv").write_text("input,county_code,out,total_households\n"
                                    "c.gpkg,420117,res/a,321\nc.gpkg,420117,res/b,\n",
                                    encoding="utf-8")
    table = run_batch(tmp_path / "m.csv", BatchOptions(jobs=1, maps=False))
    assert table["status"].tolist() == ["done", "done"]
    first, second = (json.loads((tmp_path / "res" / d / "report.json").read_text("utf-8"))
                     for d in ("a", "b"))
    assert first["households"] == 321
    assert first["households_method"]["calibration"] == "calibrated"
    assert second["households_method"]["calibration"] == "uncalibrated"
