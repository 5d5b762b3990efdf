"""Start-up: ``eapart --help`` and a run load only the libraries they use.

Each check runs a fresh interpreter and lists the modules it ended with, so a
heavy import added at the top of a module (geopandas for the help, openpyxl,
folium or dask for a run without workbook, maps or scheduler) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import tiny_gpkg

#: What ``eapart --help`` needs beyond click: none of these.
NOT_FOR_HELP = (
    "geopandas", "shapely", "pandas", "numpy", "pyogrio", "pyproj", "scipy", "networkx",
    "folium", "dask", "distributed", "matplotlib", "openpyxl", "fontTools", "fsspec",
    "tqdm", "importlib.metadata", "eapart.api",
)

#: What ``eapart run --no-maps`` (no --formats, no --scheduler) needs: none of these.
NOT_FOR_RUN = ("folium", "dask", "distributed", "matplotlib", "openpyxl", "fontTools",
               "fsspec", "s3fs", "eapart.review", "eapart.sheets")

#: What the main process of a run on worker processes needs: none of these (the
#: engine is imported in the workers; eapart.partition.work hands it to them by name).
ENGINE = ("networkx", "scipy", "eapart.partition.township", "eapart.partition.cells",
          "eapart.partition.regions.labels", "eapart.partition.ceiling", "eapart.partition.walk")

_MODULES_AFTER = """
import atexit, json, sys
listing = sys.argv[1]
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=open(listing, "w")))
sys.argv = ["eapart", *sys.argv[2:]]
from eapart.cli import main
main()
"""


def modules_after(tmp_path: Path, *args: str) -> set[str]:
    """The modules a fresh ``eapart ARGS`` process had loaded when it ended."""
    listing = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", _MODULES_AFTER, str(listing), *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(listing.read_text(encoding="utf-8")))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (or a submodule of one) are among ``modules``."""
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["sample", "--help"]],
                         ids=["help", "run-help", "sample-help"])
def test_help_loads_neither_the_engine_nor_geopandas(tmp_path, args):
    assert loaded(modules_after(tmp_path, *args), NOT_FOR_HELP) == []


def test_version_is_read_when_asked_for():
    from eapart import __version__

    proc = subprocess.run([sys.executable, "-m", "eapart.cli", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"eapart, version {__version__}\n"


def test_run_without_maps_loads_no_map_workbook_or_cluster_library(tmp_path):
    county = tiny_gpkg(tmp_path)
    modules = modules_after(tmp_path, "run", str(county), "--out", "out", "--no-maps",
                            "--jobs", "1", "-q")
    assert "geopandas" in modules  # the run did run
    assert loaded(modules, NOT_FOR_RUN) == []



def test_importing_the_api_does_not_load_the_engine(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import json, sys, eapart.api; "
                           "print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert loaded(set(json.loads(proc.stdout)), ENGINE) == []


def test_run_on_workers_leaves_the_engine_to_them(tmp_path):
    county = tiny_gpkg(tmp_path)  # two townships: --jobs 2 runs them on worker processes
    modules = modules_after(tmp_path, "run", str(county), "--out", "out", "--no-maps",
                            "--jobs", "2", "-q")
    assert (tmp_path / "out" / "report.json").is_file()
    assert loaded(modules, ENGINE) == []
