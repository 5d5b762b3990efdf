"""Round trips of every export format: what is written reads back equal to the source."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from outdir_builder import CENSUS_AREAS, TOWNSHIP_NAME, build_output
from pyproj import CRS

from eapart.domain.areas import Areas
from eapart.domain.schema import CODE_COLUMNS
from eapart.errors import InputError, UsageError
from eapart.io.export import FORMATS, export, parse_formats
from eapart.io.qgis_styles import JSON_URI, add_qgis_styles
from eapart.io.shapefile import SHAPEFILE_FIELDS, field_names
from eapart.io.tables import read_csv

HOSTILE = CENSUS_AREAS["010101001002"]
#: Geometry tolerance of a round trip, in the layer's CRS units.
TOLERANCE = {4547: 1e-6, 4326: 1e-9}
#: GeoJSON keeps 7 decimals of a degree (about 1 cm).
GEOJSON_TOLERANCE = 1e-6


@pytest.fixture(scope="module", params=[(4547, "GBK"), (4326, "UTF-8")],
                ids=["cgcs2000-gk-gbk", "wgs84-utf8"])
def exported(request, tmp_path_factory):
    """An output directory in the given CRS, exported to every format once."""
    epsg, encoding = request.param
    outdir = build_output(tmp_path_factory.mktemp(f"out{epsg}"), crs=epsg)
    files = export(outdir, FORMATS, encoding=encoding)
    return outdir, epsg, encoding, files, Areas.read(outdir)


def _key(frame: pd.DataFrame) -> list[str]:
    keys = [c for c in ("small_area_code", "census_area_code", "township_code", "building_id")
            if c in frame.columns]
    return keys[-1:] if "building_id" in keys else keys[:1]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    key = _key(frame)
    frame = frame.sort_values(key) if key else frame
    return frame.reset_index(drop=True)


def assert_same_attributes(got: pd.DataFrame, want: pd.DataFrame, blank_is_null=False) -> None:
    """Same rows and values; codes compared as strings, numbers within 1e-9.

    ``blank_is_null``: a DBF stores an empty string and a null alike (blanks).
    """
    got, want = _sorted(got), _sorted(want)
    assert len(got) == len(want)
    for column in want.columns:
        if column == getattr(want, "geometry", pd.Series(name=None)).name:
            continue
        assert column in got.columns, column
        a, b = got[column], want[column]
        if column in CODE_COLUMNS:
            assert a.map(type).eq(str).all(), f"{column} not read back as str"
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9,
                                       err_msg=column)
        else:
            if blank_is_null:
                b = b.replace("", None)
            assert a.fillna("<NA>").tolist() == b.fillna("<NA>").tolist(), column


def assert_same_geometry(got: gpd.GeoDataFrame, want: gpd.GeoDataFrame, tol: float) -> None:
    got, want = _sorted(got), _sorted(want.to_crs(got.crs))
    distance = shapely.hausdorff_distance(got.geometry.values, want.geometry.values)
    assert np.nanmax(distance) < tol


def test_every_format_writes_its_files(exported):
    outdir, _, _, files, results = exported
    assert all(path.exists() and path.stat().st_size > 0 for path in files)
    folders = {path.parent.name for path in files}
    assert folders == set(FORMATS)
    assert not list((outdir / "export").rglob(".partial-*"))
    layers = set(results.layers)
    assert {p.stem for p in files if p.suffix == ".fgb"} == layers


def test_geopackage_round_trip_with_index_styles_and_metadata(exported):
    outdir, epsg, _, _, results = exported
    path = outdir / "export" / "gpkg" / "eapart.gpkg"
    for name, want in results.layers.items():
        got = gpd.read_file(path, layer=name)
        assert got.crs.to_epsg() == epsg
        assert_same_attributes(got, want)
        assert_same_geometry(got, want, TOLERANCE[epsg])
    with sqlite3.connect(path) as con:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
        assert {f"rtree_{name}_geom" for name in results.layers} <= tables
        styles = con.execute(
            "SELECT f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault "
            "FROM layer_styles").fetchall()
        metadata = con.execute(
            "SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r "
            "ON r.md_file_id = m.id WHERE m.md_standard_uri = ?", (JSON_URI,)).fetchall()
    by_layer = {row[0]: row for row in styles}
    assert {"townships", "census_areas", "small_areas", "buildings"} <= set(by_layer)
    for _, column, qml, sld, default in styles:
        assert column == "geom" and default == 1
        ET.fromstring(qml.split("\n", 1)[1])
        ET.fromstring(sld)
    qml = ET.fromstring(by_layer["small_areas"][2].split("\n", 1)[1])
    assert qml.find(".//text-style").get("fieldName") == "small_area_code"
    assert any("flags" in rule.get("filter") for rule in qml.iter("rule"))
    assert _gpkg_version(path) == 10200
    assert len(metadata) == 1
    assert json.loads(metadata[0][0])["parameters"] == results.report["parameters"]
    info = pyogrio.read_info(path, layer="small_areas")["dataset_metadata"]
    (item,) = [json.loads(v) for k, v in info.items() if k.startswith("GPKG_METADATA_ITEM")]
    assert item["version"] == results.report["version"] and item["software"] == "eapart"
    assert not path.with_name("eapart.gpkg.aux.xml").exists()


def _read_zipped_shapefile(zip_path: Path, layer: str) -> tuple[gpd.GeoDataFrame, dict]:
    with zipfile.ZipFile(zip_path) as archive:
        mapping = dict(pd.read_csv(archive.open(f"{layer}_fields.csv"), encoding="utf-8-sig",
                                   dtype=str).itertuples(index=False, name=None))
    frame = gpd.read_file(f"/vsizip/{zip_path}/{layer}.shp")
    return frame.rename(columns=mapping), mapping


def test_shapefile_round_trip_keeps_codes_text_and_crs(exported):
    outdir, epsg, encoding, _, results = exported
    folder = outdir / "export" / "shp"
    for name, want in results.layers.items():
        got, mapping = _read_zipped_shapefile(folder / f"{name}.zip", name)
        assert all(len(field) <= 10 for field in mapping)
        assert CRS.from_user_input(got.crs).to_epsg() == epsg
        assert_same_attributes(got, want, blank_is_null=True)
        assert_same_geometry(got, want, TOLERANCE[epsg])
    with zipfile.ZipFile(folder / "small_areas.zip") as archive:
        cpg = archive.read("small_areas.cpg").decode("ascii")
        dbf = archive.read("small_areas.dbf")
        prj = archive.read("small_areas.prj").decode("ascii")
    assert cpg == {"GBK": "936", "UTF-8": "UTF-8"}[encoding]
    assert TOWNSHIP_NAME.encode(encoding) in dbf
    assert dbf[29] == {"GBK": 0x4D, "UTF-8": 0}[encoding]
    assert b"010101001001001" in dbf  # a character field: zeros kept on disk
    expected_prj = {4547: "CGCS2000_3_Degree_GK_CM_114E", 4326: "GCS_WGS_1984"}[epsg]
    assert prj.startswith(("PROJCS", "GEOGCS")) and expected_prj in prj


def test_geojson_is_rfc7946(exported):
    outdir, _, _, _, results = exported
    for name, want in results.layers.items():
        path = outdir / "export" / "geojson" / f"{name}.geojson"
        document = json.loads(path.read_text(encoding="utf-8"))
        assert "crs" not in document
        got = gpd.read_file(path)
        assert_same_attributes(got, want)
        assert_same_geometry(got, want.to_crs(4326), GEOJSON_TOLERANCE)
        bounds = got.total_bounds
        assert 113.9 < bounds[0] < bounds[2] < 114.1 and 27 < bounds[1] < bounds[3] < 27.2
        polygons = got.geometry[got.geom_type == "Polygon"]
        assert shapely.is_ccw(shapely.get_exterior_ring(polygons.values)).all()


def test_geoparquet_and_flatgeobuf_round_trip(exported):
    outdir, epsg, _, _, results = exported
    for name, want in results.layers.items():
        parquet = outdir / "export" / "parquet" / f"{name}.parquet"
        geo = json.loads(pq.read_schema(parquet).metadata[b"geo"])
        assert geo["primary_column"] == "geometry"
        for got in (gpd.read_parquet(parquet),
                    gpd.read_file(outdir / "export" / "fgb" / f"{name}.fgb")):
            assert got.crs.to_epsg() == epsg
            assert_same_attributes(got, want)
            assert_same_geometry(got, want, TOLERANCE[epsg])


def test_every_shapefile_has_its_style_code_page_and_own_field_map(exported):
    outdir, _, encoding, _, results = exported
    members: list[str] = []
    for name in results.layers:
        with zipfile.ZipFile(outdir / "export" / "shp" / f"{name}.zip") as archive:
            names = archive.namelist()
            members += names
            assert f"{name}_fields.csv" in names and "fields.csv" not in names
            assert all(info.date_time == (2000, 1, 1, 0, 0, 0) for info in archive.infolist())
            mapping = dict(pd.read_csv(archive.open(f"{name}_fields.csv"), dtype=str,
                                       encoding="utf-8-sig").itertuples(index=False, name=None))
            for shp in [n for n in names if n.endswith(".shp")]:
                stem = shp[:-4]
                assert {f"{stem}.cpg", f"{stem}.qml", f"{stem}.dbf", f"{stem}.prj"} <= set(names)
                qml = ET.fromstring(archive.read(f"{stem}.qml").decode("utf-8").split("\n", 1)[1])
                label = qml.find(".//text-style")
                if name in ("townships", "census_areas", "small_areas"):
                    assert label is not None and label.get("fieldName") in mapping, name
                    assert qml.get("labelsEnabled") == "1"
                kinds = {s.get("type") for s in qml.iter("symbol")}
                family = shp.rsplit("_", 1)[-1][:-4] if "_" in stem and stem != name else None
                if family == "line" or name in ("roads", "rail"):
                    assert kinds == {"line"}, stem
                elif family == "point":
                    assert kinds == {"marker"}, stem
                if name == "small_areas":
                    filters = [r.get("filter") for r in qml.iter("rule")]
                    assert any("oversize" in f and '"flags"' in f for f in filters)
    shared = {m for m in members if members.count(m) > 1}
    assert shared == set(), "two zips hold a file of the same name"


def test_csv_tables_keep_codes_as_text_and_counts_whole(exported):
    outdir, _, _, _, results = exported
    for level in ("townships", "census_areas", "small_areas"):
        want = pd.DataFrame(results.layers[level].drop(columns="geometry"))
        csv_path = outdir / "export" / "csv" / f"{level}.csv"
        assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
        assert_same_attributes(read_csv(csv_path), want, blank_is_null=True)
        raw = pd.read_csv(csv_path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        for column in ("households", "persons", "buildings"):
            if column in raw:
                assert raw[column].str.fullmatch(r"\d*").all(), (level, column)


def _sheet_table(sheet) -> tuple[list, list[list], list]:
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return rows[0], rows[1:-1], rows[-1]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_xlsx_for_people(exported, tmp_path, language):
    """Headers in the chosen language, codes as text, a filter, a frozen header, widths
    that fit, a totals row of values and a township summary whose share is the report's."""
    outdir, _, _, _, results = exported
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("eapart.gpkg", "report.json"):
        (copy / name).write_bytes((outdir / name).read_bytes())
    (path,) = export(copy, "xlsx", language=language)
    book = load_workbook(path)
    sheets = {"zh": ["乡镇", "普查区", "普查小区", "乡镇汇总"],
              "en": ["Townships", "Census areas", "Small areas", "Township summary"]}[language]
    assert book.sheetnames == sheets
    code_header = {"zh": "普查小区代码", "en": "Small area code"}[language]
    households = {"zh": "户数", "en": "Households"}[language]
    for level, title in zip(("townships", "census_areas", "small_areas"), sheets, strict=False):
        want = pd.DataFrame(results.layers[level].drop(columns="geometry"))
        sheet = book[title]
        header, body, total = _sheet_table(sheet)
        assert len(body) == len(want)
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}" \
                                        f"{len(body) + 1}"
        assert households in header and not any("_" in str(h) for h in header), header
        assert total[0] == {"zh": "合计", "en": "Total"}[language]
        assert total[header.index(households)] == int(want["households"].sum())
        cells = list(sheet.iter_rows(min_row=2, max_row=len(body) + 1))
        code = header.index({"zh": "乡镇代码", "en": "Township code"}[language])
        assert all(r[code].data_type == "s" and r[code].number_format == "@" for r in cells)
        for k, column in enumerate(header):
            width = sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width
            longest = max(len(str(v)) for v in [column] + [row[k] for row in body]
                          if v is not None)
            assert width >= min(60, longest), (title, column)
    assert code_header in _sheet_table(book[sheets[2]])[0]
    header, body, _ = _sheet_table(book[sheets[3]])
    share = header.index({"zh": "在范围内的比例", "en": "Share within band"}[language])
    small = results.layers["small_areas"]
    report = results.report
    inside = small["households"].between(report["min_households"], report["max_households"])
    by_township = inside.groupby(small["township_code"]).mean()
    got = {row[0]: row[share] for row in body}
    assert got == pytest.approx(by_township.round(4).to_dict())


def test_xlsx_never_stores_text_as_a_formula(tmp_path):
    outdir = build_output(tmp_path / "out")
    frame = gpd.read_file(outdir / "eapart.gpkg", layer="census_areas")
    frame.loc[0, "name"] = "=HYPERLINK(\"http://x\",\"y\")"
    pyogrio.write_dataframe(frame, outdir / "eapart.gpkg", layer="census_areas")
    (path,) = export(outdir, "xlsx", language="en")
    sheet = load_workbook(path)["Census areas"]
    cells = [c for row in sheet.iter_rows() for c in row if str(c.value).startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_exports_are_byte_identical_between_runs(tmp_path):
    outdir = build_output(tmp_path / "out")
    first = {p.relative_to(outdir): p.read_bytes()
             for p in export(outdir, "gpkg,shp,xlsx,csv")}
    import time
    time.sleep(1.1)  # a clock stamp anywhere would now differ
    second = {p.relative_to(outdir): p.read_bytes()
              for p in export(outdir, "gpkg,shp,xlsx,csv")}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def _gpkg_version(path: Path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA user_version").fetchone()[0]


def test_geopackage_is_version_1_2_unless_asked(tmp_path):
    outdir = build_output(tmp_path / "out")
    (path,) = export(outdir, "gpkg")
    assert _gpkg_version(path) == 10200
    (path,) = export(outdir, "gpkg", gpkg_version="1.4")
    assert _gpkg_version(path) == 10400
    with pytest.raises(UsageError, match="--gpkg-version"):
        export(outdir, "gpkg", gpkg_version="2.0")
    with pytest.raises(UsageError, match="--language"):
        export(outdir, "xlsx", language="fr")


def test_hostile_and_chinese_names_survive_verbatim(exported):
    outdir, *_ = exported
    names = read_csv(outdir / "export" / "csv" / "census_areas.csv")["name"].tolist()
    assert HOSTILE in names and "东门社区" in names
    text = (outdir / "export" / "geojson" / "census_areas.geojson").read_text(encoding="utf-8")
    assert HOSTILE in json.loads(text)["features"][1]["properties"].values()


def test_gbk_refuses_text_it_cannot_hold(tmp_path):
    outdir = build_output(tmp_path / "out")
    frame = gpd.read_file(outdir / "eapart.gpkg", layer="census_areas")
    frame.loc[0, "name"] = "社区😀"
    pyogrio.write_dataframe(frame, outdir / "eapart.gpkg", layer="census_areas")
    with pytest.raises(UsageError, match=r"census_areas.*'name'.*--encoding UTF-8"):
        export(outdir, ["shp"], encoding="GBK")
    assert export(outdir, ["shp"], encoding="UTF-8")


def test_user_errors_say_what_to_do(tmp_path):
    with pytest.raises(UsageError, match="choose from"):
        parse_formats("gpkg,kml")
    with pytest.raises(UsageError, match="GBK"):
        export(tmp_path, "shp", encoding="latin-9")
    with pytest.raises(InputError, match="eapart.gpkg not found"):
        export(tmp_path, "gpkg")
    assert parse_formats(" XLSX,gpkg ") == ["gpkg", "xlsx"]


def test_field_names_are_short_unique_and_documented():
    assert all(len(short) <= 10 for short in SHAPEFILE_FIELDS.values())
    mapping = field_names(["population_total", "population_totals", "small_area_code"])
    assert len(set(mapping.values())) == 3 and all(len(v) <= 10 for v in mapping.values())
    assert mapping["small_area_code"] == "sa_code"


def test_styles_are_replaced_not_duplicated(tmp_path):
    outdir = build_output(tmp_path / "out")
    path = outdir / "eapart.gpkg"
    add_qgis_styles(path, parameters={"target": 80}, version="1.0")
    add_qgis_styles(path, parameters={"target": 90}, version="1.1")
    with sqlite3.connect(path) as con:
        count = con.execute("SELECT count(*) FROM layer_styles WHERE f_table_name = "
                            "'small_areas'").fetchone()[0]
        rows = con.execute("SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ?",
                           (JSON_URI,)).fetchall()
    assert count == 1 and len(rows) == 1
    assert json.loads(rows[0][0])["parameters"] == {"target": 90}
    assert gpd.read_file(path, layer="small_areas").shape[0] == 6


def test_export_of_the_sample_output(request, tmp_path):
    """The bundled sample county, when the shared fixture is available."""
    try:
        sample = request.getfixturevalue("sample_output")
    except pytest.FixtureLookupError:
        pytest.skip("the sample_output fixture (tests/conftest.py) is not available")
    outdir = tmp_path / "copy"
    outdir.mkdir()
    for name in ("eapart.gpkg", "report.json"):
        if (Path(sample) / name).exists():
            (outdir / name).write_bytes((Path(sample) / name).read_bytes())
    files = export(outdir, ["gpkg", "shp", "csv"], encoding="GBK")
    results = Areas.read(outdir)
    got, _ = _read_zipped_shapefile(outdir / "export" / "shp" / "small_areas.zip",
                                    "small_areas")
    assert_same_attributes(got, results.layers["small_areas"], blank_is_null=True)
    assert len(files) >= 6


def test_progress_counts_formats(tmp_path):
    outdir = build_output(tmp_path / "out")
    calls = []
    export(outdir, "csv,xlsx", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
