"""Geometry and attribute columns turned into compact JSON for the review pages.

Pages carry each layer as ``{"geoms": [GeoJSON geometry, ...], "props": {column:
[value, ...]}}``: columns are stored once rather than once per feature, and
coordinates are rounded (6 decimals of a degree is about 0.1 m) in one vectorised
call, which keeps a township's buildings a few megabytes at most.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pandas.arrays import ArrowStringArray
from pyproj import CRS

from eapart.review.assets import escape_json_text, safe_json

#: Decimals of a degree kept in page coordinates (1e-6 degree is about 0.11 m).
DEFAULT_DECIMALS = 6


def display_crs_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in WGS 84 longitude/latitude, the CRS Leaflet draws in."""
    if frame.crs is None:
        raise ValueError("layer has no CRS")
    if CRS.from_user_input(frame.crs).equals(CRS.from_epsg(4326)):
        return frame
    return frame.to_crs(4326)


def simplify_coverage(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify polygons that tile an area, keeping shared edges shared.

    Uses GEOS coverage simplification, so neighbours still meet exactly; falls back to
    per-polygon topology-preserving simplification when the input is not a clean
    coverage (GEOS refuses it).
    """
    geoms = np.asarray(geoms, dtype=object)
    if tolerance <= 0 or len(geoms) == 0:
        return geoms
    try:
        simplified = shapely.coverage_simplify(geoms, tolerance)
    except shapely.errors.GEOSException:
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
    bad = shapely.is_empty(simplified) | shapely.is_missing(simplified)
    return np.where(bad, geoms, simplified)


def geometry_json(geoms: np.ndarray, decimals: int = DEFAULT_DECIMALS) -> list[str]:
    """GeoJSON text of each geometry with coordinates rounded to ``decimals``."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return []
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    texts = shapely.to_geojson(rounded)
    missing = shapely.is_missing(rounded) | shapely.is_empty(rounded)
    return ["null" if gone else text for text, gone in zip(texts.tolist(), missing, strict=True)]


def label_points(geoms: np.ndarray, decimals: int = DEFAULT_DECIMALS) -> list[list[float] | None]:
    """A ``[lat, lon]`` point inside each geometry, where its label goes (``None`` if empty)."""
    points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    lon = np.round(shapely.get_x(points), decimals).tolist()
    lat = np.round(shapely.get_y(points), decimals).tolist()
    return [None if math.isnan(y) else [y, x] for y, x in zip(lat, lon, strict=True)]


def column_values(frame: pd.DataFrame, column: str, float_decimals: int = 1) -> list:
    """The values of ``column`` as JSON-ready Python objects (missing -> ``None``).

    A column the frame lacks gives ``None`` everywhere, so pages work with older or
    partial outputs.
    """
    if column not in frame.columns:
        return [None] * len(frame)
    series = frame[column]
    if pd.api.types.is_bool_dtype(series):
        return _present(series, bool)
    if pd.api.types.is_integer_dtype(series):
        return _present(series, int)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        rounded = np.round(values, float_decimals)
        return [None if math.isnan(v) else (int(v) if v.is_integer() else v)
                for v in rounded.tolist()]
    return text_values(series)


def text_values(series: pd.Series) -> list[str | None]:
    """Each value of ``series`` as text (``None`` where missing), whatever its dtype.

    A pyarrow-backed string column is converted by pyarrow in one call, four times
    faster than going through its values one by one.
    """
    if isinstance(series.array, ArrowStringArray):
        return series.array.__arrow_array__().to_pylist()
    return _present(series, lambda v: v if type(v) is str else str(v))


def _present(series: pd.Series, convert: Callable[[object], object]) -> list:
    """``convert`` of each value of ``series``, ``None`` where it is missing.

    One vectorised missing test for the column rather than one per value.
    """
    missing = series.isna().to_numpy().tolist()
    values = series.to_numpy(dtype=object).tolist()
    return [None if gone else convert(v) for v, gone in zip(values, missing, strict=True)]


def layer_json(geoms: np.ndarray, props: dict[str, list], extra: dict | None = None,
               decimals: int = DEFAULT_DECIMALS) -> str:
    """One layer as JSON text safe inside a ``<script>`` element.

    ``props`` maps a column name to one value per geometry; ``extra`` adds further
    keys (kind, names, label points) to the layer object.
    """
    return texts_layer_json(geometry_json(geoms, decimals), props, extra)


def texts_layer_json(geoms: list[str], props: dict[str, list],
                     extra: dict | None = None) -> str:
    """:func:`layer_json` of geometries already written as GeoJSON text (one each)."""
    body = ",".join(geoms)
    if "<" in body or ">" in body or "&" in body:  # never in GEOS's GeoJSON; kept as a guard
        body = escape_json_text(body)
    fields = dict(extra or {})
    fields["props"] = props
    return '{"geoms":[' + body + "]," + safe_json(fields)[1:]
