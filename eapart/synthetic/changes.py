"""Random corrections to a county's buildings, as mapping staff make between runs.

:func:`perturb_buildings` removes some buildings, adds others (copies of existing
footprints a few metres away, with new ids) and changes the storeys of others, so
that re-runs with ``--previous`` can be measured on real extracts and generated
counties alike. The same frame, share and seed give the same changes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: How far (metres) an added copy lies from the footprint it was copied from.
ADDED_OFFSET_M = 8.0


def perturb_buildings(buildings: gpd.GeoDataFrame, share: float = 0.01, seed: int = 0,
                      id_column: str = "id", levels_column: str = "levels"
                      ) -> tuple[gpd.GeoDataFrame, dict[str, list[str]]]:
    """Remove ``share`` of the buildings, add as many, and change the storeys of as many.

    Where the buildings carry a ``households`` count, the changed ones get 3 more
    households too (storeys alone would not change a given count).
    Returns the new frame and the ids ``{"removed", "added", "changed"}``.
    """
    rng = np.random.default_rng(seed)
    n = len(buildings)
    k = max(1, int(round(share * n)))
    order = rng.permutation(n)
    removed, changed, copied = order[:k], order[k:2 * k], order[2 * k:3 * k]
    frame = buildings.copy()
    ids = frame[id_column].astype(str)
    if levels_column not in frame:
        frame[levels_column] = np.nan
    levels = pd.to_numeric(frame[levels_column], errors="coerce")
    frame[levels_column] = levels.astype(float)
    frame.iloc[changed, frame.columns.get_loc(levels_column)] = \
        levels.iloc[changed].fillna(2.0).to_numpy() + 2.0
    if "households" in frame:
        counts = pd.to_numeric(frame["households"], errors="coerce").fillna(0)
        frame["households"] = counts.to_numpy()
        frame.iloc[changed, frame.columns.get_loc("households")] = \
            counts.iloc[changed].to_numpy() + 3
    metric = frame.geometry.iloc[copied].to_crs(frame.estimate_utm_crs())
    moved = shapely.transform(metric.to_numpy(), lambda xy: xy + ADDED_OFFSET_M)
    added = frame.iloc[copied].copy()
    added["geometry"] = gpd.GeoSeries(moved, crs=metric.crs).to_crs(frame.crs).to_numpy()
    added[id_column] = [f"added{i}" for i in range(len(added))]
    out = pd.concat([frame.drop(index=frame.index[removed]), added], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=buildings.crs)
    return out, {"removed": list(ids.iloc[removed]), "added": list(added[id_column]),
                 "changed": list(ids.iloc[changed])}
