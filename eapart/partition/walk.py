"""The order an enumerator walks a small area's buildings: block by block, along the street.

Roads, rail and rivers cut the small area into blocks. The engine knows them
from its cells (:func:`walk_numbers_in_blocks`, the blocks from
:func:`walk_blocks`); without cells (the sheets of an
older output) they are shapely's polygonize of the area's outline and the lines
inside it (:func:`walk_order`). Blocks are visited in a
serpentine order from the north-west (:func:`serpentine_order` over the
blocks' mean building positions); inside a block the route is a
nearest-neighbour path that starts at the building nearest to where the last
block ended, shortened by 2-opt moves (reversing a stretch when that makes
the path shorter). Everything is deterministic: ties go to the lower index.

The run writes the result as the buildings layer's ``walk_number`` (1, 2, ...
inside each small area); the printed sheets, the building list and the map
use that column, so the three agree.

>>> import numpy as np, shapely
>>> points = np.array([[0.0, 0], [10, 0], [5, 0], [100, 0]])
>>> walk_order(points, shapely.box(-1, -1, 101, 1), np.array([])).tolist()
[0, 2, 1, 3]
"""

from __future__ import annotations

import functools
import math

import numpy as np
import shapely

from eapart.domain.codes import serpentine_order
from eapart.partition.cells.graph import NONE
from eapart.partition.regions.labels import components

#: Blocks holding more buildings than this skip 2-opt (nearest-neighbour only).
TWO_OPT_MAX = 300
#: 2-opt stops after this many reversals per building of the block.
TWO_OPT_STEPS = 4
#: 2-opt computes this many gains more rather than make a second numpy call.
ONE_CALL_CELLS = 2000


def blocks_of(points: np.ndarray, area: shapely.Geometry | None,
              lines: np.ndarray) -> np.ndarray:
    """Block number of each point: the piece of ``area``, among those ``lines`` cut it into.

    Points on no piece (on a line, or outside the area) go to the nearest piece.
    """
    n = len(points)
    if area is None or area.is_empty or not len(lines):
        return np.zeros(n, dtype=np.int64)
    inside = lines[shapely.intersects(lines, area)]
    if not len(inside):
        return np.zeros(n, dtype=np.int64)
    pieces = polygon_pieces(np.concatenate([[shapely.boundary(area)],
                                            shapely.intersection(inside, area)]))
    if len(pieces) <= 1:
        return np.zeros(n, dtype=np.int64)
    block = face_of_points(points, pieces)
    missing = np.flatnonzero(block < 0)
    if len(missing):
        nearest = shapely.STRtree(pieces).query_nearest(shapely.points(points[missing]),
                                                        all_matches=False)[1]
        block[missing] = nearest
    return block


def distances(points: np.ndarray) -> np.ndarray:
    """Straight-line distances between every pair of ``points``."""
    x, y = points[:, 0], points[:, 1]
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def nearest_neighbour_path(dist: np.ndarray, start: int) -> np.ndarray:
    """A path through every point from ``start``, always on to the nearest one not yet
    visited (``dist``: the points' distance matrix)."""
    n = len(dist)
    left = np.array(dist, dtype=float)  # a visited point's column turns infinite
    order = [start]
    current = start
    for _ in range(n - 1):
        left[:, current] = np.inf
        current = int(left[current].argmin())
        order.append(current)
    return np.array(order, dtype=np.int64)


def two_opt(dist: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Shorten an open path with a fixed first point by reversing stretches of it.

    Each step takes the best reversal of ``path[i..j]`` (the gain of every pair
    at once from the distance matrix ``dist``) until none shortens the path.
    The distances are kept in path order (row and column ``p``: the point at
    position ``p``), so every step's gains are slices of one matrix, and a
    reversal reverses a band of its rows and columns. A gain depends only on the
    points at four positions, so after a reversal only the gains of pairs that
    touch the reversed stretch are computed again (the same sums as before).
    """
    path = path.copy()
    n = len(path)
    if n < 4:
        return path
    along = path_order(dist, path)
    never = _never(n)
    m = n - 1
    gain = np.empty((m, m))
    _gains(gain, along, never, (0, m), (0, m))
    flat = gain.reshape(-1)
    for _ in range(TWO_OPT_STEPS * n):
        best = int(flat.argmax())
        if flat[best] <= 1e-9:
            break
        i, j = divmod(best, m)
        reverse(path, along, i + 1, j + 1)
        _update_gains(gain, along, never, i, j)
    return path


def _update_gains(gain: np.ndarray, along: np.ndarray, never: np.ndarray, i: int,
                  j: int) -> None:
    """Compute again the gains a reversal of positions ``i+1..j+1`` changed.

    Gain (a, c) reverses positions a+1..c+1: it reads positions a, a+1, c+1, c+2.
    Of the pairs that read the stretch only those with a < c count (the rest stay
    -inf): rows i..j+1 from column i+1, and columns i-1..j above row j. When the
    box around both bands is small, one call over the box costs less than two (the
    gains in it that did not change come out the same, bit for bit).
    """
    m = len(gain)
    r1, c0 = min(j + 2, m), max(i - 1, 0)
    bands = (r1 - i) * (m - i - 1) + j * (j + 1 - c0)
    if r1 * (m - c0) <= bands + ONE_CALL_CELLS:
        _gains(gain, along, never, (0, r1), (c0, m))
    else:
        _gains(gain, along, never, (i, r1), (i + 1, m))
        _gains(gain, along, never, (0, j), (c0, j + 1))


def path_order(dist: np.ndarray, path: np.ndarray) -> np.ndarray:
    """``dist`` with rows and columns in ``path`` order, and a virtual point after the
    end (row and column ``n``) at no distance from any, so an open path's last edge
    can be reversed like any other."""
    n = len(path)
    padded = np.zeros((n + 1, n + 1))
    padded[:n, :n] = dist
    ext = np.append(path, n)
    return padded[ext[:, None], ext[None, :]]


def reverse(path: np.ndarray, along: np.ndarray, first: int, last: int) -> None:
    """Reverse positions ``first..last`` of ``path`` and the same rows and columns of
    its distances in path order ``along`` (in place; numpy copies overlapping slices)."""
    stretch, backwards = slice(first, last + 1), slice(last, first - 1 if first else None, -1)
    path[stretch] = path[backwards]
    along[stretch] = along[backwards]
    along[:, stretch] = along[:, backwards]


def _gains(gain: np.ndarray, along: np.ndarray, never: np.ndarray, rows: tuple[int, int],
           cols: tuple[int, int]) -> None:
    """Write into ``gain`` the 2-opt gains of the pairs ``rows[0] <= a < rows[1]``,
    ``cols[0] <= c < cols[1]``: the edge into position a+1 plus the edge out of
    position c+1, less the two edges that replace them (``-inf`` where ``c <= a``:
    no reversal). In place, in the same order of sums as one expression."""
    (r0, r1), (c0, c1) = rows, cols
    step = along.diagonal(1)  # the edge out of each position
    out = gain[r0:r1, c0:c1]
    np.add(step[r0:r1, None], step[None, c0 + 1:c1 + 1], out=out)
    out -= along[r0:r1, c0 + 1:c1 + 1]
    out -= along[r0 + 1:r1 + 1, c0 + 2:c1 + 2]
    out += never[r0:r1, c0:c1]


@functools.lru_cache(maxsize=TWO_OPT_MAX)
def _never(n: int) -> np.ndarray:
    """0 for the pairs ``a < c`` of a path of ``n`` points, ``-inf`` for the rest (read-only)."""
    never = np.where(np.triu(np.ones((n - 1, n - 1), dtype=bool), k=1), 0.0, -np.inf)
    never.flags.writeable = False
    return never


def walk_order(points: np.ndarray, area: shapely.Geometry | None,
               lines: np.ndarray) -> np.ndarray:
    """Indices of ``points`` (n, 2, metres) in walking order through ``area``'s blocks."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(points) <= 1:
        return np.arange(len(points), dtype=np.int64)
    return route(points, blocks_of(points, area, np.asarray(lines, dtype=object)))


def route(points: np.ndarray, block: np.ndarray) -> np.ndarray:
    """Indices of ``points`` (n, 2) in walking order, block by block (``block``: each
    point's block number; only which points share one matters, and the numbers'
    order for blocks whose buildings' mean positions tie)."""
    n = len(points)
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    steps: list[np.ndarray] = []
    here = np.array([points[:, 0].min(), points[:, 1].max()])  # the north-west corner
    if (block == block[0]).all():  # most small areas: one block, nothing to order
        return _block_path(points, here)
    for members in _blocks_in_order(points, block):
        local = points[members]
        path = _block_path(local, here)
        steps.append(members[path])
        here = local[path[-1]]
    return np.concatenate(steps)


def _blocks_in_order(points: np.ndarray, block: np.ndarray) -> list[np.ndarray]:
    """The points of each block (in index order), the blocks in serpentine order of
    their buildings' mean positions (ties: the lower block number first)."""
    members = _runs(np.arange(len(block)), block)
    centres = np.array([points[m].mean(axis=0) for m in members])
    visit = serpentine_order(centres[:, 0], centres[:, 1],
                             per_band=max(1, math.ceil(math.sqrt(len(members)))))
    return [members[b] for b in visit.tolist()]


def _block_path(local: np.ndarray, here: np.ndarray) -> np.ndarray:
    """The walk through one block's points ``local``: nearest-neighbour from the point
    nearest ``here``, then 2-opt (blocks of up to :data:`TWO_OPT_MAX` points)."""
    m = len(local)
    if m == 1:
        return np.zeros(1, dtype=np.int64)
    start = int(np.argmin(np.hypot(*(local - here).T)))
    if m == 2:  # the nearest-neighbour path, and nothing for 2-opt to reverse
        return np.array([start, 1 - start], dtype=np.int64)
    dist = distances(local)
    path = nearest_neighbour_path(dist, start)
    if 4 <= m <= TWO_OPT_MAX:  # (two_opt leaves a path of three as it is)
        path = two_opt(dist, path)
    return path


def polygon_pieces(linework: np.ndarray) -> np.ndarray:
    """The polygons of non-zero area that ``linework`` (lines and rings) encloses,
    noded together first."""
    cut = shapely.union_all(linework)
    pieces = shapely.get_parts(shapely.polygonize(shapely.get_parts(cut)))
    return pieces[shapely.area(pieces) > 0]


def face_of_points(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The face each point lies inside (-1: on an edge or in none)."""
    hit_point, hit_face = shapely.STRtree(faces).query(shapely.points(points),
                                                       predicate="within")
    face = np.full(len(points), -1, dtype=np.int64)
    order = np.lexsort((hit_face, hit_point))  # faces do not overlap; lowest wins anyway
    first = np.unique(hit_point[order], return_index=True)[1]
    face[hit_point[order][first]] = hit_face[order][first]
    return face


def cell_walk_numbers(building_xy: np.ndarray, building_cell: np.ndarray, edges: np.ndarray,
                      barrier: np.ndarray, area_of_cell: np.ndarray) -> np.ndarray:
    """``walk_number`` of each building of a tessellation whose cells are cut into
    areas ``area_of_cell`` (the cell graph's ``edges`` and ``barrier`` codes): the
    walk of :func:`walk_numbers_in_blocks` through the blocks of :func:`walk_blocks`.
    The engine and the redraw of an edit both number buildings so."""
    block = walk_blocks(edges, barrier, area_of_cell)
    return walk_numbers_in_blocks(building_xy, area_of_cell[building_cell],
                                  block[building_cell])


def walk_blocks(edges: np.ndarray, barrier: np.ndarray, area_of_cell: np.ndarray) -> np.ndarray:
    """The walk block of each cell: a piece of its area's cells that touch each other
    along ``edges`` running along no barrier (``barrier``: the cell graph's codes).

    Barriers run only between the tessellation's blocks, so the cells of an area in
    one block are one walk block when they touch inside it; two arms of a block's U
    that meet only outside the area are two. Blocks that meet along a village
    boundary (or an old area's edge, in a redraw) alone are one walk block: no
    street runs there.
    """
    ends = edges.T
    together = (barrier == NONE) & (area_of_cell[ends[0]] == area_of_cell[ends[1]])
    return components(len(area_of_cell), edges, together)


def walk_numbers_in_blocks(points: np.ndarray, groups: np.ndarray,
                           block: np.ndarray) -> np.ndarray:
    """``walk_number`` (1, 2, ...) of each point inside its group, the blocks known.

    ``groups``: each point's group (small area) number, -1 for none (those get 0);
    ``block``: each point's block number (only which points of a group share one
    matters, and the numbers' order where blocks' mean positions tie). The engine
    knows the blocks from its cells, so nothing is polygonized here: the walk is
    :func:`route`, as in :func:`walk_order`.
    """
    numbers = np.zeros(len(points), dtype=np.int64)
    groups = np.asarray(groups)
    for members in _runs(np.flatnonzero(groups >= 0), groups[groups >= 0]):
        numbers[members[route(points[members], block[members])]] = \
            np.arange(1, len(members) + 1)
    return numbers


def _runs(index: np.ndarray, keys: np.ndarray) -> list[np.ndarray]:
    """``index`` split into the runs of equal ``keys`` (one key per index), in key
    order; inside a run, in the order given."""
    if not len(index):
        return []
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    cuts = np.flatnonzero(ranked[1:] != ranked[:-1]) + 1
    return np.split(index[order], cuts)
