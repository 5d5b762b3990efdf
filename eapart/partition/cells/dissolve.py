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
    cells = np.asarray(cells, dtype=object)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.searchsorted(sorted_labels, np.arange(n_labels), side="left")
    counts = np.searchsorted(sorted_labels, np.arange(n_labels), side="right") - starts
    one = np.flatnonzero(counts == 1)
    out[one] = cells[order[starts[one]]]
    many = np.flatnonzero(counts > 1)
    # Groups of like size together, so that padding the table costs at most twice
    # the cells: one vectorised union per size class instead of one call per label.
    size_class = np.ceil(np.log2(counts[many])).astype(np.int64)
    for size in np.unique(size_class):
        batch = many[size_class == size]
        out[batch] = _unions(cells, order, starts[batch], counts[batch])
    return single_polygons(out)


def _unions(cells: np.ndarray, order: np.ndarray, starts: np.ndarray,
            counts: np.ndarray) -> np.ndarray:
    """The union of each group ``cells[order[start:start + count]]``, in one GEOS call.

    Each group is one row of a table padded with missing values (which the union
    skips), so every union sees the same cells in the same order as one
    :func:`shapely.coverage_union_all` call per group would. A group whose
    coverage union fails or comes out invalid gets :func:`_union`'s fallbacks.
    """
    rows = np.repeat(np.arange(len(counts)), counts)
    cols = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    table = np.full((len(counts), int(counts.max())), None, dtype=object)
    table[rows, cols] = cells[order[np.repeat(starts, counts) + cols]]
    try:
        unions = shapely.coverage_union_all(table, axis=1)
    except GEOSException:
        return np.array([_union(row[: n]) for row, n in zip(table, counts, strict=True)],
                        dtype=object)
    for bad in np.flatnonzero(~shapely.is_valid(unions)):
        unions[bad] = _union(table[bad, : counts[bad]])
    return unions


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
