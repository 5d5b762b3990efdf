"""Summary tables for supervisors: CSV (UTF-8 with BOM) and one XLSX workbook.

One table per level (townships, census areas, small areas): the layer's
attributes without geometry, counts as whole numbers. CSV files start with a
byte-order mark so that Excel opens Chinese names correctly and keep the
column names of the layers (scripts read them).

The workbook is for people: headers in Chinese (``language="zh"``, the default,
for a census office's staff) or English (``"en"``), one sheet per level plus a
township summary (balance and flags per township), each with a frozen header, a
filter on every column, columns wide enough for their contents and a totals row
(values, never formulas). Every code cell is a text cell (number format ``@``) so
leading zeros survive and Excel does not turn a 15-digit code into
``1.10101E+14``. No text runs as a formula: in CSV a text cell starting with
``= + - @``, tab or CR gets a leading ``'``; in the workbook every text is a string
cell (never a formula), even when it starts with ``=``.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from eapart.domain.schema import CENSUS_AREA_CODE, CODE_COLUMNS, SMALL_AREA_CODE, TOWNSHIP_CODE
from eapart.errors import UsageError
from eapart.io.write import COUNT_COLUMNS, integer_counts

if TYPE_CHECKING:  # openpyxl (~0.2 s to import) loads only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

#: Level (layer) -> CSV file name, coarse to fine.
LEVELS: dict[str, str] = {
    "townships": "townships",
    "census_areas": "census_areas",
    "small_areas": "small_areas",
}
CSV_ENCODING = "utf-8-sig"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

#: Column -> (Chinese, English) header. ``name`` depends on the level (see HEADERS_BY_LEVEL).
HEADERS: dict[str, tuple[str, str]] = {
    TOWNSHIP_CODE: ("乡镇代码", "Township code"),
    "township_name": ("乡镇名称", "Township name"),
    CENSUS_AREA_CODE: ("普查区代码", "Census area code"),
    "census_area_name": ("普查区名称", "Census area name"),
    SMALL_AREA_CODE: ("普查小区代码", "Small area code"),
    "households": ("户数", "Households"),
    "persons": ("人数", "Persons"),
    "buildings": ("建筑物数", "Buildings"),
    "census_areas": ("普查区数", "Census areas"),
    "small_areas": ("普查小区数", "Small areas"),
    "flags": ("标记", "Flags"),
    "flagged_small_areas": ("有标记的普查小区数", "Flagged small areas"),
    "out_of_band": ("超出范围的普查小区数", "Small areas out of band"),
    "within_band_share": ("在范围内的比例", "Share within band"),
    "smallest": ("最小规模", "Smallest"),
    "largest": ("最大规模", "Largest"),
    "mean_size": ("平均规模", "Mean size"),
}
HEADERS_BY_LEVEL: dict[str, dict[str, tuple[str, str]]] = {
    "townships": {"name": ("乡镇名称", "Township name")},
    "census_areas": {"name": ("普查区名称", "Census area name")},
    "township_summary": {"name": ("乡镇名称", "Township name")},
}
#: Columns shown as percentages in the workbook.
SHARE_COLUMNS = ("within_band_share",)
#: Sheet names per language, in workbook order.
SHEETS: dict[str, tuple[str, str]] = {
    "townships": ("乡镇", "Townships"),
    "census_areas": ("普查区", "Census areas"),
    "small_areas": ("普查小区", "Small areas"),
    "township_summary": ("乡镇汇总", "Township summary"),
}
TOTAL_LABEL = ("合计", "Total")


def check_language(language: str) -> str:
    """``zh`` or ``en``, else a usage error naming the choices."""
    key = str(language).strip().lower()
    if key not in LANGUAGES:
        raise UsageError(f"--language {language!r}: choose zh (Chinese headers) or en (English).")
    return key


def attribute_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The attributes of a layer without its geometry column, counts as whole numbers."""
    geometry = getattr(frame, "geometry", None)
    table = pd.DataFrame(frame) if geometry is None else pd.DataFrame(
        frame.drop(columns=geometry.name))
    return integer_counts(table)


def township_summary(small: pd.DataFrame, townships: pd.DataFrame, measure: str,
                     low: float | None, high: float | None) -> pd.DataFrame:
    """One row per township: its counts, the size range of its small areas, the share
    within the band (the report's test, ``min <= size <= max``) and the flagged areas."""
    small = pd.DataFrame(small)
    size = pd.to_numeric(small.get(measure), errors="coerce")
    flagged = small.get("flags", pd.Series("", index=small.index)).fillna("") != ""
    known = low is not None and high is not None
    inside = (size >= low) & (size <= high) if known else pd.Series(True, index=small.index)
    groups = pd.DataFrame({TOWNSHIP_CODE: small[TOWNSHIP_CODE], "size": size,
                           "inside": inside, "flagged": flagged}).groupby(TOWNSHIP_CODE)
    stats = pd.DataFrame({
        "smallest": groups["size"].min(), "largest": groups["size"].max(),
        "mean_size": groups["size"].mean().round(1),
        "out_of_band": groups["inside"].apply(lambda s: int((~s).sum())),
        "within_band_share": groups["inside"].mean().round(4),
        "flagged_small_areas": groups["flagged"].sum().astype(int),
    })
    base = attribute_table(townships)
    keep = [c for c in (TOWNSHIP_CODE, "name", "census_areas", "small_areas", "buildings",
                        "households", "persons") if c in base.columns]
    table = base[keep].join(stats, on=TOWNSHIP_CODE)
    if not known:
        table = table.drop(columns=["out_of_band", "within_band_share"])
    return integer_counts(table)


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """``value`` made safe for a spreadsheet: text read as a formula gets a leading ``'``.

    A name such as ``=HYPERLINK("http://...")`` would run in Excel or LibreOffice when
    a CSV is opened; ``'=HYPERLINK(...)`` shows as the text it is. Other values pass.

    >>> spreadsheet_text("=1+1"), spreadsheet_text("城关镇"), spreadsheet_text(3)
    ("'=1+1", '城关镇', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell passed through :func:`spreadsheet_text`."""
    table = pd.DataFrame(table).copy()
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]) \
                and not pd.api.types.is_bool_dtype(table[column]):
            table[column] = table[column].map(spreadsheet_text)
    return table


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` as CSV in UTF-8 with BOM, atomically, text spreadsheet-safe."""
    partial = path.with_name(path.name + ".partial")
    spreadsheet_safe(table).to_csv(partial, index=False, encoding=CSV_ENCODING,
                                   lineterminator="\n")
    partial.replace(path)
    return path


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`, with code columns as strings."""
    header = pd.read_csv(path, nrows=0, encoding=CSV_ENCODING).columns
    dtypes = {column: "str" for column in header if column in CODE_COLUMNS}
    return pd.read_csv(path, dtype=dtypes, encoding=CSV_ENCODING, keep_default_na=False,
                       na_values=[""])


def header(column: str, level: str, language: str) -> str:
    """The workbook header of ``column`` on a ``level`` sheet in ``language``."""
    names = HEADERS_BY_LEVEL.get(level, {}).get(column) or HEADERS.get(column)
    if names is None:
        return str(column)
    return names[LANGUAGES.index(language)]


def _cell_value(value):
    """A value openpyxl can store: missing -> empty, numpy scalars -> Python."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def display_width(value: object) -> int:
    """Characters a value takes on screen (Chinese characters count twice)."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text_cell(sheet, value, *, code: bool = False, bold: bool = False,
               share: bool = False) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
        cell.quotePrefix = value.startswith(FORMULA_STARTS)
    if code:
        cell.number_format = "@"
    elif share:
        cell.number_format = "0.0%"
    if bold:
        cell.font = Font(bold=True)
    return cell


def totals_row(table: pd.DataFrame, label: str) -> list:
    """``label``, then the sum of each count column: values, never formulas."""
    row: list = [None] * len(table.columns)
    for k, column in enumerate(table.columns):
        if column in COUNT_COLUMNS:
            row[k] = _cell_value(pd.to_numeric(table[column]).sum())
    at = next((k for k, c in enumerate(table.columns) if c not in COUNT_COLUMNS), 0)
    row[at] = label
    return row


def _append_sheet(book: Workbook, name: str, table: pd.DataFrame, level: str,
                  language: str) -> None:
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title=name)
    sheet.freeze_panes = "A2"
    titles = [header(c, level, language) for c in table.columns]
    widths = [display_width(t) for t in titles]
    text_columns = [column in CODE_COLUMNS or pd.api.types.is_string_dtype(table[column])
                    or pd.api.types.is_object_dtype(table[column]) for column in table.columns]
    rows = []
    for row in table.itertuples(index=False, name=None):
        values = [_cell_value(v) for v in row]
        widths = [max(w, display_width(v)) for w, v in zip(widths, values, strict=True)]
        rows.append(values)
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(60, width + 3)
    last = get_column_letter(max(1, len(table.columns)))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    sheet.append([_text_cell(sheet, t, bold=True) for t in titles])
    for values in rows:
        sheet.append([_text_cell(sheet, v, code=as_text, share=column in SHARE_COLUMNS)
                      for v, as_text, column in zip(values, text_columns, table.columns,
                                                    strict=True)])
    total = totals_row(table, TOTAL_LABEL[LANGUAGES.index(language)])
    sheet.append([_text_cell(sheet, v, bold=True) for v in total])


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path,
               language: str = DEFAULT_LANGUAGE) -> Path:
    """Write one sheet per entry of ``tables`` (keyed by level) into ``path``."""
    from openpyxl import Workbook

    language = check_language(language)
    book = Workbook(write_only=True)
    for level, table in tables.items():
        names = SHEETS.get(level, (level, level))
        _append_sheet(book, names[LANGUAGES.index(language)], table, level, language)
    partial = path.with_name(path.name + ".partial")
    book.save(partial)
    pin_zip_dates(partial)
    partial.replace(path)
    return path


def pin_zip_dates(path: Path) -> None:
    """Rewrite a zip-based file (XLSX) with every entry dated 2000-01-01.

    openpyxl stamps entries and ``docProps/core.xml`` with the clock; pinning both
    makes the same tables give the same bytes.
    """
    with zipfile.ZipFile(path) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2000-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
