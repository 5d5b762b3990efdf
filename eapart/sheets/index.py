"""The index page that opens each pack: its small areas, their totals and first pages."""

from __future__ import annotations

import math

from eapart.sheets.forms import Column, heading, rows_per_page, ruled_table

INDEX_ROW_MM = 6.5
INDEX_COLUMNS = (
    Column("序号", "no.", 12, "right"),
    Column("普查小区代码", "small area code", 36),
    Column("普查区", "census area", 37),
    Column("户数", "households", 18, "right"),
    Column("人数", "persons", 18, "right"),
    Column("建筑", "buildings", 16, "right"),
    Column("页数", "pages", 12, "right"),
    Column("起始页", "first page", 16, "right"),
)
INDEX_TITLE = "普查小区图册 索引"
INDEX_SUBTITLE = "index of the pack {name}"
INDEX_TEXT = INDEX_TITLE + INDEX_SUBTITLE + "".join(c.title + c.english for c in INDEX_COLUMNS)


def _count(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{number:,.0f}" if math.isfinite(number) else ""


def index_pages(entries: int) -> int:
    """Pages the index of ``entries`` small areas takes."""
    from eapart.sheets.forms import MM

    return max(1, math.ceil(entries / rows_per_page(INDEX_ROW_MM * MM)))


def draw_index(pdf, fonts, data, name: str, entries: list[tuple[str, dict, int]]) -> int:
    """Add the index pages of a pack to ``pdf``: one row per (code, record, pages) of
    ``entries``, with the pack page each small area starts on; return the page count."""
    from eapart.sheets.canvas import Canvas
    from eapart.sheets.forms import MM

    count = index_pages(len(entries))
    per_page = rows_per_page(INDEX_ROW_MM * MM)
    page = count + 1
    cells = []
    for number, (code, record, pages) in enumerate(entries, start=1):
        census = record.get("census_area_name")
        cells.append([str(number), code, census if isinstance(census, str) else "",
                      _count(record.get("households")), _count(record.get("persons")),
                      _count(record.get("buildings")), str(pages), str(page)])
        page += pages
    for i in range(count):
        canvas = Canvas()
        heading(canvas, fonts, INDEX_TITLE, INDEX_SUBTITLE.format(name=name), name, i + 1,
                count, data.made_on)
        chunk = cells[i * per_page:(i + 1) * per_page]
        ruled_table(canvas, fonts, INDEX_COLUMNS, chunk, INDEX_ROW_MM * MM, len(chunk))
        pdf.add_page(canvas.content())
    return count
