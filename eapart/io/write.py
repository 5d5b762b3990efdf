"""Writing a run's contract outputs into a directory.

``eapart.gpkg`` (the layers of :data:`eapart.domain.schema.OUTPUT_LAYERS`),
``report.json`` and ``summary.csv`` (docs/contract.md); :meth:`eapart.domain.areas.Areas.to_file`
is the one caller. The caller writes into a temporary directory
made by :func:`eapart.io.atomic.atomic_directory`, so that the whole output appears
at once. Writing is deterministic: the GeoPackage's timestamps are pinned, the
report holds no clock time and no absolute path, so the same input and seed give
the same bytes.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from eapart.domain.schema import (
    GPKG_NAME,
    OUTPUT_LAYERS,
    REPORT_NAME,
    SMALL_AREA_CODE,
    SUMMARY_COLUMNS,
    SUMMARY_NAME,
)
from eapart.errors import UsageError

#: GeoPackage timestamps are pinned so that identical runs write identical files.
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"


#: GeoPackage version written unless asked otherwise: 1.2 opens without a warning in
#: QGIS 3.22 (Debian 12) and ArcGIS Pro 3; GDAL's default (1.4) makes both warn.
GPKG_VERSION = "1.2"
GPKG_VERSIONS = ("1.2", "1.3", "1.4")

#: Columns that count things: written as whole numbers in tables.
COUNT_COLUMNS = ("households", "persons", "buildings", "census_areas", "small_areas",
                 "flagged_small_areas", "out_of_band")


def write_contract(directory: Path, layers: dict[str, gpd.GeoDataFrame], report: dict,
                   gpkg_version: str = GPKG_VERSION) -> None:
    """The contract's files in ``directory``: the GeoPackage (with QGIS styles), the
    report and the summary table."""
    from eapart import __version__
    from eapart.io.qgis_styles import add_qgis_styles

    gpkg = directory / GPKG_NAME
    write_geopackage(gpkg, layers, gpkg_version)
    add_qgis_styles(gpkg, parameters=report["parameters"], version=__version__)
    write_report(directory / REPORT_NAME, report)
    write_summary(directory / SUMMARY_NAME, layers["small_areas"])


def check_gpkg_version(version: str) -> str:
    """A GeoPackage version GDAL writes (1.2, 1.3 or 1.4), else a usage error."""
    text = str(version).strip()
    if text not in GPKG_VERSIONS:
        raise UsageError(f"--gpkg-version {version!r}: choose one of {', '.join(GPKG_VERSIONS)} "
                         f"({GPKG_VERSION}, the default, opens in QGIS 3.22 and ArcGIS Pro 3 "
                         "without a warning).")
    return text


def write_geopackage(path: Path, layers: dict[str, gpd.GeoDataFrame],
                     version: str = GPKG_VERSION) -> None:
    """Write ``layers`` into one GeoPackage of ``version`` with a spatial index per layer.

    Layers are written in :data:`OUTPUT_LAYERS`, then any others in name order,
    through Arrow: the same tables, schema and rows as pyogrio's row-by-row writer
    (the SQL dump of the file is identical) in half the time for the building layer.
    """
    version = check_gpkg_version(version)
    order = [n for n in OUTPUT_LAYERS if n in layers] + sorted(set(layers) - set(OUTPUT_LAYERS))
    with gpkg_writes():
        for k, name in enumerate(order):
            frame = layers[name]
            created = {} if k or Path(path).exists() else {"dataset_options": {"VERSION": version}}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio",
                              layer_options={"SPATIAL_INDEX": "YES"}, use_arrow=True,
                              **created)


#: GDAL settings while eapart writes a GeoPackage (see :func:`gpkg_writes`).
GPKG_WRITE_OPTIONS = {"OGR_CURRENT_DATE": FIXED_TIMESTAMP, "OGR_SQLITE_SYNCHRONOUS": "OFF"}


@contextmanager
def gpkg_writes() -> Iterator[None]:
    """GDAL set for writing eapart's GeoPackages, and reset after.

    Timestamps are pinned, so that identical runs write identical files. SQLite
    does not wait for the disk after each transaction (GDAL commits layer by layer,
    about a third of the write's wall time on a busy disk): the file's bytes are the
    same, and eapart writes into a temporary folder that becomes the output only
    when whole (:func:`eapart.io.atomic.atomic_directory`; a GeoPackage export is
    renamed into place likewise), so a run that dies leaves no half-written output.
    """
    pyogrio.set_gdal_config_options(GPKG_WRITE_OPTIONS)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(dict.fromkeys(GPKG_WRITE_OPTIONS))


def write_report(path: Path, report: dict) -> None:
    """Write the report as readable, stable JSON (UTF-8, Chinese kept as it is)."""
    text = json.dumps(_plain(report), ensure_ascii=False, indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def integer_counts(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its count columns as nullable integers where every value is whole.

    ``227.0`` is written ``227`` and a missing value stays empty; a column holding a
    fraction the data gave (10.5 households) is left as it is, never rounded.
    """
    table = table.copy()
    for column in COUNT_COLUMNS:
        if column in table.columns and pd.api.types.is_numeric_dtype(table[column]):
            values = pd.to_numeric(table[column])
            known = values.dropna()
            if (known == known.round()).all():
                table[column] = values.round().astype("Int64")
    return table


def write_summary(path: Path, small_areas: pd.DataFrame) -> None:
    """One row per small area, UTF-8 with a byte-order mark so Excel shows Chinese.

    Counts (households, persons, buildings) are whole numbers; unknown persons stay empty.
    """
    columns = [c for c in SUMMARY_COLUMNS if c in small_areas.columns]
    from eapart.io.tables import spreadsheet_safe

    table = integer_counts(pd.DataFrame(small_areas[columns])).sort_values(SMALL_AREA_CODE)
    spreadsheet_safe(table).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


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
