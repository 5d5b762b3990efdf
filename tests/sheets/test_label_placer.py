"""Property tests: placed labels never overlap, and every map of a layout stays clean."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from eapart.sheets.labels import LabelPlacer, overlapping_pairs
from eapart.sheets.layout import NumberLabels, layout_map

FRAME = (0.0, 0.0, 500.0, 400.0)
anchors = st.lists(st.tuples(st.floats(-20, 520), st.floats(-20, 420), st.floats(2, 30),
                             st.floats(2, 12)), min_size=1, max_size=150)


def pairwise(boxes: np.ndarray) -> int:
    b = boxes.reshape(-1, 4)
    width = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    height = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    return int(np.triu((width > 0) & (height > 0), k=1).sum())  # the placer allows none


@settings(max_examples=60, deadline=None)
@given(anchors)
def test_placed_labels_never_overlap_and_stay_in_the_frame(labels):
    placer = LabelPlacer(FRAME)
    placed = [placer.place(x, y, w, h) for x, y, w, h in labels]
    boxes = np.array([box for box in placed if box is not None]).reshape(-1, 4)
    assert pairwise(boxes) == overlapping_pairs(boxes) == 0
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= 500).all()
    assert (boxes[:, 1] >= 0).all() and (boxes[:, 3] <= 400).all()
    for (x, y, w, h), box in zip(labels, placed, strict=True):
        if box is not None:  # next to its anchor
            assert abs((box[0] + box[2]) / 2 - x) <= 2 * w + 2
            assert abs((box[1] + box[3]) / 2 - y) <= h + 2


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 3000), st.floats(0, 2000)), min_size=1, max_size=120),
       st.integers(0, 4))
def test_every_map_of_a_layout_is_free_of_number_overlaps(points, clusters):
    xy = np.array(points, dtype=float)
    xy[: len(xy) // 2] = xy[: len(xy) // 2] * 0.01 * (clusters + 1) + 1000  # a tight hamlet
    labels = NumberLabels(np.array([4.0 + 3.5 * len(str(k)) for k in range(1, len(xy) + 1)]),
                          7.0, 5.5)
    area = shapely.box(-10, -10, 3010, 2010)
    result = layout_map(xy, area, (30, 100, 520, 650), (30, 40, 520, 730), labels,
                        lambda frame, detail: [(frame.x, frame.y, frame.x + 60, frame.y + 20)])
    numbered = set(result.unlabelled.tolist())
    for view in result.views:
        assert overlapping_pairs(view.boxes) == pairwise(view.boxes) == 0
        numbered |= set(view.numbered.tolist())
        inside = (view.boxes[:, 0] >= 30) & (view.boxes[:, 2] <= 550)
        assert inside.all()
    assert numbered == set(range(len(xy)))  # numbered on some map, or reported
