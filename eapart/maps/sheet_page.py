"""Draw one A4 enumerator sheet (and its table continuations) with matplotlib.

A page holds: the title (township, census area and small area, names and
codes), the map (the area's boundary, neighbouring areas drawn lightly with
their codes, every building filled and numbered in serpentine walking order,
roads, water and rail with their names), a north arrow, a scale bar, a legend,
the totals to reconcile against (households, persons, buildings) and a table
of building number, id and households, continued on further pages when long.

Geometry goes to matplotlib as a few PolyCollection/LineCollection artists per
page, and each table column as one multi-line text, which keeps a page at a
few tens of milliseconds. Names from the data are drawn with ``parse_math``
off, so a ``$`` in a name is printed, never interpreted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from eapart.maps.fonts import MONO_FAMILY
from eapart.maps.sheet_data import SheetData
from eapart.partition.codes import serpentine_order

A4_INCHES = (8.27, 11.69)
MAP_BOX = (0.06, 0.40, 0.88, 0.515)  # left, bottom, width, height (figure fraction)
TABLE_TOP_FIRST, TABLE_TOP_NEXT, TABLE_BOTTOM = 0.333, 0.90, 0.03
TABLE_GROUPS = 5  # column groups (number, id, households) across the page
TABLE_FONT = 6.5  # points
LINE_HEIGHT = TABLE_FONT * 1.25 / 72 / A4_INCHES[1]  # figure fraction per table row
MAX_ID_CHARS = 16
MARGIN = 0.08  # map margin around the area, share of its extent
FOCUS_SHARE = 0.4  # frame the buildings alone when they span less than this share of the area
FOCUS_MIN_METRES = 150.0
#: A white box behind labels over lines: a patch, far cheaper than a stroked-text halo.
HALO = {"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}

#: Every fixed wording of a sheet, in one place (and the characters the font subset needs).
LABELS: dict[str, str] = {
    "title": "普查小区",
    "date": "制图日期",
    "page": "第 {page} / {pages} 页",
    "signature": "普查员 enumerator ____________    复核 checked ____________",
    "totals": "核对合计 totals:  户数 households {households}   人数 persons {persons}   "
              "建筑 buildings {buildings}",
    "flags": "标记 flags:",
    "number": "编号",
    "id": "建筑 id",
    "households": "户",
    "continued": "建筑清单（续） building list, continued",
    "north": "北",
    "overview": "全图 overview",
    "boundary": "本小区界 boundary",
    "neighbour": "相邻小区 neighbour",
    "building": "建筑及编号 building no.",
    "other_building": "其他建筑 other building",
    "road": "道路 road",
    "water": "水系 water",
    "rail": "铁路 rail",
}
#: Characters drawn besides the data's own text.
FIXED_TEXT = "".join(LABELS.values()) + "".join(map(chr, range(0x20, 0x7F))) + "—…·（）"

STYLE = {
    "area": {"color": "#c0392b", "lw": 2.2},
    "neighbour": {"face": "#f1f1f1", "edge": "#9a9a9a", "lw": 0.7},
    "building": {"face": "#ffd98a", "edge": "#5b4a1f", "lw": 0.5},
    "other_building": {"face": "#e2e2e2", "edge": "#bdbdbd", "lw": 0.3},
    "roads": {"color": "#7a7a7a", "lw": {"major": 2.2, "minor": 1.1}, "default": 0.6},
    "water": {"color": "#3b82c4", "lw": {"river": 1.6}, "default": 0.9, "face": "#d5e6f6"},
    "rail": {"color": "#222222", "lw": {}, "default": 1.2, "dash": (0, (4, 2))},
}


@dataclass
class PagePlan:
    """What one small area's sheet shows: its buildings in walking order."""

    code: str
    rows: np.ndarray  # building positions, in walking order


def walking_order(data: SheetData, code: str) -> PagePlan:
    """The small area's buildings numbered serpentine from the north-west."""
    rows = data.buildings_of(code)
    points = data.building_point[rows]
    order = serpentine_order(points[:, 0], points[:, 1])
    return PagePlan(code=code, rows=rows[order])


def table_capacity(top: float) -> int:
    """Rows that fit in the table between ``top`` and the bottom margin, per page."""
    per_group = int((top - TABLE_BOTTOM) / LINE_HEIGHT) - 1  # minus the header
    return max(1, per_group) * TABLE_GROUPS


def page_count(n_buildings: int) -> int:
    """Pages one small area takes: the map page plus table continuations."""
    rest = n_buildings - table_capacity(TABLE_TOP_FIRST)
    return 1 + max(0, math.ceil(rest / table_capacity(TABLE_TOP_NEXT)))


def _rings(geometries: np.ndarray) -> list[np.ndarray]:
    """Exterior rings of every polygon part, as coordinate arrays (for PolyCollection)."""
    parts = shapely.get_parts(geometries)
    parts = parts[shapely.get_type_id(parts) == 3]
    return _split_coordinates(shapely.get_exterior_ring(parts))


def _lines(geometries: np.ndarray) -> list[np.ndarray]:
    """Every line part (polygon outlines included), as coordinate arrays."""
    parts = shapely.get_parts(geometries)
    polygonal = shapely.get_type_id(parts) == 3
    parts[polygonal] = shapely.boundary(parts[polygonal])
    return _split_coordinates(shapely.get_parts(parts))


def _split_coordinates(lines: np.ndarray) -> list[np.ndarray]:
    coords, index = shapely.get_coordinates(lines, return_index=True)
    if not len(coords):
        return []
    return np.split(coords, np.flatnonzero(np.diff(index)) + 1)


def _view(area: shapely.Geometry, aspect: float) -> tuple[float, float, float, float]:
    """Map limits around ``area`` with a margin, stretched to the axes' aspect (h/w)."""
    minx, miny, maxx, maxy = area.bounds
    width = max(maxx - minx, 20.0) * (1 + 2 * MARGIN)
    height = max(maxy - miny, 20.0) * (1 + 2 * MARGIN)
    if height / width < aspect:
        height = width * aspect
    else:
        width = height / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _label_size(n: int) -> float:
    return 8.0 if n <= 30 else 6.5 if n <= 100 else 5.0 if n <= 300 else 4.0


def _draw_context(ax, data: SheetData, box: shapely.Polygon) -> None:
    """Roads, water and rail in view, each feature class in its line width."""
    for name, layer in data.context.items():
        style = STYLE[name]
        hits = layer.within(box)
        if not len(hits):
            continue
        geometry = shapely.clip_by_rect(layer.geometry[hits], *box.bounds)
        polygons = _rings(geometry)
        if "face" in style and polygons:
            ax.add_collection(PolyCollection(polygons, facecolors=style["face"],
                                             edgecolors="none", zorder=1))
        for kind in np.unique(layer.kind[hits]):
            chosen = geometry[layer.kind[hits] == kind]
            lines = _lines(chosen[shapely.get_type_id(chosen) != 3]) if name == "roads" else \
                _lines(chosen)
            if lines:
                ax.add_collection(LineCollection(
                    lines, colors=style["color"], zorder=2, capstyle="round",
                    linewidths=style["lw"].get(kind, style["default"]),
                    linestyles=style.get("dash", "solid")))
        _label_lines(ax, geometry, layer.name[hits], style["color"])


def _label_lines(ax, geometry: np.ndarray, names: np.ndarray, color: str) -> None:
    """Write each name once, along the longest visible piece carrying it."""
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
            picks.setdefault(names[named[i]], i)
    if not picks:
        return
    chosen = lines[list(picks.values())]
    a = shapely.line_interpolate_point(chosen, 0.45, normalized=True)
    b = shapely.line_interpolate_point(chosen, 0.55, normalized=True)
    (ax_, ay), (bx, by) = shapely.get_coordinates(a).T, shapely.get_coordinates(b).T
    angles = np.degrees(np.arctan2(by - ay, bx - ax_))
    angles = np.where(angles > 90, angles - 180, np.where(angles < -90, angles + 180, angles))
    for name, x, y, angle in zip(picks, (ax_ + bx) / 2, (ay + by) / 2, angles, strict=True):
        ax.text(x, y, str(name), fontsize=6.5, color=color, rotation=angle,
                rotation_mode="anchor", ha="center", va="center", zorder=6,
                bbox=HALO, parse_math=False, clip_on=True)


def _draw_neighbours(ax, data: SheetData, code: str, box: shapely.Polygon) -> None:
    near = data.neighbours(code, box)
    if not len(near):
        return
    style = STYLE["neighbour"]
    ax.add_collection(PolyCollection(_rings(near.geometry.values), facecolors=style["face"],
                                     edgecolors=style["edge"], linewidths=style["lw"],
                                     zorder=0))
    visible = shapely.intersection(near.geometry.values, box)
    points = shapely.point_on_surface(visible)
    same_parent = code[:12]
    for other, point in zip(near.index, points, strict=True):
        if point.is_empty:
            continue
        text = other[12:] if other.startswith(same_parent) else other
        ax.text(point.x, point.y, text, fontsize=7, color="#7a7a7a", ha="center",
                va="center", zorder=3, bbox=HALO, parse_math=False)


def _draw_buildings(ax, data: SheetData, plan: PagePlan, box: shapely.Polygon) -> None:
    others = np.setdiff1d(data.buildings_in(box), plan.rows, assume_unique=False)
    if len(others):
        style = STYLE["other_building"]
        ax.add_collection(PolyCollection(_rings(data.building_geometry[others]),
                                         facecolors=style["face"], edgecolors=style["edge"],
                                         linewidths=style["lw"], zorder=3))
    if not len(plan.rows):
        return
    style = STYLE["building"]
    geometry = data.building_geometry[plan.rows]
    ax.add_collection(PolyCollection(_rings(geometry), facecolors=style["face"],
                                     edgecolors=style["edge"], linewidths=style["lw"],
                                     zorder=4))
    points = data.building_point[plan.rows]
    is_point = shapely.get_type_id(geometry) == 0
    if is_point.any():
        ax.scatter(points[is_point, 0], points[is_point, 1], s=14, c=style["face"],
                   edgecolors=style["edge"], linewidths=0.5, zorder=4)
    size = _label_size(len(plan.rows))
    for number, (x, y) in enumerate(points, start=1):
        ax.text(x, y, str(number), fontsize=size, ha="center", va="center", zorder=7,
                parse_math=False, clip_on=True)


def _nice_length(width: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) near a quarter of ``width``."""
    target = width / 4
    power = 10 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def _decorate(ax, view: tuple[float, float, float, float]) -> None:
    """North arrow and scale bar."""
    length = _nice_length(view[1] - view[0])
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.add_artist(AnchoredSizeBar(ax.transData, length, label, loc="lower left", pad=0.4,
                                  borderpad=0.6, sep=3, frameon=True, size_vertical=0,
                                  fontproperties={"size": 7}))
    ax.annotate("N", xy=(0.955, 0.965), xytext=(0.955, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold", zorder=8,
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9,
                            "headlength": 10})
    ax.text(0.955, 0.83, LABELS["north"], transform=ax.transAxes, ha="center", va="top", fontsize=8,
            zorder=8)


LEGEND_FONT = 6.5  # points
LEGEND_TOP = 0.392  # figure fraction, below the map
#: Legend rows: (style key, symbol kind, label key).
LEGEND_ROWS = (
    (("area", "line", "boundary"), ("neighbour", "patch", "neighbour"),
     ("building", "patch", "building"), ("other_building", "patch", "other_building")),
    (("roads", "line", "road"), ("water", "line", "water"), ("rail", "line", "rail")),
)
_SYMBOL_CELLS = 5  # half-em cells left blank before each label for its symbol
_GAP_CELLS = 4


def _cells(text: str) -> int:
    """Width of ``text`` in half-em cells of a monospaced CJK font (CJK counts 2)."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _legend(fig) -> None:
    """The legend as one monospaced text and two collections of symbols.

    A matplotlib legend costs seven texts and a box layout per page; in a
    monospaced face the symbol positions follow from character counts.
    """
    cell = LEGEND_FONT / 2 / 72 / A4_INCHES[0]  # half an em, in figure width
    row_height = LEGEND_FONT * 1.6 / 72 / A4_INCHES[1]
    lines, segments, colors, widths, patches, faces, edges = [], [], [], [], [], [], []
    for row, items in enumerate(LEGEND_ROWS):
        text, y = "", LEGEND_TOP - (row + 0.5) * row_height
        for style_key, kind, label_key in items:
            x0 = 0.06 + _cells(text) * cell
            x1 = x0 + (_SYMBOL_CELLS - 1) * cell
            style = STYLE[style_key]
            if kind == "line":
                segments.append([(x0, y), (x1, y)])
                colors.append(style["color"])
                widths.append(style.get("lw") if isinstance(style.get("lw"), float) else 1.6)
            else:
                half = row_height * 0.3
                patches.append([(x0, y - half), (x1, y - half), (x1, y + half), (x0, y + half)])
                faces.append(style["face"])
                edges.append(style["edge"])
            text += " " * _SYMBOL_CELLS + LABELS[label_key] + " " * _GAP_CELLS
        lines.append(text.rstrip())
    fig.add_artist(LineCollection(segments, colors=colors, linewidths=widths,
                                  transform=fig.transFigure))
    fig.add_artist(PolyCollection(patches, facecolors=faces, edgecolors=edges, linewidths=0.6,
                                  transform=fig.transFigure))
    fig.text(0.06, LEGEND_TOP, "\n".join(lines), family=MONO_FAMILY, fontsize=LEGEND_FONT,
             va="top", ha="left", linespacing=1.6)


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.0f}"


def _title(fig, data: SheetData, code: str, page: int, pages: int) -> None:
    row = data.small.loc[code]
    fig.text(0.06, 0.968, f"{LABELS['title']} {code}", fontsize=15, fontweight="bold",
             va="baseline", parse_math=False)
    fig.text(0.06, 0.946, f"{row.get('township_name') or ''} ({row['township_code']})  ·  "
             f"{row.get('census_area_name') or ''} ({row['census_area_code']})",
             fontsize=10, va="baseline", parse_math=False)
    fig.text(0.94, 0.968, f"{LABELS['date']} {data.made_on}", fontsize=7, ha="right", va="baseline")
    fig.text(0.94, 0.952, LABELS["page"].format(page=page, pages=pages), fontsize=7,
             ha="right", va="baseline")
    fig.text(0.94, 0.012, f"eapart {data.version}", fontsize=5.5, ha="right", color="#777777")
    fig.text(0.06, 0.012, LABELS["signature"],
             fontsize=6.5, color="#333333")


def _totals(fig, data: SheetData, plan: PagePlan) -> None:
    row = data.small.loc[plan.code]
    households = row.get("households", data.building_households[plan.rows].sum())
    persons = row.get("persons")
    buildings = row.get("buildings", len(plan.rows))
    fig.text(0.06, 0.350,
             LABELS["totals"].format(households=_number(households), persons=_number(persons),
                                 buildings=_number(buildings)),
             fontsize=9, fontweight="bold", va="baseline", parse_math=False)
    flags = row.get("flags", "")
    if isinstance(flags, str) and flags:
        fig.text(0.94, 0.350, f"{LABELS['flags']} {flags}", fontsize=7, color="#c0392b",
                 ha="right", va="baseline", parse_math=False)


def _table_rows(numbers: np.ndarray, ids: np.ndarray, households: np.ndarray) -> str:
    """One fixed-width line per building: number, id (shortened), households."""
    return "\n".join(
        f"{n:>4} {_short_id(i):<{MAX_ID_CHARS}} {_number(h):>5}"
        for n, i, h in zip(numbers, ids, households, strict=True)
    )


def _short_id(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_ID_CHARS else text[:MAX_ID_CHARS - 1] + "…"


def _table(fig, data: SheetData, rows: np.ndarray, first: int, top: float) -> None:
    """Building number / id / households in column groups.

    Each group is one multi-line text in the monospaced face (a line per
    building), so a building costs one line of text to draw, not three.
    """
    per_group = table_capacity(top) // TABLE_GROUPS
    width = 0.88 / TABLE_GROUPS
    numbers = np.arange(first, first + len(rows))
    ids = data.building_id[rows]
    households = data.building_households[rows]
    for group in range(TABLE_GROUPS):
        chunk = slice(group * per_group, (group + 1) * per_group)
        if not len(numbers[chunk]):
            break
        left = 0.06 + group * width
        for x, label, align in ((left + 0.028, LABELS["number"], "right"),
                                (left + 0.033, LABELS["id"], "left"),
                                (left + 0.131, LABELS["households"], "right")):
            fig.text(x, top, label, fontsize=TABLE_FONT, ha=align, va="top")
        fig.text(left, top - LINE_HEIGHT, _table_rows(numbers[chunk], ids[chunk],
                                                       households[chunk]),
                 fontsize=TABLE_FONT, family=MONO_FAMILY, ha="left", va="top",
                 linespacing=1.25, parse_math=False)


def _focus(area: shapely.Geometry, buildings: np.ndarray) -> shapely.Geometry:
    """What the map frames: the area, or only its buildings when they are a small cluster.

    Rural small areas hold farmland around one hamlet: framed on the whole area,
    the hamlet's numbers would pile up unreadably. When the buildings span less
    than :data:`FOCUS_SHARE` of the area, the map frames them (an overview
    inset then shows the whole boundary).
    """
    if not len(buildings):
        return area
    minx, miny, maxx, maxy = shapely.total_bounds(buildings)
    ax0, ay0, ax1, ay1 = area.bounds
    span = max(maxx - minx, maxy - miny, FOCUS_MIN_METRES)
    if span >= FOCUS_SHARE * max(ax1 - ax0, ay1 - ay0):
        return area
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return shapely.box(cx - span / 2, cy - span / 2, cx + span / 2, cy + span / 2)


def _overview(fig, area: shapely.Geometry, box: shapely.Polygon) -> None:
    """A small map of the whole area with the framed part outlined, top left of the map."""
    left, bottom, width, height = MAP_BOX
    inset = fig.add_axes((left + 0.008, bottom + height * 0.74, width * 0.24, height * 0.25))
    inset.add_collection(LineCollection(_lines(np.array([area])), colors=STYLE["area"]["color"],
                                        linewidths=1.0))
    inset.add_collection(LineCollection(_lines(np.array([box])), colors="black",
                                        linewidths=0.8))
    minx, miny, maxx, maxy = shapely.union(area, box).bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    inset.set_xlim(minx - pad, maxx + pad)
    inset.set_ylim(miny - pad, maxy + pad)
    inset.set_aspect("equal", adjustable="box", anchor="NW")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.text(0.03, 0.97, LABELS["overview"], transform=inset.transAxes, fontsize=6, va="top")


def draw_map_page(fig: Figure, data: SheetData, plan: PagePlan, pages: int) -> int:
    """Draw the map page of ``plan`` into ``fig``; return how many buildings its table holds."""
    code = plan.code
    area = data.small.geometry.loc[code]
    ax = fig.add_axes(MAP_BOX)
    aspect = (MAP_BOX[3] * A4_INCHES[1]) / (MAP_BOX[2] * A4_INCHES[0])
    focus = _focus(area, data.building_geometry[plan.rows])
    view = _view(focus, aspect)
    box = shapely.box(view[0], view[2], view[1], view[3])
    _draw_neighbours(ax, data, code, box)
    _draw_context(ax, data, box)
    _draw_buildings(ax, data, plan, box)
    ax.add_collection(LineCollection(_lines(np.array([area])), colors=STYLE["area"]["color"],
                                     linewidths=STYLE["area"]["lw"], zorder=5))
    ax.set_xlim(view[0], view[1])
    ax.set_ylim(view[2], view[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    _decorate(ax, view)
    if focus is not area:
        _overview(fig, area, box)
    _title(fig, data, code, 1, pages)
    _totals(fig, data, plan)
    _legend(fig)
    held = min(len(plan.rows), table_capacity(TABLE_TOP_FIRST))
    _table(fig, data, plan.rows[:held], 1, TABLE_TOP_FIRST)
    return held


def draw_table_page(fig: Figure, data: SheetData, plan: PagePlan, start: int, page: int,
                    pages: int) -> int:
    """Draw a continuation page of the building table from position ``start``."""
    _title(fig, data, plan.code, page, pages)
    fig.text(0.06, 0.925, LABELS["continued"], fontsize=9,
             va="baseline")
    held = min(len(plan.rows) - start, table_capacity(TABLE_TOP_NEXT))
    _table(fig, data, plan.rows[start:start + held], start + 1, TABLE_TOP_NEXT)
    return held
