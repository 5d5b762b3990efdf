"""Areas: the one reader of an output directory, and the writer of the contract."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from eapart.domain.areas import Areas
from eapart.domain.schema import (
    GPKG_NAME,
    OUTPUT_COLUMNS,
    REPORT_NAME,
    RESULT_LAYERS,
    SUMMARY_NAME,
)
from eapart.errors import InputError
from eapart.io.write import write_geopackage


def test_read_gives_every_layer_with_contract_columns_and_string_codes(sample_output: Path):
    areas = Areas.read(sample_output)
    for name in RESULT_LAYERS:
        frame = getattr(areas, name)
        assert list(frame.columns[:-1]) == list(OUTPUT_COLUMNS[name]), name
        assert frame.crs is not None
    assert all(code.isdigit() and len(code) == 15 for code in areas.small_areas["small_area_code"])
    assert set(areas.features) <= {"roads", "rail", "water"}
    assert areas.report["software"] == "eapart"
    assert areas.parameters == areas.report["parameters"]
    assert set(areas.layers) >= set(RESULT_LAYERS)


def test_read_tables_without_geometry(sample_output: Path):
    areas = Areas.read(sample_output, ("small_areas",),
                       columns={"small_areas": ("small_area_code", "households", "nope")},
                       geometry=False)
    assert list(areas.small_areas.columns) == ["small_area_code", "households"]
    assert areas.buildings is None and areas.townships is None


def test_to_file_writes_the_same_contract_back(sample_output: Path, tmp_path: Path):
    Areas.read(sample_output).to_file(tmp_path)
    assert filecmp.cmp(sample_output / SUMMARY_NAME, tmp_path / SUMMARY_NAME, shallow=False)
    assert json.loads((tmp_path / REPORT_NAME).read_text("utf-8")) == \
        json.loads((sample_output / REPORT_NAME).read_text("utf-8"))
    again = Areas.read(tmp_path)
    for name, frame in Areas.read(sample_output).layers.items():
        assert again.layers[name].equals(frame), name


def test_missing_output_and_missing_layer_are_clear_errors(sample_output: Path, tmp_path: Path):
    with pytest.raises(InputError, match="eapart.gpkg not found"):
        Areas.read(tmp_path)
    partial = tmp_path / "partial"
    partial.mkdir()
    areas = Areas.read(sample_output)
    assert "small_areas" not in areas.replace(small_areas=None).layers
    write_geopackage(partial / GPKG_NAME, {"townships": areas.townships})
    with pytest.raises(InputError, match="small_areas"):
        Areas.read(partial)
