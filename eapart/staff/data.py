"""What assignment reads from an output directory: small areas, buildings, townships.

Everything is taken into a metric CRS (the result's CRS when projected, else its
UTM zone), so that distances between people and workloads are in metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.areas import Areas
from eapart.domain.schema import BUILDING_ID, CENSUS_AREA_CODE, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.io.crs import metric_crs
from eapart.staff.adjacency import area_edges

AREA_COLUMNS = (SMALL_AREA_CODE, CENSUS_AREA_CODE, TOWNSHIP_CODE, "households",
                "persons", "buildings")


@dataclass
class AssignInput:
    """One output directory as assignment needs it.

    ``areas``: one row per small area (sorted by code) with :data:`AREA_COLUMNS`,
    names, and the label point ``x``/``y``; ``geometry``: their polygons (metric);
    ``pairs``/``shared``: touching areas and their shared boundary length;
    ``buildings``: ``small_area_code``, ``building_id``, ``households``, ``persons``
    and a point ``x``/``y``; ``townships``/``census_areas``: codes, names, polygons.
    """

    outdir: Path | None
    crs: object
    areas: pd.DataFrame
    geometry: np.ndarray
    pairs: np.ndarray
    shared: np.ndarray
    buildings: pd.DataFrame
    townships: gpd.GeoDataFrame
    census_areas: gpd.GeoDataFrame
    report: dict


def read_assign_input(outdir: str | Path) -> AssignInput:
    """Read ``outdir`` (an ``eapart run`` output) for assignment."""
    areas = Areas.read(outdir, ("townships", "census_areas", "small_areas", "buildings"))
    return assign_input(areas, Path(outdir))


def assign_input(results: Areas, outdir: Path | None = None) -> AssignInput:
    """What assignment needs from the :class:`Areas` of a run."""
    small = results.small_areas
    crs = metric_crs(small)
    small = small.to_crs(crs).sort_values(SMALL_AREA_CODE).reset_index(drop=True)
    geometry = np.asarray(small.geometry.array)
    point = shapely.get_coordinates(shapely.point_on_surface(geometry))
    areas = pd.DataFrame({c: small[c] for c in AREA_COLUMNS if c in small.columns})
    if "persons" not in areas:
        areas["persons"] = np.nan
    for name in ("township_name", "census_area_name"):
        areas[name] = small[name] if name in small.columns else ""
    areas["x"], areas["y"] = point[:, 0], point[:, 1]
    raw = results.buildings.to_crs(crs)
    building_point = shapely.get_coordinates(shapely.point_on_surface(
        np.asarray(raw.geometry.array)))
    buildings = pd.DataFrame({
        SMALL_AREA_CODE: raw[SMALL_AREA_CODE].astype(str),
        BUILDING_ID: raw[BUILDING_ID].astype(str),
        "households": pd.to_numeric(raw["households"], errors="coerce").fillna(0),
        "persons": (pd.to_numeric(raw["persons"], errors="coerce").fillna(0)
                    if "persons" in raw.columns else 0.0),
        "x": building_point[:, 0], "y": building_point[:, 1],
    })
    pairs, shared = area_edges(geometry)
    return AssignInput(outdir=outdir, crs=crs, areas=areas, geometry=geometry,
                       pairs=pairs, shared=shared, buildings=buildings,
                       townships=results.townships.to_crs(crs),
                       census_areas=results.census_areas.to_crs(crs),
                       report=results.report)
