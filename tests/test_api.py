"""The Python API: eapart.partition in memory, eapart.run on files, the README example."""

from __future__ import annotations

import copy
import doctest
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from paths import README

import eapart
from eapart.api import bundled_sample
from eapart.config import PartitionConfig, RunConfig
from eapart.domain.areas import Areas
from eapart.errors import UsageError

LAYERS = ("buildings", "townships", "villages", "roads", "rail", "water", "county")


@pytest.fixture(scope="module")
def sample_layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: gpd.read_file(bundled_sample(), layer=name) for name in LAYERS}


def test_partition_in_memory_matches_the_file_run(sample_layers, sample_output: Path, tmp_path,
                                                   monkeypatch):
    before = sorted(tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)
    areas = eapart.partition(**sample_layers)
    assert sorted(tmp_path.iterdir()) == before  # nothing written
    written = Areas.read(sample_output)
    for name in ("townships", "census_areas", "small_areas"):
        mine, theirs = getattr(areas, name), getattr(written, name)
        assert mine["households"].tolist() == theirs["households"].tolist(), name
        assert mine.geometry.geom_equals_exact(theirs.geometry.to_crs(mine.crs), 1e-6).all()
    code = written.small_areas.columns[0]
    assert areas.small_areas[code].tolist() == written.small_areas[code].tolist()
    assert areas.report["band"] == written.report["band"]


def test_partition_rejects_an_unknown_parameter(sample_layers):
    with pytest.raises(UsageError, match="unknown parameter 'target_household'"):
        eapart.partition(sample_layers["buildings"], sample_layers["townships"],
                         target_household=80)


def test_run_does_not_change_its_configuration(tmp_path):
    cfg = RunConfig(out=tmp_path / "out", jobs=1, maps=False,
                    partition=PartitionConfig(small_areas=60, min_size=10.0, max_size=500.0))
    kept = copy.deepcopy(cfg)
    result = eapart.run(cfg)
    assert cfg == kept
    band = result.report["band"]
    assert band["target"] == pytest.approx(result.report["households"] / 60, abs=0.01)
    assert (band["min_size"], band["max_size"]) == (10.0, 500.0)


def test_import_and_help_load_no_geodata_stack():
    code = ("import sys, eapart, eapart.cli; "
            "print(sorted(m for m in ('numpy', 'pandas', 'geopandas', 'shapely') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_readme_notebook_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    failures, tried = doctest.testfile(str(README), module_relative=False,
                                       optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried >= 8 and failures == 0
