"""Points in boxes on sorted coordinates: the pairs a spatial tree would give."""

import numpy as np
import shapely

from eapart.partition.cells.boxes import points_in_boxes


def test_points_in_boxes_are_the_tree_pairs_ordered_by_box():
    rng = np.random.default_rng(5)
    xy = np.round(rng.random((300, 2)) * 100)
    low = np.round(rng.random((60, 2)) * 100)
    size = np.round(rng.random((60, 2)) * np.array([[40, 3]]))[:, rng.permutation(2)]
    bounds = np.c_[low, low + size]
    box, point = points_in_boxes(xy, bounds)
    assert (np.diff(box) >= 0).all()
    tree_box, tree_point = shapely.STRtree(shapely.points(xy)).query(
        shapely.box(*bounds.T), predicate="intersects"
    )
    assert sorted(zip(box.tolist(), point.tolist(), strict=True)) == sorted(
        zip(tree_box.tolist(), tree_point.tolist(), strict=True)
    )


def test_no_boxes_or_no_points_give_no_pairs():
    assert len(points_in_boxes(np.zeros((0, 2)), np.array([[0, 0, 1, 1]]))[0]) == 0
    assert len(points_in_boxes(np.ones((3, 2)), np.zeros((0, 4)))[1]) == 0
