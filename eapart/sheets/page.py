"""Lay out one A4 enumerator sheet (and its table continuations) on a canvas.

A page holds: the title (township, census area and small area, names and
codes), the map (see :mod:`eapart.sheets.map`: boundary, neighbours with
their codes, every building numbered in serpentine walking order, roads,
water and rail with their names, north arrow, scale bar), a legend, the
totals to reconcile against (households, persons, buildings), flags, and a
table of building number, id and households, continued on further pages when
long. Positions are given as shares of the page, as a printed form would be.

Text from the data is written glyph by glyph from the font, never
interpreted: a ``$`` or ``<script>`` in a name prints as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eapart.domain.codes import serpentine_order
from eapart.sheets.canvas import Canvas, rgb
from eapart.sheets.data import SheetData
from eapart.sheets.map import STYLE, draw_map
from eapart.sheets.pdf import PAGE_SIZE, PdfFont

PAGE_W, PAGE_H = PAGE_SIZE
MAP_BOX = (0.06, 0.40, 0.88, 0.515)  # left, bottom, width, height (page fraction)
TABLE_TOP_FIRST, TABLE_TOP_NEXT, TABLE_BOTTOM = 0.333, 0.90, 0.03
TABLE_GROUPS = 5  # column groups (number, id, households) across the page
TABLE_FONT = 6.5  # points
TABLE_LEADING = TABLE_FONT * 1.25  # points between table rows
LINE_HEIGHT = TABLE_LEADING / PAGE_H  # page fraction per table row
MAX_ID_CHARS = 16

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


LEGEND_FONT = 6.5  # points
LEGEND_LEADING = LEGEND_FONT * 1.6
LEGEND_TOP = 0.392  # page fraction, below the map
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


def _legend(canvas: Canvas, fonts: SheetFonts) -> None:
    """The legend as one monospaced text block with its symbols placed by character count."""
    cell = LEGEND_FONT / 2
    top = LEGEND_TOP * PAGE_H
    lines = []
    for row, items in enumerate(LEGEND_ROWS):
        text = ""
        y = top - fonts.mono.ascent * LEGEND_FONT - row * LEGEND_LEADING + 0.33 * LEGEND_FONT
        for style_key, kind, label_key in items:
            x0 = 0.06 * PAGE_W + _cells(text) * cell
            x1 = x0 + (_SYMBOL_CELLS - 1) * cell
            style = STYLE[style_key]
            if kind == "line":
                width = style["lw"] if isinstance(style["lw"], float) else 1.6
                canvas.raw(f"q 1 J {rgb(style['color'])} RG {width:.2f} w "
                           f"{x0:.2f} {y:.2f} m {x1:.2f} {y:.2f} l S Q")
            else:
                half = LEGEND_LEADING * 0.3
                canvas.rect(x0, y - half, x1 - x0, 2 * half, fill=style["face"],
                            stroke=style["edge"], lw=0.6)
            text += " " * _SYMBOL_CELLS + LABELS[label_key] + " " * _GAP_CELLS
        lines.append(text.rstrip())
    canvas.text_block(0.06 * PAGE_W, top, lines, fonts.mono, LEGEND_FONT, LEGEND_LEADING)


def _number(value) -> str:
    """A count as printed: whole numbers as such, fractions given in the data kept."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0")


def _text(value) -> str:
    """A name from the data as printable text (missing names print as nothing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _title(canvas: Canvas, fonts: SheetFonts, data: SheetData, code: str, page: int,
           pages: int) -> None:
    row = data.records[code]
    left, right = 0.06 * PAGE_W, 0.94 * PAGE_W
    canvas.text(left, 0.968 * PAGE_H, f"{LABELS['title']} {code}", fonts.bold, 15)
    canvas.text(left, 0.946 * PAGE_H,
                f"{_text(row.get('township_name'))} ({row['township_code']})  ·  "
                f"{_text(row.get('census_area_name'))} ({row['census_area_code']})",
                fonts.regular, 10)
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
    text = LABELS["totals"].format(households=_number(households),
                                   persons=_number(row.get("persons")),
                                   buildings=_number(row.get("buildings", len(plan.rows))))
    canvas.text(0.06 * PAGE_W, 0.350 * PAGE_H, text, fonts.bold, 9)
    flags = row.get("flags", "")
    if isinstance(flags, str) and flags:
        canvas.text(0.94 * PAGE_W, 0.350 * PAGE_H, f"{LABELS['flags']} {flags}",
                    fonts.regular, 7, colour="#c0392b", ha="right")


def _table_rows(numbers: np.ndarray, ids: np.ndarray, households: np.ndarray) -> list[str]:
    """One fixed-width line per building: number, id (shortened), households."""
    return [f"{n:>4} {_short_id(i):<{MAX_ID_CHARS}} {_number(h):>5}"
            for n, i, h in zip(numbers, ids, households, strict=True)]


def _short_id(value) -> str:
    text = str(value)
    return text if len(text) <= MAX_ID_CHARS else text[:MAX_ID_CHARS - 1] + "…"


def _table(canvas: Canvas, fonts: SheetFonts, data: SheetData, rows: np.ndarray, first: int,
           top: float) -> None:
    """Building number / id / households in column groups, a monospaced text block each."""
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
            canvas.text(x * PAGE_W, top * PAGE_H, label, fonts.regular, TABLE_FONT, ha=align,
                        va="top")
        canvas.text_block(left * PAGE_W, top * PAGE_H - TABLE_LEADING,
                          _table_rows(numbers[chunk], ids[chunk], households[chunk]),
                          fonts.mono, TABLE_FONT, TABLE_LEADING)


def draw_map_page(canvas: Canvas, fonts: SheetFonts, data: SheetData, plan: PagePlan,
                  pages: int) -> int:
    """Draw the map page of ``plan``; return how many buildings its table holds."""
    rect = (MAP_BOX[0] * PAGE_W, MAP_BOX[1] * PAGE_H, MAP_BOX[2] * PAGE_W, MAP_BOX[3] * PAGE_H)
    draw_map(canvas, fonts, data, plan.code, plan.rows, rect, LABELS)
    _title(canvas, fonts, data, plan.code, 1, pages)
    _totals(canvas, fonts, data, plan)
    _legend(canvas, fonts)
    held = min(len(plan.rows), table_capacity(TABLE_TOP_FIRST))
    _table(canvas, fonts, data, plan.rows[:held], 1, TABLE_TOP_FIRST)
    return held


def draw_table_page(canvas: Canvas, fonts: SheetFonts, data: SheetData, plan: PagePlan,
                    start: int, page: int, pages: int) -> int:
    """Draw a continuation page of the building table from position ``start``."""
    _title(canvas, fonts, data, plan.code, page, pages)
    canvas.text(0.06 * PAGE_W, 0.925 * PAGE_H, LABELS["continued"], fonts.regular, 9)
    held = min(len(plan.rows) - start, table_capacity(TABLE_TOP_NEXT))
    _table(canvas, fonts, data, plan.rows[start:start + held], start + 1, TABLE_TOP_NEXT)
    return held
