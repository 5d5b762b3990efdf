"""Enumerator sheets: real PDFs, rendered with pdftoppm and read back with pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pyogrio
import pytest
import shapely
from matplotlib.image import imread
from outdir_builder import CENSUS_AREAS, TOWNSHIP_NAME, build_output

from eapart.domain.codes import serpentine_order
from eapart.errors import InputError, UsageError
from eapart.sheets.fonts import FONT_ENV
from eapart.sheets.packs import make_sheets
from eapart.sheets.page import page_count

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) is not installed: `make system-packages`",
)
CA1, CA2 = CENSUS_AREAS
SMALL1 = [f"{CA1}{i:03d}" for i in (1, 2, 3)]


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def render(path: Path, page: int, target: Path) -> np.ndarray:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(path), str(target)], check=True)
    return imread(f"{target}.png")


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """Sheets of a small output (EPSG:4547) drawn by two worker processes."""
    outdir = build_output(tmp_path_factory.mktemp("sheets") / "out")
    calls = []
    files = make_sheets(outdir, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert sorted(calls) == [(3, 6), (6, 6)]
    return outdir, files


def test_one_pdf_per_census_area_with_a_page_per_small_area_in_code_order(sheets):
    outdir, files = sheets
    assert files == [outdir / "sheets" / f"{CA1}.pdf", outdir / "sheets" / f"{CA2}.pdf"]
    assert pdf_pages(files[0]) == 3
    for page, code in enumerate(SMALL1, start=1):
        assert code in pdf_text(files[0], page).split("\n")[0]
    assert not list((outdir / "sheets").glob(".partial-*"))


def test_page_is_drawn_not_blank(sheets, tmp_path):
    _, files = sheets
    pixels = render(files[0], 1, tmp_path / "page")[..., :3]
    assert pixels.shape[0] > pixels.shape[1]  # portrait A4
    ink = (pixels < 0.9).any(axis=2).mean()
    assert 0.02 < ink < 0.6
    red = (pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.35) & (pixels[..., 2] < 0.35)
    assert red.sum() > 200  # the small area's boundary
    building_fill = (np.abs(pixels - np.array([1.0, 0.85, 0.54])) < 0.06).all(axis=2)
    assert building_fill.sum() > 50


def test_text_layer_holds_codes_chinese_title_and_totals(sheets):
    outdir, files = sheets
    text = pdf_text(files[0], 1)
    small = gpd.read_file(outdir / "eapart.gpkg", layer="small_areas").set_index(
        "small_area_code")
    assert SMALL1[0] in text and TOWNSHIP_NAME in text and CENSUS_AREAS[CA1] in text
    assert f"households {small.loc[SMALL1[0], 'households']:,}" in text
    assert f"buildings {small.loc[SMALL1[0], 'buildings']}" in text
    fonts = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line and "Type 3" not in line for line in fonts)


def test_buildings_are_numbered_in_serpentine_walking_order(sheets):
    outdir, files = sheets
    buildings = gpd.read_file(outdir / "eapart.gpkg", layer="buildings")
    mine = buildings[buildings["small_area_code"] == SMALL1[1]].reset_index(drop=True)
    xy = shapely.get_coordinates(mine.geometry.representative_point())
    expected = mine["building_id"].to_numpy()[serpentine_order(xy[:, 0], xy[:, 1])]
    text = pdf_text(files[0], 2)
    positions = [text.index(building_id) for building_id in expected]
    assert positions == sorted(positions)


def test_hostile_names_print_verbatim(tmp_path):
    outdir = build_output(tmp_path / "out")
    small = gpd.read_file(outdir / "eapart.gpkg", layer="small_areas")
    small.loc[small["census_area_code"] == CA1, "census_area_name"] = "A$x^2$B 社区"
    pyogrio.write_dataframe(small, outdir / "eapart.gpkg", layer="small_areas")
    files = make_sheets(outdir, jobs=1)
    assert "A$x^2$B 社区" in pdf_text(files[0], 1)
    assert CENSUS_AREAS[CA2] in pdf_text(files[1], 1)  # <script>alert(1)</script>


def test_codes_select_sheets_and_long_lists_continue(tmp_path):
    outdir = build_output(tmp_path / "out", per_area=200)
    assert page_count(200) == 2
    (single,) = make_sheets(outdir, codes=[SMALL1[2]], jobs=1)
    assert single == outdir / "sheets" / f"{SMALL1[2]}.pdf"
    assert pdf_pages(single) == 2
    last_page = pdf_text(single, 2)
    assert "200" in last_page and SMALL1[2] in last_page
    with pytest.raises(UsageError, match="summary.csv"):
        make_sheets(outdir, codes=["999999999999"], jobs=1)


def test_missing_chinese_font_is_a_clear_error(tmp_path, monkeypatch):
    outdir = build_output(tmp_path / "out")
    latin_only = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setenv(FONT_ENV, str(latin_only))
    with pytest.raises(InputError, match="fonts-noto-cjk"):
        make_sheets(outdir, jobs=1)
    assert not list((outdir / "sheets").glob("*.pdf")) if (outdir / "sheets").exists() else True


def test_sheets_of_the_sample_output(request, tmp_path):
    """One census area of the bundled sample county, when the shared fixture is available."""
    try:
        sample = Path(request.getfixturevalue("sample_output"))
    except pytest.FixtureLookupError:
        pytest.skip("the sample_output fixture (tests/conftest.py) is not available")
    small = pyogrio.read_dataframe(sample / "eapart.gpkg", layer="small_areas",
                                   read_geometry=False)
    census_area = sorted(small["census_area_code"].astype(str))[0]
    outdir = tmp_path / "copy"
    outdir.mkdir()
    shutil.copy(sample / "eapart.gpkg", outdir)
    (path,) = make_sheets(outdir, codes=[census_area], jobs=1)
    codes = sorted(small.loc[small["census_area_code"] == census_area, "small_area_code"])
    assert pdf_pages(path) >= len(codes)
    assert codes[0] in pdf_text(path, 1)


def test_map_frames_a_small_cluster_of_buildings_not_the_whole_farmland():
    from eapart.sheets.map import focus as _focus

    area = shapely.box(0, 0, 3000, 2000)
    hamlet = shapely.box(np.arange(5) * 20.0 + 1000, 1000, np.arange(5) * 20.0 + 1010, 1010)
    frame = _focus(area, hamlet)
    assert frame is not area and frame.covers(shapely.union_all(hamlet))
    assert frame.area < 0.05 * area.area
    spread = shapely.box([100, 2500], [100, 1500], [110, 2510], [110, 1510])
    assert _focus(area, spread) is area


def test_cross_reference_table_points_at_every_object(sheets):
    """Each xref entry's offset is where its object starts: readers need no repair."""
    _, files = sheets
    data = files[0].read_bytes()
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data).group(1))
    table = re.match(rb"xref\s+0 (\d+)\s+", data[start:])
    entries = data[start + table.end():].split(b"trailer")[0].split()
    offsets = [(int(entries[i]), entries[i + 2]) for i in range(0, len(entries), 3)]
    assert len(offsets) == int(table.group(1))
    in_use = [(number, offset) for number, (offset, kind) in enumerate(offsets) if kind == b"n"]
    assert len(in_use) > 10
    for number, offset in in_use:
        assert data[offset:offset + 20].startswith(b"%d 0 obj" % number)


def _box_font(path: Path, text: str) -> Path:
    """A TrueType font drawing every character of ``text`` as a box."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    chars = sorted(set(text))
    order = [".notdef"] + [f"g{i}" for i in range(len(chars))]
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((500, 700))
    pen.lineTo((500, 0))
    pen.closePath()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({ord(c): f"g{i}" for i, c in enumerate(chars)})
    builder.setupGlyf({name: pen.glyph() for name in order})
    builder.setupHorizontalMetrics({name: (600, 100) for name in order})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Box Test", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880,
                     usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))
    return path


def test_a_truetype_chinese_font_is_embedded_too(tmp_path, monkeypatch):
    """WenQuanYi, SimHei and YaHei are TrueType: embedded as CID TrueType, text searchable."""
    from eapart.sheets.data import data_text
    from eapart.sheets.fonts import PROBE
    from eapart.sheets.page import FIXED_TEXT

    outdir = build_output(tmp_path / "out")
    font = _box_font(tmp_path / "boxes.ttf", PROBE + FIXED_TEXT + data_text(outdir))
    monkeypatch.setenv(FONT_ENV, str(font))
    (path,) = make_sheets(outdir, codes=[SMALL1[0]], jobs=1)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "CID TrueType" in fonts
    text = pdf_text(path, 1)
    assert f"普查小区 {SMALL1[0]}" in text and TOWNSHIP_NAME in text
    pixels = render(path, 1, tmp_path / "page")[..., :3]
    assert (pixels < 0.5).all(axis=2).sum() > 500  # the boxes are drawn, in black
