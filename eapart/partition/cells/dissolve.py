"""Dissolve labelled cells into area polygons.

Cells form a clean polygonal coverage (:func:`eapart.partition.cells.tessellate.clean_coverage`),
so each group is merged with :func:`shapely.coverage_union_all`, which only drops
the shared edges instead of overlaying polygons (several times faster than
:func:`shapely.union_all` on tiling cells; ``bench/engine_quality.py`` times it).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.errors import GEOSException

from eapart.partition.cells.precision import GRID


def dissolve(cells: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """One geometry per label ``0..n_labels-1``: the union of its cells.

    A label with no cell gets an empty polygon. A union that is a MultiPolygon
    of one part is returned as that Polygon.
    """
    out = np.full(n_labels, shapely.Polygon(), dtype=object)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, np.arange(n_labels), side="left")
    ends = np.searchsorted(sorted_labels, np.arange(n_labels), side="right")
    for lab in range(n_labels):
        members = cells[order[starts[lab] : ends[lab]]]
        if len(members) == 1:
            out[lab] = members[0]
        elif len(members):
            out[lab] = _union(members)
    return single_polygons(out)


def _union(members: np.ndarray) -> object:
    """Coverage union of tiling cells; a full overlay union if they are mis-noded.

    GEOS either raises on a mis-noded coverage or returns an invalid polygon; both
    send the cells to the overlay. Should even the overlay raise, the union is
    snap-rounded onto the engine's :data:`~eapart.partition.cells.precision.GRID`,
    which cannot fail.
    """
    try:
        union = shapely.coverage_union_all(members)
        if shapely.is_valid(union):
            return union
    except GEOSException:
        pass
    try:
        return shapely.union_all(members)
    except GEOSException:
        return shapely.union_all(members, grid_size=GRID)


def single_polygons(geoms: np.ndarray) -> np.ndarray:
    """Unwrap MultiPolygons of one part into Polygons; leave everything else."""
    geoms = np.asarray(geoms, dtype=object)
    one = (shapely.get_type_id(geoms) == 6) & (shapely.get_num_geometries(geoms) == 1)
    if one.any():
        geoms = geoms.copy()
        geoms[one] = shapely.get_geometry(geoms[one], 0)
    return geoms
