"""Close dead ends: a major road, railway or river that stops short bounds no block.

Blocks are the faces that barrier lines enclose, so a line that ends in the middle
of nowhere (a motorway drawn to 100 m short of the township edge, a river whose
mapped course stops at a culvert) encloses nothing: areas straddle it unseen.
:func:`close_dead_ends` extends each free end of a major line straight on, along
its last segment, to the first other line or the township boundary within
:data:`REACH` metres; where the straight way hits nothing, to the nearest line or
boundary within :data:`NEAREST_REACH`. The extension is a barrier of the same kind,
so the blocks close and the cell edges along it cost and flag as that barrier.
Ends farther from everything are left as they are (the crossing flag measures
them from geometry).
"""

from __future__ import annotations

import numpy as np
import shapely

#: How far (metres) a dead end is carried straight on to meet another line.
REACH = 150.0
#: How far (metres) a dead end that meets nothing straight on joins the nearest line.
NEAREST_REACH = 60.0
#: An end within this distance (metres) of another line or the boundary is joined.
TOUCH = 0.5


def close_dead_ends(
    lines: np.ndarray, codes: np.ndarray, boundary: object, extend: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``lines`` and ``codes`` with an extension for every dead end of the lines ``extend``.

    ``lines``: block line geometries (any line type); ``codes``: their barrier codes;
    ``boundary``: the township polygon; ``extend``: per line, True for the major
    barriers whose dead ends are closed. Extensions are appended (same code as the
    line they continue), in the order of the lines, so the result is deterministic.

    >>> import shapely
    >>> box = shapely.box(0, 0, 1000, 1000)
    >>> road = np.array([shapely.LineString([(0, 500), (900, 500)])], dtype=object)
    >>> out, c = close_dead_ends(road, np.array([4]), box, np.array([True]))
    >>> out[1].wkt, c.tolist()
    ('LINESTRING (900 500, 1000 500)', [4, 4])
    """
    lines = np.asarray(lines, dtype=object)
    codes = np.asarray(codes)
    if len(lines) == 0:
        return lines, codes
    parts, part_of = shapely.get_parts(lines, return_index=True)
    parts = _as_lines(parts)
    ok = ~shapely.is_empty(parts)
    parts, part_of = parts[ok], part_of[ok]
    ring = shapely.boundary(boundary)
    targets = np.concatenate([parts, shapely.get_parts(np.array([ring], dtype=object))])
    tree = shapely.STRtree(targets)
    major = np.asarray(extend, dtype=bool)[part_of]
    new_lines, new_codes = [], []
    for i in np.flatnonzero(major).tolist():
        coords = shapely.get_coordinates(parts[i])
        if len(coords) < 2 or np.allclose(coords[0], coords[-1]):
            continue  # a ring has no free end
        for end, before in ((coords[-1], coords[-2]), (coords[0], coords[1])):
            ext = _extension(end, before, i, targets, tree)
            if ext is not None:
                new_lines.append(ext)
                new_codes.append(codes[part_of[i]])
    if not new_lines:
        return lines, codes
    return (np.concatenate([lines, np.array(new_lines, dtype=object)]),
            np.concatenate([codes, np.array(new_codes, dtype=codes.dtype)]))


def _as_lines(parts: np.ndarray) -> np.ndarray:
    """The line parts (LineString, LinearRing) of single geometries; others become empty."""
    line = np.isin(shapely.get_type_id(parts), (1, 2))
    return np.where(line, parts, shapely.LineString())


def _extension(end, before, own: int, targets: np.ndarray, tree) -> object | None:
    """The segment from a free ``end`` to the line it should meet, or None.

    The end is free when no other target lies within :data:`TOUCH`.
    """
    point = shapely.Point(end)
    near = tree.query(point, predicate="dwithin", distance=TOUCH)
    if (near != own).any():
        return None
    step = np.asarray(end, dtype=float) - np.asarray(before, dtype=float)
    size = float(np.hypot(*step))
    if size <= 0:
        return None
    ray = shapely.LineString([end, end + step / size * REACH])
    hit = _first_hit(point, ray, own, targets, tree)
    if hit is None:
        hit = _nearest(point, own, targets, tree)
    if hit is None:
        return None
    return shapely.LineString([end, shapely.get_coordinates(hit)[0]])


def _first_hit(point, ray, own: int, targets: np.ndarray, tree) -> object | None:
    """The nearest point beyond :data:`TOUCH` where ``ray`` meets another target."""
    cand = tree.query(ray, predicate="intersects")
    cand = cand[cand != own]
    if len(cand) == 0:
        return None
    pts = shapely.get_parts(shapely.intersection(targets[cand], ray))
    pts = shapely.get_parts(shapely.points(shapely.get_coordinates(pts)))
    if len(pts) == 0:
        return None
    dist = shapely.distance(pts, point)
    pts, dist = pts[dist > TOUCH], dist[dist > TOUCH]
    return pts[int(np.argmin(dist))] if len(pts) else None


def _nearest(point, own: int, targets: np.ndarray, tree) -> object | None:
    """The nearest point of another target within :data:`NEAREST_REACH`, or None."""
    cand = tree.query(point, predicate="dwithin", distance=NEAREST_REACH)
    cand = cand[cand != own]
    if len(cand) == 0:
        return None
    dist = shapely.distance(targets[cand], point)
    best = cand[int(np.argmin(dist))]
    return shapely.Point(shapely.get_coordinates(shapely.shortest_line(point, targets[best]))[-1])
