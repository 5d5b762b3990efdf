"""report.json: one band object, and one meaning per key, for households and persons runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EAPART = [sys.executable, "-m", "eapart.cli"]


def run_sample(out: Path, *options: str, maps: bool = False) -> dict:
    """``eapart run`` on the bundled sample; the report it wrote."""
    command = [*EAPART, "run", "--out", str(out), "--jobs", "1", "-q", *options]
    subprocess.run(command + ([] if maps else ["--no-maps"]), check=True, capture_output=True)
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def keys_named(value, name: str, path: str = "") -> dict[str, object]:
    """Every occurrence of key ``name`` anywhere in ``value``, by its path."""
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}/{key}"
            if key == name:
                found[where] = item
            found.update(keys_named(item, name, where))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(keys_named(item, name, f"{path}[{i}]"))
    return found


@pytest.fixture(scope="module")
def wide_band(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    """A run with an asymmetric band (50-150 around a target of 80)."""
    out = tmp_path_factory.mktemp("wide") / "out"
    report = run_sample(out, "--min-households", "50", "--max-households", "150")
    summary = pd.read_csv(out / "summary.csv", dtype={"township_code": str})
    return report, summary


def test_within_tolerance_share_is_the_runs_band_wherever_it_appears(wide_band):
    report, summary = wide_band
    inside = summary["households"].between(50, 150)
    found = keys_named(report, "within_tolerance_share")
    assert found["/within_tolerance_share"] == pytest.approx(inside.mean(), abs=1e-6)
    by_township = inside.groupby(summary["township_code"]).mean()
    for i, row in enumerate(report["per_township"]):
        assert found.pop(f"/per_township[{i}]/within_tolerance_share") == \
            pytest.approx(by_township[row["township_code"]], abs=1e-6)
    assert set(found) == {"/within_tolerance_share"}  # no other key of that name
    assert report["band"] == {"measure": "households", "target": 80.0, "min_size": 50.0,
                              "max_size": 150.0}


def test_the_20pct_yardstick_has_its_own_key(wide_band):
    report, summary = wide_band
    near = ((summary["households"] / 80 - 1).abs() <= 0.2).mean()
    assert report["quality"]["size"]["within_20pct_share"] == pytest.approx(near, abs=1e-6)
    assert report["within_tolerance_share"] > report["quality"]["size"]["within_20pct_share"]


def test_a_persons_run_states_its_band_and_the_map_draws_it(tmp_path):
    report = run_sample(tmp_path / "out", "--target-persons", "250", maps=True)
    html = (tmp_path / "out" / "map" / "index.html").read_text(encoding="utf-8")
    assert "Small areas by persons; target 250" in html
    assert "within 200–300 (green)" in html
    assert "eapart-bar in" in html
    assert (report["target_persons"], report["min_persons"], report["max_persons"]) == \
        (250.0, 200.0, 300.0)
    assert report["band"] == {"measure": "persons", "target": 250.0, "min_size": 200.0,
                              "max_size": 300.0}


def test_the_bundled_sample_reaches_its_ceiling_in_every_township(tmp_path):
    # In 清港乡 an enclave's only ways out ran through village houses: its corridor
    # took 33 households from its host and left two small areas out of the band (75.0%
    # against 91.7% attainable, and a warning on the first run a user makes). The two
    # areas are balanced again along their shared boundary, the corridor kept open.
    report = run_sample(tmp_path / "out")
    assert report["warnings"] == []
    for row in report["per_township"]:
        assert row["ceiling_share"] - row["within_tolerance_share"] <= 0.03, row["name"]
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", dtype=str, keep_default_na=False)
    assert not summary["flags"].str.contains("enclave").any()
