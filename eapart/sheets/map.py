"""The map panel of an enumerator sheet, drawn onto a :class:`~eapart.sheets.canvas.Canvas`.

The panel shows the small area's boundary, neighbouring areas drawn lightly
with their codes, every building filled, the walking route faintly, other
buildings in grey, roads, water and rail in their class widths with their
names, a north arrow and a scale bar. Which buildings it numbers, and where,
comes from :mod:`eapart.sheets.layout`; the labels after them (window letters,
neighbour codes, then road and water names) go only where the same placer
finds room, so the less important give way. A detail map carries a locator
inset of the whole area. Each layer is one path of many parts, built from
shapely's coordinate arrays in a single transform.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from eapart.sheets.canvas import HALO_PAD, Canvas, arrow, degrees
from eapart.sheets.data import SheetData
from eapart.sheets.labels import Box, LabelPlacer

if TYPE_CHECKING:
    from eapart.sheets.layout import View

MARGIN = 0.08  # map margin around the area, share of its extent
NEIGHBOUR_LABEL_SIZE = 7.0  # points
ROAD_LABEL_SIZE = 6.5
WINDOW_LABEL_SIZE = 9.0
LOCATOR_SHARE = 0.24  # the locator inset's most room, share of the map's width and height
#: Where along a road its name is tried, as shares of the visible piece.
ALONG = (0.5, 0.3, 0.7, 0.15, 0.85)
FRAME_LW = 0.8  # points, the map's and the inset's frame

STYLE = {
    "area": {"color": "#c0392b", "lw": 2.2},
    "neighbour": {"face": "#f1f1f1", "edge": "#9a9a9a", "lw": 0.7},
    "building": {"face": "#ffd98a", "edge": "#5b4a1f", "lw": 0.5},
    "other_building": {"face": "#e2e2e2", "edge": "#bdbdbd", "lw": 0.3},
    "roads": {"color": "#7a7a7a", "lw": {"major": 2.2, "minor": 1.1}, "default": 0.6},
    "water": {"color": "#3b82c4", "lw": {"river": 1.6}, "default": 0.9, "face": "#d5e6f6"},
    "rail": {"color": "#222222", "lw": {}, "default": 1.2, "dash": (4.0, 2.0)},
    "route": {"color": "#8e7cc3", "lw": 0.6, "dash": (2.0, 1.5)},
    "window": {"color": "#1a1a1a", "lw": 0.9, "dash": (3.0, 1.5)},
}


@dataclass(frozen=True)
class Frame:
    """A map rectangle on the page (points) showing a view of the world (metres)."""

    x: float
    y: float
    width: float
    height: float
    view: tuple[float, float, float, float]  # minx, maxx, miny, maxy

    @property
    def scale(self) -> float:
        """Points per metre."""
        return self.width / (self.view[1] - self.view[0])

    def to_page(self, xy: np.ndarray) -> np.ndarray:
        """World coordinates (n, 2) to page points."""
        return (xy - (self.view[0], self.view[2])) * self.scale + (self.x, self.y)

    def box(self, grow: float = 0.0) -> shapely.Polygon:
        """The view as a polygon, grown by ``grow`` of its width on every side."""
        minx, maxx, miny, maxy = self.view
        pad = grow * (maxx - minx)
        return shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)


def coordinates(geometries: np.ndarray, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """Page coordinates of every vertex of ``geometries`` and the part each belongs to."""
    xy, parts = shapely.get_coordinates(geometries, return_index=True)
    return frame.to_page(xy), parts


def exterior_rings(geometries: np.ndarray) -> np.ndarray:
    """Exterior rings of every polygon part (for filled, outlined shapes)."""
    parts = shapely.get_parts(geometries)
    return shapely.get_exterior_ring(parts[shapely.get_type_id(parts) == 3])


def line_parts(geometries: np.ndarray) -> np.ndarray:
    """Every line part, polygon outlines included."""
    parts = shapely.get_parts(geometries)
    polygonal = shapely.get_type_id(parts) == 3
    parts[polygonal] = shapely.boundary(parts[polygonal])
    return shapely.get_parts(parts)


def view_around(area: shapely.Geometry, aspect: float) -> tuple[float, float, float, float]:
    """Map limits around ``area`` with a margin, stretched to the frame's aspect (h/w)."""
    minx, miny, maxx, maxy = area.bounds
    width = max(maxx - minx, 20.0) * (1 + 2 * MARGIN)
    height = max(maxy - miny, 20.0) * (1 + 2 * MARGIN)
    if height / width < aspect:
        height = width * aspect
    else:
        width = height / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def nice_length(width: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) near a quarter of ``width``."""
    target = width / 4
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def _polygons(canvas: Canvas, geometries: np.ndarray, frame: Frame, style: dict) -> None:
    xy, parts = coordinates(exterior_rings(geometries), frame)
    canvas.paths(xy, parts, close=True, fill=style["face"], stroke=style.get("edge"),
                 lw=style.get("lw", 0.5))


def _neighbour_polygons(canvas: Canvas, data: SheetData, code: str, frame: Frame) -> tuple:
    """Neighbouring small areas in light grey; returns their code labels (short in the same
    census area) and where they go, placed once the building numbers are."""
    near = data.neighbours(code, frame.box())
    if not len(near):
        return [], np.zeros((0, 2))
    geometry = shapely.clip_by_rect(data.small_geometry[near], *frame.box(0.02).bounds)
    _polygons(canvas, geometry, frame, STYLE["neighbour"])
    points = shapely.point_on_surface(shapely.intersection(geometry, frame.box()))
    keep = ~shapely.is_empty(points)
    texts = [other[12:] if other.startswith(code[:12]) else other
             for other in data.small_codes[near][keep]]
    return texts, frame.to_page(shapely.get_coordinates(points[keep]))


def _context(canvas: Canvas, data: SheetData, frame: Frame) -> list:
    """Roads, water and rail in view, each class in its width; returns their labels to draw."""
    labels = []
    box = frame.box()
    for name, layer in data.context.items():
        style = STYLE[name]
        hits = layer.within(box)
        if not len(hits):
            continue
        geometry = shapely.clip_by_rect(layer.geometry[hits], *frame.box(0.02).bounds)
        if "face" in style:
            xy, parts = coordinates(exterior_rings(geometry), frame)
            canvas.paths(xy, parts, close=True, fill=style["face"])
        kinds = layer.kind[hits]
        polygonal = shapely.get_type_id(geometry) == 3
        for kind in np.unique(kinds):
            chosen = (kinds == kind) & ~polygonal if name == "roads" else kinds == kind
            xy, parts = coordinates(line_parts(geometry[chosen]), frame)
            canvas.paths(xy, parts, close=False, stroke=style["color"],
                         lw=style["lw"].get(kind, style["default"]), dash=style.get("dash"),
                         round_cap="dash" not in style)
        labels.append((shapely.clip_by_rect(geometry, *box.bounds), layer.name[hits],
                       style["color"]))
    return labels


def _text_box(x: float, y: float, width: float, height: float, angle: float) -> Box:
    """Extent of a ``width`` x ``height`` label centred at (x, y), turned ``angle`` degrees."""
    theta = math.radians(angle)
    half_w = (abs(math.cos(theta)) * width + abs(math.sin(theta)) * height) / 2
    half_h = (abs(math.sin(theta)) * width + abs(math.cos(theta)) * height) / 2
    return (x - half_w, y - half_h, x + half_w, y + half_h)


def _line_labels(canvas: Canvas, fonts, frame: Frame, placer: LabelPlacer,
                 geometry: np.ndarray, names: np.ndarray, colour: str) -> None:
    """Each name once, along the longest visible piece carrying it, where the placer has
    room (names give way to numbers and codes: a name with no room is left out)."""
    named = np.flatnonzero([n is not None and n != "" for n in names])
    if not len(named):
        return
    lines = geometry[named]
    polygonal = np.isin(shapely.get_type_id(lines), (3, 6))
    lines[polygonal] = shapely.boundary(lines[polygonal])
    lengths = shapely.length(lines)
    picks: dict[str, int] = {}
    for i in np.argsort(-lengths, kind="stable"):
        if lengths[i] > 0:
            picks.setdefault(str(names[named[i]]), i)
    if not picks:
        return
    chosen = lines[list(picks.values())]
    size = ROAD_LABEL_SIZE
    height = (fonts.regular.ascent + fonts.regular.descent + 2 * HALO_PAD) * size
    xs, ys, texts, angles = [], [], [], []
    for text, line in zip(picks, chosen, strict=True):
        width = fonts.regular.width(text, size) + 2 * HALO_PAD * size
        if width > frame.scale * shapely.length(line):
            continue  # longer than the road it names in view
        for share in ALONG:
            a, b = frame.to_page(shapely.get_coordinates(shapely.line_interpolate_point(
                line, [share - 0.04, share + 0.04], normalized=True)))
            angle = float(degrees(np.array([b[0] - a[0]]), np.array([b[1] - a[1]]))[0])
            middle = (a + b) / 2
            if placer.place_any([_text_box(*middle, width, height, angle)]) is not None:
                xs.append(middle[0])
                ys.append(middle[1])
                texts.append(text)
                angles.append(angle)
                break
    if texts:
        canvas.texts(np.array(xs), np.array(ys), texts, fonts.regular, size, colour=colour,
                     angles=np.array(angles), halo=True)


def _placed_texts(canvas: Canvas, font, placer: LabelPlacer, xy: np.ndarray, texts: list,
                  size: float, colour: str) -> None:
    """Labels placed around their anchors where there is room, the rest left out."""
    height = (font.ascent + font.descent + 2 * HALO_PAD) * size
    kept_xy, kept = [], []
    for (x, y), text in zip(xy, texts, strict=True):
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        box = placer.place(x, y, font.width(text, size) + 2 * HALO_PAD * size, height)
        if box is not None:
            kept_xy.append(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            kept.append(text)
    if kept:
        where = np.array(kept_xy)
        canvas.texts(where[:, 0], where[:, 1], kept, font, size, colour=colour, halo=True)


def _buildings(canvas: Canvas, data: SheetData, rows: np.ndarray, frame: Frame) -> None:
    """Other buildings in grey, then the area's own buildings filled (dots for points)."""
    others = np.setdiff1d(data.buildings_in(frame.box()), rows)
    if len(others):
        _polygons(canvas, data.building_geometry[others], frame, STYLE["other_building"])
    if not len(rows):
        return
    style = STYLE["building"]
    geometry = data.building_geometry[rows]
    _polygons(canvas, geometry, frame, style)
    is_point = shapely.get_type_id(geometry) == 0
    if is_point.any():
        canvas.circles(frame.to_page(data.building_point[rows][is_point]), 1.9,
                       fill=style["face"], stroke=style["edge"], lw=style["lw"])


def _route(canvas: Canvas, data: SheetData, rows: np.ndarray, frame: Frame) -> None:
    """The walking route through the buildings, faint, under the numbers."""
    if len(rows) < 2:
        return
    xy = frame.to_page(data.building_point[rows])
    canvas.paths(xy, np.zeros(len(xy), dtype=np.int64), close=False,
                 stroke=STYLE["route"]["color"], lw=STYLE["route"]["lw"],
                 dash=STYLE["route"]["dash"], round_cap=False)


def _numbers(canvas: Canvas, fonts, view: View, size: float) -> None:
    """Each numbered building's walking-order number, in its placed box."""
    if not len(view.numbered):
        return
    centre = (view.boxes[:, :2] + view.boxes[:, 2:]) / 2
    canvas.texts(centre[:, 0], centre[:, 1], [str(k + 1) for k in view.numbered],
                 fonts.regular, size, halo=True)


def _windows(canvas: Canvas, fonts, view: View) -> None:
    """The detail windows on the overview: a box each, lettered at a corner."""
    if not view.windows:
        return
    frame = view.frame
    xy, parts = coordinates(line_parts(np.array([box for _, box in view.windows])), frame)
    canvas.paths(xy, parts, close=False, stroke=STYLE["window"]["color"],
                 lw=STYLE["window"]["lw"], dash=STYLE["window"]["dash"])
    size = WINDOW_LABEL_SIZE
    height = (fonts.bold.ascent + fonts.bold.descent + 2 * HALO_PAD) * size
    for letter, box in view.windows:
        width = fonts.bold.width(letter, size) + 2 * HALO_PAD * size
        (x0, y0), (x1, y1) = frame.to_page(np.array(box.bounds).reshape(2, 2))
        corners = [(x0, y1 - height, x0 + width, y1), (x1 - width, y1 - height, x1, y1),
                   (x0, y0, x0 + width, y0 + height), (x1 - width, y0, x1, y0 + height),
                   (x0 - width, y1, x0, y1 + height), (x1, y1, x1 + width, y1 + height)]
        placed = view.placer.place_any(corners)
        if placed is not None:
            canvas.text((placed[0] + placed[2]) / 2, (placed[1] + placed[3]) / 2, letter,
                        fonts.bold, size, ha="center", va="center", halo=True)


def scale_bar_box(fonts, frame: Frame) -> Box:
    """Where :func:`_scale_bar` draws, (x0, y0, x1, y1) points."""
    length = nice_length(frame.view[1] - frame.view[0])
    pad = 4.0
    width = length * frame.scale + 2 * pad
    height = 2 * pad + 3 + 7 * (fonts.regular.ascent + 0.1)
    return (frame.x + 6, frame.y + 6, frame.x + 6 + width, frame.y + 6 + height)


def north_arrow_box(frame: Frame) -> Box:
    """Where :func:`_north_arrow` draws."""
    x = frame.x + 0.955 * frame.width
    return (x - 9, frame.y + 0.80 * frame.height, x + 9, frame.y + 0.97 * frame.height)


def locator_box(frame: Frame) -> Box:
    """The most room :func:`_overview` takes, top left of a detail map."""
    left = frame.x + 0.008 / 0.88 * frame.width
    top = frame.y + frame.height * 0.99
    return (left - 2, top - frame.height * LOCATOR_SHARE - 2,
            left + frame.width * LOCATOR_SHARE + 2, top + 2)


def obstacles(fonts) -> Callable[[Frame, bool], list[Box]]:
    """The boxes a map's labels keep clear of: scale bar, north arrow, and on a detail
    map its locator inset."""
    def boxes(frame: Frame, detail: bool) -> list[Box]:
        out = [scale_bar_box(fonts, frame), north_arrow_box(frame)]
        if detail:
            out.append(locator_box(frame))
        return out
    return boxes


def _scale_bar(canvas: Canvas, fonts, frame: Frame) -> None:
    """A framed scale bar of a round length, lower left of the map."""
    length = nice_length(frame.view[1] - frame.view[0])
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = length * frame.scale
    x, y, pad = frame.x + 6, frame.y + 6, 4.0
    width, height = bar + 2 * pad, 2 * pad + 3 + 7 * (fonts.regular.ascent + 0.1)
    canvas.rect(x, y, width, height, fill="#ffffff", stroke="#000000", lw=0.6)
    top = y + height - pad
    canvas.raw(f"0 0 0 RG 1 w {x + pad:.2f} {top:.2f} m {x + pad + bar:.2f} {top:.2f} l S")
    canvas.text(x + pad + bar / 2, top - 3, label, fonts.regular, 7, ha="center", va="top")


def _north_arrow(canvas: Canvas, fonts, frame: Frame, north_label: str) -> None:
    """An arrow pointing up (north is up in the metric CRS), ``N`` and the Chinese 北."""
    x = frame.x + 0.955 * frame.width
    tail = frame.y + 0.86 * frame.height
    outline = arrow(x, tail + 8, frame.y + 0.965 * frame.height, 3, 9, 10)
    canvas.paths(outline, np.zeros(len(outline), dtype=int), close=True, fill="#000000")
    canvas.text(x, tail, "N", fonts.bold, 11, ha="center", va="center")
    canvas.text(x, frame.y + 0.83 * frame.height, north_label, fonts.regular, 8, ha="center",
                va="top")


def _overview(canvas: Canvas, fonts, frame: Frame, area: shapely.Geometry,
              label: str) -> None:
    """A small map of the whole area with the framed part outlined, top left of the map."""
    shown = frame.box()
    minx, miny, maxx, maxy = shapely.union(area, shown).bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    extent = (minx - pad, maxx + pad, miny - pad, maxy + pad)
    room_w, room_h = frame.width * LOCATOR_SHARE, frame.height * LOCATOR_SHARE
    scale = min(room_w / (extent[1] - extent[0]), room_h / (extent[3] - extent[2]))
    width, height = (extent[1] - extent[0]) * scale, (extent[3] - extent[2]) * scale
    left = frame.x + 0.008 / 0.88 * frame.width
    top = frame.y + frame.height * 0.99
    inset = Frame(left, top - height, width, height, extent)
    canvas.rect(inset.x, inset.y, width, height, fill="#ffffff", stroke="#000000", lw=FRAME_LW)
    for geometry, colour, lw in ((area, STYLE["area"]["color"], 1.0), (shown, "#000000", 0.8)):
        xy, parts = coordinates(line_parts(np.array([geometry])), inset)
        canvas.paths(xy, parts, close=False, stroke=colour, lw=lw)
    canvas.text(inset.x + 0.03 * width, inset.y + 0.97 * height, label, fonts.regular, 6,
                va="top")


def draw_map(canvas: Canvas, fonts, data: SheetData, code: str, rows: np.ndarray,
             view: View, size: float, labels: dict[str, str]) -> None:
    """One map of small area ``code``: the view's frame, numbers and windows.

    ``rows`` are the area's buildings in walking order; ``labels`` gives the
    wording of the north arrow and the locator inset. Labels are drawn in order
    of importance (building numbers, window letters, neighbour codes, names of
    roads and water), each only where the placer finds it room.
    """
    frame = view.frame
    rect = (frame.x, frame.y, frame.width, frame.height)
    area = data.small_geometry[data.small_position[code]]
    canvas.save()
    canvas.clip(*rect)
    codes, where = _neighbour_polygons(canvas, data, code, frame)
    line_labels = _context(canvas, data, frame)
    _buildings(canvas, data, rows, frame)
    xy, parts = coordinates(line_parts(np.array([area])), frame)
    canvas.paths(xy, parts, close=False, stroke=STYLE["area"]["color"], lw=STYLE["area"]["lw"])
    _route(canvas, data, rows, frame)
    _windows(canvas, fonts, view)
    _numbers(canvas, fonts, view, size)
    _placed_texts(canvas, fonts.regular, view.placer, where, codes, NEIGHBOUR_LABEL_SIZE,
                  "#6a6a6a")
    for geometry, names, colour in line_labels:
        _line_labels(canvas, fonts, frame, view.placer, geometry, names, colour)
    canvas.restore()
    canvas.rect(*rect, stroke="#000000", lw=FRAME_LW)
    _scale_bar(canvas, fonts, frame)
    _north_arrow(canvas, fonts, frame, labels["north"])
    if view.letter:
        _overview(canvas, fonts, frame, area, labels["overview"])
