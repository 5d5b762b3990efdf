"""The physical floor of a run: the least work any tool must do to cut a county.

Reads the buildings and townships of a GeoPackage, puts each building in the
township that holds its representative point, draws one Voronoi cell per
building (one GEOS Voronoi diagram per township), clips the cells to their
township and writes them to a GeoPackage. No balancing, no barriers, no
codes: what is left of ``eapart run`` once every decision is taken away, so
``eapart run`` / this script is how far the tool is above its floor.

Run (the county from ``eapart sample``)::

    .venv/bin/python bench/floor.py county.gpkg /tmp/cells.gpkg

It prints its own wall time; time it as a whole process (imports included)
beside ``eapart run ... --no-maps`` for the ratio in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyogrio
import shapely


def read(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
    """Building ids and footprints, township footprints, and the layer's CRS."""
    buildings = pyogrio.read_dataframe(path, layer="buildings", columns=["id"],
                                       use_arrow=True)
    townships = pyogrio.read_dataframe(path, layer="townships", columns=["code"],
                                       use_arrow=True)
    return (buildings["id"].to_numpy(), buildings.geometry.to_numpy(),
            townships.geometry.to_numpy(), buildings.crs)


def township_of(points: np.ndarray, townships: np.ndarray) -> np.ndarray:
    """Index of the township holding each point (-1: none), one STRtree query."""
    point_index, township_index = shapely.STRtree(townships).query(points,
                                                                   predicate="intersects")
    owner = np.full(len(points), -1)
    owner[point_index[::-1]] = township_index[::-1]  # the first township when on a border
    return owner


def township_cells(points: np.ndarray, township) -> np.ndarray:
    """One Voronoi cell per point, in the points' order, clipped to ``township``."""
    if len(points) == 1:
        return np.array([township], dtype=object)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=township, ordered=True))
    return shapely.intersection(cells, township)


def cells(points: np.ndarray, owner: np.ndarray, townships: np.ndarray) -> np.ndarray:
    """The clipped cell of every placed building (``owner >= 0``), in building order."""
    out = np.empty(len(points), dtype=object)
    for t, township in enumerate(townships):
        members = np.flatnonzero(owner == t)
        if len(members):
            out[members] = township_cells(points[members], township)
    return out[owner >= 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="GeoPackage with buildings and townships")
    parser.add_argument("out", type=Path, help="GeoPackage to write the cells to")
    args = parser.parse_args()
    start = time.perf_counter()
    ids, footprints, townships, crs = read(args.input)
    points = shapely.point_on_surface(footprints)
    owner = township_of(points, townships)
    drawn = cells(points, owner, townships)
    pyogrio.write_dataframe(
        _frame(ids[owner >= 0], drawn, crs), args.out, layer="cells", driver="GPKG")
    print(f"floor: {len(drawn):,} cells in {len(townships)} townships, "
          f"{time.perf_counter() - start:.2f} s (after imports)")


def _frame(ids: np.ndarray, geometry: np.ndarray, crs):
    """The cells as a GeoDataFrame, for pyogrio to write."""
    import geopandas as gpd

    return gpd.GeoDataFrame({"id": ids}, geometry=geometry, crs=crs)


if __name__ == "__main__":
    main()
