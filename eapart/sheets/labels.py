"""Label boxes on a map panel that never overlap, and the measure of overlap itself.

A label is a rectangle in page points. :class:`LabelPlacer` keeps the boxes
placed so far in a grid of cells and places each new label at the first free
spot among a few candidates around its anchor (on it, then right, left,
above, below and the four corners); a label with no free spot is refused,
so the caller can give it a bigger scale elsewhere (a building number) or
leave it out (a road name, the less important). Obstacles (the scale bar, the
north arrow) are boxes placed first.

:func:`overlapping_pairs` counts pairs of boxes that share some area: the
figure the layout is decided by, and the one the bench and tests check.

>>> placer = LabelPlacer((0, 0, 100, 100))
>>> placer.place(50, 50, 10, 6) is not None, placer.place(50, 50, 10, 6) is not None
(True, True)
>>> overlapping_pairs(placer.boxes())
0
"""

from __future__ import annotations

import math

import numpy as np
import shapely

#: Gap kept between a label moved off its anchor and the anchor, in points.
OFFSET_GAP = 0.6
#: Overlap smaller than this (points, either way) is touching, not overlapping, when
#: overlap is counted: room for boxes written rounded to 0.01 point. The placer itself
#: allows no overlap at all.
TOUCH = 0.02

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def candidates(x: float, y: float, width: float, height: float) -> list[Box]:
    """Boxes of ``width`` x ``height`` around anchor (x, y), best first."""
    hw, hh = width / 2, height / 2
    dx, dy = hw + OFFSET_GAP, hh + OFFSET_GAP
    centres = ((0, 0), (dx, 0), (-dx, 0), (0, dy), (0, -dy), (dx, dy), (-dx, dy), (dx, -dy),
               (-dx, -dy), (2 * dx, 0), (-2 * dx, 0))
    return [(x + cx - hw, y + cy - hh, x + cx + hw, y + cy + hh) for cx, cy in centres]


class LabelPlacer:
    """Non-overlapping boxes inside a frame, in a uniform grid for quick look-up."""

    def __init__(self, frame: Box, cell: float = 12.0) -> None:
        self.frame = frame
        self.cell = cell
        self._grid: dict[tuple[int, int], list[int]] = {}
        self._boxes: list[Box] = []

    def _cells(self, box: Box):
        c = self.cell
        for ix in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for iy in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                yield ix, iy

    def inside(self, box: Box) -> bool:
        """Whether ``box`` lies wholly within the frame."""
        f = self.frame
        return box[0] >= f[0] and box[1] >= f[1] and box[2] <= f[2] and box[3] <= f[3]

    def free(self, box: Box) -> bool:
        """Whether ``box`` lies in the frame and overlaps no box placed so far."""
        if not self.inside(box):
            return False
        boxes = self._boxes
        for key in self._cells(box):
            for i in self._grid.get(key, ()):
                other = boxes[i]
                if (min(box[2], other[2]) - max(box[0], other[0]) > 0
                        and min(box[3], other[3]) - max(box[1], other[1]) > 0):
                    return False
        return True

    def add(self, box: Box) -> None:
        """Keep ``box`` (an obstacle or a label), free or not."""
        index = len(self._boxes)
        self._boxes.append(box)
        for key in self._cells(box):
            self._grid.setdefault(key, []).append(index)

    def place(self, x: float, y: float, width: float, height: float) -> Box | None:
        """The first free candidate around (x, y), kept; ``None`` when none is free."""
        for box in candidates(x, y, width, height):
            if self.free(box):
                self.add(box)
                return box
        return None

    def place_any(self, boxes: list[Box]) -> Box | None:
        """The first free one of ``boxes`` (e.g. rotated road names' extents), kept."""
        for box in boxes:
            if self.free(box):
                self.add(box)
                return box
        return None

    def boxes(self) -> np.ndarray:
        """Every box kept, shape (n, 4)."""
        return np.array(self._boxes, dtype=float).reshape(-1, 4)


def overlapping_pairs(boxes: np.ndarray) -> int:
    """Pairs of boxes (n, 4: x0, y0, x1, y1) that share some area (touching is not overlap)."""
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    if len(boxes) < 2:
        return 0
    polygons = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    i, j = shapely.STRtree(polygons).query(polygons, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    width = np.minimum(boxes[i, 2], boxes[j, 2]) - np.maximum(boxes[i, 0], boxes[j, 0])
    height = np.minimum(boxes[i, 3], boxes[j, 3]) - np.maximum(boxes[i, 1], boxes[j, 1])
    return int(((width > TOUCH) & (height > TOUCH)).sum())
