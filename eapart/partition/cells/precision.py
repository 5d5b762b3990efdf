"""The fixed precision grid the engine's geometry lives on, and helpers to keep it there.

Floating-point noding of nearly coincident or nearly collinear lines (a village
boundary drawn along a road, a river digitised twice) leaves faces of 1e-20 m2 and
vertices 1e-11 m apart, and GEOS overlay and coverage operations raise topology
errors on them. Snap-rounding every line onto a fixed grid before polygonizing
(``grid_size=`` in shapely's overlay functions) is fully robust: it never fails,
moves nothing by more than half a grid step, and collapses those slivers instead of
keeping them. The grid is a hundredth of a millimetre: coarse enough to collapse
floating-point hairs, fine enough that a township outline snapped to it keeps its
area to a millionth even for a strip 40 m wide (township boundaries are fixed
inputs: the tool must not visibly move them).

Example::

    lines = linework(barriers)                     # plain LineStrings, whatever came in
    noded = shapely.union_all(lines, grid_size=GRID)
"""

from __future__ import annotations

import numpy as np
import shapely

#: Grid (metres) that blocks and their noding are snapped to (10 micrometres).
GRID = 1e-5


def linework(geoms: np.ndarray) -> np.ndarray:
    """The 1-D parts of ``geoms`` as single LineStrings (LinearRings count as lines).

    Polygons give their rings, collections and multi-geometries are exploded,
    points and empty geometries are dropped: what is left can be noded and
    polygonized whatever mix of types a data set came with.
    """
    parts = _flatten(np.asarray(geoms, dtype=object))
    dim = shapely.get_dimensions(parts)
    rings = shapely.get_rings(parts[dim == 2])
    lines = np.concatenate([parts[dim == 1], rings])
    lines = _flatten(lines)
    keep = (shapely.get_dimensions(lines) == 1) & (shapely.length(lines) > 0)
    return shapely.force_2d(lines[keep])


def polygon_parts(geoms: np.ndarray, return_index: bool = False):
    """The Polygon parts of ``geoms`` with positive area (lines and points left out).

    Overlay results may be GeometryCollections holding a polygon and a stray line
    or point; only the polygons are area. With ``return_index``, also the index of
    the geometry each part came from.
    """
    parts, owner = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    inner, inner_owner = shapely.get_parts(parts, return_index=True)
    owner = owner[inner_owner]
    keep = (shapely.get_type_id(inner) == 3) & (shapely.area(inner) > 0)
    if return_index:
        return inner[keep], owner[keep]
    return inner[keep]


def _flatten(geoms: np.ndarray) -> np.ndarray:
    """Single-part geometries of ``geoms`` (collections of collections included)."""
    parts = shapely.get_parts(geoms)
    while (shapely.get_type_id(parts) >= 4).any():
        parts = shapely.get_parts(parts)
    return parts[~shapely.is_empty(parts)]
