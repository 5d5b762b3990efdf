"""Enumerator packs through the real CLI: PDFs rendered with pdftoppm, read with pdftotext."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pyogrio
import pytest
import shapely
from matplotlib.image import imread
from outdir_builder import CENSUS_AREAS, TOWNSHIP, TOWNSHIP_NAME, build_output
from tiny_county import tiny_county, write_gpkg

from eapart.errors import InputError
from eapart.sheets.fonts import FONT_ENV
from eapart.sheets.forms import REGISTER_ROW, register_size, rows_per_page
from eapart.sheets.packs import make_sheets

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) is not installed: `make system-packages`",
)
CA1, CA2 = CENSUS_AREAS
SMALL1 = [f"{CA1}{i:03d}" for i in (1, 2, 3)]
EAPART = [sys.executable, "-m", "eapart.cli"]
DPI = 100


def sheets_cli(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EAPART, "sheets", str(outdir), *args], capture_output=True,
                          text=True)


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def render(path: Path, page: int, target: Path, dpi: int = DPI) -> np.ndarray:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(path), str(target)], check=True)
    return imread(f"{target}.png")[..., :3]


def layout(outdir: Path) -> list[dict]:
    return json.loads((outdir / "sheets" / "layout.json").read_text(encoding="utf-8"))["pages"]


def first_pages(outdir: Path, pdf: str) -> dict[str, int]:
    """The pdf page of each small area's first map."""
    return {r["small_area_code"]: r["page"] for r in layout(outdir)
            if r["pdf"] == pdf and r["map"] == "overview"}


def brute_force_overlaps(boxes: list) -> int:
    """Overlapping pairs of label boxes, by comparing every pair."""
    b = np.array([box[:4] for box in boxes], dtype=float).reshape(-1, 4)
    width = np.minimum(b[:, None, 2], b[None, :, 2]) - np.maximum(b[:, None, 0], b[None, :, 0])
    height = np.minimum(b[:, None, 3], b[None, :, 3]) - np.maximum(b[:, None, 1], b[None, :, 1])
    return int(np.triu((width > 0.02) & (height > 0.02), k=1).sum())  # boxes are rounded


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    """Packs of a small output (EPSG:4547) drawn by two worker processes, through the CLI."""
    outdir = build_output(tmp_path_factory.mktemp("sheets") / "out")
    done = sheets_cli(outdir, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return outdir, sorted((outdir / "sheets").glob("*.pdf")), done.stderr


def test_one_pack_per_census_area_opening_with_its_index(sheets):
    outdir, files, stderr = sheets
    assert files == [outdir / "sheets" / f"{CA1}.pdf", outdir / "sheets" / f"{CA2}.pdf"]
    assert "2 PDF(s)" in stderr
    index = pdf_text(files[0], 1)
    assert "普查小区图册 索引" in index
    starts = first_pages(outdir, files[0].name)
    assert sorted(starts) == SMALL1
    for code in SMALL1:
        line = next(line for line in index.splitlines() if code in line)
        assert line.split()[-1] == str(starts[code])  # the index gives the first page
        assert code in pdf_text(files[0], starts[code]).split("\n")[0]
    assert not list((outdir / "sheets").glob(".partial-*"))


def test_map_page_is_drawn_and_every_number_box_holds_ink(sheets, tmp_path):
    outdir, files, _ = sheets
    record = next(r for r in layout(outdir) if r["pdf"] == files[0].name)
    pixels = render(files[0], record["page"], tmp_path / "page")
    assert pixels.shape[0] > pixels.shape[1]  # portrait A4
    red = (pixels[..., 0] > 0.6) & (pixels[..., 1] < 0.35) & (pixels[..., 2] < 0.35)
    assert red.sum() > 200  # the small area's boundary
    building_fill = (np.abs(pixels - np.array([1.0, 0.85, 0.54])) < 0.06).all(axis=2)
    assert building_fill.sum() > 50
    assert record["numbered"] == record["buildings"] == 9
    scale = DPI / 72
    height = pixels.shape[0]
    for x0, y0, x1, y1, _ in record["boxes"]:
        cell = pixels[int(height - y1 * scale):int(height - y0 * scale) + 1,
                      int(x0 * scale):int(x1 * scale) + 1]
        assert (cell < 0.35).all(axis=2).sum() >= 2  # a dark digit inside its box
    assert record["overlapping_pairs"] == brute_force_overlaps(record["boxes"]) == 0


def test_text_layer_holds_codes_chinese_title_and_totals(sheets):
    outdir, files, _ = sheets
    text = pdf_text(files[0], first_pages(outdir, files[0].name)[SMALL1[0]])
    small = gpd.read_file(outdir / "eapart.gpkg", layer="small_areas").set_index(
        "small_area_code")
    assert SMALL1[0] in text and TOWNSHIP_NAME in text and CENSUS_AREAS[CA1] in text
    assert f"households {small.loc[SMALL1[0], 'households']:,}" in text
    assert f"buildings {small.loc[SMALL1[0], 'buildings']}" in text
    fonts = subprocess.run(["pdffonts", str(files[0])], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line and "Type 3" not in line for line in fonts)


def _form_pages(path: Path, title: str) -> list[int]:
    return [page for page in range(1, pdf_pages(path) + 1) if title in pdf_text(path, page)]


def test_building_list_in_walking_order_with_totals(sheets, tmp_path):
    outdir, files, _ = sheets
    buildings = gpd.read_file(outdir / "eapart.gpkg", layer="buildings")
    mine = buildings[buildings["small_area_code"] == SMALL1[1]]
    start = first_pages(outdir, files[0].name)[SMALL1[1]]
    text = pdf_text(files[0], start + 1)  # the list follows the single map
    assert "建筑物清单" in text
    assert f"{TOWNSHIP[:6]}县{TOWNSHIP_NAME}{CENSUS_AREAS[CA1]}普查区 第002普查小区" in text
    rows = [line.split() for line in text.splitlines() if re.match(r"\s*\d+\s+\d{6}-", line)]
    assert [int(row[0]) for row in rows] == list(range(1, len(mine) + 1))
    assert sorted(row[1] for row in rows) == sorted(mine["building_id"])
    totals = next(line for line in text.splitlines() if "合计" in line)
    assert f"{len(mine)} 栋" in totals and f"{mine['households'].sum():,}" in totals
    # The map numbers the buildings in the same order: number k sits by building k.
    record = next(r for r in layout(outdir) if r["small_area_code"] == SMALL1[1])
    where = mine.set_index("building_id").geometry.representative_point()
    order = [row[1] for row in rows]
    x, y, _, _ = record["frame"]
    minx, _, miny, _ = record["view"]
    for x0, y0, x1, y1, number in record["boxes"]:
        point = where[order[number - 1]]
        px = (point.x - minx) * record["scale"] + x
        py = (point.y - miny) * record["scale"] + y
        assert abs((x0 + x1) / 2 - px) <= (x1 - x0) * 1.6 + 1
        assert abs((y0 + y1) / 2 - py) <= (y1 - y0) * 1.6 + 1
    pixels = render(files[0], start + 1, tmp_path / "list")
    binding = int(35 / 25.4 * DPI) - 2
    assert not (pixels[:, :binding] < 0.6).all(axis=2).any()  # the binding margin is blank


def test_register_is_pre_numbered_to_the_estimate_and_spare(sheets):
    outdir, files, _ = sheets
    buildings = gpd.read_file(outdir / "eapart.gpkg", layer="buildings")
    households = buildings.loc[buildings["small_area_code"] == SMALL1[0], "households"]
    size, full = register_size(households.to_numpy(float))
    assert size > households.sum() and not full
    pages = [p for p in _form_pages(files[0], "户主姓名底册")
             if f"{SMALL1[0]}" in pdf_text(files[0], p)]
    assert len(pages) == -(-size // rows_per_page(REGISTER_ROW))
    text = "".join(pdf_text(files[0], p) for p in pages)
    numbers = [int(n) for n in re.findall(r"(?m)^[ \t]*(?:\d+[ \t]+)?(\d{3})[ \t]*$", text)]
    assert numbers == list(range(1, size + 1))
    assert "户主姓名" in text and "门牌/单元号" in text and "备注" in text


def test_run_writes_walk_numbers_and_the_sheets_follow_them(tmp_path):
    """A real run: buildings get walk_number 1..n per small area; the list follows it."""
    source = tmp_path / "county.gpkg"
    write_gpkg(tiny_county(), source)
    out = tmp_path / "out"
    done = subprocess.run([*EAPART, "run", str(source), "--out", str(out), "--jobs", "1",
                           "--no-maps", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    buildings = pyogrio.read_dataframe(out / "eapart.gpkg", layer="buildings",
                                       read_geometry=False)
    for _, group in buildings.groupby("small_area_code"):
        assert sorted(group["walk_number"]) == list(range(1, len(group) + 1))
    code = str(sorted(buildings["small_area_code"])[0])
    done = sheets_cli(out, "--codes", code, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    (path,) = (out / "sheets").glob("*.pdf")
    mine = buildings[buildings["small_area_code"] == code].sort_values("walk_number")
    pages = _form_pages(path, "建筑物清单")
    text = "".join(pdf_text(path, p) for p in pages)
    ids = [str(i) for i in mine["building_id"]]
    positions = [text.index(f" {i} ") for i in ids]
    assert positions == sorted(positions)


def test_by_enumerator_binds_each_slot_of_eapart_assign(tmp_path):
    source = tmp_path / "county.gpkg"
    write_gpkg(tiny_county(), source)
    out = tmp_path / "out"
    for argv in (["run", str(source), "--out", str(out), "--jobs", "1", "--no-maps", "-q"],
                 ["assign", str(out), "-q"],
                 ["sheets", str(out), "--by", "enumerator", "--jobs", "1", "-q"]):
        done = subprocess.run([*EAPART, *argv], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    import pandas as pd

    slots = pd.read_csv(out / "assignments.csv", dtype=str, encoding="utf-8-sig")
    names = sorted(p.stem for p in (out / "sheets" / "enumerators").glob("*.pdf"))
    assert names == sorted(set(slots["enumerator_slot"]))  # no staff list: one per slot
    packs: dict[str, set[str]] = {}
    for r in layout(out):
        if r["map"] == "overview":
            packs.setdefault(r["small_area_code"], set()).add(Path(r["pdf"]).stem)
    for code, group in slots.groupby("small_area_code"):
        assert packs[code] == set(group["enumerator_slot"])  # a shared area in every pack


def _clustered_output(tmp_path: Path) -> Path:
    """A small area 2 km long whose 60 buildings mostly sit in one 40 m hamlet."""
    outdir = build_output(tmp_path / "out", per_area=60)
    path = outdir / "eapart.gpkg"
    small = gpd.read_file(path, layer="small_areas")
    buildings = gpd.read_file(path, layer="buildings")
    target = SMALL1[0]
    minx, miny, _, maxy = small.loc[small["small_area_code"] == target].total_bounds
    small.loc[small["small_area_code"] == target, "geometry"] = shapely.box(
        minx, miny, minx + 2000, maxy)
    mine = np.flatnonzero(buildings["small_area_code"] == target)
    rng = np.random.default_rng(3)
    geometry = buildings.geometry.to_numpy()
    for k, row in enumerate(mine):
        if k < 50:
            x, y = minx + 900 + rng.uniform(0, 40), miny + 60 + rng.uniform(0, 40)
        else:
            x, y = minx + 100 + 180 * (k - 50), miny + 20
        geometry[row] = shapely.box(x - 1.5, y - 1.5, x + 1.5, y + 1.5)
    buildings = buildings.set_geometry(geometry)
    pyogrio.write_dataframe(small, path, layer="small_areas")
    pyogrio.write_dataframe(buildings, path, layer="buildings")
    return outdir


def test_a_tight_cluster_gets_a_detail_map_and_no_number_overlaps(tmp_path):
    outdir = _clustered_output(tmp_path)
    done = sheets_cli(outdir, "--codes", CA1, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "detail maps" in done.stderr
    maps = [r for r in layout(outdir) if r["small_area_code"] == SMALL1[0]]
    assert maps[0]["map"] == "overview" and len(maps) >= 2 and maps[1]["map"] == "A"
    assert maps[1]["scale"] > 2 * maps[0]["scale"]
    numbered = set()
    for record in maps:
        assert record["overlapping_pairs"] == brute_force_overlaps(record["boxes"]) == 0
        numbered |= {box[4] for box in record["boxes"]}
    assert numbered == set(range(1, 61))  # every building is numbered on some map
    path = outdir / "sheets" / f"{CA1}.pdf"
    overview = pdf_text(path, maps[0]["page"])
    assert "详图 details: A 第 2 页" in overview
    assert "详图 A" in pdf_text(path, maps[1]["page"])
    assert (outdir / "sheets" / "illegible.csv").read_text(encoding="utf-8-sig").strip() \
        == "pdf,page,small_area_code,problem,detail"


def test_buildings_on_one_spot_are_listed_as_illegible(tmp_path):
    outdir = build_output(tmp_path / "out", per_area=30)
    path = outdir / "eapart.gpkg"
    buildings = gpd.read_file(path, layer="buildings")
    mine = buildings["small_area_code"] == SMALL1[0]
    x, y = buildings[mine].geometry.iloc[0].centroid.coords[0]
    buildings.loc[mine, "geometry"] = shapely.box(x - 1, y - 1, x + 1, y + 1)
    pyogrio.write_dataframe(buildings, path, layer="buildings")
    done = sheets_cli(outdir, "--codes", SMALL1[0], "--jobs", "1", "--quiet")
    assert done.returncode == 0
    assert "could not be made legible" in done.stderr and SMALL1[0] in done.stderr
    table = (outdir / "sheets" / "illegible.csv").read_text(encoding="utf-8-sig")
    assert f"{SMALL1[0]},unlabelled_buildings" in table
    for record in layout(outdir):
        assert brute_force_overlaps(record["boxes"]) == 0


def test_by_small_area_and_codes_with_commas(tmp_path):
    outdir = build_output(tmp_path / "out")
    done = sheets_cli(outdir, "--by", "small-area", "--codes", f"{SMALL1[0]},{CA2}",
                      "--jobs", "1")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (outdir / "sheets").glob("*.pdf"))
    assert names == [f"{SMALL1[0]}.pdf"] + [f"{CA2}{i:03d}.pdf" for i in (1, 2, 3)]
    # A census area selected in part is bound per small area, never under its own name.
    shutil.rmtree(outdir / "sheets")
    done = sheets_cli(outdir, "--codes", f"{SMALL1[2]}, {CA2}", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (outdir / "sheets").glob("*.pdf"))
    assert names == [f"{SMALL1[2]}.pdf", f"{CA2}.pdf"]
    assert "普查小区图册 索引" in pdf_text(outdir / "sheets" / f"{SMALL1[2]}.pdf", 1)


def test_usage_errors_exit_2(tmp_path):
    outdir = build_output(tmp_path / "out")
    done = sheets_cli(outdir, "--by", "village")
    assert done.returncode == 2 and "census-area, small-area, enumerator" in done.stderr
    done = sheets_cli(outdir, "--by", "enumerator")
    assert done.returncode == 1 and "eapart assign" in done.stderr  # the output lacks it
    done = sheets_cli(outdir, "--codes", "999999999999")
    assert done.returncode == 2 and "summary.csv" in done.stderr
    assert "Traceback" not in done.stderr


def test_hostile_names_print_verbatim(tmp_path):
    outdir = build_output(tmp_path / "out")
    small = gpd.read_file(outdir / "eapart.gpkg", layer="small_areas")
    small.loc[small["census_area_code"] == CA1, "census_area_name"] = "A$x^2$B 社区"
    pyogrio.write_dataframe(small, outdir / "eapart.gpkg", layer="small_areas")
    files = make_sheets(outdir, jobs=1).paths
    assert "A$x^2$B 社区" in pdf_text(files[0], 2)
    assert CENSUS_AREAS[CA2] in pdf_text(files[1], 2)  # <script>alert(1)</script>


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
    (path,) = make_sheets(outdir, codes=[census_area], jobs=1).paths
    codes = sorted(small.loc[small["census_area_code"] == census_area, "small_area_code"])
    assert pdf_pages(path) >= 1 + 3 * len(codes)
    assert codes[0] in pdf_text(path, 2)
    for record in layout(outdir):
        assert brute_force_overlaps(record["boxes"]) == 0


def test_cross_reference_table_points_at_every_object(sheets):
    """Each xref entry's offset is where its object starts: readers need no repair."""
    _, files, _ = sheets
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
    (path,) = make_sheets(outdir, codes=[SMALL1[0]], jobs=1).paths
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout
    assert "CID TrueType" in fonts
    text = pdf_text(path, 2)
    assert f"普查小区 {SMALL1[0]}" in text and TOWNSHIP_NAME in text
    pixels = render(path, 2, tmp_path / "page")
    assert (pixels < 0.5).all(axis=2).sum() > 500  # the boxes are drawn, in black
