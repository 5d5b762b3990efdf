"""Summary tables for supervisors: CSV (UTF-8 with BOM) and one XLSX workbook.

One table per level (townships, census areas, small areas): the layer's
attributes without geometry. CSV files start with a byte-order mark so that
Excel opens Chinese names correctly; the workbook has one sheet per level, and
every code cell is a text cell (number format ``@``) so leading zeros survive
and Excel does not turn a 15-digit code into ``1.10101E+14``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from eapart.domain.schema import CODE_COLUMNS

#: Level (layer) -> sheet and file name, coarse to fine.
LEVELS: dict[str, str] = {
    "townships": "townships",
    "census_areas": "census_areas",
    "small_areas": "small_areas",
}
CSV_ENCODING = "utf-8-sig"


def attribute_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The attributes of a layer without its geometry column."""
    geometry = getattr(frame, "geometry", None)
    if geometry is None:
        return pd.DataFrame(frame)
    return pd.DataFrame(frame.drop(columns=geometry.name))


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` as CSV in UTF-8 with BOM, atomically; return ``path``."""
    partial = path.with_name(path.name + ".partial")
    table.to_csv(partial, index=False, encoding=CSV_ENCODING)
    partial.replace(path)
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`, with code columns as strings."""
    header = pd.read_csv(path, nrows=0, encoding=CSV_ENCODING).columns
    dtypes = {column: "str" for column in header if column in CODE_COLUMNS}
    return pd.read_csv(path, dtype=dtypes, encoding=CSV_ENCODING, keep_default_na=False,
                       na_values=[""])


def _cell_value(value):
    """A value openpyxl can store: missing -> empty, numpy scalars -> Python."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _append_sheet(book: Workbook, name: str, table: pd.DataFrame) -> None:
    sheet = book.create_sheet(title=name)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns):
        width = 18 if column in CODE_COLUMNS else max(10, len(str(column)) + 2)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    text_columns = [column in CODE_COLUMNS or pd.api.types.is_string_dtype(table[column])
                    for column in table.columns]
    for row in table.itertuples(index=False, name=None):
        cells = []
        for value, as_text in zip(row, text_columns, strict=True):
            cell = WriteOnlyCell(sheet, value=_cell_value(value))
            if cell.data_type == "f":  # text starting with '=' is data, never a formula
                cell.data_type = "s"
            if as_text:
                cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write one sheet per entry of ``tables`` into an XLSX workbook at ``path``."""
    book = Workbook(write_only=True)
    for name, table in tables.items():
        _append_sheet(book, name, table)
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    partial.replace(path)
    return path
