"""How much of each small area is water or land far from every building.

Township outlines from administrative boundaries often reach into the sea or across
a lake, so the small areas along them are drawn over water; a reviewer should know
that the outline is not where people live. The share is the part of the area that is
inside a water polygon or farther than :data:`NEAR_METRES` from any building.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Land within this distance (metres) of a building counts as lived-in.
NEAR_METRES = 200.0


def empty_shares(small: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
                 water: gpd.GeoDataFrame | None = None,
                 near: float = NEAR_METRES) -> np.ndarray:
    """Share (0-1) of each small area that is water or far from buildings.

    All frames must be in the same metric CRS; ``buildings`` need ``small_area_code``.
    """
    areas = np.asarray(small.geometry.values, dtype=object)
    if len(areas) == 0:
        return np.zeros(0)
    placed = buildings[buildings["small_area_code"].notna()]
    halo = shapely.buffer(np.asarray(placed.geometry.values, dtype=object), near, quad_segs=2)
    groups = pd.Series(np.arange(len(placed))).groupby(
        placed["small_area_code"].astype(str).to_numpy()).indices
    codes = small["small_area_code"].astype(str).to_numpy()
    lived = np.array([shapely.union_all(halo[groups[c]]) if c in groups else None
                      for c in codes], dtype=object)
    lived = np.where(shapely.is_missing(lived), shapely.Polygon(), lived)
    lived = shapely.intersection(areas, lived)
    if water is not None and len(water):
        kinds = shapely.get_type_id(np.asarray(water.geometry.values, dtype=object))
        polygons = np.asarray(water.geometry.values, dtype=object)[np.isin(kinds, (3, 6))]
        if len(polygons):
            tree = shapely.STRtree(polygons)
            hit_area, hit_water = tree.query(areas, predicate="intersects")
            for k in np.unique(hit_area):
                wet = shapely.union_all(polygons[hit_water[hit_area == k]])
                lived[k] = shapely.difference(lived[k], wet)
    total = shapely.area(areas)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 1.0 - shapely.area(lived) / total
    return np.clip(np.where(total > 0, share, 0.0), 0.0, 1.0)
