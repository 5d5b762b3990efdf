"""A tiny county drawn by hand, for tests that need exact, known inputs.

Two townships of 1 km x 1 km side by side in CGCS2000 / 3-degree Gauss-Kruger
CM 114E (EPSG:4547), a major road between their halves, 2 x 20 houses of
20 m x 12 m, one apartment block and one office. Names are Chinese.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_380_000.0


def tiny_county() -> dict[str, gpd.GeoDataFrame]:
    """The layers of the tiny county, keyed by contract layer name."""
    townships = gpd.GeoDataFrame(
        {"code": ["420117001", "420117100"], "name": ["城关街道", "新华镇"]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
                  shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=CRS,
    )
    rows = []
    for t, x_start in enumerate((X0, X0 + 1000)):
        for i in range(20):
            x = x_start + 100 + (i % 5) * 160
            y = Y0 + 100 + (i // 5) * 100 + (0 if i // 5 < 2 else 500)
            rows.append({"id": f"T{t}H{i:02d}", "households": 1 + (i % 3), "type": "house",
                         "name": f"民居{i}", "geometry": shapely.box(x, y, x + 20, y + 12)})
    rows.append({"id": "APT1", "households": 60, "type": "apartments", "name": "幸福小区1栋",
                 "geometry": shapely.box(X0 + 700, Y0 + 820, X0 + 760, Y0 + 860)})
    rows.append({"id": "OFF1", "households": 0, "type": "office", "name": "镇政府",
                 "geometry": shapely.box(X0 + 1700, Y0 + 820, X0 + 1760, Y0 + 860)})
    buildings = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    roads = gpd.GeoDataFrame(
        {"class": ["major", "minor"], "name": ["解放大道", None]},
        geometry=[shapely.LineString([(X0 - 50, Y0 + 500), (X0 + 2050, Y0 + 500)]),
                  shapely.LineString([(X0 + 500, Y0), (X0 + 500, Y0 + 1000)])],
        crs=CRS,
    )
    return {"buildings": buildings, "townships": townships, "roads": roads}


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path) -> None:
    """Write the layers into one GeoPackage."""
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def buildings_array(layers) -> np.ndarray:
    """The building geometries as a numpy array (handy for edits in tests)."""
    return np.asarray(layers["buildings"].geometry.array)
