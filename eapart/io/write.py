"""Writing a run's contract outputs into a directory.

``eapart.gpkg`` (layers ``buildings``, ``small_areas``, ``census_areas``,
``townships``, ``unassigned`` and the roads, rail and water read from the input),
``report.json`` and ``summary.csv``. The caller writes into a temporary directory
made by :func:`eapart.io.atomic.atomic_directory`, so that the whole output appears
at once. Writing is deterministic: the GeoPackage's timestamps are pinned, the
report holds no clock time and no absolute path, so the same input and seed give
the same bytes.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

GPKG_NAME = "eapart.gpkg"
REPORT_NAME = "report.json"
SUMMARY_NAME = "summary.csv"

#: GeoPackage timestamps are pinned so that identical runs write identical files.
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"

#: Layers of ``eapart.gpkg``, in the order they are written.
LAYER_ORDER = (
    "townships", "census_areas", "small_areas", "buildings", "unassigned", "roads", "rail",
    "water",
)

SUMMARY_COLUMNS = (
    "small_area_code", "census_area_code", "township_code", "township_name",
    "census_area_name", "households", "persons", "buildings", "flags",
)


def write_geopackage(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Write ``layers`` into one GeoPackage with a spatial index per layer.

    Layers are written in :data:`LAYER_ORDER`, then any others in name order; a
    plain DataFrame (no geometry) is written as an attribute table.
    """
    order = [n for n in LAYER_ORDER if n in layers] + sorted(set(layers) - set(LAYER_ORDER))
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIMESTAMP})
    try:
        for name in order:
            frame = layers[name]
            if not isinstance(frame, gpd.GeoDataFrame):
                # A table with no geometry (the code registry).
                pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                              layer_options={"SPATIAL_INDEX": "YES"})
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_report(path: Path, report: dict) -> None:
    """Write the report as readable, stable JSON (UTF-8, Chinese kept as it is)."""
    text = json.dumps(_plain(report), ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_summary(path: Path, small_areas: pd.DataFrame) -> None:
    """One row per small area, UTF-8 with a byte-order mark so Excel shows Chinese."""
    columns = [c for c in SUMMARY_COLUMNS if c in small_areas.columns]
    table = pd.DataFrame(small_areas[columns]).sort_values("small_area_code")
    table.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def _plain(value):
    """Turn numpy and pandas values into JSON-ready Python values (NaN becomes null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, 6)
    if isinstance(value, Path):
        return value.as_posix()
    if value is pd.NA:
        return None
    return value
