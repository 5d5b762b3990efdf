"""Lay out one small area's map pages: the whole area, then detail maps where needed.

The first page holds the title (township, census area and small area, names
and codes), the map of the whole area (see :mod:`eapart.sheets.map`:
boundary, neighbours with their codes, every building numbered in walking
order along a faint route, roads, water and rail with their names, north
arrow, scale bar), a legend, the totals to reconcile against and the flags.
Where the numbers of a cluster cannot all be placed at the area's scale,
:mod:`eapart.sheets.layout` boxes the cluster on that map and gives it a detail
page (A, B, ...) at a scale where they can. The building list and household
register follow (:mod:`eapart.sheets.forms`). Positions are shares of the page.

Text from the data is written glyph by glyph from the font, never
interpreted: a ``$`` or ``<script>`` in a name prints as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eapart.partition.walk import walk_order
from eapart.sheets.canvas import Canvas, rgb
from eapart.sheets.data import SheetData
from eapart.sheets.forms import FORM_TEXT
from eapart.sheets.index import INDEX_TEXT
from eapart.sheets.layout import MapLayout, View, layout_map, number_labels
from eapart.sheets.map import STYLE, draw_map, obstacles
from eapart.sheets.pdf import PAGE_SIZE, PdfFont
from eapart.sheets.printed import printed_count, printed_text

PAGE_W, PAGE_H = PAGE_SIZE
MAP_BOX = (0.06, 0.135, 0.88, 0.79)  # left, bottom, width, height (page fraction)
DETAIL_BOX = (0.06, 0.05, 0.88, 0.875)

#: Every fixed wording of a map page, in one place (and the characters the font subset needs).
LABELS: dict[str, str] = {
    "title": "普查小区",
    "date": "制图日期",
    "page": "第 {page} / {pages} 页",
    "signature": "普查员 enumerator ____________    复核 checked ____________",
    "totals": "核对合计 totals:  户数 households {households}   人数 persons {persons}   "
              "建筑 buildings {buildings}",
    "flags": "标记 flags:",
    "north": "北",
    "overview": "全图 overview",
    "detail": "详图 {letter} detail {letter}",
    "details": "详图 details: {pages}",
    "detail_page": "{letter} 第 {page} 页",
    "illegible": "无法清晰标注 not legible: {numbers}",
    "boundary": "本小区界 boundary",
    "neighbour": "相邻小区 neighbour",
    "building": "建筑及编号 building no.",
    "other_building": "其他建筑 other building",
    "road": "道路 road",
    "water": "水系 water",
    "rail": "铁路 rail",
    "route": "走访路线 route",
}
#: Characters drawn besides the data's own text.
FIXED_TEXT = ("".join(LABELS.values()) + FORM_TEXT + INDEX_TEXT
              + "".join(map(chr, range(0x20, 0x7F))) + "—…·（）")


@dataclass(frozen=True)
class SheetFonts:
    """The three faces a sheet uses: regular text, bold headings, monospaced tables."""

    regular: PdfFont
    bold: PdfFont
    mono: PdfFont

    def all(self) -> list[PdfFont]:
        """The faces in resource order, as a :class:`~eapart.sheets.pdf.PdfDocument` takes
        them."""
        return [self.regular, self.bold, self.mono]


@dataclass
class PagePlan:
    """What one small area's sheet shows: its buildings in walking order, and its maps."""

    code: str
    rows: np.ndarray  # building positions, in walking order
    layout: MapLayout | None = None

    @property
    def map_pages(self) -> int:
        """Pages of maps: the whole area and one per detail window."""
        return len(self.layout.views) if self.layout is not None else 1


def walking_order(data: SheetData, code: str) -> PagePlan:
    """The small area's buildings in walking order: the buildings layer's ``walk_number``
    when the output has it, else the route of :func:`eapart.partition.walk.walk_order`."""
    rows = data.buildings_of(code)
    if data.building_walk is not None and len(rows):
        numbers = data.building_walk[rows]
        if (numbers > 0).all():
            return PagePlan(code=code, rows=rows[np.lexsort((rows, numbers))])
    area = data.small_geometry[data.small_position[code]]
    order = walk_order(data.building_point[rows], area, data.lines_in(area))
    return PagePlan(code=code, rows=rows[order])


def map_rect(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A page-fraction box in points."""
    return (box[0] * PAGE_W, box[1] * PAGE_H, box[2] * PAGE_W, box[3] * PAGE_H)


def plan_maps(data: SheetData, fonts: SheetFonts, plan: PagePlan) -> PagePlan:
    """Decide the maps of ``plan`` (see :func:`eapart.sheets.layout.layout_map`)."""
    area = data.small_geometry[data.small_position[plan.code]]
    labels = number_labels(fonts.regular, len(plan.rows))
    plan.layout = layout_map(data.building_point[plan.rows], area, map_rect(MAP_BOX),
                             map_rect(DETAIL_BOX), labels, obstacles(fonts))
    return plan


LEGEND_FONT = 6.5  # points
LEGEND_LEADING = LEGEND_FONT * 1.6
LEGEND_TOP = 0.127  # page fraction, below the map
#: Legend rows: (style key, symbol kind, label key).
LEGEND_ROWS = (
    (("area", "line", "boundary"), ("neighbour", "patch", "neighbour"),
     ("building", "patch", "building"), ("other_building", "patch", "other_building")),
    (("roads", "line", "road"), ("water", "line", "water"), ("rail", "line", "rail"),
     ("route", "line", "route")),
)
LEGEND_SYMBOL = 16.0  # points of symbol before each legend label
LEGEND_GAP = 12.0  # points after each label


def _legend(canvas: Canvas, fonts: SheetFonts) -> None:
    """The legend: rows of a symbol and its label, placed by the labels' widths."""
    font = fonts.regular
    top = LEGEND_TOP * PAGE_H
    for row, items in enumerate(LEGEND_ROWS):
        y = top - row * LEGEND_LEADING - font.ascent * LEGEND_FONT / 2
        x0 = 0.06 * PAGE_W
        for style_key, kind, label_key in items:
            x1 = x0 + LEGEND_SYMBOL - 3
            style = STYLE[style_key]
            if kind == "line":
                width = style["lw"] if isinstance(style["lw"], float) else 1.6
                dash = " [{} {}] 0 d".format(*style["dash"]) if "dash" in style else ""
                canvas.raw(f"q 1 J {rgb(style['color'])} RG {width:.2f} w{dash} "
                           f"{x0:.2f} {y:.2f} m {x1:.2f} {y:.2f} l S Q")
            else:
                half = LEGEND_LEADING * 0.3
                canvas.rect(x0, y - half, x1 - x0, 2 * half, fill=style["face"],
                            stroke=style["edge"], lw=0.6)
            label = LABELS[label_key]
            canvas.text(x0 + LEGEND_SYMBOL, y, label, font, LEGEND_FONT, va="center")
            x0 += LEGEND_SYMBOL + font.width(label, LEGEND_FONT) + LEGEND_GAP


def _title(canvas: Canvas, fonts: SheetFonts, data: SheetData, code: str, page: int,
           pages: int) -> None:
    row = data.records[code]
    left, right = 0.06 * PAGE_W, 0.94 * PAGE_W
    canvas.text(left, 0.968 * PAGE_H, f"{LABELS['title']} {code}", fonts.bold, 15)
    canvas.text(left, 0.946 * PAGE_H,
                f"{printed_text(row.get('township_name'))} ({row['township_code']})  ·  "
                f"{printed_text(row.get('census_area_name'))} ({row['census_area_code']})",
                fonts.regular, 10)
    if code in data.crew:
        canvas.text(left, 0.929 * PAGE_H, data.crew[code], fonts.regular, 8)
    canvas.text(right, 0.968 * PAGE_H, f"{LABELS['date']} {data.made_on}", fonts.regular, 7,
                ha="right")
    canvas.text(right, 0.952 * PAGE_H, LABELS["page"].format(page=page, pages=pages),
                fonts.regular, 7, ha="right")
    canvas.text(right, 0.012 * PAGE_H, f"eapart {data.version}", fonts.regular, 5.5,
                ha="right", colour="#777777")
    canvas.text(left, 0.012 * PAGE_H, LABELS["signature"], fonts.regular, 6.5,
                colour="#333333")


def _totals(canvas: Canvas, fonts: SheetFonts, data: SheetData, plan: PagePlan) -> None:
    row = data.records[plan.code]
    households = row.get("households", data.building_households[plan.rows].sum())
    text = LABELS["totals"].format(households=printed_count(households, "—"),
                                   persons=printed_count(row.get("persons"), "—"),
                                   buildings=printed_count(
                                       row.get("buildings", len(plan.rows)), "—"))
    canvas.text(0.06 * PAGE_W, 0.075 * PAGE_H, text, fonts.bold, 9)
    flags = row.get("flags", "")
    if isinstance(flags, str) and flags:
        canvas.text(0.94 * PAGE_W, 0.075 * PAGE_H, f"{LABELS['flags']} {flags}",
                    fonts.regular, 7, colour="#c0392b", ha="right")


def draw_map_page(canvas: Canvas, fonts: SheetFonts, data: SheetData, plan: PagePlan,
                  pages: int, first_page: int = 1) -> None:
    """Draw the first map page of ``plan`` (the whole area), page ``first_page`` of
    ``pages``; its detail maps are the pages that follow."""
    layout = plan.layout
    view = layout.views[0]
    size = number_labels(fonts.regular, len(plan.rows)).size
    draw_map(canvas, fonts, data, plan.code, plan.rows, view, size, LABELS)
    _title(canvas, fonts, data, plan.code, first_page, pages)
    _totals(canvas, fonts, data, plan)
    _legend(canvas, fonts)
    notes = []
    if len(layout.views) > 1:
        notes.append(LABELS["details"].format(pages="  ".join(
            LABELS["detail_page"].format(letter=v.letter, page=first_page + i)
            for i, v in enumerate(layout.views[1:], start=1))))
    if len(layout.unlabelled):
        notes.append(LABELS["illegible"].format(
            numbers=", ".join(str(k + 1) for k in layout.unlabelled[:40])))
    for i, note in enumerate(notes):
        canvas.text(0.06 * PAGE_W, (0.052 - 0.016 * i) * PAGE_H, note, fonts.regular, 7.5,
                    colour="#c0392b" if note.startswith(LABELS["illegible"][:4]) else "#000000")


def draw_detail_page(canvas: Canvas, fonts: SheetFonts, data: SheetData, plan: PagePlan,
                     view: View, page: int, pages: int) -> None:
    """Draw detail map ``view`` of ``plan`` as page ``page`` of ``pages``."""
    size = number_labels(fonts.regular, len(plan.rows)).size
    draw_map(canvas, fonts, data, plan.code, plan.rows, view, size, LABELS)
    _title(canvas, fonts, data, plan.code, page, pages)
    canvas.text(0.94 * PAGE_W, 0.932 * PAGE_H, LABELS["detail"].format(letter=view.letter),
                fonts.bold, 11, ha="right")
