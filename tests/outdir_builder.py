"""Build a small but complete ``eapart run`` output directory for export and sheet tests.

One township (code with a leading zero) cut into two census areas of three small
areas each, in a CGCS2000 Gauss-Kruger zone (EPSG:4547) or reprojected to any
other CRS. Names are Chinese, and one is hostile HTML, so that every writer is
tried on the text that real users give it.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

TOWNSHIP = "010101001"
TOWNSHIP_NAME = "城关街道"
CENSUS_AREAS = {f"{TOWNSHIP}001": "东门社区", f"{TOWNSHIP}002": "<script>alert(1)</script>"}
ORIGIN = (500_000.0, 3_000_000.0)  # near 114E, 27N in EPSG:4547
WIDTH, HEIGHT = 300.0, 420.0  # metres per census area
BANDS = 3  # small areas per census area


def _small_areas() -> gpd.GeoDataFrame:
    rows = []
    for col, (ca_code, ca_name) in enumerate(CENSUS_AREAS.items()):
        for band in range(BANDS):
            x0 = ORIGIN[0] + col * WIDTH
            y1 = ORIGIN[1] + HEIGHT - band * HEIGHT / BANDS
            rows.append({
                "small_area_code": f"{ca_code}{band + 1:03d}",
                "census_area_code": ca_code,
                "township_code": TOWNSHIP,
                "township_name": TOWNSHIP_NAME,
                "census_area_name": ca_name,
                "geometry": shapely.box(x0, y1 - HEIGHT / BANDS, x0 + WIDTH, y1),
            })
    return gpd.GeoDataFrame(rows, crs=4547)


def _buildings(small: gpd.GeoDataFrame, per_area: int) -> gpd.GeoDataFrame:
    """``per_area`` 12 m squares on a grid inside each small area."""
    rng = np.random.default_rng(7)
    side = int(np.ceil(np.sqrt(per_area)))
    frames = []
    for row in small.itertuples():
        minx, miny, maxx, maxy = row.geometry.bounds
        i = np.arange(per_area)
        x = minx + (i % side + 0.5) * (maxx - minx) / side
        y = miny + (i // side + 0.5) * (maxy - miny) / side
        frames.append(gpd.GeoDataFrame({
            "building_id": [f"{row.small_area_code[-6:]}-{k:04d}" for k in i],
            "township_code": TOWNSHIP,
            "census_area_code": row.census_area_code,
            "small_area_code": row.small_area_code,
            "households": rng.integers(0, 20, per_area),
            "persons": np.where(i % 5 == 0, np.nan, rng.integers(1, 60, per_area)).astype(float),
            "type": np.where(i % 3 == 0, None, "住宅"),
            "name": np.where(i % 4 == 0, "幸福小区", None),
        }, geometry=shapely.box(x - 6, y - 6, x + 6, y + 6), crs=small.crs))
    return gpd.GeoDataFrame(gpd.pd.concat(frames, ignore_index=True), crs=small.crs)


def _totals(small: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame) -> None:
    grouped = buildings.groupby("small_area_code")
    small["households"] = small["small_area_code"].map(grouped["households"].sum()).astype(int)
    small["persons"] = small["small_area_code"].map(grouped["persons"].sum())
    small["buildings"] = small["small_area_code"].map(grouped.size()).astype(int)
    small["flags"] = ""
    small.loc[0, "flags"] = "too_large,crosses_major_road"


def _census_areas(small: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    ca = small.dissolve("census_area_code", aggfunc={
        "township_code": "first", "township_name": "first", "census_area_name": "first",
        "households": "sum", "persons": "sum", "buildings": "sum", "small_area_code": "count",
    }).reset_index()
    ca = ca.rename(columns={"census_area_name": "name", "small_area_code": "small_areas"})
    return ca[["census_area_code", "township_code", "name", "households", "persons",
               "small_areas", "buildings", "township_name", "geometry"]]


def _townships(ca: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    tw = ca.dissolve("township_code", aggfunc={
        "township_name": "first", "households": "sum", "persons": "sum",
        "census_area_code": "count", "small_areas": "sum", "buildings": "sum",
    }).reset_index()
    return tw.rename(columns={"township_name": "name", "census_area_code": "census_areas"})


def _context(crs) -> dict[str, gpd.GeoDataFrame]:
    x_mid = ORIGIN[0] + WIDTH
    roads = gpd.GeoDataFrame({"class": ["major", "minor"], "name": ["人民路", None]}, geometry=[
        shapely.LineString([(x_mid, ORIGIN[1] - 50), (x_mid, ORIGIN[1] + HEIGHT + 50)]),
        shapely.LineString([(ORIGIN[0] - 50, ORIGIN[1] + 140), (x_mid, ORIGIN[1] + 140)]),
    ], crs=crs)
    water = gpd.GeoDataFrame({"class": ["river"], "name": ["清水河"]}, geometry=[
        shapely.LineString([(ORIGIN[0] - 50, ORIGIN[1] + 3), (ORIGIN[0] + 2 * WIDTH + 50,
                                                             ORIGIN[1] + 3)]),
    ], crs=crs)
    unassigned = gpd.GeoDataFrame({"building_id": ["far-0001"], "reason": ["outside townships"]},
                                  geometry=[shapely.box(ORIGIN[0] - 500, ORIGIN[1] - 500,
                                                        ORIGIN[0] - 488, ORIGIN[1] - 488)],
                                  crs=crs)
    return {"unassigned": unassigned, "roads": roads, "water": water}


def build_layers(per_area: int = 9) -> dict[str, gpd.GeoDataFrame]:
    """All layers of the output GeoPackage, in EPSG:4547."""
    small = _small_areas()
    buildings = _buildings(small, per_area)
    _totals(small, buildings)
    small = small[["small_area_code", "census_area_code", "township_code", "households",
                   "persons", "buildings", "flags", "township_name", "census_area_name",
                   "geometry"]]
    ca = _census_areas(small)
    layers = {"buildings": buildings, "small_areas": small, "census_areas": ca,
              "townships": _townships(ca)}
    layers.update(_context(small.crs))
    return layers


def report(layers: dict[str, gpd.GeoDataFrame]) -> dict:
    """A report.json with the keys the contract names."""
    small = layers["small_areas"]
    return {
        "software": "eapart", "version": "0.1.0", "engine": "test",
        "buildings_in": len(layers["buildings"]) + len(layers["unassigned"]),
        "buildings_assigned": len(layers["buildings"]),
        "buildings_unassigned": len(layers["unassigned"]),
        "townships": 1, "census_areas": len(layers["census_areas"]),
        "small_areas": len(small), "measure": "households",
        "target_households": 80, "min_households": 64, "max_households": 96,
        "within_tolerance_share": 0.5, "flags": {"too_large": 1, "crosses_major_road": 1},
        "band": {"measure": "households", "target": 80, "min_size": 64, "max_size": 96},
        "flag_descriptions": {"too_large": "above the maximum size"},
        "parameters": {"target": 80, "min_size": 64, "max_size": 96, "seed": 0,
                       "名称": "参数"},
        "warnings": [],
    }


def build_output(outdir: Path, crs: int | str = 4547, per_area: int = 9) -> Path:
    """Write ``eapart.gpkg``, ``report.json`` and ``summary.csv`` into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    layers = {name: frame.to_crs(crs) for name, frame in build_layers(per_area).items()}
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, outdir / "eapart.gpkg", layer=name, driver="GPKG",
                                promote_to_multi=False)
    (outdir / "report.json").write_text(json.dumps(report(layers), ensure_ascii=False),
                                        encoding="utf-8")
    layers["small_areas"].drop(columns="geometry").to_csv(
        outdir / "summary.csv", index=False, encoding="utf-8-sig")
    return outdir
