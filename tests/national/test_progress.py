"""The national progress line and the summary table, through the command line."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from national_builders import manifest_text, write_counties

from eapart.batch_progress import NationalProgress

EAPART = [sys.executable, "-m", "eapart.cli"]


def _batch(tmp_path, *args):
    inputs = write_counties(tmp_path / "in", 1)
    (tmp_path / "m.csv").write_text(manifest_text(
        [f"in/{inputs[0].name}"], ["res/c0"], "in/missing.gpkg,420199,res/missing\n"))
    return subprocess.run([*EAPART, "batch", str(tmp_path / "m.csv"), "--jobs", "1",
                           "--no-maps", *args], capture_output=True, text=True)


def test_progress_lines_count_counties_and_quiet_keeps_the_warning(tmp_path):
    loud = _batch(tmp_path / "loud")
    assert loud.returncode == 1
    lines = [line for line in loud.stderr.splitlines() if line.startswith("counties ")]
    assert lines[0].startswith("counties 1/2 done, 0 running, 0 failed, 1 left; ")
    assert lines[1].startswith("counties 1/2 done, 0 running, 1 failed, 0 left; ")
    assert "/min; ETA" in lines[0] and lines[1].endswith("ETA -")
    assert "420199: failed: " in loud.stderr
    quiet = _batch(tmp_path / "quiet", "--quiet")
    assert quiet.returncode == 1
    assert "counties " not in quiet.stderr and quiet.stdout == ""
    assert "420199: failed: " in quiet.stderr
    table = pd.read_csv(tmp_path / "quiet" / "national_summary.csv", dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    assert table["status"].tolist() == ["done", "failed"]
    assert not list((tmp_path / "quiet").glob(".national_summary.csv.*"))


def test_running_counts_at_most_the_slots_and_eta_follows_the_rate(capsys):
    progress = NationalProgress(10, slots=2)
    for index in range(5):
        progress.started(index)
    assert progress.running == 2
    progress.start -= 60  # one minute ago
    progress.finished(0, {"status": "done", "county_code": "1", "input": "", "message": ""})
    line = capsys.readouterr().err.strip()
    assert line == "counties 1/10 done, 2 running, 0 failed, 7 left; 1.0/min; ETA 9m00s"
