"""A 1 km square township of point buildings placed by hand, for engine tests.

The barriers are :func:`eapart.partition.examples.square_barriers`: a major road at
x=500, a river at y=150, a minor road and a path.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from eapart.partition.examples import SQUARE_CRS, square_barriers
from eapart.partition.model import PartitionParams, TownshipTask

PARAMS = PartitionParams(target=40, min_size=32, max_size=48)


def task_of(xy, households, barriers=None, params=PARAMS) -> TownshipTask:
    """A 1 km square township with point buildings at ``xy``."""
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


