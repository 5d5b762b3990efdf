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

from eapart.cores import default_jobs
from eapart.domain.schema import SMALL_AREA_CODE
from eapart.review.threads import map_ordered

#: Land within this distance (metres) of a building counts as lived-in.
NEAR_METRES = 200.0


def empty_shares(small: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame,
                 water: gpd.GeoDataFrame | None = None,
                 near: float = NEAR_METRES, jobs: int | None = 1) -> np.ndarray:
    """Share (0-1) of each small area that is water or far from buildings.

    All frames must be in the same metric CRS; ``buildings`` need ``small_area_code``.
    The areas are independent, so they are cut into ``jobs`` interleaved chunks
    worked on side by side (see :mod:`eapart.review.threads`).
    """
    areas = np.asarray(small.geometry.values, dtype=object)
    if len(areas) == 0:
        return np.zeros(0)
    placed = buildings[buildings[SMALL_AREA_CODE].notna()]
    footprints = np.asarray(placed.geometry.values, dtype=object)
    groups = pd.Series(np.arange(len(placed))).groupby(
        placed[SMALL_AREA_CODE].astype(str).to_numpy()).indices
    members = [groups.get(code) for code in small[SMALL_AREA_CODE].astype(str).to_numpy()]
    lived = areas.copy()  # an area inside one building's halo is lived-in whole
    todo = np.flatnonzero(~covered_by_one(areas, members, footprints, near))
    chunks = interleaved(len(todo), 4 * (jobs or default_jobs()))
    parts = map_ordered(lambda ks: lived_parts(areas[todo[ks]], [members[k] for k in todo[ks]],
                                               footprints, near), chunks, jobs)
    for ks, part in zip(chunks, parts, strict=True):
        lived[todo[ks]] = part
    if water is not None and len(water):
        remove_water(areas, lived, water)
    total = shapely.area(areas)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = 1.0 - shapely.area(lived) / total
    return np.clip(np.where(total > 0, share, 0.0), 0.0, 1.0)


def covered_by_one(areas: np.ndarray, members: list[np.ndarray | None],
                   footprints: np.ndarray, near: float) -> np.ndarray:
    """Whether each area lies inside the halo of one of its buildings: the one nearest
    its centroid, buffered as in :func:`lived_parts`.

    Such an area is within ``near`` of its buildings all over, so its lived part is
    the whole area and the union of all its buildings' halos need not be built. On
    the generated county this holds for 2,757 of 3,316 small areas; the rest (rural,
    with many buildings each) still take most of the time.
    """
    mine = [k for k, m in enumerate(members) if m is not None]
    covered = np.zeros(len(areas), dtype=bool)
    if not mine:
        return covered
    owner = np.concatenate([np.full(len(members[k]), k) for k in mine])
    building = np.concatenate([members[k] for k in mine])
    gap = shapely.distance(footprints[building], shapely.centroid(areas)[owner])
    order = np.lexsort((gap, owner))
    nearest = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
    halos = buffered(footprints[building[nearest]], near)
    shapely.prepare(halos)
    covered[owner[nearest]] = shapely.covers(halos, areas[owner[nearest]])
    return covered


def buffered(footprints: np.ndarray, near: float) -> np.ndarray:
    """Each footprint grown by ``near`` (coarse arcs: the share is shown in whole percent)."""
    return shapely.buffer(footprints, near, quad_segs=2)


def interleaved(n: int, parts: int) -> list[np.ndarray]:
    """``range(n)`` dealt into at most ``parts`` chunks, every ``parts``-th index each.

    Dealing rather than cutting spreads the heavy areas (neighbours in a rural
    township) over all the chunks.
    """
    return [chunk for chunk in (np.arange(start, n, parts) for start in range(parts))
            if len(chunk)]


def lived_parts(areas: np.ndarray, members: list[np.ndarray | None], footprints: np.ndarray,
                near: float) -> np.ndarray:
    """The part of each area within ``near`` of one of its own buildings (``members``)."""
    mine = [m for m in members if m is not None]
    buffers = buffered(footprints[np.concatenate(mine)], near) if mine \
        else np.zeros(0, dtype=object)
    ends = np.cumsum([0, *map(len, mine)])
    unions, k = [], 0
    for m in members:
        if m is None:
            unions.append(shapely.Polygon())
            continue
        unions.append(shapely.union_all(buffers[ends[k]:ends[k + 1]]))
        k += 1
    return shapely.intersection(areas, np.array(unions, dtype=object))


def remove_water(areas: np.ndarray, lived: np.ndarray, water: gpd.GeoDataFrame) -> None:
    """Take the water polygons out of ``lived`` (one entry per area), in place."""
    kinds = shapely.get_type_id(np.asarray(water.geometry.values, dtype=object))
    polygons = np.asarray(water.geometry.values, dtype=object)[np.isin(kinds, (3, 6))]
    if not len(polygons):
        return
    tree = shapely.STRtree(polygons)
    hit_area, hit_water = tree.query(areas, predicate="intersects")
    for k in np.unique(hit_area):
        wet = shapely.union_all(polygons[hit_water[hit_area == k]])
        lived[k] = shapely.difference(lived[k], wet)
