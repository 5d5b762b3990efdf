"""Scale-out gives the same answer: local processes, a Dask cluster, and batches of counties."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from tiny_county import tiny_county, write_gpkg

from eapart.api import run
from eapart.batch import BatchOptions, run_batch
from eapart.config import RunConfig
from eapart.synthetic.county import make_county, write_county

EAPART = [sys.executable, "-m", "eapart.cli"]


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A synthetic county of 2,500 buildings in 4 townships, written once."""
    path = tmp_path_factory.mktemp("county") / "county.gpkg"
    write_county(path, make_county(n_buildings=2500, n_townships=4, seed=3))
    return path


def _codes(out) -> pd.DataFrame:
    b = gpd.read_file(out / "eapart.gpkg", layer="buildings")
    sa = gpd.read_file(out / "eapart.gpkg", layer="small_areas")
    return b[["building_id", "small_area_code"]], sa


def test_local_processes_give_the_same_result_as_one(county, tmp_path):
    run(RunConfig(input=county, out=tmp_path / "one", jobs=1, maps=False))
    run(RunConfig(input=county, out=tmp_path / "two", jobs=2, maps=False))
    b1, sa1 = _codes(tmp_path / "one")
    b2, sa2 = _codes(tmp_path / "two")
    pd.testing.assert_frame_equal(b1, b2)
    assert sa1["small_area_code"].tolist() == sa2["small_area_code"].tolist()
    assert sa1.geometry.geom_equals_exact(sa2.geometry, tolerance=0).all()
    assert (tmp_path / "one" / "eapart.gpkg").read_bytes() == \
        (tmp_path / "two" / "eapart.gpkg").read_bytes()


def test_dask_cluster_gives_the_same_codes_as_a_local_run(county, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    run(RunConfig(input=county, out=tmp_path / "local", jobs=1, maps=False))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run(RunConfig(input=county, out=tmp_path / "dask", scheduler=cluster.scheduler_address,
                      maps=False))
    b1, sa1 = _codes(tmp_path / "local")
    b2, sa2 = _codes(tmp_path / "dask")
    pd.testing.assert_frame_equal(b1, b2)
    assert sa1["small_area_code"].tolist() == sa2["small_area_code"].tolist()
    assert sa1.geometry.geom_equals_exact(sa2.geometry, tolerance=0).all()


def test_batch_runs_resumes_and_records_failures(tmp_path):
    layers = tiny_county()
    write_gpkg(layers, tmp_path / "a.gpkg")
    moved = {k: v.set_geometry(v.geometry.translate(0, 5000)) for k, v in layers.items()}
    moved["townships"]["code"] = ["420118001", "420118100"]  # county 420118's own codes
    write_gpkg(moved, tmp_path / "b.gpkg")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "input,county_code,out,target_households\n"
        "a.gpkg,420117,results/a,40\n"
        "b.gpkg,420118,results/b,\n"
        "missing.gpkg,420119,results/c,\n",
        encoding="utf-8",
    )
    options = BatchOptions(jobs=1, maps=False)
    table = run_batch(manifest, options)
    assert table["status"].tolist() == ["done", "done", "failed"]
    assert "not found" in table["message"].iloc[2]
    report_a = json.loads((tmp_path / "results/a/report.json").read_text(encoding="utf-8"))
    assert report_a["target_households"] == 40
    national = pd.read_csv(tmp_path / "national_summary.csv", dtype=str, encoding="utf-8-sig")
    assert national["county_code"].tolist() == ["420117", "420118", "420119"]
    assert national["small_areas"].iloc[0] == str(report_a["small_areas"])
    # Resume: complete counties are skipped, the failed one is tried again.
    before = (tmp_path / "results/a/eapart.gpkg").stat().st_mtime_ns
    again = run_batch(manifest, options)
    assert again["status"].tolist() == ["skipped (complete)", "skipped (complete)", "failed"]
    assert (tmp_path / "results/a/eapart.gpkg").stat().st_mtime_ns == before


def test_batch_cli_exit_code_and_partial_outputs_redone(tmp_path):
    write_gpkg(tiny_county(), tmp_path / "a.gpkg")
    (tmp_path / "m.csv").write_text("input,county_code,out\na.gpkg,420117,res/a\n",
                                    encoding="utf-8")
    # A killed run leaves only a hidden temporary directory: it is swept and redone.
    leftover = tmp_path / "res" / ".eapart-tmp-a-999999-deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "eapart.gpkg").write_bytes(b"half")
    proc = subprocess.run([*EAPART, "batch", str(tmp_path / "m.csv"), "--jobs", "1",
                           "--no-maps"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "1 done" in proc.stdout
    assert not leftover.exists()
    assert (tmp_path / "res/a/report.json").exists()
