"""Geometry checks and repair, layer by layer.

Invalid polygons (self-intersections, bow-ties, wrong ring order) are repaired
with GEOS ``make_valid`` and counted; what cannot be used (empty or missing
geometry, a line where a polygon is needed) is an error that lists the ids.
A building footprint whose ring collapses on repair (no area left: a sliver cut at
an extract's edge, a ring drawn back on itself) becomes a point building at the
centroid of its vertices, keeps its id and is counted, so that it is still placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from eapart.errors import InputError, list_ids

POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass
class RepairCount:
    """What was repaired in one layer, for the report."""

    layer: str
    invalid_repaired: int = 0
    #: Features of more than one polygon (a MultiPolygon of one part does not count).
    multipart: int = 0
    #: Ids of footprints that collapsed on repair and became point buildings.
    collapsed_to_points: list = field(default_factory=list)


def require_geometries(frame: gpd.GeoDataFrame, ids, where: str) -> None:
    """Raise when any geometry is missing or empty, listing the ids."""
    geoms = frame.geometry.array
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        raise InputError(
            f"{where}: {int(bad.sum())} feature(s) have an empty or missing geometry, ids "
            f"{list_ids(np.asarray(ids)[bad])}. Delete them or draw their geometry, then run again."
        )


def polygonal_only(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (``make_valid`` may add lines)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(out)
    mixed = kinds == shapely.GeometryType.GEOMETRYCOLLECTION
    for i in np.flatnonzero(mixed):
        parts = shapely.get_parts(out[i])
        keep = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(keep) if len(keep) else shapely.Polygon()
    return out


def vertex_centroids(geoms: np.ndarray) -> np.ndarray:
    """A point at the mean of each geometry's distinct vertices.

    For a ring that collapsed to a line or a point this lies on what was drawn,
    which is where the building was meant to be.
    """
    points = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        coords = np.unique(shapely.get_coordinates(geom), axis=0)
        points[i] = shapely.Point(coords.mean(axis=0))
    return points


def repair_polygons(
    frame: gpd.GeoDataFrame, ids, where: str, *, allow_points: bool = False
) -> tuple[gpd.GeoDataFrame, RepairCount]:
    """Check that a layer is polygonal (or points, where allowed) and repair invalid shapes.

    Returns a copy with repaired geometries and the counts of what was done.
    Where points are allowed (buildings), a polygon with no area left after repair
    becomes a point (:func:`vertex_centroids`) and its id is recorded; elsewhere
    it is an error.
    """
    require_geometries(frame, ids, where)
    count = RepairCount(layer=where)
    geoms = frame.geometry.array.to_numpy() if hasattr(frame.geometry.array, "to_numpy") \
        else np.asarray(frame.geometry.array)
    types = shapely.get_type_id(geoms)
    allowed = [3, 6] + ([0, 4] if allow_points else [])
    wrong = ~np.isin(types, allowed)
    if wrong.any():
        kinds = sorted({shapely.get_type_id(g) for g in geoms[wrong]})
        names = ", ".join(shapely.GeometryType(k).name.title() for k in kinds)
        need = "polygons or points" if allow_points else "polygons"
        raise InputError(
            f"{where}: needs {need}, but ids {list_ids(np.asarray(ids)[wrong])} are {names}. "
            "Convert or remove them, then run again."
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = polygonal_only(shapely.make_valid(geoms[invalid]))
        lost = shapely.is_empty(fixed) | (shapely.area(fixed) <= 0)
        polygon_rows = np.isin(types[invalid], (3, 6))
        collapsed = lost & polygon_rows
        if collapsed.any() and allow_points:
            fixed[collapsed] = vertex_centroids(geoms[invalid][collapsed])
            count.collapsed_to_points = [
                str(i) for i in np.asarray(ids)[np.flatnonzero(invalid)[collapsed]]]
        elif collapsed.any():
            bad = np.asarray(ids)[np.flatnonzero(invalid)[collapsed]]
            raise InputError(
                f"{where}: ids {list_ids(bad)} have polygons with no area left after repair "
                "(collapsed rings). Redraw or delete them, then run again."
            )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        count.invalid_repaired = int(invalid.sum())
    count.multipart = int(((shapely.get_type_id(geoms) == 6)
                           & (shapely.get_num_geometries(geoms) > 1)).sum())
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs)
    return out, count
