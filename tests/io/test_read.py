"""Reading inputs: every format, encodings, field mapping, config, CRS and bad geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from tiny_county import CRS, tiny_county, write_gpkg

from eapart.config import RunConfig, load_config
from eapart.errors import InputError, UsageError
from eapart.io.read import read_inputs


def _cfg(path, **kwargs) -> RunConfig:
    return RunConfig(input=path, **kwargs)


def test_geopackage_reads_layers_codes_and_households(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    b = inputs.buildings
    assert len(b) == 42
    assert b["building_id"].iloc[0] == "T0H00"
    assert set(b["township_code"]) == {"420117001", "420117100"}
    assert int(b.loc[b.building_id == "APT1", "households"].iloc[0]) == 60
    assert inputs.work_crs.to_epsg() == 4547  # already metric: worked in as it is
    assert inputs.households_method["method"] == "households column of the buildings layer"
    assert set(inputs.barriers["rank"]) == {"major", "minor"}


@pytest.mark.parametrize("driver,suffix", [
    ("GeoJSON", ".geojson"), ("FlatGeobuf", ".fgb"), ("ESRI Shapefile", ".shp"),
])
def test_separate_files_in_other_formats(tmp_path, driver, suffix):
    layers = tiny_county()
    paths = {}
    for name in ("buildings", "townships"):
        paths[name] = tmp_path / f"{name}{suffix}"
        layers[name].to_file(paths[name], driver=driver, engine="pyogrio")
    cfg = RunConfig(layers={k: str(v) for k, v in paths.items()})
    inputs = read_inputs(cfg)
    assert len(inputs.buildings) == 42
    # FlatGeobuf's spatial index may reorder features: compare as sets.
    assert sorted(inputs.townships["name"]) == sorted(["城关街道", "新华镇"])
    assert inputs.buildings["township_code"].notna().all()


def test_geoparquet_buildings(tmp_path):
    layers = tiny_county()
    layers["buildings"].to_parquet(tmp_path / "b.parquet")
    write_gpkg({"townships": layers["townships"]}, tmp_path / "t.gpkg")
    cfg = RunConfig(layers={"buildings": str(tmp_path / "b.parquet"),
                            "townships": f"{tmp_path / 't.gpkg'}:townships"})
    assert len(read_inputs(cfg).buildings) == 42


def test_csv_points_need_a_crs_and_read_with_one(tmp_path):
    layers = tiny_county()
    pts = layers["buildings"]
    centre = pts.geometry.centroid.to_crs("EPSG:4490")
    table = pd.DataFrame({"id": pts["id"], "lon": centre.x, "lat": centre.y,
                          "households": pts["households"]})
    table.to_csv(tmp_path / "b.csv", index=False)
    write_gpkg({"townships": layers["townships"]}, tmp_path / "t.gpkg")
    sources = {"buildings": str(tmp_path / "b.csv"), "townships": str(tmp_path / "t.gpkg")}
    with pytest.raises(InputError, match="--csv-crs"):
        read_inputs(RunConfig(layers=dict(sources)))
    inputs = read_inputs(RunConfig(layers=dict(sources), csv_crs="EPSG:4490"))
    assert (shapely.get_type_id(inputs.buildings.geometry.array) == 0).all()
    assert inputs.buildings["township_code"].notna().all()
    assert any("reprojected" in n for n in inputs.notes)  # buildings 4490, townships 4547


def test_csv_with_wkt_column(tmp_path):
    layers = tiny_county()
    table = pd.DataFrame({"id": layers["buildings"]["id"],
                          "wkt": layers["buildings"].geometry.to_wkt()})
    table.to_csv(tmp_path / "b.csv", index=False)
    write_gpkg({"townships": layers["townships"]}, tmp_path / "t.gpkg")
    inputs = read_inputs(RunConfig(layers={"buildings": str(tmp_path / "b.csv"),
                                           "townships": str(tmp_path / "t.gpkg")}, csv_crs=CRS))
    assert shapely.area(inputs.buildings.geometry.array).min() > 200


def test_gbk_shapefile_with_chinese_names(tmp_path):
    layers = tiny_county()
    layers["townships"].to_file(tmp_path / "t.shp", encoding="GBK", engine="pyogrio")
    layers["buildings"].to_file(tmp_path / "b.shp", encoding="GBK", engine="pyogrio")
    for f in tmp_path.glob("*.cpg"):
        f.unlink()  # older tools write no .cpg: the code page must be given
    sources = {"buildings": str(tmp_path / "b.shp"), "townships": str(tmp_path / "t.shp")}
    with pytest.raises(InputError, match="--encoding GBK"):
        read_inputs(RunConfig(layers=dict(sources)))
    inputs = read_inputs(RunConfig(layers=dict(sources), encoding="GBK"))
    assert inputs.townships["name"].tolist() == ["城关街道", "新华镇"]
    assert "民居0" in set(inputs.buildings["name"])


def test_column_mapping_by_option_and_missing_column(tmp_path):
    layers = tiny_county()
    layers["buildings"] = layers["buildings"].rename(columns={"households": "HU", "id": "BID"})
    write_gpkg(layers, tmp_path / "c.gpkg")
    cfg = _cfg(tmp_path / "c.gpkg")
    cfg.columns.households = "HU"
    cfg.columns.building_id = "BID"
    inputs = read_inputs(cfg)
    assert inputs.buildings["households"].sum() == layers["buildings"]["HU"].sum()
    cfg.columns.households = "HH_TYPO"
    with pytest.raises(InputError, match="no column 'HH_TYPO'.*BID"):
        read_inputs(cfg)


def test_config_file_sets_columns_and_parameters(tmp_path):
    layers = tiny_county()
    layers["buildings"] = layers["buildings"].rename(columns={"households": "HU"})
    write_gpkg(layers, tmp_path / "c.gpkg")
    (tmp_path / "run.toml").write_text(
        '[input]\npath = "c.gpkg"\ncounty_code = "420117"\n'
        '[columns]\nhouseholds = "HU"\n'
        "[partition]\ntarget_households = 50\nmin_households = 40\nmax_households = 60\n",
        encoding="utf-8",
    )
    cfg = load_config(tmp_path / "run.toml")
    assert cfg.input == tmp_path / "c.gpkg"
    band = cfg.partition.band()
    assert (band.target, band.min_size, band.max_size) == (50, 40, 60)
    inputs = read_inputs(cfg)
    assert inputs.buildings["households"].sum() == layers["buildings"]["HU"].sum()


def test_config_file_rejects_unknown_keys(tmp_path):
    (tmp_path / "bad.toml").write_text("[partition]\ntarget_househods = 80\n", encoding="utf-8")
    with pytest.raises(UsageError, match="target_househods"):
        load_config(tmp_path / "bad.toml")


def test_layer_without_crs_is_an_error_naming_it(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].set_crs(None, allow_override=True)
    write_gpkg(layers, tmp_path / "c.gpkg")
    with pytest.raises(InputError, match=r"layer 'townships'.*no coordinate reference system"):
        read_inputs(_cfg(tmp_path / "c.gpkg"))


def test_mixed_crs_are_reprojected_and_reported(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].to_crs("EPSG:4326")
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    assert inputs.input_crs.to_epsg() == 4547
    assert any("townships" in n and "EPSG:4326" in n for n in inputs.notes)
    assert inputs.buildings["township_code"].notna().all()


def test_geographic_input_works_in_gauss_kruger_and_keeps_its_crs(tmp_path):
    layers = {k: v.to_crs("EPSG:4490") for k, v in tiny_county().items()}
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    assert inputs.input_crs.to_epsg() == 4490
    assert inputs.work_crs.to_epsg() == 4547  # CGCS2000 3-degree GK zone CM 114E


def test_invalid_polygons_are_repaired_and_counted(tmp_path):
    layers = tiny_county()
    bowtie = shapely.Polygon([(X := 500_300.0, Y := 3_380_300.0), (X + 20, Y + 20),
                              (X + 20, Y), (X, Y + 20)])
    geoms = layers["buildings"].geometry.to_numpy().copy()
    geoms[3] = bowtie
    layers["buildings"] = layers["buildings"].set_geometry(geoms, crs=CRS)
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    assert inputs.stats["repaired"]["buildings"] == 1
    assert shapely.is_valid(inputs.buildings.geometry.array).all()
    assert len(inputs.buildings) == 42


def test_duplicate_ids_are_listed(tmp_path):
    layers = tiny_county()
    layers["buildings"].loc[5, "id"] = "T0H00"
    write_gpkg(layers, tmp_path / "c.gpkg")
    with pytest.raises(InputError, match="unique.*T0H00"):
        read_inputs(_cfg(tmp_path / "c.gpkg"))


def test_empty_geometry_is_an_error_listing_the_id(tmp_path):
    layers = tiny_county()
    geoms = layers["buildings"].geometry.to_numpy().copy()
    geoms[7] = shapely.Polygon()
    layers["buildings"] = layers["buildings"].set_geometry(geoms, crs=CRS)
    write_gpkg(layers, tmp_path / "c.gpkg")
    with pytest.raises(InputError, match="empty or missing geometry.*T0H07"):
        read_inputs(_cfg(tmp_path / "c.gpkg"))


def test_buildings_outside_townships_are_unassigned_not_lost(tmp_path):
    layers = tiny_county()
    extra = layers["buildings"].iloc[:2].copy()
    extra["id"] = ["FAR1", "FAR2"]
    extra = extra.set_geometry(extra.geometry.translate(5000, 0))
    layers["buildings"] = pd.concat([layers["buildings"], extra], ignore_index=True)
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    assert len(inputs.buildings) == 44
    assert inputs.unassigned["building_id"].tolist() == ["FAR1", "FAR2"]
    assert inputs.buildings["township_code"].isna().sum() == 2
    assert any("FAR1" in w for w in inputs.warnings)


def test_andorra_nine_buildings_outside_parishes(andorra):
    inputs = read_inputs(RunConfig(input=andorra))
    assert len(inputs.buildings) == 5031
    assert len(inputs.unassigned) == 9
    assert inputs.work_crs.to_epsg() == 32631
    assert inputs.townships["township_code"].str.len().eq(9).all()
    assert inputs.households_method["storeys_known"] == 167


def test_kotka_collapsed_footprints_are_read_as_point_buildings(kotka):
    raw = gpd.read_file(kotka, layer="buildings")
    inputs = read_inputs(RunConfig(input=kotka, county_code="990100"))
    collapsed = inputs.stats["repaired"]["collapsed_to_points"]
    assert collapsed["count"] == 15 == len(collapsed["ids"])
    assert len(inputs.buildings) == len(raw) == 2208
    assert inputs.buildings["building_id"].tolist() == raw["id"].astype(str).tolist()
    rows = inputs.buildings["building_id"].isin(collapsed["ids"]).to_numpy()
    assert (inputs.buildings.geom_type[rows] == "Point").all()
    assert (inputs.buildings.geom_type[~rows] != "Point").all()
    assert inputs.buildings["township_code"][rows].notna().all()
    # Each point lies on the ring it came from.
    original = raw.set_index(raw["id"].astype(str)).geometry.to_crs(inputs.work_crs)
    points = inputs.buildings.geometry[rows]
    ids = inputs.buildings["building_id"][rows]
    assert (shapely.distance(original[ids].to_numpy(), points.to_numpy()) < 0.5).all()
    assert sum("collapsed" in w and "15 footprint(s)" in w for w in inputs.warnings) == 1


def test_household_estimate_from_footprint_and_storeys(tmp_path):
    layers = tiny_county()
    b = layers["buildings"].drop(columns=["households"])
    b["floors"] = np.nan
    b.loc[b.id == "APT1", "floors"] = 6  # 60 m x 40 m x 6 storeys / 90 m2 = 160
    layers["buildings"] = b
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    hh = inputs.buildings.set_index("building_id")["households"]
    assert hh["APT1"] == 160
    assert hh["OFF1"] == 0  # offices house nobody but still count as buildings
    assert hh["T0H00"] == 1  # a low-rise house is one dwelling, whatever its footprint
    assert inputs.households_method["method"].startswith("footprint area x storeys")
    assert inputs.households_method["single_dwelling_types_as_one"] == 40


def test_household_estimate_is_scaled_to_township_population(tmp_path):
    layers = tiny_county()
    layers["buildings"] = layers["buildings"].drop(columns=["households"])
    layers["townships"]["population"] = [262.0, np.nan]
    write_gpkg(layers, tmp_path / "c.gpkg")
    inputs = read_inputs(_cfg(tmp_path / "c.gpkg"))
    per = inputs.buildings.groupby("township_code")["households"].sum()
    assert per["420117001"] == pytest.approx(100)  # 262 persons / 2.62 persons per household
    scaled = inputs.households_method["scaled_to_totals"]["420117001"]
    assert scaled["from"] == "population" and scaled["households"] == pytest.approx(100)
    assert "420117100" not in inputs.households_method["scaled_to_totals"]
    assert inputs.households_method["calibration"] == "partly calibrated"
    figures = inputs.stats["households_by_township"]
    assert figures["420117001"]["calibration"] == "scaled to population"
    assert figures["420117100"]["calibration"] == "uncalibrated estimate"
    assert any("1 of 2 townships (420117100)" in w for w in inputs.warnings)


def test_negative_and_text_households_are_errors(tmp_path):
    layers = tiny_county()
    layers["buildings"]["households"] = layers["buildings"]["households"].astype(object)
    layers["buildings"].loc[2, "households"] = "many"
    write_gpkg(layers, tmp_path / "c.gpkg")
    with pytest.raises(InputError, match="text.*T0H02"):
        read_inputs(_cfg(tmp_path / "c.gpkg"))
    layers = tiny_county()
    layers["buildings"].loc[4, "households"] = -3
    write_gpkg(layers, tmp_path / "d.gpkg")
    with pytest.raises(InputError, match="negative.*T0H04"):
        read_inputs(_cfg(tmp_path / "d.gpkg"))


def test_township_gaps_finds_slivers_and_holes_between_townships_only():
    from eapart.io.read import township_gaps

    x, y = 500_000.0, 3_380_000.0
    left = shapely.box(x, y, x + 1000, y + 1000)
    # 2 m sliver between the two, open at both ends; a 20 x 30 m hole inside the
    # right township alone (its own hole, not a gap between townships).
    right = shapely.difference(shapely.box(x + 1002, y, x + 2000, y + 1000),
                               shapely.box(x + 1500, y + 500, x + 1520, y + 530))
    frame = gpd.GeoDataFrame({"township_code": ["420117001", "420117002"]},
                             geometry=[left, right], crs=CRS)
    gaps = township_gaps(frame)
    assert len(gaps) == 1
    assert gaps["area"].iloc[0] == pytest.approx(2_000.0, rel=1e-6)
    assert gaps["townships"].iloc[0] == "420117001 and 420117002"
    touching = frame.set_geometry([left, shapely.box(x + 1000, y, x + 2000, y + 1000)])
    assert len(township_gaps(touching)) == 0


@pytest.mark.parametrize("geometry,crs,needle", [
    (shapely.Point(500_100.0, 2e9), CRS, "beyond any place on Earth"),
    (shapely.Point(114.1, 130.0), "EPSG:4490", "out of range"),
    (shapely.Point(np.nan, 3_380_100.0), CRS, "NaN or infinity"),
])
def test_impossible_coordinates_name_the_feature(geometry, crs, needle):
    from eapart.io.crs import check_coordinates

    base = shapely.Point(500_100.0, 3_380_100.0) if crs == CRS else shapely.Point(114.1, 30.5)
    geoms = np.array([base, base, geometry, None], dtype=object)
    labels = ["A1", "A2", "B7", "row 4"]
    with pytest.raises(InputError, match=f"features B7 .*{needle}"):
        check_coordinates(geoms, pyproj.CRS(crs), "b.gpkg layer 'buildings'", labels)
    check_coordinates(geoms[[0, 1, 3]], pyproj.CRS(crs), "b.gpkg", labels[:2] + labels[3:])
