"""Walking numbers of buildings inside their small areas (eapart.partition.walk)."""

import numpy as np
import shapely
from hypothesis import given
from hypothesis import strategies as st

from eapart.partition.walk import walk_numbers

NO_LINES = np.zeros(0, dtype=object)


def test_one_building_gets_number_one():
    """A small area of a single building (a township with one house) is walked as 1."""
    assert walk_numbers(np.array([[5.0, 5.0]]), np.array(["A"], object), {}, NO_LINES).tolist() \
        == [1]


def test_no_buildings_gives_no_numbers():
    assert walk_numbers(np.zeros((0, 2)), np.array([], object), {}, NO_LINES).tolist() == []


def test_buildings_of_no_area_get_zero():
    groups = np.array(["A", None, "", "A"], object)
    numbers = walk_numbers(np.array([[0.0, 0], [1, 1], [2, 2], [3, 3]]), groups, {}, NO_LINES)
    assert numbers[1] == 0 and numbers[2] == 0
    assert sorted(numbers[[0, 3]]) == [1, 2]


@given(st.lists(st.tuples(st.sampled_from("ABC"),
                          st.floats(0, 100), st.floats(0, 100)), max_size=30))
def test_each_area_is_numbered_one_to_n(rows):
    """Whatever the sizes of the groups, each is walked 1..n with no gap or repeat."""
    groups = np.array([g for g, _, _ in rows], object)
    points = np.array([[x, y] for _, x, y in rows], float).reshape(-1, 2)
    areas = {g: shapely.box(0, 0, 100, 100) for g in "ABC"}
    numbers = walk_numbers(points, groups, areas, NO_LINES)
    for g in "ABC":
        mine = numbers[groups == g]
        assert sorted(mine.tolist()) == list(range(1, len(mine) + 1))
