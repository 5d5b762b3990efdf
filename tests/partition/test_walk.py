"""Walking numbers of buildings inside their small areas (eapart.partition.walk)."""

import numpy as np
import shapely
from hypothesis import given
from hypothesis import strategies as st

from eapart.partition import walk
from eapart.partition.cells.graph import MINOR_ROAD, NONE
from eapart.partition.walk import (
    TWO_OPT_STEPS,
    distances,
    nearest_neighbour_path,
    path_order,
    two_opt,
    walk_blocks,
    walk_numbers_in_blocks,
    walk_order,
)

NO_LINES = np.zeros(0, dtype=object)


def test_one_building_gets_number_one():
    """A small area of a single building (a township with one house) is walked as 1."""
    assert walk_numbers_in_blocks(np.array([[5.0, 5.0]]), np.array([0]),
                                  np.zeros(1, np.int64)).tolist() == [1]


def test_no_buildings_gives_no_numbers():
    assert walk_numbers_in_blocks(np.zeros((0, 2)), np.zeros(0, np.int64),
                                  np.zeros(0, np.int64)).tolist() == []


@given(st.lists(st.tuples(st.integers(-1, 2), st.integers(0, 3),
                          st.floats(0, 100), st.floats(0, 100)), max_size=30))
def test_each_area_is_numbered_one_to_n(rows):
    """Whatever the sizes of the groups and their blocks, each group is walked 1..n with
    no gap or repeat, and points of no group (-1) get 0."""
    groups = np.array([g for g, _, _, _ in rows], np.int64)
    block = np.array([b for _, b, _, _ in rows], np.int64)
    points = np.array([[x, y] for _, _, x, y in rows], float).reshape(-1, 2)
    numbers = walk_numbers_in_blocks(points, groups, block)
    assert (numbers[groups < 0] == 0).all()
    for g in range(3):
        mine = numbers[groups == g]
        assert sorted(mine.tolist()) == list(range(1, len(mine) + 1))


def _two_opt_full(dist: np.ndarray, path: np.ndarray, max_steps: int) -> np.ndarray:
    """2-opt as the module defines it, every gain computed afresh at each step and
    every reversal an explicit copy."""
    path, n = path.copy(), len(path)
    along = path_order(dist, path)
    never = np.where(np.triu(np.ones((n - 1, n - 1), dtype=bool), k=1), 0.0, -np.inf)
    for _ in range(max_steps):
        step = np.diagonal(along, 1)
        gain = (step[:n - 1, None] + step[None, 1:n]
                - along[:n - 1, 1:n] - along[1:n, 2:n + 1]) + never
        i, j = divmod(int(np.argmax(gain)), n - 1)
        if gain[i, j] <= 1e-9:
            break
        stretch = slice(i + 1, j + 2)
        path[stretch] = path[stretch][::-1].copy()
        along[stretch] = along[stretch][::-1].copy()
        along[:, stretch] = along[:, stretch][:, ::-1].copy()
    return path


@given(st.integers(4, 60), st.integers(0, 2**32 - 1), st.booleans())
def test_two_opt_matches_recomputing_every_gain(n, seed, grid):
    """Updating only the gains a reversal touches gives the path of full recomputation
    (points on a small integer grid tie and repeat; the path starts in input order,
    so there is much to reverse)."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 13, (n, 2)).astype(float) if grid else rng.random((n, 2))
    dist = distances(points)
    start = np.arange(n)
    expected = _two_opt_full(dist, start, TWO_OPT_STEPS * n)
    for one_call in (0, walk.ONE_CALL_CELLS, 10**9):  # two calls a step, as set, one call
        walk.ONE_CALL_CELLS, kept = one_call, walk.ONE_CALL_CELLS
        try:
            assert two_opt(dist, start).tolist() == expected.tolist()
        finally:
            walk.ONE_CALL_CELLS = kept


@given(st.integers(0, 40), st.integers(0, 2**32 - 1), st.booleans())
def test_distances_and_nearest_neighbours_match_the_plain_sums(n, seed, grid):
    """The distance matrix is hypot of the coordinate differences, bit for bit, and the
    nearest-neighbour path takes the nearest unvisited point, the lowest index on a tie."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 5, (n, 2)).astype(float) if grid else rng.random((n, 2)) * 1e3
    plain = np.array([[np.hypot(p[0] - q[0], p[1] - q[1]) for q in points] for p in points])
    dist = distances(points)
    assert dist.reshape(n, n).tobytes() == plain.reshape(n, n).tobytes()
    if n == 0:
        return
    start = int(rng.integers(0, n))
    order, left = [start], set(range(n)) - {start}
    while left:
        order.append(min(left, key=lambda k: (dist[order[-1], k], k)))
        left.discard(order[-1])
    assert nearest_neighbour_path(dist, start).tolist() == order


def test_blocks_given_walk_as_the_polygonized_blocks():
    """With each point's block given, the walk is the one polygonize's blocks give
    (:func:`walk_order`, what the sheets use without a walk_number): a road across
    the middle of the area, the same blocks either way."""
    rng = np.random.default_rng(5)
    points = rng.random((40, 2)) * 100
    points[:, 1] += np.where(points[:, 1] < 50, -1.0, 1.0)  # off the road
    groups = np.array([0] * 25 + [1] * 15)
    area = shapely.box(-1, -2, 101, 102)
    road = np.array([shapely.LineString([(-10, 50), (110, 50)])], dtype=object)
    block = (points[:, 1] > 50).astype(np.int64)
    given = walk_numbers_in_blocks(points, groups, block)
    for g in (0, 1):
        members = np.flatnonzero(groups == g)
        expected = np.empty(len(members), np.int64)
        expected[walk_order(points[members], area, road)] = np.arange(1, len(members) + 1)
        assert given[members].tolist() == expected.tolist()


def test_points_of_no_group_get_zero_with_blocks_given():
    numbers = walk_numbers_in_blocks(np.array([[0.0, 0], [1, 1], [2, 2]]), np.array([0, -1, 0]),
                                     np.zeros(3, np.int64))
    assert numbers.tolist() == [1, 0, 2]


def test_walk_blocks_follow_barriers_and_the_area():
    """A walk block is a piece of one area's cells touching along no barrier: an area
    holding both arms of a U (cells 0 and 2, joined through cell 1 of another area)
    gets two, cells across a road (edge 3-4) two, across a village boundary (edge 4-5,
    no barrier) one."""
    edges = np.array([[0, 1], [1, 2], [3, 4], [4, 5]])
    barrier = np.array([NONE, NONE, MINOR_ROAD, NONE], dtype=np.int8)
    area = np.array([0, 1, 0, 2, 2, 2])
    block = walk_blocks(edges, barrier, area)
    assert len(set(block[[0, 1, 2]].tolist())) == 3
    assert block[3] != block[4] and block[4] == block[5]
