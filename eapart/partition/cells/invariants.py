"""The invariants every run checks before anything is written.

A run that finishes must be right, so these are checked on every township, not
assumed (they are cheap: a few vectorised predicates per building):

- every building's point lies in its own cell;
- every building's point lies in the polygon of its own small area, and of its
  own census area;
- the cells tile the township: their areas add up to the township's, so no gap
  can hold a building and no two cells overlap.

A break raises :class:`eapart.errors.InternalCheckError`, which stops the run
with a message naming the township and the buildings, and nothing is written.

The point of a building is the one the cells grew from (a point on its footprint,
:func:`eapart.partition.cells.tessellate.building_points`).
"""

from __future__ import annotations

import numpy as np
import shapely

from eapart.errors import InternalCheckError, list_ids

#: How far (metres) a building's point may lie from its polygon and still count as
#: inside: cells and areas are snapped to a millimetre grid, sites to a centimetre.
POINT_TOLERANCE = 0.05

#: Largest relative difference between the cells' total area and the township's.
TILING_TOLERANCE = 1e-6


def outside(polygons: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Indices of the points not within :data:`POINT_TOLERANCE` of their own polygon.

    ``polygons[i]`` is the polygon point ``i`` should lie in; a missing polygon
    counts as outside.

    >>> import shapely
    >>> polys = np.array([shapely.box(0, 0, 1, 1), shapely.box(0, 0, 1, 1), None])
    >>> pts = shapely.points([[0.5, 0.5], [3, 3], [0, 0]])
    >>> outside(polys, pts).tolist()
    [1, 2]
    """
    polygons = np.asarray(polygons, dtype=object)
    missing = shapely.is_missing(polygons) | shapely.is_empty(polygons)
    near = np.zeros(len(points), dtype=bool)
    ok = np.flatnonzero(~missing)
    # A point inside is within the tolerance: the prepared point-in-polygon test
    # settles nearly all of them, at a third of the distance test's cost; only
    # the rest (on or beyond an outline) are measured.
    ours = ~shapely.is_prepared(polygons[ok])  # prepared here, so unprepared after
    shapely.prepare(polygons[ok])
    xy = shapely.get_coordinates(points[ok])
    if len(xy) == len(ok):  # (an empty point has no coordinates: measure them all)
        near[ok] = shapely.contains_xy(polygons[ok], xy[:, 0], xy[:, 1])
    rest = ok[~near[ok]]
    near[rest] = shapely.dwithin(polygons[rest], points[rest], POINT_TOLERANCE)
    shapely.destroy_prepared(polygons[ok][ours])  # leave them as they came
    return np.flatnonzero(~near)


def check_township(
    township: str,
    building_ids: np.ndarray,
    building_xy: np.ndarray,
    layers: dict[str, tuple[np.ndarray, np.ndarray]],
    cells: np.ndarray,
    outline: object,
) -> None:
    """Raise :class:`InternalCheckError` if any invariant of the module docstring breaks.

    ``layers`` maps a level's name (``"cell"``, ``"small area"``, ``"census area"``)
    to ``(polygons, index of each building's polygon)``.
    """
    points = shapely.points(building_xy)
    for level, (polygons, index) in layers.items():
        polygons = np.asarray(polygons, dtype=object)
        bad = outside(polygons[index], points)
        if len(bad):
            raise InternalCheckError(
                f"internal check failed in township {township}: {len(bad)} building(s) "
                f"would lie outside their own {level} (ids {list_ids(building_ids[bad])}). "
                "Nothing was written. This is a defect of eapart: please report it "
                "with the input that caused it."
            )
    if outline is None or len(cells) == 0:
        return
    total = float(shapely.area(np.asarray(cells, dtype=object)).sum())
    expected = float(shapely.area(outline))
    if expected > 0 and abs(total - expected) > TILING_TOLERANCE * expected:
        raise InternalCheckError(
            f"internal check failed in township {township}: its cells cover "
            f"{total:.1f} m2 of its {expected:.1f} m2, so they do not tile it "
            f"(a gap or an overlap of {abs(total - expected):.1f} m2). Nothing was "
            "written. This is a defect of eapart: please report it with the input."
        )
