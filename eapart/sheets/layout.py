"""Which maps a small area's sheet needs so that every building number can be read.

The first map shows the whole area. Its building numbers are placed with
:class:`~eapart.sheets.labels.LabelPlacer`; when some find no free spot,
those buildings are gathered into detail windows: the bounding box of a set of
buildings is fitted to a map panel, the numbers of every building in view are
placed, and when any of the set still finds no spot the set is cut in two (at
the widest gap along its longer side, else at the median) and each half tried
again. The overview then draws the windows as boxes lettered A, B, ... and
leaves their numbers to the detail maps that follow it. A window with one
building that still cannot be labelled at :data:`MAX_SCALE` is reported as
illegible. Overlap is measured on the label boxes placed, never guessed from
building density.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely

from eapart.sheets.labels import Box, LabelPlacer
from eapart.sheets.map import Frame, view_around

#: The largest map scale a detail window may use, in points per metre (about 1:570).
MAX_SCALE = 5.0
#: Extra room around a window's buildings, as a share of its extent.
WINDOW_MARGIN = 0.06
#: How much wider than the tightest frame a detail map is first tried, widest first.
ZOOM_OUT = (2.0, 1.0)

#: ``obstacles(frame, detail)``: boxes labels keep clear of (scale bar, north arrow, inset).
Obstacles = Callable[[Frame, bool], list[Box]]


@dataclass
class NumberLabels:
    """The building numbers of one area at one size: text widths and box height, points."""

    widths: np.ndarray  # box width of number k+1 (text and halo)
    height: float
    size: float


@dataclass
class View:
    """One map of a sheet: its frame and the building numbers it shows."""

    frame: Frame
    letter: str  # "" for the overview of the whole area, "A", "B", ... for details
    numbered: np.ndarray  # walking-order positions of the numbered buildings
    boxes: np.ndarray  # their label boxes (n, 4), page points
    placer: LabelPlacer  # holds the boxes above and the obstacles; more labels go here
    windows: list[tuple[str, shapely.Polygon]] = field(default_factory=list)


@dataclass
class MapLayout:
    """The maps of one small area and the buildings no map could number legibly."""

    views: list[View]
    unlabelled: np.ndarray  # walking-order positions


def _letter(i: int) -> str:
    """A, B, ..., Z, AA, AB, ...: the name of the ``i``-th detail window."""
    letters = string.ascii_uppercase
    return letters[i] if i < 26 else _letter(i // 26 - 1) + letters[i % 26]


def _place(frame: Frame, xy: np.ndarray, labels: NumberLabels, first: np.ndarray,
           then: np.ndarray, obstacles: Obstacles,
           detail: bool) -> tuple[LabelPlacer, dict[int, Box]]:
    """Place the numbers of ``first`` (all must fit), then of ``then`` where free."""
    x0, y0 = frame.x, frame.y
    placer = LabelPlacer((x0, y0, x0 + frame.width, y0 + frame.height),
                         cell=max(8.0, 2 * labels.height))
    for box in obstacles(frame, detail):
        placer.add(box)
    placed: dict[int, Box] = {}
    page = frame.to_page(xy)
    for group in (first, then):
        for k in group:
            box = placer.place(page[k, 0], page[k, 1], labels.widths[k], labels.height)
            if box is not None:
                placed[int(k)] = box
    return placer, placed


def _in_view(frame: Frame, xy: np.ndarray) -> np.ndarray:
    minx, maxx, miny, maxy = frame.view
    return np.flatnonzero((xy[:, 0] >= minx) & (xy[:, 0] <= maxx)
                          & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy))


def window_frame(xy: np.ndarray, rect: tuple[float, float, float, float],
                 labels: NumberLabels, zoom_out: float = 1.0) -> Frame:
    """A frame of ``rect`` centred on points ``xy``: at the scale that just shows them
    with room for their labels (at most :data:`MAX_SCALE`), divided by ``zoom_out``."""
    minx, miny = xy.min(axis=0)
    maxx, maxy = xy.max(axis=0)
    room = 2.5 * float(labels.widths.max()) + 4  # points each side for labels and the frame
    width = max(maxx - minx, 1.0) * (1 + 2 * WINDOW_MARGIN)
    height = max(maxy - miny, 1.0) * (1 + 2 * WINDOW_MARGIN)
    scale = min((rect[2] - 2 * room) / width, (rect[3] - 2 * room) / height,
                MAX_SCALE) / zoom_out
    half_w, half_h = rect[2] / scale / 2, rect[3] / scale / 2
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return Frame(*rect, (cx - half_w, cx + half_w, cy - half_h, cy + half_h))


def _split(xy: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``members`` in two along the longer side: at its widest gap, else the median."""
    pts = xy[members]
    axis = int(np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]))
    order = np.lexsort((members, pts[:, axis]))
    values = pts[order, axis]
    gaps = np.diff(values)
    span = values[-1] - values[0]
    cut = int(np.argmax(gaps)) + 1 if len(gaps) and gaps.max() > span / 8 else len(order) // 2
    return np.sort(members[order[:cut]]), np.sort(members[order[cut:]])


def _windows(xy: np.ndarray, members: np.ndarray, rect, labels: NumberLabels,
             obstacles: Obstacles, least: float) -> list[tuple[Frame, np.ndarray, bool]]:
    """Detail frames that number every one of ``members``: (frame, members, legible).

    Each frame is the widest (twice as wide as the frame that just shows the
    members, or that frame; never wider than scale ``least``) at which every
    member's number finds room.
    """
    frame = window_frame(xy[members], rect, labels)
    for zoom_out in ZOOM_OUT:
        wider = window_frame(xy[members], rect, labels, zoom_out)
        if zoom_out > 1 and wider.scale <= least:
            continue
        _, placed = _place(wider, xy, labels, members, np.zeros(0, dtype=np.int64),
                           obstacles, True)
        if len(placed) == len(members):
            return [(wider, members, True)]
    span = float(np.ptp(xy[members], axis=0).max()) * frame.scale
    at_most = frame.scale >= MAX_SCALE * (1 - 1e-6)
    if len(members) == 1 or (at_most and span < 2 * labels.widths.max()):
        return [(frame, members, False)]  # on one spot even at the largest scale
    low, high = _split(xy, members)
    return (_windows(xy, low, rect, labels, obstacles, least)
            + _windows(xy, high, rect, labels, obstacles, least))


def _view(frame: Frame, xy: np.ndarray, labels: NumberLabels, first: np.ndarray,
          letter: str, obstacles: Obstacles) -> View:
    rest = np.setdiff1d(_in_view(frame, xy), first)
    placer, placed = _place(frame, xy, labels, first, rest, obstacles, bool(letter))
    numbered = np.array(sorted(placed), dtype=np.int64)
    boxes = np.array([placed[k] for k in numbered], dtype=float).reshape(-1, 4)
    return View(frame, letter, numbered, boxes, placer)


def layout_map(xy: np.ndarray, area: shapely.Geometry,
               rect: tuple[float, float, float, float], detail_rect: tuple, labels: NumberLabels,
               obstacles: Obstacles) -> MapLayout:
    """The maps of one small area whose buildings, in walking order, stand at ``xy``.

    ``rect`` is the first page's map panel, ``detail_rect`` a detail page's
    (points); ``obstacles(frame)`` gives the boxes labels must keep clear of.
    """
    n = len(xy)
    overview = Frame(*rect, view_around(area, rect[3] / rect[2]))
    everyone = np.arange(n, dtype=np.int64)
    first = _view(overview, xy, labels, everyone, "", obstacles)
    missing = np.setdiff1d(everyone, first.numbered)
    if not len(missing):
        return MapLayout([first], np.zeros(0, dtype=np.int64))
    windows = _windows(xy, missing, detail_rect, labels, obstacles, 1.5 * overview.scale)
    details = []
    unlabelled = []
    for i, (frame, members, legible) in enumerate(windows):
        details.append(_view(frame, xy, labels, members, _letter(i), obstacles))
        if not legible:
            unlabelled.extend(np.setdiff1d(members, details[-1].numbered).tolist())
    # The overview leaves to the details the numbers they show.
    boxes = [shapely.box(v.frame.view[0], v.frame.view[2], v.frame.view[1], v.frame.view[3])
             for v in details]
    shown = np.zeros(n, dtype=bool)
    for view in details:
        shown[view.numbered] = True
    kept = ~shown[first.numbered]
    first.numbered, first.boxes = first.numbered[kept], first.boxes[kept]
    first.placer = _rebuild(first, overview, obstacles)
    first.windows = [(v.letter, box) for v, box in zip(details, boxes, strict=True)]
    return MapLayout([first, *details], np.array(sorted(set(unlabelled)), dtype=np.int64))


def _rebuild(view: View, frame: Frame, obstacles: Obstacles) -> LabelPlacer:
    """A placer holding only the obstacles and the labels ``view`` keeps."""
    x0, y0 = frame.x, frame.y
    placer = LabelPlacer((x0, y0, x0 + frame.width, y0 + frame.height), view.placer.cell)
    for box in obstacles(frame, False):
        placer.add(box)
    for box in view.boxes:
        placer.add(tuple(box))
    return placer


def number_labels(font, count: int) -> NumberLabels:
    """Box sizes of the numbers 1..``count`` in ``font`` at the area's number size."""
    from eapart.sheets.canvas import HALO_PAD

    size = number_size(count)
    pad = HALO_PAD * size
    widths = np.array([font.width(str(k), size) for k in range(1, count + 1)]) + 2 * pad
    height = (font.ascent + font.descent) * size + 2 * pad
    return NumberLabels(widths.reshape(-1), float(height), size)


def number_size(count: int) -> float:
    """Font size of building numbers: smaller as the area holds more buildings, never
    below 5 points."""
    return 7.5 if count <= 30 else 6.5 if count <= 100 else 5.5 if count <= 300 else 5.0


def window_count(layout: MapLayout) -> int:
    """Detail maps in ``layout``."""
    return max(0, len(layout.views) - 1)

