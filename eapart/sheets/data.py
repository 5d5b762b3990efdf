"""The data an enumerator sheet draws, loaded once per process and queried per page.

Everything is held in a metric CRS (the result's CRS when projected, else the
UTM zone of the data) so that scale bars are in metres and north is up.
Buildings are grouped by small area once; neighbours, context buildings and
roads are found per page with STR-tree queries over the page's extent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.domain.areas import Areas
from eapart.domain.schema import (
    CENSUS_AREA_CODE,
    FEATURE_LAYERS,
    SMALL_AREA_CODE,
    TOWNSHIP_CODE,
    WALK_NUMBER,
)
from eapart.io.crs import metric_crs
from eapart.staff.sheets import crew_lines, crew_text

#: The roads, water and rail layers, in the order a sheet draws them.
CONTEXT_LAYERS: tuple[str, ...] = ("roads", "water", "rail")
#: Columns of the buildings layer a sheet uses (those present are read).
BUILDING_COLUMNS = ("building_id", SMALL_AREA_CODE, "households", WALK_NUMBER, "type", "name",
                    "floors")


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A text column as an object array with None where missing (all None when absent)."""
    if name not in frame:
        return np.full(len(frame), None, dtype=object)
    values = frame[name].astype(object)
    return values.where(values.notna(), None).to_numpy(dtype=object)


@dataclass
class Context:
    """One context layer (roads, water or rail): geometries, class, name and a tree."""

    geometry: np.ndarray
    kind: np.ndarray
    name: np.ndarray
    tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        self.tree = shapely.STRtree(self.geometry)

    def within(self, box: shapely.Polygon) -> np.ndarray:
        """Indices of the features whose extent meets ``box``."""
        return np.sort(self.tree.query(box))


@dataclass
class SheetData:
    """Small areas, buildings and context of one output, in a metric CRS.

    ``small`` is indexed by ``small_area_code`` (sorted) and holds the names,
    totals and flags (``records``: the same as plain dicts, for a page's title;
    ``small_geometry``/``small_codes``: as arrays, for the map); ``members``
    maps a small area code to the positions of its buildings in the building
    arrays.
    """

    small: gpd.GeoDataFrame
    building_geometry: np.ndarray
    building_id: np.ndarray
    building_households: np.ndarray
    building_point: np.ndarray  # representative points, shape (n, 2)
    building_walk: np.ndarray | None  # the layer's walk_number (None: an older output)
    building_type: np.ndarray
    building_name: np.ndarray
    building_floors: np.ndarray  # storeys, NaN where unknown
    members: dict[str, np.ndarray]
    context: dict[str, Context]
    version: str
    made_on: str
    county_name: str | None = None
    #: Per small area, the line naming its enumerator and supervisor (``eapart assign``).
    crew: dict[str, str] = field(default_factory=dict)
    small_tree: shapely.STRtree = field(init=False)
    building_tree: shapely.STRtree = field(init=False)
    small_geometry: np.ndarray = field(init=False)
    small_codes: np.ndarray = field(init=False)
    small_position: dict[str, int] = field(init=False)
    records: dict[str, dict] = field(init=False)

    def __post_init__(self) -> None:
        self.small_geometry = np.asarray(self.small.geometry.array)
        self.small_codes = self.small.index.to_numpy(dtype=object)
        self.small_position = {code: i for i, code in enumerate(self.small_codes)}
        self.records = self.small.drop(columns=self.small.geometry.name).to_dict("index")
        self.small_tree = shapely.STRtree(self.small_geometry)
        self.building_tree = shapely.STRtree(self.building_geometry)

    def buildings_of(self, code: str) -> np.ndarray:
        """Positions of the buildings of small area ``code`` (empty when none)."""
        return self.members.get(code, np.zeros(0, dtype=np.int64))

    def neighbours(self, code: str, box: shapely.Polygon) -> np.ndarray:
        """Positions (in ``small``) of the small areas other than ``code`` that meet ``box``."""
        hits = np.sort(self.small_tree.query(box))
        return hits[hits != self.small_position[code]]

    def lines_in(self, area: shapely.Geometry) -> np.ndarray:
        """Roads, rail and water lines meeting ``area``: what cuts it into blocks."""
        found = [layer.geometry[layer.within(area)] for layer in self.context.values()]
        return np.concatenate(found) if found else np.zeros(0, dtype=object)

    def buildings_in(self, box: shapely.Polygon) -> np.ndarray:
        """Positions of all buildings whose extent meets ``box``."""
        return np.sort(self.building_tree.query(box))


def _with_names(areas: Areas) -> gpd.GeoDataFrame:
    """Small areas indexed by code, with township and census area names filled in
    from their layers where missing."""
    small = areas.small_areas
    for column, layer, key in (("township_name", areas.townships, TOWNSHIP_CODE),
                               ("census_area_name", areas.census_areas, CENSUS_AREA_CODE)):
        if column in small.columns and small[column].notna().all():
            continue
        small[column] = small[key].map(layer.set_index(key)["name"])
    return small.set_index(SMALL_AREA_CODE, drop=False).sort_index()


def _context(areas: Areas, crs) -> dict[str, Context]:
    layers = {}
    for name in CONTEXT_LAYERS:
        if name not in areas.features:
            continue
        frame = areas.features[name].to_crs(crs)
        frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
        if not len(frame):
            continue
        kind = frame["class"] if "class" in frame.columns else pd.Series("", index=frame.index)
        label = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index)
        layers[name] = Context(np.asarray(frame.geometry.array),
                               kind.fillna("").astype(str).to_numpy(),
                               label.astype(object).where(label.notna(), None).to_numpy())
    return layers


def load_sheet_data(outdir: str | Path) -> SheetData:
    """Read ``outdir/eapart.gpkg`` and ``report.json`` into a :class:`SheetData`."""
    areas = Areas.read(outdir, ("townships", "census_areas", "small_areas", "buildings",
                                *FEATURE_LAYERS),
                       columns={"townships": (TOWNSHIP_CODE, "name"),
                                "census_areas": (CENSUS_AREA_CODE, "name"),
                                "buildings": ("building_id", SMALL_AREA_CODE, "households")})
    small = _with_names(areas)
    crs = metric_crs(small)
    small = small.to_crs(crs)
    buildings = areas.buildings.to_crs(crs)
    geometry = np.asarray(buildings.geometry.array)
    points = shapely.get_coordinates(shapely.point_on_surface(geometry))
    members = {code: np.asarray(rows) for code, rows in
               buildings.groupby(SMALL_AREA_CODE, sort=False).indices.items()}
    return SheetData(
        small=small,
        building_geometry=geometry,
        building_id=buildings["building_id"].to_numpy(dtype=object),
        building_households=buildings["households"].fillna(0).to_numpy(),
        building_point=points,
        building_walk=(buildings[WALK_NUMBER].fillna(0).to_numpy(dtype=np.int64)
                       if WALK_NUMBER in buildings else None),
        building_type=_column(buildings, "type"),
        building_name=_column(buildings, "name"),
        building_floors=(pd.to_numeric(buildings["floors"], errors="coerce").to_numpy(float)
                         if "floors" in buildings else np.full(len(buildings), np.nan)),
        members=members,
        context=_context(areas, crs),
        version=str(areas.report.get("version", "")),
        made_on=date.today().isoformat(),
        county_name=areas.report.get("county_name")
        or areas.parameters.get("county_name"),
        crew=crew_lines(outdir),
    )


def data_text(outdir: str | Path) -> str:
    """Every distinct character of the text a sheet may draw from the data.

    Names of townships, census areas, roads, water and rail, flags and
    building ids: read without geometry, so this is cheap even for a county.
    """
    wanted = {"small_areas": ("township_name", "census_area_name", "flags"),
              "census_areas": ("name",), "townships": ("name",),
              "buildings": ("building_id", "name", "type")}
    wanted.update({name: ("name",) for name in FEATURE_LAYERS})
    areas = Areas.read(outdir, wanted, columns=wanted, geometry=False)
    chars: set[str] = set()
    for table in areas.layers.values():
        for column in table.columns:
            chars.update("".join(table[column].dropna().astype(str).unique()))
    chars.update(crew_text(outdir))
    return "".join(sorted(chars))
