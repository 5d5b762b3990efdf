"""Small township tasks with every special case, built by hand for the engine's tests.

:func:`square_task` builds by hand a 1 km square township (metres) with a major
road through it, a minor road, a river with one house cut off across it, a very
heavy apartment block, a dormitory, point buildings, two buildings on the same
point, and optionally villages (two, with a gap between them, and one with no
building). :func:`andorra_tasks` reads the OSM extract of Andorra
(``../shared/data/andorra.gpkg`` beside the checkout) into one task per parish,
with households estimated from footprint area and storeys.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from eapart.partition.model import PartitionParams, TownshipTask

#: Township code of :func:`square_task`.
SQUARE_CODE = "420117001"
#: Work CRS of :func:`square_task` (CGCS2000 / 3-degree Gauss-Kruger CM 114E).
SQUARE_CRS = "EPSG:4547"
#: Work CRS for Andorra (UTM zone 31N).
ANDORRA_CRS = "EPSG:32631"


def _houses(x0: float, y0: float, nx: int, ny: int, step: float, size: float) -> np.ndarray:
    """A grid of square footprints of side ``size``, ``step`` apart, from (x0, y0)."""
    gx, gy = np.meshgrid(x0 + step * np.arange(nx), y0 + step * np.arange(ny))
    gx, gy = gx.ravel(), gy.ravel()
    return shapely.box(gx, gy, gx + size, gy + size)


def square_barriers() -> gpd.GeoDataFrame:
    """Barriers of :func:`square_task`: a major road (x=500), a minor road, a river, a path."""
    lines = [
        shapely.LineString([(500, -10), (500, 1010)]),
        shapely.LineString([(-10, 600), (500, 600)]),
        shapely.LineString([(-10, 150), (1010, 150)]),
        shapely.LineString([(700, 150), (700, 1000)]),
    ]
    return gpd.GeoDataFrame(
        {"kind": ["road", "road", "water", "road"], "rank": ["major", "minor", "major", "path"]},
        geometry=lines,
        crs=SQUARE_CRS,
    )


def square_buildings(seed: int = 0) -> gpd.GeoDataFrame:
    """Buildings of :func:`square_task`, with ``households``, ``persons`` and ``type``."""
    rng = np.random.default_rng(seed)
    west = _houses(40, 200, 12, 10, 35, 12)  # south-west of the minor road
    north = _houses(40, 640, 12, 9, 35, 12)  # north-west
    east = _houses(540, 200, 12, 20, 35, 12)  # east of the major road
    geoms = list(np.concatenate([west, north, east]))
    households = list(rng.integers(1, 6, len(geoms)))
    types: list[str | None] = ["house"] * len(geoms)
    specials = [
        (shapely.box(445, 540, 490, 590), 400, "apartments"),  # above any maximum
        (shapely.box(860, 880, 900, 900), 0, "dormitory"),
        (shapely.box(800, 60, 812, 72), 3, "house"),  # cut off across the river
        (shapely.Point(450, 900), 2, "house"),
        (shapely.Point(460, 900), 1, "house"),
        (shapely.Point(460, 900), 1, "house"),  # same spot as the one before
        (shapely.Point(470, 950), 2, None),
    ]
    for geom, hh, kind in specials:
        geoms.append(geom)
        households.append(hh)
        types.append(kind)
    households = np.asarray(households, dtype=np.int64)
    n = len(geoms)
    return gpd.GeoDataFrame(
        {
            "building_id": [f"B{i:05d}" for i in range(n)],
            "households": households.astype(np.int64),
            "persons": households * 3.0,
            "type": pd.array(types, dtype="string"),
        },
        geometry=geoms,
        crs=SQUARE_CRS,
    )


def square_villages() -> gpd.GeoDataFrame:
    """Villages of :func:`square_task`: west and east with a gap between, and an empty corner."""
    geoms = [
        shapely.box(0, 0, 480, 1000),
        shapely.Polygon([(520, 0), (1000, 0), (1000, 940), (940, 940), (940, 1000), (520, 1000)]),
        shapely.box(940, 940, 1000, 1000),
    ]
    return gpd.GeoDataFrame(
        {
            "census_area_code": [SQUARE_CODE + "001", SQUARE_CODE + "002", SQUARE_CODE + "201"],
            "name": ["西湖社区", "东岭社区", "空地村"],
        },
        geometry=geoms,
        crs=SQUARE_CRS,
    )


def square_task(
    params: PartitionParams | None = None, villages: bool = False, seed: int = 0
) -> TownshipTask:
    """The hand-made 1 km square township (see module docstring)."""
    return TownshipTask(
        township_code=SQUARE_CODE,
        name="示例街道",
        geometry=shapely.box(0, 0, 1000, 1000),
        buildings=square_buildings(seed),
        barriers=square_barriers(),
        params=params or PartitionParams(target=40, min_size=32, max_size=48),
        villages=square_villages() if villages else None,
        crs=SQUARE_CRS,
    )


def estimate_households(buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Rough households per building: floor area (footprint x storeys, 2 when unknown) / 100 m2.

    Only for demonstrations on OSM data, where no building has a count.
    """
    levels = pd.to_numeric(buildings.get("levels"), errors="coerce")
    levels = np.nan_to_num(np.asarray(levels, dtype=float), nan=2.0)
    area = shapely.area(buildings.geometry.to_numpy())
    return np.maximum(1, np.round(area * levels / 100.0 / 2.0)).astype(np.int64)


def andorra_tasks(path: Path, params: PartitionParams | None = None) -> list[TownshipTask]:
    """One task per parish of the Andorra extract, in UTM 31N, households estimated."""
    params = params or PartitionParams()
    read = gpd.read_file
    buildings = read(path, layer="buildings").to_crs(ANDORRA_CRS)
    townships = read(path, layer="townships").to_crs(ANDORRA_CRS)
    roads = read(path, layer="roads").to_crs(ANDORRA_CRS)
    water = read(path, layer="water").to_crs(ANDORRA_CRS)
    roads = roads.assign(kind="road", rank=roads["class"].astype(str))
    water = water.assign(
        kind="water", rank=np.where(water["class"].astype(str) == "river", "major", "minor")
    )
    barriers = pd.concat(
        [roads[["kind", "rank", "geometry"]], water[["kind", "rank", "geometry"]]],
        ignore_index=True,
    )
    barriers = gpd.GeoDataFrame(barriers, geometry="geometry", crs=ANDORRA_CRS)
    buildings = buildings.assign(building_id=buildings["id"].astype(str))
    households = estimate_households(buildings)
    buildings = buildings.assign(households=households, persons=households * 2.4)
    points = shapely.point_on_surface(buildings.geometry.to_numpy())
    tasks = []
    for i, (name, geom) in enumerate(
        zip(townships["name"], shapely.make_valid(townships.geometry.to_numpy()), strict=True)
    ):
        inside = shapely.contains(geom, points)
        near = barriers.iloc[shapely.STRtree(barriers.geometry.to_numpy()).query(geom)]
        tasks.append(
            TownshipTask(
                township_code=f"200000{i + 1:03d}",
                name=str(name),
                geometry=geom,
                buildings=buildings[inside].reset_index(drop=True),
                barriers=near.clip(geom),
                params=params,
                crs=ANDORRA_CRS,
            )
        )
    return tasks


#: The band of the point townships: target 40, 32-48.
POINT_PARAMS = PartitionParams(target=40, min_size=32, max_size=48)


def task_of(xy, households, barriers=None, params=POINT_PARAMS) -> TownshipTask:
    """A 1 km square township with point buildings at ``xy`` and :func:`square_barriers`
    (a major road at x=500, a river at y=150)."""
    n = len(xy)
    buildings = gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(n)], "households": households,
         "persons": np.asarray(households, dtype=float) * 3, "type": "house"},
        geometry=shapely.points(np.asarray(xy, dtype=float)), crs=SQUARE_CRS,
    )
    return TownshipTask(
        township_code="420117201", name="测试乡", geometry=shapely.box(0, 0, 1000, 1000),
        buildings=buildings,
        barriers=square_barriers() if barriers is None else barriers,
        params=params, crs=SQUARE_CRS,
    )


