"""Counties as Dask tasks: same national table and same files as in-process, failures recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from national_builders import (
    file_digests,
    hidden_leftovers,
    manifest_text,
    stable,
    write_counties,
)

from eapart.batch import BatchOptions, run_batch

distributed = pytest.importorskip("dask.distributed")
EAPART = [sys.executable, "-m", "eapart.cli"]


@pytest.fixture(scope="module")
def cluster():
    """Two one-thread worker processes with nannies, on loopback."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


def _manifest(tmp_path, n, results="results", extra=""):
    inputs = write_counties(tmp_path / "in", n)
    text = manifest_text([f"in/{p.name}" for p in inputs],
                         [f"{results}/{p.stem}" for p in inputs], extra)
    path = tmp_path / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_counties_on_the_cluster_match_in_process_byte_for_byte(tmp_path, cluster):
    local = tmp_path / "local"
    remote = tmp_path / "dask"
    missing = "in/missing.gpkg,420199,results/missing\n"
    here = run_batch(_manifest(local, 3, extra=missing), BatchOptions(jobs=1, maps=False))
    there = run_batch(_manifest(remote, 3, extra=missing),
                      BatchOptions(scheduler=cluster.scheduler_address, maps=False))
    assert here["status"].tolist() == ["done", "done", "done", "failed"]
    assert there["status"].tolist() == here["status"].tolist()
    assert "not found" in there["message"].iloc[3]
    pd.testing.assert_frame_equal(stable(here), stable(there))
    for i in range(3):
        assert file_digests(local / f"results/c{i}") == file_digests(remote / f"results/c{i}")
    written = pd.read_csv(remote / "national_summary.csv", dtype=str, encoding="utf-8-sig")
    assert written["county_code"].tolist() == ["420100", "420101", "420102", "420199"]


def test_cluster_cli_resumes_and_local_processes_give_the_same_files(tmp_path, cluster):
    manifest = _manifest(tmp_path, 2)
    first = subprocess.run([*EAPART, "batch", str(manifest), "--scheduler",
                            cluster.scheduler_address, "--no-maps"],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "counties 2/2 done, 0 running, 0 failed, 0 left" in first.stderr
    again = subprocess.run([*EAPART, "batch", str(manifest), "--scheduler",
                            cluster.scheduler_address, "--no-maps", "--quiet"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "" and again.stderr == ""
    table = pd.read_csv(tmp_path / "national_summary.csv", dtype=str, encoding="utf-8-sig")
    assert table["status"].tolist() == ["skipped (complete)"] * 2
    # The same counties over local processes give the same files.
    procs = tmp_path / "procs"
    run_batch(_manifest(procs, 2), BatchOptions(jobs=2, maps=False))
    for i in range(2):
        assert file_digests(procs / f"results/c{i}") == file_digests(tmp_path / f"results/c{i}")


def test_a_worker_killed_mid_county_is_retried_and_leaves_no_partial_output(tmp_path):
    reference = run_batch(_manifest(tmp_path / "ref", 4), BatchOptions(jobs=1, maps=False))
    manifest = _manifest(tmp_path, 4)
    # What an earlier killed worker left: a hidden temporary output of a dead process.
    leftover = tmp_path / "results" / ".eapart-tmp-c0-999999-deadbeef"
    leftover.mkdir(parents=True)
    (leftover / "eapart.gpkg").write_bytes(b"half")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as one, \
            distributed.Client(one) as client:
        batch = subprocess.Popen([*EAPART, "batch", str(manifest), "--scheduler",
                                  one.scheduler_address, "--no-maps"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        summary = tmp_path / "national_summary.csv"
        deadline = time.monotonic() + 240
        while not summary.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert summary.exists(), "no county finished"
        # The worker is now on the second county: kill it without a chance to tidy up.
        pids = client.run(os.getpid)
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        out, err = batch.communicate(timeout=300)
    assert batch.returncode == 0, err
    table = pd.read_csv(summary, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table["status"].tolist() == ["done"] * 4, err
    pd.testing.assert_frame_equal(stable(table), stable(reference))
    assert hidden_leftovers(tmp_path / "results") == []
    for i in range(4):
        assert file_digests(tmp_path / f"results/c{i}") == \
            file_digests(tmp_path / f"ref/results/c{i}")


def test_cluster_option_is_checked():
    proc = subprocess.run([*EAPART, "batch", "m.csv", "--cluster", "three"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "local:N" in proc.stderr


def test_townships_spread_from_county_tasks_give_the_same_files(tmp_path, cluster):
    here = run_batch(_manifest(tmp_path / "here", 2), BatchOptions(jobs=1, maps=False))
    spread = run_batch(_manifest(tmp_path / "spread", 2),
                       BatchOptions(scheduler=cluster.scheduler_address, maps=False,
                                    spread_townships=True))
    assert spread["status"].tolist() == ["done", "done"]
    pd.testing.assert_frame_equal(stable(here), stable(spread))
    for i in range(2):
        assert file_digests(tmp_path / f"here/results/c{i}") == \
            file_digests(tmp_path / f"spread/results/c{i}")


def test_spreading_townships_needs_a_cluster():
    proc = subprocess.run([*EAPART, "batch", "m.csv", "--spread-townships"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "--spread-townships needs --scheduler or --cluster" in proc.stderr
