"""Which polygons are plainly convex, told in numpy instead of by GEOS.

Nearly every cell of a township is a Voronoi cell or a piece of one: a convex
polygon. Asking GEOS whether each is valid costs a microsecond or more a cell;
for a convex ring numpy can tell it from the turns at its vertices, all at once.
:func:`plainly_convex` and :func:`convex_rings` only answer "yes" where the answer
is certain (every turn's sign is beyond floating-point doubt), so callers ask GEOS
about the rest and get exactly what GEOS alone would have said.

Example::

    sure = plainly_convex(cells)           # the rest go to shapely.is_valid
"""

from __future__ import annotations

import numpy as np
import shapely

#: A turn counts only when its cross product exceeds this share of the sum of the
#: products' magnitudes: a thousand times GEOS's own filter for a certain sign
#: (``DP_SAFE_EPSILON``, 1e-15), so no rounding can flip one.
SAFE_SHARE = 1e-12


def plainly_convex(geoms: np.ndarray) -> np.ndarray:
    """Per geometry, True when it is a Polygon without holes whose shell turns the
    same way at every vertex, surely, and goes round once: a simple convex polygon,
    which GEOS finds valid (its robust orientation test gives the same turns).

    False means only "not shown": a repeated or collinear vertex, a hole, another
    type, a ring that winds twice or a turn too slight to be sure of.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    # A shell has 0 or at least 4 coordinates; get_num_interior_rings is -1 off Polygons.
    cand = np.flatnonzero((shapely.get_num_interior_rings(geoms) == 0)
                          & (shapely.get_num_coordinates(geoms) >= 4))
    if len(cand) == 0:
        return out
    shells = geoms[cand]
    xy = shapely.get_coordinates(shells)
    count = shapely.get_num_coordinates(shells) - 1
    # The last coordinate of a shell repeats its first.
    keep = np.ones(len(xy), dtype=bool)
    keep[np.cumsum(count + 1) - 1] = False
    out[cand] = convex_rings(xy[keep, 0], xy[keep, 1], count)
    return out


def convex_rings(x: np.ndarray, y: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per ring, True when it surely turns one way at every vertex and goes round once.

    ``x``, ``y``: the rings' vertices one ring after another, without the closing
    repeat; ``count``: how many each ring has (at least one).
    """
    first = np.cumsum(count) - count
    nxt = np.arange(1, len(x) + 1)
    nxt[first + count - 1] = first
    # Edge i runs from vertex i to the next; the turn at its end pairs it with the next edge.
    ex, ey = x[nxt] - x, y[nxt] - y
    ex_next, ey_next = ex[nxt], ey[nxt]
    left, right = ex * ey_next, ey * ex_next
    cross = left - right
    margin = SAFE_SHARE * (np.abs(left) + np.abs(right))
    ccw = np.add.reduceat(cross > margin, first) == count
    cw = np.add.reduceat(cross < -margin, first) == count
    # Turning one way by less than pi at each vertex, the edges' direction enters
    # the lower half-plane once per winding, and leaves it once.
    down = ey < 0
    once = np.add.reduceat(down != down[nxt], first) == 2
    return (count >= 3) & (ccw | cw) & once
