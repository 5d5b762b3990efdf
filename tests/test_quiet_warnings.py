"""``--quiet`` hides progress, not warnings; name columns are found in the usual spellings."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from cli_run import QUICK, invoke, tiny_gpkg
from tiny_county import X0, Y0, tiny_county


def test_quiet_still_says_what_was_not_placed_and_the_fallback_county(tmp_path):
    layers = tiny_county()
    geoms = list(layers["buildings"].geometry)
    geoms[0] = shapely.box(X0 - 500, Y0, X0 - 480, Y0 + 12)
    layers["buildings"] = layers["buildings"].set_geometry(
        gpd.GeoSeries(geoms, crs=layers["buildings"].crs))
    layers["townships"] = layers["townships"].drop(columns="code")
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK, "--quiet",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "1 building(s) lie outside every township" in proc.stderr
    assert "numbered under county code 000000" in proc.stderr
    assert "done in" not in proc.stderr, "progress stays hidden"


def test_quiet_batch_still_names_a_failed_county(tmp_path):
    (tmp_path / "m.csv").write_text("input,out\nmissing.gpkg,r/a\n", encoding="utf-8")
    proc = invoke("batch", "m.csv", "--no-maps", "--quiet", cwd=tmp_path)
    assert proc.returncode == 1
    assert "missing.gpkg: failed:" in proc.stderr


@pytest.mark.parametrize("column", ["NAME", "Name", "XZMC", "名称", "mc", "乡镇名称"])
def test_township_names_in_the_usual_spellings_are_found(tmp_path, column):
    layers = tiny_county()
    layers["townships"] = layers["townships"].rename(columns={"name": column})
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK, "-q",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = gpd.read_file(tmp_path / "out" / "eapart.gpkg", layer="townships")["name"]
    assert list(names) == ["城关街道", "新华镇"]
    assert "no name column" not in proc.stderr


def test_no_name_column_is_a_warning_listing_the_text_columns(tmp_path):
    layers = tiny_county()
    layers["townships"] = layers["townships"].rename(columns={"name": "label_txt"})
    layers["townships"]["note"] = ["a", "b"]
    proc = invoke("run", tiny_gpkg(tmp_path, layers=layers), "--out", "out", *QUICK, "-q",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "found no name column" in proc.stderr
    assert "label_txt, note" in proc.stderr
    assert "--column township_name=label_txt" in proc.stderr
