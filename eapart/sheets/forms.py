"""The listing forms that go with a small area's map: building list and household register.

In census practice the small-area map is reconciled, building by building,
with a building list (建筑物清单) and a household register (户主姓名底册, the
摸底表) on which the enumerator writes each household found. Both are A4
portrait with a 35 mm binding margin on the left and the title
``XX县XX乡XX普查区 第XX普查小区``.

- The building list has one ruled row per building in walking order (the
  numbers on the map): number, id, name, type, storeys, estimated
  households, and blank columns for the housing units and households found,
  with totals on the last page.
- The register is pre-numbered 001, 002, ...: as many rows as the estimate
  plus room to spare (a fifth, at least :data:`SPARE_MIN`), rounded up to
  whole pages, and never more than :data:`MAX_FORMS` (one small area holds at
  most 999 forms). Rows of the estimate carry their building's number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eapart.domain.schema import SMALL_AREA_CODE
from eapart.sheets.canvas import Canvas
from eapart.sheets.pdf import PAGE_SIZE
from eapart.sheets.printed import printed_count, printed_text

PAGE_W, PAGE_H = PAGE_SIZE
MM = 72 / 25.4  # points per millimetre
BINDING_MARGIN = 35 * MM
RIGHT_MARGIN = 10 * MM
TABLE_TOP = PAGE_H - 34 * MM
TABLE_BOTTOM = 18 * MM
HEADER_HEIGHT = 10 * MM
LIST_ROW = 6.5 * MM
REGISTER_ROW = 8 * MM
MAX_FORMS = 999
SPARE_SHARE = 0.2
SPARE_MIN = 10
CELL_PAD = 1.5  # points inside a cell's left and right rule
TEXT_SIZE = 8.0
TITLE_SIZE, TITLE_SIZE_MIN = 13.0, 8.0

#: The fixed wording of both forms.
WORDS: dict[str, str] = {
    "list": "建筑物清单 building list",
    "register": "户主姓名底册（摸底表） household register",
    "code": "普查小区 {code}",
    "page": "第 {page} / {pages} 页",
    "date": "制表日期 {date}",
    "totals": "合计",
    "buildings": "{count} 栋 buildings (totals)",
    "signature": "普查员 enumerator ____________    复核 checked ____________    "
                 "日期 date ________",
    "county": "县",
    "township": "乡",
    "census_area": "普查区",
    "small_area": "第{number}普查小区",
    "full": "已满 999 表：另起一册 register full at 999 forms",
}


@dataclass(frozen=True)
class Column:
    """One column of a ruled form: heading (Chinese, English), width and alignment."""

    title: str
    english: str
    width_mm: float
    align: str = "left"


LIST_COLUMNS = (
    Column("编号", "no.", 12, "right"),
    Column("建筑物编码", "id", 30),
    Column("名称", "name", 35),
    Column("类型", "type", 22),
    Column("层数", "storeys", 12, "right"),
    Column("估计户数", "estimated", 16, "right"),
    Column("住房单元数", "housing units", 19),
    Column("实有户数", "households", 19),
)
REGISTER_COLUMNS = (
    Column("建筑物编号", "building no.", 20, "right"),
    Column("门牌/单元号", "door / unit", 30),
    Column("户序号", "household no.", 18, "right"),
    Column("户主姓名", "head of household", 40),
    Column("人数", "persons", 15, "right"),
    Column("备注", "remarks", 42),
)
#: Every fixed character of the forms, for the font subset.
FORM_TEXT = ("".join(WORDS.values()) + "".join(c.title + c.english for c in LIST_COLUMNS)
             + "".join(c.title + c.english for c in REGISTER_COLUMNS) + "镇街道苏木区市旗村")

TOWNSHIP_ENDINGS = ("乡", "镇", "街道", "苏木", "民族乡")
COUNTY_ENDINGS = ("县", "区", "市", "旗")


def _named(name: str | None, code: str, endings: tuple[str, ...], suffix: str) -> str:
    """``name`` with its kind (县, 乡, ...) unless it already ends in one; the code when
    the name is unknown."""
    text = str(name).strip() if name is not None and str(name).strip() else code
    return text if text.endswith(endings) else text + suffix


def form_title(record: dict, county_name: str | None = None) -> str:
    """``XX县XX乡XX普查区 第XX普查小区`` for a small area's record (names where known)."""
    code = str(record[SMALL_AREA_CODE])
    census = record.get("census_area_name")
    census = census if isinstance(census, str) and census.strip() else code[:12]
    census = census if census.endswith(WORDS["census_area"]) else census + WORDS["census_area"]
    township = record.get("township_name")
    township = township if isinstance(township, str) else None
    return (_named(county_name, code[:6], COUNTY_ENDINGS, WORDS["county"])
            + _named(township, code[:9], TOWNSHIP_ENDINGS, WORDS["township"])
            + census + " " + WORDS["small_area"].format(number=code[12:]))


def rows_per_page(row_height: float) -> int:
    """Ruled rows that fit on one form page."""
    return int((TABLE_TOP - HEADER_HEIGHT - TABLE_BOTTOM) // row_height)


def list_pages(buildings: int) -> int:
    """Pages of the building list (its last row is the totals)."""
    return max(1, math.ceil((buildings + 1) / rows_per_page(LIST_ROW)))


def register_size(households: np.ndarray) -> tuple[int, bool]:
    """Pre-numbered register rows for the estimated ``households`` of each building, and
    whether the estimate reaches :data:`MAX_FORMS`."""
    estimate = int(np.rint(np.nan_to_num(np.asarray(households, float))).clip(0).sum())
    wanted = estimate + max(SPARE_MIN, math.ceil(SPARE_SHARE * estimate))
    per_page = rows_per_page(REGISTER_ROW)
    rows = min(MAX_FORMS, math.ceil(wanted / per_page) * per_page)
    return rows, estimate >= MAX_FORMS


def register_pages(households: np.ndarray) -> int:
    """Pages of the household register."""
    return math.ceil(register_size(households)[0] / rows_per_page(REGISTER_ROW))


def _fit(font, text: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to ``width`` points."""
    if font.width(text, size) <= width:
        return text
    while text and font.width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def heading(canvas: Canvas, fonts, title: str, form: str, code: str, page: int, pages: int,
             made_on: str) -> None:
    left, right = BINDING_MARGIN, PAGE_W - RIGHT_MARGIN
    middle = (left + right) / 2
    size = TITLE_SIZE
    while size > TITLE_SIZE_MIN and fonts.bold.width(title, size) > right - left:
        size -= 0.5  # a long name: a smaller title, never over the binding margin
    title = _fit(fonts.bold, title, size, right - left)
    canvas.text(middle, PAGE_H - 14 * MM, title, fonts.bold, size, ha="center")
    canvas.text(middle, PAGE_H - 22 * MM, form, fonts.bold, 12, ha="center")
    canvas.text(left, PAGE_H - 29 * MM, WORDS["code"].format(code=code), fonts.regular, 8)
    canvas.text(right, PAGE_H - 29 * MM,
                WORDS["date"].format(date=made_on) + "    "
                + WORDS["page"].format(page=page, pages=pages), fonts.regular, 8, ha="right")
    canvas.text(left, 9 * MM, WORDS["signature"], fonts.regular, 7.5, colour="#333333")


def ruled_table(canvas: Canvas, fonts, columns: tuple[Column, ...], cells: list[list[str]],
           row_height: float, rows: int) -> None:
    """A ruled table of ``rows`` rows under its heading, filled from ``cells``."""
    edges = BINDING_MARGIN + np.cumsum([0.0] + [c.width_mm * MM for c in columns])
    top = TABLE_TOP
    bottom = top - HEADER_HEIGHT - rows * row_height
    ys = np.r_[top, top - HEADER_HEIGHT - np.arange(rows + 1) * row_height]
    horizontal = np.array([[(edges[0], y), (edges[-1], y)] for y in ys]).reshape(-1, 2)
    vertical = np.array([[(x, top), (x, bottom)] for x in edges]).reshape(-1, 2)
    lines = np.vstack([horizontal, vertical])
    parts = np.repeat(np.arange(len(lines) // 2), 2)
    canvas.paths(lines, parts, close=False, stroke="#000000", lw=0.5)
    for i, column in enumerate(columns):
        centre = (edges[i] + edges[i + 1]) / 2
        canvas.text(centre, top - 0.38 * HEADER_HEIGHT, column.title, fonts.bold, 8,
                    ha="center", va="center")
        english = _fit(fonts.regular, column.english, 6, edges[i + 1] - edges[i] - 2)
        canvas.text(centre, top - 0.75 * HEADER_HEIGHT, english, fonts.regular, 6,
                    ha="center", va="center", colour="#444444")
    for i, column in enumerate(columns):
        room = edges[i + 1] - edges[i] - 2 * CELL_PAD
        filled = [(r, row[i]) for r, row in enumerate(cells) if row[i]]
        if not filled:
            continue
        x = edges[i + 1] - CELL_PAD if column.align == "right" else edges[i] + CELL_PAD
        ys = top - HEADER_HEIGHT - (np.array([r for r, _ in filled]) + 0.5) * row_height
        canvas.texts(np.full(len(filled), x), ys,
                     [_fit(fonts.regular, text, TEXT_SIZE, room) for _, text in filled],
                     fonts.regular, TEXT_SIZE, ha=column.align, va="center")


def building_list_rows(data, rows: np.ndarray) -> list[list[str]]:
    """The building list's cells: one row per building in walking order, then totals."""
    cells = [[str(k), printed_text(data.building_id[r]), printed_text(data.building_name[r]),
              printed_text(data.building_type[r]), printed_count(data.building_floors[r]),
              printed_count(data.building_households[r]), "", ""]
             for k, r in enumerate(rows, start=1)]
    cells.append([WORDS["totals"], WORDS["buildings"].format(count=len(rows)), "", "", "",
                  printed_count(float(np.nansum(data.building_households[rows]))), "", ""])
    return cells


def register_rows(households: np.ndarray) -> list[list[str]]:
    """The register's cells: household numbers 001..., the estimate's rows carrying their
    building's walking-order number, the spare rows blank."""
    size, _ = register_size(households)
    owners = np.repeat(np.arange(1, len(households) + 1),
                       np.rint(np.nan_to_num(np.asarray(households, float))).clip(0)
                       .astype(np.int64))[:size]
    buildings = [str(b) for b in owners] + [""] * (size - len(owners))
    return [[building, "", f"{n:03d}", "", "", ""]
            for n, building in enumerate(buildings, start=1)]


def draw_building_list(pdf, fonts, data, title: str, code: str, rows: np.ndarray,
                       first_page: int, pages: int) -> int:
    """Add the building list pages of one small area to ``pdf``; return how many."""
    cells = building_list_rows(data, rows)
    per_page = rows_per_page(LIST_ROW)
    count = list_pages(len(rows))
    for i in range(count):
        canvas = Canvas()
        heading(canvas, fonts, title, WORDS["list"], code, first_page + i, pages, data.made_on)
        ruled_table(canvas, fonts, LIST_COLUMNS, cells[i * per_page:(i + 1) * per_page], LIST_ROW,
               per_page)
        pdf.add_page(canvas.content())
    return count


def draw_register(pdf, fonts, data, title: str, code: str, rows: np.ndarray,
                  first_page: int, pages: int) -> int:
    """Add the household register pages of one small area to ``pdf``; return how many."""
    households = data.building_households[rows]
    cells = register_rows(households)
    full = register_size(households)[1]
    per_page = rows_per_page(REGISTER_ROW)
    count = register_pages(households)
    for i in range(count):
        canvas = Canvas()
        heading(canvas, fonts, title, WORDS["register"], code, first_page + i, pages,
                 data.made_on)
        chunk = cells[i * per_page:(i + 1) * per_page]
        ruled_table(canvas, fonts, REGISTER_COLUMNS, chunk, REGISTER_ROW, len(chunk))
        if full and i == count - 1:
            canvas.text(BINDING_MARGIN, TABLE_BOTTOM - 4 * MM, WORDS["full"], fonts.regular, 8,
                        colour="#c0392b")
        pdf.add_page(canvas.content())
    return count
