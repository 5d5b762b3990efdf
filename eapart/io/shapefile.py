"""Shapefile export: one zip per layer, short field names, GBK or UTF-8 text.

A Shapefile's DBF allows field names of at most 10 characters, so the long
column names of the GeoPackage are shortened by a fixed, documented mapping:

==================  ===========  =============================================
column              DBF field    meaning
==================  ===========  =============================================
building_id         bldg_id      building id from the input
township_code       town_code    9-digit township code (text)
census_area_code    ca_code      12-digit census area code (text)
small_area_code     sa_code      15-digit small area code (text)
households          households   households
persons             persons      persons (empty when unknown)
buildings           buildings    number of buildings
census_areas        n_ca         number of census areas
small_areas         n_sa         number of small areas
flags               flags        comma-separated flags, empty when clean
township_name       town_name    township name
census_area_name    ca_name      census area name
name                name         name
type                type         building type
floors              floors       storeys as given (empty when unknown)
walk_number         walk_no      place on the walking route of its small area
class               class        road/water/rail class
reason              reason       why a building is unassigned
==================  ===========  =============================================

Any other column longer than 10 characters is cut to 10 and made unique with
a numeric suffix; each zip holds ``<layer>_fields.csv`` with the mapping actually
used (named per layer, so unpacking several zips into one folder loses none).

Beside every ``.shp`` the zip holds its ``.cpg`` and a ``.qml`` of the same name:
the QGIS style (outlines, flagged small areas filled, code labels) written for the
short field names, which QGIS applies when it opens the Shapefile.

Codes are DBF character fields, so leading zeros survive. Text is UTF-8 by
default; ``encoding="GBK"`` writes code page 936 for older ArcGIS, recorded
both in the ``.cpg`` file (``936``) and in the DBF header's language driver
id (0x4D), which ArcGIS reads first. The ``.prj`` is the ESRI WKT that GDAL
writes (e.g. ``CGCS2000_3_Degree_GK_CM_114E`` for EPSG:4547).
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from eapart.errors import UsageError, list_ids
from eapart.io.qgis_styles import STYLES, layer_qml

#: Full column name -> DBF field name (at most 10 characters).
SHAPEFILE_FIELDS: dict[str, str] = {
    "building_id": "bldg_id",
    "township_code": "town_code",
    "census_area_code": "ca_code",
    "small_area_code": "sa_code",
    "households": "households",
    "persons": "persons",
    "buildings": "buildings",
    "census_areas": "n_ca",
    "small_areas": "n_sa",
    "flags": "flags",
    "township_name": "town_name",
    "census_area_name": "ca_name",
    "name": "name",
    "type": "type",
    "floors": "floors",
    "walk_number": "walk_no",
    "class": "class",
    "reason": "reason",
}

#: Accepted ``--encoding`` values -> (GDAL encoding, .cpg text, DBF language driver id).
ENCODINGS: dict[str, tuple[str, str, int]] = {
    "UTF-8": ("UTF-8", "UTF-8", 0x00),
    "GBK": ("CP936", "936", 0x4D),
}
_ALIASES = {"UTF8": "UTF-8", "CP936": "GBK", "936": "GBK", "GB2312": "GBK"}
_LDID_OFFSET = 29  # byte of the DBF header holding the language driver id
_MAX_FIELD = 10
#: Shapely geometry type id -> Shapefile geometry family (missing counts as polygon).
_FAMILY_OF_TYPE = np.array(
    ["point", "line", "line", "polygon", "point", "line", "polygon", "polygon"]
)


def normalise_encoding(encoding: str) -> str:
    """Return the canonical name (``UTF-8`` or ``GBK``) for a user's ``--encoding``."""
    key = encoding.strip().upper()
    key = _ALIASES.get(key, key)
    if key not in ENCODINGS:
        raise UsageError(
            f"--encoding {encoding!r} is not supported for Shapefiles; "
            f"use one of {', '.join(ENCODINGS)} (GBK for older ArcGIS)."
        )
    return key


def field_names(columns: list[str]) -> dict[str, str]:
    """Map each column to a unique DBF field name of at most 10 characters.

    >>> field_names(["small_area_code", "population_a", "population_b"])
    {'small_area_code': 'sa_code', 'population_a': 'population', 'population_b': 'populati_1'}
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        short = SHAPEFILE_FIELDS.get(column, column[:_MAX_FIELD])
        number = 0
        while short.lower() in used:
            number += 1
            suffix = f"_{number}"
            short = SHAPEFILE_FIELDS.get(column, column)[: _MAX_FIELD - len(suffix)] + suffix
        used.add(short.lower())
        mapping[column] = short
    return mapping


def check_encodable(frame: pd.DataFrame, encoding: str, layer: str) -> None:
    """Raise :class:`UsageError` naming the rows whose text ``encoding`` cannot hold.

    GBK has no emoji and lacks some rare characters: writing them would lose text
    silently, so the user is told which values fail and to use UTF-8.
    """
    if encoding == "UTF-8":
        return
    codec = ENCODINGS[encoding][0]
    for column in frame.columns:
        if column == frame.geometry.name or not pd.api.types.is_string_dtype(frame[column]):
            continue
        values = frame[column].dropna()
        values = values[~values.str.isascii()]
        bad = [v for v in values.unique() if not _encodes(v, codec)]
        if bad:
            rows = values.index[values.isin(bad)]
            raise UsageError(
                f"layer {layer!r}, column {column!r}: {len(rows)} value(s) cannot be written "
                f"in {encoding} (rows {list_ids(rows.tolist(), 5)}; e.g. {bad[0]!r}); "
                "use --encoding UTF-8, or fix the names in the input."
            )


def _encodes(value: str, codec: str) -> bool:
    try:
        value.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _geometry_parts(frame: gpd.GeoDataFrame,
                    layer: str) -> dict[str, tuple[str, gpd.GeoDataFrame]]:
    """Split a layer by geometry family: a Shapefile holds one family only.

    Returns file name -> (family, rows). A layer of one family keeps its name; mixed
    layers (points and polygons) become ``<layer>_point``, ``<layer>_polygon``...
    Empty geometries are kept with the polygons.
    """
    types = shapely.get_type_id(frame.geometry.values)
    types = np.where(types < 0, 3, np.minimum(types, len(_FAMILY_OF_TYPE) - 1))
    family = _FAMILY_OF_TYPE[types]
    families = list(dict.fromkeys(family.tolist())) or ["polygon"]
    if len(families) == 1:
        return {layer: (families[0], frame)}
    return {f"{layer}_{name}": (name, frame[family == name]) for name in families}


def _mark_code_page(dbf: Path, ldid: int) -> None:
    """Write the DBF language driver id that older ArcGIS reads before the .cpg.

    The header's date of last update (bytes 1-3) is pinned to 2000-01-01, so the
    same result gives the same bytes on any day.
    """
    with open(dbf, "r+b") as handle:
        handle.seek(1)
        handle.write(bytes([100, 1, 1]))
        handle.seek(_LDID_OFFSET)
        handle.write(bytes([ldid]))


def _pinned(name: str) -> zipfile.ZipInfo:
    """A zip entry dated 2000-01-01 (not the clock), compressed, readable by everyone."""
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _fields_csv(mapping: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["field", "column"])
    writer.writerows((short, column) for column, short in mapping.items())
    return buffer.getvalue().encode("utf-8-sig")


def fields_csv_name(layer: str) -> str:
    """Name of a zip's field map: one per layer, so no two zips hold the same file."""
    return f"{layer}_fields.csv"


def write_shapefile_zip(
    frame: gpd.GeoDataFrame, layer: str, path: Path, encoding: str = "UTF-8"
) -> Path:
    """Write ``frame`` as a zipped Shapefile at ``path`` and return ``path``.

    The zip holds ``<layer>.shp/.shx/.dbf/.prj/.cpg/.qml`` (one set per geometry
    family when the layer mixes them) and ``<layer>_fields.csv``, the field-name
    mapping.
    """
    encoding = normalise_encoding(encoding)
    gdal_encoding, cpg_text, ldid = ENCODINGS[encoding]
    check_encodable(frame, encoding, layer)
    mapping = field_names([c for c in frame.columns if c != frame.geometry.name])
    renamed = frame.rename(columns=mapping)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        tmpdir = Path(tmp)
        for name, (family, part) in _geometry_parts(renamed, layer).items():
            shp = tmpdir / f"{name}.shp"
            pyogrio.write_dataframe(
                part, shp, encoding=gdal_encoding, layer_options={"RESIZE": "YES"}
            )
            (tmpdir / f"{name}.cpg").write_text(cpg_text, encoding="ascii")
            _mark_code_page(tmpdir / f"{name}.dbf", ldid)
            if layer in STYLES:
                qml = layer_qml(layer, geometry=family, fields=mapping)
                (tmpdir / f"{name}.qml").write_text(qml, encoding="utf-8")
        partial = tmpdir / path.name
        members = {m.name: m.read_bytes() for m in sorted(tmpdir.iterdir()) if m != partial}
        members[fields_csv_name(layer)] = _fields_csv(mapping)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(_pinned(name), data)
        partial.replace(path)
    return path
