"""Which points lie in which boxes, found on sorted coordinates instead of a tree.

A box's candidates are one run of the points sorted along its narrower side (a
long thin box across a township holds few points in the band it spans), found by
binary search for every box at once; the other coordinate then settles each
candidate. No geometry is made, so this is cheaper than a spatial tree of Point
objects when the boxes are few or thin (blocks, a cell's edges).

Example::

    box, point = points_in_boxes(xy, shapely.bounds(blocks))
"""

from __future__ import annotations

import numpy as np


def points_in_boxes(xy: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (box, point) pair with the point in the closed box; ordered by box.

    ``xy``: (n, 2) points; ``bounds``: (m, 4) rows of xmin, ymin, xmax, ymax.
    Within a box, the points come in the order of the coordinate it was searched on.
    """
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    along_x = bounds[:, 2] - bounds[:, 0] <= bounds[:, 3] - bounds[:, 1]
    parts = [_in_runs(xy, bounds, np.flatnonzero(along_x), 0),
             _in_runs(xy, bounds, np.flatnonzero(~along_x), 1)]
    box = np.concatenate([p[0] for p in parts])
    point = np.concatenate([p[1] for p in parts])
    order = np.argsort(box, kind="stable")
    return box[order], point[order]


def _in_runs(xy: np.ndarray, bounds: np.ndarray, boxes: np.ndarray, axis: int):
    """The (box, point) pairs of ``boxes``, searched on coordinate ``axis``."""
    order = np.argsort(xy[:, axis], kind="stable")
    sorted_coord = xy[order, axis]
    lo = np.searchsorted(sorted_coord, bounds[boxes, axis], side="left")
    count = np.searchsorted(sorted_coord, bounds[boxes, axis + 2], side="right") - lo
    box = np.repeat(boxes, count)
    run = np.arange(len(box)) - np.repeat(np.cumsum(count) - count, count)
    point = order[np.repeat(lo, count) + run]
    other = 1 - axis
    coord = xy[point, other]
    inside = (coord >= bounds[box, other]) & (coord <= bounds[box, other + 2])
    return box[inside], point[inside]
